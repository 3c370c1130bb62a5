"""Rule mutation_scores: every mutant and reference solution on every tier, in the sandbox; scores per tier."""

from execrl.io import read_jsonl, write_json
from execrl.logs import log_to, progress_logger
from execrl.tasks.mutants import Mutant
from execrl.tasks.scoring import candidates, judge_candidates, summarize_scores
from execrl.tasks.tiers import read_tasks


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        tasks = read_tasks(snakemake.input.tasks, snakemake.input.limits)
        mutants = [Mutant.from_record(r) for r in read_jsonl(snakemake.input.mutants)]
        rows = candidates(tasks, mutants)
        log.info("judging %d candidates (%d mutants) of %d tasks on every tier", len(rows), len(mutants), len(tasks))
        table = judge_candidates(rows, snakemake.threads, progress_logger(log, "verdicts"))
        table.to_parquet(snakemake.output.verdicts, index=False)
        summary = summarize_scores(table, tasks)
        write_json(snakemake.output.scores, summary)
        log.info("mutation scores on %d comparable mutants: %s", summary["comparable_mutants"], summary["score_comparable"])


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
