"""Rollouts: a batch of tasks times a group of G samples, each judged by the sandbox.

Every sample is judged on the three tiers of its procedural task, in one sandbox job: the reward
reads the visible tier (or the strong tier for the ``strong`` reward); the hidden tier only measures
correctness, and so reward hacking (passes visible, fails hidden). Samples of one task are
contiguous (a group).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from execrl.policy.sampling import Policy
from execrl.rl.rewards import REWARD_TIER, reward_of
from execrl.sandbox import Sandbox, Verdict
from execrl.tasks.procedural import TIERS, ProceduralTask
from execrl.tasks.procedural import judge as judge_tiers


@dataclass
class Rollout:
    """One batch of samples, group-contiguous: sample ``i`` answers ``tasks[i]``."""

    tasks: list[ProceduralTask]
    prompts: list[list[int]]
    completions: list[list[int]]  # token ids, eos included unless truncated
    texts: list[str]
    truncated: list[bool]
    verdicts: dict[str, list[Verdict]]  # tier -> one verdict per sample
    rewards: list[float]  # in [0, 1], of the configured reward kind
    generation_s: float
    sandbox_s: float

    def passed(self, tier: str) -> list[bool]:
        return [v.passed for v in self.verdicts[tier]]

    def __len__(self) -> int:
        return len(self.tasks)


def collect(
    policy: Policy,
    sandbox: Sandbox,
    tasks: Sequence[ProceduralTask],
    group_size: int,
    reward_kind: str,
    max_new_tokens: int,
    temperature: float,
    top_p: float,
    generator: torch.Generator,
) -> Rollout:
    """Sample ``group_size`` completions per task, judge them on every tier, and reward them."""
    repeated = [task for task in tasks for _ in range(group_size)]
    started = time.perf_counter()
    prompts = [policy.encode_prompt(task.prompt) for task in repeated]
    generation = policy.generate(prompts, max_new_tokens, temperature=temperature, top_p=top_p, generator=generator)
    texts = [policy.decode(ids) for ids in generation.completions]
    generated = time.perf_counter()
    verdicts = judge(sandbox, repeated, texts)
    judged = time.perf_counter()
    tier = REWARD_TIER[reward_kind]
    return Rollout(
        tasks=repeated,
        prompts=prompts,
        completions=generation.completions,
        texts=texts,
        truncated=generation.truncated,
        verdicts=verdicts,
        rewards=[reward_of(reward_kind, v) for v in verdicts[tier]],
        generation_s=generated - started,
        sandbox_s=judged - generated,
    )


def judge(sandbox: Sandbox, tasks: Sequence[ProceduralTask], completions: Sequence[str]) -> dict[str, list[Verdict]]:
    """Each completion on each tier of its task (one sandbox job per completion), in one parallel
    ``run_many``: tier -> one verdict per completion."""
    judgements = judge_tiers(sandbox, tasks, completions)
    return {tier: [getattr(j, tier) for j in judgements] for tier in TIERS}
