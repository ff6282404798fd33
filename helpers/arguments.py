"""One home for argument checks: a public function's first line checks its arguments here, once per call (never
per step), and an argument that cannot work raises ``KitArgumentError`` (``helpers.errors``: a ValueError and a
TypeError) naming the argument, showing its value and saying what to pass, with the course's value where the
course has one.

``check_args(name=value, ...)`` knows the course's names (``n_training_episodes``, ``gamma``, ``env``,
``Qtable``, ``policy``, ``seed``...; see ``_RULES``); the functions below it check one argument of any name.
"""
from __future__ import annotations

import math
import os
from typing import NoReturn

import numpy as np

from helpers.errors import KitArgumentError
from helpers.i18n import _

# name -> what the course uses (every count must be a whole number of at least 1)
_COUNTS = {"n_training_episodes": "10000", "n_eval_episodes": "100", "n_evaluation_episodes": "10",
           "max_steps": "99", "max_t": "1000"}
_UNIT4_COUNTS = {"n_training_episodes": "1000 for CartPole", "n_eval_episodes": "10", "max_steps": "1000"}
_STEPS = ("max_steps", "max_t")
_UNIT4_RATES = {"gamma": (0.0, 1.0, True, "0.99")}
# name -> (lowest, highest, lowest allowed itself, what the course uses); an lr of 0 is allowed: the loop
# check's recording optimizer uses it.
_RATES = {
    "learning_rate": (0.0, 1.0, False, "0.7"), "gamma": (0.0, 1.0, True, "0.95"),
    "min_epsilon": (0.0, 1.0, True, "0.05"), "max_epsilon": (0.0, 1.0, True, "1.0"),
    "decay_rate": (0.0, math.inf, True, "0.0005"), "lr": (0.0, math.inf, True, "1e-2"),
}


def _fail(message: str) -> NoReturn:
    raise KitArgumentError(message)


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value) -> str:
    return type(value).__name__


def is_whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value) -> bool:
    """A real number: Python's or NumPy's, or a one-value array or tensor; not a bool, not text."""
    if isinstance(value, (bool, np.bool_, str, bytes, complex)):
        return False
    if isinstance(value, (int, float, np.integer, np.floating)):
        return True
    try:
        float(value)  # a one-value array or tensor
    except (TypeError, ValueError, RuntimeError):
        return False
    return True


def _course(value: str) -> str:
    if value.endswith(" for CartPole"):
        return _("{n} for CartPole", n=value.split()[0])
    return value


def count(name: str, value, least: int = 1, *, none: bool = False) -> int | None:
    """``value`` as an int of at least ``least`` (``none``: None passes too)."""
    if (value is None and none) or (is_whole(value) and value >= least):
        return None if value is None else int(value)
    if none:
        _fail(_("{name}={value}: pass a whole number of at least {least}, or None.", name=name, value=_shown(value),
                least=least))
    _fail(_("{name}={value}: pass a whole number of at least {least}.", name=name, value=_shown(value), least=least))


def number(name: str, value, *, above: float | None = None, finite: bool = True) -> float:
    """``value`` as a finite float (above ``above`` when given): not text, not a bool, not NaN or infinity
    (``finite=False``: NaN and infinity pass, for a caller that explains them itself)."""
    if is_number(value) and (not finite or math.isfinite(value)) and (above is None or value > above):
        return float(value)
    if above is not None:
        _fail(_("{name}={value}: pass a finite number above {above:g}.", name=name, value=_shown(value), above=above))
    _fail(_("{name}={value}: pass a finite number (not text, a list, NaN or infinity).", name=name,
            value=_shown(value)))


def seed(name: str, value) -> int | None:
    """A seed: a whole number from 0 to 2**32 - 1 (what NumPy and the envs accept), or None."""
    if value is None or (is_whole(value) and 0 <= value <= 2**32 - 1):
        return None if value is None else int(value)
    _fail(_("{name}={value}: a seed is a whole number from 0 to 2**32 - 1 (e.g. 42), or None for a fresh random "
            "start.", name=name, value=_shown(value)))


def seed_list(name: str, value, n: int) -> None:
    """Reset seeds, one per episode (the course's ``eval_seed``): a list of at least ``n`` seeds, or None."""
    if value is not None and not hasattr(value, "__len__"):
        _fail(_("evaluate_agent's seed is a list of reset seeds, one per episode (the course's eval_seed), got "
                "{seed!r}: pass seed=[{seed!r}] * n_eval_episodes, a list such as defaults.TAXI_EVAL_SEEDS, or "
                "seed=None.", seed=value))
    if value is not None and len(value) and len(value) < n:
        _fail(_("evaluate_agent got {k} seeds for {n} episodes: pass at least one seed per episode, or "
                "n_eval_episodes={k}, or seed=None.", k=len(value), n=n))
    for each in value if value is not None else ():
        seed(name, each)


def text(name: str, value, example: str) -> str:
    if isinstance(value, str) and value:
        return value
    _fail(_("{name}={value}: pass a name in quotes, e.g. {example!r}.", name=name, value=_shown(value),
            example=example))


def path(name: str, value, example: str, *, exists: bool = False):
    if not isinstance(value, (str, os.PathLike)) or not str(value):
        _fail(_("{name}={value}: pass a file path as text, e.g. {example!r}.", name=name, value=_shown(value),
                example=example))
    if exists and not os.path.isfile(value):
        _fail(_("{name}={value}: there is no such file. Pass the path of a file that exists, e.g. {example!r} "
                "(the path record_video returned).", name=name, value=_shown(value), example=example))
    return value


def numbers(name: str, value) -> np.ndarray:
    """A flat list of numbers (rewards, returns, scores) as a float array."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        array = None
    if array is None or array.ndim != 1 or isinstance(value, (str, bytes)):
        _fail(_("{name} is {value}: pass a list of numbers, e.g. the list of episode returns that training "
                "filled.", name=name, value=_shown(value)))
    return array


def _is_tensor(value) -> bool:
    import torch

    return isinstance(value, torch.Tensor)


def tensor(name: str, value):
    if not _is_tensor(value):
        _fail(_("{name} is {value}, not a torch tensor: join the per-step values with torch.cat(...) or make one "
                "with torch.tensor(...).", name=name, value=_shown(value)))
    return value


def mapping(name: str, value) -> None:
    """A dict of named values (the course's hyperparameters), or None."""
    from collections.abc import Mapping

    if not (value is None or isinstance(value, Mapping)):
        _fail(_("{name} is {value}: pass a dict of named values, e.g. {{\"env_id\": \"CartPole-v1\", \"max_t\": "
                "1000}}, or None.", name=name, value=_shown(value)))


def tags(name: str, value) -> list[str]:
    """Hub tags: a list of texts (one tag alone as text is taken as that tag)."""
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(t, str) and t for t in value):
        _fail(_("{name} is {value}: pass a list of tags as text, e.g. [\"q-learning\", \"Taxi-v3\"].", name=name,
                value=_shown(value)))
    return list(value)


def model_dict(name: str, value) -> None:
    """A course model dict (what ``load_from_hub`` returns for a ``.pkl``)."""
    from collections.abc import Mapping

    if not isinstance(value, Mapping):
        _fail(_("{name} is {value}, not a model dict: pass what load_from_hub returned for a .pkl file (or what "
                "qlearning_model made).", name=name, value=_shown(value)))


def env(name: str, value, example: str = "FrozenLake-v1"):
    """An environment: something with ``reset`` and ``step`` (a Gymnasium env)."""
    if isinstance(value, str) or not (callable(getattr(value, "reset", None))
                                      and callable(getattr(value, "step", None))):
        _fail(_("{name} is {value}, not an environment: pass the env that gym.make made, e.g. "
                "gym.make({example!r}).", name=name, value=_shown(value), example=example))
    return value


def tabular_env(name: str, value, example: str = "FrozenLake-v1"):
    """An env whose states and actions are numbered (both spaces ``Discrete``), as a Q-table needs."""
    env(name, value, example)
    spaces = (getattr(value, "observation_space", None), getattr(value, "action_space", None))
    if not all(isinstance(getattr(space, "n", None), (int, np.integer)) for space in spaces):
        _fail(_("{name} has observation space {space}: a Q-table needs an env with numbered states and actions, "
                "such as {example}.", name=name, space=spaces[0], example=example))
    return value


def qtable(name: str, value, env=None, *, floats: bool = False) -> np.ndarray:
    """A Q-table: a 2-D NumPy array of finite numbers (floats when ``floats``: training writes fractions into it),
    with ``env``'s shape when ``env`` has numbered states and actions."""
    if not isinstance(value, np.ndarray) or value.ndim != 2 or value.dtype.kind not in "iuf":
        _fail(_("{name} is {kind} {shape}: pass a Q-table, a 2-D NumPy array with one row per state and one column "
                "per action (initialize_q_table(state_space, action_space) makes one).", name=name,
                kind=_kind(value), shape=getattr(value, "shape", "")))
    if floats and value.dtype.kind != "f":
        _fail(_("{name} holds whole numbers ({dtype}): training writes fractions into the Q-table, which would be "
                "rounded away. Make it with np.zeros((state_space, action_space)), which holds floats.",
                name=name, dtype=value.dtype))
    if not np.isfinite(value).all():
        _fail(_("{name} holds NaN or infinite values: training diverged. Train a fresh table (initialize_q_table) "
                "and pass the one train returns.", name=name))
    states = getattr(getattr(env, "observation_space", None), "n", None)
    actions = getattr(getattr(env, "action_space", None), "n", None)
    if states is not None and actions is not None and value.shape != (states, actions):
        env_id = getattr(getattr(env, "spec", None), "id", None) or _kind(getattr(env, "unwrapped", env))
        _fail(_("The Q-table {name} has {rows} rows, but {env_id} has {states} states (and {actions} actions): it "
                "was made for another environment. Pass the table made for this one, of shape ({states}, "
                "{actions}) (for Taxi, Qtable_taxi).", name=name, rows=value.shape[0], env_id=env_id,
                states=states, actions=actions))
    return value


def module(name: str, value, example: str = "Policy(s_size, a_size, h_size)"):
    """A policy: a ``torch.nn.Module``."""
    import torch.nn as nn

    if not isinstance(value, nn.Module):
        _fail(_("{name} is {value}, not a policy: pass a torch network (an nn.Module), e.g. {example}.", name=name,
                value=_shown(value), example=example))
    return value


def widths(name: str, value) -> list[int]:
    """Hidden layer widths: one whole number (CartPole: 16) or a non-empty list of them (Pixelcopter: (64, 64))."""
    hidden = [value] if is_whole(value) else list(value) if isinstance(value, (list, tuple)) else []
    if not hidden or not all(is_whole(h) and h >= 1 for h in hidden):
        _fail(_("{name}={value}: pass a hidden width, a whole number of at least 1 (CartPole: 16), or a list of "
                "them, one per hidden layer (Pixelcopter: (64, 64)).", name=name, value=_shown(value)))
    return [int(h) for h in hidden]


def scale(name: str, value, size: int):
    """None (no scaling) or one finite number above 0 per observation feature, as a float tensor."""
    import torch

    if value is None:
        return torch.ones(size)
    try:
        scaled = torch.as_tensor(value, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError):
        scaled = None
    if scaled is None or tuple(scaled.shape) != (size,):
        _fail(_("obs_scale needs one value per observation feature ({n}), got shape {shape}.", n=size,
                shape=_shown(value) if scaled is None else tuple(scaled.shape)))
    if not (torch.isfinite(scaled).all() and (scaled > 0).all()):
        _fail(_("{name}={value}: each observation feature is divided by its scale, so every value must be a finite "
                "number above 0 (e.g. the largest size the feature takes).", name=name, value=_shown(value)))
    return scaled


def optimizer(name: str, value):
    import torch

    if not isinstance(value, torch.optim.Optimizer):
        _fail(_("{name} is {value}, not an optimizer: pass one built on the policy's weights, e.g. "
                "torch.optim.Adam(policy.parameters(), lr=1e-2).", name=name, value=_shown(value)))
    for group in value.param_groups:
        check_args(4, lr=group["lr"])
    return value


def _rate(name: str, value, unit: int) -> None:
    low, high, low_ok, course = (_RATES | (_UNIT4_RATES if unit == 4 else {}))[name]
    values = dict(name=name, value=value, course=course, low=low, high=high)
    if is_number(value) and value == value and (low < value or (low_ok and value == low)) and value <= high:
        if value == math.inf:
            _fail(_("{name}={value!r}: it must be a finite number (the course uses {course}).", **values))
        return
    if high == math.inf:
        _fail(_("{name}={value!r}: it must be a number 0 or more (finite) (the course uses {course}).", **values))
    if low_ok:
        _fail(_("{name}={value!r}: it must be a number from {low} to {high} (the course uses {course}).", **values))
    _fail(_("{name}={value!r}: it must be a number above {low} and at most {high} (the course uses {course}).",
            **values))


def _count(name: str, value, unit: int) -> None:
    course = (_COUNTS | (_UNIT4_COUNTS if unit == 4 else {}))[name]
    if is_whole(value) and value >= 1:
        return
    values = dict(name=name, value=value, course=_course(course))
    if name in _STEPS:
        _fail(_("{name}={value!r}: it counts steps, so it must be a whole number of at least 1 (the course uses "
                "{course}).", **values))
    _fail(_("{name}={value!r}: it counts episodes, so it must be a whole number of at least 1 (the course uses "
            "{course}).", **values))


# The other names check_args knows: name -> check(name, value, the other arguments). Each runs in the order the
# arguments are passed, so pass ``env`` before the table that must fit it.
_RULES = {
    "env": lambda n, v, a: tabular_env(n, v) if ("Qtable" in a or "Q" in a) else env(n, v, "CartPole-v1"),
    "Qtable": lambda n, v, a: qtable(n, v, a.get("env"), floats=True),
    "Q": lambda n, v, a: qtable(n, v, a.get("env")),
    "seed": lambda n, v, a: seed(n, v),
    "policy": lambda n, v, a: module(n, v),
    "optimizer": lambda n, v, a: optimizer(n, v),
    "print_every": lambda n, v, a: count(n, v, 0),
    "batch_episodes": lambda n, v, a: count(n, v, none=True),
    "n_episodes": lambda n, v, a: count(n, v),
    "s_size": lambda n, v, a: count(n, v), "a_size": lambda n, v, a: count(n, v),
    "h_size": lambda n, v, a: count(n, v),
    "rewards": lambda n, v, a: numbers(n, v),
    "returns": lambda n, v, a: tensor(n, v) if "log_probs" in a else _is_tensor(v) or numbers(n, v),
    "log_probs": lambda n, v, a: tensor(n, v),
    "eps": lambda n, v, a: number(n, v, above=0),
    "episode_returns": lambda n, v, a: v is None or isinstance(v, list) or _fail(_(
        "{name} is {value}: pass an empty list for train to fill (episode_returns=[]), or None.", name=n,
        value=_shown(v))),
}


def check_args(unit: int = 2, **args) -> None:
    """Raise a ``KitArgumentError`` for the first argument in ``args`` that cannot work (see the module
    docstring). ``unit`` picks the course's example values (unit 4 evaluates 10 episodes of up to 1000 steps)."""
    for name, value in args.items():
        if name in _COUNTS:
            _count(name, value, unit)
        elif name in _RATES:
            _rate(name, value, unit)
        elif name in _RULES:
            _RULES[name](name, value, args)
        else:
            raise KeyError(f"check_args knows no argument {name!r}")  # a bug in the kit, not the learner's
