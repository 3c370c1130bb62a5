"""Rule training_curves: per-step metrics and learning curves of every method and reward across seeds."""

from pathlib import Path

from execrl.analysis.curves import learning_curves, step_curves
from execrl.analysis.figures import learning_curves_figure, training_curves_figure
from execrl.analysis.tables import read_run_metrics
from execrl.logs import log_to


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        curves = step_curves(read_run_metrics(snakemake.input.metrics))
        curves.to_parquet(snakemake.output.curves, index=False)
        Path(snakemake.output.figure).write_text(training_curves_figure(curves), encoding="utf-8")
        log.info("%d curve points for %d (method, reward) pairs", len(curves), curves.groupby(["method", "reward"]).ngroups)
        learning = learning_curves(read_run_metrics(snakemake.input.learning))
        learning.to_parquet(snakemake.output.learning, index=False)
        Path(snakemake.output.learning_figure).write_text(learning_curves_figure(learning), encoding="utf-8")
        log.info("%d learning-curve points", len(learning))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
