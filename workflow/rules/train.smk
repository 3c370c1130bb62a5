# Stage 3: the policy: supervised warm start, GRPO-family runs (method x reward x seed), evaluation.

from execrl.rl.summary import WARM_START, run_name

# The run directories under results/train/: one per (method, reward, seed) of the config.
TRAIN_RUNS = [run_name(run["method"], run["reward"], seed) for run in config["train"]["runs"] for seed in config["train"]["seeds"]]
RUN_DIR = f"{RESULTS}/train/{run_name('{method}', '{reward}', '{seed}')}"
POLICY_CODE = ("policy", "tasks/procedural.py", "io.py", "logs.py")
# The rules that run the policy ask a cluster for a GPU when the config names one (device: cuda).
POLICY_GPUS = 1 if config["policy"]["device"] == "cuda" else 0


rule pretrain:
    """Supervised warm start on the training split of the procedural suite."""
    input:
        tasks=rules.procedural_tasks.output.tasks,
    output:
        checkpoint=f"{RESULTS}/train/{WARM_START}/policy.pt",
        metrics=f"{RESULTS}/train/{WARM_START}/metrics.parquet",
        timings=f"{RESULTS}/train/{WARM_START}/timings.json",
    params:
        seed=config["seed"],
        device=config["policy"]["device"],
        policy={k: config["policy"][k] for k in ("n_layer", "n_head", "n_embd", "block_size")},
        pretrain=config["pretrain"],
        code=code(*POLICY_CODE, "rl/pretrain.py"),
    log:
        f"{RESULTS}/logs/pretrain.log",
    benchmark:
        f"{RESULTS}/benchmarks/pretrain.tsv"
    priority: 10  # the head of the longest chain (warm start, RL runs, evaluations): start it first
    threads: 1
    resources:
        mem_mb=4096,
        runtime=30,
        gpu=POLICY_GPUS,
    script:
        "../../scripts/pretrain.py"


rule train:
    """One RL run from the warm start; resumes from results/train/RUN/resume.pt if interrupted."""
    input:
        tasks=rules.procedural_tasks.output.tasks,
        warm_start=rules.pretrain.output.checkpoint,
    output:
        metrics=f"{RUN_DIR}/metrics.parquet",
        timings=f"{RUN_DIR}/timings.parquet",
        curve=f"{RUN_DIR}/curve.parquet",
        policy=f"{RUN_DIR}/policy.pt",
    params:
        train=config["train"]["hyperparameters"],
        device=config["policy"]["device"],
        resume=f"{RUN_DIR}/resume.pt",  # not an output: Snakemake must not delete it before a rerun
        sandbox_workers=1,
        code=code(*SANDBOX_CODE, *POLICY_CODE, "rl"),
    wildcard_constraints:
        seed=r"\d+",
    log:
        f"{RESULTS}/logs/train/{{method}}-{{reward}}-s{{seed}}.log",
        f"{RESULTS}/logs/train/{{method}}-{{reward}}-s{{seed}}.progress",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{method}}-{{reward}}-s{{seed}}.tsv"
    priority: 5
    threads: 1
    resources:
        mem_mb=4096,
        runtime=30,
        gpu=POLICY_GPUS,
    script:
        "../../scripts/train.py"


rule evaluate:
    """A policy (the warm start, or a trained run) on the test split."""
    input:
        tasks=rules.procedural_tasks.output.tasks,
        policy=f"{RESULTS}/train/{{run}}/policy.pt",  # the warm start's, or a trained run's final policy
    output:
        episodes=f"{RESULTS}/train/{{run}}/eval_episodes.parquet",
        summary=f"{RESULTS}/train/{{run}}/eval_summary.parquet",
    params:
        seed=config["seed"],
        device=config["policy"]["device"],
        evaluate=config["evaluate"],
        sandbox_workers=1,
        code=code(*SANDBOX_CODE, *POLICY_CODE, "rl/evaluate.py", "rl/rollout.py", "rl/rewards.py"),
    log:
        f"{RESULTS}/logs/evaluate/{{run}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluate/{{run}}.tsv"
    threads: 1
    resources:
        mem_mb=4096,
        runtime=20,
        gpu=POLICY_GPUS,
    script:
        "../../scripts/evaluate.py"


rule training_summary:
    """Each run's test pass@k beside the warm start's; the gain per method and reward across seeds,
    and single-turn gains paired per task with an interval over seeds and tasks."""
    input:
        summaries=[f"{RESULTS}/train/{run}/eval_summary.parquet" for run in [WARM_START, *TRAIN_RUNS]],
        episodes=[f"{RESULTS}/train/{run}/eval_episodes.parquet" for run in [WARM_START, *TRAIN_RUNS]],
    output:
        passes=f"{RESULTS}/train/passes.parquet",
        gains=f"{RESULTS}/train/gains.parquet",
        task_gains=f"{RESULTS}/train/task_gains.parquet",
    params:
        seed=config["seed"],
        code=code("rl/summary.py", "analysis/stats.py"),
    log:
        f"{RESULTS}/logs/training_summary.log",
    benchmark:
        f"{RESULTS}/benchmarks/training_summary.tsv"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    script:
        "../../scripts/training_summary.py"


rule train_benchmark:
    """Rollouts per second and the share of step time in generation, sandbox and update, per run."""
    input:
        timings=[f"{RESULTS}/train/{run}/timings.parquet" for run in TRAIN_RUNS],
    output:
        summary=f"{RESULTS}/train/benchmark.json",
    params:
        tasks_per_step=config["train"]["hyperparameters"]["tasks_per_step"],
        group_size=config["train"]["hyperparameters"]["group_size"],
        code=code("rl"),
    log:
        f"{RESULTS}/logs/train_benchmark.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_benchmark.tsv"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    script:
        "../../scripts/train_benchmark.py"
