"""Unit 2 reference implementations: tabular Q-learning with NumPy.

These are the solutions to the notebook exercises, written once. Everything a function needs comes in
through its arguments: no function here reads notebook globals.
"""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from helpers import provenance
from helpers.arguments import check_args

# What a solved notebook cell imports before a reference solution (``helpers.checks.exercises.solution_cell``):
# the support names, never the exercises themselves, so the notebook's own functions stay the learner's.
__all__ = ["np", "tqdm", "DEFAULT_RNG", "epsilon_at", "check_args"]

# Used when the caller passes no generator; pass your own ``rng`` for reproducible runs.
DEFAULT_RNG = np.random.default_rng()


def initialize_q_table(state_space: int, action_space: int) -> np.ndarray:
    """A table of zeros: one row per state, one column per action."""
    Qtable = np.zeros((state_space, action_space))
    return Qtable


def greedy_policy(Qtable: np.ndarray, state: int, rng: np.random.Generator | None = None) -> int:
    """The action with the highest Q-value in ``state``, ties broken at random.

    Random tie-breaking matters: with ``np.argmax`` alone an untrained table (all zeros) always picks
    action 0, and on FrozenLake 8x8 the agent may never find the goal.
    """
    q = Qtable[state].tolist()  # a plain list: for a handful of values much faster than NumPy calls
    best = max(q)
    ties = [action for action, value in enumerate(q) if value == best]
    if len(ties) == 1:
        return ties[0]
    return ties[int((rng or DEFAULT_RNG).random() * len(ties))]


def epsilon_greedy_policy(Qtable: np.ndarray, state: int, epsilon: float,
                          rng: np.random.Generator | None = None) -> int:
    """With probability ``epsilon`` a random action (explore), otherwise the greedy one (exploit)."""
    rng = rng or DEFAULT_RNG
    if rng.random() > epsilon:
        action = greedy_policy(Qtable, state, rng)
    else:
        action = int(rng.integers(Qtable.shape[1]))
    return action


def epsilon_at(episode: int, min_epsilon: float, max_epsilon: float, decay_rate: float) -> float:
    """The course's exponential schedule: from ``max_epsilon`` down towards ``min_epsilon``."""
    return min_epsilon + (max_epsilon - min_epsilon) * np.exp(-decay_rate * episode)


def train(n_training_episodes: int, min_epsilon: float, max_epsilon: float, decay_rate: float, env,
          max_steps: int, Qtable: np.ndarray, learning_rate: float, gamma: float,
          seed: int | None = None, episode_returns: list | None = None, progress: bool = True) -> np.ndarray:
    """Q-learning: play ``n_training_episodes`` epsilon-greedy episodes, updating ``Qtable`` in place.

    ``seed`` makes the run reproducible (it seeds the first reset and the exploration).
    Pass a list as ``episode_returns`` to collect each episode's total reward, e.g. for a training curve.
    Returns the trained ``Qtable``.
    """
    check_args(n_training_episodes=n_training_episodes, max_steps=max_steps, learning_rate=learning_rate,
               gamma=gamma, min_epsilon=min_epsilon, max_epsilon=max_epsilon, decay_rate=decay_rate)
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)  # later resets continue this stream
    for episode in tqdm(range(n_training_episodes), disable=not progress, desc="training", mininterval=0.5):
        epsilon = epsilon_at(episode, min_epsilon, max_epsilon, decay_rate)
        state, info = env.reset()
        total = 0.0
        for step in range(max_steps):
            action = epsilon_greedy_policy(Qtable, state, epsilon, rng)
            new_state, reward, terminated, truncated, info = env.step(action)
            # Q(s,a) <- Q(s,a) + lr * [r + gamma * max_a' Q(s',a') - Q(s,a)]
            # A terminal state has no future: its value is the reward alone (no bootstrap).
            future = 0.0 if terminated else gamma * Qtable[new_state].max()
            Qtable[state, action] += learning_rate * (reward + future - Qtable[state, action])
            total += reward
            if terminated or truncated:
                break
            state = new_state
        if episode_returns is not None:
            episode_returns.append(total)
    provenance.trained_by_kit(Qtable, train)  # the pass line says the kit's train trained this table
    return Qtable


def evaluate_agent(env, max_steps: int, n_eval_episodes: int, Q: np.ndarray, seed=None) -> tuple[float, float]:
    """Play ``n_eval_episodes`` greedy episodes; return (mean, std) of the episode rewards.

    ``seed`` is an optional list of reset seeds, one per episode (the course's fixed Taxi seeds make
    every learner's evaluation comparable).
    """
    check_args(max_steps=max_steps, n_eval_episodes=n_eval_episodes)
    if seed is not None and not hasattr(seed, "__len__"):
        raise TypeError(f"evaluate_agent's seed is a list of reset seeds, one per episode (the course's eval_seed), "
                        f"got {seed!r}: pass seed=[{seed!r}] * n_eval_episodes, a list such as "
                        "defaults.TAXI_EVAL_SEEDS, or seed=None.")
    if seed is not None and len(seed) and len(seed) < n_eval_episodes:
        raise ValueError(f"evaluate_agent got {len(seed)} seeds for {n_eval_episodes} episodes: pass at "
                         f"least one seed per episode, or n_eval_episodes={len(seed)}, or seed=None.")
    rng = np.random.default_rng(0)  # only breaks ties between equally good actions
    episode_rewards = []
    for episode in range(n_eval_episodes):
        if seed is not None and len(seed):
            state, info = env.reset(seed=int(seed[episode]))
        else:
            state, info = env.reset()
        total_rewards_ep = 0.0
        for step in range(max_steps):
            action = greedy_policy(Q, state, rng)
            new_state, reward, terminated, truncated, info = env.step(action)
            total_rewards_ep += reward
            if terminated or truncated:
                break
            state = new_state
        episode_rewards.append(total_rewards_ep)
    mean_reward = float(np.mean(episode_rewards))
    std_reward = float(np.std(episode_rewards))
    provenance.note_score(Q, mean_reward, std_reward)  # the pass line finds who trained this table
    return mean_reward, std_reward


def train_from_config(config, seed: int | None = None, episode_returns: list | None = None, progress: bool = True):
    """A fresh Q-table trained with a ``defaults.QLearningConfig``. Returns ``(Qtable, env)``, the env it
    trained on (evaluating on it continues its seeded random stream, so runs repeat exactly)."""
    env = config.make_env()
    Qtable = initialize_q_table(env.observation_space.n, env.action_space.n)
    train(env=env, Qtable=Qtable, seed=seed, episode_returns=episode_returns, progress=progress,
          **config.train_kwargs())
    return Qtable, env


def train_and_evaluate(config, seed: int | None = None, progress: bool = True):
    """Train a fresh Q-table with a ``defaults.QLearningConfig`` and evaluate it as the notebooks do.

    Returns ``(Qtable, mean_reward, std_reward, episode_returns)``. The benchmark certifies exactly this.
    """
    episode_returns = []
    Qtable, env = train_from_config(config, seed, episode_returns, progress)
    mean_reward, std_reward = evaluate_agent(env, config.max_steps, config.n_eval_episodes, Qtable,
                                             config.eval_seed)
    env.close()
    return Qtable, mean_reward, std_reward, episode_returns
