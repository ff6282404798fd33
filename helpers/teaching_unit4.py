"""Unit 4's training loop written the plain way a learner writes it: what ``show_solution(kit.reinforce)``
prints, and what the solved notebook types into the loop's TODO cell.

``helpers.reinforce.reinforce`` is the one that runs when the exercise falls back: the same loop, with its
arguments checked and the run noted for the advice under a failing pass line. Those lines teach nothing.
"""
from __future__ import annotations

from collections import deque

import numpy as np
import torch

# What a solved notebook cell imports before this (``helpers.checks.exercises.solution_cell``); the exercises it
# calls (discounted_returns, normalise_returns, reinforce_loss) are the notebook's own, and `kit` is its name for
# helpers.reinforce.
__all__ = ["np", "torch", "deque"]


def reinforce(policy, optimizer, n_training_episodes, max_t, gamma, print_every, env):
    scores_deque = deque(maxlen=100)
    scores = []
    for i_episode in range(1, n_training_episodes + 1):
        saved_log_probs, rewards = [], []  # a fresh episode: empty lists
        state, info = env.reset()
        for t in range(max_t):
            action, log_prob = policy.act(state)  # sampled, with its log-probability
            saved_log_probs.append(log_prob)
            state, reward, terminated, truncated, info = env.step(action)
            rewards.append(reward)
            if terminated or truncated:
                break
        scores_deque.append(sum(rewards))
        scores.append(sum(rewards))

        # Only now, with the episode over, is every G_t known.
        returns = normalise_returns(discounted_returns(rewards, gamma))
        loss = reinforce_loss(torch.cat(saved_log_probs), returns)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if print_every and i_episode % print_every == 0:
            print(f"Episode {i_episode}\tAverage score (last 100): {np.mean(scores_deque):.2f}")
        if kit.solved(scores_deque, env, i_episode):  # the env's own "solved" line (CartPole: 475): stop here
            break
    return scores
