"""Rule claims: the seed text's numbers beside their measured counterparts."""

import pandas as pd

from execrl.analysis.claims import claims_table
from execrl.analysis.tables import read_run_metrics
from execrl.logs import log_to

TABLES = ("signal_quality", "progression", "decay_fits", "turns", "overestimation", "control_summary", "gains")


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        tables = {name: pd.read_parquet(getattr(snakemake.input, name)) for name in TABLES}
        sources = {name: str(getattr(snakemake.input, name)) for name in TABLES}
        tables["train_reward_std"] = pd.concat(list(read_run_metrics(snakemake.input.metrics).values()), ignore_index=True)
        sources["train_reward_std"] = "results/train/*/metrics.parquet (reward_std)"
        table = claims_table(tables, sources, {"train": snakemake.params.train})
        table.to_parquet(snakemake.output.claims, index=False)
        log.info("%d claim rows, by status:\n%s", len(table), table["status"].value_counts().to_string())


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
