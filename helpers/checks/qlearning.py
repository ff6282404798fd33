"""Checks for the unit 2 exercises. Each returns the function the notebook should carry on with.

Accepted functions are saved for notebook 02 (``exercises.save_solution``), which trains Taxi with them.
"""
from __future__ import annotations

import inspect
from collections import Counter

import gymnasium as gym
import numpy as np

from helpers import qlearning
from helpers.checks.exercises import Problem, adapt_call, run_check
from helpers.provenance import global_names

UNIT = "unit2"  # the file notebook 01 saves accepted solutions to, and notebook 02 loads them from

# The two exercises that are lines of code rather than functions: their solutions, written once.
SOLUTIONS = {
    "env": 'env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False, render_mode="rgb_array")\n',
    "spaces": "state_space = env.observation_space.n\naction_space = env.action_space.n\n",
}
_SHOW = "`from helpers.checks.qlearning import SOLUTIONS; print(SOLUTIONS[{!r}])`"


def _run_solution(name: str, **names) -> dict:
    """Run the one copy of a line exercise's solution with ``names`` defined; return what it defined."""
    namespace = dict(names)
    exec(SOLUTIONS[name], namespace)
    return namespace


def check_frozenlake_env(env):
    """Notebook 01's first exercise: the 4x4, non-slippery lake that renders to arrays. Returns the env to use."""
    def check(fn):
        made = fn()
        if made is None or made is Ellipsis:
            raise Problem("env is still None: create it with gym.make(...).")
        if not isinstance(made, gym.Env):
            raise Problem(f"env is a {type(made).__name__}; create it with gym.make(\"FrozenLake-v1\", ...).")
        spec_id = getattr(getattr(made, "spec", None), "id", None)
        if spec_id != "FrozenLake-v1":
            raise Problem(f"this is {spec_id!r}; we start with \"FrozenLake-v1\".")
        lake = made.unwrapped
        if lake.desc.shape != (4, 4):
            raise Problem(f"the map is {lake.desc.shape[0]}x{lake.desc.shape[1]}; pass map_name=\"4x4\".")
        slippery = any(len(outcomes) > 1 for moves in lake.P.values() for outcomes in moves.values())
        if slippery:
            raise Problem("the ice is slippery (the default): pass is_slippery=False, so every move goes where the "
                          "agent intends.")
        if made.render_mode != "rgb_array":
            raise Problem(f"render_mode is {made.render_mode!r}; pass render_mode=\"rgb_array\" so the notebook "
                          "can draw frames without a screen (Colab and Kaggle have none).")

    def reference():
        return _run_solution("env", gym=gym)["env"]

    return run_check("env", lambda: env, reference, check, solution=_SHOW.format("env"))()

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

    return run_check("initialize_q_table", initialize_q_table, qlearning.initialize_q_table, check, save=UNIT)


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
            return [f"when all actions tie (a fresh Q-table) it always picks action {next(iter(seen))}, as "
                    "np.argmax does. That is the course's version and it trains FrozenLake 4x4 and Taxi, but on "
                    "the 8x8 lake the agent may never find the goal. The kit breaks ties at random: "
                    "np.random.choice(np.flatnonzero(q == q.max()))."]

    return run_check("greedy_policy", greedy_policy, qlearning.greedy_policy, check, save=UNIT)


def check_epsilon_greedy_policy(epsilon_greedy_policy):
    def check(fn):
        notes, n = [], 6
        code = getattr(fn, "__code__", None)
        env = fn.__globals__.get("env") if code is not None and "env" in global_names(code) else None
        if env is not None and hasattr(env, "action_space"):  # the course's version samples the notebook's env
            n = int(env.action_space.n)
            notes.append("your function draws random actions from the notebook's `env`, as the course's does: it "
                         "works while `env` is the environment you train on. Drawing from range(Qtable.shape[1]) "
                         "makes it work for any table.")
        Q = np.zeros((1, n))
        Q[0, 2] = 1.0  # action 2 is best
        action = fn(Q, 0, 0.0)
        if action is None or action is Ellipsis:
            raise Problem(UNFILLED.format(action) + " Return an action index.")
        if not _is_int_action(action):
            raise Problem(f"it returned {action!r} ({type(action).__name__}); return an action index (an int).")
        greedy = [fn(Q, 0, 0.0) for _ in range(50)]
        if any(a != 2 for a in greedy):
            raise Problem("with epsilon = 0 it must always exploit (pick the greedy action), but it did not.")
        explore = Counter(int(fn(Q, 0, 1.0)) for _ in range(100 * n))
        if set(explore) != set(range(n)):
            missing = sorted(set(range(n)) - set(explore))
            extra = sorted(set(explore) - set(range(n)))
            detail = f"actions {missing} never came up" if missing else f"it picked actions {extra} that do not exist"
            raise Problem(f"with epsilon = 1 it should pick uniformly among the table's {n} actions, but {detail}. "
                          "Draw the random action from range(Qtable.shape[1]) rather than from a global env.")
        expected = 0.5 + 0.5 / n
        half = sum(fn(Q, 0, 0.5) == 2 for _ in range(2000)) / 2000
        if abs(half - expected) > 0.065:
            raise Problem(f"with epsilon = 0.5 the greedy action came up {half:.0%} of the time, expected about "
                          f"{expected:.0%} (exploit with probability 1 - epsilon, otherwise a uniform random action). "
                          "Is the comparison with epsilon the right way round?")
        return notes

    return run_check("epsilon_greedy_policy", epsilon_greedy_policy, qlearning.epsilon_greedy_policy, check,
                     save=UNIT)


_MISSING = object()

# FrozenLake 4x4: the holes and the goal end an episode, so nothing may flow back from their rows.
_FROZENLAKE_TERMINALS = [5, 7, 11, 12, 15]


def _train_frozenlake(fn, Qtable):
    env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False)
    # Course-style epsilon-greedy draws random actions from the notebook's global `env` (in notebook 02, Taxi):
    # while the check trains on its own lake, that name points to the lake.
    namespace = getattr(inspect.unwrap(fn), "__globals__", {})
    saved = namespace.get("env", _MISSING)
    if saved is not _MISSING:
        namespace["env"] = env
    try:
        out = fn(n_training_episodes=2000, min_epsilon=0.05, max_epsilon=1.0, decay_rate=0.0005, env=env,
                 max_steps=99, Qtable=Qtable, learning_rate=0.7, gamma=0.95, seed=0, progress=False)
    finally:
        if saved is not _MISSING:
            namespace["env"] = saved
    return out, env


def check_train(train):
    """Check ``train``; course-style versions (``learning_rate``/``gamma`` read from the notebook) are
    accepted and called with them (``exercises.adapt_call``)."""
    adapted, notes = adapt_call(train, qlearning.train)

    def check(fn):
        out, env = _train_frozenlake(fn, np.zeros((16, 4)))
        if out is None or out is Ellipsis:
            raise Problem(UNFILLED.format(out) + " Return the trained Qtable at the end.")
        if not isinstance(out, np.ndarray) or out.shape != (16, 4):
            raise Problem(f"it returned {type(out).__name__} {getattr(out, 'shape', '')}; return the Qtable.")
        if np.allclose(out, 0):
            raise Problem("the Q-table did not change: is the update line still a TODO?")
        if out.max() > 1.0 + 1e-9:
            raise Problem(f"a Q-value reached {out.max():.2f}, above the largest possible return (1): check "
                          "Q[s,a] + lr * (reward + gamma * max Q[s'] - Q[s,a]).")
        if out.min() < 0:
            raise Problem("a Q-value went negative, but FrozenLake has no negative reward: check the signs in "
                          "Q[s,a] + lr * (reward + gamma * max Q[s'] - Q[s,a]).")
        mean, _ = qlearning.evaluate_agent(env, 99, 1, out)
        if mean < 1.0:
            raise Problem("after 2,000 episodes with the course's FrozenLake settings the greedy agent still does not reach the goal on the 4x4 "
                          "non-slippery lake (the reference always does). Check the update and that `state` "
                          "moves on to `new_state` after each step.")
        # A terminal state (hole or goal) has no future. Rows a correct update never reads are set high:
        # if they leak into the table, the update bootstraps from terminal states.
        poisoned = np.zeros((16, 4))
        poisoned[_FROZENLAKE_TERMINALS] = 100.0
        out, _ = _train_frozenlake(fn, poisoned)
        if np.delete(out, _FROZENLAKE_TERMINALS, axis=0).max() > 1.0 + 1e-9:
            notes.append("your update adds gamma * max Q[new_state] also when the step `terminated` the episode, as "
                         "the course's does. It works here because the Q-values of holes and the goal stay 0, but "
                         "a terminal state has no future: the kit uses the reward alone as the target then.")
        return notes

    return run_check("train", adapted, qlearning.train, check, save=UNIT)


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

    def reference():
        solved = _run_solution("spaces", env=env)
        return int(solved["state_space"]), int(solved["action_space"])

    return run_check("spaces", lambda: (state_space, action_space), reference, check, solution=_SHOW.format("spaces"))()
