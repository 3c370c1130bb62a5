# Stage 4: analyses of what the earlier stages wrote: signal quality, complexity progression, the
# verification paradox, and the seed text's claims against the measurements.

ANALYSIS = f"{RESULTS}/analysis"
FIGURES = f"{RESULTS}/figures"
BENCHMARKS = ("humaneval", "mbppplus")
MUTANT_VERDICTS = [f"{RESULTS}/tasks/{benchmark}_mutant_verdicts.parquet" for benchmark in BENCHMARKS]
EVALUATED = [WARM_START, *TRAIN_RUNS]
EPISODES = [f"{RESULTS}/train/{run}/eval_episodes.parquet" for run in EVALUATED]
RUN_METRICS = [f"{RESULTS}/train/{run}/metrics.parquet" for run in TRAIN_RUNS]
ANALYSIS_CODE = ("analysis/__init__.py", "analysis/stats.py", "analysis/tables.py", "analysis/figures.py", "reporting/figures.py",
                 "rl/summary.py", "rl/rewards.py")


rule signal_quality:
    """Precision, recall, false-positive rate and AUC of each execution signal against correctness
    on the strongest tier, on the benchmarks' mutants and on the policies' test samples."""
    input:
        verdicts=MUTANT_VERDICTS,
        episodes=EPISODES,
    output:
        samples=f"{ANALYSIS}/signal_samples.parquet",
        quality=f"{ANALYSIS}/signal_quality.parquet",
        figure=report(f"{FIGURES}/signal_quality.svg", caption="../../report/captions/signal_quality.rst", category="Analyses"),
    params:
        seed=config["seed"],
        code=code(*ANALYSIS_CODE, "analysis/signals.py"),
    log:
        f"{RESULTS}/logs/signal_quality.log",
    benchmark:
        f"{RESULTS}/benchmarks/signal_quality.tsv"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=10,
    script:
        "../../scripts/signal_quality.py"


rule complexity_progression:
    """Success against episode length (composition depth, helper functions, turns), per policy,
    with intervals and a fitted decay."""
    input:
        episodes=EPISODES,
    output:
        progression=f"{ANALYSIS}/progression.parquet",
        fits=f"{ANALYSIS}/decay_fits.parquet",
        turns=f"{ANALYSIS}/turns.parquet",
        figure=report(f"{FIGURES}/progression.svg", caption="../../report/captions/progression.rst", category="Analyses"),
    params:
        seed=config["seed"],
        code=code(*ANALYSIS_CODE, "analysis/progression.py"),
    log:
        f"{RESULTS}/logs/complexity_progression.log",
    benchmark:
        f"{RESULTS}/benchmarks/complexity_progression.tsv"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=10,
    script:
        "../../scripts/complexity_progression.py"


rule verification_paradox:
    """Weak-tier against strong-tier pass rates (benchmarks and policies), reward hacking over
    training steps, and the outcome-versus-strong-reward control."""
    input:
        verdicts=MUTANT_VERDICTS,
        episodes=EPISODES,
        metrics=RUN_METRICS,
    output:
        overestimation=f"{ANALYSIS}/overestimation.parquet",
        hacking=f"{ANALYSIS}/hacking.parquet",
        control=f"{ANALYSIS}/reward_control.parquet",
        control_summary=f"{ANALYSIS}/reward_control_summary.parquet",
        figure=report(f"{FIGURES}/paradox.svg", caption="../../report/captions/paradox.rst", category="Analyses"),
        hacking_figure=report(f"{FIGURES}/hacking.svg", caption="../../report/captions/hacking.rst", category="Analyses"),
    params:
        seed=config["seed"],
        code=code(*ANALYSIS_CODE, "analysis/paradox.py", "analysis/curves.py", "analysis/progression.py", "tasks/tiers.py"),
    log:
        f"{RESULTS}/logs/verification_paradox.log",
    benchmark:
        f"{RESULTS}/benchmarks/verification_paradox.tsv"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=10,
    script:
        "../../scripts/verification_paradox.py"


rule claims:
    """One row per number the seed text asserts, beside its measured counterpart (or why it has none)."""
    input:
        signal_quality=rules.signal_quality.output.quality,
        progression=rules.complexity_progression.output.progression,
        decay_fits=rules.complexity_progression.output.fits,
        turns=rules.complexity_progression.output.turns,
        overestimation=rules.verification_paradox.output.overestimation,
        control_summary=rules.verification_paradox.output.control_summary,
        gains=rules.training_summary.output.gains,
        metrics=RUN_METRICS,
    output:
        claims=f"{ANALYSIS}/claims.parquet",
    params:
        train=config["train"],
        code=code(*ANALYSIS_CODE, "analysis/claims.py"),
    log:
        f"{RESULTS}/logs/claims.log",
    benchmark:
        f"{RESULTS}/benchmarks/claims.tsv"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    script:
        "../../scripts/claims.py"


rule training_curves:
    """Per-step training reward, visible and hidden pass rates and hacking rate of every method and
    reward, and their learning curves on validation tasks, mean and t-interval across seeds."""
    input:
        metrics=RUN_METRICS,
        learning=[f"{RESULTS}/train/{run}/curve.parquet" for run in TRAIN_RUNS],
    output:
        curves=f"{ANALYSIS}/training_curves.parquet",
        figure=report(f"{FIGURES}/training_curves.svg", caption="../../report/captions/training_curves.rst", category="Analyses"),
        learning=f"{ANALYSIS}/learning_curves.parquet",
        learning_figure=report(f"{FIGURES}/learning_curves.svg", caption="../../report/captions/learning_curves.rst",
                               category="Analyses"),
    params:
        code=code(*ANALYSIS_CODE, "analysis/curves.py"),
    log:
        f"{RESULTS}/logs/training_curves.log",
    benchmark:
        f"{RESULTS}/benchmarks/training_curves.tsv"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    script:
        "../../scripts/training_curves.py"
