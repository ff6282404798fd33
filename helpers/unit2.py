"""Unit 2 (Q-learning) in the kit's registries: its exercises, its envs, Taxi's pass mark and advice, and how a
replay plays a Q-table.

``import helpers`` imports this file, so the tables are filled before any notebook cell runs; the algorithm
(``helpers.qlearning``) is imported only when it is used.
"""
from __future__ import annotations

import numpy as np

from helpers import envs, provenance, scoring, video


def _taxi_advice(mean_reward, std_reward, trained_with=None):
    from helpers.qlearning import taxi_advice

    return taxi_advice(mean_reward, std_reward, trained_with)


def _greedy(table, rng):
    from helpers.qlearning import greedy_policy

    return lambda state: greedy_policy(table, state, rng)


provenance.EXERCISES.extend(["initialize_q_table", "greedy_policy", "epsilon_greedy_policy", "train"])
provenance.TRAINING.append("train")
envs.COURSE_ENVS.update({"FrozenLake-v1": (), "Taxi-v3": ("is_rainy", "fickle_passenger")})
scoring.register("Taxi-v3", 4.5, _taxi_advice)  # unit 2 is certified on Taxi alone
video.PLAYERS.append((lambda agent: isinstance(agent, np.ndarray), _greedy))
