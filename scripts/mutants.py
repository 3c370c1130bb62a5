"""Rule mutants: first-order AST mutants of each task's canonical solution (of the first N tasks
when the config says so), a seeded selection per task."""

from collections import Counter

from execrl.io import write_jsonl
from execrl.logs import log_to
from execrl.tasks.mutants import humaneval_mutants, select_mutants
from execrl.tasks.tiers import read_tasks


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        tasks = read_tasks(snakemake.input.tasks, snakemake.input.limits)[: snakemake.params.max_tasks]
        generated = [m for task in tasks for m in humaneval_mutants(task.problem)]
        chosen = select_mutants(generated, snakemake.params.per_task, seed=snakemake.params.seed)
        write_jsonl(snakemake.output.mutants, (m.to_record() for m in chosen))
        log.info("%d tasks: %d mutants generated, %d kept (at most %s per task); by operator: %s",
                 len(tasks), len(generated), len(chosen), snakemake.params.per_task,
                 dict(sorted(Counter(m.operator for m in chosen).items())))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
