"""Paired A/B of the RL training step in two or more checkouts: rollouts per second, where the time
goes, and whether the runs learn the same. For developers changing the policy or the trainer; the
workflow does not use it.

    python tools/rollout_ab.py [--steps 10] [--rounds 3] [--method grpo_plus] BASELINE_CHECKOUT OTHER_CHECKOUT [...]

Each round runs ``execrl.rl.trainer.train`` (the function the train rule calls) for ``--steps``
steps in every checkout in turn, alternating the order between rounds, each in a process of its own
with that checkout first on its import path, one thread, and one sandbox worker, as the train rule
runs. All start from the same warm start and task file (the workflow's: run
`snakemake --cores 2 results/train/pretrain/policy.pt`) with this checkout's config/config.yaml
training hyperparameters. Printed per checkout: the median rollouts per second (samples over whole
step time, ``trainer.timing_summary``) and seconds per step in generation, sandbox and update; then
the median of the per-round ratios to the baseline, and whether each checkout's metrics table equals
the baseline's (a faster path must not change what is learned).

A checkout from `git worktree add` has no built C extension: build it in place there with
`python -c "from setuptools import setup; setup()" build_ext --inplace`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WARM_START = ROOT / "results" / "train" / "pretrain" / "policy.pt"
TASKS = ROOT / "results" / "tasks" / "procedural.jsonl"

TRAIN = """
import json, sys, tempfile, torch
from pathlib import Path
from execrl.policy.sampling import GPTPolicy
from execrl.rl.trainer import TrainConfig, train, timing_summary
from execrl.sandbox import Sandbox
from execrl.tasks.procedural import read_suite

torch.set_num_threads(1)
warm_start, tasks_file, settings = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
policy, _, _ = GPTPolicy.from_checkpoint(warm_start)
policy.model.train()
tasks = [t for t in read_suite(tasks_file) if t.split == "train"]
config = TrainConfig(**settings)
with Sandbox(workers=1) as sandbox, tempfile.TemporaryDirectory() as scratch:
    metrics, timings = train(policy, tasks, config, sandbox, Path(scratch) / "resume.pt")[:2]
per_step = {phase: sum(t[phase + "_s"] for t in timings) / len(timings) for phase in ("generation", "sandbox", "update")}
summary = timing_summary(timings, config.tasks_per_step * config.group_size)
print(json.dumps({"rollouts_per_second": summary["rollouts_per_second"], "per_step": per_step, "metrics": metrics}))
"""


def run(checkout: Path, settings: dict) -> dict:
    env = {"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0"}
    proc = subprocess.run([sys.executable, "-c", TRAIN, str(WARM_START), str(TASKS), json.dumps(settings)],
                          capture_output=True, text=True, env=env, cwd=checkout)
    if proc.returncode != 0:
        raise SystemExit(f"{checkout}: training failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.splitlines()[-1])


def same_metrics(a: list[dict], b: list[dict]) -> bool:
    """Equal tables on the columns both have (a checkout may log more), NaN equal to NaN (the KL
    column is NaN on steps without a reference pass)."""
    common = set(a[0]) & set(b[0])

    def shown(rows):
        return json.dumps([{k: row[k] for k in sorted(common)} for row in rows])

    return len(a) == len(b) and shown(a) == shown(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", nargs="+", type=Path)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--method", default="grpo_plus")
    parser.add_argument("--reward", default="outcome")
    args = parser.parse_args()
    for path in (WARM_START, TASKS):
        if not path.exists():
            raise SystemExit(f"{path} is missing: run `snakemake --cores 2 results/train/pretrain/policy.pt`")
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    settings = {**config["train"]["hyperparameters"], "steps": args.steps, "method": args.method, "reward": args.reward}
    results: dict[Path, list[dict]] = {checkout: [] for checkout in args.checkouts}
    for round_ in range(args.rounds):
        order = args.checkouts if round_ % 2 == 0 else args.checkouts[::-1]
        for checkout in order:
            results[checkout].append(run(checkout, settings))
    baseline = results[args.checkouts[0]]
    for checkout, runs in results.items():
        rate = statistics.median(r["rollouts_per_second"] for r in runs)
        phases = {p: statistics.median(r["per_step"][p] for r in runs) for p in ("generation", "sandbox", "update")}
        ratios = [r["rollouts_per_second"] / b["rollouts_per_second"] for r, b in zip(runs, baseline)]
        same = all(same_metrics(r["metrics"], b["metrics"]) for r, b in zip(runs, baseline))
        print(f"{checkout}: {rate:.1f} rollouts/s; per step: generation {phases['generation']:.2f} s, sandbox "
              f"{phases['sandbox']:.2f} s, update {phases['update']:.2f} s; vs the first: x{statistics.median(ratios):.2f} "
              f"({min(ratios):.2f}-{max(ratios):.2f}); metrics identical to the first's: {same}")


if __name__ == "__main__":
    main()
