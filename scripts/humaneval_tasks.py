"""Rule humaneval_tasks: HumanEval's problems with their base tier, into results/tasks/humaneval.jsonl."""

from execrl.logs import log_to
from execrl.tasks import load_humaneval
from execrl.tasks.tiers import build_tasks, write_tasks


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        problems = load_humaneval(snakemake.input.source)
        tasks = build_tasks(problems, workers=snakemake.threads)
        write_tasks(snakemake.output.tasks, tasks)
        log.info(
            "wrote %d problems with %d base tests from %s",
            len(tasks), sum(len(t.base) for t in tasks), snakemake.input.source,
        )


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
