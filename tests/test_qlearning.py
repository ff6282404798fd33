"""Unit tests of the Q-learning reference implementations and of the unit 2 exercise checks."""
import inspect

import gymnasium as gym
import numpy as np
import pytest

import helpers  # noqa: F401  (registers Taxi-v3)
from helpers import defaults, qlearning
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


def test_checks_pass_the_kits_references_through_and_say_so(capsys):
    assert check_initialize_q_table(qlearning.initialize_q_table) is qlearning.initialize_q_table
    assert check_greedy_policy(qlearning.greedy_policy) is qlearning.greedy_policy
    assert check_epsilon_greedy_policy(qlearning.epsilon_greedy_policy) is qlearning.epsilon_greedy_policy
    assert check_train(qlearning.train) is qlearning.train
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
        assert check(mine) is mine
    out = _verdict(capsys)
    assert out.count("✅") == 4 and "Note" not in out


@pytest.mark.parametrize("wrong, hint", [
    (lambda s, a: None, "still unfilled"),
    (lambda s, a: np.zeros((a, s)), "rows and columns swapped"),
    (lambda s, a: np.ones((s, a)), "start at 0"),
    (lambda s, a: [[0] * a] * s, "NumPy array"),
    (lambda s, a: np.zeros((s, a), dtype=int), "floats"),
])
def test_initialize_q_table_check_rejects(wrong, hint, capsys):
    assert check_initialize_q_table(wrong) is qlearning.initialize_q_table
    assert hint in _verdict(capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda Q, s: None, "still unfilled"),
    (lambda Q, s: int(np.argmax(Q)), "does not exist"),
    (lambda Q, s: int(np.argmin(Q[s])), "pick the action with the largest value"),
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
    (_eps(6, flip=True), "epsilon = 0 it must always exploit"),
    (lambda Q, s, e: qlearning.greedy_policy(Q, s) if np.random.random() > e / 4 else int(np.random.randint(6)),
     "expected about 58%"),
])
def test_epsilon_greedy_check_rejects(wrong, hint, capsys):
    assert check_epsilon_greedy_policy(wrong) is qlearning.epsilon_greedy_policy
    assert hint in _verdict(capsys)


def _train_with(update):
    def train(n_training_episodes, min_epsilon, max_epsilon, decay_rate, env, max_steps, Qtable, learning_rate, gamma):
        for episode in range(n_training_episodes):
            eps = qlearning.epsilon_at(episode, min_epsilon, max_epsilon, decay_rate)
            state, _ = env.reset()
            for _ in range(max_steps):
                action = qlearning.epsilon_greedy_policy(Qtable, state, eps)
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
    (_train_with(_wrong_sign), "went negative"),
])
def test_train_check_rejects(wrong, hint, capsys):
    assert check_train(wrong) is qlearning.train
    assert hint in _verdict(capsys)


def test_train_check_accepts_bootstrapping_from_terminal_states_with_a_note(capsys):
    mine = _train_with(_bootstrap_always)
    assert inspect.unwrap(check_train(mine)) is mine  # called through an adapter: it takes no seed
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
    with pytest.raises(ExerciseFailed, match="pick the action with the largest value"):
        check_greedy_policy(lambda Q, s: int(np.argmin(Q[s])))
