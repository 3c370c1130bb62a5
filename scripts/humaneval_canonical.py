"""Rule humaneval_canonical: judge each problem's canonical solution and a wrong candidate."""

from execrl.io import write_json
from execrl.logs import log_to
from execrl.tasks import read_problems
from execrl.verdicts import judge_humaneval, summarize_verdicts


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        problems = read_problems(snakemake.input.tasks)
        verdicts = judge_humaneval(problems, snakemake.params.timeout_s, snakemake.threads)
        verdicts.to_parquet(snakemake.output.verdicts, index=False)
        summary = summarize_verdicts(verdicts)
        write_json(snakemake.output.summary, summary)
        log.info("judged %d candidates: %s", len(verdicts), summary)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
