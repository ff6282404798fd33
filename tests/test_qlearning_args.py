"""helpers.qlearning's reference functions refuse arguments that cannot work, with a message that names the
argument and says what to pass, before any episode runs (issue 15)."""
from __future__ import annotations

import math
import re

import gymnasium as gym
import numpy as np
import pytest

from helpers import qlearning

GOOD = dict(n_training_episodes=10, min_epsilon=0.05, max_epsilon=1.0, decay_rate=0.0005, max_steps=99,
            learning_rate=0.7, gamma=0.95)


class NoSteps(gym.Wrapper):
    """An env that fails the test if anything is played on it."""

    def reset(self, **kwargs):
        raise AssertionError("an episode started with arguments that cannot work")

    step = reset


def _lake():
    return NoSteps(gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False))


@pytest.mark.parametrize("name, value, words", [
    ("n_training_episodes", 0, "n_training_episodes=0: it counts episodes, so it must be a whole number of at least 1"),
    ("n_training_episodes", -5, "n_training_episodes=-5"),
    ("n_training_episodes", 2.5, "n_training_episodes=2.5"),
    ("max_steps", 0, "max_steps=0: it counts steps"),
    ("gamma", 1.5, "gamma=1.5: it must be a number from 0.0 to 1.0 (the course uses 0.95)"),
    ("gamma", -0.1, "gamma=-0.1"),
    ("gamma", math.nan, "gamma=nan"),
    ("learning_rate", math.nan, "learning_rate=nan: it must be a number above 0.0 and at most 1.0"),
    ("learning_rate", 0.0, "learning_rate=0.0"),
    ("min_epsilon", 2.0, "min_epsilon=2.0"),
    ("decay_rate", math.inf, "decay_rate=inf: it must be a finite number"),
    ("decay_rate", -1.0, "decay_rate=-1.0"),
])
def test_train_refuses_arguments_that_cannot_work(name, value, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        qlearning.train(env=_lake(), Qtable=np.zeros((16, 4)), progress=False, **(GOOD | {name: value}))


@pytest.mark.parametrize("max_steps, n_eval_episodes, words", [
    (99, 0, "n_eval_episodes=0: it counts episodes"),
    (99, -1, "n_eval_episodes=-1"),
    (0, 10, "max_steps=0"),
])
def test_evaluate_agent_refuses_zero_episodes_instead_of_returning_nan(max_steps, n_eval_episodes, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        qlearning.evaluate_agent(_lake(), max_steps, n_eval_episodes, np.zeros((16, 4)))


def test_good_arguments_still_train_and_evaluate():
    env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False)
    table = qlearning.train(env=env, Qtable=np.zeros((16, 4)), seed=0, progress=False,
                            **(GOOD | {"n_training_episodes": np.int64(300), "gamma": 1, "min_epsilon": 0}))
    mean, std = qlearning.evaluate_agent(env, 99, 3, table)
    assert math.isfinite(mean) and math.isfinite(std)
