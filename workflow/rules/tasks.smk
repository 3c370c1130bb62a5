# Stage 1: benchmark problems and their test tiers.


rule humaneval_tasks:
    """HumanEval's 164 problems with their base tier: the calls check() makes, recorded on the
    canonical solution in a trusted process."""
    input:
        source=humaneval_source(),
    output:
        tasks=f"{RESULTS}/tasks/humaneval.jsonl",
    params:
        code=code("tasks", "sandbox/codec.py", "io.py"),
    log:
        f"{RESULTS}/logs/humaneval_tasks.log",
    benchmark:
        f"{RESULTS}/benchmarks/humaneval_tasks.tsv"
    threads: config["sandbox"]["workers"]
    resources:
        mem_mb=2048,
        runtime=10,
    script:
        "../../scripts/humaneval_tasks.py"
