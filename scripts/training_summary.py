"""Rule training_summary: each run's test pass@k beside the warm start's, and the gain per (method,
reward) with its 95% interval across seeds."""

from pathlib import Path

import pandas as pd

from execrl.logs import log_to
from execrl.rl.summary import gain_table, pass_table


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        summaries = {Path(path).parent.name: pd.read_parquet(path) for path in snakemake.input.summaries}
        passes = pass_table(summaries)
        gains = gain_table(passes)
        passes.to_parquet(snakemake.output.passes, index=False)
        gains.to_parquet(snakemake.output.gains, index=False)
        headline = gains[(gains["mode"] == "single_turn") & (gains["k"] == 1)]
        log.info("single-turn pass@1 gain over the warm start:\n%s", headline.to_string(index=False))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
