"""Checks for the unit 2 exercises. Each returns the function the notebook should carry on with: the learner's
when it passes, the kit's reference otherwise, tagged so that the Q-tables they make remember who trained them
(``provenance.tracked``). FrozenLake and Taxi share one notebook, so the functions checked here are the ones that
train the graded Taxi agent.
"""
from __future__ import annotations

import inspect
from collections import Counter

import gymnasium as gym
import numpy as np

from helpers import qlearning
from helpers.checks.exercises import Problem, adapt_call, run_check
from helpers.provenance import global_names, tracked

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

    return tracked(run_check("initialize_q_table", initialize_q_table, qlearning.initialize_q_table, check),
                   "initialize_q_table")


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

    return run_check("greedy_policy", greedy_policy, qlearning.greedy_policy, check)


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
            fix = ("Draw the random action from range(Qtable.shape[1]) rather than from a global env." if env is not None
                   else "Draw it with random.randint(0, Qtable.shape[1] - 1) or np.random.randint(Qtable.shape[1]).")
            raise Problem(f"with epsilon = 1 it should pick uniformly among the table's {n} actions, but {detail}. "
                          + fix)
        expected = 0.5 + 0.5 / n
        half = sum(fn(Q, 0, 0.5) == 2 for _ in range(2000)) / 2000
        if abs(half - expected) > 0.065:
            raise Problem(f"with epsilon = 0.5 the greedy action came up {half:.0%} of the time, expected about "
                          f"{expected:.0%} (exploit with probability 1 - epsilon, otherwise a uniform random action). "
                          "Is the comparison with epsilon the right way round?")
        return notes

    return run_check("epsilon_greedy_policy", epsilon_greedy_policy, qlearning.epsilon_greedy_policy, check)


_MISSING = object()

# FrozenLake 4x4: the holes and the goal end an episode, so nothing may flow back from their rows.
_FROZENLAKE_TERMINALS = [5, 7, 11, 12, 15]


class _ProbeEnv(gym.Env):
    """A four-state environment scripted so that each update has a known result, whatever actions are chosen.

    Odd episodes: 0 -> 1 (reward 1), then 1 -> 2 (reward 0), where the environment's time limit cuts the
    episode (truncated: state 2 still has a future). Even episodes: 0 -> 3 (reward 5), and 3 ends the episode
    (terminated: no future). Every transition is recorded, so the expected table can be replayed.
    """
    observation_space = gym.spaces.Discrete(4)
    action_space = gym.spaces.Discrete(3)
    _SCRIPT = {(1, 0): (1, 1.0, False, False), (1, 1): (2, 0.0, False, True),  # (episode % 2, state): outcome
               (0, 0): (3, 5.0, True, False)}

    def __init__(self):
        self.transitions, self.episode, self.state, self.done, self.fresh = [], 0, 0, True, False

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.state, self.done, self.fresh = 0, False, True
        return 0, {}

    def step(self, action):
        if self.done:
            raise Problem("your loop called env.step() after the episode had ended: stop the episode (`break`) as "
                          "soon as `terminated or truncated` is True.")
        if not isinstance(action, (int, np.integer)) or isinstance(action, bool) or not 0 <= action < 3:
            raise Problem(f"env.step() got the action {action!r}: choose it with your epsilon_greedy_policy "
                          "(an int index into the table's columns).")
        if self.fresh:
            self.episode, self.fresh = self.episode + 1, False
        new_state, reward, terminated, truncated = self._SCRIPT.get((self.episode % 2, self.state), (3, 0.0, True, False))
        self.transitions.append((self.state, int(action), reward, new_state, terminated, truncated))
        self.state, self.done = new_state, terminated or truncated
        return new_state, reward, terminated, truncated, {}


_PROBE_Q = np.array([[0.5, -0.2, 0.1],
                     [1.0, 2.0, 0.0],
                     [3.0, -1.0, 0.5],
                     [4.0, 4.0, 4.0]])  # state 3 is terminal: any value flowing back from it is a mistake
_PROBE_LR, _PROBE_GAMMA = 0.5, 0.9


def _replay(transitions, variant: str) -> np.ndarray:
    """The table after ``transitions`` under the correct update, or under one of the beginners' variants."""
    Q = _PROBE_Q.copy()
    lr, gamma = _PROBE_LR, (1.0 if variant == "no_gamma" else _PROBE_GAMMA)
    for state, action, reward, new_state, terminated, truncated in transitions:
        if variant == "stale_state":
            state = 0  # `state = new_state` missing: every update lands on the episode's start state
        best = Q[new_state].mean() if variant == "mean" else Q[new_state].max()
        if terminated and variant != "bootstrap_terminal":
            future = 0.0
        elif truncated and variant == "zero_truncated":
            future = 0.0
        else:
            future = gamma * best
        target = reward + future
        if variant == "no_lr":
            Q[state, action] = target
        elif variant == "no_minus_q":
            Q[state, action] += lr * target
        elif variant == "sign":
            Q[state, action] -= lr * (target - Q[state, action])
        else:
            Q[state, action] += lr * (target - Q[state, action])
    return Q


# Each beginner's mistake in the update, with the hint that names it.
_UPDATE_MISTAKES = {
    "no_lr": "the new value replaced Q[state, action] outright: the learning rate is missing. Move the old value "
             "only part of the way: Q[s,a] + learning_rate * (target - Q[s,a]).",
    "no_gamma": "future values were not discounted: multiply the best Q-value of new_state by gamma.",
    "mean": "the target used the average of Q[new_state]; Q-learning uses the best next action: np.max(Qtable[new_state]).",
    "zero_truncated": "when the time limit cut the episode (truncated), the target dropped the future. A truncated "
                      "step still has a future: only `terminated` means there is none.",
    "stale_state": "the updates all landed on the first state of the episode: after each step, move on with "
                   "`state = new_state`.",
    "no_minus_q": "the update added learning_rate * target without subtracting the old value: the bracket is "
                  "(target - Q[s,a]).",
    "sign": "the update moved Q[s,a] away from the target: add learning_rate * (target - Q[s,a]), do not subtract it.",
}
_COURSE_NOTE = ("your update adds gamma * max Q[new_state] also when the step `terminated` the episode, as the "
                "course's does. It works here because the Q-values of holes, the goal and Taxi's drop-off stay 0, "
                "but a terminal state has no future: the kit uses the reward alone as the target then.")


def _with_env(fn, env, **kwargs):
    """Call the learner's ``train`` on ``env``. Course-style epsilon-greedy draws random actions from the
    notebook's global `env`: while the check trains, that name points to the check's env."""
    namespace = getattr(inspect.unwrap(fn), "__globals__", {})
    saved = namespace.get("env", _MISSING)
    if saved is not _MISSING:
        namespace["env"] = env
    try:
        return fn(env=env, **kwargs)
    finally:
        if saved is not _MISSING:
            namespace["env"] = saved


def _check_update(fn) -> list[str]:
    """Two scripted episodes (a truncated one, a terminated one); the table must match the Q-learning update."""
    env = _ProbeEnv()
    out = _with_env(fn, env, n_training_episodes=2, min_epsilon=1.0, max_epsilon=1.0, decay_rate=0.0,
                    max_steps=10, Qtable=_PROBE_Q.copy(), learning_rate=_PROBE_LR, gamma=_PROBE_GAMMA, seed=0,
                    progress=False)
    if out is None or out is Ellipsis:
        raise Problem(UNFILLED.format(out) + " Return the trained Qtable at the end.")
    if not isinstance(out, np.ndarray) or out.shape != _PROBE_Q.shape:
        raise Problem(f"it returned {type(out).__name__} {getattr(out, 'shape', '')}; return the Qtable.")
    if len(env.transitions) < 3:
        raise Problem(f"in 2 episodes it took {len(env.transitions)} step(s), expected 3: is the step loop "
                      "inside the episode loop, and does each episode start with env.reset()?")
    if np.allclose(out, _PROBE_Q):
        raise Problem("the Q-table did not change: is the update line still a TODO?")
    if np.allclose(out, _replay(env.transitions, "correct")):
        return []
    if np.allclose(out, _replay(env.transitions, "bootstrap_terminal")):
        return [_COURSE_NOTE]
    for variant, hint in _UPDATE_MISTAKES.items():
        if np.allclose(out, _replay(env.transitions, variant)):
            raise Problem(hint)
    expected = _replay(env.transitions, "correct")
    s, a = np.unravel_index(np.argmax(np.abs(out - expected)), expected.shape)
    raise Problem(f"after two scripted episodes Q[{s}, {a}] is {out[s, a]:.3f}, expected {expected[s, a]:.3f}. "
                  "Check the target (reward + gamma * max Q[new_state], the reward alone when terminated) and "
                  "the update Q[s,a] + learning_rate * (target - Q[s,a]).")


def check_train(train):
    """Check ``train``; course-style versions (``learning_rate``/``gamma`` read from the notebook) are
    accepted and called with them (``exercises.adapt_call``)."""
    adapted, notes = adapt_call(train, qlearning.train)

    def check(fn):
        found = _check_update(fn)
        lake = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False)
        out = _with_env(fn, lake, n_training_episodes=2000, min_epsilon=0.05, max_epsilon=1.0, decay_rate=0.0005,
                        max_steps=99, Qtable=np.zeros((16, 4)), learning_rate=0.7, gamma=0.95, seed=0,
                        progress=False)
        mean, _ = qlearning.evaluate_agent(lake, 99, 1, out)
        if mean < 1.0:
            raise Problem("its updates are right, but after 2,000 episodes with the course's FrozenLake settings "
                          "the greedy agent still does not reach the goal on the 4x4 non-slippery lake (the "
                          "reference always does). Does each episode choose actions with your "
                          "epsilon_greedy_policy and the epsilon of that episode?")
        return notes + found

    return tracked(run_check("train", adapted, qlearning.train, check), "train", table="Qtable")


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


def _goal_reachable(desc) -> bool:
    """Is there a path from S to G that avoids every hole (moving one tile at a time)?"""
    desc = np.asarray(desc, dtype="U1")
    rows, cols = desc.shape
    start = tuple(np.argwhere(desc == "S")[0])
    seen, frontier = {start}, [start]
    while frontier:
        r, c = frontier.pop()
        if desc[r, c] == "G":
            return True
        for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if 0 <= nr < rows and 0 <= nc < cols and (nr, nc) not in seen and desc[nr, nc] != "H":
                seen.add((nr, nc))
                frontier.append((nr, nc))
    return False


def explain_lake_score(lake, Qtable, mean_reward) -> str | None:
    """One line on why a FrozenLake agent scored 0, when a reason applies; prints it and returns it."""
    if mean_reward > 0:
        return None
    desc = lake.unwrapped.desc.astype("U1")
    if not _goal_reachable(desc):
        why = "no path from S to G avoids the holes, so no agent can score on this map: change the map."
    elif not np.any(Qtable):
        why = ("the agent never reached G while training (every value in its table is still 0), so it has nothing "
               "to follow. An untrained agent that breaks ties with np.argmax always moves left: break ties at "
               "random (exercise 3), or train longer.")
    else:
        why = ("the greedy path from S ends in a hole or goes round in circles: the agent found G in training but "
               "not a safe way there from every tile. Train longer, or explore more (a larger min_epsilon).")
    print(f"   Why 0: {why}")
    return why
