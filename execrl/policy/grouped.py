"""Sampling an RL batch fast: each prompt's keys and values held once for its group, and finished
rows leaving the batch.

An RL step samples G completions of each of its prompts. The general path (``sampling.generate``
with its ``KVCache``) runs each distinct prompt once, then copies its keys and values into all G
rows and keeps every row in the batch until the last one has finished, so that each decode step
re-reads G copies of every prompt and computes rows that are done. On a CPU a decode step is bound
by reading the cache. Here each row attends to its group's prompt, held once, and to its own
completion, with one softmax over both; and once at most ``COMPACT_AT`` of the rows in the batch are
still generating, the finished ones leave it (copying the cache at every finish costs more than it
saves).

The random numbers are drawn as ``sampling.generate`` draws them (one uniform per original row per
step, finished rows included) and a token is chosen from them by the same arithmetic
(``sampling.choose_token``), so a seed gives the completions of the general path (a test checks it
at three sampling settings). Logits differ from it only by float rounding (attention sums the
prompt's and the completion's terms in another order), so a token could be chosen differently only
where a uniform falls within that rounding of a boundary of the cumulative distribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from execrl.policy.model import GPT, KVCache
from execrl.policy.sampling import Generation, check_fits, check_generation_args, choose_token, split_at_eos

# Compact the batch once the rows still generating are at most this share of it (measured on the
# warm start with the default training config, 1 thread: 0.75 and 0.5 about equal; compacting at
# every finish, 1.0, is slower than never compacting).
COMPACT_AT = 0.75


@dataclass
class _GroupedCache:
    """Keys and values of one decode: each distinct prompt's once, each live row's completion its own.

    A row's query attends to its prompt through ``slot``: the rows of a group are laid out as
    ``[prompts, heads, G, head_dim]``, so that one matrix product per prompt serves its whole group
    (a group with fewer than G rows leaves zero slots)."""

    prompt_keys_t: list[Tensor]  # per layer, [P, H, head_dim, W]: transposed, for the score product
    prompt_values: list[Tensor]  # per layer, [P, H, W, head_dim]
    prompt_bias: Tensor  # [rows, 1, W]: -inf over each row's prompt padding, else 0
    slot: Tensor  # [rows * H]: the index of each (row, head) in the flattened [P, H, G] layout
    slots: int  # P * H * G
    group_size: int  # G, the most rows any prompt has
    keys: list[Tensor]  # per layer, [rows, H, max_new_tokens, head_dim]
    values: list[Tensor]

    def keep(self, rows: Tensor, filled: int) -> None:
        """Keep only ``rows`` (indices into the current ones), with their first ``filled`` columns."""
        self.prompt_bias = self.prompt_bias.index_select(0, rows)
        heads = self.keys[0].shape[1]
        self.slot = self.slot.view(-1, heads).index_select(0, rows).reshape(-1)
        self.keys = [_first_columns(k, rows, filled) for k in self.keys]
        self.values = [_first_columns(v, rows, filled) for v in self.values]


def _first_columns(cache: Tensor, rows: Tensor, filled: int) -> Tensor:
    kept = torch.empty((len(rows), *cache.shape[1:]), dtype=cache.dtype, device=cache.device)
    kept[:, :, :filled] = cache[rows, :, :filled]
    return kept


@torch.inference_mode()
def generate_grouped(
    model: GPT,
    prompts: Sequence[Sequence[int]],
    max_new_tokens: int,
    temperature: float,
    top_p: float,
    generator: torch.Generator | None,
    eos_id: int,
    pad_id: int,
) -> Generation:
    """``sampling.generate``'s completions for ``prompts``, by the faster path this module describes."""
    check_generation_args(prompts, max_new_tokens, temperature, top_p, generator)
    check_fits(model, prompts, max_new_tokens)
    if not prompts:
        return Generation([], [])
    was_training = model.training
    model.eval()
    try:
        return _sample(model, prompts, max_new_tokens, temperature, top_p, generator, eos_id, pad_id)
    finally:
        model.train(was_training)


def _sample(model, prompts, max_new_tokens, temperature, top_p, generator, eos_id, pad_id) -> Generation:
    cache, logits = _prefill(model, prompts, max_new_tokens, pad_id)
    batch, device = len(prompts), model.device
    positions = torch.tensor([len(p) for p in prompts], dtype=torch.long, device=device)
    out = torch.full((batch, max_new_tokens), pad_id, dtype=torch.long, device=device)
    rows = torch.arange(batch, device=device)  # the original row of each row in the batch
    alive = torch.ones(batch, dtype=torch.bool, device=device)  # of the rows in the batch
    produced = 0
    for t in range(max_new_tokens):
        uniform = None
        if temperature > 0:  # drawn for every original row, as the general path does
            uniform = torch.rand((batch, 1), generator=generator, device=generator.device).to(device)
            uniform = uniform.index_select(0, rows) if len(rows) < batch else uniform
        token = choose_token(logits, temperature, top_p, uniform).masked_fill(~alive, pad_id)
        out[rows, t] = token
        alive &= token != eos_id
        produced = t + 1
        n_alive = int(alive.sum())
        if n_alive == 0 or produced == max_new_tokens:
            break
        if n_alive <= COMPACT_AT * len(rows):
            kept = alive.nonzero().squeeze(1)
            rows, token, positions, alive = rows[kept], token[kept], positions[kept], alive[kept]
            cache.keep(kept, filled=t)
        logits = _decode_step(model, cache, token, positions, t)
        positions = positions + 1
    return split_at_eos(out[:, :produced].tolist(), eos_id)


def _prefill(model: GPT, prompts: Sequence[Sequence[int]], max_new_tokens: int, pad_id: int) -> tuple[_GroupedCache, Tensor]:
    """Run each distinct prompt once (left-padded to the longest); return the cache and each row's
    next-token logits."""
    device, config = model.device, model.config
    group_of: dict[tuple[int, ...], int] = {}
    row_group = [group_of.setdefault(tuple(p), len(group_of)) for p in prompts]
    n_prompts, width = len(group_of), max(len(p) for p in prompts)
    tokens = torch.full((n_prompts, width), pad_id, dtype=torch.long, device=device)
    mask = torch.zeros((n_prompts, width), dtype=torch.long, device=device)
    for prompt, group in group_of.items():
        tokens[group, width - len(prompt):] = torch.as_tensor(prompt, dtype=torch.long)
        mask[group, width - len(prompt):] = 1
    once = KVCache.allocate(config, n_prompts, width, device, model.wte.weight.dtype)
    logits = model(tokens, attention_mask=mask, cache=once)[:, -1]
    heads, head_dim = config.n_head, config.n_embd // config.n_head
    group_size = max(row_group.count(g) for g in range(n_prompts))
    taken = [0] * n_prompts
    slot = []
    for group in row_group:  # row r, head h -> (group, h, r's rank within its group)
        slot += [(group * heads + h) * group_size + taken[group] for h in range(heads)]
        taken[group] += 1
    index = torch.tensor(row_group, device=device)
    shape = (len(prompts), heads, max_new_tokens, head_dim)
    cache = _GroupedCache(
        prompt_keys_t=[k.transpose(-1, -2).contiguous() for k in once.keys],
        prompt_values=once.values,
        prompt_bias=torch.zeros((n_prompts, width), device=device).masked_fill(mask == 0, float("-inf"))
        .index_select(0, index)[:, None, :],
        slot=torch.tensor(slot, device=device),
        slots=n_prompts * heads * group_size,
        group_size=group_size,
        keys=[torch.empty(shape, dtype=logits.dtype, device=device) for _ in range(config.n_layer)],
        values=[torch.empty(shape, dtype=logits.dtype, device=device) for _ in range(config.n_layer)],
    )
    return cache, logits.index_select(0, index)


def _decode_step(model: GPT, cache: _GroupedCache, tokens: Tensor, positions: Tensor, t: int) -> Tensor:
    """The next-token logits ``[rows, vocab]`` after ``tokens`` (completion column ``t``), which are
    written to the cache. The model's own modules in eval mode, but for attention."""
    x = model.wte(tokens) + model.wpe(positions)  # [rows, C]
    for layer, block in enumerate(model.blocks):
        x = x + _attend(block.attn, block.ln_1(x), cache, layer, t)
        x = x + block.mlp(block.ln_2(x))
    return model.lm_head(model.ln_f(x))


def _attend(attn, h: Tensor, cache: _GroupedCache, layer: int, t: int) -> Tensor:
    """``CausalSelfAttention`` for one new token per row, over the row's prompt and completion."""
    rows, width = h.shape
    heads = attn.n_head
    head_dim = width // heads
    q, k, v = attn.c_attn(h).view(rows, 3, heads, head_dim).unbind(1)  # each [rows, H, head_dim]
    keys, values = cache.keys[layer], cache.values[layer]
    keys[:, :, t] = k
    values[:, :, t] = v
    q = q * head_dim**-0.5
    n_prompts, prompt_len = cache.prompt_keys_t[layer].shape[0], cache.prompt_keys_t[layer].shape[3]
    grouped = (n_prompts, heads, cache.group_size)
    # the scores against each group's prompt: one product per prompt for all its rows
    queries = q.new_zeros((cache.slots, head_dim)).index_copy_(0, cache.slot, q.reshape(-1, head_dim))
    on_prompt = torch.matmul(queries.view(*grouped, head_dim), cache.prompt_keys_t[layer])
    on_prompt = on_prompt.view(cache.slots, prompt_len).index_select(0, cache.slot).view(rows, heads, prompt_len)
    on_own = torch.matmul(q.unsqueeze(2), keys[:, :, :t + 1].transpose(-1, -2)).squeeze(2)  # [rows, H, t+1]
    weights = torch.cat([on_prompt + cache.prompt_bias, on_own], dim=-1).softmax(dim=-1)
    to_prompt = weights.new_zeros((cache.slots, prompt_len)).index_copy_(
        0, cache.slot, weights[..., :prompt_len].reshape(-1, prompt_len))
    from_prompt = torch.matmul(to_prompt.view(*grouped, prompt_len), cache.prompt_values[layer])
    from_prompt = from_prompt.view(cache.slots, head_dim).index_select(0, cache.slot).view(rows, heads, head_dim)
    from_own = torch.matmul(weights[..., prompt_len:].unsqueeze(2), values[:, :, :t + 1]).squeeze(2)
    return attn.c_proj((from_prompt + from_own).reshape(rows, width))
