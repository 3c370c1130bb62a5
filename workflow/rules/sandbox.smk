# Stage 2: verdicts on candidate programs.


rule humaneval_canonical:
    """Run each canonical solution, and a wrong `return None` candidate, against HumanEval's check()."""
    input:
        tasks=rules.humaneval_tasks.output.tasks,
    output:
        verdicts=f"{RESULTS}/verdicts/humaneval_canonical.parquet",
        summary=f"{RESULTS}/verdicts/humaneval_canonical_summary.json",
    params:
        timeout_s=config["sandbox"]["timeout_s"],
        code=code("sandbox", "tasks", "verdicts.py", "io.py"),
    log:
        f"{RESULTS}/logs/humaneval_canonical.log",
    benchmark:
        f"{RESULTS}/benchmarks/humaneval_canonical.tsv"
    threads: config["sandbox"]["workers"]
    resources:
        mem_mb=2048,
        runtime=15,
    script:
        "../../scripts/humaneval_canonical.py"
