"""Rule training_summary: each run's test pass@k beside the warm start's, the gain per (method,
reward) with its 95% interval across seeds, and single-turn gains paired per task with an interval
over seeds and tasks."""

from pathlib import Path

import pandas as pd

from execrl.logs import log_to
from execrl.rl.summary import gain_table, pass_table, task_gains


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        summaries = {Path(path).parent.name: pd.read_parquet(path) for path in snakemake.input.summaries}
        passes = pass_table(summaries)
        gains = gain_table(passes)
        passes.to_parquet(snakemake.output.passes, index=False)
        gains.to_parquet(snakemake.output.gains, index=False)
        episodes = {Path(path).parent.name: pd.read_parquet(path) for path in snakemake.input.episodes}
        paired = task_gains(episodes, snakemake.params.seed)
        paired.to_parquet(snakemake.output.task_gains, index=False)
        log.info("single-turn pass@1 gain, paired per task (seeds and tasks resampled):\n%s",
                 paired[paired["level"] == "all"].to_string(index=False))
        headline = gains[(gains["mode"] == "single_turn") & (gains["k"] == 1)]
        log.info("single-turn pass@1 gain over the warm start:\n%s", headline.to_string(index=False))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
