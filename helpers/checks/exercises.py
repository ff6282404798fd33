"""What runs right after each TODO cell: check the learner's code, give a verdict, never block "Run all".

Each exercise has a ``check_*`` function (in ``helpers.checks.qlearning`` / ``helpers.checks.reinforce``) that runs the
learner's code on a few cases and returns what the rest of the notebook should use: the learner's own when
it passes, the kit's reference otherwise. Code written the course's way (reading ``learning_rate`` or
``env`` from the notebook, ``np.argmax`` greedy choices...) passes with a short note on what the kit does
differently. With ``KIT_STRICT=1`` in the environment (the solved-notebook tests set it) a failed check
raises instead, so a regression cannot hide.

Accepted unit 2 functions are also saved next to the notebook (``my_solutions_unit2.py``), so that
notebook 02 trains Taxi with them.
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import linecache
import os
import random
import re
import signal
import sys
import textwrap
import threading
import types
from pathlib import Path
from typing import Callable

import numpy as np

from helpers.provenance import global_names

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


class _TimeUp(BaseException):
    """Raised in the learner's code when a check's time limit is reached (a BaseException, so that an
    ``except Exception`` in the learner's code cannot swallow it)."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise ``_TimeUp`` in the running code after ``seconds``: a SIGALRM timer, where there is one (Linux
    and macOS, the main thread: Colab, Kaggle, Jupyter); elsewhere no limit."""
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise _TimeUp()

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_check(name: str, learner_fn, reference_fn, check: Callable, *, save: str | None = None,
              solution: str | None = None, time_limit_s: float | None = None):
    """Run ``check(learner_fn)``; print a verdict; return what the notebook should carry on with.

    ``check`` raises ``Problem("hint")`` when the learner's code is wrong, and may return a list of notes
    (accepted, but the kit teaches a variant). Any other exception raised by the learner's code becomes a
    hint too: learners see what went wrong, not a stack trace. The check stops after ``time_limit_s``
    (default ``TIME_LIMIT_S``) or at an interrupt (the stop button), and says so. ``save`` names the file of
    accepted solutions to keep the learner's version in (see ``save_solution``); ``solution`` says how to see
    the reference (default: ``show_solution(<the reference>)``).
    """
    if learner_fn is reference_fn:
        print(f"ℹ️ {name}: the kit's reference is in use (write your own in the TODO cell to replace it).")
        return learner_fn
    limit = TIME_LIMIT_S if time_limit_s is None else time_limit_s
    if not callable(learner_fn):
        hint = f"`{name}` is not a function; re-run the cell that defines it."
    else:
        try:
            with time_limit(limit):
                notes = check(learner_fn) or []
            print(f"✅ {name}: all checks passed.")
            for note in notes:
                print(textwrap.fill(note, 110, initial_indent="   Note: ", subsequent_indent="   "))
            if save:
                save_solution(save, name, learner_fn)
            return learner_fn
        except Problem as problem:
            hint = str(problem)
        except _TimeUp:
            hint = f"your function did not return within {limit:g} s: is there a loop that never ends?"
        except KeyboardInterrupt:
            hint = ("the check was interrupted before your function returned: is there a loop that never ends? "
                    "(If it was only slow, re-run this cell and let it finish.)")
        except Exception as err:  # the learner's code crashed: report it briefly
            hint = f"calling it raised {type(err).__name__}: {err}"
            if not isinstance(err, (TypeError, AttributeError, ValueError, RuntimeError)) or "NoneType" in str(err):
                hint += " (is a TODO line still unfilled?)"
    if save:
        forget_solution(save, name)
    message = f"❌ {name}: {hint}"
    if strict_mode():
        raise ExerciseFailed(message)
    print(message)
    print(f"   The notebook carries on with the kit's reference `{name}`, and says so wherever a score appears. "
          f"Fix your cell and re-run it and this check, or see a solution with "
          f"{solution or f'show_solution({reference_fn.__module__}.{reference_fn.__qualname__})'}.")
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
    if as_globals:
        names = " and ".join(f"`{n}`" for n in as_globals)
        notes.append(f"your {fn.__name__} reads {names} from the notebook, as the course's does; it works here "
                     f"because the kit hands {'them' if len(as_globals) > 1 else 'it'} over when it calls your "
                     f"function. Taking {names} as {'parameters' if len(as_globals) > 1 else 'a parameter'} makes it "
                     "work in any notebook.")

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


# ---- accepted solutions, kept for the next notebook -------------------------------------------------------------
SOLUTIONS_FILE = "my_solutions_{unit}.py"
_BLOCK = re.compile(r"^# ---- (\w+) ----\n(.*?)(?=^# ---- \w+ ----\n|\Z)", re.S | re.M)


def _solutions_path(unit: str, folder=None) -> Path:
    return Path(folder or Path.cwd()) / SOLUTIONS_FILE.format(unit=unit)


def _read_blocks(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return {m.group(1): m.group(2).strip() + "\n" for m in _BLOCK.finditer(path.read_text(encoding="utf-8"))}


def _write_blocks(path: Path, blocks: dict[str, str]) -> None:
    if not blocks:
        path.unlink(missing_ok=True)
        return
    head = ("# Your accepted solutions, saved by the kit's checks (helpers/checks/exercises.py). The next notebook\n"
            "# loads them; delete this file to start afresh.\n")
    path.write_text(head + "".join(f"# ---- {name} ----\n{code}\n" for name, code in blocks.items()), encoding="utf-8")


def _imports_for(fn) -> str:
    """Import lines for the modules and library names ``fn`` reads from its notebook (``np``, ``tqdm``...),
    so that its saved source runs in another notebook. Exercises and the learner's own values are left out."""
    from helpers.provenance import EXERCISES

    lines = []
    for name in sorted(global_names(fn.__code__) - set(EXERCISES)):
        obj = fn.__globals__.get(name)
        if obj is None:
            continue
        if inspect.ismodule(obj):
            lines.append(f"import {obj.__name__}" + (f" as {name}" if name != obj.__name__ else ""))
            continue
        homes = [getattr(obj, "__module__", None)] + [m for m in list(sys.modules) if m.startswith("helpers.")]
        home = next((m for m in homes if m and getattr(sys.modules.get(m), name, None) is obj), None)
        if home and home != "__main__":
            lines.append(f"from {home} import {name}")
    return "".join(line + "\n" for line in lines) + ("\n" if lines else "")


def save_solution(unit: str, name: str, fn, folder=None) -> bool:
    """Keep the source of the learner's accepted ``fn`` in ``my_solutions_<unit>.py``; False if it has none."""
    fn = inspect.unwrap(fn)
    try:
        code = _imports_for(fn) + textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError, AttributeError):
        return False
    path = _solutions_path(unit, folder)
    blocks = _read_blocks(path)
    blocks[name] = code
    _write_blocks(path, blocks)
    return True


def forget_solution(unit: str, name: str, folder=None) -> None:
    path = _solutions_path(unit, folder)
    blocks = _read_blocks(path)
    if blocks.pop(name, None) is not None:
        _write_blocks(path, blocks)


def load_solutions(unit: str, into: dict, names, fallback, folder=None) -> list[str]:
    """Define the learner's saved solutions ``names`` in the namespace ``into`` (the notebook's globals).

    The file holds the learner's own code from an earlier notebook, saved on this machine by the kit. Names
    with no saved solution get the kit's reference from the module ``fallback``, and their checks say so.
    Prints what was found and returns the names loaded.
    """
    path = _solutions_path(unit, folder)
    blocks = _read_blocks(path)
    loaded = []
    for name in names:
        into[name] = getattr(fallback, name)
        if name in blocks:
            filename = f"<{path.name}: {name}>"
            linecache.cache[filename] = (len(blocks[name]), None, blocks[name].splitlines(True), filename)  # getsource
            exec(compile(blocks[name], filename, "exec"), into)  # the learner's own code, saved on this machine
            loaded.append(name)
    missing = [n for n in names if n not in loaded]
    if loaded:
        print(f"Loaded your {', '.join(loaded)} from {path.name}.")
    if missing:
        where = "no such file here" if not path.exists() else "not saved there"
        print(f"Not found ({where}): {', '.join(missing)}. The kit's reference takes their place. "
              f"If you solved them in another session (on Colab each notebook gets its own machine), upload "
              f"{path.name} next to this notebook and re-run this cell, or paste your functions into a cell.")
    return loaded


# ---- solutions ---------------------------------------------------------------------------------------------------
def show_solution(fn: Callable) -> None:
    """Print the source of a reference solution, e.g. ``show_solution(qlearning.greedy_policy)``.

    The solutions live once, in ``helpers``; this shows that copy rather than a pasted one.
    """
    print(inspect.getsource(fn))


def solution_cell(fn: Callable) -> str:
    """Code that defines the reference ``fn`` in a notebook, as a learner who solved the TODO would.

    It imports the module's support names only (``__all__``: NumPy, torch...), never the exercises, so every
    exercise the cell calls is the notebook's own. Used by the tests to build the solved notebooks.
    """
    module = inspect.getmodule(fn)
    support = ", ".join(getattr(module, "__all__", []))
    header = f"from {module.__name__} import {support}  # noqa: F401\n\n" if support else ""
    return header + textwrap.dedent(inspect.getsource(fn))
