"""Claims against measurements: every number the seed text asserts, beside what this workflow measured.

Each ``Claim`` quotes one number (or one group of numbers that play one role) of the seed text's
code or analysis section and says what it is: ``measured`` (a measured counterpart exists here),
``analogue`` (measured on this project's small-scale counterpart of what the claim is about),
``setting`` (a hyperparameter, set by this workflow's config instead), ``literature`` (a published
figure, shown as a labelled reference with its source, never as a measurement), or
``not measurable`` (with the reason). Measured values come only from the analysis tables.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from execrl.analysis.tables import BENCHMARK_POPULATIONS

STATUSES = ("measured", "analogue", "setting", "literature", "not measurable")
CLAIM_COLUMNS = {
    "claim": "string: claim id",
    "seed_says": "string: what the seed text asserts",
    "claimed": "string: the number(s) as asserted",
    "status": "string: " + ", ".join(STATUSES),
    "measured_on": "string: the population or run the measurement comes from (empty if none)",
    "measured": "float: the measured counterpart (NaN if none)",
    "low": "float: its 95% interval (NaN if none)",
    "high": "float",
    "source": "string: the result file the value comes from, or the literature source",
    "note": "string: how the number is measured here, or why it cannot be",
}
SINGLE, MULTI_TURN, MULTI_STEP = "policy samples, single-turn", "policy samples, multi-turn", "policy samples, multi-step"
UNDEFINED = "the seed text defines no procedure or scale for it, so no measurement can correspond to it"
NO_DOMAIN = "this project has no {} environment; only code is measured here"


@dataclass(frozen=True)
class Claim:
    claim: str
    seed_says: str
    claimed: str
    status: str
    note: str
    measure: str | None = None  # a key of MEASUREMENTS
    source: str = ""  # for literature rows


CLAIMS: tuple[Claim, ...] = (
    # --- the signal hierarchy (CodeExecutionEnvironment.reward_signal_hierarchy) ---
    Claim("signal.unit_tests.reliability", "unit tests are the most reliable signal", "0.9", "measured",
          "precision of 'passes the visible tests' against correctness on the strongest tier", "precision:visible_pass"),
    Claim("signal.compilation.reliability", "compilation is a highly reliable signal", "0.8", "measured",
          "precision of 'parses' against correctness on the strongest tier", "precision:parses"),
    Claim("signal.runtime_traces.reliability", "runtime traces are moderately reliable", "0.7", "analogue",
          "precision of 'runs' (the module executes and the entry point is callable), the closest execution signal",
          "precision:runs"),
    Claim("signal.weights", "signal weights: unit tests, compilation, runtime traces", "0.6, 0.3, 0.1", "not measurable",
          "a weight is a design choice; how well weighted signals rank programs is measured as the AUC of the "
          "composite below and of the staged process reward (0.1 parses, 0.1 runs, 0.8 tests)"),
    Claim("signal.composite", "reward_signal_quality = 0.3 compiles + 0.3 runs + 0.4 tests pass", "0.3, 0.3, 0.4",
          "measured", "AUC of the seed's composite score as a predictor of correctness", "auc:seed_composite"),
    # --- domains (domain_signal_comparison) ---
    Claim("domain.code.reliability", "code's overall signal reliability", "0.85", "measured",
          "precision of the visible tests, the signal code RL trains on", "precision:visible_pass"),
    Claim("domain.code.immediacy", "code's signal immediacy", "0.9", "not measurable",
          UNDEFINED + "; the sandbox's measured verdict latency is in the sandbox section"),
    Claim("domain.code.objectivity", "code's signal objectivity", "0.95", "not measurable", UNDEFINED),
    Claim("domain.text_generation", "text generation: reliability, immediacy, objectivity", "0.4, 0.3, 0.2",
          "not measurable", NO_DOMAIN.format("text-generation")),
    Claim("domain.search", "search: reliability, immediacy, objectivity", "0.5, 0.6, 0.3", "not measurable",
          NO_DOMAIN.format("search")),
    Claim("domain.math", "math: reliability, immediacy, objectivity", "0.8, 0.7, 0.9", "not measurable",
          NO_DOMAIN.format("math")),
    Claim("domain.score", "overall quality = 0.5 reliability + 0.3 immediacy + 0.2 objectivity; HIGH > 0.7, "
          "MODERATE > 0.5", "0.5, 0.3, 0.2; 0.7, 0.5", "not measurable",
          "a weighting of the unmeasurable scores above; nothing to measure"),
    # --- GRPOPlusTrainer ---
    Claim("grpo_plus.learning_rate", "GRPO+ learning rate", "3e-4", "setting",
          "this workflow's RL learning rate (train.hyperparameters.lr); 2e-4 already lowered test pass@1 in "
          "calibration (README, Training)", "config:lr"),
    Claim("grpo_plus.clip_epsilon", "GRPO+ clip epsilon", "0.2", "literature",
          "DeepCoder's GRPO+ clips asymmetrically (clip-high): eps_low 0.2, eps_high 0.28, as execrl.rl.losses.grpo_plus does",
          source="DeepCoder-14B-Preview (Agentica/Together AI, 2025); rllm"),
    Claim("grpo_plus.entropy_coefficient", "GRPO+ entropy coefficient, decayed x0.95 to at least 0.001",
          "0.01, 0.95, 0.001", "literature",
          "DeepCoder's GRPO+ has no entropy loss; the entropy bonus belongs to the seed's variant (seed_grpo_plus)",
          source="DeepCoder-14B-Preview (Agentica/Together AI, 2025)"),
    Claim("grpo_plus.value_loss_coefficient", "GRPO+ value-loss coefficient", "0.5", "not measurable",
          "GRPO-family methods have no value function, so a value-loss coefficient has nothing to weigh"),
    Claim("grpo_plus.group_size", "typical GRPO group size", "4", "setting",
          "this workflow's samples per task (train.hyperparameters.group_size)", "config:group_size"),
    Claim("grpo_plus.adaptive_clip", "adaptive clip: x1.2 if ratio std < 0.1, x0.8 if > 0.3", "1.2, 0.8; 0.1, 0.3",
          "measured", "implemented in seed_grpo_plus; single-turn visible pass@1 gain over the warm start across "
          "seeds, where the config runs it", "gain:seed_grpo_plus"),
    Claim("grpo_plus.variance_penalty", "reward-variance penalty relu(var(r) - 1) x 0.1 mitigates reward hacking",
          "1.0, 0.1", "measured", "the largest reward variance of any training batch: with rewards in [0, 1] it "
          "cannot exceed 0.25 n/(n - 1) (0.254 for a batch of 64), so relu(var - 1) is always zero", "max_reward_variance"),
    Claim("grpo_plus.mitigates_hacking", "GRPO+ mitigates reward hacking", "(qualitative)", "measured",
          "test-split hacking rate (passes visible, fails hidden) of grpo_plus/outcome, single-turn; the warm "
          "start's is in the paradox table", "hacking:grpo_plus/outcome"),
    # --- complexity progression (ComplexityProgressionAnalyzer, Critical Analysis) ---
    Claim("complexity.single_turn.success", "single-turn success (DeepCoder-14B, LiveCodeBench)", "0.606", "literature",
          "a published figure for a 14B model on LiveCodeBench v5; not comparable with this project's 1M-parameter policy",
          source="DeepCoder-14B-Preview, LiveCodeBench v5 pass@1 60.6%"),
    Claim("complexity.single_turn.measured", "single-turn generation succeeds most often", "0.606", "analogue",
          "hidden-tier success of single-turn episodes at composition depth 1 (the grpo_plus/outcome policy, seeds pooled)",
          "success:single_turn:1"),
    Claim("complexity.multi_turn.success", "multi-turn refinement success, 'estimated from survey methods'", "0.4",
          "analogue", "hidden-tier success of multi-turn episodes at the largest turn budget (same policy)",
          "success:multi_turn:max"),
    Claim("complexity.swe.success", "full SWE task success ('SWE-Bench performance levels')", "0.15", "literature",
          "published SWE-bench Verified figures are 41-42% (SWE-RL, DeepSWE); this project has no repository-level tasks",
          source="SWE-bench Verified: SWE-RL and DeepSWE, 41-42%"),
    Claim("complexity.swe.analogue", "success falls as tasks grow", "0.15", "analogue",
          "hidden-tier success of multi-step episodes at the largest k (same policy)", "success:multi_step:max"),
    Claim("complexity.decay", "success decreases dramatically with complexity", "0.606, 0.4, 0.15", "measured",
          "fitted share of success kept per extra composition step, exp(-rate), single-turn, hidden tier (same policy)",
          "retention:single_turn"),
    Claim("complexity.signal_quality.single_turn", "reward signal quality, single-turn", "0.9", "measured",
          "precision of the visible tests on single-turn policy samples", "precision:visible_pass:" + SINGLE),
    Claim("complexity.signal_quality.multi_turn", "reward signal quality, multi-turn", "0.7", "measured",
          "precision of the visible tests on the final programs of multi-turn episodes",
          "precision:visible_pass:" + MULTI_TURN),
    Claim("complexity.signal_quality.swe", "reward signal quality, full SWE", "0.5", "analogue",
          "precision of the visible tests on multi-step policy samples", "precision:visible_pass:" + MULTI_STEP),
    Claim("complexity.credit_assignment", "credit-assignment difficulty: single-turn, multi-turn, SWE", "0.2, 0.6, 0.9",
          "not measurable", UNDEFINED),
    Claim("complexity.episode_length.single_turn", "typical episode length, single-turn", "1", "measured",
          "turns per single-turn episode: one by construction", "turns:single_turn"),
    Claim("complexity.episode_length.multi_turn", "typical episode length, multi-turn", "5", "measured",
          "mean turns a multi-turn episode takes before its visible tests pass or its budget ends (all policies)",
          "turns:multi_turn"),
    Claim("complexity.episode_length.swe", "typical episode length, full SWE", "50", "not measurable",
          "no repository-level episodes here"),
    Claim("complexity.formulas", "temporal difficulty 1 - 1/(1 + 0.1 L), exploration sqrt(L)/10, bottleneck at L <= 10",
          "0.1, 10, 10", "not measurable", "formulas applied to the asserted episode lengths; they compute no measurement"),
    # --- verification paradox (VerificationParadoxDemo, Critical Analysis) ---
    Claim("paradox.overestimation", "reliable signals create overconfidence in solutions that fail edge cases",
          "(qualitative)", "measured", "overestimation = weak-tier pass rate - strongest-tier pass rate, per population "
          "(paradox table); the severity band is computed from it", "overestimation"),
    Claim("paradox.severity_bands", "severity: severe > 0.4, moderate > 0.2, mild > 0.1", "0.4, 0.2, 0.1", "setting",
          "used as stated, on the measured overestimation (execrl.analysis.paradox.SEVERITY_BANDS)"),
    Claim("paradox.misleading", "the training signal misleads when basic pass rate > 0.8 and edge pass rate < 0.5",
          "0.8, 0.5", "measured", "share of paradox-table populations meeting both conditions", "misleading"),
    Claim("paradox.coverage_threshold", "test coverage threshold", "0.8", "not measurable",
          "the seed's code sets it and never reads it"),
    Claim("paradox.evalplus", "pass rates drop on stronger tests", "(qualitative)", "literature",
          "EvalPlus reports pass@k drops of up to 19.3-28.9% from HumanEval to HumanEval+; this project's "
          "counterpart is the base-versus-plus overestimation of the benchmark mutants",
          source="Liu et al., EvalPlus (NeurIPS 2023)"),
    Claim("paradox.demo", "demo: basic pass 100%, edge pass 50%, overestimation 50% (SEVERE)", "1.0, 0.5, 0.5",
          "not measurable", "an illustration, not a measurement: its edge test expects the string 'error' from a "
          "division, which no implementation returns"),
    Claim("survey.methods", "the survey covers 30+ code agent methods", "30+", "not measurable",
          "a count of the survey's references (arXiv 2509.02547), not a property of execution feedback"),
)

# Numbers of the seed text's code that assert nothing: loop bounds, identities, print formats and
# the demo's test inputs (fibonacci(0) == 0, divide_numbers(10, 2) == 5.0, ...).
NOT_CLAIMS = {0.0: "zero initialisers and demo inputs", 1.0: "identities, demo inputs, reshape sizes",
              2.0: "demo inputs", 3.0: "print formats ('.3f')"}
NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?(?:e-?\d+)?)(?![\w])")


def seed_numbers(seed_text: str) -> set[float]:
    """The numeric literals of the seed text's code block and of its "Critical Analysis" section."""
    start = seed_text.index("```python")
    code = seed_text[start : seed_text.index("```", start + 9)]
    analysis = seed_text[seed_text.index("## Critical Analysis") : seed_text.index("## Survey Method Analysis")]
    return {float(n) for n in NUMBER.findall(code + analysis)}


def uncovered_numbers(seed_text: str) -> set[float]:
    """Numbers of the seed text that no claim quotes (a percentage counts as its fraction) and that
    ``NOT_CLAIMS`` does not explain: empty when the claims table covers the text."""
    claimed = {float(n) for claim in CLAIMS for n in NUMBER.findall(claim.claimed)}
    return {n for n in seed_numbers(seed_text) if n not in claimed and round(n / 100, 6) not in claimed
            and n not in NOT_CLAIMS}


Tables = dict[str, pd.DataFrame]
Row = tuple[str, float, float, float, str]  # measured_on, value, low, high, source


def claims_table(tables: Tables, sources: dict[str, str], config: dict) -> pd.DataFrame:
    """One row per claim (several for a claim measured on several populations); see ``CLAIM_COLUMNS``."""
    rows = []
    for claim in CLAIMS:
        base = {"claim": claim.claim, "seed_says": claim.seed_says, "claimed": claim.claimed, "status": claim.status,
                "note": claim.note}
        measured = _measure(claim.measure, tables, sources, config) if claim.measure else []
        if not measured:
            note = claim.note if not claim.measure else claim.note + " (not measured in this configuration)"
            rows.append({**base, "note": note, "measured_on": "", "measured": float("nan"), "low": float("nan"),
                         "high": float("nan"), "source": claim.source})
        for measured_on, value, low, high, source in measured:
            rows.append({**base, "measured_on": measured_on, "measured": value, "low": low, "high": high, "source": source})
    return pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))


def _measure(key: str, tables: Tables, sources: dict[str, str], config: dict) -> list[Row]:
    kind, _, argument = key.partition(":")
    return MEASUREMENTS[kind](argument, tables, sources, config)


def _signal(metric: str) -> Callable:
    def measure(argument: str, tables: Tables, sources: dict, config: dict) -> list[Row]:
        signal, _, population = argument.partition(":")
        quality = tables["signal_quality"]
        rows = quality[(quality["signal"] == signal) & (quality["metric"] == metric)]
        if population:
            rows = rows[rows["population"] == population]
        else:
            rows = rows[rows["population"].isin([*BENCHMARK_POPULATIONS.values(), SINGLE])]
        return [(r.population, r.value, r.low, r.high, sources["signal_quality"]) for r in rows.itertuples()]
    return measure


def _config(argument: str, tables: Tables, sources: dict, config: dict) -> list[Row]:
    value = float(config["train"]["hyperparameters"][argument])
    return [("this workflow's config", value, float("nan"), float("nan"), "config (train.hyperparameters)")]


def _gain(argument: str, tables: Tables, sources: dict, config: dict) -> list[Row]:
    gains = tables["gains"]
    rows = gains[(gains["method"] == argument) & (gains["mode"] == "single_turn") & (gains["turns"] == 1)
                 & (gains["tier"] == "visible") & (gains["level"] == "all") & (gains["k"] == 1)]
    return [(f"{argument}/{r.reward}, {r.seeds} seeds", r.gain, r.gain_low, r.gain_high, sources["gains"])
            for r in rows.itertuples()]


def _max_reward_variance(argument: str, tables: Tables, sources: dict, config: dict) -> list[Row]:
    largest = float((tables["train_reward_std"]["reward_std"] ** 2).max())
    return [("every training batch of every run", largest, float("nan"), float("nan"), sources["train_reward_std"])]


def _reference_policy(tables: Tables) -> str:
    """The policy the progression claims are read on: grpo_plus/outcome where it ran, else the warm start."""
    policies = set(tables["progression"]["policy"])
    return "grpo_plus/outcome" if "grpo_plus/outcome" in policies else "warm start"


def _hacking(argument: str, tables: Tables, sources: dict, config: dict) -> list[Row]:
    summary = tables["control_summary"]
    method, reward = argument.split("/")
    rows = summary[(summary["method"] == method) & (summary["reward"] == reward) & (summary["metric"] == "hacking_rate")]
    return [(f"{argument}, {r.seeds} seeds (t-interval)", r.mean, r.low, r.high, sources["control_summary"])
            for r in rows.itertuples()]


def _success(argument: str, tables: Tables, sources: dict, config: dict) -> list[Row]:
    mode, _, length = argument.partition(":")
    progression = tables["progression"]
    policy = _reference_policy(tables)
    rows = progression[(progression["policy"] == policy) & (progression["mode"] == mode) & (progression["tier"] == "hidden")]
    if rows.empty:
        return []
    row = rows.loc[rows["length"].idxmax()] if length == "max" else rows[rows["length"] == int(length)].iloc[0]
    return [(f"{policy}, {mode.replace('_', '-')}, length {row['length']}", row["success"], row["low"], row["high"],
             sources["progression"])]


def _retention(argument: str, tables: Tables, sources: dict, config: dict) -> list[Row]:
    fits = tables["decay_fits"]
    policy = _reference_policy(tables)
    rows = fits[(fits["policy"] == policy) & (fits["mode"] == argument) & (fits["tier"] == "hidden")]
    return [(f"{policy}, {argument.replace('_', '-')}", r.retention, math.exp(-r.rate_high), math.exp(-r.rate_low),
             sources["decay_fits"]) for r in rows.itertuples()]


def _turns(argument: str, tables: Tables, sources: dict, config: dict) -> list[Row]:
    turns = tables["turns"]
    rows = turns[turns["mode"] == argument]
    return [(f"{argument.replace('_', '-')} episodes, all policies", r.mean_turns, r.low, r.high, sources["turns"])
            for r in rows.itertuples()]


def _overestimation(argument: str, tables: Tables, sources: dict, config: dict) -> list[Row]:
    table = tables["overestimation"]
    return [(f"{r.population} ({r.weak_tier} vs {r.strong_tier}): {r.severity}", r.overestimation, r.low, r.high,
             sources["overestimation"]) for r in table.itertuples()]


def _misleading(argument: str, tables: Tables, sources: dict, config: dict) -> list[Row]:
    table = tables["overestimation"]
    meets = ((table["weak_pass"] > 0.8) & (table["strong_pass"] < 0.5)).mean()
    return [(f"{len(table)} populations", float(meets), float("nan"), float("nan"), sources["overestimation"])]


MEASUREMENTS: dict[str, Callable] = {
    "precision": _signal("precision"),
    "auc": _signal("auc"),
    "config": _config,
    "gain": _gain,
    "max_reward_variance": _max_reward_variance,
    "hacking": _hacking,
    "success": _success,
    "retention": _retention,
    "turns": _turns,
    "overestimation": _overestimation,
    "misleading": _misleading,
}
