"""What a pushed agent is on disk, and the env it was trained on.

A Q-learning agent is the course's model dict (hyperparameters, env arguments and the Q-table, pickled
as ``q-learning.pkl``); a policy is ``model.pt`` in the kit's weights-only format. The env arguments a
model carries rebuild the exact env it was trained on; FrozenLake's two settings (the map and the ice)
are read and written by ``lake_settings`` alone, whatever spelling a model uses.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from helpers.hub.errors import HubLoadError

QLEARNING_FILE = "q-learning.pkl"
POLICY_FILE = "model.pt"
POLICY_FORMAT = "deep-rl-kit/policy-v1"

# The keys of the course's Q-learning model dict (everything else in a model describes its env).
COURSE_MODEL_KEYS = ("env_id", "max_steps", "n_training_episodes", "n_eval_episodes", "eval_seed",
                     "learning_rate", "gamma", "max_epsilon", "min_epsilon", "decay_rate", "qtable")
_LAKE_KEYS = ("map_name", "desc", "is_slippery", "slippery")


def _is_lake(env_id: str) -> bool:
    return env_id.startswith("FrozenLake")


def lake_settings(kwargs: Mapping, *, as_made: bool = False) -> dict:
    """FrozenLake's map (``desc`` rows as strings, else ``map_name``) and ``is_slippery`` as ``kwargs``
    state them; ``slippery`` is the course's spelling of ``is_slippery``. Unstated settings are left out,
    or, with ``as_made=True``, filled with what ``gym.make`` does without them (4x4, slippery)."""
    out = {}
    if kwargs.get("desc") is not None:
        out["desc"] = [row if isinstance(row, str) else "".join(row) for row in kwargs["desc"]]
    elif kwargs.get("map_name") is not None:
        out["map_name"] = kwargs["map_name"]
    slippery = kwargs.get("is_slippery", kwargs.get("slippery"))
    if slippery is not None:
        out["is_slippery"] = bool(slippery)
    if as_made:
        if "desc" not in out:
            out.setdefault("map_name", "4x4")
        out.setdefault("is_slippery", True)
    return out


def course_env_name(env_id: str, **env_kwargs) -> str:
    """The env name the course's model cards use, e.g. ``FrozenLake-v1-4x4-no_slippery`` or ``Taxi-v3``:
    FrozenLake gets its map size and, when not slippery, ``-no_slippery``. Other envs keep their id."""
    if not _is_lake(env_id):
        return env_id
    lake = lake_settings(env_kwargs, as_made=True)
    size = f"{len(lake['desc'])}x{len(lake['desc'][0])}" if "desc" in lake else lake["map_name"]
    return f"{env_id}-{size}" + ("" if lake["is_slippery"] else "-no_slippery")


def env_kwargs_of(env) -> dict:
    """The keyword arguments that rebuild ``env`` (render options left out).

    FrozenLake always states its map and ``is_slippery``, so a reloaded model never depends on
    Gymnasium's defaults. Other envs keep only the arguments that differ from the registered ones.
    """
    import gymnasium as gym

    spec = getattr(env, "spec", None)
    if spec is None:
        return {}
    kwargs = {k: v for k, v in (spec.kwargs or {}).items() if not k.startswith("render")}
    if _is_lake(spec.id):
        return lake_settings(kwargs, as_made=True)
    try:
        registered = gym.spec(spec.id).kwargs or {}
    except gym.error.Error:
        registered = {}
    return {k: v for k, v in kwargs.items() if k not in registered or registered[k] != v}


def model_env_keys(env_id: str, env_kwargs: Mapping) -> dict:
    """Env arguments as a model dict stores them: FrozenLake's as top-level keys (with the course's
    ``slippery`` beside ``is_slippery``), any other env's under ``env_kwargs``."""
    keys = {k: v for k, v in env_kwargs.items() if not k.startswith("render")}
    if _is_lake(env_id):
        keys = {k: v for k, v in keys.items() if k not in _LAKE_KEYS} | lake_settings(keys, as_made=True)
        keys["slippery"] = keys["is_slippery"]
        return keys
    return {"env_kwargs": keys} if keys else {}


def stated_env_kwargs(model: Mapping) -> dict:
    """The env arguments a model dict states: its ``env_kwargs`` and any FrozenLake settings."""
    return dict(model.get("env_kwargs") or {}) | lake_settings(model)


def qlearning_model(config, qtable) -> dict:
    """The course's model dict from a ``helpers.defaults.QLearningConfig`` and a trained Q-table, plus
    every env argument, so that ``make_env_from_model`` rebuilds the same env."""
    model = {
        "env_id": config.env_id,
        "max_steps": config.max_steps,
        "n_training_episodes": config.n_training_episodes,
        "n_eval_episodes": config.n_eval_episodes,
        "eval_seed": list(config.eval_seed),
        "learning_rate": config.learning_rate,
        "gamma": config.gamma,
        "max_epsilon": config.max_epsilon,
        "min_epsilon": config.min_epsilon,
        "decay_rate": config.decay_rate,
        "qtable": np.asarray(qtable),
    }
    model.update(model_env_keys(config.env_id, dict(config.env_kwargs)))
    return model


def make_env_from_model(model: Mapping, **extra):
    """Build the env a Q-learning model dict was trained on; ``extra`` adds or overrides arguments
    (e.g. ``render_mode="rgb_array"``).

    A FrozenLake model without a map takes it from its Q-table's size (16 states = 4x4, 64 = 8x8). One
    that does not say whether the lake is slippery is refused rather than rebuilt with Gymnasium's
    default (slippery): a non-slippery agent on a slippery lake scores near 0 with no hint why.
    """
    from helpers.envs import make_env

    if "env_id" not in model:
        raise HubLoadError("This model dict has no 'env_id', so the kit cannot tell which env it is for.")
    env_id = model["env_id"]
    kwargs = stated_env_kwargs(model) | extra
    if _is_lake(env_id):
        lake = lake_settings(kwargs)
        kwargs = {k: v for k, v in kwargs.items() if k not in _LAKE_KEYS} | lake
        if "is_slippery" not in lake:
            raise HubLoadError(
                f"This {env_id} model does not say whether its lake is slippery (no 'is_slippery' or "
                "'slippery' key). Gymnasium's default is slippery, which would quietly change the task. "
                "Pass it yourself: make_env_from_model(model, is_slippery=False) (or True).")
        if "map_name" not in lake and "desc" not in lake:
            states = np.asarray(model["qtable"]).shape[0] if "qtable" in model else None
            sizes = {16: "4x4", 64: "8x8"}
            if states not in sizes:
                raise HubLoadError(f"This {env_id} model names no map ('map_name' or 'desc'); pass map_name=... .")
            kwargs["map_name"] = sizes[states]
    return make_env(env_id, **kwargs)


def evaluate_model(model: Mapping, env=None) -> tuple[float, float]:
    """Evaluate a Q-learning model dict as the course does: greedy, its ``max_steps``,
    ``n_eval_episodes`` and ``eval_seed`` (one reset seed per episode). Returns (mean, std)."""
    from helpers import qlearning

    env = env if env is not None else make_env_from_model(model)
    seeds = list(model.get("eval_seed") or []) or None
    return qlearning.evaluate_agent(env, int(model["max_steps"]), int(model["n_eval_episodes"]),
                                    np.asarray(model["qtable"]), seeds)
