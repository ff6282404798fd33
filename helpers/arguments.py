"""Argument checks for the reference trainers and evaluators of both units.

``check_args(name=value, ...)`` raises a ValueError naming the first argument that cannot work (a count
below 1, a rate outside its range, NaN or infinity) and saying what to pass, with the course's own value as
an example. It runs once per call, never per step.
"""
from __future__ import annotations

import math

import numpy as np

from helpers.i18n import _

# name -> what the course uses (every count must be a whole number of at least 1)
_COUNTS = {"n_training_episodes": "10000", "n_eval_episodes": "100", "n_evaluation_episodes": "10",
           "max_steps": "99", "max_t": "1000"}
_UNIT4_COUNTS = {"n_training_episodes": "1000 for CartPole", "n_eval_episodes": "10", "max_steps": "1000"}
_STEPS = ("max_steps", "max_t")
_UNIT4_RATES = {"gamma": (0.0, 1.0, True, "0.99")}
# name -> (lowest, highest, lowest allowed itself, what the course uses)
_RATES = {
    "learning_rate": (0.0, 1.0, False, "0.7"), "gamma": (0.0, 1.0, True, "0.95"),
    "min_epsilon": (0.0, 1.0, True, "0.05"), "max_epsilon": (0.0, 1.0, True, "1.0"),
    "decay_rate": (0.0, math.inf, True, "0.0005"), "lr": (0.0, math.inf, False, "1e-2"),
}


def _course(value: str) -> str:
    if value.endswith(" for CartPole"):
        return _("{n} for CartPole", n=value.split()[0])
    return value


def check_args(unit: int = 2, **args) -> None:
    """Raise a ValueError for the first argument in ``args`` that cannot work (see the module docstring).
    ``unit`` picks the course's example values (unit 4 evaluates 10 episodes of up to 1000 steps)."""
    counts = _COUNTS | (_UNIT4_COUNTS if unit == 4 else {})
    rates = _RATES | (_UNIT4_RATES if unit == 4 else {})
    for name, value in args.items():
        if name in counts:
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                values = dict(name=name, value=value, course=_course(counts[name]))
                if name in _STEPS:
                    raise ValueError(_("{name}={value!r}: it counts steps, so it must be a whole number of at least "
                                       "1 (the course uses {course}).", **values))
                raise ValueError(_("{name}={value!r}: it counts episodes, so it must be a whole number of at least 1 "
                                   "(the course uses {course}).", **values))
        elif name in rates:
            low, high, low_ok, course = rates[name]
            values = dict(name=name, value=value, course=course, low=low, high=high)
            number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            if not number or value != value or not (low < value or (low_ok and value == low)) or not value <= high:
                if high == math.inf and not low_ok:
                    raise ValueError(_("{name}={value!r}: it must be a number above {low} (finite) (the course uses "
                                       "{course}).", **values))
                if high == math.inf:
                    raise ValueError(_("{name}={value!r}: it must be a number 0 or more (finite) (the course uses "
                                       "{course}).", **values))
                if low_ok:
                    raise ValueError(_("{name}={value!r}: it must be a number from {low} to {high} (the course uses "
                                       "{course}).", **values))
                raise ValueError(_("{name}={value!r}: it must be a number above {low} and at most {high} (the course "
                                   "uses {course}).", **values))
            if value == math.inf:
                raise ValueError(_("{name}={value!r}: it must be a finite number (the course uses {course}).",
                                   **values))
        else:
            raise KeyError(f"check_args knows no argument {name!r}")  # a bug in the kit, not the learner's
