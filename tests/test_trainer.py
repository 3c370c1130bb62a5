"""The RL loop, rollouts and evaluation with a tiny real policy and the real sandbox."""

import dataclasses
import math

import pandas as pd
import pytest
import torch

from execrl.rl.evaluate import EPISODE_COLUMNS, Attempt, EvalConfig, evaluate, pass_at_k, summarize
from execrl.rl.pretrain import new_policy
from execrl.rl.rollout import collect, judge
from execrl.rl.trainer import TrainConfig, train
from execrl.sandbox import Sandbox
from execrl.tasks.procedural import generate_suite


@pytest.fixture(scope="module")
def tasks():
    return generate_suite(seed=0, tasks_per_level=3, levels=(1, 2), variants=("single", "multi_step"))


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(workers=2) as box:
        yield box


def tiny_policy():
    torch.manual_seed(0)
    return new_policy(n_layer=1, n_head=2, n_embd=32, block_size=1024, seed=0, device=torch.device("cpu"))


def small(method: str, reward: str = "outcome", **overrides) -> TrainConfig:
    settings = dict(steps=2, tasks_per_step=2, group_size=4, max_new_tokens=40, checkpoint_every=1, dapo_max_draws=2)
    return TrainConfig(method=method, reward=reward, **{**settings, **overrides})


def test_pass_at_k_is_the_unbiased_estimator():
    assert pass_at_k(4, 0, 1) == 0.0 and pass_at_k(4, 4, 2) == 1.0
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(1 - 3 / 6)  # 1 - C(3,2)/C(4,2)
    with pytest.raises(ValueError):
        pass_at_k(4, 5, 1)


def test_rollouts_are_judged_on_every_tier_and_rewarded_on_the_reward_tier(tasks, sandbox):
    single = [t for t in tasks if t.variant == "single"][:2]
    rollout = collect(tiny_policy(), sandbox, single, 3, "strong", 20, 1.0, 1.0, torch.Generator().manual_seed(0))
    assert len(rollout) == 6 and [t.task_id for t in rollout.tasks[:3]] == [single[0].task_id] * 3
    assert set(rollout.verdicts) == {"visible", "strong", "hidden"}
    assert rollout.rewards == [1.0 if v.passed else 0.0 for v in rollout.verdicts["strong"]]


@pytest.mark.parametrize("method", ["grpo", "grpo_plus", "dapo", "dr_grpo", "seed_grpo_plus"])
def test_every_method_trains_and_logs_its_metrics(tasks, sandbox, tmp_path, method):
    metrics, timings, _ = train(tiny_policy(), tasks, small(method), sandbox, tmp_path / "resume.pt")
    assert [row["step"] for row in metrics] == [1, 2] and [row["step"] for row in timings] == [1, 2]
    for key in ("reward_mean", "zero_std_groups", "visible_pass", "hidden_pass", "hacking_rate", "entropy",
                "clip_frac_low", "clip_frac_high", "truncation_rate", "completion_tokens"):
        assert key in metrics[-1]
    assert all(t["generation_s"] > 0 and t["sandbox_s"] > 0 for t in timings)


@pytest.mark.parametrize("curriculum", ["uniform", "adaptive"])
def test_same_seed_same_metrics_and_an_interrupted_run_resumes_to_the_same_end(tasks, sandbox, tmp_path, curriculum):
    config = small("grpo_plus", steps=3, curriculum=curriculum, validate_every=2, validation_tasks_per_level=1,
                   validation_samples=2)
    validation = [t for t in tasks if t.split != "train"]

    def run(settings, path):
        return train(tiny_policy(), tasks, settings, sandbox, path, validation=validation)

    first, again = run(config, tmp_path / "a.pt"), run(config, tmp_path / "b.pt")
    assert same_table(first.metrics, again.metrics) and same_table(first.curve, again.curve)
    run(dataclasses.replace(config, steps=1), tmp_path / "c.pt")  # stops after step 1 with a resume point
    resumed = run(config, tmp_path / "c.pt")
    assert same_table(resumed.metrics, first.metrics) and same_table(resumed.curve, first.curve)
    # a learning curve: before the first step, every second step and at the end, with the rollouts consumed
    assert [(p["step"], p["rollouts"]) for p in first.curve] == [(0, 0), (2, 16), (3, 24)]
    levels = sorted({t.level for t in validation})
    assert set(first.curve[0]) == {"step", "rollouts", "hidden_pass_at_1", *(f"hidden_pass_at_1_level_{n}" for n in levels)}


def same_table(a: list[dict], b: list[dict]) -> bool:
    return pd.DataFrame(a).equals(pd.DataFrame(b))  # NaN equals NaN here, as in the Parquet tables


@pytest.mark.parametrize(("method", "logged"), [("grpo_plus", [False, True, False, True]), ("grpo", [True] * 4)])
def test_the_kl_is_logged_every_step_only_where_the_loss_uses_it(tasks, sandbox, tmp_path, method, logged):
    metrics, _, _ = train(tiny_policy(), tasks, small(method, steps=4, kl_every=2), sandbox, tmp_path / "r.pt")
    assert [not math.isnan(row["kl"]) for row in metrics] == logged


def test_the_seed_variant_moves_the_policy_through_its_entropy_bonus(tasks, sandbox, tmp_path):
    policy = tiny_policy()  # untrained: every reward is 0, so only the entropy bonus gives a gradient
    before = [p.detach().clone() for p in policy.model.parameters()]
    train(policy, tasks, small("seed_grpo_plus"), sandbox, tmp_path / "r.pt")
    assert any(not torch.equal(b, p) for b, p in zip(before, policy.model.parameters()))


def test_evaluation_covers_every_mode_and_counts_turns(tasks, sandbox):
    test = [t for t in tasks if t.variant == "single"][:2] + [t for t in tasks if t.variant == "multi_step"][:2]
    config = EvalConfig(samples=2, max_new_tokens=20, turns=2)
    episodes = evaluate(tiny_policy(), sandbox, test, config, seed=0)
    assert list(episodes.columns) == list(EPISODE_COLUMNS)
    assert set(episodes["mode"]) == {"single_turn", "multi_turn", "multi_step"}
    assert len(episodes[episodes["mode"] == "single_turn"]) == len(episodes[episodes["mode"] == "multi_step"]) == 4
    multi = episodes[episodes["mode"] == "multi_turn"]
    failed_first = multi[(multi["turn"] == 1) & ~multi["visible_pass"]]
    assert len(multi[multi["turn"] == 2]) == len(failed_first)  # only failed episodes take another turn
    columns = ["task_id", "episode", "visible_pass", "hidden_pass", "truncated"]
    single = episodes[episodes["mode"] == "single_turn"]
    assert single[columns].values.tolist() == multi[multi["turn"] == 1][columns].values.tolist()  # turn 1 is reused
    assert (episodes["parsed"] | ~episodes["loaded"]).all()  # a module that loaded was parsed
    summary = summarize(episodes, ks=(1, 2))
    assert set(summary["tier"]) == {"visible", "hidden"} and summary["pass_at_k"].between(0, 1).all()


def test_an_episode_row_carries_the_staged_signals(tasks, sandbox):
    task = tasks[0]
    broken = "    return undefined_name\n"
    verdicts = judge(sandbox, [task, task], [task.canonical_solution, broken])
    right, wrong = (Attempt(task, 0, text, verdicts["visible"][i], verdicts["hidden"][i], verdicts["strong"][i], False)
                    for i, text in enumerate([task.canonical_solution, broken]))
    row = right.row("single_turn", 1)
    assert (row["parsed"], row["loaded"], row["visible_pass"], row["hidden_pass"], row["strong_pass"], row["visible_fraction"]) == (
        True, True, True, True, True, 1.0)
    row = wrong.row("single_turn", 1)
    assert (row["parsed"], row["loaded"], row["visible_pass"], row["strong_pass"], row["visible_fraction"]) == (True, True, False, False, 0.0)
    assert set(row) == set(EPISODE_COLUMNS)


def test_timing_summary_shares_and_rate():
    from execrl.rl.trainer import timing_summary

    timings = [{"step": 1, "generation_s": 2.0, "sandbox_s": 1.0, "update_s": 1.0, "step_s": 4.0},
               {"step": 2, "generation_s": 1.0, "sandbox_s": 1.0, "update_s": 2.0, "step_s": 4.0}]
    summary = timing_summary(timings, samples_per_step=16)
    assert summary["rollouts_per_second"] == 32 / 8
    assert (summary["generation_share"], summary["sandbox_share"], summary["update_share"]) == (3 / 8, 2 / 8, 3 / 8)
    with pytest.raises(ValueError):
        timing_summary([], 16)


def test_a_stale_resume_point_is_ignored(tasks, sandbox, tmp_path):
    # timings hold wall-clock seconds: equal lists mean they were read back from the resume point
    config = small("grpo_plus", steps=2)
    _, first, _ = train(tiny_policy(), tasks, config, sandbox, tmp_path / "r.pt", fingerprint="warm-start-A")
    _, fresh, _ = train(tiny_policy(), tasks, config, sandbox, tmp_path / "r.pt", fingerprint="warm-start-B")
    assert fresh != first  # another starting point: trained afresh
    _, again, _ = train(tiny_policy(), tasks, config, sandbox, tmp_path / "r.pt", fingerprint="warm-start-B")
    assert again == fresh  # same starting point: resumed (here, already complete)


def test_training_draws_only_from_the_configured_levels(tasks, sandbox, tmp_path, monkeypatch):
    import execrl.rl.trainer as trainer

    drawn_levels, collect = [], trainer.collect

    def recording(policy, box, chosen, *args):
        drawn_levels.append({t.level for t in chosen})
        return collect(policy, box, chosen, *args)

    monkeypatch.setattr(trainer, "collect", recording)
    train(tiny_policy(), tasks, small("grpo_plus", levels=(1,)), sandbox, tmp_path / "r.pt")
    assert drawn_levels == [{1}, {1}]
    too_many = sum(t.level == 1 for t in tasks) + 1
    with pytest.raises(ValueError, match="fewer than tasks_per_step"):
        train(tiny_policy(), tasks, small("grpo_plus", levels=(1,), tasks_per_step=too_many), sandbox, tmp_path / "s.pt")


def test_evaluation_takes_the_first_tasks_of_each_level_and_variant(tasks):
    from execrl.rl.evaluate import evaluated_tasks

    chosen = evaluated_tasks(tasks, 1)
    assert sorted((t.level, t.variant) for t in chosen) == [(1, "multi_step"), (1, "single"), (2, "multi_step"), (2, "single")]
    assert chosen[0] == tasks[0] and evaluated_tasks(tasks, None) == list(tasks)


def test_summary_averages_pass_at_k_over_tasks_overall_and_per_level():
    episodes = pd.DataFrame([
        {"mode": "single_turn", "task_id": task, "level": level, "episode": e, "turn": 1,
         "visible_pass": passed, "hidden_pass": False, "truncated": False}
        for task, level, passes in (("a", 1, [True, True]), ("b", 1, [True, False]), ("c", 2, [False, False]))
        for e, passed in enumerate(passes)
    ])
    summary = summarize(episodes, ks=(1,)).set_index(["tier", "level"])["pass_at_k"]
    assert summary[("visible", "1")] == pytest.approx(0.75)  # tasks a (1.0) and b (0.5)
    assert summary[("visible", "2")] == 0.0
    assert summary[("visible", "all")] == pytest.approx(0.5)  # (1.0 + 0.5 + 0.0) / 3 tasks
    assert summary[("hidden", "all")] == 0.0


def test_rows_without_advantage_get_no_gradient_and_the_update_is_unchanged(monkeypatch):
    # A group whose rewards are all equal has advantage 0: for GRPO+ (no KL, no entropy term) its rows
    # add nothing to the gradient, so they are scored forward-only; the step is the same.
    from execrl.rl import trainer
    from execrl.rl.losses import group_advantages
    from execrl.rl.rollout import Rollout

    base = tiny_policy()
    prompts = [base.encode_prompt("def f(x):")] * 4 + [base.encode_prompt("def g(y):")] * 4
    completions = base.generate(prompts, 12, generator=torch.Generator().manual_seed(0)).completions
    batch = Rollout(tasks=[None] * 8, prompts=prompts, completions=completions, texts=[""] * 8,
                    truncated=[False] * 8, verdicts={}, rewards=[1.0, 0.0, 1.0, 0.0] + [1.0] * 4,
                    generation_s=0.0, sandbox_s=0.0)
    rewards = torch.tensor(batch.rewards)
    advantages = group_advantages(rewards, 4, scale=True)
    config = small("grpo_plus")

    def update(advantage_only):
        monkeypatch.setattr(trainer, "ADVANTAGE_ONLY", advantage_only)
        policy = tiny_policy()
        scored = []
        score = policy.score_completions
        monkeypatch.setattr(policy, "score_completions",
                            lambda p, c, t: scored.append((len(p), torch.is_grad_enabled())) or score(p, c, t))
        optimizer = torch.optim.AdamW(policy.model.parameters(), lr=1e-3)
        losses = trainer._update(policy, policy, optimizer, batch, rewards, advantages, config, step=0)
        return policy, losses, scored

    skipping, losses, scored = update(frozenset({"grpo_plus"}))
    full, full_losses, full_scored = update(frozenset())
    assert sorted(scored) == [(4, False), (4, True)] and full_scored == [(8, True)]
    assert losses == pytest.approx(full_losses, nan_ok=True)
    for mine, theirs in zip(skipping.model.parameters(), full.model.parameters()):
        assert torch.allclose(mine, theirs, atol=1e-7, rtol=0)
