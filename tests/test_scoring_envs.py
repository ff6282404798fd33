"""The pass/fail line and the course environment ids."""
import gymnasium as gym
import numpy as np
import pytest

import helpers  # noqa: F401
from helpers import envs
from helpers.defaults import TAXI_EVAL_SEEDS
from helpers.scoring import check_pass, pass_line, result

LINE = r"^(?P<env>[\w.-]+): (?P<mean>-?\d+\.\d\d) \+/- (?P<std>\d+\.\d\d) -> result (?P<result>-?\d+\.\d\d)"


def test_result_is_mean_minus_std():
    assert result(7.56, 2.71) == pytest.approx(4.85)


def test_pass_line_is_fixed_and_parseable():
    assert pass_line("Taxi-v3", 7.56, 2.71) == "Taxi-v3: 7.56 +/- 2.71 -> result 4.85 >= 4.5 PASS"
    assert pass_line("Taxi-v3", 7.44, 3.2) == "Taxi-v3: 7.44 +/- 3.20 -> result 4.24 < 4.5 FAIL"
    assert pass_line("CartPole-v1", 500, 0) == "CartPole-v1: 500.00 +/- 0.00 -> result 500.00 >= 350 PASS"
    assert pass_line("FrozenLake-v1-4x4-no_slippery", 1, 0).endswith("(no pass mark)")
    import re
    assert re.match(LINE, pass_line("Pixelcopter-PLE-v0", 12.5, 3.25)).group("result") == "9.25"


def test_check_pass_prints_and_returns(capsys):
    pytest.importorskip("torch")
    import helpers.reinforce  # noqa: F401  (registers unit 4's advice, as the notebook's imports do)
    from helpers import provenance

    provenance._SCORES.clear()  # no agent was evaluated here: no score may borrow an earlier test's record

    assert check_pass("Pixelcopter-PLE-v0", 10.0, 4.0) == True  # noqa: E712 (a Verdict, equal to the bool)
    assert check_pass("Pixelcopter-PLE-v0", 10.0, 6.0) == False  # noqa: E712
    verdict = check_pass("FrozenLake-v1-4x4", 1.0, 0.0)
    assert not verdict and verdict == False  # noqa: E712
    lines = capsys.readouterr().out.splitlines()
    # A pass line each; the failing one is followed by advice (indented), the others by nothing.
    assert [line.startswith("   ") for line in lines] == [False, False, True, False]
    assert lines[1].endswith("FAIL") and lines[3].endswith("(no pass mark)")
    with pytest.raises(ValueError, match="finite"):
        check_pass("Taxi-v3", float("nan"), 0.0)


def test_taxi_v3_exists_and_matches_v4():
    assert gym.make("Taxi-v3").reset(seed=16)[0] == 283
    if "Taxi-v4" not in gym.envs.registration.registry:
        pytest.skip(f"Gymnasium {gym.__version__} has no Taxi-v4: Taxi-v3 is its own")
    v3, v4 = gym.make("Taxi-v3"), gym.make("Taxi-v4")
    assert v3.spec.max_episode_steps == 200
    assert v3.unwrapped.P == v4.unwrapped.P
    for seed in sorted(set(TAXI_EVAL_SEEDS)):
        assert v3.reset(seed=seed)[0] == v4.reset(seed=seed)[0]
    rng = np.random.default_rng(0)
    v3.reset(seed=1), v4.reset(seed=1)
    for _ in range(2000):
        a = int(rng.integers(6))
        s3, s4 = v3.step(a), v4.step(a)
        assert s3[:4] == s4[:4]
        if s3[2] or s3[3]:
            v3.reset(), v4.reset()


def test_taxi_note_says_what_happened():
    note = envs.taxi_note()
    if "Taxi-v4" in gym.envs.registration.registry and gym.spec("Taxi-v3").entry_point == gym.spec("Taxi-v4").entry_point \
            and tuple(int(x) for x in gym.__version__.split(".")[:2]) >= (1, 3):
        assert "Taxi-v4" in note
    assert gym.__version__ in note


def test_registering_twice_is_harmless():
    envs.register_kit_envs()
    assert gym.make("Taxi-v3").reset(seed=16)[0] == 283


def test_unknown_env_id_gets_a_suggestion():
    with pytest.raises(ValueError, match="Did you mean 'Taxi-v3'"):
        envs.make_env("Taxy-v3")
    with pytest.raises(ValueError, match="Unknown environment id"):
        envs.make_env("NoSuchGame-v0")


def test_check_pass_left_as_a_cells_last_line_shows_no_bare_false():
    """A cell ending in check_pass(...) shows the pass line only: no `False` under it."""
    from IPython.core.formatters import DisplayFormatter

    verdict = check_pass("FrozenLake-v1-4x4", 1.0, 0.0)
    assert DisplayFormatter().format(verdict) == ({}, {})
    assert DisplayFormatter().format(False) != ({}, {})  # what a plain bool would have shown
    assert str(verdict) == "not passed" and repr(check_pass("Taxi-v3", 7.56, 2.71)) == "passed"
