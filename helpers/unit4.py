"""Unit 4 (REINFORCE) in the kit's registries: its exercises, its envs (CartPole, Pixelcopter, Pong), their pass
marks and advice, and how a replay plays a policy module.

``import helpers`` imports this file, so the tables are filled before any notebook cell runs; torch and the
algorithm (``helpers.reinforce``) are imported only when they are used.
"""
from __future__ import annotations

import functools

from helpers import envs, provenance, scoring, video


def _advice(env_name, mean_reward, std_reward, trained_with=None):
    from helpers.reinforce import advice

    return advice(env_name, mean_reward, std_reward, trained_with)


def _as_evaluated(policy, rng):
    from helpers.reinforce import choose_action

    return lambda state: choose_action(policy, state, greedy=True)  # as evaluate_agent plays it


provenance.EXERCISES.extend(["Policy", "act", "PixelcopterPolicy", "discounted_returns", "normalise_returns",
                             "reinforce_loss", "reinforce"])
provenance.TRAINING.append("reinforce")
envs.COURSE_ENVS.update({"CartPole-v1": ("sutton_barto_reward",), "Pixelcopter-PLE-v0": (), "Pong-PLE-v0": ()})
scoring.register("CartPole-v1", 350, functools.partial(_advice, "CartPole-v1"))
scoring.register("Pixelcopter-PLE-v0", 5, functools.partial(_advice, "Pixelcopter-PLE-v0"))
# The course has no Pong part. Mean - std >= 0 over 10 games: the agent reliably outscores the CPU (random play
# scores -16 every game).
scoring.register("Pong-PLE-v0", 0, functools.partial(_advice, "Pong-PLE-v0"), kit_mark=True)
video.PLAYERS.append((lambda agent: hasattr(agent, "act") and hasattr(agent, "parameters"), _as_evaluated))
