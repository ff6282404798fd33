"""Checks for the unit 2 exercises. Each returns the function the notebook should carry on with: the learner's
when it passes, the kit's reference otherwise, tagged so that the Q-tables they make remember who trained them
(``provenance.tracked``). FrozenLake and Taxi share one notebook, so the functions checked here are the ones that
train the graded Taxi agent: each check calls them on tables of Taxi's size (500 states) as well as FrozenLake's.

Every common beginner's mistake gets a message that names it (``tests/test_unit2_mistakes.py`` lists them), with
the numbers that showed it underneath as evidence.
"""
from __future__ import annotations

import inspect
import itertools
from collections import Counter

import gymnasium as gym
import numpy as np

from helpers import qlearning
from helpers.checks.exercises import Problem, adapt_call, run_check
from helpers.i18n import _, ngettext
from helpers.provenance import global_names, kit_calls, tracked

# The two exercises that are lines of code rather than functions: their solutions, written once.
SOLUTIONS = {
    "env": 'env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False, render_mode="rgb_array")\n',
    "spaces": "state_space = env.observation_space.n\naction_space = env.action_space.n\n",
}
_SHOW = "`from helpers.checks.qlearning import SOLUTIONS; print(SOLUTIONS[{!r}])`"

# The table sizes the notebook goes on to use: FrozenLake 4x4, 5x5 and 8x8, and Taxi.
_SIZES = [(16, 4), (500, 6), (25, 4), (64, 4)]


def _run_solution(name: str, **names) -> dict:
    """Run the one copy of a line exercise's solution with ``names`` defined; return what it defined."""
    namespace = dict(names)
    exec(SOLUTIONS[name], namespace)
    return namespace


def _unfilled(value, fix: str) -> Problem:
    return Problem(_("it returned {value!r}: is the TODO still unfilled? {fix}", value=value, fix=fix))


# ---- exercise 1: the environment -----------------------------------------------------------------------------
def check_frozenlake_env(env):
    """Notebook 01's first exercise: the 4x4, non-slippery lake that renders to arrays. Returns the env to use."""
    def check(fn):
        made = fn()
        if made is None or made is Ellipsis:
            raise Problem(_("env is still None: create it with gym.make(...)."))
        if made is gym.make:
            raise Problem(_("env is the function gym.make itself: call it, with the settings in brackets: "
                            "gym.make(\"FrozenLake-v1\", ...)."))
        if isinstance(made, str):
            raise Problem(_("env is the text {text!r}: pass the id to gym.make, gym.make({text!r}, ...), to "
                            "create the environment.", text=made[:40]))
        if not isinstance(made, gym.Env):
            raise Problem(_("env is a {kind}; create it with gym.make(\"FrozenLake-v1\", ...).",
                            kind=type(made).__name__))
        spec = getattr(made, "spec", None)
        spec_id = getattr(spec, "id", None)
        if spec_id != "FrozenLake-v1":
            raise Problem(_("this is {env_id!r}; we start with \"FrozenLake-v1\".", env_id=spec_id))
        lake = made.unwrapped
        if lake.desc.shape != (4, 4):
            raise Problem(_("the map is {rows}x{cols}; pass map_name=\"4x4\".",
                            rows=lake.desc.shape[0], cols=lake.desc.shape[1]))
        given = (getattr(spec, "kwargs", None) or {}).get("is_slippery")
        if isinstance(given, str):
            raise Problem(_("is_slippery is the text {text!r} (in quotes). Python reads any non-empty text as "
                            "true, so the ice is slippery. Write is_slippery=False, without quotes.", text=given))
        slippery = any(len(outcomes) > 1 for moves in lake.P.values() for outcomes in moves.values())
        if slippery:
            raise Problem(_("the ice is slippery (the default): pass is_slippery=False, so every move goes where "
                            "the agent intends."))
        if made.render_mode != "rgb_array":
            raise Problem(_("render_mode is {mode!r}; pass render_mode=\"rgb_array\" so the notebook can draw "
                            "frames without a screen (Colab and Kaggle have none).", mode=made.render_mode))

    def reference():
        return _run_solution("env", gym=gym)["env"]

    return run_check("env", lambda: env, reference, check, solution=_SHOW.format("env"))()


def _is_int_action(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


# ---- exercise 2: the Q-table ---------------------------------------------------------------------------------
def check_initialize_q_table(initialize_q_table):
    def check(fn):
        for states, actions in _SIZES:
            # np.empty reuses freed memory: fill some first, so an np.empty table shows what it holds.
            junk = np.full((states, actions), 7.0)
            del junk
            table = fn(states, actions)
            if table is None or table is Ellipsis:
                raise _unfilled(table, _("Return np.zeros((state_space, action_space))."))
            if isinstance(table, list):
                raise Problem(_("it returned a Python list; return a NumPy array: np.zeros((state_space, "
                                "action_space)). A list of lists has no .shape, and the notebook's plots and "
                                "the Hub upload need one."))
            if not isinstance(table, np.ndarray):
                raise Problem(_("it returned a {kind}; return a NumPy array (np.zeros(...)).",
                                kind=type(table).__name__))
            if table.shape == (actions, states):
                raise Problem(_("the shape is {shape}, rows and columns swapped: one row per state ({states}) and "
                                "one column per action ({actions}). Write np.zeros((state_space, action_space)).",
                                shape=table.shape, states=states, actions=actions))
            if table.shape == (states,):
                raise Problem(_("the table has one value per state, shape {shape}: it needs a column per action "
                                "too. Pass both sizes as one tuple: np.zeros((state_space, action_space)).",
                                shape=table.shape))
            if table.shape != (states, actions):
                raise Problem(_("for {states} states and {actions} actions the shape is {shape}, expected "
                                "({states}, {actions}). Use the function's arguments, state_space and "
                                "action_space, not fixed numbers.", states=states, actions=actions,
                                shape=table.shape))
            if np.all(table == 1):
                raise Problem(_("every value is 1 (np.ones): the agent knows nothing yet, so every value starts "
                                "at 0. Use np.zeros."))
            if np.any(table != 0):
                value = float(table[table != 0][0])
                if value == 7.0:  # what the check left in the memory np.empty hands out again
                    raise Problem(_("some values are not 0 (for example {value:g}, left in memory): np.empty does "
                                    "not clear the memory it hands out. The agent knows nothing yet: use np.zeros.",
                                    value=value))
                raise Problem(_("some values are not 0 (for example {value:.3g}): random starting values invent "
                                "knowledge the agent does not have. The agent knows nothing yet: use np.zeros.",
                                value=value))
            if not np.issubdtype(table.dtype, np.floating):
                raise Problem(_("the dtype is {dtype}; Q-values are fractions, so use floats (np.zeros gives "
                                "float64 by default).", dtype=table.dtype))
            again = fn(states, actions)
            if again is table or (isinstance(again, np.ndarray) and np.shares_memory(again, table)):
                raise Problem(_("two calls returned the same array: each call must make a new table, or training "
                                "one agent changes the other. Create it inside the function with np.zeros."))

    return tracked(run_check("initialize_q_table", initialize_q_table, qlearning.initialize_q_table, check),
                   "initialize_q_table")


# ---- exercise 3: the greedy policy ---------------------------------------------------------------------------
def _policy_table(actions: int) -> np.ndarray:
    """A half-trained table the size of Taxi's: distinct values, a few rows still all 0, some rows with ties."""
    Q = np.random.default_rng(2).normal(size=(500, actions)).round(3)
    Q[[42, 300]] = 0.0  # never visited: every action ties
    Q[77] = -1.0
    Q[77, [1, 2, actions - 1]] = 5.0  # three actions tie for the best
    return Q


_GREEDY_STATES = [0, 1, 123, 250, 499]


def _call_greedy(fn, Q, state):
    """Call the learner's greedy_policy; NumPy's messages for the usual slips become the slip's name."""
    try:
        return fn(Q, state)
    except ValueError as err:
        text = str(err)
        if "cannot be empty" in text:
            raise Problem(_("np.random.choice got an empty list of actions: no value equalled the maximum. Is "
                            "`q.max` missing its brackets? q == q.max compares with the method itself; write "
                            "q == q.max()."))
        if "1-dimensional" in text:
            raise Problem(_("np.random.choice got what np.where returns: a tuple with one array per dimension. "
                            "Pick from np.flatnonzero(q == q.max()), a flat list of action indices."))
        raise


def _greedy_problem(Q, state, action) -> Problem | None:
    """What is wrong with ``action`` as the greedy choice in ``state``, named; None if it is right."""
    q, n = Q[state], Q.shape[1]
    best = set(np.flatnonzero(q == q.max()).tolist())
    if action is None or action is Ellipsis:
        return _unfilled(action, _("Return the index of the largest value in Qtable[state]."))
    if isinstance(action, tuple):
        return Problem(_("it returned a tuple, {value!r}: np.where returns one array per dimension. Use "
                         "np.flatnonzero(q == q.max()) for the tied actions, and pick one of them.",
                         value=action))
    if isinstance(action, (bool, np.bool_)):
        return Problem(_("it returned {value!r}, a True/False value, not an action: np.random.choice picked from the "
                         "mask q == q.max(). Pick from the actions' indices: np.flatnonzero(q == q.max()).",
                         value=bool(action)))
    if isinstance(action, (np.ndarray, list)):
        values = np.asarray(action)
        if values.shape == q.shape and np.array_equal(values, q):
            return Problem(_("it returned the whole row Qtable[state] ({n} values): return one action, the index "
                             "of the largest value (np.argmax, or a random choice among the tied ones).", n=n))
        if values.dtype.kind in "iu" and values.size and set(values.ravel().tolist()) <= best:
            return Problem(_("it returned the array {value} of the tied actions, not one action: np.where returns "
                             "one array per dimension, and random.choice picked that array. Pick one action from "
                             "np.flatnonzero(q == q.max()).", value=values.tolist()))
        if values.dtype == bool:
            return Problem(_("it returned the mask q == q.max() (True/False per action): return one action "
                             "index, picked from np.flatnonzero(q == q.max())."))
        return Problem(_("it returned an array of shape {shape}: return one action index (an int).",
                         shape=values.shape))
    if isinstance(action, (float, np.floating)):
        if float(action) == float(q.max()) and float(action) not in [float(a) for a in best]:
            return Problem(_("it returned {value!r}, the largest Q-value, not the action that has it: np.max gives "
                             "the value, np.argmax its index. In state {state} the best action is {best}.",
                             value=float(action), state=state, best=min(best)))
        return Problem(_("it returned {value!r} ({kind}); return an action index (an int), for example with "
                         "np.argmax.", value=action, kind=type(action).__name__))
    if not _is_int_action(action):
        return Problem(_("it returned {value!r} ({kind}); return an action index (an int), for example with "
                         "np.argmax.", value=action, kind=type(action).__name__))
    if not 0 <= action < n:
        if action == int(np.argmax(Q)):
            return Problem(_("it chose action {action}, which does not exist: np.argmax(Qtable) without [state] "
                             "searches the whole table and returns a position in it. Take the argmax of the "
                             "state's row: np.argmax(Qtable[state]).", action=int(action)))
        return Problem(_("in state {state} it chose action {action}, which does not exist: there are {n} actions, "
                         "0 to {last}.", state=state, action=int(action), n=n, last=n - 1))
    if int(action) in best:
        return None
    if int(action) == int(np.argmin(q)):
        return Problem(_("in state {state} it chose action {action}, the one with the smallest value: np.argmin "
                         "finds the worst action. Use np.argmax. Evidence: Q-values {values}.", state=state,
                         action=int(action), values=q.tolist()))
    return Problem(_("in state {state} (Q-values {values}) it chose action {action}; the best is {best}: pick the "
                     "action with the largest value in Qtable[state].", state=state, values=q.tolist(),
                     action=int(action), best=sorted(best)))


def check_greedy_policy(greedy_policy):
    def check(fn):
        notes = []
        for actions in (4, 6):  # FrozenLake's and Taxi's
            Q = _policy_table(actions)
            before = Q.copy()
            for state in _GREEDY_STATES:
                problem = _greedy_problem(Q, state, _call_greedy(fn, Q, state))
                if problem:
                    raise problem
            tied = Counter(int(a) if _is_int_action(a) else a for a in (_call_greedy(fn, Q, 77) for _i in range(60)))
            for action in tied:
                problem = _greedy_problem(Q, 77, action)
                if problem:
                    raise problem
            if not np.array_equal(Q, before):
                raise Problem(_("greedy_policy changed the Q-table: choosing an action only reads the table."))
            fresh = Counter(int(_call_greedy(fn, Q, 42)) for _i in range(200))
        if len(fresh) == 1:
            notes.append(_("when all actions tie (a fresh Q-table) it always picks action {action}, as np.argmax "
                           "does. That is the course's version and it trains FrozenLake 4x4 and Taxi, but on the "
                           "8x8 lake the agent may never find the goal. The kit breaks ties at random: "
                           "np.random.choice(np.flatnonzero(q == q.max())).", action=next(iter(fresh))))
        return notes

    return run_check("greedy_policy", greedy_policy, qlearning.greedy_policy, check)


# ---- exercise 4: the epsilon-greedy policy -------------------------------------------------------------------
def _draws_twice(share: float, epsilon: float, n: int) -> bool:
    """Does ``share`` (how often the greedy action came up) fit a policy that draws a second random number?"""
    explore_twice = 1 - epsilon ** 2 * (1 - 1 / n)  # explores only when two draws both say so
    exploit_twice = (1 - epsilon) ** 2 + (1 - (1 - epsilon) ** 2) / n  # exploits only when two draws say so
    return min(abs(share - explore_twice), abs(share - exploit_twice)) < 0.05


def check_epsilon_greedy_policy(epsilon_greedy_policy):
    def check(fn):
        notes, n = [], 6
        code = getattr(fn, "__code__", None)
        env = fn.__globals__.get("env") if code is not None and "env" in global_names(code) else None
        if env is not None and hasattr(env, "action_space"):  # the course's version samples the notebook's env
            n = int(env.action_space.n)
            notes.append(_("your function draws random actions from the notebook's `env`, as the course's does: it "
                           "works while `env` is the environment you train on. Drawing from range(Qtable.shape[1]) "
                           "makes it work for any table."))
        Q = _policy_table(n)
        states = [s for s in _GREEDY_STATES if np.sum(Q[s] == Q[s].max()) == 1]
        best = {s: int(np.argmax(Q[s])) for s in states}
        s0 = states[0]

        def act(state, epsilon):
            action = fn(Q, state, epsilon)
            if action is None or action is Ellipsis:
                raise _unfilled(action, _("Return an action index."))
            if isinstance(action, (float, np.floating)) and float(action) in Q[state].tolist():
                raise Problem(_("with epsilon = {epsilon:g} it returned {value!r}, a Q-value from the row, not an "
                                "action: np.random.choice(Qtable[state]) picks one of the values. Pick an index: "
                                "random.randint(0, Qtable.shape[1] - 1).", epsilon=epsilon, value=float(action)))
            if not _is_int_action(action):
                raise Problem(_("with epsilon = {epsilon:g} it returned {value!r} ({kind}); return an action index "
                                "(an int).", epsilon=epsilon, value=action, kind=type(action).__name__))
            return int(action)

        greedy = [(s, act(s, 0.0)) for s in states for _i in range(12)]
        explore = Counter(act(s0, 1.0) for _i in range(100 * n))
        wrong = [(s, a) for s, a in greedy if a != best[s]]
        if wrong:
            if set(explore) == {best[s0]}:
                raise Problem(_("the comparison with epsilon is the wrong way round: with epsilon = 0 it explored "
                                "({share:.0%} of its choices were not the greedy action) and with epsilon = 1 it "
                                "always exploited. Exploit when random_num > epsilon, explore otherwise.",
                                share=len(wrong) / len(greedy)))
            s, a = wrong[0]
            raise Problem(_("with epsilon = 0 it must always exploit (pick the greedy action), but in state {state} "
                            "it chose {action}, not {best} ({share:.0%} of its choices were wrong). Return "
                            "greedy_policy(Qtable, state) in the exploit branch.", state=s, action=a, best=best[s],
                            share=len(wrong) / len(greedy)))
        if set(explore) == {best[s0]}:
            raise Problem(_("it never explores: with epsilon = 1 every one of {k} choices was the greedy action "
                            "{action}. The explore branch must pick a random action: random.randint(0, "
                            "Qtable.shape[1] - 1).", k=sum(explore.values()), action=best[s0]))
        if set(explore) != set(range(n)):
            missing = sorted(set(range(n)) - set(explore))
            extra = sorted(set(explore) - set(range(n)))
            if extra == [n]:
                raise Problem(_("with epsilon = 1 it picked action {n}, which does not exist (the actions are 0 to "
                                "{last}). random.randint includes both ends: use random.randint(0, "
                                "Qtable.shape[1] - 1).", n=n, last=n - 1))
            if extra:
                raise Problem(_("with epsilon = 1 it picked actions {extra}, which do not exist: draw from 0 to "
                                "Qtable.shape[1] - 1.", extra=extra))
            if missing == [n - 1]:
                raise Problem(_("with epsilon = 1 the last action, {last}, never came up in {k} tries. "
                                "np.random.randint(low, high) leaves out high: use np.random.randint(0, "
                                "Qtable.shape[1]) or random.randint(0, Qtable.shape[1] - 1).", last=n - 1,
                                k=sum(explore.values())))
            if missing == [best[s0]]:
                raise Problem(_("with epsilon = 1 the greedy action {action} never came up: exploring picks any "
                                "action at random, the greedy one included.", action=best[s0]))
            fix = (_("Draw the random action from range(Qtable.shape[1]) rather than from a global env.")
                   if env is not None else
                   _("Draw it with random.randint(0, Qtable.shape[1] - 1) or np.random.randint(Qtable.shape[1])."))
            raise Problem(_("with epsilon = 1 it should pick uniformly among the table's {n} actions, but actions "
                            "{missing} never came up. {fix}", n=n, missing=missing, fix=fix))
        expected = 0.5 + 0.5 / n
        half = sum(act(s0, 0.5) == best[s0] for _i in range(3000)) / 3000
        if abs(half - expected) > 0.05:
            if _draws_twice(half, 0.5, n):
                raise Problem(_("it draws a second random number: with epsilon = 0.5 the greedy action came up "
                                "{half:.0%} of the time, expected about {expected:.0%}. Draw once (random_num), "
                                "compare it with epsilon once, then exploit or explore.", half=half,
                                expected=expected))
            raise Problem(_("with epsilon = 0.5 the greedy action came up {half:.0%} of the time, expected about "
                            "{expected:.0%} (exploit with probability 1 - epsilon, otherwise a uniform random "
                            "action). Is the comparison with epsilon the right way round?", half=half,
                            expected=expected))
        return notes

    return run_check("epsilon_greedy_policy", epsilon_greedy_policy, qlearning.epsilon_greedy_policy, check)


# ---- exercise 5: the training loop ---------------------------------------------------------------------------
_MISSING = object()


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
        self.resets = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.state, self.done, self.fresh = 0, False, True
        self.resets += 1
        return 0, {}

    def step(self, action):
        if self.done:
            raise Problem(_("your loop called env.step() after the episode had ended: stop the episode (`break`) "
                            "as soon as `terminated or truncated` is True."))
        if not isinstance(action, (int, np.integer)) or isinstance(action, bool) or not 0 <= action < 3:
            raise Problem(_("env.step() got the action {action!r}: choose it with your epsilon_greedy_policy "
                            "(an int index into the table's columns).", action=action))
        if self.fresh:
            self.episode, self.fresh = self.episode + 1, False
        new_state, reward, terminated, truncated = self._SCRIPT.get((self.episode % 2, self.state),
                                                                    (3, 0.0, True, False))
        self.transitions.append((self.state, int(action), reward, new_state, terminated, truncated))
        self.state, self.done = new_state, terminated or truncated
        return new_state, reward, terminated, truncated, {}


_PROBE_Q = np.array([[0.5, -0.2, 0.1],
                     [1.0, 2.0, 0.0],
                     [3.0, -1.0, 0.5],
                     [4.0, 4.0, 4.0]])  # state 3 is terminal: any value flowing back from it is a mistake
_PROBE_LR, _PROBE_GAMMA = 0.5, 0.9

# The ways a beginner's update differs from Q-learning's, one axis at a time; the first value is the right one.
# "bootstrap" on terminal steps is the course's own update: accepted, with a note.
_AXES = {
    "reward": ("kept", "dropped"),
    "future": ("max", "mean", "argmax", "no_gamma", "current_state", "none"),
    "terminal": ("reward", "bootstrap", "zero"),
    "truncated": ("future", "dropped"),
    "update": ("step", "no_lr", "no_minus_q", "sign", "no_brackets"),
    "cell": ("state_action", "whole_row", "next_state"),
    "state": ("moves_on", "stale"),
}
_RIGHT = {axis: values[0] for axis, values in _AXES.items()}


def _hint(axis: str, value: str) -> str:
    """The message that names one mistake in the update: one whole sentence or two, for the learner."""
    hints = {
        ("reward", "dropped"): _("the target leaves out the reward: it is reward + gamma * np.max(Qtable[new_state]), "
                                 "so what the step just earned counts."),
        ("future", "mean"): _("the target used the average of Qtable[new_state]; Q-learning uses the best next "
                              "action's value: np.max(Qtable[new_state])."),
        ("future", "argmax"): _("the target used np.argmax(Qtable[new_state]), the best action's index (0, 1, "
                                "2...), not its value: use np.max(Qtable[new_state])."),
        ("future", "no_gamma"): _("future values were not discounted: multiply the best Q-value of new_state by "
                                  "gamma."),
        ("future", "current_state"): _("the target used Qtable[state], the state the agent just left: the future is "
                                       "the best value of the state it arrived in, np.max(Qtable[new_state])."),
        ("future", "none"): _("the target is the reward alone even when the episode goes on: add gamma * "
                              "np.max(Qtable[new_state]) unless the step terminated."),
        ("terminal", "zero"): _("when the step terminated the episode, the target was 0 and the reward was lost. A "
                                "conditional expression such as `reward + gamma * ... if not terminated else 0` "
                                "applies to the whole sum. When terminated, the target is the reward alone."),
        ("truncated", "dropped"): _("when the time limit cut the episode (truncated), the target dropped the "
                                    "future. A truncated step still has a future: only `terminated` means there is "
                                    "none."),
        ("update", "no_lr"): _("the new value replaced Q[state, action] outright: the learning rate is missing. Move "
                               "the old value only part of the way: Q[s,a] + learning_rate * (target - Q[s,a])."),
        ("update", "no_minus_q"): _("the update added learning_rate * target without subtracting the old value: the "
                                    "bracket is (target - Q[s,a])."),
        ("update", "sign"): _("the update moved Q[s,a] away from the target: add learning_rate * (target - Q[s,a]). "
                              "Subtracting it, or writing (Q[s,a] - target), goes the wrong way."),
        ("update", "no_brackets"): _("learning_rate multiplied only the target: `Q[s,a] + learning_rate * target - "
                                     "Q[s,a]` lacks the brackets. Write Q[s,a] + learning_rate * (target - Q[s,a])."),
        ("cell", "whole_row"): _("the update changed every action of Qtable[state], the whole row: update only the "
                                   "action taken, Qtable[state, action]."),
        ("cell", "next_state"): _("the update changed a value of new_state, the state the agent arrived in: "
                                    "update the state it acted in, Qtable[state, action]."),
        ("state", "stale"): _("the updates all landed on the first state of the episode: after each step, move on "
                              "with `state = new_state`."),
    }
    return hints[(axis, value)]


def _replay(transitions, variant: dict) -> np.ndarray:
    """The table after ``transitions`` under the update ``variant`` describes (``_AXES``; missing axes right)."""
    v = {**_RIGHT, **variant}
    Q = _PROBE_Q.copy()
    lr, gamma = _PROBE_LR, _PROBE_GAMMA
    for s, action, reward, new_state, terminated, truncated in transitions:
        state = 0 if v["state"] == "stale" else s  # without `state = new_state` it stays the reset state, 0
        future = {"max": gamma * Q[new_state].max(), "mean": gamma * Q[new_state].mean(),
                  "argmax": gamma * float(np.argmax(Q[new_state])), "no_gamma": Q[new_state].max(),
                  "current_state": gamma * Q[state].max(), "none": 0.0}[v["future"]]
        earned = reward if v["reward"] == "kept" else 0.0
        if terminated and v["terminal"] == "zero":
            target = 0.0
        elif terminated and v["terminal"] == "reward" or truncated and v["truncated"] == "dropped":
            target = earned
        else:
            target = earned + future
        row = new_state if v["cell"] == "next_state" else state
        old = Q[row].copy() if v["cell"] == "whole_row" else Q[row, action]
        new = {"step": old + lr * (target - old), "no_lr": target + 0 * old, "no_minus_q": old + lr * target,
               "sign": old - lr * (target - old), "no_brackets": lr * target + 0 * old}[v["update"]]
        if v["cell"] == "whole_row":
            Q[row] = new
        else:
            Q[row, action] = new
    return Q


def _variants():
    """Every combination of the axes, fewest mistakes first (the course's terminal bootstrap counts as none)."""
    combos = []
    for values in itertools.product(*_AXES.values()):
        variant = dict(zip(_AXES, values))
        mistakes = [(a, x) for a, x in variant.items() if x != _RIGHT[a] and (a, x) != ("terminal", "bootstrap")]
        combos.append((len(mistakes), variant, mistakes))
    combos.sort(key=lambda c: c[0])
    return combos


_VARIANTS = _variants()


def _course_note() -> str:
    return _("your update adds gamma * max Q[new_state] also when the step `terminated` the episode, as the "
             "course's does. It works here because the Q-values of holes, the goal and Taxi's drop-off stay 0, "
             "but a terminal state has no future: the kit uses the reward alone as the target then.")


def _with_globals(fn, **names):
    """Bind ``names`` in the learner's notebook namespace while ``fn`` runs (restored after); returns a context."""
    import contextlib

    @contextlib.contextmanager
    def bound():
        namespace = getattr(inspect.unwrap(fn), "__globals__", {})
        saved = {k: namespace.get(k, _MISSING) for k in names}
        for k, v in names.items():
            if saved[k] is not _MISSING or k != "env":
                namespace[k] = v
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is _MISSING:
                    namespace.pop(k, None)
                else:
                    namespace[k] = v
    return bound()


def _with_env(fn, env, **kwargs):
    """Call the learner's ``train`` on ``env``. Course-style epsilon-greedy draws random actions from the
    notebook's global `env`: while the check trains, that name points to the check's env."""
    namespace = getattr(inspect.unwrap(fn), "__globals__", {})
    with _with_globals(fn, **({"env": env} if "env" in namespace else {})):
        return fn(env=env, **kwargs)


def _check_update(fn) -> list[str]:
    """Two scripted episodes (a truncated one, a terminated one); the table must match the Q-learning update."""
    env = _ProbeEnv()
    out = _with_env(fn, env, n_training_episodes=2, min_epsilon=1.0, max_epsilon=1.0, decay_rate=0.0,
                    max_steps=10, Qtable=_PROBE_Q.copy(), learning_rate=_PROBE_LR, gamma=_PROBE_GAMMA, seed=0,
                    progress=False)
    if out is None or out is Ellipsis:
        raise _unfilled(out, _("Return the trained Qtable at the end."))
    if not isinstance(out, np.ndarray) or out.shape != _PROBE_Q.shape:
        raise Problem(_("it returned {kind} {shape}; return the Qtable.", kind=type(out).__name__,
                        shape=getattr(out, "shape", "")))
    if len(env.transitions) < 3:
        raise Problem(_("in 2 episodes it took {k} step(s), expected 3: is the step loop inside the episode loop, "
                        "and does each episode start with env.reset()?", k=len(env.transitions)))
    if np.allclose(out, _PROBE_Q):
        raise Problem(_("the Q-table did not change: is the update line still a TODO?"))
    expected = _replay(env.transitions, {})
    matches = [(count, variant, mistakes) for count, variant, mistakes in _VARIANTS
               if np.allclose(out, _replay(env.transitions, variant))]
    if matches:
        fewest = [m for m in matches if m[0] == matches[0][0]]
        if not fewest[0][2]:
            return [_course_note()] if fewest[0][1]["terminal"] == "bootstrap" else []
        # Where the evidence fits several combinations (an overwritten row hides the target), name only the
        # mistakes they all share.
        shared = [m for m in fewest[0][2] if all(m in other for _c, _v, other in fewest)]
        s, a = np.unravel_index(np.argmax(np.abs(out - expected)), expected.shape)
        evidence = _("Evidence: after two scripted episodes Q[{s}, {a}] is {got:.3f}, expected {want:.3f}.",
                     s=int(s), a=int(a), got=out[s, a], want=expected[s, a])
        words = [_hint(*m) for m in shared or fewest[0][2]]
        words = words[:1] + [w[:1].upper() + w[1:] for w in words[1:]]  # whole sentences, one after another
        if shared and len(shared) < len(fewest[0][2]):
            words.append(_("Fix this first: while it is there, the rest of the update cannot be checked."))
        raise Problem(" ".join(words + [evidence]))
    s, a = np.unravel_index(np.argmax(np.abs(out - expected)), expected.shape)
    raise Problem(_("after two scripted episodes Q[{s}, {a}] is {got:.3f}, expected {want:.3f}. Check the target "
                    "(reward + gamma * max Q[new_state], the reward alone when terminated) and the update "
                    "Q[s,a] + learning_rate * (target - Q[s,a]).", s=int(s), a=int(a), got=out[s, a],
                    want=expected[s, a]))


def _check_exploration(fn) -> None:
    """Does each episode choose its actions with the learner's epsilon_greedy_policy and that episode's epsilon?"""
    namespace = getattr(inspect.unwrap(fn), "__globals__", {})
    chosen = namespace.get("epsilon_greedy_policy")
    names = global_names(inspect.unwrap(fn).__code__) if hasattr(inspect.unwrap(fn), "__code__") else set()
    if any(exercise == "epsilon_greedy_policy" for exercise, _how in kit_calls(fn)):
        return  # it calls the kit's: the verdict says so
    env, seen = _ProbeEnv(), []
    low, high, decay = 0.1, 0.9, 0.5

    def spy(Qtable, state, epsilon, *args, **kwargs):
        seen.append((env.resets, float(epsilon)))
        return chosen(Qtable, state, epsilon, *args, **kwargs)

    if chosen is None or "epsilon_greedy_policy" not in names:
        if "greedy_policy" in names:
            raise Problem(_("train chooses its actions with greedy_policy, which never explores: choose each "
                            "action with epsilon_greedy_policy(Qtable, state, epsilon)."))
        return  # its own way of choosing (another name, written inline): the other checks judge it
    with _with_globals(fn, epsilon_greedy_policy=spy):
        _with_env(fn, env, n_training_episodes=4, min_epsilon=low, max_epsilon=high, decay_rate=decay,
                  max_steps=10, Qtable=_PROBE_Q.copy(), learning_rate=_PROBE_LR, gamma=_PROBE_GAMMA, seed=0,
                  progress=False)
    if not seen:
        raise Problem(_("train never called epsilon_greedy_policy: choose each action with "
                        "epsilon_greedy_policy(Qtable, state, epsilon)."))
    first = min(r for r, _e in seen)
    for resets, epsilon in seen:
        episode = resets - first
        want = float(qlearning.epsilon_at(episode, low, high, decay))
        if abs(epsilon - want) > 1e-9:
            got = sorted({round(e, 3) for _r, e in seen})
            if len(got) == 1:
                raise Problem(_("epsilon never changed: every episode explored with epsilon = {epsilon:g}. Pass "
                                "the episode's epsilon, computed at the start of each episode with epsilon_at"
                                "(episode, ...), to epsilon_greedy_policy. Evidence: with min_epsilon {low:g}, "
                                "max_epsilon {high:g} and decay_rate {decay:g}, episode 2 should use {want:.3f}.",
                                epsilon=got[0], low=low, high=high, decay=decay,
                                want=float(qlearning.epsilon_at(1, low, high, decay))))
            raise Problem(_("in episode {episode} the policy got epsilon = {epsilon:.3f}, expected {want:.3f}: "
                            "compute epsilon once per episode from the episode number, epsilon_at(episode, "
                            "min_epsilon, max_epsilon, decay_rate), not from the step.", episode=episode + 1,
                            epsilon=epsilon, want=want))


def check_train(train):
    """Check ``train``; course-style versions (``learning_rate``/``gamma`` read from the notebook) are
    accepted and called with them (``exercises.adapt_call``)."""
    adapted, notes = adapt_call(train, qlearning.train)

    def check(fn):
        found = _check_update(fn)
        _check_exploration(fn)
        lake = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False)
        out = _with_env(fn, lake, n_training_episodes=2000, min_epsilon=0.05, max_epsilon=1.0, decay_rate=0.0005,
                        max_steps=99, Qtable=np.zeros((16, 4)), learning_rate=0.7, gamma=0.95, seed=0,
                        progress=False)
        mean, _std = qlearning.evaluate_agent(lake, 99, 1, out)
        if mean < 1.0:
            raise Problem(_("its updates are right, but after 2,000 episodes with the course's FrozenLake settings "
                            "the greedy agent still does not reach the goal on the 4x4 non-slippery lake (the "
                            "reference always does). Does each episode choose actions with your "
                            "epsilon_greedy_policy and the epsilon of that episode?"))
        # Taxi next: a table of 500 states and 6 actions, the shape the graded training passes in.
        taxi = gym.make("Taxi-v3")
        table = np.zeros((500, 6))
        out = _with_env(fn, taxi, n_training_episodes=30, min_epsilon=0.2, max_epsilon=1.0, decay_rate=0.005,
                        max_steps=99, Qtable=table, learning_rate=0.7, gamma=0.95, seed=0, progress=False)
        if not isinstance(out, np.ndarray) or out.shape != (500, 6) or not np.any(out):
            raise Problem(_("on Taxi (a table of 500 states and 6 actions) it returned {kind} {shape} after 30 "
                            "episodes: use the table and environment it is given, not fixed sizes.",
                            kind=type(out).__name__, shape=getattr(out, "shape", "")))
        return notes + found

    return tracked(run_check("train", adapted, qlearning.train, check), "train", table="Qtable")


# ---- exercise 6: Taxi's spaces -------------------------------------------------------------------------------
def check_spaces(env, state_space, action_space):
    """Taxi's warm-up: did the learner read the sizes off the environment? Returns the right sizes."""
    states_n, actions_n = env.observation_space.n, env.action_space.n

    def check(fn):
        states, actions = fn()
        if states is None or actions is None:
            raise Problem(_("state_space or action_space is still None: read them from env.observation_space.n "
                            "and env.action_space.n."))
        for name, value in (("state_space", states), ("action_space", actions)):
            if isinstance(value, gym.spaces.Space):
                raise Problem(_("{name} is the space itself, {value}: the number is its .n, for example "
                                "env.observation_space.n.", name=name, value=value))
            if isinstance(value, tuple):
                raise Problem(_("{name} is {value!r}, a shape: a Discrete space has the shape (), and its size is "
                                ".n, for example env.action_space.n.", name=name, value=value))
        if (states, actions) == (actions_n, states_n):
            raise Problem(_("the two are swapped: state_space is {states} and action_space {actions}. States come "
                            "from env.observation_space.n, actions from env.action_space.n.", states=states,
                            actions=actions))
        if (states, actions) == (16, 4):
            raise Problem(_("16 states and 4 actions are FrozenLake's: read them off the Taxi env, "
                            "env.observation_space.n and env.action_space.n, after the cell that makes it."))
        if (states, actions) != (states_n, actions_n):
            raise Problem(_("got {states} states and {actions} actions; the environment has {want_states} and "
                            "{want_actions} (env.observation_space.n, env.action_space.n).", states=states,
                            actions=actions, want_states=states_n, want_actions=actions_n))

    def reference():
        solved = _run_solution("spaces", env=env)
        return int(solved["state_space"]), int(solved["action_space"])

    return run_check("spaces", lambda: (state_space, action_space), reference, check, solution=_SHOW.format("spaces"))()


# ---- why a FrozenLake agent scored 0 -------------------------------------------------------------------------
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


def _move_word(action: int) -> str:
    words = {0: _("left"), 1: _("down"), 2: _("right"), 3: _("up")}
    return words.get(int(action), str(action))


def _always_same_on_ties(greedy, actions: int) -> int | None:
    """The action ``greedy`` always picks when every value ties (as np.argmax does), or None if it varies."""
    tied = np.zeros((1, actions))
    picks = {int(greedy(tied, 0)) for _i in range(30)}
    return picks.pop() if len(picks) == 1 else None


def _greedy_walk(lake, Qtable, greedy, limit: int):
    """Follow ``greedy`` from S on a lake without slipping: ('goal' | 'hole' | 'loop' | 'wander', path)."""
    inner = lake.unwrapped
    desc = inner.desc.astype("U1")
    state = int(np.flatnonzero(desc.ravel() == "S")[0])
    path = [state]
    for _i in range(limit):
        tile = desc.ravel()[state]
        if tile in ("H", "G"):
            return ("hole" if tile == "H" else "goal"), path
        action = int(greedy(Qtable, state))
        state = int(inner.P[state][action][0][1])
        if state in path and _always_same_on_ties(greedy, Qtable.shape[1]) is not None and \
                np.all(Qtable[state] == Qtable[state][0]):
            path.append(state)
            return "loop", path
        path.append(state)
    return "wander", path


def explain_lake_score(lake, Qtable, mean_reward, greedy_policy=None) -> None:
    """Print one line on why a FrozenLake agent scored 0 (nothing when it scored): ``lake_score_reason``."""
    why = lake_score_reason(lake, Qtable, mean_reward, greedy_policy)
    if why:
        print("   " + _("Why 0: {why}", why=why))


def lake_score_reason(lake, Qtable, mean_reward, greedy_policy=None) -> str | None:
    """Why a FrozenLake agent scored 0, from what its own greedy policy does on the map; None when it scored.
    ``greedy_policy`` is the learner's (default: the kit's)."""
    if mean_reward > 0:
        return None
    greedy = greedy_policy or qlearning.greedy_policy
    desc = lake.unwrapped.desc.astype("U1")
    ncol = desc.shape[1]
    slippery = any(len(outcomes) > 1 for moves in lake.unwrapped.P.values() for outcomes in moves.values())
    same = _always_same_on_ties(greedy, Qtable.shape[1])
    if not _goal_reachable(desc):
        why = _("no path from S to G avoids the holes, so no agent can score on this map: change the map.")
    elif not np.any(Qtable):
        if same is not None:
            why = _("every value in its table is still 0: the agent never reached G while training. On a table of "
                    "ties your greedy_policy always picks action {action} ({move}), as np.argmax does, so the "
                    "greedy agent repeats one move. Break ties at random (exercise 3), or train longer.",
                    action=same, move=_move_word(same))
        else:
            why = _("every value in its table is still 0: the agent never reached G while training. Train longer, "
                    "or explore more (a larger min_epsilon).")
    elif slippery:
        why = _("on slippery ice the agent did not reach G in any evaluation episode. Slippery ice needs a small "
                "learning rate and many episodes: try defaults.FROZENLAKE_SLIPPERY's values.")
    else:
        outcome, path = _greedy_walk(lake, Qtable, greedy, limit=4 * desc.size)
        row, col = divmod(path[-1], ncol)
        blank = next((p for p in path[:-1] if not np.any(Qtable[p])), None)
        safe = int(np.sum(np.isin(desc, ["S", "F"])))
        if outcome in ("hole", "wander") and blank is not None:
            brow, bcol = divmod(blank, ncol)
            why = _("the agent rarely reached G while training: only {k} of the {n} safe tiles have a value yet. "
                    "On the path your greedy_policy takes from S, the tile at row {row}, column {col} still has "
                    "every value at 0, so from there on the agent has nothing to follow. Train longer, or explore "
                    "more (a larger min_epsilon or a smaller decay_rate).",
                    k=int(np.count_nonzero(np.any(Qtable != 0, axis=1))), n=safe, row=brow, col=bcol)
        elif outcome == "hole":
            why = ngettext("following your greedy_policy from S, the agent falls into the hole at row {row}, column "
                           "{col} after {n} step: the values along that path are still wrong. Train longer, or "
                           "explore more (a larger min_epsilon).",
                           "following your greedy_policy from S, the agent falls into the hole at row {row}, column "
                           "{col} after {n} steps: the values along that path are still wrong. Train longer, or "
                           "explore more (a larger min_epsilon).", len(path) - 1, row=row, col=col)
        elif outcome == "loop":
            action = int(greedy(Qtable, path[-1]))
            why = _("following your greedy_policy from S, the agent reaches the tile at row {row}, column {col}, "
                    "where training left every value equal ({value:g}). There your greedy_policy always picks "
                    "action {action} ({move}), as np.argmax does, and the agent goes round in circles. Break ties "
                    "at random (exercise 3), or train longer so that every tile on the way gets a value.",
                    row=row, col=col, value=float(Qtable[path[-1]][0]), action=action, move=_move_word(action))
        elif outcome == "wander":
            why = _("following your greedy_policy from S, the agent goes round in circles and has not reached G "
                    "after {k} steps: the agent found G in training but not a safe way there from every tile. "
                    "Train longer, or explore more (a larger min_epsilon).", k=len(path) - 1)
        else:
            why = _("following your greedy_policy from S, the agent reaches G in {k} steps, so this table should "
                    "score: was the score measured on this table and this lake, with enough max_steps?",
                    k=len(path) - 1)
    return why
