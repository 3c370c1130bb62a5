"""Rule humaneval_tasks: HumanEval's problems with their visible, base and (with HumanEval+) plus tiers."""

from execrl.io import write_json
from execrl.logs import log_to
from execrl.tasks.humaneval import load_humaneval, source_note
from execrl.tasks.evalplus import load_optional
from execrl.tasks.tiers import build_humaneval_tasks, summarize_tasks, write_tasks


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        problems = load_humaneval(snakemake.input.source)
        plus, plus_note = load_optional(snakemake.params.plus["path"], "humaneval_plus")
        log.info(plus_note)
        tasks = build_humaneval_tasks(problems, plus, workers=snakemake.threads)
        write_tasks(snakemake.output.tasks, snakemake.output.limits, tasks)
        summary = summarize_tasks(tasks, {"humaneval": source_note(snakemake.input.source), "humaneval_plus": plus_note})
        write_json(snakemake.output.summary, summary)
        log.info("wrote %d problems; tiers: %s", len(tasks), summary["tiers"])


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
