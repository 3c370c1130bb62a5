"""Rule mbpp_tasks: MBPP+ problems with their visible, base and plus tiers (empty when the file is absent)."""

from execrl.io import write_json
from execrl.logs import log_to
from execrl.tasks.evalplus import load_optional
from execrl.tasks.tiers import build_mbpp_tasks, summarize_tasks, write_tasks


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        problems, note = load_optional(snakemake.params.dataset["path"], "mbpp_plus")
        log.info(note)
        tasks = build_mbpp_tasks((problems or [])[: snakemake.params.max_problems], workers=snakemake.threads)
        write_tasks(snakemake.output.tasks, snakemake.output.limits, tasks)
        summary = summarize_tasks(tasks, {"mbpp_plus": note})
        write_json(snakemake.output.summary, summary)
        log.info("wrote %d problems; tiers: %s", len(tasks), summary["tiers"])


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
