"""The policy: a fixed tokenizer, a small transformer, batched KV-cached sampling, and an optional
Hugging Face backend behind the same interface.

Names are loaded on first use (PEP 562), so ``import execrl.policy`` and the tokenizer do not import
torch: scripts that only tokenize stay fast, and the Hugging Face backend (``execrl.policy.hf``) is
imported only by whoever asks for ``HFPolicy``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    # tokenizer (no torch)
    "Tokenizer": "tokenizer",
    "PIECES": "tokenizer",
    "SPECIAL_TOKENS": "tokenizer",
    "PAD_ID": "tokenizer",
    "BOS_ID": "tokenizer",
    "EOS_ID": "tokenizer",
    "UNK_ID": "tokenizer",
    "VOCAB_SIZE": "tokenizer",
    # model
    "GPT": "model",
    "GPTConfig": "model",
    "KVCache": "model",
    "IGNORE_INDEX": "model",
    "resolve_device": "model",
    "token_logprobs": "model",
    "token_entropy": "model",
    "token_logprobs_and_entropy": "model",
    "scored_positions": "model",
    "logprobs_from_logits": "model",
    "entropy_from_logits": "model",
    "save_checkpoint": "model",
    "load_checkpoint": "model",
    "checkpoint_tokenizer": "model",
    # sampling and the policy interface
    "Generation": "sampling",
    "PackedBatch": "sampling",
    "Policy": "sampling",
    "GPTPolicy": "sampling",
    "generate": "sampling",
    "pack_batch": "sampling",
    "completion_scores": "sampling",
    "sample_next_token": "sampling",
    # optional Hugging Face backend
    "HFPolicy": "hf",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
