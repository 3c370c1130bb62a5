"""The RL loop: GRPO-family training of a policy rewarded by the sandbox, CleanRL-style (one loop,
read top to bottom, every hyperparameter named in ``TrainConfig``).

Each step: draw ``tasks_per_step`` training tasks (uniformly, or by the adaptive curriculum of
``execrl.rl.curriculum``), sample a group of ``group_size`` completions per task, judge them on
every tier, turn the reward tier into advantages, then take
``updates_per_step`` optimiser steps on the batch (the first at ratio 1; later ones see the policy
move, which is when clipping bites). DAPO first drops groups whose rewards are all equal and draws
more until the batch is full (or ``dapo_max_draws`` is reached).

Every ``validate_every`` steps the policy is measured on validation tasks: a learning curve.
A checkpoint (model, optimiser, random states, curriculum, metrics and curve so far) is written every
``checkpoint_every`` steps; a run started again resumes from it and ends with the same metrics as an
uninterrupted one. Metrics are deterministic; the seconds spent per phase live in a separate table.
"""

from __future__ import annotations

import copy
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch

from execrl.policy.model import load_checkpoint, save_checkpoint
from execrl.policy.sampling import Policy, in_row_order
from execrl.rl.curriculum import CURRICULA, Curriculum
from execrl.rl.evaluate import EvalConfig, validation_pass
from execrl.rl.losses import (
    ADVANTAGE_ONLY,
    LOSSES,
    SCALE_ADVANTAGES,
    LossInputs,
    group_advantages,
    k3_kl,
    select_informative_groups,
    soft_overlong_penalty,
)
from execrl.rl.rewards import REWARD_KINDS, signed
from execrl.rl.rollout import Rollout, collect
from execrl.sandbox import Sandbox
from execrl.tasks.procedural import ProceduralTask

log = logging.getLogger(__name__)

TIMING_COLUMNS = ("step", "generation_s", "sandbox_s", "update_s", "step_s")


@dataclass(frozen=True)
class TrainConfig:
    method: str  # a key of execrl.rl.losses.LOSSES
    reward: str  # outcome | partial | process | strong
    seed: int = 0
    steps: int = 80
    tasks_per_step: int = 8
    group_size: int = 8
    max_new_tokens: int = 160
    temperature: float = 1.0
    top_p: float = 1.0
    lr: float = 1e-4
    updates_per_step: int = 1
    grad_clip: float = 1.0
    kl_beta: float = 0.04  # grpo's KL coefficient (the other recipes have no KL term)
    overlong_cache: int = 32  # dapo's soft overlong penalty ramps over the last this-many tokens
    dapo_max_draws: int = 4  # dapo's dynamic sampling: batches drawn at most to fill one step
    checkpoint_every: int = 10
    # Recipes without a KL term need no reference pass to update; they log the KL to the warm start
    # (a drift diagnostic) every this many steps and leave it NaN in between.
    kl_every: int = 10
    levels: tuple[int, ...] = (1, 2, 3, 4)  # levels of the training split RL draws tasks from
    curriculum: str = "uniform"  # how each step draws its tasks: execrl.rl.curriculum.CURRICULA
    # A learning curve: hidden-tier pass@1 on the validation tasks before the first step and every
    # this many steps (0: none), on this many tasks per level with this many samples each.
    validate_every: int = 10
    validation_tasks_per_level: int = 16
    validation_samples: int = 4

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(self.levels))
        if self.curriculum not in CURRICULA:
            raise ValueError(f"unknown curriculum {self.curriculum!r}; known: {CURRICULA}")
        if self.method not in LOSSES:
            raise ValueError(f"unknown method {self.method!r}; known: {sorted(LOSSES)}")
        if self.reward not in REWARD_KINDS:
            raise ValueError(f"unknown reward {self.reward!r}; known: {REWARD_KINDS}")


def loss_hyperparameters(config: TrainConfig) -> dict[str, Any]:
    """Each recipe's own knobs; the rest keep the published defaults in ``execrl.rl.losses``."""
    return {"grpo": {"beta": config.kl_beta}, "dr_grpo": {"max_len": config.max_new_tokens}}.get(config.method, {})


def needs_reference(config: TrainConfig) -> bool:
    """Whether the loss itself reads the reference policy's log-probs: a KL penalty (grpo's ``beta``)."""
    return loss_hyperparameters(config).get("beta", 0.0) != 0.0


class TrainResult(NamedTuple):
    metrics: list[dict[str, float]]  # one row per step
    timings: list[dict[str, float]]  # one row per step: seconds per phase
    curve: list[dict[str, float]]  # one row per validation: step, rollouts consumed, pass@1


def train(
    policy: Policy,
    tasks: Sequence[ProceduralTask],
    config: TrainConfig,
    sandbox: Sandbox,
    checkpoint: Path,
    progress: Callable[[int, dict[str, float]], None] | None = None,
    fingerprint: str = "",
    validation: Sequence[ProceduralTask] = (),
) -> TrainResult:
    """Train ``policy`` in place on ``tasks``, measuring it on ``validation`` every
    ``config.validate_every`` steps (``evaluate.validation_pass``).

    ``fingerprint`` names what the run started from (e.g. hashes of the warm start and the tasks):
    a resume point written under another fingerprint or config is stale and is ignored."""
    reference = copy.copy(policy)  # the warm start, frozen: the KL anchor
    reference.model = copy.deepcopy(policy.model).eval().requires_grad_(False)
    optimizer = torch.optim.AdamW(policy.model.parameters(), lr=config.lr, weight_decay=0.0, betas=(0.9, 0.95))
    tasks = [t for t in tasks if t.level in config.levels]
    if len(tasks) < config.tasks_per_step:
        raise ValueError(f"{len(tasks)} training tasks at levels {list(config.levels)}, fewer than tasks_per_step={config.tasks_per_step}")
    picker = random.Random(f"train:{config.method}:{config.reward}:{config.seed}")
    curriculum = Curriculum(tasks, config.curriculum, config.group_size, picker)
    generator = torch.Generator().manual_seed(config.seed)
    metrics: list[dict[str, float]] = []
    timings: list[dict[str, float]] = []
    curve: list[dict[str, float]] = []
    if checkpoint.exists():
        saved = load_checkpoint(checkpoint)
        if _resumable(saved[1], config, fingerprint):
            metrics, timings = _resume(policy, optimizer, picker, generator, saved)
            curriculum.restore(saved[1]["curriculum"])
            # an earlier, shorter run's last point is off the grid of this one
            curve = [p for p in saved[1]["curve"] if p["step"] % max(config.validate_every, 1) == 0]
            log.info("resumed %s at step %d", checkpoint, len(metrics))
        else:
            log.info("ignoring %s: it was written for another config or starting point", checkpoint)

    def validate(step: int) -> None:
        if validation and config.validate_every and (step % config.validate_every == 0 or step == config.steps):
            rollouts = sum(row["draws"] for row in metrics) * config.tasks_per_step * config.group_size
            settings = EvalConfig(samples=config.validation_samples, max_new_tokens=config.max_new_tokens,
                                  tasks_per_level=config.validation_tasks_per_level)
            curve.append({"step": step, "rollouts": rollouts,
                          **validation_pass(policy, sandbox, validation, settings, seed=config.seed)})

    if not curve:
        validate(0)
    for step in range(len(metrics), config.steps):
        started = time.perf_counter()
        batch, draws = _draw_batch(policy, sandbox, curriculum, config, generator)
        rewards = _shaped_rewards(batch, config)
        advantages = group_advantages(rewards, config.group_size, scale=SCALE_ADVANTAGES[config.method])
        update_started = time.perf_counter()
        losses = _update(policy, reference, optimizer, batch, rewards, advantages, config, step)
        ended = time.perf_counter()
        row = {"step": step + 1, "draws": draws, **_batch_metrics(batch, rewards, config), **losses}
        metrics.append(row)
        timings.append({
            "step": step + 1, "generation_s": batch.generation_s, "sandbox_s": batch.sandbox_s,
            "update_s": ended - update_started, "step_s": ended - started,
        })
        validate(step + 1)
        if progress:
            progress(step + 1, row)
        if (step + 1) % config.checkpoint_every == 0 or step + 1 == config.steps:
            _save(policy, optimizer, picker, curriculum, generator, metrics, timings, curve, checkpoint, config,
                  fingerprint)
    return TrainResult(metrics, timings, curve)


def _draw_batch(policy, sandbox, curriculum: Curriculum, config, generator) -> tuple[Rollout, int]:
    def draw() -> Rollout:
        chosen = curriculum.draw(config.tasks_per_step)
        rollout = collect(policy, sandbox, chosen, config.group_size, config.reward, config.max_new_tokens,
                          config.temperature, config.top_p, generator)
        curriculum.observe(chosen, rollout.rewards)
        return rollout

    if config.method != "dapo":
        return draw(), 1

    drawn: list[Rollout] = []

    def groups():
        while True:
            drawn.append(draw())
            size, rollout = config.group_size, drawn[-1]
            yield [_slice(rollout, g * size, (g + 1) * size) for g in range(len(rollout) // size)], torch.tensor(rollout.rewards)

    sample = select_informative_groups(groups(), group_size=config.group_size, target_groups=config.tasks_per_step,
                                       max_draws=config.dapo_max_draws)
    # Nothing informative in any draw: train on the last draw's first group (zero advantage, no update).
    kept = sample.groups or [_slice(drawn[-1], 0, config.group_size)]
    return _concat(kept), sample.draws


def _shaped_rewards(batch: Rollout, config: TrainConfig) -> torch.Tensor:
    rewards = torch.tensor(batch.rewards, dtype=torch.float32)
    if config.method != "dapo":
        return rewards
    lengths = torch.tensor([len(c) for c in batch.completions])
    return torch.tensor([signed(r) for r in batch.rewards]) + soft_overlong_penalty(
        lengths, config.max_new_tokens, config.overlong_cache)


def _update(policy, reference, optimizer, batch: Rollout, rewards, advantages, config: TrainConfig, step: int) -> dict[str, float]:
    ref_logp = None
    if needs_reference(config) or (step + 1) % config.kl_every == 0:
        with torch.no_grad():
            (ref_logp, _), _ = reference.score_completions(batch.prompts, batch.completions, config.temperature)
    truncated = torch.tensor(batch.truncated)
    loss_fn, hyper = LOSSES[config.method], loss_hyperparameters(config)
    needs_gradient = (advantages != 0).tolist() if config.method in ADVANTAGE_ONLY else [True] * len(batch)
    totals: dict[str, float] = {}
    old_logp = None
    for _ in range(config.updates_per_step):
        (logp, entropy), mask = _scores(policy, batch, config.temperature, needs_gradient)
        if old_logp is None:  # the policy that sampled the batch is the one before the first update
            old_logp = logp.detach()
        inputs = LossInputs(logp, old_logp, advantages, mask, ref_logp=ref_logp, rewards=rewards, truncated=truncated,
                            entropies=entropy, step=step)
        output = loss_fn(inputs, **hyper)
        optimizer.zero_grad(set_to_none=True)
        output.loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.model.parameters(), config.grad_clip)
        optimizer.step()
        for key, value in output.metrics.items():
            totals[key] = totals.get(key, 0.0) + value / config.updates_per_step
    keep = ("loss", "clip_frac_low", "clip_frac_high", "kl", "entropy", "ratio_mean", "ratio_std")
    return {key: totals.get(key, float("nan")) for key in keep}  # kl is absent on steps without a reference pass


def _scores(policy: Policy, batch: Rollout, temperature: float, needs_gradient: list[bool]):
    """``policy.score_completions`` of the batch, with a gradient only for the rows that need one:
    the others run forward only, which saves their share of the backward pass (most of an update's
    time). Where no row needs a gradient, all get one, so that the optimiser still steps as before."""
    if all(needs_gradient) or not any(needs_gradient):
        return policy.score_completions(batch.prompts, batch.completions, temperature)
    learning = [row for row, needed in enumerate(needs_gradient) if needed]
    inert = [row for row, needed in enumerate(needs_gradient) if not needed]

    def score(rows: list[int]):
        return policy.score_completions([batch.prompts[r] for r in rows], [batch.completions[r] for r in rows],
                                        temperature)[0]

    with torch.no_grad():
        without_gradient = score(inert)
    device = without_gradient[0].device
    return in_row_order([score(learning), without_gradient], learning + inert, batch.completions, device)


def _batch_metrics(batch: Rollout, rewards: torch.Tensor, config: TrainConfig) -> dict[str, float]:
    visible, hidden = batch.passed("visible"), batch.passed("hidden")
    grouped = rewards.view(-1, config.group_size)
    n = len(batch)
    return {
        "reward_mean": rewards.mean().item(),
        "reward_std": rewards.std().item() if n > 1 else 0.0,
        "zero_std_groups": (grouped.std(dim=1) == 0).float().mean().item(),
        "visible_pass": sum(visible) / n,
        "strong_pass": sum(batch.passed("strong")) / n,
        "hidden_pass": sum(hidden) / n,
        "hacking_rate": sum(v and not h for v, h in zip(visible, hidden)) / n,
        "completion_tokens": sum(len(c) for c in batch.completions) / n,
        "level_mean": sum(task.level for task in batch.tasks) / n,
        "truncation_rate": sum(batch.truncated) / n,
    }


def _slice(rollout: Rollout, start: int, end: int) -> Rollout:
    return Rollout(
        tasks=rollout.tasks[start:end], prompts=rollout.prompts[start:end], completions=rollout.completions[start:end],
        texts=rollout.texts[start:end], truncated=rollout.truncated[start:end],
        verdicts={tier: v[start:end] for tier, v in rollout.verdicts.items()}, rewards=rollout.rewards[start:end],
        generation_s=rollout.generation_s * (end - start) / len(rollout),
        sandbox_s=rollout.sandbox_s * (end - start) / len(rollout),
    )


def _concat(parts: Sequence[Rollout]) -> Rollout:
    return Rollout(
        tasks=[t for p in parts for t in p.tasks], prompts=[x for p in parts for x in p.prompts],
        completions=[x for p in parts for x in p.completions], texts=[x for p in parts for x in p.texts],
        truncated=[x for p in parts for x in p.truncated],
        verdicts={tier: [v for p in parts for v in p.verdicts[tier]] for tier in parts[0].verdicts},
        rewards=[x for p in parts for x in p.rewards],
        generation_s=sum(p.generation_s for p in parts), sandbox_s=sum(p.sandbox_s for p in parts),
    )


def _save(policy, optimizer, picker, curriculum, generator, metrics, timings, curve, path: Path, config: TrainConfig,
          fingerprint: str) -> None:
    extra = {"config": asdict(config), "fingerprint": fingerprint, "metrics": metrics, "timings": timings,
             "curve": curve, "picker_state": _jsonable_state(picker.getstate()), "curriculum": curriculum.state(),
             "generator_state": generator.get_state().tolist()}
    save_checkpoint(path, policy.model, optimizer, extra=extra, tokenizer=policy.tokenizer)


def _resumable(extra: dict[str, Any], config: TrainConfig, fingerprint: str) -> bool:
    """A resume point continues this run only if it was written for the same config (but for the
    number of steps) and the same starting point, and has not run past the end."""
    same_run = {k: v for k, v in extra["config"].items() if k != "steps"} == {k: v for k, v in asdict(config).items() if k != "steps"}
    return same_run and extra.get("fingerprint") == fingerprint and len(extra["metrics"]) <= config.steps


def _resume(policy, optimizer, picker, generator, saved) -> tuple[list, list]:
    model, extra, optimizer_state = saved
    policy.model.load_state_dict(model.state_dict())
    optimizer.load_state_dict(optimizer_state)
    version, internal, gauss = extra["picker_state"]
    picker.setstate((version, tuple(internal), gauss))
    generator.set_state(torch.tensor(extra["generator_state"], dtype=torch.uint8))
    return list(extra["metrics"]), list(extra["timings"])


def _jsonable_state(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def timing_summary(timings: Sequence[dict[str, float]], samples_per_step: int) -> dict[str, float]:
    """Rollouts (judged samples) per second and the share of step time per phase, over a run."""
    total = sum(t["step_s"] for t in timings)
    if not timings or total <= 0:
        raise ValueError("no timed steps to summarise")
    shares = {f"{phase}_share": sum(t[f"{phase}_s"] for t in timings) / total for phase in ("generation", "sandbox", "update")}
    return {"steps": len(timings), "seconds": total, "rollouts_per_second": samples_per_step * len(timings) / total, **shares}
