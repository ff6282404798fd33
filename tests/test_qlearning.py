"""Unit tests of the Q-learning reference implementations and of the unit 2 exercise checks."""
import inspect
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import helpers  # noqa: F401  (registers Taxi-v3)
from helpers import provenance, defaults, qlearning
from helpers.checks.exercises import ExerciseFailed
from helpers.checks.qlearning import (check_epsilon_greedy_policy, check_greedy_policy, check_initialize_q_table,
                                      check_spaces, check_train)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # accepted solutions are saved in the working folder


def test_initialize_q_table_shape_and_zeros():
    table = qlearning.initialize_q_table(500, 6)
    assert table.shape == (500, 6) and table.dtype == np.float64 and not table.any()


def test_greedy_policy_picks_best_and_breaks_ties_at_random():
    Q = np.array([[0.0, 2.0, 1.0], [5.0, 5.0, -1.0]])
    assert qlearning.greedy_policy(Q, 0) == 1
    rng = np.random.default_rng(0)
    picks = {qlearning.greedy_policy(Q, 1, rng) for _ in range(100)}
    assert picks == {0, 1}


def test_epsilon_greedy_extremes_and_reproducible():
    Q = np.array([[0.0, 1.0, 0.0, 0.0]])
    assert {qlearning.epsilon_greedy_policy(Q, 0, 0.0) for _ in range(50)} == {1}
    rng = np.random.default_rng(1)
    assert {qlearning.epsilon_greedy_policy(Q, 0, 1.0, rng) for _ in range(400)} == {0, 1, 2, 3}
    a = [qlearning.epsilon_greedy_policy(Q, 0, 0.5, np.random.default_rng(7)) for _ in range(5)]
    b = [qlearning.epsilon_greedy_policy(Q, 0, 0.5, np.random.default_rng(7)) for _ in range(5)]
    assert a == b


def test_epsilon_schedule_matches_course_formula():
    assert qlearning.epsilon_at(0, 0.05, 1.0, 0.0005) == pytest.approx(1.0)
    assert qlearning.epsilon_at(1000, 0.05, 1.0, 0.0005) == pytest.approx(0.05 + 0.95 * np.exp(-0.5))


class _Chain(gym.Env):
    """Two states: action 1 in state 0 ends the episode with reward 1; action 0 loops with reward 0."""
    observation_space = gym.spaces.Discrete(2)
    action_space = gym.spaces.Discrete(2)

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        return 0, {}

    def step(self, action):
        return (1, 1.0, True, False, {}) if action == 1 else (0, 0.0, False, False, {})


def test_train_does_not_bootstrap_from_terminal_states():
    Q = np.zeros((2, 2))
    Q[1] = 100.0  # the terminal state's row must never be read
    qlearning.train(500, 0.1, 1.0, 0.01, _Chain(), 20, Q, 0.5, 0.9, seed=0, progress=False)
    assert Q[0, 1] == pytest.approx(1.0)
    assert Q[0, 0] == pytest.approx(0.9, abs=1e-3)  # loops once, then the terminal step: 0 + 0.9 * 1


def test_train_collects_returns_and_is_reproducible():
    hp = defaults.FROZENLAKE.replace(n_training_episodes=300)
    runs = []
    for _ in range(2):
        env, returns = hp.make_env(), []
        Q = qlearning.train(env=env, Qtable=np.zeros((16, 4)), seed=3, episode_returns=returns, progress=False,
                            **hp.train_kwargs())
        runs.append((Q, returns))
    assert len(runs[0][1]) == 300 and set(runs[0][1]) <= {0.0, 1.0}
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]


def test_frozenlake_4x4_is_solved():
    _, mean, std, _ = qlearning.train_and_evaluate(defaults.FROZENLAKE, seed=0, progress=False)
    assert (mean, std) == (1.0, 0.0)


def test_evaluate_agent_uses_one_seed_per_episode():
    env = gym.make("Taxi-v3")
    Q = np.zeros((500, 6))
    starts = []

    class Spy(gym.Wrapper):
        def reset(self, **kwargs):
            obs, info = super().reset(**kwargs)
            starts.append((kwargs.get("seed"), obs))
            return obs, info

    qlearning.evaluate_agent(Spy(env), 3, 4, Q, [16, 54, 165, 177])
    assert [s for s, _ in starts] == [16, 54, 165, 177]
    assert starts[0][1] == 283  # Taxi-v3's start state for seed 16 in every Gymnasium version


def test_evaluate_agent_rejects_too_few_seeds():
    with pytest.raises(ValueError, match="2 seeds for 3 episodes"):
        qlearning.evaluate_agent(gym.make("Taxi-v3"), 10, 3, np.zeros((500, 6)), [1, 2])


# --- the exercise checks: accept the reference, reject typical mistakes with the right hint -------------------

def _verdict(capsys):
    return capsys.readouterr().out


def used(fn):
    """The function a check handed back, behind the wrapper that records who trained the agent."""
    return provenance._unwrap(fn)


def test_checks_pass_the_kits_references_through_and_say_so(capsys):
    assert used(check_initialize_q_table(qlearning.initialize_q_table)) is qlearning.initialize_q_table
    assert check_greedy_policy(qlearning.greedy_policy) is qlearning.greedy_policy
    assert check_epsilon_greedy_policy(qlearning.epsilon_greedy_policy) is qlearning.epsilon_greedy_policy
    assert used(check_train(qlearning.train)) is qlearning.train
    assert _verdict(capsys).count("the kit's reference is in use") == 4


def _learners_copy(fn):
    """The reference's code, defined outside helpers: what a learner who typed the solution has."""
    namespace = dict(fn.__globals__)
    exec(compile(inspect.getsource(fn), "<learner>", "exec"), namespace)
    return namespace[fn.__name__]


def test_checks_accept_a_learners_copy_of_the_references(capsys):
    for check, ref in [(check_initialize_q_table, qlearning.initialize_q_table),
                       (check_greedy_policy, qlearning.greedy_policy),
                       (check_epsilon_greedy_policy, qlearning.epsilon_greedy_policy), (check_train, qlearning.train)]:
        mine = _learners_copy(ref)
        assert used(check(mine)) is mine
    out = _verdict(capsys)
    assert out.count("✅") == 4 and "Note" not in out


@pytest.mark.parametrize("wrong, hint", [
    (lambda s, a: None, "still unfilled"),
    (lambda s, a: np.zeros((a, s)), "rows and columns swapped"),
    (lambda s, a: np.ones((s, a)), "every value is 1 (np.ones)"),
    (lambda s, a: [[0] * a] * s, "NumPy array"),
    (lambda s, a: np.zeros((s, a), dtype=int), "floats"),
])
def test_initialize_q_table_check_rejects(wrong, hint, capsys):
    assert used(check_initialize_q_table(wrong)) is qlearning.initialize_q_table
    assert hint in _verdict(capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda Q, s: None, "still unfilled"),
    (lambda Q, s: int(np.argmax(Q)), "does not exist"),
    (lambda Q, s: int(np.argmin(Q[s])), "np.argmin finds the worst action"),
    (lambda Q, s: float(np.argmax(Q[s])), "an int"),
])
def test_greedy_policy_check_rejects(wrong, hint, capsys):
    assert check_greedy_policy(wrong) is qlearning.greedy_policy
    assert hint in _verdict(capsys)


def test_greedy_policy_check_accepts_argmax_with_a_note_on_ties(capsys):
    def argmax(Q, s):
        return np.argmax(Q[s])

    assert check_greedy_policy(argmax) is argmax
    out = _verdict(capsys)
    assert "✅" in out and "always picks action 0" in out and "ties at random" in out


def _eps(explore_actions, flip=False):
    def policy(Q, s, eps):
        explore = np.random.random() < eps
        if flip:
            explore = not explore
        return int(np.random.randint(explore_actions)) if explore else qlearning.greedy_policy(Q, s)
    return policy


@pytest.mark.parametrize("wrong, hint", [
    (lambda Q, s, e: None, "still unfilled"),
    (_eps(4), "never came up"),
    (_eps(6, flip=True), "the comparison with epsilon is the wrong way round"),
    (lambda Q, s, e: qlearning.greedy_policy(Q, s) if np.random.random() > e / 4 else int(np.random.randint(6)),
     "expected about 58%"),
])
def test_epsilon_greedy_check_rejects(wrong, hint, capsys):
    assert check_epsilon_greedy_policy(wrong) is qlearning.epsilon_greedy_policy
    assert hint in _verdict(capsys)


def _my_epsilon_greedy(Q, s, eps):
    """A learner's own epsilon-greedy (a call to the kit's would count as the kit's code)."""
    if np.random.random() > eps:
        return int(np.random.choice(np.flatnonzero(Q[s] == Q[s].max())))
    return int(np.random.randint(Q.shape[1]))


epsilon_greedy_policy = _my_epsilon_greedy  # the name a notebook's train calls


def _train_with(update):
    def train(n_training_episodes, min_epsilon, max_epsilon, decay_rate, env, max_steps, Qtable, learning_rate, gamma):
        for episode in range(n_training_episodes):
            eps = qlearning.epsilon_at(episode, min_epsilon, max_epsilon, decay_rate)
            state, _ = env.reset()
            for _ in range(max_steps):
                action = epsilon_greedy_policy(Qtable, state, eps)
                new_state, reward, terminated, truncated, _ = env.step(action)
                update(Qtable, state, action, reward, new_state, terminated, learning_rate, gamma)
                if terminated or truncated:
                    break
                state = new_state
        return Qtable
    return train


def _bootstrap_always(Q, s, a, r, s2, term, lr, g):
    Q[s, a] += lr * (r + g * Q[s2].max() - Q[s, a])


def _no_update(Q, s, a, r, s2, term, lr, g):
    pass


def _wrong_sign(Q, s, a, r, s2, term, lr, g):
    Q[s, a] -= lr * (r + (0 if term else g * Q[s2].max()) - Q[s, a])


@pytest.mark.parametrize("wrong, hint", [
    (lambda **kw: None, "still unfilled"),
    (_train_with(_no_update), "did not change"),
    (_train_with(_wrong_sign), "away from the target"),
])
def test_train_check_rejects(wrong, hint, capsys):
    assert used(check_train(wrong)) is qlearning.train
    assert hint in _verdict(capsys)


def test_train_check_accepts_bootstrapping_from_terminal_states_with_a_note(capsys):
    mine = _train_with(_bootstrap_always)
    assert used(check_train(mine)) is mine  # called through an adapter: it takes no seed
    out = _verdict(capsys)
    assert "✅" in out and "terminated" in out and "reward alone" in out


def test_check_reports_a_crash_as_a_hint(capsys):
    def crashes(Q, s):
        raise KeyError("oops")
    check_greedy_policy(crashes)
    out = _verdict(capsys)
    assert "raised KeyError" in out and "Traceback" not in out


def test_check_spaces(capsys):
    env = gym.make("Taxi-v3")
    assert check_spaces(env, None, None) == (500, 6)
    assert "still None" in _verdict(capsys)
    assert check_spaces(env, 500, 6) == (500, 6)
    assert "✅" in _verdict(capsys)


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("KIT_STRICT", "1")
    with pytest.raises(ExerciseFailed, match="np.argmin finds the worst action"):
        check_greedy_policy(lambda Q, s: int(np.argmin(Q[s])))


# --- the train exercise as a beginner fills its TODO lines: each wrong update gets its own hint -------------------
def _notebook_cell(exercise):
    """The TODO cell of ``exercise`` as the notebook ships it."""
    import nbformat

    path = Path(__file__).resolve().parents[1] / "notebooks" / "01_qlearning.ipynb"
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.source.startswith(f"# TODO-EXERCISE: {exercise}"):
            return cell.source
    raise LookupError(exercise)


GOOD_TARGET = "target = reward if terminated else reward + gamma * np.max(Qtable[new_state])"
GOOD_UPDATE = "Qtable[state, action] = Qtable[state, action] + learning_rate * (target - Qtable[state, action])"


def _filled_train(action="action = epsilon_greedy_policy(Qtable, state, epsilon)", target=GOOD_TARGET,
                  update=GOOD_UPDATE, drop=None):
    lines = []
    for line in _notebook_cell("train").splitlines():
        indent = line[:len(line) - len(line.lstrip())]
        if "action = None  # TODO" in line:
            line = indent + action
        elif "target = None  # TODO" in line:
            line = indent + target
        elif "# TODO: move Qtable" in line:
            line = indent + update
        if drop and line.strip() == drop:
            continue
        lines.append(line)
    namespace = {"__name__": "__main__", "np": np, "qlearning": qlearning, "tqdm": lambda x, **k: x,
                 "epsilon_greedy_policy": _my_epsilon_greedy}
    exec(compile("\n".join(lines), "<cell: train>", "exec"), namespace)
    return namespace["train"]


@pytest.mark.parametrize("fill, hint", [
    (dict(update="Qtable[state, action] = target"), "the learning rate is missing"),
    (dict(target="target = reward if terminated else reward + np.max(Qtable[new_state])"), "multiply the best Q-value of new_state by gamma"),
    (dict(target="target = reward if terminated else reward + gamma * np.mean(Qtable[new_state])"), "the average of Qtable[new_state]"),
    (dict(target="target = reward if terminated or truncated else reward + gamma * np.max(Qtable[new_state])"),
     "A truncated step still has a future"),
    (dict(drop="state = new_state"), "move on with `state = new_state`"),
    (dict(update="Qtable[state, action] = Qtable[state, action] - learning_rate * (target - Qtable[state, action])"),
     "away from the target"),
    (dict(update="Qtable[state, action] = Qtable[state, action] + learning_rate * target"), "without subtracting the old value"),
    (dict(action="action = None"), "env.step() got the action None"),
])
def test_train_check_names_each_wrong_update(fill, hint, capsys):
    assert used(check_train(_filled_train(**fill))) is qlearning.train
    out = _verdict(capsys)
    assert "❌ train" in out and hint in out, out


def test_train_check_accepts_the_right_update_and_the_courses_with_its_note(capsys):
    mine = _filled_train()
    assert used(check_train(mine)) is mine
    assert "✅ train: all checks passed." in _verdict(capsys)
    course = _filled_train(target="target = reward + gamma * np.max(Qtable[new_state])")
    assert used(check_train(course)) is course
    out = _verdict(capsys)
    assert "✅" in out and "course's does" in out and "reward alone" in out


def test_a_train_that_calls_the_kits_epsilon_greedy_is_flagged_and_labelled_the_kits(capsys):
    mine = _filled_train(action="action = qlearning.epsilon_greedy_policy(Qtable, state, epsilon)")
    trained = check_train(mine)
    out = _verdict(capsys)
    assert "⚠️ train: the checks pass, but your train calls the kit's code (`qlearning.epsilon_greedy_policy`)" in out
    assert "Call your own `epsilon_greedy_policy` instead." in out
    table = trained(n_training_episodes=5, min_epsilon=0.1, max_epsilon=1.0, decay_rate=0.01,
                    env=gym.make("FrozenLake-v1", is_slippery=False), max_steps=20, Qtable=np.zeros((16, 4)),
                    learning_rate=0.7, gamma=0.95, seed=0)
    record = provenance.recall(table)
    assert record["train"] == provenance.YOURS and record["epsilon_greedy_policy"] == provenance.KIT


def test_np_zeros_with_two_arguments_gets_a_hint_not_numpys_message(capsys):
    check_initialize_q_table(lambda state_space, action_space: np.zeros(state_space, action_space))
    out = _verdict(capsys)
    assert "np.zeros((state_space, action_space))" in out and "Cannot interpret" not in out


def test_epsilon_greedy_hint_mentions_a_global_env_only_when_the_code_uses_one(capsys):
    check_epsilon_greedy_policy(_eps(4))  # draws from range(4), no env
    out = _verdict(capsys)
    assert "never came up" in out and "global env" not in out


def test_the_policy_cells_carry_the_courses_skeleton():
    eps_cell = _notebook_cell("epsilon_greedy_policy")
    assert "random_num = random.uniform(0, 1)" in eps_cell and "if random_num > epsilon:" in eps_cell
    assert "q.max()" in _notebook_cell("greedy_policy")


def test_explain_lake_score_says_why_an_agent_scores_zero(capsys):
    from helpers.checks.qlearning import explain_lake_score, lake_score_reason

    walled = gym.make("FrozenLake-v1", desc=["SFH", "FHH", "HFG"], is_slippery=False)
    assert "no path from S to G" in lake_score_reason(walled, np.zeros((9, 4)), 0.0)
    open_lake = gym.make("FrozenLake-v1", desc=["SFF", "FFF", "FFG"], is_slippery=False)
    assert "never reached G" in lake_score_reason(open_lake, np.zeros((9, 4)), 0.0)
    argmax = lambda Q, s: int(np.argmax(Q[s]))  # noqa: E731  (ties always go to action 0, left)
    assert "goes round in circles" in lake_score_reason(open_lake, np.ones((9, 4)), 0.0, argmax)
    assert "always picks action 0 (left)" in lake_score_reason(open_lake, np.zeros((9, 4)), 0.0, argmax)
    holey = gym.make("FrozenLake-v1", desc=["SHF", "FFF", "FFG"], is_slippery=False)
    right = np.zeros((9, 4))
    right[:, 2] = 1.0  # always right: from S straight into the hole next to it
    assert "falls into the hole at row 0, column 1 after 1 step:" in lake_score_reason(holey, right, 0.0, argmax)
    assert lake_score_reason(open_lake, np.ones((9, 4)), 1.0) is None
    explain_lake_score(walled, np.zeros((9, 4)), 0.0)
    assert capsys.readouterr().out.startswith("   Why 0: no path from S to G")
    explain_lake_score(open_lake, np.ones((9, 4)), 1.0)
    assert capsys.readouterr().out == ""


def test_show_solution_prints_the_plain_version_and_the_checks_accept_it(capsys, monkeypatch):
    from helpers.checks.exercises import show_solution, solution_cell, teaching_version

    monkeypatch.setenv("KIT_STRICT", "1")  # a failed check raises here instead of falling back
    show_solution(qlearning.greedy_policy)
    out = _verdict(capsys)
    assert "np.flatnonzero(q == q.max())" in out and "DEFAULT_RNG" not in out and ".tolist()" not in out
    assert "falls back to helpers.qlearning.greedy_policy" in out
    show_solution(qlearning.initialize_q_table)  # plain already: the reference itself
    assert "np.zeros((state_space, action_space))" in _verdict(capsys)
    # Typed into a notebook as a learner would, the plain versions pass the same checks as the references.
    ns = {"__name__": "__main__"}
    for name in ["greedy_policy", "epsilon_greedy_policy", "train"]:
        plain = teaching_version(getattr(qlearning, name))
        assert plain is not getattr(qlearning, name)
        exec(compile(solution_cell(plain), f"<cell: {name}>", "exec"), ns)
    assert used(check_greedy_policy(ns["greedy_policy"])) is ns["greedy_policy"]
    assert used(check_epsilon_greedy_policy(ns["epsilon_greedy_policy"])) is ns["epsilon_greedy_policy"]
    assert used(check_train(ns["train"])) is ns["train"]
    out = _verdict(capsys)
    assert out.count("✅") == 3 and "⚠️" not in out and "❌" not in out, out


def test_the_policy_cells_can_be_filled_from_their_text_alone(capsys, monkeypatch):
    """A beginner replaces only the TODO lines, with the calls the markdown above the cell names."""
    import random

    monkeypatch.setenv("KIT_STRICT", "1")
    fills = {
        "action = None  # TODO: one of the actions whose value equals q.max(), picked at random":
            "action = np.random.choice(np.flatnonzero(q == q.max()))",
        "action = None  # TODO: exploit: the greedy action for this state": "action = greedy_policy(Qtable, state)",
        "action = None  # TODO: explore: a random action, from 0 to Qtable.shape[1] - 1":
            "action = random.randint(0, Qtable.shape[1] - 1)",
    }
    ns = {"__name__": "__main__", "np": np, "random": random}
    for exercise in ("greedy_policy", "epsilon_greedy_policy"):
        source = _notebook_cell(exercise)
        for todo, line in fills.items():
            source = source.replace(todo, line)
        assert "TODO" not in source.split("\n", 1)[1], source
        exec(compile(source, f"<cell: {exercise}>", "exec"), ns)
    assert used(check_greedy_policy(ns["greedy_policy"])) is ns["greedy_policy"]
    assert used(check_epsilon_greedy_policy(ns["epsilon_greedy_policy"])) is ns["epsilon_greedy_policy"]
    assert _verdict(capsys).count("✅") == 2
