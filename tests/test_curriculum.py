"""The RL task draw: uniform as before, or adaptive, following the policy's solve rates."""

import copy
import random

import pytest

from execrl.rl.curriculum import Curriculum
from execrl.tasks.procedural import generate_suite

G = 8


@pytest.fixture(scope="module")
def tasks():
    suite = generate_suite(seed=0, tasks_per_level=40, levels=(1, 2), variants=("single",))
    return [t for t in suite if t.split == "train"]


def adaptive(tasks, seed=0) -> Curriculum:
    return Curriculum(tasks, "adaptive", G, random.Random(seed))


def test_the_uniform_draw_is_the_plain_random_sample(tasks):
    curriculum = Curriculum(tasks, "uniform", G, random.Random("s"))
    assert curriculum.draw(4) == random.Random("s").sample(list(tasks), 4)


def test_tasks_always_or_never_solved_give_way_to_tasks_solved_sometimes(tasks):
    level1 = [t for t in tasks if t.level == 1]
    always, never, sometimes = level1[:3], level1[3:6], level1[6:9]
    curriculum = adaptive(level1[:9])
    for _ in range(3):
        curriculum.observe(always + never + sometimes, [1.0] * G * 3 + [0.0] * G * 3 + [1.0, 0.0] * 4 * 3)
    drawn = [t.task_id for _ in range(20) for t in curriculum.draw(3)]
    share = sum(task_id in {t.task_id for t in sometimes} for task_id in drawn) / len(drawn)
    assert share > 0.8


def test_the_draw_climbs_to_the_level_the_policy_starts_to_solve(tasks):
    level1, level2 = [t for t in tasks if t.level == 1], [t for t in tasks if t.level == 2]
    curriculum = adaptive(level1 + level2)
    curriculum.observe(level1[:4] + level2[:4], [1.0] * G * 4 + [0.0] * G * 4)  # level 1 mastered, level 2 out of reach

    def unseen_level2_share():
        drawn = [t for _ in range(30) for t in curriculum.draw(4)]
        return sum(t.level == 2 and t not in level2[:4] for t in drawn) / len(drawn)

    before = unseen_level2_share()
    curriculum.observe(level2[:4], [1.0, 0.0] * 4 * 4)  # level 2 now solved half the time
    assert unseen_level2_share() > before + 0.2


def test_old_outcomes_count_less_than_new_ones(tasks, monkeypatch):
    from execrl.rl import curriculum as module

    def score_after_an_early_failure():
        curriculum = adaptive([tasks[0]])
        curriculum.observe([tasks[0]], [0.0] * G)
        for _ in range(20):
            curriculum.observe([tasks[0]], [1.0] * G)
        return curriculum.score(tasks[0])

    discounted = score_after_an_early_failure()
    monkeypatch.setattr(module, "DECAY", 1.0)
    assert discounted < score_after_an_early_failure() / 1.5  # the early failed group is mostly forgotten


def test_a_restored_curriculum_draws_as_the_original_would(tasks):
    original = adaptive(tasks, seed=3)
    original.observe(tasks[:4], [1.0, 0.0, 0.0, 0.0] * 2 * 4)
    restored = adaptive(tasks, seed=99)
    restored.restore(copy.deepcopy(original.state()))
    restored.rng.setstate(original.rng.getstate())
    assert [t.task_id for t in restored.draw(5)] == [t.task_id for t in original.draw(5)]


def test_an_unknown_curriculum_is_refused(tasks):
    with pytest.raises(ValueError, match="unknown curriculum 'hard'"):
        Curriculum(tasks, "hard", G, random.Random(0))
