"""Argument checks for the reference trainers and evaluators of both units.

``check_args(name=value, ...)`` raises a ValueError naming the first argument that cannot work (a count
below 1, a rate outside its range, NaN or infinity) and saying what to pass, with the course's own value as
an example. It runs once per call, never per step.
"""
from __future__ import annotations

import math

import numpy as np

# name -> what the course uses (every count must be a whole number of at least 1)
_COUNTS = {"n_training_episodes": "the course uses 10000", "n_eval_episodes": "the course uses 100",
           "n_evaluation_episodes": "the course uses 10", "max_steps": "the course uses 99",
           "max_t": "the course uses 1000"}
_UNIT4_COUNTS = {"n_training_episodes": "the course uses 1000 for CartPole", "n_eval_episodes": "the course uses 10",
                 "max_steps": "the course uses 1000"}
_STEPS = ("max_steps", "max_t")
_UNIT4_RATES = {"gamma": (0.0, 1.0, True, "0.99")}
# name -> (lowest, highest, lowest allowed itself, what the course uses)
_RATES = {
    "learning_rate": (0.0, 1.0, False, "0.7"), "gamma": (0.0, 1.0, True, "0.95"),
    "min_epsilon": (0.0, 1.0, True, "0.05"), "max_epsilon": (0.0, 1.0, True, "1.0"),
    "decay_rate": (0.0, math.inf, True, "0.0005"), "lr": (0.0, math.inf, False, "1e-2"),
}


def check_args(unit: int = 2, **args) -> None:
    """Raise a ValueError for the first argument in ``args`` that cannot work (see the module docstring).
    ``unit`` picks the course's example values (unit 4 evaluates 10 episodes of up to 1000 steps)."""
    counts = _COUNTS | (_UNIT4_COUNTS if unit == 4 else {})
    rates = _RATES | (_UNIT4_RATES if unit == 4 else {})
    for name, value in args.items():
        if name in counts:
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name}={value!r}: it counts {'steps' if name in _STEPS else 'episodes'}, so it "
                                 f"must be a whole number of at least 1 ({counts[name]}).")
        elif name in rates:
            low, high, low_ok, course = rates[name]
            number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            if not number or value != value or not (low < value or (low_ok and value == low)) or not value <= high:
                where = f"from {low} to {high}" if low_ok else f"above {low} and at most {high}"
                where = "0 or more (finite)" if high == math.inf else where
                where = f"above {low} (finite)" if high == math.inf and not low_ok else where
                raise ValueError(f"{name}={value!r}: it must be a number {where} (the course uses {course}).")
            if value == math.inf:
                raise ValueError(f"{name}={value!r}: it must be a finite number (the course uses {course}).")
        else:
            raise KeyError(f"check_args knows no argument {name!r}")
