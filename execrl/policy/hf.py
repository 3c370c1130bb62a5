"""Optional backend: a local Hugging Face causal LM behind the same ``Policy`` interface.

No model can be downloaded at run time, so the path must be a local directory (``save_pretrained``
output) and loading passes ``local_files_only=True``. ``transformers`` is an optional dependency,
imported only when an ``HFPolicy`` is built. Sampling goes through the same ``decode_loop`` and
``sample_next_token`` as the default policy, so a generator seed means the same thing for both
backends; positions are derived from the attention mask as in ``execrl.policy.model``, so the
left-padded sampling layout and the log-prob pass agree.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from execrl.policy.model import entropy_from_logits, logprobs_from_logits, resolve_device, scored_positions
from execrl.policy.sampling import Generation, completion_scores, decode_loop

logger = logging.getLogger(__name__)


def _import_transformers() -> Any:
    try:
        import transformers
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "HFPolicy needs the optional dependency transformers: pip install transformers"
        ) from error
    return transformers


def _positions(attention_mask: Tensor) -> Tensor:
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


class HFPolicy:
    """A local causal LM (``AutoModelForCausalLM``) and its tokenizer, as a ``Policy``.

    ``encode_prompt`` adds whatever special tokens the model's tokenizer adds by default (a BOS for
    Llama-style models, nothing for GPT-2 or Qwen); ``encode_completion`` appends the EOS token.
    """

    def __init__(self, path: str | Path, device: str | torch.device = "auto", dtype: torch.dtype | None = None):
        transformers = _import_transformers()
        self.path = Path(path)
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = transformers.AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True)
        if dtype is not None:
            model = model.to(dtype)
        self.model = model.to(resolve_device(device))
        self.model.eval()
        if self.tokenizer.eos_token_id is None:
            raise ValueError(f"{path}: the tokenizer has no eos token, so a completion could never end")
        logger.info("loaded Hugging Face policy %s (%d parameters)", path, sum(p.numel() for p in model.parameters()))

    @property
    def eos_id(self) -> int:
        return int(self.tokenizer.eos_token_id)

    @property
    def pad_id(self) -> int:
        """The tokenizer's pad token, else eos: padding is masked out, so any id will do."""
        pad = self.tokenizer.pad_token_id
        return int(pad) if pad is not None else self.eos_id

    @property
    def vocab_size(self) -> int:
        return int(self.model.get_output_embeddings().weight.shape[0])

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def max_positions(self) -> int | None:
        return getattr(self.model.config, "max_position_embeddings", None) or getattr(
            self.model.config, "n_positions", None
        )

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def encode_prompt(self, prompt: str) -> list[int]:
        return list(self.tokenizer(prompt, add_special_tokens=True)["input_ids"])

    def encode_completion(self, completion: str) -> list[int]:
        return [*self.encode(completion), self.eos_id]

    def _logits(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        return self.model(
            input_ids=input_ids, attention_mask=attention_mask, position_ids=_positions(attention_mask)
        ).logits

    @torch.inference_mode()
    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        max_new_tokens: int,
        temperature: float = 1.0,
        top_p: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> Generation:
        width = max((len(p) for p in prompts), default=0)
        if self.max_positions is not None and width + max_new_tokens > self.max_positions:
            raise ValueError(
                f"the longest prompt ({width} tokens) plus max_new_tokens ({max_new_tokens}) exceeds the "
                f"model's {self.max_positions} positions"
            )
        past: list[Any] = [None]  # the model's own cache object, carried between steps

        def step(new_tokens: Tensor, mask: Tensor) -> Tensor:
            out = self.model(
                input_ids=new_tokens,
                attention_mask=mask,
                position_ids=_positions(mask)[:, -new_tokens.shape[1]:],
                past_key_values=past[0],
                use_cache=True,
            )
            past[0] = out.past_key_values
            return out.logits[:, -1].float()

        was_training = self.model.training
        self.model.eval()
        try:
            return decode_loop(
                step, prompts, max_new_tokens, temperature=temperature, top_p=top_p, generator=generator,
                eos_id=self.eos_id, pad_id=self.pad_id, device=self.device,
            )
        finally:
            self.model.train(was_training)

    def token_logprobs_and_entropy(
        self, sequences: Tensor, attention_mask: Tensor | None = None, temperature: float = 1.0
    ) -> tuple[Tensor, Tensor]:
        if temperature <= 0:
            raise ValueError("log-probs need a positive temperature (greedy decoding has no distribution)")
        mask = attention_mask if attention_mask is not None else torch.ones_like(sequences)
        logits = self._logits(sequences[:, :-1], mask[:, :-1]).float() / temperature
        real = scored_positions(mask).to(logits.device)
        logp = logprobs_from_logits(logits, sequences[:, 1:]).masked_fill(~real, 0.0)
        return logp, entropy_from_logits(logits).masked_fill(~real, 0.0)

    def token_logprobs(
        self, sequences: Tensor, attention_mask: Tensor | None = None, temperature: float = 1.0
    ) -> Tensor:
        """Like ``execrl.policy.model.token_logprobs``; this computes the entropy too (it is cheap
        next to the forward pass)."""
        return self.token_logprobs_and_entropy(sequences, attention_mask, temperature)[0]

    def score_completions(
        self, prompts: Sequence[Sequence[int]], completions: Sequence[Sequence[int]], temperature: float = 1.0
    ) -> tuple[tuple[Tensor, Tensor], Tensor]:
        return completion_scores(lambda s, m: self.token_logprobs_and_entropy(s, m, temperature),
                                 prompts, completions, self.pad_id, self.device)


__all__ = ["HFPolicy"]
