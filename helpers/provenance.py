"""Who wrote the code that trained an agent: the learner ("yours") or the kit ("kit reference").

A function or class defined in a notebook is the learner's; one that lives in ``helpers`` is the kit's
reference. ``trained_with`` starts from the training function and follows the exercise functions it really
calls (the global names its bytecode loads, looked up where it was defined), so the record says what ran,
not what a cell happened to be named. The pass line, ``results.json`` and the model card all print it.
"""
from __future__ import annotations

import dis
import inspect
import types

# The course's exercise names, in the order the notebooks introduce them.
EXERCISES = ("initialize_q_table", "greedy_policy", "epsilon_greedy_policy", "train",
             "Policy", "PixelcopterPolicy", "discounted_returns", "normalise_returns", "reinforce_loss",
             "reinforce")
YOURS, KIT = "yours", "kit reference"


def _unwrap(obj):
    """The learner's own object behind the kit's adapters (``__wrapped__``) and input wrappers (``.policy``)."""
    while True:
        if hasattr(obj, "__wrapped__"):
            obj = obj.__wrapped__
        elif type(obj).__name__ == "InputsPolicy" and hasattr(obj, "policy"):
            obj = obj.policy
        else:
            return obj


def origin(obj) -> str:
    """``"kit reference"`` if ``obj`` (a function, a class, or an instance of one) comes from ``helpers``,
    else ``"yours"``."""
    obj = _unwrap(obj)
    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj)):
        obj = type(obj)
    module = getattr(obj, "__module__", "") or ""
    return KIT if module == "helpers" or module.startswith("helpers.") else YOURS


def global_names(code: types.CodeType) -> set[str]:
    """The global names ``code`` (and the functions nested in it) loads: what it calls by name."""
    names = set()
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and isinstance(ins.argval, str):
            names.add(ins.argval)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= global_names(const)
    return names


def trained_with(*functions, **named) -> dict[str, str]:
    """Map each exercise that trained an agent to ``"yours"`` or ``"kit reference"``.

    ``functions`` are the training functions the notebook called (e.g. ``train``); the exercises they call
    are followed. ``named`` adds pieces passed around as values, e.g. ``Policy=type(policy)`` or
    ``discounted_returns=discounted_returns`` for the kit's batched trainer.
    """
    found: dict[str, str] = {}

    def visit(name, obj):
        if name in found:
            return
        found[name] = origin(obj)
        fn = _unwrap(obj)
        if inspect.isfunction(fn):
            for called in sorted(global_names(fn.__code__) & set(EXERCISES)):
                if called in fn.__globals__:
                    visit(called, fn.__globals__[called])

    for fn in functions:
        visit(_unwrap(fn).__name__, fn)
    for name, obj in named.items():
        visit(name, obj)
    return found


def describe(record: dict[str, str] | None) -> str:
    """``trained with your code`` or ``trained with the kit's reference for: train, greedy_policy``."""
    if not record:
        return ""
    kit = [name for name, who in record.items() if who != YOURS]
    if not kit:
        return "trained with your code"
    return "trained with the kit's reference for: " + ", ".join(kit)
