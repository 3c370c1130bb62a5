"""Rule procedural_tasks: the seeded procedural suite, and how often a shortcut passes visible but fails hidden."""

from execrl.io import write_json
from execrl.logs import log_to
from execrl.sandbox import Sandbox
from execrl.tasks.procedural import generate_suite, judge, summarize_suite, write_suite


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        params = snakemake.params
        tasks = generate_suite(
            seed=params.seed, tasks_per_level=params.tasks_per_level, levels=tuple(params.levels),
            split_fractions=tuple(params.split_fractions), variants=("single", "multi_step"),
        )
        write_suite(snakemake.output.tasks, tasks)
        with Sandbox(workers=snakemake.threads) as sandbox:
            reference = judge(sandbox, tasks, [t.canonical_solution for t in tasks], label="reference")
            shortcut = judge(sandbox, tasks, [t.shortcut_solution for t in tasks], label="shortcut")
        summary = summarize_suite(tasks, shortcut=shortcut, reference=reference)
        write_json(snakemake.output.summary, summary)
        log.info("wrote %d tasks; shortcut: %s; reference: %s", len(tasks), summary["shortcut"], summary["reference"])


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
