"""Batched, KV-cached sampling, the batch layout the RL losses read, and the policy interface.

Determinism: every random draw comes from the ``torch.Generator`` the caller passes (one uniform
number per row per step, drawn even for rows that have finished), and a token is chosen by inverting
the cumulative distribution of the probabilities sorted in decreasing order. The same generator seed
therefore gives the same completions on every run, and the same uniforms whatever the temperature or
top-p, so settings can be compared on common random numbers. Temperature 0 is greedy (argmax) and
draws nothing.

Layout (see also ``execrl.policy.model``): prompts are left-padded to the longest, so every row's
next token goes in the same column; completions follow and are right-padded. ``pack_batch`` rebuilds
this layout from token lists for the log-prob pass, and the model derives positions from the
attention mask, so the padding never changes a row's numbers.

A completion ends with ``eos_id`` unless it was truncated at ``max_new_tokens``; the eos token is part
of the completion because it is an action the policy took (and must learn to take).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import Tensor

from execrl.policy.model import (
    GPT,
    KVCache,
    load_checkpoint,
    prompt_group_scores,
    token_logprobs,
    token_logprobs_and_entropy,
)
from execrl.policy.tokenizer import EOS_ID, PAD_ID, Tokenizer

logger = logging.getLogger(__name__)

# (new tokens [B, t], attention mask over everything so far [B, S]) -> next-token logits [B, vocab]
StepFn = Callable[[Tensor, Tensor], Tensor]


@dataclass(frozen=True)
class Generation:
    """Sampled completions (token ids, ending with eos unless truncated) and, per row, whether it hit
    ``max_new_tokens`` without emitting eos (what overlong filtering keys on)."""

    completions: list[list[int]]
    truncated: list[bool]


@dataclass(frozen=True)
class PackedBatch:
    """Prompts and completions in one padded tensor: ``[pad.. prompt | completion ..pad]``.

    ``completion_mask`` marks completion tokens (eos included) over ``sequences``; log-probs from
    ``token_logprobs`` align with ``completion_mask[:, 1:]`` (``loss_mask``).
    """

    sequences: Tensor  # [B, T] long
    attention_mask: Tensor  # [B, T] long, 1 = real token
    completion_mask: Tensor  # [B, T] bool
    prompt_width: int  # the column where completions start

    @property
    def loss_mask(self) -> Tensor:
        """``[B, T-1]`` bool, aligned with ``token_logprobs`` output: the completion's tokens."""
        return self.completion_mask[:, 1:]


def pack_batch(
    prompts: Sequence[Sequence[int]],
    completions: Sequence[Sequence[int]],
    pad_id: int = PAD_ID,
    device: torch.device | str = "cpu",
) -> PackedBatch:
    """The layout ``generate`` samples in: prompts left-padded to the longest, completions after them,
    right-padded to the longest."""
    if len(prompts) != len(completions) or not prompts:
        raise ValueError(f"need equally many prompts and completions, got {len(prompts)} and {len(completions)}")
    if any(len(p) == 0 for p in prompts):
        raise ValueError("every prompt needs at least one token (e.g. <bos>)")
    width = max(len(p) for p in prompts)
    total = width + max(len(c) for c in completions)
    sequences = torch.full((len(prompts), total), pad_id, dtype=torch.long)
    attention = torch.zeros((len(prompts), total), dtype=torch.long)
    completion_mask = torch.zeros((len(prompts), total), dtype=torch.bool)
    for row, (prompt, completion) in enumerate(zip(prompts, completions)):
        start, end = width - len(prompt), width + len(completion)
        sequences[row, start:width] = torch.as_tensor(list(prompt), dtype=torch.long)
        sequences[row, width:end] = torch.as_tensor(list(completion), dtype=torch.long)
        attention[row, start:end] = 1
        completion_mask[row, width:end] = True
    return PackedBatch(sequences.to(device), attention.to(device), completion_mask.to(device), width)


def completion_scores(
    score: Callable[[Tensor, Tensor], tuple[Tensor, ...]],
    prompts: Sequence[Sequence[int]],
    completions: Sequence[Sequence[int]],
    pad_id: int = PAD_ID,
    device: torch.device | str = "cpu",
    rows_per_chunk: int = 8,
) -> tuple[tuple[Tensor, ...], Tensor]:
    """Per-token scores of each completion, ``[B, L]`` with ``L`` the longest completion, and the
    ``[B, L]`` mask of real completion tokens.

    ``score(sequences, attention_mask)`` maps a ``pack_batch`` layout to ``[b, T-1]`` tensors aligned
    like ``token_logprobs`` (e.g. log-probs and entropies). Rows are scored in chunks of similar
    length, so a batch mixing short and long prompts is not padded to the longest of both: on the
    procedural suite this halves the tokens of an RL update. Gradients flow through the result."""
    if len(prompts) != len(completions) or not prompts:
        raise ValueError(f"need equally many prompts and completions, got {len(prompts)} and {len(completions)}")
    order = sorted(range(len(prompts)), key=lambda i: (len(prompts[i]), len(completions[i])))
    chunks: list[tuple[Tensor, ...]] = []
    for start in range(0, len(order), rows_per_chunk):
        rows = order[start : start + rows_per_chunk]
        packed = pack_batch([prompts[i] for i in rows], [completions[i] for i in rows], pad_id, device)
        chunks.append(tuple(t[:, packed.prompt_width - 1 :] for t in score(packed.sequences, packed.attention_mask)))
    return in_row_order(chunks, order, completions, device)


def in_row_order(
    chunks: Sequence[tuple[Tensor, ...]], order: Sequence[int], completions: Sequence[Sequence[int]],
    device: torch.device | str,
) -> tuple[tuple[Tensor, ...], Tensor]:
    """Per-chunk scores (each ``[b, l]``, column t for completion token t; the chunks hold the rows
    ``order`` lists, in that order) as ``[B, L]`` tensors in the original row order, L the longest
    completion, and the ``[B, L]`` mask of real completion tokens."""
    longest = max(len(c) for c in completions)
    padded = [tuple(torch.nn.functional.pad(t, (0, longest - t.shape[1])) for t in chunk) for chunk in chunks]
    restore = torch.argsort(torch.tensor(order, device=device))  # sorted position of each original row
    scores = tuple(torch.cat(column).index_select(0, restore) for column in zip(*padded))
    lengths = torch.tensor([len(c) for c in completions], device=device)
    return scores, torch.arange(longest, device=device)[None, :] < lengths[:, None]


def sample_next_token(logits: Tensor, temperature: float, top_p: float, generator: torch.Generator | None) -> Tensor:
    """One token per row of ``logits`` ``[B, vocab]``: argmax when ``temperature`` is 0, else a draw
    from softmax(logits / temperature) restricted to the smallest set of most likely tokens whose
    mass reaches ``top_p`` (the most likely token is always kept, so a tiny top_p is greedy)."""
    check_sampling_args(temperature, top_p, generator)
    uniform = None
    if temperature > 0:
        uniform = torch.rand((logits.shape[0], 1), generator=generator, device=generator.device).to(logits.device)
    return choose_token(logits, temperature, top_p, uniform)


def check_generation_args(prompts: Sequence[Sequence[int]], max_new_tokens: int, temperature: float, top_p: float,
                          generator: torch.Generator | None) -> None:
    """What every generation path refuses: an empty prompt, no token budget, bad sampling settings."""
    if any(len(p) == 0 for p in prompts):
        raise ValueError("every prompt needs at least one token (e.g. <bos>)")
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    check_sampling_args(temperature, top_p, generator)


def check_sampling_args(temperature: float, top_p: float, generator: torch.Generator | None) -> None:
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")
    if temperature > 0 and generator is None:
        raise ValueError("sampling needs a seeded torch.Generator (temperature 0 is greedy and needs none)")


def choose_token(logits: Tensor, temperature: float, top_p: float, uniform: Tensor | None) -> Tensor:
    """``sample_next_token``'s choice given its uniform numbers ``[B, 1]`` (None when greedy): the
    inverse of the cumulative distribution of the probabilities sorted in decreasing order."""
    if temperature == 0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    sorted_probs, order = probs.sort(dim=-1, descending=True, stable=True)
    if top_p < 1.0:
        mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs
        sorted_probs = sorted_probs.masked_fill(mass_before >= top_p, 0.0)
    cdf = sorted_probs.cumsum(dim=-1)
    choice = torch.searchsorted(cdf, uniform * cdf[:, -1:]).clamp(max=logits.shape[-1] - 1)
    return order.gather(-1, choice).squeeze(-1)


def split_at_eos(rows: list[list[int]], eos_id: int) -> Generation:
    """Each generated row up to and including its first eos, and whether it was cut off without one."""
    completions, truncated = [], []
    for row in rows:
        if eos_id in row:
            completions.append(row[:row.index(eos_id) + 1])
            truncated.append(False)
        else:
            completions.append(row)
            truncated.append(True)
    return Generation(completions, truncated)


def decode_loop(
    step: StepFn,
    prompts: Sequence[Sequence[int]],
    max_new_tokens: int,
    *,
    temperature: float,
    top_p: float,
    generator: torch.Generator | None,
    eos_id: int,
    pad_id: int,
    device: torch.device,
) -> Generation:
    """The sampling loop shared by every backend; ``step`` runs the model (cached or not)."""
    check_generation_args(prompts, max_new_tokens, temperature, top_p, generator)
    if not prompts:
        return Generation([], [])
    batch, width = len(prompts), max(len(p) for p in prompts)
    tokens = torch.full((batch, width + max_new_tokens), pad_id, dtype=torch.long, device=device)
    mask = torch.zeros_like(tokens)
    for row, prompt in enumerate(prompts):
        tokens[row, width - len(prompt):width] = torch.as_tensor(list(prompt), dtype=torch.long)
        mask[row, width - len(prompt):width] = 1
    finished = torch.zeros(batch, dtype=torch.bool, device=device)
    logits = step(tokens[:, :width], mask[:, :width])
    produced = 0
    for t in range(max_new_tokens):
        column = width + t
        token = sample_next_token(logits, temperature, top_p, generator)
        tokens[:, column] = token.masked_fill(finished, pad_id)
        mask[:, column] = (~finished).long()
        finished |= token == eos_id
        produced = t + 1
        if bool(finished.all()) or produced == max_new_tokens:
            break
        logits = step(tokens[:, column:column + 1], mask[:, :column + 1])
    return split_at_eos(tokens[:, width:width + produced].tolist(), eos_id)


@torch.inference_mode()
def generate(
    model: GPT,
    prompts: Sequence[Sequence[int]],
    max_new_tokens: int,
    temperature: float = 1.0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
    eos_id: int = EOS_ID,
    pad_id: int = PAD_ID,
    use_cache: bool = True,
) -> Generation:
    """Sample up to ``max_new_tokens`` after each prompt (token ids, e.g. ``Tokenizer.encode_prompt``).

    ``use_cache=False`` recomputes the whole prefix at every step: slow, kept as the reference the
    KV-cached path is tested against. The model runs in eval mode (no dropout) and is put back in
    the mode it was in.
    """
    width = check_fits(model, prompts, max_new_tokens)
    device = model.device
    if use_cache:
        cache = KVCache.allocate(
            model.config, len(prompts), width + max_new_tokens, device, model.wte.weight.dtype
        )

        def step(new_tokens: Tensor, mask: Tensor) -> Tensor:
            if cache.length == 0:
                return prefill_once_per_prompt(model, cache, new_tokens, mask)
            return model(new_tokens, attention_mask=mask, cache=cache)[:, -1]
    else:
        seen: list[Tensor] = []

        def step(new_tokens: Tensor, mask: Tensor) -> Tensor:
            seen.append(new_tokens)
            return model(torch.cat(seen, dim=1), attention_mask=mask)[:, -1]

    was_training = model.training
    model.eval()
    try:
        return decode_loop(
            step, prompts, max_new_tokens, temperature=temperature, top_p=top_p, generator=generator,
            eos_id=eos_id, pad_id=pad_id, device=device,
        )
    finally:
        model.train(was_training)


def check_fits(model: GPT, prompts: Sequence[Sequence[int]], max_new_tokens: int) -> int:
    """The longest prompt's length, once it is known that it and ``max_new_tokens`` fit the model."""
    width = max((len(p) for p in prompts), default=0)
    if width + max_new_tokens > model.config.block_size:
        raise ValueError(
            f"the longest prompt ({width} tokens) plus max_new_tokens ({max_new_tokens}) exceeds "
            f"block_size {model.config.block_size}"
        )
    return width


def prefill_once_per_prompt(model: GPT, cache: KVCache, tokens: Tensor, mask: Tensor) -> Tensor:
    """Fill ``cache`` with the prompts ``tokens`` and return each row's next-token logits, running
    each distinct prompt once: an RL group repeats one prompt G times, and the prompt pass is most
    of a rollout's compute."""
    distinct, row_of = torch.unique(torch.cat([tokens, mask], dim=1), dim=0, return_inverse=True)
    width = tokens.shape[1]
    once = KVCache.allocate(model.config, len(distinct), width, tokens.device, cache.keys[0].dtype)
    logits = model(distinct[:, :width], attention_mask=distinct[:, width:], cache=once)[:, -1]
    for layer in range(model.config.n_layer):
        cache.keys[layer][:, :, :width] = once.keys[layer].index_select(0, row_of)
        cache.values[layer][:, :, :width] = once.values[layer].index_select(0, row_of)
    cache.length = width
    return logits.index_select(0, row_of)


# --- the policy interface ------------------------------------------------------------------------


class Policy(Protocol):
    """What the RL trainer needs from a policy, whichever backend (``GPTPolicy``, ``hf.HFPolicy``).
    ``model`` is the ``torch.nn.Module`` whose parameters are trained."""

    model: torch.nn.Module

    @property
    def eos_id(self) -> int: ...

    @property
    def pad_id(self) -> int: ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> str: ...

    def encode_prompt(self, prompt: str) -> list[int]: ...

    def encode_completion(self, completion: str) -> list[int]: ...

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        max_new_tokens: int,
        temperature: float = 1.0,
        top_p: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> Generation: ...

    def token_logprobs(
        self, sequences: Tensor, attention_mask: Tensor | None = None, temperature: float = 1.0
    ) -> Tensor: ...

    def token_logprobs_and_entropy(
        self, sequences: Tensor, attention_mask: Tensor | None = None, temperature: float = 1.0
    ) -> tuple[Tensor, Tensor]: ...

    def score_completions(
        self, prompts: Sequence[Sequence[int]], completions: Sequence[Sequence[int]], temperature: float = 1.0
    ) -> tuple[tuple[Tensor, Tensor], Tensor]:
        """``((logp, entropy), mask)``, each ``[B, L]``: what the RL update reads (``completion_scores``)."""
        ...


@dataclass(eq=False)
class GPTPolicy:
    """The default policy: a ``GPT`` and the fixed ``Tokenizer``, behind the ``Policy`` interface."""

    model: GPT
    tokenizer: Tokenizer = field(default_factory=Tokenizer)

    def __post_init__(self) -> None:
        if self.tokenizer.vocab_size != self.model.config.vocab_size:
            raise ValueError(
                f"the tokenizer has {self.tokenizer.vocab_size} ids but the model {self.model.config.vocab_size}"
            )

    @classmethod
    def from_checkpoint(
        cls, path: str | Path, map_location: str | torch.device = "cpu"
    ) -> tuple[GPTPolicy, dict[str, Any], dict[str, Any] | None]:
        """``(policy, extra, optimizer_state)`` from ``save_checkpoint``'s file."""
        model, extra, optimizer_state = load_checkpoint(path, map_location)
        return cls(model), extra, optimizer_state

    @property
    def eos_id(self) -> int:
        return self.tokenizer.eos_id

    @property
    def pad_id(self) -> int:
        return self.tokenizer.pad_id

    @property
    def device(self) -> torch.device:
        return self.model.device

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text)

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(ids)

    def encode_prompt(self, prompt: str) -> list[int]:
        return self.tokenizer.encode_prompt(prompt)

    def encode_completion(self, completion: str) -> list[int]:
        return self.tokenizer.encode_completion(completion)

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        max_new_tokens: int,
        temperature: float = 1.0,
        top_p: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> Generation:
        """``generate``'s completions by the path for RL batches (``execrl.policy.grouped``)."""
        from execrl.policy.grouped import generate_grouped  # it builds on this module

        return generate_grouped(self.model, prompts, max_new_tokens, temperature, top_p, generator,
                                eos_id=self.eos_id, pad_id=self.pad_id)

    def token_logprobs(
        self, sequences: Tensor, attention_mask: Tensor | None = None, temperature: float = 1.0
    ) -> Tensor:
        return token_logprobs(self.model, sequences, attention_mask, temperature)

    def token_logprobs_and_entropy(
        self, sequences: Tensor, attention_mask: Tensor | None = None, temperature: float = 1.0
    ) -> tuple[Tensor, Tensor]:
        return token_logprobs_and_entropy(self.model, sequences, attention_mask, temperature)

    def score_completions(
        self, prompts: Sequence[Sequence[int]], completions: Sequence[Sequence[int]], temperature: float = 1.0
    ) -> tuple[tuple[Tensor, Tensor], Tensor]:
        """Like ``completion_scores`` with ``token_logprobs_and_entropy``, but the rows that share a
        prompt (an RL group) are scored together with the prompt run once (``prompt_group_scores``):
        prompts are most of an update's tokens."""
        if len(prompts) != len(completions) or not prompts:
            raise ValueError(f"need equally many prompts and completions, got {len(prompts)} and {len(completions)}")
        groups: dict[tuple[int, ...], list[int]] = {}
        for row, prompt in enumerate(prompts):
            groups.setdefault(tuple(prompt), []).append(row)
        chunks = [prompt_group_scores(self.model, prompt, [completions[i] for i in rows], temperature, self.pad_id)
                  for prompt, rows in groups.items()]
        return in_row_order(chunks, [row for rows in groups.values() for row in rows], completions, self.device)


__all__ = [
    "GPTPolicy",
    "Generation",
    "PackedBatch",
    "Policy",
    "StepFn",
    "check_fits",
    "check_generation_args",
    "check_sampling_args",
    "choose_token",
    "completion_scores",
    "decode_loop",
    "generate",
    "in_row_order",
    "pack_batch",
    "prefill_once_per_prompt",
    "sample_next_token",
    "split_at_eos",
]
