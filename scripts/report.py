"""Rule report: render results/report/index.html from the templates in report/."""

from pathlib import Path

import pandas as pd
import yaml

from execrl.io import read_json
from execrl.logs import log_to
from execrl.provenance import config_hash, machine, package_versions
from execrl.reporting.figures import pass_rate_bars
from execrl.reporting.html import render_report

EXPECTED_PASS = {"canonical": True, "wrong": False}


def build_context(summary: dict, verdicts: pd.DataFrame, config: dict, sources: dict[str, str]) -> dict:
    labels = list(summary)
    figure = pass_rate_bars(
        labels=labels,
        rates=[summary[k]["pass_rate"] for k in labels],
        counts=[f"{summary[k]['passed']}/{summary[k]['total']}" for k in labels],
        title="HumanEval check(): pass rate per candidate",
    )
    unexpected = verdicts[verdicts["passed"] != verdicts["candidate"].map(EXPECTED_PASS)]
    return {
        "title": config["report"]["title"],
        "n_tasks": int(verdicts["task_id"].nunique()),
        "summary": summary,
        "failures": unexpected.to_dict("records"),
        "figure": {
            "svg": figure,
            "alt": "Bar chart of pass rates: "
            + ", ".join(f"{k} {summary[k]['pass_rate']:.1%}" for k in labels),
            "caption": "Share of HumanEval problems whose candidate passes check(); canonical should be "
            "100%, wrong should be 0%.",
        },
        "sources": sources,
        "config_yaml": yaml.safe_dump(config, sort_keys=True),
        "config_hash": config_hash(config),
        "packages": package_versions(),
        "machine": machine(),
    }


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        summary = read_json(snakemake.input.summary)
        verdicts = pd.read_parquet(snakemake.input.verdicts)
        sources = {"summary": snakemake.input.summary, "verdicts": snakemake.input.verdicts}
        context = build_context(summary, verdicts, snakemake.params.config, sources)
        html = render_report(Path(snakemake.input.index).parent, context)
        Path(snakemake.output.html).parent.mkdir(parents=True, exist_ok=True)
        Path(snakemake.output.html).write_text(html, encoding="utf-8")
        log.info("wrote %s (%d bytes)", snakemake.output.html, len(html.encode()))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
