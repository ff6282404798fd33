"""A check never hangs: an endless loop in a TODO hits the time limit, an interrupt becomes a hint, and either
way the notebook carries on with the kit's reference."""
import time

import numpy as np
import pytest

from helpers import provenance, qlearning
from helpers.checks import exercises
from helpers.checks.exercises import ExerciseFailed
from helpers.checks.qlearning import check_greedy_policy, check_initialize_q_table


def endless_greedy_policy(Qtable, state):
    action = 0
    while action < 1:  # never changes: the classic endless loop
        pass
    return action


def test_an_endless_loop_stops_at_the_time_limit_and_the_reference_takes_over(monkeypatch, capsys):
    monkeypatch.delenv("KIT_STRICT", raising=False)
    monkeypatch.setattr(exercises, "TIME_LIMIT_S", 0.5)
    start = time.perf_counter()
    used = check_greedy_policy(endless_greedy_policy)
    assert time.perf_counter() - start < 10
    assert used is qlearning.greedy_policy
    out = capsys.readouterr().out
    assert "did not return within 0.5 s: is there a loop that never ends?" in out


def test_the_time_limit_cannot_be_swallowed_by_the_learners_except(monkeypatch, capsys):
    monkeypatch.delenv("KIT_STRICT", raising=False)
    monkeypatch.setattr(exercises, "TIME_LIMIT_S", 0.5)

    def stubborn(state_space, action_space):
        while True:
            try:
                time.sleep(0.01)
            except Exception:  # a learner's catch-all must not keep the check alive
                pass

    assert provenance._unwrap(check_initialize_q_table(stubborn)) is qlearning.initialize_q_table
    assert "did not return within" in capsys.readouterr().out


def test_the_time_limit_fires_again_when_the_learners_code_swallows_it(monkeypatch, capsys):
    monkeypatch.delenv("KIT_STRICT", raising=False)
    monkeypatch.setattr(exercises, "TIME_LIMIT_S", 0.3)
    monkeypatch.setattr(exercises, "REFIRE_S", 0.05)

    def swallows_everything(Qtable, state):
        while True:
            try:
                time.sleep(0.01)
            except BaseException:  # swallows the alarm; its own lines raise it again
                time.sleep(0.2)

    start = time.perf_counter()
    assert check_greedy_policy(swallows_everything) is qlearning.greedy_policy
    assert time.perf_counter() - start < 10
    assert "did not return within" in capsys.readouterr().out


@pytest.mark.parametrize("body, hint", [
    ("import sys; sys.exit(1)", "called sys.exit() or exit()"),
    ("raise GeneratorExit", "raised GeneratorExit"),
])
def test_sys_exit_and_generator_exit_become_hints(body, hint, monkeypatch, capsys):
    monkeypatch.delenv("KIT_STRICT", raising=False)
    namespace = {}
    exec(f"def greedy_policy(Qtable, state):\n    {body}\n", namespace)
    assert check_greedy_policy(namespace["greedy_policy"]) is qlearning.greedy_policy  # the notebook goes on
    out = capsys.readouterr().out
    assert hint in out and "carries on with the kit's reference" in out


def test_an_interrupt_becomes_a_hint_not_a_traceback(monkeypatch, capsys):
    monkeypatch.delenv("KIT_STRICT", raising=False)

    def interrupted(Qtable, state):
        raise KeyboardInterrupt  # what the stop button raises inside the running cell

    assert check_greedy_policy(interrupted) is qlearning.greedy_policy
    out = capsys.readouterr().out
    assert "interrupted before your function returned" in out and "carries on with the kit's reference" in out


def test_strict_mode_fails_on_the_time_limit(monkeypatch):
    monkeypatch.setenv("KIT_STRICT", "1")
    monkeypatch.setattr(exercises, "TIME_LIMIT_S", 0.5)
    with pytest.raises(ExerciseFailed, match="did not return within"):
        check_greedy_policy(endless_greedy_policy)


def test_a_passing_check_leaves_no_timer_behind(monkeypatch):
    import signal

    monkeypatch.delenv("KIT_STRICT", raising=False)
    before = signal.getsignal(signal.SIGALRM)
    def mine(Qtable, state):
        return int(np.argmax(Qtable[state]))

    assert check_greedy_policy(mine) is mine
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == before


def test_a_retry_loop_with_a_bare_except_still_stops_at_the_time_limit(monkeypatch, capsys):
    """The alarm lands inside the `try` almost every time, and a bare `except:` swallows it: the check must
    still stop, and the notebook carry on."""
    monkeypatch.delenv("KIT_STRICT", raising=False)
    monkeypatch.setattr(exercises, "TIME_LIMIT_S", 0.3)
    namespace = {"np": np, "time": time}
    exec("def greedy_policy(Qtable, state):\n"
         "    while True:\n"
         "        try:\n"
         "            time.sleep(0.01)  # wait a little, then try again\n"
         "            return int(np.argmax(Qtable[state + 1000]))  # fails every time: retry\n"
         "        except:\n"
         "            pass\n", namespace)
    start = time.perf_counter()
    assert check_greedy_policy(namespace["greedy_policy"]) is qlearning.greedy_policy
    assert time.perf_counter() - start < 10
    out = capsys.readouterr().out
    assert "did not return within 0.3 s" in out and "carries on with the kit's reference" in out
    import sys
    assert sys.gettrace() is None or "coverage" in type(sys.gettrace()).__module__  # no tracer left behind
    assert check_greedy_policy(lambda Qtable, state: int(np.argmax(Qtable[state]))) is not qlearning.greedy_policy
