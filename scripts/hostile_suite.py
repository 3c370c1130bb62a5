"""Rule hostile_suite: every hostile program through execrl and the baselines, with side-effect probes."""

import shutil
from pathlib import Path

from execrl.hostile import TARGET_TASK, run_suite, summarize_hostile
from execrl.io import write_json
from execrl.logs import log_to
from execrl.sandbox import Sandbox
from execrl.tasks.tiers import read_tasks


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        task = next(t for t in read_tasks(snakemake.input.tasks, snakemake.input.limits) if t.problem.task_id == TARGET_TASK)
        with Sandbox(workers=1) as sandbox:
            write_json(snakemake.output.capabilities, sandbox.capabilities())
        # Beside the outputs, not in /tmp: a job sees a fresh /tmp of its own, so a probe file there
        # would be out of its reach whatever the other layers did. Under a fixed name, so that what a
        # run killed midway left there is removed when the rule runs again.
        work_dir = Path(snakemake.output.table).parent / "hostile-work"
        if work_dir.exists():
            log.info("removing %s, left by an interrupted run", work_dir)
            shutil.rmtree(work_dir)
        work_dir.mkdir(parents=True)
        try:
            table = run_suite(task, snakemake.input.tasks, work_dir, snakemake.params.timeout_s,
                              tuple(snakemake.params.baselines))
        finally:
            shutil.rmtree(work_dir)
        table.to_parquet(snakemake.output.table, index=False)
        summary = summarize_hostile(table)
        write_json(snakemake.output.summary, summary)
        log.info("hostile suite: %s", summary["by_harness"])


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
