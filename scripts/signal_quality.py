"""Rule signal_quality: how well each execution signal predicts correctness, on mutants and policy samples."""

from pathlib import Path

import pandas as pd

from execrl.analysis.figures import signal_figure
from execrl.analysis.signals import episode_samples, mutant_samples, signal_quality
from execrl.analysis.tables import read_episodes, read_mutant_verdicts
from execrl.logs import log_to


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        mutants = [mutant_samples(table, name) for name, table in read_mutant_verdicts(snakemake.input.verdicts).items()]
        samples = pd.concat([*mutants, episode_samples(read_episodes(snakemake.input.episodes))], ignore_index=True)
        quality = signal_quality(samples, snakemake.params.seed)
        samples.to_parquet(snakemake.output.samples, index=False)
        quality.to_parquet(snakemake.output.quality, index=False)
        Path(snakemake.output.figure).write_text(signal_figure(quality), encoding="utf-8")
        log.info("signal quality:\n%s", quality.to_string(index=False))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
