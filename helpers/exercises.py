"""What runs right after each TODO cell: check the learner's code, give a verdict, never block "Run all".

Each exercise has a ``check_*`` function (in ``qlearning_checks`` / ``reinforce_checks``) that runs the
learner's function on a few cases and returns the function the rest of the notebook should use: the
learner's own when it passes, the kit's reference otherwise. With ``KIT_STRICT=1`` in the environment
(the solved-notebook tests set it) a failed check raises instead, so a regression cannot hide.
"""
from __future__ import annotations

import inspect
import os
from typing import Callable

STRICT_ENV_VAR = "KIT_STRICT"


class ExerciseFailed(AssertionError):
    """A check failed in strict mode."""


def strict_mode() -> bool:
    return os.environ.get(STRICT_ENV_VAR, "") not in ("", "0")


class Problem(Exception):
    """Raised inside a check with the hint to show the learner."""


def run_check(name: str, learner_fn: Callable, reference_fn: Callable, check: Callable[[Callable], None]) -> Callable:
    """Run ``check(learner_fn)``; print a one-line verdict; return the function to carry on with.

    ``check`` raises ``Problem("hint")`` when the learner's code is wrong. Any other exception raised by
    the learner's code is turned into a hint too: learners see what went wrong, not a stack trace.
    """
    if not callable(learner_fn):
        hint = f"`{name}` is not a function; re-run the cell that defines it."
    else:
        try:
            check(learner_fn)
            print(f"✅ {name}: all checks passed.")
            return learner_fn
        except Problem as problem:
            hint = str(problem)
        except Exception as err:  # the learner's code crashed: report it briefly
            hint = f"calling it raised {type(err).__name__}: {err} (is a TODO line still unfilled?)"
    message = f"❌ {name}: {hint}"
    if strict_mode():
        raise ExerciseFailed(message)
    print(message)
    advice = f"   The notebook carries on with the kit's reference `{name}`. Fix your cell and re-run it and this check"
    if reference_fn.__name__ != "<lambda>":
        module = reference_fn.__module__.rsplit(".", 1)[-1]
        advice += f", or see a solution with show_solution({module}.{reference_fn.__name__})"
    print(advice + ".")
    return reference_fn


def show_solution(fn: Callable) -> None:
    """Print the source of a reference solution, e.g. ``show_solution(qlearning.greedy_policy)``.

    The solutions live once, in ``helpers``; this shows that copy rather than a pasted one.
    """
    print(inspect.getsource(fn))


def solution_cell(fn: Callable) -> str:
    """Code that defines the reference ``fn`` in a notebook, as a learner who solved the TODO would.

    Used by the tests to build the solved notebooks from the one copy in ``helpers``.
    """
    return f"from {fn.__module__} import *  # noqa: F401,F403\n\n{inspect.getsource(fn)}"
