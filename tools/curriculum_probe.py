"""Probe of the task draw, outside the workflow: GRPO+ runs from the workflow's warm start with the
uniform draw (over levels 1-2, the default) and the adaptive curriculum (over levels 1-4), per seed,
each with its learning curve on validation tasks. For developers changing execrl.rl.curriculum.

    python tools/curriculum_probe.py [--steps 80] [--seeds 0 1]

Prints one JSON line per run: the share of groups whose rewards were all equal (over the run and
per quarter), the mean level drawn every tenth step, and the validation curve (hidden-tier pass@1
on 16 validation tasks per level, 4 samples each, every 20 steps). Reads results/ (run
`snakemake --cores 2 results/train/pretrain/policy.pt`). One thread, one sandbox worker, as the
train rule runs.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch

from execrl.policy.sampling import GPTPolicy
from execrl.rl.trainer import TrainConfig, train
from execrl.sandbox import Sandbox
from execrl.tasks.procedural import read_suite

ROOT = Path(__file__).resolve().parents[1]
DRAWS = {"uniform": (1, 2), "adaptive": (1, 2, 3, 4)}  # curriculum: levels it draws from


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    torch.set_num_threads(1)
    suite = read_suite(ROOT / "results" / "tasks" / "procedural.jsonl")
    tasks = [t for t in suite if t.split == "train"]
    validation = [t for t in suite if t.split == "validation"]
    for seed in args.seeds:
        for curriculum, levels in DRAWS.items():
            policy, _, _ = GPTPolicy.from_checkpoint(ROOT / "results" / "train" / "pretrain" / "policy.pt")
            policy.model.train()
            config = TrainConfig(method="grpo_plus", reward="outcome", seed=seed, steps=args.steps, levels=levels,
                                 curriculum=curriculum, validate_every=20)
            with Sandbox(workers=1) as sandbox, tempfile.TemporaryDirectory() as scratch:
                result = train(policy, tasks, config, sandbox, Path(scratch) / "resume.pt", validation=validation)
            equal = [row["zero_std_groups"] for row in result.metrics]
            quarter = max(1, len(equal) // 4)
            print(json.dumps({
                "seed": seed, "curriculum": curriculum, "all_equal_groups": round(sum(equal) / len(equal), 3),
                "by_quarter": [round(sum(equal[i:i + quarter]) / len(equal[i:i + quarter]), 3)
                               for i in range(0, len(equal), quarter)],
                "mean_level_drawn": [round(row["level_mean"], 2) for row in result.metrics[::10]],
                "validation_pass_at_1": [round(point["hidden_pass_at_1"], 3) for point in result.curve],
            }), flush=True)


if __name__ == "__main__":
    main()
