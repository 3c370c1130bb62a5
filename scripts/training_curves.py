"""Rule training_curves: per-step metrics of every method and reward across seeds."""

from pathlib import Path

from execrl.analysis.curves import step_curves
from execrl.analysis.figures import training_curves_figure
from execrl.analysis.tables import read_run_metrics
from execrl.logs import log_to


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        curves = step_curves(read_run_metrics(snakemake.input.metrics))
        curves.to_parquet(snakemake.output.curves, index=False)
        Path(snakemake.output.figure).write_text(training_curves_figure(curves), encoding="utf-8")
        log.info("%d curve points for %d (method, reward) pairs", len(curves), curves.groupby(["method", "reward"]).ngroups)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
