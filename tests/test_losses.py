"""execrl.rl.losses against values worked out by hand (the arithmetic is in each test)."""

from __future__ import annotations

import math

import pytest
import torch

from execrl.rl.losses import (
    LOSSES,
    SCALE_ADVANTAGES,
    LossInputs,
    adaptive_clip_eps,
    dapo,
    dr_grpo,
    dynamic_sampling_keep,
    entropy_coefficient,
    group_advantages,
    grpo,
    grpo_plus,
    k3_kl,
    overlong_filter,
    reward_variance_penalty,
    seed_grpo_plus,
    select_informative_groups,
    signed_reward,
    soft_overlong_penalty,
)

F64 = torch.float64
approx = pytest.approx


def t(values, dtype=F64):
    return torch.tensor(values, dtype=dtype)


def close(actual, expected):
    torch.testing.assert_close(actual, torch.as_tensor(expected, dtype=actual.dtype), rtol=1e-9, atol=1e-12)


def inputs_from_ratios(ratios, advantages, mask=None, **extra):
    """LossInputs with old_logp = 0, so that exp(logp - old_logp) is the given ratio exactly."""
    logp = torch.log(t(ratios)).requires_grad_()
    mask = torch.ones_like(logp, dtype=torch.bool) if mask is None else t(mask).bool()
    return LossInputs(logp=logp, old_logp=torch.zeros_like(logp), advantages=t(advantages), mask=mask, **extra)


def all_fields(ratios, advantages, mask=None):
    """Inputs every loss accepts: no KL pull (ref = current), nothing truncated, rewards of var 0."""
    base = inputs_from_ratios(ratios, advantages, mask)
    B, T = base.logp.shape
    return LossInputs(
        logp=base.logp, old_logp=base.old_logp, advantages=base.advantages, mask=base.mask,
        ref_logp=base.logp.detach().clone(), rewards=torch.zeros(B, dtype=F64),
        truncated=torch.zeros(B, dtype=torch.bool), entropies=torch.zeros(B, T, dtype=F64),
    )


def hyper(name, T):
    # grpo's KL term has its own gradient; switch it off where only the surrogate is under test.
    return {"grpo": {"beta": 0.0}, "dr_grpo": {"max_len": T}}.get(name, {})


# ---------------------------------------------------------------------------------------------
# Advantages


def test_group_advantages_unbiased_std():
    r = t([1, 0, 0, 0, 1, 1, 0, 0])
    # group 1: mean 0.25, deviations (0.75, -0.25, -0.25, -0.25), unbiased var (0.5625 + 3*0.0625)/3
    # = 0.25, std 0.5 (a biased std would be sqrt(0.75/4) = 0.433); group 2: mean 0.5, deviations
    # +-0.5, var 4*0.25/3 = 1/3, std 1/sqrt(3).
    s2 = 1 / math.sqrt(3)
    expected = [0.75 / 0.5, -0.5, -0.5, -0.5, 0.5 / s2, 0.5 / s2, -0.5 / s2, -0.5 / s2]
    assert group_advantages(r, 4, eps=0.0).tolist() == approx(expected)


def test_group_advantages_eps_is_added_to_std():
    # std of (0, 1) is sqrt(0.5); TRL adds 1e-4, verl/rllm 1e-6 (default); a large eps shows it.
    r = t([0, 1])
    assert group_advantages(r, 2, eps=0.5).tolist() == approx([-0.5 / (math.sqrt(0.5) + 0.5), 0.5 / (math.sqrt(0.5) + 0.5)])
    assert group_advantages(r, 2).tolist() == approx([-0.5 / (math.sqrt(0.5) + 1e-6), 0.5 / (math.sqrt(0.5) + 1e-6)])


def test_dr_grpo_advantages_are_centred_not_scaled():
    r = t([1, 0, 0, 0, 3, 1, 1, 1])
    # means 0.25 and 1.5
    assert group_advantages(r, 4, scale=False).tolist() == approx([0.75, -0.25, -0.25, -0.25, 1.5, -0.5, -0.5, -0.5])


def test_all_equal_group_gets_zero_advantage():
    r = t([1, 1, 1, 0, 1, 0])
    a = group_advantages(r, 3)
    assert a[:3].tolist() == [0.0, 0.0, 0.0]
    assert a[3:].abs().min() > 0.5
    assert group_advantages(r, 3, scale=False)[:3].tolist() == [0.0, 0.0, 0.0]


def test_group_advantages_rejects_ragged_groups():
    with pytest.raises(ValueError):
        group_advantages(t([1, 0, 1]), 2)


def test_scale_advantages_table_matches_recipes():
    assert set(LOSSES) == {"grpo", "grpo_plus", "dapo", "dr_grpo", "seed_grpo_plus"} == set(SCALE_ADVANTAGES)
    assert SCALE_ADVANTAGES["grpo"] and SCALE_ADVANTAGES["grpo_plus"] and not SCALE_ADVANTAGES["dr_grpo"]


# ---------------------------------------------------------------------------------------------
# KL


def test_k3_kl_values_and_non_negativity():
    # ref - logp = log(0.25) - log(0.5) = -ln 2: 0.5 + ln 2 - 1;  ref - logp = +ln 2: 2 - ln 2 - 1.
    logp = torch.log(t([0.5, 0.25]))
    ref = torch.log(t([0.25, 0.5]))
    assert k3_kl(logp, ref).tolist() == approx([0.5 + math.log(2) - 1, 2 - math.log(2) - 1])
    assert k3_kl(logp, logp).tolist() == [0.0, 0.0]
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(1000, generator=g, dtype=F64) * 3, torch.randn(1000, generator=g, dtype=F64) * 3
    assert (k3_kl(a, b) >= 0).all()


# ---------------------------------------------------------------------------------------------
# Clipping


def test_grpo_clipping_bites_value_and_gradient():
    # Sequence 0 (A=+1): ratio 1.5 is clipped to 1.2 -> loss -1.2, no gradient; ratio 0.5 is below
    # the clip but the unclipped 0.5 < 0.8 is the min -> loss -0.5, d/dlogp = -ratio = -0.5.
    # Sequence 1 (A=-1): ratio 0.5 -> -min(-0.5, -0.8) = 0.8, constant; ratio 1.5 ->
    # -min(-1.5, -1.2) = 1.5, d/dlogp = +1.5.
    # Sequence means: (-1.2 - 0.5)/2 = -0.85 and (0.8 + 1.5)/2 = 1.15; loss (-0.85 + 1.15)/2 = 0.15.
    x = inputs_from_ratios([[1.5, 0.5], [0.5, 1.5]], [1.0, -1.0])
    out = grpo(x, beta=0.0)
    assert out.loss.item() == approx(0.15)
    out.loss.backward()
    # each gradient is divided by 2 tokens and 2 sequences
    close(x.logp.grad, [[0.0, -0.5 / 4], [0.0, 1.5 / 4]])
    assert out.metrics["clip_frac_high"] == approx(0.25)
    assert out.metrics["clip_frac_low"] == approx(0.25)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_every_loss_zeroes_gradient_beyond_the_clip(name):
    # rllm 18e446c aggregated the unclipped term (issue #81): the clipped tokens would get gradient.
    # ratio 2.0 with A>0 and 0.3 with A<0 are beyond every clip here (eps <= 0.28); 1.05 is inside.
    x = all_fields([[2.0, 1.05], [0.3, 1.05]], [1.0, -1.0])
    out = LOSSES[name](x, **hyper(name, 2))
    out.loss.backward()
    g = x.logp.grad
    assert g[0, 0].item() == 0.0 and g[1, 0].item() == 0.0
    assert g[0, 1].item() < 0 < g[1, 1].item()


def test_clip_high_is_asymmetric_for_grpo_plus_only():
    # ratio 1.25 with A=+1: inside grpo_plus's [0.8, 1.28] -> loss -1.25, gradient -1.25;
    # beyond grpo's 1.2 -> loss -1.2, gradient 0.
    x = inputs_from_ratios([[1.25]], [1.0])
    out = grpo_plus(x, overlong_filtering=False)
    out.loss.backward()
    assert out.loss.item() == approx(-1.25) and x.logp.grad.item() == approx(-1.25)
    assert out.metrics["clip_frac_high"] == 0.0

    x = inputs_from_ratios([[1.25]], [1.0])
    out = grpo(x, beta=0.0)
    out.loss.backward()
    assert out.loss.item() == approx(-1.2) and x.logp.grad.item() == 0.0
    assert out.metrics["clip_frac_high"] == 1.0

    # the low side stays at 0.8 for both: ratio 0.75 with A=-1 -> -min(-0.75, -0.8) = 0.8
    x = inputs_from_ratios([[0.75]], [-1.0])
    assert grpo_plus(x, overlong_filtering=False).loss.item() == approx(0.8)
    assert dapo(x).loss.item() == approx(0.8)


# ---------------------------------------------------------------------------------------------
# Aggregation


RAGGED = dict(ratios=[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], advantages=[2.0, -1.0], mask=[[1, 0, 0], [1, 1, 1]])


def test_token_mean_differs_from_sequence_mean_on_ragged_lengths():
    # ratio 1 everywhere: per-token loss -A. Lengths 1 and 3.
    x = inputs_from_ratios(**RAGGED)
    seq = grpo(x, beta=0.0)
    seq.loss.backward()
    # sequence means -2 and +1 -> -0.5; gradient -A / (len * B)
    assert seq.loss.item() == approx(-0.5)
    close(x.logp.grad, [[-2 / 2, 0, 0], [1 / 6, 1 / 6, 1 / 6]])

    x = inputs_from_ratios(**RAGGED)
    tok = grpo_plus(x, overlong_filtering=False)
    tok.loss.backward()
    # (-2 * 1 + 1 * 3) / 4 tokens = 0.25; every token weighs 1/4
    assert tok.loss.item() == approx(0.25)
    close(x.logp.grad, [[-2 / 4, 0, 0], [1 / 4, 1 / 4, 1 / 4]])


def test_dr_grpo_divides_by_batch_times_generation_budget():
    # same sum -2 + 3 = 1; B * max_len = 2 * 4 = 8, then 2 * 10 = 20 (not the batch's longest, 3).
    assert dr_grpo(inputs_from_ratios(**RAGGED), max_len=4).loss.item() == approx(1 / 8)
    x = inputs_from_ratios(**RAGGED)
    out = dr_grpo(x, max_len=10)
    out.loss.backward()
    assert out.loss.item() == approx(1 / 20)
    close(x.logp.grad, [[-2 / 20, 0, 0], [1 / 20, 1 / 20, 1 / 20]])
    with pytest.raises(ValueError):
        dr_grpo(inputs_from_ratios(**RAGGED), max_len=2)


def test_grpo_without_kl_at_ratio_one_is_the_sequence_mean_policy_gradient():
    # ratio 1 -> no clip active: loss = -mean_b(A_b), d/dlogp_bt = -A_b / (len_b * B)
    x = inputs_from_ratios([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], [0.5, -1.5], mask=[[1, 1, 0], [1, 1, 1]])
    out = grpo(x, beta=0.0)
    out.loss.backward()
    assert out.loss.item() == approx(-(0.5 - 1.5) / 2)
    close(x.logp.grad, [[-0.5 / 4, -0.5 / 4, 0], [1.5 / 6, 1.5 / 6, 1.5 / 6]])


def test_grpo_kl_term_inside_the_sequence_mean():
    # ref - logp = ln 2 on every token: k3 = 2 - ln 2 - 1, d k3/d logp = 1 - exp(ln 2) = -1.
    x = inputs_from_ratios([[1.0, 1.0], [1.0, 1.0]], [1.0, -1.0], mask=[[1, 1], [1, 0]])
    x = LossInputs(**{**x.__dict__, "ref_logp": x.logp.detach() + math.log(2)})
    out = grpo(x, beta=0.04)
    out.loss.backward()
    k3 = 2 - math.log(2) - 1
    assert out.loss.item() == approx((-1 + 1) / 2 + 0.04 * k3)
    assert out.metrics["kl"] == approx(k3)
    # seq 0: (-1 - 0.04) / (2 tokens * 2 seqs); seq 1: (+1 - 0.04) / (1 token * 2 seqs)
    close(x.logp.grad, [[-1.04 / 4, -1.04 / 4], [0.96 / 2, 0.0]])
    with pytest.raises(ValueError):
        grpo(inputs_from_ratios([[1.0]], [1.0]))  # beta 0.04 without ref_logp


# ---------------------------------------------------------------------------------------------
# Overlong filtering, DAPO reward shaping and dynamic sampling


def test_overlong_filter_zeroes_exactly_truncated_and_zero_reward():
    adv = t([0.5, -0.5, 1.0, -1.0, 0.7])
    truncated = torch.tensor([True, True, False, True, False])
    rewards = t([1, 0, 0, 0, 1])
    # index 0: truncated but scored 1 -> kept; 2: scored 0, not truncated -> kept
    assert overlong_filter(adv, truncated, rewards).tolist() == [0.5, 0.0, 1.0, 0.0, 0.7]


def test_grpo_plus_applies_overlong_filter():
    # A = (1, -1) at ratio 1; sample 1 truncated with reward 0 -> A = (1, 0): loss (-1 + 0)/2.
    x = inputs_from_ratios([[1.0], [1.0]], [1.0, -1.0], rewards=t([1, 0]), truncated=torch.tensor([False, True]))
    out = grpo_plus(x)
    assert out.loss.item() == approx(-0.5)
    assert out.metrics["overlong_filtered"] == 0.5
    assert grpo_plus(x, overlong_filtering=False).loss.item() == approx(0.0)
    assert dapo(x).loss.item() == approx(0.0)
    with pytest.raises(ValueError):
        grpo_plus(inputs_from_ratios([[1.0]], [1.0]))  # filtering on, truncation unknown


def test_soft_overlong_penalty_piecewise():
    # max_len 10, cache 4: 0 up to 6, then (6 - len)/4, -1 at 10 and beyond
    lengths = torch.tensor([0, 6, 7, 8, 10, 12])
    assert soft_overlong_penalty(lengths, max_len=10, cache_len=4).tolist() == approx([0, 0, -0.25, -0.5, -1, -1])


def test_signed_reward():
    assert signed_reward(torch.tensor([True, False, True])).tolist() == [1.0, -1.0, 1.0]


def test_dynamic_sampling_keep_drops_all_equal_groups():
    rewards = t([1, 1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0])
    assert dynamic_sampling_keep(rewards, 3).tolist() == [False, True, False, True]
    assert dynamic_sampling_keep(t([-1, -1, 1, 1]), 2).tolist() == [False, False]


def test_select_informative_groups_refills_to_target_and_stops_drawing():
    pulled = []

    def draws():
        batches = [
            (["a", "b", "c"], t([1, 1, 0, 1, 0, 0])),  # G=2: a all-equal, b informative, c all-equal
            (["d", "e"], t([1, 0, 0, 1])),  # both informative
            (["f"], t([1, 0])),  # must never be drawn
        ]
        for batch in batches:
            pulled.append(batch[0])
            yield batch

    got = select_informative_groups(draws(), group_size=2, target_groups=3)
    assert got.groups == ["b", "d", "e"] and got.filled
    assert (got.draws, got.groups_seen, got.groups_dropped) == (2, 5, 2)
    assert pulled == [["a", "b", "c"], ["d", "e"]]

    surplus = select_informative_groups(draws(), group_size=2, target_groups=2)
    assert surplus.groups == ["b", "d"] and surplus.draws == 2


def test_select_informative_groups_gives_up_after_max_draws():
    def uninformative():
        while True:
            yield ["x", "y"], t([0, 0, 1, 1])

    got = select_informative_groups(uninformative(), group_size=2, target_groups=1, max_draws=3)
    assert got.groups == [] and not got.filled
    assert (got.draws, got.groups_seen, got.groups_dropped) == (3, 6, 6)


# ---------------------------------------------------------------------------------------------
# The seed variant


def test_adaptive_clip_eps_thresholds():
    assert adaptive_clip_eps(0.0999) == approx(0.24)
    assert adaptive_clip_eps(0.1) == approx(0.2)
    assert adaptive_clip_eps(0.2) == approx(0.2)
    assert adaptive_clip_eps(0.3) == approx(0.2)
    assert adaptive_clip_eps(0.3001) == approx(0.16)


@pytest.mark.parametrize(
    "other, eps, loss, grad_first",
    [
        # ratios (1.22, 1.10): unbiased std 0.12/sqrt 2 = 0.085 < 0.1 -> eps 0.24: 1.22 unclipped
        (1.10, 0.24, -(1.22 + 1.10) / 2, -1.22 / 2),
        # (1.22, 0.90): std 0.32/sqrt 2 = 0.226 -> eps 0.2: 1.22 clipped to 1.2, no gradient
        (0.90, 0.20, -(1.2 + 0.90) / 2, 0.0),
        # (1.22, 0.60): std 0.62/sqrt 2 = 0.438 > 0.3 -> eps 0.16: 1.22 clipped to 1.16
        (0.60, 0.16, -(1.16 + 0.60) / 2, 0.0),
    ],
)
def test_seed_grpo_plus_adaptive_epsilon_from_masked_ratio_std(other, eps, loss, grad_first):
    # A = +1; a masked third token with ratio 5 must not enter the std (it would push it past 0.3).
    x = inputs_from_ratios(
        [[1.22, other, 5.0]], [1.0], mask=[[1, 1, 0]], rewards=t([0.0]), entropies=torch.zeros(1, 3, dtype=F64),
    )
    out = seed_grpo_plus(x)
    out.loss.backward()
    assert out.metrics["clip_eps"] == approx(eps)
    assert out.loss.item() == approx(loss)
    assert x.logp.grad[0, 0].item() == approx(grad_first)


def test_reward_variance_penalty():
    assert reward_variance_penalty(t([0, 1])).item() == 0.0  # unbiased var 0.5
    # (0, 0, 3, 3): mean 1.5, squared deviations 4 * 2.25 = 9, / 3 = var 3 -> 0.1 * (3 - 1)
    assert reward_variance_penalty(t([0, 0, 3, 3])).item() == approx(0.2)
    # in the loss: A = 0 and ratio 1 make the surrogate 0, so the loss is the penalty alone
    x = inputs_from_ratios([[1.0]] * 4, [0.0] * 4, rewards=t([0, 0, 3, 3]), entropies=torch.zeros(4, 1, dtype=F64))
    out = seed_grpo_plus(x)
    assert out.loss.item() == approx(0.2) and out.metrics["reward_var_penalty"] == approx(0.2)


def test_seed_entropy_bonus_decays_with_step():
    assert entropy_coefficient(0) == approx(0.01)
    assert entropy_coefficient(10) == approx(0.01 * 0.95**10)
    assert entropy_coefficient(100) == approx(0.001)  # 0.01 * 0.95**100 = 5.9e-5, floored
    # masked mean entropy (1 + 2 + 3) / 3 = 2 (the masked 100 is ignored); loss = -coef * 2
    for step, coef in [(0, 0.01), (10, 0.01 * 0.95**10)]:
        entropies = t([[1.0, 2.0], [3.0, 100.0]]).requires_grad_()
        x = inputs_from_ratios([[1.0, 1.0], [1.0, 1.0]], [0.0, 0.0], mask=[[1, 1], [1, 0]],
                               rewards=t([1, 1]), entropies=entropies, step=step)
        out = seed_grpo_plus(x)
        out.loss.backward()
        assert out.loss.item() == approx(-coef * 2)
        assert out.metrics["entropy"] == approx(2.0) and out.metrics["entropy_coef"] == approx(coef)
        close(entropies.grad, [[-coef / 3, -coef / 3], [-coef / 3, 0.0]])


# ---------------------------------------------------------------------------------------------
# Masks and inputs


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_masked_tokens_change_nothing(name):
    mask = [[1, 1, 0], [1, 0, 0]]
    clean = all_fields([[1.1, 0.7, 1.0], [1.3, 1.0, 1.0]], [1.0, -0.5], mask)
    out_clean = LOSSES[name](clean, **hyper(name, 3))
    out_clean.loss.backward()

    junk = all_fields([[1.1, 0.7, 1.0], [1.3, 1.0, 1.0]], [1.0, -0.5], mask)
    pad = ~junk.mask
    with torch.no_grad():
        junk.logp[pad] = torch.tensor([float("nan"), 40.0, -math.inf], dtype=F64)
    junk.old_logp[pad] = torch.tensor([-30.0, float("nan"), 7.0], dtype=F64)
    junk.ref_logp[pad] = 50.0
    junk.entropies[pad] = float("nan")
    # a 0/1 float mask means the same as the bool one
    junk = LossInputs(**{**junk.__dict__, "mask": junk.mask.to(F64)})
    out_junk = LOSSES[name](junk, **hyper(name, 3))
    out_junk.loss.backward()

    assert out_junk.loss.item() == approx(out_clean.loss.item())
    assert out_junk.metrics == approx(out_clean.metrics)
    close(junk.logp.grad, clean.logp.grad)
    assert junk.logp.grad[pad].tolist() == [0.0, 0.0, 0.0]


def test_loss_inputs_checks_shapes():
    logp = torch.zeros(2, 3)
    with pytest.raises(ValueError):
        LossInputs(logp=logp, old_logp=torch.zeros(2, 4), advantages=torch.zeros(2), mask=torch.ones(2, 3))
    with pytest.raises(ValueError):
        LossInputs(logp=logp, old_logp=logp, advantages=torch.zeros(3), mask=torch.ones(2, 3))
