"""Rule verification_paradox: weak against strong tiers, reward hacking over training, and the reward control."""

from pathlib import Path

import pandas as pd

from execrl.analysis.figures import hacking_figure, paradox_figure
from execrl.analysis.paradox import (
    benchmark_overestimation,
    control_summary,
    hacking_curves,
    policy_overestimation,
    reward_control,
)
from execrl.analysis.tables import read_episodes, read_mutant_verdicts, read_run_metrics
from execrl.logs import log_to


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        seed = snakemake.params.seed
        episodes = read_episodes(snakemake.input.episodes)
        metrics = read_run_metrics(snakemake.input.metrics)
        benchmarks = [benchmark_overestimation(table, name, seed)
                      for name, table in read_mutant_verdicts(snakemake.input.verdicts).items()]
        overestimation = pd.concat([*benchmarks, policy_overestimation(episodes, seed)], ignore_index=True)
        hacking, control = hacking_curves(metrics), reward_control(episodes, metrics)
        overestimation.to_parquet(snakemake.output.overestimation, index=False)
        hacking.to_parquet(snakemake.output.hacking, index=False)
        control.to_parquet(snakemake.output.control, index=False)
        control_summary(control).to_parquet(snakemake.output.control_summary, index=False)
        Path(snakemake.output.figure).write_text(paradox_figure(overestimation), encoding="utf-8")
        Path(snakemake.output.hacking_figure).write_text(hacking_figure(hacking), encoding="utf-8")
        log.info("overestimation:\n%s\ncontrol:\n%s", overestimation.to_string(index=False), control.to_string(index=False))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
