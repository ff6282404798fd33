"""Unit 2's beginners' mistakes, typed into notebook 01's TODO cells the way a beginner fills them (issue 27).

Each mistake below is written into the TODO cell's text as the notebook ships it, the cell is run in a fresh
namespace like the notebook's, and the exercise's check must print ❌ with a message that names the mistake
(or ✅ with a note, where the course itself writes it that way and it trains). The numbers that showed the
mistake stay in the message, as evidence under the name.

| exercise | mistake | typed as | the message names it with |
|---|---|---|---|
| env | `is_slippery="False"`, a string | `is_slippery="False"` | "non-empty text as true" |
| env | slippery left on | no `is_slippery` | "the ice is slippery (the default)" |
| env | the 8x8 map | `map_name="8x8"` | "the map is 8x8" |
| env | no render mode / a window | no `render_mode`, `render_mode="human"` | "render_mode is None" / "'human'" |
| env | gym.make not called | `env = gym.make` | "the function gym.make itself" |
| env | the id as text | `env = "FrozenLake-v1"` | "pass the id to gym.make" |
| env | another game | `gym.make("Taxi-v3", ...)` | "we start with \"FrozenLake-v1\"" |
| initialize_q_table | (action, state) swapped | `np.zeros((action_space, state_space))` | "rows and columns swapped" |
| initialize_q_table | one row only | `np.zeros(state_space)` | "one value per state" |
| initialize_q_table | sizes as two arguments | `np.zeros(state_space, action_space)` | "as two arguments" |
| initialize_q_table | ones | `np.ones(...)` | "every value is 1 (np.ones)" |
| initialize_q_table | np.empty | `np.empty(...)` | "np.empty does not clear the memory" |
| initialize_q_table | random values | `np.random.rand(...)` | "random starting values invent knowledge" |
| initialize_q_table | fixed sizes | `np.zeros((16, 4))` | "not fixed numbers" |
| initialize_q_table | a list | `[[0.0] * action_space] * state_space` | "a Python list" |
| initialize_q_table | integers | `np.zeros(..., dtype=int)` | "use floats" |
| greedy_policy | np.argmin | `np.argmin(q)` | "np.argmin finds the worst action" |
| greedy_policy | argmax over the whole table | `np.argmax(Qtable)` | "searches the whole table" |
| greedy_policy | the value, not the action | `np.max(q)` | "the largest Q-value, not the action" |
| greedy_policy | the whole row | `action = q` | "the whole row Qtable[state]" |
| greedy_policy | choice from the mask | `np.random.choice(q == q.max())` | "a True/False value, not an action" |
| greedy_policy | `q.max` without brackets | `np.flatnonzero(q == q.max)` | "missing its brackets" |
| greedy_policy | choice from np.where's tuple | `np.random.choice(np.where(q == q.max()))` | "np.where returns" |
| greedy_policy | the kit's greedy_policy | `qlearning.greedy_policy(Qtable, state)` | ⚠️ "calls the kit's code" |
| greedy_policy | np.argmax ties (the course's) | `np.argmax(q)` | ✅ + note "always picks action 0" |
| epsilon_greedy_policy | comparison reversed | `if random_num < epsilon:` | "the wrong way round" |
| epsilon_greedy_policy | never explores | explore: `greedy_policy(...)` | "it never explores" |
| epsilon_greedy_policy | never exploits | exploit: a random action | "must always exploit" |
| epsilon_greedy_policy | randint off by one (high) | `random.randint(0, Qtable.shape[1])` | "random.randint includes both ends" |
| epsilon_greedy_policy | randint off by one (low) | `np.random.randint(0, Qtable.shape[1] - 1)` | "leaves out high" |
| epsilon_greedy_policy | sampling twice | a second `random.uniform` in a branch | "draws a second random number" |
| epsilon_greedy_policy | a Q-value as the action | `np.random.choice(Qtable[state])` | "a Q-value from the row" |
| epsilon_greedy_policy | the kit's greedy_policy | `qlearning.greedy_policy(...)` | ⚠️ "calls the kit's code" |
| epsilon_greedy_policy | the global env (the course's) | `env.action_space.sample()` | ✅ + note "notebook's `env`" |
| train | whole-row update | `Qtable[state] = Qtable[state] + ...` | "the whole row" |
| train | np.argmax in the target | `gamma * np.argmax(Qtable[new_state])` | "the best action's index" |
| train | mean instead of max | `np.mean(Qtable[new_state])` | "the average of Qtable[new_state]" |
| train | gamma dropped | `reward + np.max(...)` | "not discounted" |
| train | reward dropped | `gamma * np.max(...)` | "leaves out the reward" |
| train | a conditional that zeroes the target | `reward + gamma * ... if not terminated else 0` | "the target was 0" |
| train | no future at all | `target = reward` | "the reward alone even when the episode goes on" |
| train | bootstrapping from the state just left | `np.max(Qtable[state])` | "the state the agent just left" |
| train | truncation treated as the end | `if terminated or truncated` in the target | "A truncated step still has a future" |
| train | learning rate missing | `Qtable[state, action] = target` | "the learning rate is missing" |
| train | old value not subtracted | `Q + learning_rate * target` | "without subtracting the old value" |
| train | brackets missing | `Q + learning_rate * target - Q` | "lacks the brackets" |
| train | wrong sign | `Q - lr * (target - Q)`, `Q + lr * (Q - target)` | "away from the target" |
| train | updating the next state | `Qtable[new_state, action] = ...` | "the state the agent arrived in" |
| train | `state = new_state` forgotten | the line deleted | "move on with `state = new_state`" |
| train | two mistakes at once | whole row and no learning rate | both names, "cannot be checked" |
| train | epsilon never decays | `epsilon_greedy_policy(..., max_epsilon)` | "epsilon never changed" |
| train | epsilon from the step | `epsilon_at(step, ...)` | "not from the step" |
| train | greedy instead of epsilon-greedy | `greedy_policy(Qtable, state)` | "never explores" |
| train | no action chosen | `action = None` left | "env.step() got the action None" |
| train | the kit's epsilon-greedy | `qlearning.epsilon_greedy_policy(...)` | ⚠️ "calls the kit's code" |
| train | bootstrapping from terminal states (the course's) | no `if terminated` | ✅ + note "reward alone" |
| spaces | the space, not its size | `env.observation_space` | "the space itself" |
| spaces | a shape | `env.action_space.shape` | "a shape" |
| spaces | swapped | states from the action space | "the two are swapped" |
| spaces | FrozenLake's sizes | `16`, `4` | "FrozenLake's" |
| evaluate | FrozenLake's table on Taxi | `evaluate_agent(env, ..., Qtable_frozenlake, ...)` | "has 16 rows, but" |
| Taxi pass line | an untrained table | evaluate before training | advice "never trained" |
| Taxi pass line | too little training | `n_training_episodes = 300` | advice "has not spread back far enough" |
| Taxi pass line | close, with detours | a weaker run | advice "takes detours" |
| lake challenge | the table dropped at once | `_, _, mean, std = train_on(config)` | (the cell keeps `Qtable`, so the pass line keeps its provenance) |
"""
from __future__ import annotations

import random
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import helpers  # noqa: F401  (registers Taxi-v3)
from helpers import provenance, qlearning, scoring, teaching
from helpers.checks import qlearning as checks
from helpers.checks.exercises import solution_cell

from tests import languages
from tests.languages import speak_the_test_language  # noqa: F401  (an autouse fixture)

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_qlearning.ipynb"


@pytest.fixture(autouse=True)
def _clean(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # accepted solutions are saved in the working folder
    monkeypatch.delenv("KIT_STRICT", raising=False)
    provenance.ACCEPTED.clear()
    yield
    provenance.ACCEPTED.clear()


def _cell(exercise: str) -> str:
    import nbformat

    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.source.startswith(f"# TODO-EXERCISE: {exercise}"):
            return cell.source
    raise LookupError(exercise)


def _notebook_namespace() -> dict:
    """What the notebook has defined when a learner reaches the cell: its imports and the solved earlier
    exercises, typed in (not the kit's)."""
    ns = {"__name__": "__main__", "np": np, "random": random, "gym": gym, "qlearning": qlearning,
          "tqdm": lambda x, **k: x}
    for name in ("greedy_policy", "epsilon_greedy_policy"):
        exec(compile(solution_cell(getattr(teaching, name)), f"<cell: {name}>", "exec"), ns)
    return ns


def _fill(exercise: str, **lines) -> dict:
    """Run the TODO cell of ``exercise`` with its lines replaced: ``lines`` maps a piece of a line's text (the
    TODO comment or a line of the skeleton) to what the beginner typed there (None deletes the line)."""
    out = []
    for line in _cell(exercise).splitlines():
        indent = line[:len(line) - len(line.lstrip())]
        for piece, typed in lines.items():
            if piece in line:
                line = None if typed is None else indent + typed
                break
        if line is not None:
            out.append(line)
    ns = _notebook_namespace()
    exec(compile("\n".join(out), f"<cell: {exercise}>", "exec"), ns)
    return ns


def _verdict(capsys) -> str:
    return capsys.readouterr().out


def _rejected(out: str, exercise: str, words: str) -> None:
    if languages.chinese():  # the same mistake, named in Chinese
        assert f"❌ {exercise}" in out, out
        languages.assert_all_chinese(out)
        return
    assert f"❌ {exercise}:" in out, out
    assert words in out, out


def pytest_generate_tests(metafunc):
    languages.run_in_both_languages(metafunc, lambda name: name.endswith("_mistakes"))


# ---- exercise 1: env ----------------------------------------------------------------------------------------
ENV_TODO = "env = None  # TODO"


@pytest.mark.parametrize("typed, words", [
    ('env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery="False", render_mode="rgb_array")',
     "Python reads any non-empty text as true"),
    ('env = gym.make("FrozenLake-v1", map_name="4x4", render_mode="rgb_array")', "the ice is slippery (the default)"),
    ('env = gym.make("FrozenLake-v1", map_name="8x8", is_slippery=False, render_mode="rgb_array")',
     "the map is 8x8"),
    ('env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False)', "render_mode is None"),
    ('env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False, render_mode="human")',
     "render_mode is 'human'"),
    ("env = gym.make", "the function gym.make itself"),
    ('env = "FrozenLake-v1"', "pass the id to gym.make"),
    ('env = gym.make("Taxi-v3", render_mode="rgb_array")', "we start with \"FrozenLake-v1\""),
])
def test_env_mistakes(typed, words, capsys):
    ns = _fill("env", **{ENV_TODO: typed})
    env = checks.check_frozenlake_env(ns["env"])
    _rejected(_verdict(capsys), "env", words)
    assert env.spec.id == "FrozenLake-v1"  # the notebook carries on with the right lake


# ---- exercise 2: initialize_q_table ---------------------------------------------------------------------------
TABLE_TODO = "Qtable = None  # TODO"


@pytest.mark.parametrize("typed, words", [
    ("Qtable = np.zeros((action_space, state_space))", "rows and columns swapped"),
    ("Qtable = np.zeros(state_space)", "one value per state, shape (16,)"),
    ("Qtable = np.zeros(state_space, action_space)", "NumPy read the second one as a data type"),
    ("Qtable = np.ones((state_space, action_space))", "every value is 1 (np.ones)"),
    ("Qtable = np.empty((state_space, action_space))", "np.empty does not clear the memory"),
    ("Qtable = np.random.rand(state_space, action_space)", "random starting values invent knowledge"),
    ("Qtable = np.zeros((16, 4))", "not fixed numbers"),
    ("Qtable = [[0.0] * action_space] * state_space", "a Python list"),
    ("Qtable = np.zeros((state_space, action_space), dtype=int)", "use floats"),
])
def test_initialize_q_table_mistakes(typed, words, capsys):
    ns = _fill("initialize_q_table", **{TABLE_TODO: typed})
    fn = checks.check_initialize_q_table(ns["initialize_q_table"])
    _rejected(_verdict(capsys), "initialize_q_table", words)
    assert fn(500, 6).shape == (500, 6)


def test_initialize_q_table_mistake_evidence(capsys):
    ns = _fill("initialize_q_table", **{TABLE_TODO: "Qtable = np.zeros((16, 4))"})
    checks.check_initialize_q_table(ns["initialize_q_table"])
    assert "the shape is (16, 4), expected (500, 6)" in _verdict(capsys)  # the numbers, under the name


# ---- exercise 3: greedy_policy -------------------------------------------------------------------------------
GREEDY_TODO = "action = None  # TODO: one of the actions"


@pytest.mark.parametrize("typed, words", [
    ("action = np.argmin(q)", "np.argmin finds the worst action"),
    ("action = np.argmax(Qtable)", "np.argmax(Qtable) without [state] searches the whole table"),
    ("action = np.max(q)", "the largest Q-value, not the action that has it"),
    ("action = q", "the whole row Qtable[state]"),
    ("action = np.random.choice(q == q.max())", "a True/False value, not an action"),
    ("action = np.random.choice(np.flatnonzero(q == q.max))", "Is `q.max` missing its brackets?"),
    ("action = np.random.choice(np.where(q == q.max()))", "what np.where returns"),
    ("action = random.choice(np.where(q == q.max()))", "np.where returns one array per dimension"),
])
def test_greedy_policy_mistakes(typed, words, capsys):
    ns = _fill("greedy_policy", **{GREEDY_TODO: typed})
    assert checks.check_greedy_policy(ns["greedy_policy"]) is qlearning.greedy_policy
    _rejected(_verdict(capsys), "greedy_policy", words)


def test_greedy_argmin_shows_the_row_as_evidence(capsys):
    ns = _fill("greedy_policy", **{GREEDY_TODO: "action = np.argmin(q)"})
    checks.check_greedy_policy(ns["greedy_policy"])
    assert "Evidence: Q-values [" in _verdict(capsys)


def test_greedy_argmax_is_accepted_with_a_note_on_ties(capsys):
    ns = _fill("greedy_policy", **{GREEDY_TODO: "action = np.argmax(q)"})
    assert provenance._unwrap(checks.check_greedy_policy(ns["greedy_policy"])) is ns["greedy_policy"]
    out = _verdict(capsys)
    assert "✅ greedy_policy" in out and "always picks action 0" in out and "ties at random" in out


# ---- exercise 4: epsilon_greedy_policy -----------------------------------------------------------------------
EXPLOIT = "action = None  # TODO: exploit"
EXPLORE = "action = None  # TODO: explore"
GOOD_EXPLOIT, GOOD_EXPLORE = "action = greedy_policy(Qtable, state)", "action = random.randint(0, Qtable.shape[1] - 1)"


@pytest.mark.parametrize("lines, words", [
    ({"if random_num > epsilon:": "if random_num < epsilon:"}, "the comparison with epsilon is the wrong way round"),
    ({EXPLORE: "action = greedy_policy(Qtable, state)"}, "it never explores"),
    ({EXPLOIT: "action = random.randint(0, Qtable.shape[1] - 1)"}, "with epsilon = 0 it must always exploit"),
    ({EXPLORE: "action = random.randint(0, Qtable.shape[1])"}, "random.randint includes both ends"),
    ({EXPLORE: "action = np.random.randint(0, Qtable.shape[1] - 1)"}, "np.random.randint(low, high) leaves out high"),
    ({EXPLORE: "action = random.randint(0, Qtable.shape[1] - 1) if random.uniform(0, 1) < epsilon "
               "else greedy_policy(Qtable, state)"}, "it draws a second random number"),
    ({EXPLORE: "action = np.random.choice(Qtable[state])"}, "a Q-value from the row, not an action"),
])
def test_epsilon_greedy_mistakes(lines, words, capsys):
    ns = _fill("epsilon_greedy_policy", **{EXPLOIT: GOOD_EXPLOIT, EXPLORE: GOOD_EXPLORE, **lines})
    assert checks.check_epsilon_greedy_policy(ns["epsilon_greedy_policy"]) is qlearning.epsilon_greedy_policy
    _rejected(_verdict(capsys), "epsilon_greedy_policy", words)


def test_epsilon_greedy_sampling_twice_shows_the_rates(capsys):
    ns = _fill("epsilon_greedy_policy", **{EXPLOIT: GOOD_EXPLOIT, EXPLORE: "action = random.randint(0, "
               "Qtable.shape[1] - 1) if random.uniform(0, 1) < epsilon else greedy_policy(Qtable, state)"})
    checks.check_epsilon_greedy_policy(ns["epsilon_greedy_policy"])
    assert "expected about 58%" in _verdict(capsys)


def test_epsilon_greedy_calling_the_kits_greedy_is_flagged(capsys):
    ns = _fill("epsilon_greedy_policy", **{EXPLOIT: "action = qlearning.greedy_policy(Qtable, state)",
                                            EXPLORE: GOOD_EXPLORE})
    checks.check_epsilon_greedy_policy(ns["epsilon_greedy_policy"])
    out = _verdict(capsys)
    assert "⚠️ epsilon_greedy_policy: the checks pass, but your epsilon_greedy_policy calls the kit's code" in out


def test_epsilon_greedy_with_the_global_env_is_accepted_with_a_note(capsys):
    ns = _fill("epsilon_greedy_policy", **{EXPLOIT: GOOD_EXPLOIT, EXPLORE: "action = env.action_space.sample()"})
    ns["env"] = gym.make("Taxi-v3")
    assert provenance._unwrap(checks.check_epsilon_greedy_policy(ns["epsilon_greedy_policy"])) is \
        ns["epsilon_greedy_policy"]
    out = _verdict(capsys)
    assert "✅ epsilon_greedy_policy" in out and "the notebook's `env`" in out


# ---- exercise 5: train ---------------------------------------------------------------------------------------
ACTION = "action = None  # TODO"
TARGET = "target = None  # TODO"
UPDATE = "# TODO: move Qtable"
GOOD = {ACTION: "action = epsilon_greedy_policy(Qtable, state, epsilon)",
        TARGET: "target = reward if terminated else reward + gamma * np.max(Qtable[new_state])",
        UPDATE: "Qtable[state, action] = Qtable[state, action] + learning_rate * (target - Qtable[state, action])"}


def _train(**lines):
    return _fill("train", **{**GOOD, **lines})["train"]


@pytest.mark.parametrize("lines, words", [
    ({UPDATE: "Qtable[state] = Qtable[state] + learning_rate * (target - Qtable[state])"}, "the whole row"),
    ({TARGET: "target = reward if terminated else reward + gamma * np.argmax(Qtable[new_state])"},
     "the best action's index (0, 1, 2...), not its value"),
    ({TARGET: "target = reward if terminated else reward + gamma * np.mean(Qtable[new_state])"},
     "the average of Qtable[new_state]"),
    ({TARGET: "target = reward if terminated else reward + np.max(Qtable[new_state])"}, "were not discounted"),
    ({TARGET: "target = 0 if terminated else gamma * np.max(Qtable[new_state])"}, "leaves out the reward"),
    ({TARGET: "target = reward + gamma * np.max(Qtable[new_state]) if not terminated else 0"},
     "the target was 0 and the reward was lost"),
    ({TARGET: "target = reward"}, "the reward alone even when the episode goes on"),
    ({TARGET: "target = reward if terminated else reward + gamma * np.max(Qtable[state])"},
     "the state the agent just left"),
    ({TARGET: "target = reward if terminated or truncated else reward + gamma * np.max(Qtable[new_state])"},
     "A truncated step still has a future"),
    ({UPDATE: "Qtable[state, action] = target"}, "the learning rate is missing"),
    ({UPDATE: "Qtable[state, action] = Qtable[state, action] + learning_rate * target"},
     "without subtracting the old value"),
    ({UPDATE: "Qtable[state, action] = Qtable[state, action] + learning_rate * target - Qtable[state, action]"},
     "lacks the brackets"),
    ({UPDATE: "Qtable[state, action] = Qtable[state, action] - learning_rate * (target - Qtable[state, action])"},
     "away from the target"),
    ({UPDATE: "Qtable[state, action] = Qtable[state, action] + learning_rate * (Qtable[state, action] - target)"},
     "away from the target"),
    ({UPDATE: "Qtable[new_state, action] = Qtable[new_state, action] + learning_rate * (target - "
              "Qtable[new_state, action])"}, "the state the agent arrived in"),
    ({"state = new_state": None}, "move on with `state = new_state`"),
    ({ACTION: "action = epsilon_greedy_policy(Qtable, state, max_epsilon)"}, "epsilon never changed"),
    ({ACTION: "action = epsilon_greedy_policy(Qtable, state, qlearning.epsilon_at(step, min_epsilon, "
              "max_epsilon, decay_rate))"}, "not from the step"),
    ({ACTION: "action = greedy_policy(Qtable, state)"}, "greedy_policy, which never explores"),
    ({ACTION: "action = None"}, "env.step() got the action None"),
])
def test_train_mistakes(lines, words, capsys):
    assert provenance._unwrap(checks.check_train(_train(**lines))) is qlearning.train
    _rejected(_verdict(capsys), "train", words)


def test_train_mistakes_keep_the_numbers_as_evidence(capsys):
    checks.check_train(_train(**{UPDATE: "Qtable[state] = Qtable[state] + learning_rate * (target - Qtable[state])"}))
    out = _verdict(capsys)
    assert "Evidence: after two scripted episodes Q[" in out and ", expected " in out


def test_train_two_mistakes_at_once_are_both_named(capsys):
    checks.check_train(_train(**{UPDATE: "Qtable[state] = target",
                                 TARGET: "target = reward + gamma * np.argmax(Qtable[new_state])"}))
    out = _verdict(capsys)
    assert "the learning rate is missing" in out and "The update changed every action of Qtable[state], the whole row" \
        in out and "cannot be checked" in out


def test_train_calling_the_kits_epsilon_greedy_is_flagged(capsys):
    checks.check_train(_train(**{ACTION: "action = qlearning.epsilon_greedy_policy(Qtable, state, epsilon)"}))
    out = _verdict(capsys)
    assert "⚠️ train: the checks pass, but your train calls the kit's code" in out


def test_train_bootstrapping_from_terminal_states_is_accepted_with_a_note(capsys):
    mine = _train(**{TARGET: "target = reward + gamma * np.max(Qtable[new_state])"})
    assert provenance._unwrap(checks.check_train(mine)) is mine
    out = _verdict(capsys)
    assert "✅ train" in out and "reward alone" in out


def test_the_right_train_passes_and_trains_taxi(capsys):
    mine = _train()
    trained = checks.check_train(mine)
    assert provenance._unwrap(trained) is mine and "✅ train: all checks passed." in _verdict(capsys)


# ---- exercise 6: spaces --------------------------------------------------------------------------------------
STATES, ACTIONS = "state_space = None", "action_space = None"


@pytest.mark.parametrize("lines, words", [
    ({STATES: "state_space = env.observation_space", ACTIONS: "action_space = env.action_space.n"},
     "state_space is the space itself, Discrete(500)"),
    ({STATES: "state_space = env.observation_space.n", ACTIONS: "action_space = env.action_space.shape"},
     "a shape"),
    ({STATES: "state_space = env.action_space.n", ACTIONS: "action_space = env.observation_space.n"},
     "the two are swapped"),
    ({STATES: "state_space = 16", ACTIONS: "action_space = 4"}, "FrozenLake's"),
    ({}, "still None"),
])
def test_spaces_mistakes(lines, words, capsys):
    ns = _notebook_namespace()
    ns["env"] = env = gym.make("Taxi-v3")
    source = "\n".join(next((typed for piece, typed in lines.items() if piece in line), line)
                       for line in _cell("spaces").splitlines())
    exec(source, ns)
    assert checks.check_spaces(env, ns["state_space"], ns["action_space"]) == (500, 6)
    _rejected(_verdict(capsys), "spaces", words)


# ---- the Taxi cells: evaluation and the pass line's advice ----------------------------------------------------
TAXI = dict(min_epsilon=0.2, max_epsilon=1.0, decay_rate=0.005, max_steps=99, learning_rate=0.7, gamma=0.95)


def test_evaluating_frozenlakes_table_on_taxi_says_which_table():
    with pytest.raises(ValueError, match="has 16 rows, but Taxi-v3 has 500 states"):
        qlearning.evaluate_agent(gym.make("Taxi-v3"), 99, 3, np.zeros((16, 4)), [16, 54, 165])


def _taxi_pass_line(table, capsys):
    from helpers.defaults import TAXI_EVAL_SEEDS

    mean, std = qlearning.evaluate_agent(gym.make("Taxi-v3"), 99, 100, table, TAXI_EVAL_SEEDS)
    passed = scoring.check_pass("Taxi-v3", mean, std)
    return passed, _verdict(capsys)


def test_an_untrained_taxi_table_gets_advice_that_says_so(capsys):
    passed, out = _taxi_pass_line(np.zeros((500, 6)), capsys)
    assert not passed and "FAIL" in out
    assert "Every value of the Q-table you evaluated is 0" in out and "detours" not in out


def test_too_little_taxi_training_gets_advice_on_the_states_visited(capsys):
    table = qlearning.train(n_training_episodes=300, env=gym.make("Taxi-v3"), Qtable=np.zeros((500, 6)), seed=0,
                            progress=False, **TAXI)
    passed, out = _taxi_pass_line(table, capsys)
    assert not passed and "Most episodes end without a drop-off" in out
    assert "has not spread back far enough" in out and "Every value" not in out


def test_a_nearly_trained_taxi_gets_the_detour_advice(capsys):
    table = qlearning.train(n_training_episodes=1000, env=gym.make("Taxi-v3"), Qtable=np.zeros((500, 6)), seed=0,
                            progress=False, **TAXI)
    passed, out = _taxi_pass_line(table, capsys)
    assert not passed and "The agent delivers" in out and "takes detours" in out
    assert "without a drop-off" not in out and "Every value" not in out


# ---- notebook 01's loose ends (issue 27, item 6) ---------------------------------------------------------------
def test_is_slippery_as_text_gets_an_error_that_says_text_is_true():
    from helpers.envs import make_env

    with pytest.raises(ValueError, match="Python reads any non-empty text as true"):
        make_env("FrozenLake-v1", map_name="4x4", is_slippery="False")


def _own_map():
    import nbformat

    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.source.startswith("my_map = ["):
            ns = {}
            exec(cell.source.split("config =")[0], ns)
            return ns["my_map"]
    raise LookupError("my_map")


def test_the_shipped_own_map_trains_and_a_zero_is_explained_from_the_learners_greedy():
    from helpers import defaults

    config = defaults.FROZENLAKE_8X8.replace(env_kwargs=dict(desc=_own_map(), is_slippery=False))
    _, mean, _, _ = qlearning.train_and_evaluate(config, seed=0, progress=False)
    assert mean == 1.0
    lake = config.make_env()
    untrained = np.zeros((lake.observation_space.n, 4))
    argmax = _fill("greedy_policy", **{GREEDY_TODO: "action = np.argmax(q)"})["greedy_policy"]
    assert "your greedy_policy always picks action 0 (left), as np.argmax does" in \
        checks.lake_score_reason(lake, untrained, 0.0, argmax)
    why = checks.lake_score_reason(lake, untrained, 0.0, _notebook_namespace()["greedy_policy"])
    assert "Train longer" in why and "np.argmax" not in why  # ties broken at random: argmax is not the cause


def test_the_notebook_prints_no_bare_booleans(capsys):
    from helpers.envs import show_step

    show_step(0, 1, 0.0, False, False)
    out = capsys.readouterr().out
    assert "the episode goes on" in out and "False" not in out and "True" not in out


def test_greedy_policy_that_calls_the_kits_is_flagged(capsys):
    ns = _fill("greedy_policy", **{GREEDY_TODO: "action = qlearning.greedy_policy(Qtable, state)"})
    checks.check_greedy_policy(ns["greedy_policy"])
    assert "⚠️ greedy_policy: the checks pass, but your greedy_policy calls the kit's code" in _verdict(capsys)


def test_every_lake_cell_keeps_the_table_its_pass_line_reports_on():
    """A table dropped at once (`_, _, mean, std = train_on(...)`) takes its record of who trained it along: the
    pass line would lose its provenance."""
    import nbformat

    cells = [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if "train_on(" in c.source]
    assert cells
    for source in cells:
        for line in source.splitlines():
            if "= train_on(" in line:
                assert line.split("=")[0].split(",")[0].strip() == "Qtable", line
