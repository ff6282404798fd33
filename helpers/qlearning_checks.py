"""Checks for the unit 2 exercises. Each returns the function the notebook should carry on with."""
from __future__ import annotations

from collections import Counter

import gymnasium as gym
import numpy as np

from helpers import qlearning
from helpers.exercises import Problem, run_check

UNFILLED = "it returned {!r}: is the TODO still unfilled?"


def _is_int_action(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_initialize_q_table(initialize_q_table):
    def check(fn):
        for states, actions in [(16, 4), (500, 6)]:
            table = fn(states, actions)
            if table is None or table is Ellipsis:
                raise Problem(UNFILLED.format(table) + " Return np.zeros((state_space, action_space)).")
            if not isinstance(table, np.ndarray):
                raise Problem(f"it returned a {type(table).__name__}; return a NumPy array (np.zeros(...)).")
            if table.shape == (actions, states):
                raise Problem(f"the shape is {table.shape}, rows and columns swapped: one row per state "
                              f"({states}) and one column per action ({actions}).")
            if table.shape != (states, actions):
                raise Problem(f"for {states} states and {actions} actions the shape is {table.shape}, "
                              f"expected ({states}, {actions}).")
            if np.any(table != 0):
                raise Problem("every value should start at 0: the agent knows nothing yet.")
            if not np.issubdtype(table.dtype, np.floating):
                raise Problem(f"the dtype is {table.dtype}; Q-values are fractions, so use floats "
                              "(np.zeros gives float64 by default).")

    return run_check("initialize_q_table", initialize_q_table, qlearning.initialize_q_table, check)


def check_greedy_policy(greedy_policy):
    def check(fn):
        Q = np.array([[0.1, 0.5, 0.2, 0.0],
                      [-1.0, -2.0, -0.5, -3.0],
                      [0.0, 0.0, 0.0, 0.9]])
        for state, best in [(0, 1), (1, 2), (2, 3)]:
            action = fn(Q, state)
            if action is None or action is Ellipsis:
                raise Problem(UNFILLED.format(action) + " Return the index of the largest value in Qtable[state].")
            if not _is_int_action(action):
                raise Problem(f"it returned {action!r} ({type(action).__name__}); return an action index "
                              "(an int), for example with np.argmax.")
            if not 0 <= action < Q.shape[1]:
                raise Problem(f"in state {state} it chose action {action}, which does not exist: take the argmax "
                              "of the state's row, Qtable[state], not of the whole table.")
            if action != best:
                raise Problem(f"in state {state} (Q-values {Q[state].tolist()}) it chose action {action}; "
                              f"the best is {best}: pick the action with the largest value in Qtable[state].")
        ties = np.zeros((1, 4))
        seen = Counter(int(fn(ties, 0)) for _ in range(200))
        if len(seen) == 1:
            raise Problem(f"when all actions tie (a fresh Q-table) it always picks action {next(iter(seen))}. "
                          "Break ties at random, e.g. np.random.choice(np.flatnonzero(q == q.max())): with "
                          "np.argmax alone the agent may never explore FrozenLake 8x8.")

    return run_check("greedy_policy", greedy_policy, qlearning.greedy_policy, check)


def check_epsilon_greedy_policy(epsilon_greedy_policy):
    def check(fn):
        Q = np.array([[0.0, 0.0, 1.0, 0.0, 0.0, 0.0]])  # 6 actions, action 2 is best
        action = fn(Q, 0, 0.0)
        if action is None or action is Ellipsis:
            raise Problem(UNFILLED.format(action) + " Return an action index.")
        if not _is_int_action(action):
            raise Problem(f"it returned {action!r} ({type(action).__name__}); return an action index (an int).")
        greedy = [fn(Q, 0, 0.0) for _ in range(50)]
        if any(a != 2 for a in greedy):
            raise Problem("with epsilon = 0 it must always exploit (pick the greedy action), but it did not.")
        explore = Counter(int(fn(Q, 0, 1.0)) for _ in range(600))
        if set(explore) != set(range(6)):
            missing = sorted(set(range(6)) - set(explore))
            extra = sorted(set(explore) - set(range(6)))
            detail = f"actions {missing} never came up" if missing else f"it picked actions {extra} that do not exist"
            raise Problem(f"with epsilon = 1 it should pick uniformly among the table's 6 actions, but {detail}. "
                          "Draw the random action from range(Qtable.shape[1]) rather than from a global env.")
        half = sum(fn(Q, 0, 0.5) == 2 for _ in range(2000)) / 2000  # expected 0.5 + 0.5/6 = 0.583
        if not 0.52 < half < 0.65:
            raise Problem(f"with epsilon = 0.5 the greedy action came up {half:.0%} of the time, expected about "
                          "58% (exploit with probability 1 - epsilon, otherwise a uniform random action). Is the "
                          "comparison with epsilon the right way round?")

    return run_check("epsilon_greedy_policy", epsilon_greedy_policy, qlearning.epsilon_greedy_policy, check)


# FrozenLake 4x4: the holes and the goal end an episode, so nothing may flow back from their rows.
_FROZENLAKE_TERMINALS = [5, 7, 11, 12, 15]


def check_train(train):
    def check(fn):
        env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False)
        env.reset(seed=0)
        Qtable = np.zeros((16, 4))
        Qtable[_FROZENLAKE_TERMINALS] = 100.0  # a correct update never reads these rows
        out = fn(n_training_episodes=2000, min_epsilon=0.05, max_epsilon=1.0, decay_rate=0.005, env=env,
                 max_steps=99, Qtable=Qtable, learning_rate=0.7, gamma=0.95)
        if out is None or out is Ellipsis:
            raise Problem(UNFILLED.format(out) + " Return the trained Qtable at the end.")
        if not isinstance(out, np.ndarray) or out.shape != (16, 4):
            raise Problem(f"it returned {type(out).__name__} {getattr(out, 'shape', '')}; return the Qtable.")
        learned = np.delete(out, _FROZENLAKE_TERMINALS, axis=0)
        if np.allclose(learned, 0):
            raise Problem("the Q-table did not change: is the update line still a TODO?")
        if learned.max() > 1.0 + 1e-9:
            raise Problem(f"a Q-value reached {learned.max():.1f}, above the largest possible return (1). The "
                          "update bootstraps from terminal states: when `terminated` is True there is no future, "
                          "so the target is just the reward.")
        if learned.min() < 0:
            raise Problem("a Q-value went negative, but FrozenLake has no negative reward: check the signs in "
                          "Q[s,a] + lr * (reward + gamma * max Q[s'] - Q[s,a]).")
        mean, _ = qlearning.evaluate_agent(env, 99, 1, out)
        if mean < 1.0:
            raise Problem("after 2,000 episodes the greedy agent still does not reach the goal on the 4x4 "
                          "non-slippery lake (the reference always does). Check the update and that `state` "
                          "moves on to `new_state` after each step.")

    return run_check("train", train, qlearning.train, check)


def check_spaces(env, state_space, action_space):
    """Taxi's warm-up: did the learner read the sizes off the environment? Returns the right sizes."""
    def check(fn):
        states, actions = fn()
        if states is None or actions is None:
            raise Problem("state_space or action_space is still None: read them from env.observation_space.n "
                          "and env.action_space.n.")
        if (states, actions) != (env.observation_space.n, env.action_space.n):
            raise Problem(f"got {states} states and {actions} actions; the environment has "
                          f"{env.observation_space.n} and {env.action_space.n} (env.observation_space.n, "
                          "env.action_space.n).")

    sizes = run_check("spaces", lambda: (state_space, action_space),
                      lambda: (int(env.observation_space.n), int(env.action_space.n)), check)
    return sizes()
