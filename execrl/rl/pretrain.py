"""Supervised warm start: teach the policy the suite's language before RL (the analogue of
distilling a code model before RL). Cross-entropy on the reference completions of the training
split, prompts as context only; validation loss and greedy exact-match rate on the validation split.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from execrl.policy.model import GPT, GPTConfig, token_logprobs
from execrl.policy.sampling import GPTPolicy, completion_scores
from execrl.policy.tokenizer import Tokenizer
from execrl.tasks.procedural import ProceduralTask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PretrainConfig:
    steps: int = 600
    batch_size: int = 16
    lr: float = 2e-3
    min_lr: float = 2e-4
    warmup_steps: int = 50
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    eval_every: int = 100
    eval_tasks: int = 64  # validation tasks for loss and exact match
    max_new_tokens: int = 160


def lr_at(step: int, config: PretrainConfig) -> float:
    """Linear warm-up, then cosine decay to ``min_lr`` (nanoGPT's schedule)."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    return config.min_lr + 0.5 * (config.lr - config.min_lr) * (1 + math.cos(math.pi * progress))


def examples(policy: GPTPolicy, tasks: Sequence[ProceduralTask]) -> list[tuple[list[int], list[int]]]:
    """(prompt ids, completion ids ending in eos) per task."""
    return [(policy.encode_prompt(t.prompt), policy.encode_completion(t.canonical_solution)) for t in tasks]


def supervised_loss(policy: GPTPolicy, batch: Sequence[tuple[list[int], list[int]]]) -> torch.Tensor:
    """Mean cross-entropy over the completion tokens of ``batch`` (prompts are context only)."""
    (logp,), mask = completion_scores(
        lambda sequences, attention: (token_logprobs(policy.model, sequences, attention),),
        [p for p, _ in batch], [c for _, c in batch], policy.pad_id, policy.device,
    )
    return -logp[mask].mean()


@torch.no_grad()
def exact_match_rate(policy: GPTPolicy, tasks: Sequence[ProceduralTask], max_new_tokens: int, batch_size: int = 32) -> float:
    """Share of tasks whose greedy completion is exactly the reference (a cheap progress signal;
    correctness is the sandbox's job)."""
    hits = 0
    for start in range(0, len(tasks), batch_size):
        chunk = tasks[start : start + batch_size]
        generation = policy.generate([policy.encode_prompt(t.prompt) for t in chunk], max_new_tokens, temperature=0.0)
        hits += sum(policy.decode(c) == t.canonical_solution for c, t in zip(generation.completions, chunk))
    return hits / max(1, len(tasks))


def pretrain(
    policy: GPTPolicy,
    train: Sequence[ProceduralTask],
    validation: Sequence[ProceduralTask],
    config: PretrainConfig,
    seed: int,
    progress: Callable[[int, dict[str, float]], None] | None = None,
) -> list[dict[str, float]]:
    """Train in place; returns one metrics row per evaluation (step, train/validation loss, exact
    match, seconds)."""
    data = examples(policy, train)
    held_out = list(validation[: config.eval_tasks])
    held_out_data = examples(policy, held_out)
    order = random.Random(f"pretrain:{seed}")
    optimizer = torch.optim.AdamW(policy.model.parameters(), lr=config.lr, weight_decay=config.weight_decay, betas=(0.9, 0.95))
    history, running, started = [], [], time.perf_counter()
    policy.model.train()
    for step in range(config.steps):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, config)
        loss = supervised_loss(policy, order.sample(data, min(config.batch_size, len(data))))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.model.parameters(), config.grad_clip)
        optimizer.step()
        running.append(loss.item())
        if (step + 1) % config.eval_every == 0 or step + 1 == config.steps:
            row = {"step": step + 1, "train_loss": sum(running) / len(running), **evaluate(policy, held_out, held_out_data, config),
                   "seconds": time.perf_counter() - started}
            history.append(row)
            running = []
            if progress:
                progress(step + 1, row)
    return history


@torch.no_grad()
def evaluate(policy: GPTPolicy, tasks, data, config: PretrainConfig) -> dict[str, float]:
    policy.model.eval()
    losses = [supervised_loss(policy, data[i : i + config.batch_size]).item() for i in range(0, len(data), config.batch_size)]
    result = {"validation_loss": sum(losses) / max(1, len(losses)),
              "validation_exact_match": exact_match_rate(policy, tasks, config.max_new_tokens)}
    policy.model.train()
    return result


def new_policy(n_layer: int, n_head: int, n_embd: int, block_size: int, seed: int, device: torch.device) -> GPTPolicy:
    tokenizer = Tokenizer()
    config = GPTConfig(vocab_size=tokenizer.vocab_size, n_layer=n_layer, n_head=n_head, n_embd=n_embd, block_size=block_size)
    return GPTPolicy(GPT(config, seed=seed).to(device), tokenizer)
