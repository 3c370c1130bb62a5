"""Rule complexity_progression: success against episode length per policy, with decay fits."""

from pathlib import Path

from execrl.analysis.figures import progression_figure
from execrl.analysis.progression import decay_fits, episode_turns, progression
from execrl.analysis.tables import read_episodes
from execrl.logs import log_to


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        episodes = read_episodes(snakemake.input.episodes)
        seed = snakemake.params.seed
        table, fits, turns = progression(episodes, seed), decay_fits(episodes, seed), episode_turns(episodes, seed)
        table.to_parquet(snakemake.output.progression, index=False)
        fits.to_parquet(snakemake.output.fits, index=False)
        turns.to_parquet(snakemake.output.turns, index=False)
        Path(snakemake.output.figure).write_text(progression_figure(table), encoding="utf-8")
        log.info("decay fits:\n%s", fits.to_string(index=False))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
