"""Default hyperparameters: the one source the notebooks and ``benchmarks/certify.py`` share.

Change a value here and both the notebooks and the benchmark follow. In a notebook, tweak a copy:
``hp = dataclasses.replace(defaults.TAXI, n_training_episodes=50_000)``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import gymnasium as gym

# The course's 100 Taxi evaluation reset seeds (76 distinct values; repeats are part of the protocol).
TAXI_EVAL_SEEDS = [
    16, 54, 165, 177, 191, 191, 120, 80, 149, 178, 48, 38, 6, 125, 174, 73, 50, 172, 100, 148,
    146, 6, 25, 40, 68, 148, 49, 167, 9, 97, 164, 176, 61, 7, 54, 55, 161, 131, 184, 51,
    170, 12, 120, 113, 95, 126, 51, 98, 36, 135, 54, 82, 45, 95, 89, 59, 95, 124, 9, 113,
    58, 85, 51, 134, 121, 169, 105, 21, 30, 11, 50, 65, 12, 43, 82, 145, 152, 97, 106, 55,
    31, 85, 38, 112, 102, 168, 123, 97, 21, 83, 158, 26, 80, 63, 5, 81, 32, 11, 28, 148,
]


@dataclass(frozen=True)
class QLearningConfig:
    """Everything needed to rebuild the env, train a Q-table and evaluate it as the course does."""

    env_id: str
    env_kwargs: dict = field(default_factory=dict)
    n_training_episodes: int = 10_000
    learning_rate: float = 0.7
    gamma: float = 0.95
    max_steps: int = 99
    max_epsilon: float = 1.0
    min_epsilon: float = 0.05
    decay_rate: float = 0.0005
    n_eval_episodes: int = 100
    eval_seed: list = field(default_factory=list)

    def make_env(self, **extra) -> gym.Env:
        """The environment these hyperparameters are for (``extra`` e.g. ``render_mode="rgb_array"``)."""
        from helpers.envs import make_env

        return make_env(self.env_id, **{**self.env_kwargs, **extra})

    def train_kwargs(self) -> dict:
        """The keyword arguments ``qlearning.train`` takes from this config (add env and Qtable)."""
        names = ["n_training_episodes", "min_epsilon", "max_epsilon", "decay_rate", "max_steps",
                 "learning_rate", "gamma"]
        return {name: getattr(self, name) for name in names}

    def replace(self, **changes) -> "QLearningConfig":
        return dataclasses.replace(self, **changes)


# FrozenLake 4x4, not slippery: the course's values. Reaches 1.00 +/- 0.00 in about a second.
FROZENLAKE = QLearningConfig("FrozenLake-v1", dict(map_name="4x4", is_slippery=False))

# FrozenLake 8x8, not slippery: the same values work once greedy ties are broken at random.
FROZENLAKE_8X8 = QLearningConfig("FrozenLake-v1", dict(map_name="8x8", is_slippery=False))

# Slippery 4x4: moves go sideways 2 times in 3, so one sample says little about Q. A small learning rate
# averages over many samples, a long horizon (gamma 0.99) values the far goal, and more episodes pay for both.
FROZENLAKE_SLIPPERY = QLearningConfig("FrozenLake-v1", dict(map_name="4x4", is_slippery=True),
                                      n_training_episodes=50_000, learning_rate=0.05, gamma=0.99)

# Taxi: the course's values and its fixed evaluation seeds.
TAXI = QLearningConfig("Taxi-v3", n_training_episodes=25_000, decay_rate=0.005, eval_seed=TAXI_EVAL_SEEDS)
