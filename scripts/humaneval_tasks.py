"""Rule humaneval_tasks: load HumanEval's 164 problems into results/tasks/humaneval.jsonl."""

from execrl.logs import log_to
from execrl.tasks import load_humaneval, write_problems


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        problems = load_humaneval(snakemake.input.source)
        write_problems(snakemake.output.tasks, problems)
        log.info("wrote %d problems from %s to %s", len(problems), snakemake.input.source, snakemake.output.tasks)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
