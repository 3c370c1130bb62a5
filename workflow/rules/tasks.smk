# Stage 1: benchmark problems with their test tiers, code mutants, and the procedural task suite.

BENCHMARKS = ["humaneval", "mbppplus"]


rule humaneval_tasks:
    """HumanEval's problems with their tiers: visible (the prompt's examples), base (the calls check()
    makes, recorded on the canonical solution) and plus (HumanEval+, when the file is present)."""
    input:
        source=humaneval_source(),
        plus=optional_file(config["tasks"]["humaneval_plus"]),
    output:
        tasks=f"{RESULTS}/tasks/humaneval.jsonl",
        limits=f"{RESULTS}/tasks/humaneval_limits.json",
        summary=f"{RESULTS}/tasks/humaneval_summary.json",
    params:
        plus=optional_dataset("humaneval_plus"),
        code=code(*TASK_FILE_CODE),
    log:
        f"{RESULTS}/logs/humaneval_tasks.log",
    benchmark:
        f"{RESULTS}/benchmarks/humaneval_tasks.tsv"
    priority: 10  # the head of the smoke config's longest chain (mutation scores, verdicts, hostile suite)
    threads: SANDBOX_THREADS
    resources:
        mem_mb=8192,
        runtime=20,
    script:
        "../../scripts/humaneval_tasks.py"


rule mbpp_tasks:
    """MBPP+ problems with their tiers: visible (the prompt's assert), base (the original asserts'
    inputs) and plus; an empty task file when MBPP+ is absent."""
    input:
        source=optional_file(config["tasks"]["mbpp_plus"]),
    output:
        tasks=f"{RESULTS}/tasks/mbppplus.jsonl",
        limits=f"{RESULTS}/tasks/mbppplus_limits.json",
        summary=f"{RESULTS}/tasks/mbppplus_summary.json",
    params:
        dataset=optional_dataset("mbpp_plus"),
        max_problems=config["tasks"]["mbpp_max_problems"],
        code=code(*TASK_FILE_CODE),
    log:
        f"{RESULTS}/logs/mbpp_tasks.log",
    benchmark:
        f"{RESULTS}/benchmarks/mbpp_tasks.tsv"
    threads: SANDBOX_THREADS
    resources:
        mem_mb=12288,
        runtime=20,
    script:
        "../../scripts/mbpp_tasks.py"


rule mutants:
    """First-order AST mutants of each canonical solution, a seeded selection spread over operators."""
    input:
        tasks=f"{RESULTS}/tasks/{{benchmark}}.jsonl",
        limits=f"{RESULTS}/tasks/{{benchmark}}_limits.json",
    output:
        mutants=f"{RESULTS}/tasks/{{benchmark}}_mutants.jsonl",
    params:
        per_task=config["tasks"]["mutants_per_task"],
        max_tasks=config["tasks"]["mutant_tasks"],
        seed=config["seed"],
        code=code(*TASK_FILE_CODE, "tasks/mutants.py"),
    wildcard_constraints:
        benchmark="|".join(BENCHMARKS),
    log:
        f"{RESULTS}/logs/mutants_{{benchmark}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/mutants_{{benchmark}}.tsv"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=10,
    script:
        "../../scripts/mutants.py"


rule mutation_scores:
    """Every mutant and reference solution on every tier, in the sandbox; mutation score per tier."""
    input:
        tasks=f"{RESULTS}/tasks/{{benchmark}}.jsonl",
        limits=f"{RESULTS}/tasks/{{benchmark}}_limits.json",
        mutants=rules.mutants.output.mutants,
    output:
        verdicts=f"{RESULTS}/tasks/{{benchmark}}_mutant_verdicts.parquet",
        scores=f"{RESULTS}/tasks/{{benchmark}}_mutation_scores.json",
    params:
        code=code(*SANDBOX_CODE, *TASK_FILE_CODE, "tasks/mutants.py", "tasks/scoring.py", "logs.py"),
    wildcard_constraints:
        benchmark="|".join(BENCHMARKS),
    log:
        f"{RESULTS}/logs/mutation_scores_{{benchmark}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/mutation_scores_{{benchmark}}.tsv"
    threads: SANDBOX_THREADS
    resources:
        mem_mb=8192,
        runtime=60,
    script:
        "../../scripts/mutation_scores.py"


rule procedural_tasks:
    """The seeded procedural suite (single-turn and multi-step variants, splits by composition), and
    how often a plausible shortcut passes the visible tests and fails the hidden ones."""
    output:
        tasks=f"{RESULTS}/tasks/procedural.jsonl",
        summary=f"{RESULTS}/tasks/procedural_summary.json",
    params:
        seed=config["seed"],
        tasks_per_level=config["tasks"]["procedural"]["tasks_per_level"],
        levels=config["tasks"]["procedural"]["levels"],
        split_fractions=config["tasks"]["procedural"]["split_fractions"],
        code=code(*SANDBOX_CODE, "tasks/procedural.py", "io.py"),
    log:
        f"{RESULTS}/logs/procedural_tasks.log",
    benchmark:
        f"{RESULTS}/benchmarks/procedural_tasks.tsv"
    priority: 10  # the head of the longest chain (suite, warm start, RL runs, evaluations)
    threads: config["sandbox"]["workers"]
    resources:
        mem_mb=2048,
        runtime=10,
    script:
        "../../scripts/procedural_tasks.py"
