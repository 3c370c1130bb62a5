"""Rule train_benchmark: rollouts per second and the share of step time per phase, per training run."""

from pathlib import Path

import pandas as pd

from execrl.io import write_json
from execrl.logs import log_to
from execrl.rl.trainer import timing_summary


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        samples = snakemake.params.tasks_per_step * snakemake.params.group_size
        runs = {Path(path).parent.name: timing_summary(pd.read_parquet(path).to_dict("records"), samples)
                for path in snakemake.input.timings}
        write_json(snakemake.output.summary, runs)
        for run, figures in runs.items():
            log.info("%s: %.1f rollouts/s; generation %.0f%%, sandbox %.0f%%, update %.0f%% of step time", run,
                     figures["rollouts_per_second"], 100 * figures["generation_share"], 100 * figures["sandbox_share"],
                     100 * figures["update_share"])


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
