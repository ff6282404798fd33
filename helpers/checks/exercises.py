"""What runs right after each TODO cell: check the learner's code, give a verdict, never block "Run all".

Each exercise has a ``check_*`` function (in ``helpers.checks.qlearning`` / ``helpers.checks.reinforce``) that runs the
learner's code on a few cases and returns what the rest of the notebook should use: the learner's own when
it passes, the kit's reference otherwise. Code written the course's way (reading ``learning_rate`` or
``env`` from the notebook, ``np.argmax`` greedy choices...) passes with a short note on what the kit does
differently. With ``KIT_STRICT=1`` in the environment (the solved-notebook tests set it) a failed check
raises instead, so a regression cannot hide.

Every verdict is also noted in ``helpers.provenance`` (which exercises the learner got accepted), so that a
score can say whose code trained the agent, and which accepted functions did not run.
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import os
import random
import signal
import sys
import textwrap
import threading
import types
from typing import Callable

import numpy as np

from helpers import provenance
from helpers.i18n import _, tidy, wrap
from helpers.provenance import global_names, learners_frame

STRICT_ENV_VAR = "KIT_STRICT"


class ExerciseFailed(AssertionError):
    """A check failed in strict mode."""


def strict_mode() -> bool:
    return os.environ.get(STRICT_ENV_VAR, "") not in ("", "0")


class Problem(Exception):
    """Raised inside a check with the hint to show the learner."""


# How long a check may run the learner's code. The slowest reference passes in a few seconds; a function that
# takes far longer almost always loops forever (a `while` whose condition never changes).
TIME_LIMIT_S = 120
# After the limit, the alarm fires again this often, in case the learner's code swallowed it (`except BaseException`).
REFIRE_S = 0.5


class _TimeUp(BaseException):
    """Raised in the learner's code when a check's time limit is reached (a BaseException, so that an
    ``except Exception`` in the learner's code cannot swallow it)."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise ``_TimeUp`` in the running code after ``seconds``, and again every ``REFIRE_S`` until the code
    gives up: a SIGALRM timer, where there is one (Linux and macOS, the main thread: Colab, Kaggle, Jupyter);
    elsewhere no limit.

    A retry loop with a bare ``except:`` catches the alarm wherever it lands, so once the time is up a line
    tracer raises ``_TimeUp`` again at each line of the learner's code, the ``except`` block's own lines
    included: the exception leaves the handler, and the loop."""
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    outer = set()  # the frames already running when the limit started: the notebook's, the check's
    frame = sys._getframe()
    while frame is not None:
        outer.add(id(frame))
        frame = frame.f_back
    traced = []  # (frame, its trace function before): put back at the end
    previous_trace = sys.gettrace()

    def trace(frame, event, arg):
        if not learners_frame(frame):
            return None
        if event == "line":
            raise _TimeUp()
        return trace

    def stop(signum, frame):
        sys.settrace(trace)  # frames the learner's code calls from now on
        while frame is not None and id(frame) not in outer:  # and the ones running now
            traced.append((frame, frame.f_trace))
            frame.f_trace = trace
            frame = frame.f_back
        raise _TimeUp()

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds, REFIRE_S)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.settrace(previous_trace)
        for frame, before in traced:
            frame.f_trace = before


def _crash_hint(err: BaseException) -> str:
    """A short hint for an error raised by the learner's code (not a stack trace)."""
    text = str(err)
    if isinstance(err, TypeError) and "Cannot interpret" in text and "as a data type" in text:
        return _("np.zeros got the sizes as two arguments, and NumPy read the second one as a data type. Pass "
                 "the shape as one tuple, with double parentheses: np.zeros((state_space, action_space)).")
    if not isinstance(err, (TypeError, AttributeError, ValueError, RuntimeError)) or "NoneType" in text:
        return _("calling it raised {error}: {text} (is a TODO line still unfilled?)",
                 error=type(err).__name__, text=text)
    return _("calling it raised {error}: {text}", error=type(err).__name__, text=text)


def _kit_call_note(name: str, fn) -> str | None:
    """A note when the learner's accepted code calls the kit's reference directly (``qlearning.train(...)``)."""
    calls = provenance.kit_calls(fn)
    if not calls:
        return None
    spelled = ", ".join(f"`{how}`" for _exercise, how in calls)
    names = sorted({exercise for exercise, _how in calls})
    others = [n for n in names if n != name]
    if others:
        return _("⚠️ {name}: the checks pass, but your {name} calls the kit's code ({spelled}): an agent it trains "
                 "counts as trained with the kit's code for {names}. Call your own {others} instead.",
                 name=name, spelled=spelled, names=", ".join(names),
                 others=provenance._join(f"`{n}`" for n in others))
    return _("⚠️ {name}: the checks pass, but your {name} calls the kit's code ({spelled}): an agent it trains "
             "counts as trained with the kit's code for {names}. Write the body of `{name}` yourself rather than "
             "calling the kit's.", name=name, spelled=spelled, names=", ".join(names))


def run_check(name: str, learner_fn, reference_fn, check: Callable, *, solution: str | None = None,
              time_limit_s: float | None = None):
    """Run ``check(learner_fn)``; print a verdict; return what the notebook should carry on with.

    ``check`` raises ``Problem("hint")`` when the learner's code is wrong, and may return a list of notes
    (accepted, but the kit teaches a variant). Any other exception raised by the learner's code becomes a
    hint too: learners see what went wrong, not a stack trace. The check stops after ``time_limit_s``
    (default ``TIME_LIMIT_S``) or at an interrupt (the stop button), and says so; ``sys.exit()`` in the
    learner's code is a hint, not the end of the notebook. ``solution`` says how to see the reference
    (default: ``show_solution(<the reference>)``).
    """
    if provenance._unwrap(learner_fn) is reference_fn:
        print(_("ℹ️ {name}: the kit's reference is in use (write your own in the TODO cell to replace it).",
                name=name))
        provenance.note_check(name, learner_fn, False)
        return reference_fn
    limit = TIME_LIMIT_S if time_limit_s is None else time_limit_s
    if not callable(learner_fn):
        hint = _("`{name}` is not a function; re-run the cell that defines it.", name=name)
    else:
        try:
            with time_limit(limit):
                notes = check(learner_fn) or []
            delegating = _kit_call_note(name, learner_fn)
            print(delegating or _("✅ {name}: all checks passed.", name=name))
            for note in notes:
                print(wrap(note, initial_indent="   " + _("Note:") + " ", subsequent_indent="   "))
            provenance.note_check(name, learner_fn, True)
            return learner_fn
        except Problem as problem:
            hint = str(problem)
        except _TimeUp:
            hint = _("your function did not return within {limit:g} s: is there a loop that never ends?",
                     limit=limit)
        except KeyboardInterrupt:
            hint = _("the check was interrupted before your function returned: is there a loop that never ends? "
                     "(If it was only slow, re-run this cell and let it finish.)")
        except SystemExit as err:
            hint = _("your function called sys.exit() or exit() ({code!r}), which would stop the notebook: "
                     "return a value instead.", code=err.code)
        except GeneratorExit:
            hint = _("your function raised GeneratorExit (is there a `yield` where a `return` belongs?).")
        except Exception as err:  # the learner's code crashed: report it briefly
            hint = _crash_hint(err)
    provenance.note_check(name, learner_fn, False)
    message = tidy(_("❌ {name}: {hint}", name=name, hint=hint))
    if strict_mode():
        raise ExerciseFailed(message)
    print(message)
    solution = solution or f"show_solution({reference_fn.__module__}.{reference_fn.__qualname__})"
    if name in provenance.EXERCISES:  # what it trains keeps a record: the pass line names the kit's code
        print("   " + _("The notebook carries on with the kit's reference `{name}`, and every score says so. Fix "
                        "your cell and re-run it and this check, or see a solution with {solution}.",
                        name=name, solution=solution))
    else:
        print("   " + _("The notebook carries on with the kit's reference `{name}`. Fix your cell and re-run it "
                        "and this check, or see a solution with {solution}.", name=name, solution=solution))
    return reference_fn


# ---- calling the learner's code the kit's way -----------------------------------------------------------------
def adapt_call(fn, reference) -> tuple[Callable, list[str]]:
    """Let the kit call ``fn`` the way it calls ``reference``; return ``(callable, notes)``.

    Keyword arguments that ``fn`` does not take are bound as globals while it runs when ``fn`` reads them
    from the notebook (the course's ``train`` reads ``learning_rate`` and ``gamma``, its ``reinforce`` reads
    ``env``), otherwise dropped; an unused ``seed`` still seeds ``env`` (and the notebook's ``env``, whose
    actions course-style epsilon-greedy samples) and Python's and NumPy's generators.
    """
    if not inspect.isfunction(fn):
        return fn, []
    params = inspect.signature(fn).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return fn, []
    reference_order = list(inspect.signature(reference).parameters)
    missing = [n for n in reference_order if n not in params]
    if not missing:
        return fn, []
    read = global_names(fn.__code__)
    as_globals = [n for n in missing if n in read]
    notes = []
    names = provenance._join("`" + n + "`" for n in as_globals) if as_globals else ""
    if len(as_globals) == 1:
        notes.append(_("your {fn} reads {names} from the notebook, as the course's does; it works here because the "
                       "kit hands it over when it calls your function. Taking {names} as a parameter makes it work "
                       "in any notebook.", fn=fn.__name__, names=names))
    elif as_globals:
        notes.append(_("your {fn} reads {names} from the notebook, as the course's does; it works here because the "
                       "kit hands them over when it calls your function. Taking {names} as parameters makes it "
                       "work in any notebook.", fn=fn.__name__, names=names))

    # Course-style parameters are the first of the kit's, in the same order: positional arguments then follow
    # the kit's order (``reinforce(policy, ..., print_every, env)``), else the learner's own.
    order = reference_order if list(params) == reference_order[:len(params)] else list(params)

    @functools.wraps(fn)
    def call(*args, **kwargs):
        given = dict(zip(order, args))
        given.update(kwargs)
        mine = {k: v for k, v in given.items() if k in params}
        extra = {k: v for k, v in given.items() if k in as_globals}
        seed = given.get("seed") if "seed" not in params else None
        if seed is not None:
            random.seed(seed)
            np.random.seed(seed)
            env = mine.get("env", extra.get("env"))
            if env is not None:
                env.reset(seed=seed)
            # The notebook's own `env` too: course-style epsilon-greedy samples its action space.
            for space_owner in {id(e): e for e in (env, fn.__globals__.get("env")) if e is not None}.values():
                if hasattr(space_owner, "action_space"):
                    space_owner.action_space.seed(seed)
        if not extra:
            return fn(**mine)
        namespace = dict(fn.__globals__)
        namespace.update(extra)
        clone = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
        clone.__kwdefaults__ = fn.__kwdefaults__
        return clone(**mine)

    return call, notes


# ---- solutions ---------------------------------------------------------------------------------------------------
def teaching_version(fn: Callable) -> Callable:
    """The plain version of reference ``fn`` where the reference is tuned, else ``fn``: each unit's reference module
    names the module of its plain versions (``PLAIN_VERSIONS``: ``helpers.teaching``, ``helpers.teaching_unit4``)."""
    import importlib

    where = getattr(inspect.getmodule(fn), "PLAIN_VERSIONS", None)
    if not where or not provenance._in_kit(fn):
        return fn
    plain = getattr(importlib.import_module(where), getattr(fn, "__name__", ""), None)
    return plain if inspect.isfunction(plain) else fn


def show_solution(fn: Callable) -> None:
    """Print a solution, e.g. ``show_solution(qlearning.greedy_policy)``: the plain version a learner would
    write where the reference that runs is tuned (``helpers.teaching``), else the reference itself.

    The solutions live in ``helpers``; this shows that copy rather than a pasted one.
    """
    plain = teaching_version(fn)
    print(textwrap.dedent(inspect.getsource(plain)))
    if plain is not fn:
        where = fn.__module__ + "." + fn.__name__
        print(_("# The notebook falls back to {name}: the same maths, tuned for speed and with its arguments "
                "checked.", name=where))


def solution_cell(fn: Callable) -> str:
    """Code that defines the reference ``fn`` in a notebook, as a learner who solved the TODO would.

    It imports the module's support names only (``__all__``: NumPy, torch...), never the exercises, so every
    exercise the cell calls is the notebook's own. Used by the tests to build the solved notebooks.
    """
    module = inspect.getmodule(fn)
    support = ", ".join(getattr(module, "__all__", []))
    header = f"from {module.__name__} import {support}  # noqa: F401\n\n" if support else ""
    return header + textwrap.dedent(inspect.getsource(fn))
