"""Unit 2's exercises written the plain way a learner writes them: what ``show_solution`` prints.

The references in ``helpers.qlearning`` are the ones that run when an exercise falls back. They do the same
maths, tuned: a faster tie-break (Python lists instead of NumPy calls, which cost more on a row of 4 to 6),
a seedable random generator, argument checks. Those lines teach nothing, so the notebooks show these instead.
The tests hold both to the same exercise checks, and the solved notebooks train with these.
"""
from __future__ import annotations

import random

import numpy as np
from tqdm.auto import tqdm

from helpers import qlearning  # epsilon_at, the course's schedule, which the notebook's train cell calls

# What a solved notebook cell imports before one of these (``helpers.checks.exercises.solution_cell``).
__all__ = ["np", "random", "tqdm", "qlearning"]


def greedy_policy(Qtable, state):
    q = Qtable[state]
    best_actions = np.flatnonzero(q == q.max())  # every action tied for the highest value
    action = int(np.random.choice(best_actions))  # at random: with argmax, ties always go to action 0
    return action


def epsilon_greedy_policy(Qtable, state, epsilon):
    random_num = random.uniform(0, 1)
    if random_num > epsilon:
        action = greedy_policy(Qtable, state)  # exploit
    else:
        action = random.randint(0, Qtable.shape[1] - 1)  # explore
    return action


def train(n_training_episodes, min_epsilon, max_epsilon, decay_rate, env, max_steps, Qtable, learning_rate, gamma,
          seed=None, episode_returns=None, progress=True):
    env.reset(seed=seed)
    for episode in tqdm(range(n_training_episodes), disable=not progress):
        epsilon = qlearning.epsilon_at(episode, min_epsilon, max_epsilon, decay_rate)  # as the cell gives it
        state, info = env.reset()
        total = 0.0
        for step in range(max_steps):
            action = epsilon_greedy_policy(Qtable, state, epsilon)
            new_state, reward, terminated, truncated, info = env.step(action)
            # A terminal state has no future; a truncated episode still had one.
            if terminated:
                target = reward
            else:
                target = reward + gamma * np.max(Qtable[new_state])
            Qtable[state, action] = Qtable[state, action] + learning_rate * (target - Qtable[state, action])
            total += reward
            if terminated or truncated:
                break
            state = new_state
        if episode_returns is not None:
            episode_returns.append(total)
    return Qtable
