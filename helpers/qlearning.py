"""Unit 2 reference implementations: tabular Q-learning with NumPy.

These are the solutions to the notebook exercises, written once. Everything a function needs comes in
through its arguments: no function here reads notebook globals.
"""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from helpers import events
from helpers.arguments import check_args, count, seed_list
from helpers.i18n import _

# What a solved notebook cell imports before a reference solution (``helpers.checks.exercises.solution_cell``):
# the support names, never the exercises themselves, so the notebook's own functions stay the learner's.
__all__ = ["np", "tqdm", "DEFAULT_RNG", "epsilon_at", "check_args", "count", "seed_list"]
# The plain versions of these references, as show_solution prints them and the solved notebook types them.
PLAIN_VERSIONS = "helpers.teaching"

# Used when the caller passes no generator; pass your own ``rng`` for reproducible runs.
DEFAULT_RNG = np.random.default_rng()


def initialize_q_table(state_space: int, action_space: int) -> np.ndarray:
    """A table of zeros: one row per state, one column per action."""
    count("state_space", state_space), count("action_space", action_space)
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
               gamma=gamma, min_epsilon=min_epsilon, max_epsilon=max_epsilon, decay_rate=decay_rate, env=env,
               Qtable=Qtable, seed=seed, episode_returns=episode_returns)
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)  # later resets continue this stream
    for episode in tqdm(range(n_training_episodes), disable=not progress, desc=_("training"), mininterval=0.5):
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
    events.report("trained", Qtable, train)  # the pass line says the kit's train trained this table
    return Qtable


def evaluate_agent(env, max_steps: int, n_eval_episodes: int, Q: np.ndarray, seed=None) -> tuple[float, float]:
    """Play ``n_eval_episodes`` greedy episodes; return (mean, std) of the episode rewards.

    ``seed`` is an optional list of reset seeds, one per episode (the course's fixed Taxi seeds make
    every learner's evaluation comparable).
    """
    check_args(max_steps=max_steps, n_eval_episodes=n_eval_episodes, env=env, Q=Q)
    seed_list("seed", seed, n_eval_episodes)
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
    events.report("scored", Q, mean_reward, std_reward)  # the pass line finds who trained this table
    _EVALUATED.append((mean_reward, std_reward, _table_facts(Q)))  # and the advice, what the table holds
    del _EVALUATED[:-50]
    return mean_reward, std_reward


# What the kit's evaluate_agent saw in each table it scored: (mean, std, facts), newest last. The advice under a
# failing pass line reads it, so that it fits the table at hand.
_EVALUATED: list[tuple[float, float, dict]] = []


def _table_facts(Q) -> dict:
    Q = np.asarray(Q, dtype=float)
    rows = np.any(Q != 0, axis=1)
    # How far the rewards have spread back: the share of the states training reached whose best value is
    # positive (a fully trained Taxi table: about 75%; after 300 episodes: about 20%).
    positive = float(np.mean(Q[rows].max(axis=1) > 0)) if rows.any() else 0.0
    return {"trained": bool(np.any(Q)), "visited": int(np.count_nonzero(rows)), "states": int(Q.shape[0]),
            "positive": positive}


def facts_for_score(mean: float, std: float) -> dict | None:
    """What the table scored ``mean +/- std`` held (the newest match), if the kit's evaluate_agent scored it."""
    for m, s, facts in reversed(_EVALUATED):
        if m == float(mean) and s == float(std):
            return facts
    return None


def taxi_advice(mean_reward: float, std_reward: float, trained_with: dict | None = None) -> str:
    """What to try when a Taxi agent fails, from what its evaluation saw: the table, the score, who trained it."""
    facts = facts_for_score(mean_reward, std_reward) or {}
    kit_trained = (trained_with or {}).get("train") == events.KIT
    if facts and not facts["trained"]:
        return _("Every value of the Q-table you evaluated is 0: it was never trained. Run the training cell before "
                 "evaluating, and evaluate the table that train returned (Qtable_taxi).")
    if mean_reward < 0:
        if facts and facts["positive"] < 0.5:
            return _("Most episodes end without a drop-off (mean {mean:.2f}): the greedy agent drives in circles. "
                     "Only {share:.0%} of the states training reached have a positive value yet (a fully trained "
                     "table: about 75%): the drop-off's reward has not spread back far enough. Train with more "
                     "episodes (the course uses 25,000), then re-run training and evaluation.", mean=mean_reward,
                     share=facts["positive"])
        if kit_trained:
            return _("Most episodes end without a drop-off (mean {mean:.2f}), and the kit's train trained this "
                     "table, so the code is not the cause: compare the training cell's hyperparameters with the "
                     "course's (learning_rate 0.7, gamma 0.95, 25,000 episodes) and re-run training.",
                     mean=mean_reward)
        if facts and (trained_with or {}).get("train") == events.YOURS:
            return _("Most episodes end without a drop-off (mean {mean:.2f}), though the rewards have spread through "
                     "the table ({share:.0%} of the states training reached have a positive value): the learned "
                     "values lead the taxi in circles. Your train passed its check on small cases, so compare the "
                     "training cell's hyperparameters with the course's (learning_rate 0.7, gamma 0.95, 25,000 "
                     "episodes) and re-run training.", mean=mean_reward, share=facts["positive"])
        return _("Most episodes end without a drop-off (mean {mean:.2f}): the greedy agent drives in circles. Train "
                 "with the course's values (25,000 episodes, learning_rate 0.7, gamma 0.95) and evaluate the table "
                 "train returned.", mean=mean_reward)
    return _("The agent delivers ({mean:.2f} +/- {std:.2f}), but takes detours from some start states (the best "
             "possible is 7.56 +/- 2.71 -> 4.85). Q-learning fixes a detour only by trying it again: train with more "
             "episodes (n_training_episodes = 50000) or more exploration (min_epsilon = 0.2), then re-run training "
             "and evaluation.", mean=mean_reward, std=std_reward)


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


def show_hyperparameters(config) -> None:
    """Print the values a ``defaults.QLearningConfig`` changes from the course's, in one line."""
    print(_("learning_rate {lr:g}, gamma {gamma:g}, {episodes:,} episodes", lr=config.learning_rate,
            gamma=config.gamma, episodes=config.n_training_episodes))
