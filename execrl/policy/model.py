"""The default policy: a small decoder-only transformer in one readable file (after nanoGPT).

No pretrained weights can be downloaded here, so the policy is trained from scratch on the
procedural task language (``execrl.tasks.procedural``); a few million parameters learn it on a CPU.
The default config fits the longest level-4 multi-step prompt plus its completion (about 400 tokens)
with room for a multi-turn prompt, which quotes the previous attempt and its feedback above the task.

Padding: every function here takes an ``attention_mask`` (1 = real token, 0 = pad) and derives the
position of each token from it (``cumsum(mask) - 1``), so a sequence gets the same logits whether it
is padded on the left, on the right or not at all. ``execrl.policy.sampling`` left-pads prompts
(every prompt then ends in the same column and new tokens are appended in one column per step) and
right-pads completions; ``pack_batch`` there builds exactly that layout for the log-prob pass, so
sampling and the RL losses see the same numbers.

Log-prob alignment: ``token_logprobs(model, sequences)[:, t]`` is log p(sequences[:, t + 1] | the
tokens up to t); a completion mask ``m`` over ``sequences`` therefore selects ``m[:, 1:]``.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from execrl.policy.tokenizer import PAD_ID, VOCAB_SIZE, Tokenizer

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100  # targets with this value contribute no loss (prompt and padding positions)
CHECKPOINT_FORMAT = "execrl-gpt-checkpoint-v1"


def resolve_device(spec: str | torch.device = "auto") -> torch.device:
    """``"auto"``: CUDA when available, else CPU; ``"cpu"``, ``"cuda"``, ``"cuda:1"``... as given.
    Asking for CUDA where there is none is an error, not a silent fall back to a 100x slower run."""
    if isinstance(spec, torch.device):
        device = spec
    elif spec == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(spec)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {spec!r} was requested but CUDA is not available; use 'cpu' or 'auto'")
    return device


@dataclass(frozen=True)
class GPTConfig:
    """Model shape. The defaults (3.54 M parameters, 3.27 M without position embeddings) fit every
    procedural task (at most about 400 tokens) in ``block_size`` with room for multi-turn feedback
    (about 800 tokens at level 4)."""

    vocab_size: int = VOCAB_SIZE
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 256
    block_size: int = 1024
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("vocab_size", "n_layer", "n_head", "n_embd", "block_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"GPTConfig.{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


@dataclass
class KVCache:
    """Keys and values of the tokens seen so far, per layer, preallocated to ``capacity`` columns.

    For inference only (it is written in place). ``length`` columns are filled; the model appends
    the keys and values of each forward call and advances ``length``.
    """

    keys: list[Tensor]  # per layer, [B, n_head, capacity, head_dim]
    values: list[Tensor]
    length: int = 0

    @classmethod
    def allocate(
        cls, config: GPTConfig, batch_size: int, capacity: int, device: torch.device, dtype: torch.dtype
    ) -> KVCache:
        if capacity > config.block_size:
            raise ValueError(f"a cache of {capacity} tokens exceeds block_size {config.block_size}")
        shape = (batch_size, config.n_head, capacity, config.n_embd // config.n_head)
        return cls(
            keys=[torch.zeros(shape, device=device, dtype=dtype) for _ in range(config.n_layer)],
            values=[torch.zeros(shape, device=device, dtype=dtype) for _ in range(config.n_layer)],
        )

    @property
    def capacity(self) -> int:
        return self.keys[0].shape[2]

    def extend(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Write a forward call's keys and values after the cached ones; return all of them."""
        start, end = self.length, self.length + k.shape[2]
        if end > self.capacity:
            raise ValueError(f"{end} tokens exceed the cache's capacity {self.capacity}")
        self.keys[layer][:, :, start:end] = k
        self.values[layer][:, :, start:end] = v
        return self.keys[layer][:, :, :end], self.values[layer][:, :, :end]


@dataclass
class SharedPrefix:
    """One prompt's keys and values, kept with their gradients, that a batch of completions attends to.

    The first forward call (one row: the prompt) records them; a second call (the completions, any
    number of rows) attends to the prompt and to itself. Unlike ``KVCache`` nothing is written in
    place, so it works under autograd: the RL update scores a group's G completions of one prompt
    with the prompt run once.
    """

    keys: list[Tensor] = field(default_factory=list)  # per layer, [1, n_head, prompt length, head_dim]
    values: list[Tensor] = field(default_factory=list)
    length: int = 0

    def extend(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        if self.length == 0:
            if k.shape[0] != 1:
                raise ValueError(f"a shared prefix is one prompt, got {k.shape[0]} rows")
            self.keys.append(k)
            self.values.append(v)
            return k, v
        rows = k.shape[0]
        return (torch.cat([self.keys[layer].expand(rows, -1, -1, -1), k], dim=2),
                torch.cat([self.values[layer].expand(rows, -1, -1, -1), v], dim=2))


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head = config.n_head
        self.dropout = config.dropout
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(
        self, x: Tensor, attn_mask: Tensor | None, is_causal: bool, cache: KVCache | SharedPrefix | None, layer: int
    ) -> Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            k, v = cache.extend(layer, k, v)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=self.dropout if self.training else 0.0, is_causal=is_causal
        )
        return self.resid_dropout(self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C)))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(
        self, x: Tensor, attn_mask: Tensor | None, is_causal: bool, cache: KVCache | SharedPrefix | None, layer: int
    ) -> Tensor:
        x = x + self.attn(self.ln_1(x), attn_mask, is_causal, cache, layer)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """Pre-LayerNorm decoder-only transformer with learned positions and tied input/output embeddings.

    ``seed`` drives the initialisation through its own generator, so a model's initial weights do not
    depend on whatever else consumed torch's global random state before it.
    """

    def __init__(self, config: GPTConfig | None = None, seed: int = 0) -> None:
        super().__init__()
        self.config = config = config or GPTConfig()
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying: fewer parameters, better small models
        self.reset_parameters(seed)

    @torch.no_grad()
    def reset_parameters(self, seed: int) -> None:
        """nanoGPT's initialisation (N(0, 0.02), residual projections scaled by 1/sqrt(2 n_layer))."""
        generator = torch.Generator().manual_seed(seed)
        for name, param in self.named_parameters():  # the tied weight is listed once
            if param.dim() >= 2:
                std = 0.02 / math.sqrt(2 * self.config.n_layer) if name.endswith("c_proj.weight") else 0.02
                param.copy_(torch.randn(param.shape, generator=generator) * std)
            elif name.startswith("ln") or ".ln_" in name:
                param.fill_(1.0 if name.endswith("weight") else 0.0)
            else:
                param.zero_()

    def num_parameters(self, non_embedding: bool = False) -> int:
        """Parameters counted once (the tied head is the token embedding); ``non_embedding`` leaves out
        the position embeddings, as nanoGPT reports."""
        total = sum(p.numel() for p in self.parameters())
        return total - self.wpe.weight.numel() if non_embedding else total

    @property
    def device(self) -> torch.device:
        return self.wte.weight.device

    def forward(
        self,
        idx: Tensor,
        targets: Tensor | None = None,
        *,
        attention_mask: Tensor | None = None,
        cache: KVCache | SharedPrefix | None = None,
    ) -> Tensor | tuple[Tensor, Tensor]:
        """Logits ``[B, T, vocab]`` for ``idx`` ``[B, T]``, and the mean cross-entropy over the targets
        that are not ``IGNORE_INDEX`` when ``targets`` (aligned with ``idx``) is given.

        ``attention_mask`` ``[B, past + T]`` covers the cached tokens too; None means no padding.
        With ``cache`` (a ``KVCache`` or a ``SharedPrefix``), ``idx`` holds only the new tokens,
        appended after ``cache.length``.
        """
        B, T = idx.shape
        past = cache.length if cache is not None else 0
        if past + T > self.config.block_size:
            raise ValueError(f"{past + T} tokens exceed block_size {self.config.block_size}")
        positions, attn_mask, is_causal = attention_layout(attention_mask, B, T, past, idx.device)
        x = self.drop(self.wte(idx) + self.wpe(positions))
        for layer, block in enumerate(self.blocks):
            x = block(x, attn_mask, is_causal, cache, layer)
        if cache is not None:
            cache.length += T
        logits = self.lm_head(self.ln_f(x))
        if targets is None:
            return logits
        loss = F.cross_entropy(
            logits.float().reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=IGNORE_INDEX
        )
        return logits, loss


def attention_layout(
    attention_mask: Tensor | None, batch: int, length: int, past: int, device: torch.device
) -> tuple[Tensor, Tensor | None, bool]:
    """Positions of the ``length`` new tokens and the attention mask SDPA needs for them.

    Returns ``(positions, attn_mask, is_causal)``: positions ``[T]`` or ``[B, T]``; attn_mask None
    (then ``is_causal`` says whether SDPA applies its own causal mask) or boolean ``[B|1, 1, T, S]``.
    A padding query would see no key at all (SDPA then returns NaN), so every query may always see
    itself; outputs at padding positions are never used.
    """
    total = past + length
    query = torch.arange(past, total, device=device)
    if attention_mask is None:
        if past == 0:
            return query, None, True
        if length == 1:
            return query, None, False
        return query, (torch.arange(total, device=device)[None, :] <= query[:, None])[None, None], False
    if tuple(attention_mask.shape) != (batch, total):
        raise ValueError(f"attention_mask has shape {tuple(attention_mask.shape)}, expected {(batch, total)}")
    keep = attention_mask.to(device=device, dtype=torch.bool)
    positions = (keep.long().cumsum(-1) - 1).clamp(min=0)[:, past:]
    key = torch.arange(total, device=device)[None, :]
    allowed = ((key <= query[:, None])[None] & keep[:, None, :]) | (key == query[:, None])[None]
    return positions, allowed[:, None], False


# --- log-probs and entropy for the RL losses ------------------------------------------------------


def logprobs_from_logits(logits: Tensor, tokens: Tensor) -> Tensor:
    """log softmax(logits)[token], in float32 whatever the model's dtype."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    return logp.gather(-1, tokens.unsqueeze(-1)).squeeze(-1)


def entropy_from_logits(logits: Tensor) -> Tensor:
    """Entropy (nats) of softmax(logits) over the last dimension, in float32."""
    logits = logits.float()
    logp = torch.log_softmax(logits, dim=-1)
    return -(logp.exp() * logp).sum(-1)


def sequence_logits(model: GPT, sequences: Tensor, attention_mask: Tensor | None = None) -> Tensor:
    """Logits ``[B, T - 1, vocab]`` predicting ``sequences[:, 1:]`` (the last token predicts nothing)."""
    if attention_mask is not None and bool(attention_mask.all()):
        attention_mask = None  # no padding: SDPA's causal path is faster than an explicit mask
    mask = attention_mask[:, :-1] if attention_mask is not None else None
    return model(sequences[:, :-1], attention_mask=mask)


def scored_positions(attention_mask: Tensor) -> Tensor:
    """``[B, T-1]`` bool: the next-token predictions that mean something, i.e. a real token predicted
    from a real token. The first real token of a left-padded row is predicted from padding alone, so
    it is excluded like the padding itself (a completion mask never includes it: prompts are not empty)."""
    keep = attention_mask.bool()
    return keep[:, 1:] & keep[:, :-1]


def token_logprobs_and_entropy(
    model: GPT, sequences: Tensor, attention_mask: Tensor | None = None, temperature: float = 1.0
) -> tuple[Tensor, Tensor]:
    """Both from one forward pass: ``logp[B, T-1]`` of each next token and the entropy of each
    next-token distribution, 0 outside ``scored_positions(attention_mask)``. ``temperature`` rescales
    the logits as sampling did, so the ratio of the RL losses compares like with like."""
    if temperature <= 0:
        raise ValueError("log-probs need a positive temperature (greedy decoding has no distribution)")
    logits = sequence_logits(model, sequences, attention_mask).float() / temperature
    logp = logprobs_from_logits(logits, sequences[:, 1:])
    entropy = entropy_from_logits(logits)
    if attention_mask is not None:
        real = scored_positions(attention_mask).to(logp.device)
        logp, entropy = logp.masked_fill(~real, 0.0), entropy.masked_fill(~real, 0.0)
    return logp, entropy


def prompt_group_scores(
    model: GPT, prompt: Sequence[int], completions: Sequence[Sequence[int]], temperature: float = 1.0, pad_id: int = PAD_ID
) -> tuple[Tensor, Tensor]:
    """``(logp, entropy)`` ``[b, L]`` of each of ``completions`` after the one ``prompt`` they share
    (L the longest completion; 0 past a row's end): column t scores completion token t. The prompt
    runs once for all rows (``SharedPrefix``); the numbers are those of ``token_logprobs_and_entropy``
    on each row alone, up to float rounding, and differentiable likewise."""
    if temperature <= 0:
        raise ValueError("log-probs need a positive temperature (greedy decoding has no distribution)")
    if not prompt or not completions or any(len(c) == 0 for c in completions):
        raise ValueError("need a non-empty prompt and at least one completion, none of them empty")
    device, rows, longest = model.device, len(completions), max(len(c) for c in completions)
    tokens = torch.full((rows, longest), pad_id, dtype=torch.long, device=device)
    real = torch.zeros((rows, longest), dtype=torch.bool, device=device)
    for row, completion in enumerate(completions):
        tokens[row, : len(completion)] = torch.as_tensor(list(completion), dtype=torch.long)
        real[row, : len(completion)] = True
    prefix = SharedPrefix()
    first = model(torch.as_tensor([list(prompt)], dtype=torch.long, device=device), cache=prefix)[:, -1:]
    logits = first.expand(rows, -1, -1)  # the prompt's last position predicts every first token
    if longest > 1:
        seen = torch.cat([torch.ones((rows, len(prompt)), dtype=torch.long, device=device), real[:, :-1].long()], dim=1)
        logits = torch.cat([logits, model(tokens[:, :-1], attention_mask=seen, cache=prefix)], dim=1)
    logits = logits.float() / temperature
    logp, entropy = logprobs_from_logits(logits, tokens), entropy_from_logits(logits)
    return logp.masked_fill(~real, 0.0), entropy.masked_fill(~real, 0.0)


def token_logprobs(
    model: GPT, sequences: Tensor, attention_mask: Tensor | None = None, temperature: float = 1.0
) -> Tensor:
    """``logp[B, T-1]``: log p(sequences[:, t+1] | sequences[:, :t+1]); 0 outside ``scored_positions``.
    Differentiable: this is what the policy-gradient losses backpropagate through."""
    if temperature <= 0:
        raise ValueError("log-probs need a positive temperature (greedy decoding has no distribution)")
    logits = sequence_logits(model, sequences, attention_mask).float() / temperature
    logp = logprobs_from_logits(logits, sequences[:, 1:])
    if attention_mask is not None:
        logp = logp.masked_fill(~scored_positions(attention_mask).to(logp.device), 0.0)
    return logp


def token_entropy(
    model: GPT, sequences: Tensor, attention_mask: Tensor | None = None, temperature: float = 1.0
) -> Tensor:
    """Entropy ``[B, T-1]`` of each next-token distribution (0 outside ``scored_positions``)."""
    return token_logprobs_and_entropy(model, sequences, attention_mask, temperature)[1]


# --- checkpoints -----------------------------------------------------------------------------------


def save_checkpoint(
    path: str | Path,
    model: GPT,
    optimizer: torch.optim.Optimizer | None = None,
    extra: dict[str, Any] | None = None,
    tokenizer: Tokenizer | None = None,
) -> None:
    """Write config, weights, optimizer state, the tokenizer's spec and ``extra`` (plain data: str,
    numbers, bools, None, lists, dicts) to ``path``, atomically (a crash leaves the old file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tokenizer = tokenizer or Tokenizer()
    if tokenizer.vocab_size != model.config.vocab_size:
        raise ValueError(
            f"the tokenizer has {tokenizer.vocab_size} ids but the model {model.config.vocab_size}"
        )
    payload = {
        "format": CHECKPOINT_FORMAT,
        "config": asdict(model.config),
        "tokenizer": tokenizer.spec,
        "model": {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()},
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "extra": dict(extra or {}),
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    logger.info("saved checkpoint %s (%d parameters)", path, model.num_parameters())


def load_checkpoint(
    path: str | Path, map_location: str | torch.device = "cpu", tokenizer: Tokenizer | None = None
) -> tuple[GPT, dict[str, Any], dict[str, Any] | None]:
    """``(model, extra, optimizer_state)`` from ``save_checkpoint``'s file; the model is on
    ``map_location`` in eval mode. Loading refuses a checkpoint whose vocabulary differs from
    ``tokenizer`` (default: the project's), since its ids would mean other text.

    Only plain data is unpickled (``weights_only=True``): a checkpoint cannot run code."""
    payload = torch.load(Path(path), map_location=map_location, weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not an execrl GPT checkpoint ({CHECKPOINT_FORMAT})")
    expected = (tokenizer or Tokenizer()).spec
    if payload["tokenizer"] != expected:
        stored = Tokenizer.from_spec(payload["tokenizer"])
        raise ValueError(
            f"{path} was trained with another vocabulary (fingerprint {stored.fingerprint}, "
            f"expected {Tokenizer.from_spec(expected).fingerprint}); pass tokenizer=Tokenizer.from_spec(...)"
        )
    model = GPT(GPTConfig(**payload["config"]))
    model.load_state_dict(payload["model"])
    model.to(map_location).eval()
    return model, payload["extra"], payload["optimizer"]


def checkpoint_tokenizer(path: str | Path) -> Tokenizer:
    """The tokenizer a checkpoint was saved with."""
    payload = torch.load(Path(path), map_location="cpu", weights_only=True)
    return Tokenizer.from_spec(payload["tokenizer"])


__all__ = [
    "CHECKPOINT_FORMAT",
    "GPT",
    "GPTConfig",
    "IGNORE_INDEX",
    "KVCache",
    "SharedPrefix",
    "attention_layout",
    "checkpoint_tokenizer",
    "entropy_from_logits",
    "load_checkpoint",
    "logprobs_from_logits",
    "prompt_group_scores",
    "resolve_device",
    "save_checkpoint",
    "scored_positions",
    "sequence_logits",
    "token_entropy",
    "token_logprobs",
    "token_logprobs_and_entropy",
]
