"""Group advantages and the GRPO-family policy losses, over token log-probs with a completion mask.

Shapes: ``B`` sequences laid out group-contiguous (``B = n_groups * G``: the G completions of one
prompt are adjacent), ``T`` completion tokens per sequence (right-padded; ``mask`` marks real tokens).

Calling convention, the same for all five losses::

    out = LOSSES[name](LossInputs(logp=..., old_logp=..., advantages=..., mask=...), **hyperparameters)
    out.loss.backward(); log(out.metrics)

A loss reads the fields of ``LossInputs`` it needs and raises ``ValueError`` when one is missing;
its hyperparameters are keyword-only with the published defaults. ``LossOutput`` carries the scalar
loss and plain-float metrics. Advantages are computed before the loss (``group_advantages``, with
``SCALE_ADVANTAGES[name]`` saying whether that recipe divides by the group std), and so are DAPO's
reward shaping and dynamic sampling (``signed_reward``, ``soft_overlong_penalty``,
``select_informative_groups``): they act on rewards and batches, not on the loss.

Every token tensor is zeroed at masked positions before use, so padding may hold anything (even
NaN) without changing the loss or its gradient.

References: DeepSeekMath (GRPO), DeepCoder-14B-Preview (GRPO+), DAPO, Dr. GRPO (Understanding
R1-Zero-like training), TRL's GRPOTrainer and verl's compute_policy_loss.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Generic, TypeVar

import torch
from torch import Tensor

T = TypeVar("T")


# ----------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class LossInputs:
    """Everything a loss may read. Only the first four fields are needed by every loss.

    logp:       [B, T] token log-probs under the current policy (requires grad).
    old_logp:   [B, T] token log-probs under the policy that sampled (detached inside the losses).
    advantages: [B]    one advantage per sequence, broadcast over its tokens.
    mask:       [B, T] completion mask, bool or 0/1 float.
    ref_logp:   [B, T] reference-policy log-probs: grpo's KL term; any loss logs ``kl`` when given.
    rewards:    [B]    raw rewards: grpo_plus's overlong filter, seed_grpo_plus's variance penalty.
    truncated:  [B]    bool, the sample hit the generation budget: grpo_plus's overlong filter.
    entropies:  [B, T] per-token policy entropy (keep the graph for seed_grpo_plus's bonus).
    step:       optimiser step, for seed_grpo_plus's entropy-coefficient decay.
    """

    logp: Tensor
    old_logp: Tensor
    advantages: Tensor
    mask: Tensor
    ref_logp: Tensor | None = None
    rewards: Tensor | None = None
    truncated: Tensor | None = None
    entropies: Tensor | None = None
    step: int = 0

    def __post_init__(self) -> None:
        if self.logp.ndim != 2:
            raise ValueError(f"logp must be [B, T], got shape {tuple(self.logp.shape)}")
        for name in ("old_logp", "mask", "ref_logp", "entropies"):
            value = getattr(self, name)
            if value is not None and value.shape != self.logp.shape:
                raise ValueError(f"{name} has shape {tuple(value.shape)}, logp {tuple(self.logp.shape)}")
        for name in ("advantages", "rewards", "truncated"):
            value = getattr(self, name)
            if value is not None and value.shape != self.logp.shape[:1]:
                raise ValueError(f"{name} must be [B] = [{self.logp.shape[0]}], got {tuple(value.shape)}")


@dataclass
class LossOutput:
    """A scalar loss to minimise and what to log about it (plain floats, detached)."""

    loss: Tensor
    metrics: dict[str, float] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------
# Advantages and rewards


def group_advantages(rewards: Tensor, group_size: int, *, scale: bool = True, eps: float = 1e-6) -> Tensor:
    """Group-relative advantages: ``(r - mean_g) / (std_g + eps)``, or ``r - mean_g`` without ``scale``.

    ``rewards`` is [B] with each group's G rewards adjacent. ``std_g`` is the unbiased (Bessel)
    sample std, as in DeepSeekMath, TRL and verl. ``eps`` differs between implementations: TRL adds
    1e-4, verl and rllm (DeepCoder) add 1e-6, the default here. ``scale=False`` is Dr. GRPO, which
    drops the std because it up-weights prompts that are nearly always solved or always failed.
    A group whose rewards are all equal gets advantage 0 either way.
    """
    grouped = _grouped(_as_float(rewards), group_size)
    advantages = grouped - grouped.mean(dim=1, keepdim=True)
    if scale:
        if group_size < 2:
            raise ValueError("std normalisation needs group_size >= 2")
        advantages = advantages / (grouped.std(dim=1, keepdim=True) + eps)
    return advantages.reshape(-1)


def overlong_filter(advantages: Tensor, truncated: Tensor, rewards: Tensor) -> Tensor:
    """DeepCoder's overlong filtering: zero the advantage of every sample truncated AND scored 0.

    Applied after ``group_advantages``, so the filtered sample still counts in its group's mean and
    std; with a token-mean loss its tokens stay in the denominator but carry no gradient signal.
    A long, unfinished answer is thus not punished for its length.
    """
    filtered = truncated.bool() & (rewards == 0)
    return torch.where(filtered, torch.zeros_like(advantages), advantages)


def signed_reward(passed: Tensor | Sequence[bool]) -> Tensor:
    """DAPO's rule-based reward: +1 if the sample passed, -1 otherwise."""
    passed = torch.as_tensor(passed, dtype=torch.bool)
    return torch.where(passed, 1.0, -1.0)


def soft_overlong_penalty(lengths: Tensor, max_len: int, cache_len: int) -> Tensor:
    """DAPO's soft overlong punishment, added to the reward of each sample.

    0 for ``length <= max_len - cache_len``; then linear, ``(max_len - cache_len - length) / cache_len``,
    reaching -1 at ``length = max_len``; -1 beyond. That is the linear ramp clamped to [-1, 0].
    """
    if not 0 < cache_len <= max_len:
        raise ValueError(f"need 0 < cache_len <= max_len, got cache_len={cache_len}, max_len={max_len}")
    ramp = (max_len - cache_len - _as_float(lengths)) / cache_len
    return ramp.clamp(min=-1.0, max=0.0)


def dynamic_sampling_keep(rewards: Tensor, group_size: int) -> Tensor:
    """DAPO's dynamic sampling test: [n_groups] bool, False for groups whose rewards are all equal.

    Such groups have zero advantage under every estimator here, so they only dilute the batch.
    """
    grouped = _grouped(rewards, group_size)
    return grouped.amax(dim=1) != grouped.amin(dim=1)


@dataclass(frozen=True)
class DynamicSample(Generic[T]):
    """What ``select_informative_groups`` gathered.

    groups:         the informative groups kept, in draw order, at most ``target_groups``.
    draws:          draws consumed from the iterator.
    groups_seen:    groups examined (kept, dropped, or surplus past the target).
    groups_dropped: groups dropped because their rewards were all equal.
    filled:         whether ``target_groups`` were reached within ``max_draws``.
    """

    groups: list[T]
    draws: int
    groups_seen: int
    groups_dropped: int
    filled: bool


def select_informative_groups(
    draws: Iterable[tuple[Sequence[T], Tensor]],
    *,
    group_size: int,
    target_groups: int,
    max_draws: int = 10,
) -> DynamicSample[T]:
    """DAPO's dynamic sampling with refill: keep informative groups from successive draws.

    Each item of ``draws`` is ``(groups, rewards)``: ``groups`` a sequence of n opaque group
    records (whatever the trainer batches: prompts, token ids, ...) and ``rewards`` their [n * G]
    rewards, group-contiguous. Groups whose rewards are all equal are dropped; the rest accumulate
    until ``target_groups`` are held (surplus groups of the last draw are discarded, as in DAPO) or
    ``max_draws`` draws are spent. Pass a generator so that a draw is only sampled when needed:
    no draw is pulled once the target is reached.
    """
    if target_groups < 1 or max_draws < 1:
        raise ValueError("target_groups and max_draws must be >= 1")
    kept: list[T] = []
    seen = dropped = n_draws = 0
    for groups, rewards in draws:
        n_draws += 1
        keep = dynamic_sampling_keep(rewards, group_size)
        if len(groups) != keep.numel():
            raise ValueError(f"draw {n_draws}: {len(groups)} groups but {keep.numel()} reward groups")
        seen += len(groups)
        dropped += int((~keep).sum())
        kept.extend(group for group, k in zip(groups, keep.tolist()) if k)
        if len(kept) >= target_groups or n_draws >= max_draws:
            break
    return DynamicSample(kept[:target_groups], n_draws, seen, dropped, filled=len(kept) >= target_groups)


def k3_kl(logp: Tensor, ref_logp: Tensor) -> Tensor:
    """Per-token k3 estimator of KL(pi || pi_ref): ``exp(ref - logp) - (ref - logp) - 1``.

    Unbiased for tokens sampled from pi, never negative (e^x >= 1 + x), and 0 where the two agree.
    """
    delta = ref_logp - logp
    return torch.exp(delta) - delta - 1.0


# ----------------------------------------------------------------------------------------------
# Seed variant pieces (seed/000_926063794b4f5e98.txt)


def adaptive_clip_eps(
    ratio_std: float, *, base: float = 0.2, low_std: float = 0.1, high_std: float = 0.3,
    widen: float = 1.2, narrow: float = 0.8,
) -> float:
    """The seed's adaptive clip: ``base * widen`` if ``ratio_std < low_std``, ``base * narrow`` if
    ``ratio_std > high_std``, else ``base`` (the thresholds themselves give ``base``)."""
    if ratio_std < low_std:
        return base * widen
    if ratio_std > high_std:
        return base * narrow
    return base


def entropy_coefficient(step: int, *, coef: float = 0.01, decay: float = 0.95, floor: float = 0.001) -> float:
    """Entropy-bonus coefficient at ``step``: ``max(floor, coef * decay**step)``.

    The seed writes ``max(0.001, 0.01 * 0.95)`` with no step in it (a constant 0.0095 despite
    its "decay" comment); this is the exponential decay it describes, with its constants.
    """
    return max(floor, coef * decay**step)


def reward_variance_penalty(rewards: Tensor, *, threshold: float = 1.0, coef: float = 0.1) -> Tensor:
    """The seed's "reward hacking" penalty: ``coef * relu(var(r) - threshold)``, var unbiased.

    Rewards do not depend on the policy parameters, so this term shifts the loss value but adds no
    gradient: it cannot change training, only what is logged.
    """
    rewards = _as_float(rewards)
    variance = rewards.var() if rewards.numel() > 1 else rewards.new_zeros(())
    return coef * torch.relu(variance - threshold)


# ----------------------------------------------------------------------------------------------
# Losses


def grpo(inputs: LossInputs, *, clip_eps: float = 0.2, beta: float = 0.04) -> LossOutput:
    """GRPO as in DeepSeekMath.

    Per token: the PPO pessimistic surrogate ``-min(rho A, clip(rho, 1-eps, 1+eps) A)`` plus
    ``beta * k3_kl(logp, ref_logp)``; averaged over each sequence's tokens, then over sequences.
    Needs ``ref_logp`` unless ``beta == 0``. Use with ``group_advantages(..., scale=True)``.
    """
    mask, logp, old_logp = _tokens(inputs)
    ratio = torch.exp(logp - old_logp)
    advantages = inputs.advantages.detach()
    per_token = _clipped_surrogate(ratio, advantages, clip_eps, clip_eps)
    policy_loss = _seq_mean_token_mean(per_token, mask)
    if beta != 0.0:
        if inputs.ref_logp is None:
            raise ValueError("grpo with beta != 0 needs ref_logp")
        per_token = per_token + beta * k3_kl(logp, _masked(inputs.ref_logp.detach(), mask))
    loss = _seq_mean_token_mean(per_token, mask)
    metrics = _metrics(inputs, mask, logp, ratio, advantages, clip_eps, clip_eps)
    return LossOutput(loss, {"loss": loss.item(), "policy_loss": policy_loss.item(), **metrics})


def grpo_plus(
    inputs: LossInputs, *, eps_low: float = 0.2, eps_high: float = 0.28, overlong_filtering: bool = True,
) -> LossOutput:
    """GRPO+ as in DeepCoder-14B-Preview: clip-high, token-mean, overlong filtering, no KL, no entropy.

    The surrogate is clipped asymmetrically to [1 - eps_low, 1 + eps_high] (DAPO's clip-higher,
    which leaves room for unlikely tokens to grow) and averaged over all masked tokens of the batch.
    With ``overlong_filtering`` the loss applies ``overlong_filter`` itself, so it needs
    ``truncated`` and ``rewards``; applying it beforehand as well is harmless (it is idempotent).

    DeepCoder's released code (rllm 18e446c) aggregated the unclipped surrogate, which made the
    clip a no-op (rllm issue #81); here the clipped ``min`` is what is aggregated. Use with
    ``group_advantages(..., scale=True)`` and binary rewards.
    """
    mask, logp, old_logp = _tokens(inputs)
    advantages = inputs.advantages.detach()
    extra: dict[str, float] = {}
    if overlong_filtering:
        if inputs.truncated is None or inputs.rewards is None:
            raise ValueError("overlong filtering needs truncated and rewards (or overlong_filtering=False)")
        advantages = overlong_filter(advantages, inputs.truncated, inputs.rewards)
        extra["overlong_filtered"] = (inputs.truncated.bool() & (inputs.rewards == 0)).float().mean().item()
    ratio = torch.exp(logp - old_logp)
    per_token = _clipped_surrogate(ratio, advantages, eps_low, eps_high)
    loss = _token_mean(per_token, mask)
    metrics = _metrics(inputs, mask, logp, ratio, advantages, eps_low, eps_high)
    return LossOutput(loss, {"loss": loss.item(), "policy_loss": loss.item(), **metrics, **extra})


def dapo(inputs: LossInputs, *, eps_low: float = 0.2, eps_high: float = 0.28) -> LossOutput:
    """DAPO: GRPO+'s clip-high token-mean surrogate, without overlong filtering.

    DAPO's other parts act before the loss: rewards ``signed_reward(passed)`` (+-1) plus
    ``soft_overlong_penalty``, and batches built by ``select_informative_groups``. Its soft penalty
    replaces overlong filtering, whose "scored 0" test does not apply to +-1 rewards anyway.
    """
    return grpo_plus(inputs, eps_low=eps_low, eps_high=eps_high, overlong_filtering=False)


def dr_grpo(inputs: LossInputs, *, max_len: int, clip_eps: float = 0.2) -> LossOutput:
    """Dr. GRPO: the clipped surrogate summed over tokens and divided by ``B * max_len``.

    ``max_len`` is the generation budget (a constant), not the longest sequence of this batch, so
    the per-token weight does not depend on the lengths sampled: no length bias. Use with
    ``group_advantages(..., scale=False)``. No KL term.
    """
    if max_len < 1:
        raise ValueError("max_len must be >= 1")
    mask, logp, old_logp = _tokens(inputs)
    if int(mask.sum(dim=1).max()) > max_len:
        raise ValueError(f"a completion has more than max_len={max_len} tokens")
    ratio = torch.exp(logp - old_logp)
    advantages = inputs.advantages.detach()
    per_token = _clipped_surrogate(ratio, advantages, clip_eps, clip_eps)
    loss = torch.where(mask, per_token, 0.0).sum() / (mask.shape[0] * max_len)
    metrics = _metrics(inputs, mask, logp, ratio, advantages, clip_eps, clip_eps)
    return LossOutput(loss, {"loss": loss.item(), "policy_loss": loss.item(), **metrics})


def seed_grpo_plus(
    inputs: LossInputs,
    *,
    clip_eps: float = 0.2,
    clip_std_low: float = 0.1,
    clip_std_high: float = 0.3,
    clip_widen: float = 1.2,
    clip_narrow: float = 0.8,
    entropy_coef: float = 0.01,
    entropy_decay: float = 0.95,
    entropy_coef_min: float = 0.001,
    reward_var_threshold: float = 1.0,
    reward_var_coef: float = 0.1,
) -> LossOutput:
    """The "GRPO+" of the seed text this project started from. NOT DeepCoder's recipe.

    DeepCoder's GRPO+ removes the entropy loss and clips asymmetrically (see ``grpo_plus``). The
    seed's variant instead has, following its code:

    - an adaptive, symmetric clip ``[1 - e, 1 + e]`` with ``e = adaptive_clip_eps(std(rho))``, the
      unbiased std of the ratio over masked tokens (detached; 0 with fewer than two tokens): x1.2
      if std < 0.1, x0.8 if std > 0.3. Note that on the first update of a batch rho == 1, so the
      std is 0 and e = 0.24;
    - the surrogate averaged over all masked tokens (the seed's ``.mean()``);
    - an entropy bonus ``-entropy_coefficient(step) * mean(entropies)``, decaying with ``step``;
    - ``reward_variance_penalty(rewards)`` = 0.1 * relu(var(r) - 1), gradient-free.

    Needs ``entropies`` and ``rewards``. The seed's advantages are ``r - mean_g`` without the std
    (``SCALE_ADVANTAGES["seed_grpo_plus"]`` is False).
    """
    if inputs.entropies is None or inputs.rewards is None:
        raise ValueError("seed_grpo_plus needs entropies and rewards")
    mask, logp, old_logp = _tokens(inputs)
    ratio = torch.exp(logp - old_logp)
    eps = adaptive_clip_eps(
        _masked_std(ratio.detach(), mask), base=clip_eps, low_std=clip_std_low, high_std=clip_std_high,
        widen=clip_widen, narrow=clip_narrow,
    )
    advantages = inputs.advantages.detach()
    policy_loss = _token_mean(_clipped_surrogate(ratio, advantages, eps, eps), mask)
    coef = entropy_coefficient(inputs.step, coef=entropy_coef, decay=entropy_decay, floor=entropy_coef_min)
    entropy = _token_mean(_masked(inputs.entropies, mask), mask)
    penalty = reward_variance_penalty(inputs.rewards, threshold=reward_var_threshold, coef=reward_var_coef)
    loss = policy_loss - coef * entropy + penalty
    metrics = _metrics(inputs, mask, logp, ratio, advantages, eps, eps)
    return LossOutput(loss, {
        "loss": loss.item(), "policy_loss": policy_loss.item(), **metrics,
        "clip_eps": eps, "entropy_coef": coef, "reward_var_penalty": penalty.item(),
    })


LOSSES: Mapping[str, Callable[..., LossOutput]] = MappingProxyType({
    "grpo": grpo,
    "grpo_plus": grpo_plus,
    "dapo": dapo,
    "dr_grpo": dr_grpo,
    "seed_grpo_plus": seed_grpo_plus,
})

# Whether each recipe divides the group-centred reward by the group std (``group_advantages(scale=)``).
SCALE_ADVANTAGES: Mapping[str, bool] = MappingProxyType({
    "grpo": True,
    "grpo_plus": True,
    "dapo": True,
    "dr_grpo": False,
    "seed_grpo_plus": False,
})

# Recipes whose loss reads a row only through its advantage (no KL term, no entropy bonus): a row
# whose advantage is 0 adds nothing to the gradient. The trainer scores such rows without one.
ADVANTAGE_ONLY: frozenset[str] = frozenset({"grpo_plus", "dapo", "dr_grpo"})


# ----------------------------------------------------------------------------------------------
# Helpers


def _as_float(x: Tensor) -> Tensor:
    x = torch.as_tensor(x)
    return x if x.is_floating_point() else x.to(torch.get_default_dtype())


def _grouped(x: Tensor, group_size: int) -> Tensor:
    if x.ndim != 1:
        raise ValueError(f"expected a [B] tensor, got shape {tuple(x.shape)}")
    if group_size < 1 or x.numel() % group_size:
        raise ValueError(f"B={x.numel()} is not a multiple of group_size={group_size}")
    return x.view(-1, group_size)


def _masked(x: Tensor, mask: Tensor) -> Tensor:
    """Zero the padding (whatever it holds, NaN included) so it reaches neither loss nor gradient."""
    return x.masked_fill(~mask, 0.0)


def _tokens(inputs: LossInputs) -> tuple[Tensor, Tensor, Tensor]:
    mask = inputs.mask.bool()
    return mask, _masked(inputs.logp, mask), _masked(inputs.old_logp.detach(), mask)


def _clipped_surrogate(ratio: Tensor, advantages: Tensor, eps_low: float, eps_high: float) -> Tensor:
    """Per-token PPO loss ``-min(rho A, clip(rho, 1 - eps_low, 1 + eps_high) A)``.

    Where the clipped branch is the smaller one, the loss is constant in rho: zero gradient.
    """
    advantages = advantages[:, None]
    unclipped = ratio * advantages
    clipped = ratio.clamp(1.0 - eps_low, 1.0 + eps_high) * advantages
    return -torch.minimum(unclipped, clipped)


def _token_mean(x: Tensor, mask: Tensor) -> Tensor:
    return torch.where(mask, x, 0.0).sum() / mask.sum().clamp(min=1)


def _seq_mean_token_mean(x: Tensor, mask: Tensor) -> Tensor:
    # A sequence without tokens contributes 0 and still counts in the mean over sequences (as TRL).
    return (torch.where(mask, x, 0.0).sum(dim=1) / mask.sum(dim=1).clamp(min=1)).mean()


def _masked_std(x: Tensor, mask: Tensor) -> float:
    n = int(mask.sum())
    if n < 2:
        return 0.0
    mean = torch.where(mask, x, 0.0).sum() / n
    return float((torch.where(mask, (x - mean) ** 2, 0.0).sum() / (n - 1)).sqrt())


@torch.no_grad()
def _metrics(
    inputs: LossInputs, mask: Tensor, logp: Tensor, ratio: Tensor, advantages: Tensor,
    eps_low: float, eps_high: float,
) -> dict[str, float]:
    """Clip fractions count masked tokens where a clip removes the gradient: rho < 1 - eps_low
    with A < 0 (low), rho > 1 + eps_high with A > 0 (high)."""
    advantages = advantages[:, None]
    low = (ratio < 1.0 - eps_low) & (advantages < 0)
    high = (ratio > 1.0 + eps_high) & (advantages > 0)
    metrics = {
        "clip_frac_low": _token_mean(low.float(), mask).item(),
        "clip_frac_high": _token_mean(high.float(), mask).item(),
        "ratio_mean": _token_mean(ratio, mask).item(),
        "ratio_std": _masked_std(ratio, mask),
        "tokens": float(mask.sum()),
    }
    if inputs.ref_logp is not None:
        metrics["kl"] = _token_mean(k3_kl(logp, _masked(inputs.ref_logp, mask)), mask).item()
    if inputs.entropies is not None:
        metrics["entropy"] = _token_mean(_masked(inputs.entropies, mask), mask).item()
    return metrics
