"""What a pushed agent is on disk, and the env it was trained on.

A Q-learning agent is the course's model dict (hyperparameters, env arguments and the Q-table, pickled
as ``q-learning.pkl``); a policy is ``model.safetensors`` (``helpers.policies.save_policy``). What a
downloaded model may ask for is checked here: one of the course's envs, known env arguments, bounded
evaluation counts, a finite Q-table of the env's shape. The env arguments a
model carries rebuild the exact env it was trained on; FrozenLake's two settings (the map and the ice)
are read and written by ``lake_settings`` alone, whatever spelling a model uses.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np

from helpers.envs import COURSE_ENVS
from helpers.errors import HubLoadError
from helpers import arguments
from helpers.i18n import _
from helpers.safe_pickle import short_repr

QLEARNING_FILE = "q-learning.pkl"
POLICY_FILE = "model.safetensors"

# The keys of the course's Q-learning model dict (everything else in a model describes its env).
COURSE_MODEL_KEYS = ("env_id", "max_steps", "n_training_episodes", "n_eval_episodes", "eval_seed",
                     "learning_rate", "gamma", "max_epsilon", "min_epsilon", "decay_rate", "qtable")
_LAKE_KEYS = ("map_name", "desc", "is_slippery", "slippery")

# What a model file (downloaded, so not trusted) may ask for. The env id must be one of the course's (all
# have a time limit and none needs an extra install); env arguments: FrozenLake's map and ice, and a few
# switches of the others; anything else must come from the caller (make_env_from_model(model, name=value)).
COURSE_ENV_IDS = COURSE_ENVS.keys()  # each unit registers its envs and their switches (helpers.envs.COURSE_ENVS)
LAKE_MAPS = ("4x4", "8x8")
MAX_LAKE_SIDE = 64
MAX_EVAL_EPISODES = 10_000
MAX_EVAL_STEPS = 100_000
MAX_EVAL_TOTAL_STEPS = 1_000_000  # max_steps x n_eval_episodes (the course's Taxi: 99 x 100); a few minutes at most


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
    key = "is_slippery" if kwargs.get("is_slippery") is not None else "slippery"
    slippery = kwargs.get(key)
    if isinstance(slippery, (str, bytes)):  # bool("False") is True: a quoted False would make the ice slippery
        raise HubLoadError(_("{key} is the string {value}, and Python reads every non-empty string as true (even "
                             "\"False\"), so the ice would be slippery. Write {key}=False or {key}=True, without "
                             "quotes.", key=key, value=short_repr(slippery)))
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
    if not _is_lake(arguments.text("env_id", env_id, "Taxi-v3")):
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

    spec = getattr(arguments.env("env", env), "spec", None)
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


def check_env_id(env_id) -> str:
    """``env_id`` if it is one of the course's envs (``COURSE_ENV_IDS``)."""
    if type(env_id) is not str or env_id not in COURSE_ENV_IDS:
        raise HubLoadError(_("This model names the env {env_id}, which is not one of the course's ({known}); any "
                             "other id, or a 'module:' prefix (Gymnasium would import that module), is never accepted "
                             "from a model file. If you trust it, build the env yourself and pass it: "
                             "evaluate_model(model, env).", env_id=short_repr(env_id), known=", ".join(COURSE_ENV_IDS)))
    return env_id


def _refuse_env_arg(env_id: str, key, value, allowed) -> None:
    shown = f"{str(key)[:40]}={short_repr(value)}"  # keys are names (checked to be str)
    if allowed:
        raise HubLoadError(_("This {env_id} model asks for the env argument {shown}, which the kit does not take "
                             "from a model file (it takes {allowed} for {env_id}, with plain values). If you trust "
                             "it, pass it yourself: make_env_from_model(model, {key}=...).",
                             env_id=env_id, shown=shown, allowed=", ".join(allowed), key=key))
    raise HubLoadError(_("This {env_id} model asks for the env argument {shown}, which the kit does not take "
                         "from a model file (it takes none for {env_id}). If you trust it, pass it yourself: "
                         "make_env_from_model(model, {key}=...).", env_id=env_id, shown=shown, key=key))


def _check_lake_value(env_id: str, key: str, value) -> None:
    ok = True
    if key == "map_name":
        ok = value in LAKE_MAPS if isinstance(value, str) else False
    elif key == "desc":
        rows = value if isinstance(value, (list, tuple)) else None
        ok = rows is not None and 0 < len(rows) <= MAX_LAKE_SIDE
        if ok:
            rows = [row if isinstance(row, str) else "".join(row) if isinstance(row, (list, tuple)) and
                    len(row) <= MAX_LAKE_SIDE and all(isinstance(c, str) for c in row) else None for row in rows]
            ok = all(isinstance(row, str) and 0 < len(row) <= MAX_LAKE_SIDE and set(row) <= set("SFHG")
                     for row in rows) and len({len(row) for row in rows}) == 1
    else:  # is_slippery / slippery
        if isinstance(value, (str, bytes)):
            raise HubLoadError(_("This {env_id} model stores {key} as the string {value}, and Python reads every "
                                 "non-empty string as true (even \"False\"), so the kit does not guess. Pass it "
                                 "yourself, without quotes: make_env_from_model(model, is_slippery=False) (or True).",
                                 env_id=env_id, key=key, value=short_repr(value)))
        ok = isinstance(value, (bool, np.bool_))
    if not ok:
        allowed = [f"map_name in {LAKE_MAPS}", _("desc (rows of S, F, H, G, at most {side}x{side})", side=MAX_LAKE_SIDE),
                   "is_slippery/slippery (True/False)"]
        _refuse_env_arg(env_id, key, value, allowed)


def file_env_kwargs(model: Mapping, trusted: Mapping = ()) -> dict:
    """The env arguments a model dict states, checked as coming from a file nobody vouched for; the
    arguments in ``trusted`` (the caller's own) are not taken from the file."""
    env_id = check_env_id(model.get("env_id"))
    raw = model.get("env_kwargs") or {}
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) for k in raw):
        raise HubLoadError(_("This model's 'env_kwargs' is not a dict of named arguments; pass the env's "
                             "arguments yourself: make_env_from_model(model, name=value)."))
    stated = dict(raw)
    if _is_lake(env_id):
        stated |= {k: model[k] for k in _LAKE_KEYS if model.get(k) is not None}
        groups = (("map_name", "desc"), ("is_slippery", "slippery"))
        for group in groups:  # the caller's map (or ice) replaces the file's, whichever spelling each uses
            if any(k in trusted for k in group):
                for k in group:
                    stated.pop(k, None)
        stated = {k: v for k, v in stated.items() if k not in trusted}
        for key, value in stated.items():
            if key not in _LAKE_KEYS:
                _refuse_env_arg(env_id, key, value, _LAKE_KEYS)
            _check_lake_value(env_id, key, value)
        return lake_settings(stated)
    allowed = COURSE_ENVS[env_id]
    for key, value in stated.items():
        if key in trusted:
            continue
        if key not in allowed or not isinstance(value, (bool, np.bool_)):
            _refuse_env_arg(env_id, key, value, allowed)
    return {k: bool(v) for k, v in stated.items() if k not in trusted}


def check_qtable(qtable, env=None, source: str | None = None) -> np.ndarray:
    """``qtable`` as an array, if it is a finite 2-D table of numbers (and, given ``env``, has one row per
    state and one column per action of ``env``); a HubLoadError that says what is wrong otherwise.
    ``source`` names the model in the message (default "This model")."""
    source = _("This model") if source is None else source
    try:
        with warnings.catch_warnings():  # NumPy 1.x warns, then makes an object array, for ragged lists
            warnings.simplefilter("ignore")
            q = np.asarray(qtable)
    except (ValueError, TypeError) as err:
        raise HubLoadError(_("{source}'s 'qtable' is not a table of numbers ({error}).", source=source,
                             error=err)) from None
    if q.dtype.kind not in "iuf" or q.ndim != 2 or 0 in q.shape:
        raise HubLoadError(_("{source}'s 'qtable' is not a 2-D table of numbers (it has shape {shape} and dtype "
                             "{dtype}); a Q-table has one row per state and one column per action.",
                             source=source, shape=q.shape, dtype=q.dtype))
    if not np.isfinite(q).all():
        raise HubLoadError(_("{source}'s 'qtable' holds NaN or infinite values: training diverged or the file is "
                             "damaged. Retrain (or download it again).", source=source))
    if env is not None:
        n_states = getattr(env.observation_space, "n", None)
        n_actions = getattr(env.action_space, "n", None)
        env_id = getattr(getattr(env, "spec", None), "id", "this env")
        if n_states is None or n_actions is None:
            raise HubLoadError(_("A Q-table needs an env with numbered states and actions; {env_id} has "
                                 "{space} observations.", env_id=env_id, space=env.observation_space))
        if q.shape != (int(n_states), int(n_actions)):
            raise HubLoadError(_("{source}'s Q-table has shape {shape}, but {env_id} ({name}) has {states} states "
                                 "and {actions} actions: the model was trained on another env (another map?). "
                                 "Pass the env it was trained on.", source=source, shape=q.shape, env_id=env_id,
                                 name=course_env_name(env_id, **env_kwargs_of(env)), states=int(n_states),
                                 actions=int(n_actions)))
    return q


def eval_count(value, name: str, most: int) -> int:
    """``value`` as a count of at least 1 and at most ``most`` (a model's ``max_steps``/``n_eval_episodes``)."""
    whole = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if whole and 1 <= value <= most:
        return int(value)
    if whole and value == 0 and "episode" in name:
        raise HubLoadError(_("{name} is 0: evaluating needs at least one episode. Set {name} to a positive number "
                             "(the course uses 100 episodes of at most 99 steps).", name=name))
    if whole and value == 0:
        raise HubLoadError(_("{name} is 0: evaluating needs at least one step. Set {name} to a positive number "
                             "(the course uses 100 episodes of at most 99 steps).", name=name))
    raise HubLoadError(_("{name} must be a whole number from 1 to {most:,}; this model has {value}. Set it "
                         "yourself, e.g. model['{name}'] = 100.", name=name, most=most, value=short_repr(value)))


def eval_protocol(model: Mapping) -> tuple[int, int, list | None]:
    """A model dict's ``(max_steps, n_eval_episodes, eval_seed)``, checked: whole numbers, at most 100,000 steps,
    10,000 episodes and ``MAX_EVAL_TOTAL_STEPS`` steps in all (a model file cannot keep the evaluation running for
    hours), and a list of reset seeds (or None)."""
    max_steps = eval_count(model.get("max_steps"), "max_steps", MAX_EVAL_STEPS)
    n_eval = eval_count(model.get("n_eval_episodes"), "n_eval_episodes", MAX_EVAL_EPISODES)
    if max_steps * n_eval > MAX_EVAL_TOTAL_STEPS:
        raise HubLoadError(_("max_steps x n_eval_episodes is {steps:,} x {episodes:,} = {total:,} steps, more than "
                             "the {most:,} the kit plays (the course's Taxi evaluation is 99 x 100). Set smaller "
                             "values, e.g. model['n_eval_episodes'] = 100.", steps=max_steps, episodes=n_eval,
                             total=max_steps * n_eval, most=MAX_EVAL_TOTAL_STEPS))
    return max_steps, n_eval, eval_seeds(model.get("eval_seed"))


def eval_seeds(value) -> list | None:
    """A model's ``eval_seed``: None/empty, or a list of reset seeds (whole numbers from 0 to 2**64 - 1)."""
    if value is None or (isinstance(value, (list, tuple, np.ndarray)) and len(value) == 0):
        return None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or len(value) > MAX_EVAL_EPISODES or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_)) and 0 <= s < 2**64
            for s in value):
        raise HubLoadError(_("eval_seed must be a list of at most {most:,} whole numbers (reset seeds); this model "
                             "has {value}. Set model['eval_seed'] = [] to evaluate unseeded.",
                             most=MAX_EVAL_EPISODES, value=short_repr(value)))
    return [int(s) for s in value]


def make_env_from_model(model: Mapping, **extra):
    """Build the env a Q-learning model dict was trained on; ``extra`` adds or overrides arguments
    (e.g. ``render_mode="rgb_array"``).

    The dict's env id and env arguments are checked first (``file_env_kwargs``): a model file chooses
    which of the known envs and settings it needs, never code to import. The arguments in ``extra`` are
    yours and are trusted. A FrozenLake model without a map takes it from its Q-table's size (16 states
    = 4x4, 64 = 8x8). One that does not say whether the lake is slippery is refused rather than rebuilt
    with Gymnasium's default (slippery): a non-slippery agent on a slippery lake scores near 0 with no hint
    why. When the dict has a Q-table, its shape must match the env's states and actions.
    """
    from helpers.envs import make_env

    if not isinstance(model, Mapping):
        raise HubLoadError(_("make_env_from_model expects the model dict, got {type}.", type=type(model).__name__))
    if "env_id" not in model:
        raise HubLoadError(_("This model dict has no 'env_id', so the kit cannot tell which env it is for."))
    env_id = model["env_id"]
    kwargs = file_env_kwargs(model, trusted=extra) | extra
    if _is_lake(env_id):
        lake = lake_settings(kwargs)
        kwargs = {k: v for k, v in kwargs.items() if k not in _LAKE_KEYS} | lake
        if "is_slippery" not in lake:
            raise HubLoadError(_(
                "This {env_id} model does not say whether its lake is slippery (no 'is_slippery' or "
                "'slippery' key). Gymnasium's default is slippery, which would quietly change the task. "
                "Pass it yourself: make_env_from_model(model, is_slippery=False) (or True).", env_id=env_id))
        if "map_name" not in lake and "desc" not in lake:
            states = check_qtable(model["qtable"]).shape[0] if "qtable" in model else None
            sizes = {16: "4x4", 64: "8x8"}
            if states not in sizes:
                raise HubLoadError(_("This {env_id} model names no map ('map_name' or 'desc'); pass map_name=... .",
                                     env_id=env_id))
            kwargs["map_name"] = sizes[states]
    env = make_env(env_id, **kwargs)
    if "qtable" in model:
        try:
            check_qtable(model["qtable"], env)
        except HubLoadError:
            env.close()
            raise
    return env


def evaluate_model(model: Mapping, env=None) -> tuple[float, float]:
    """Evaluate a Q-learning model dict as the course does: greedy, its ``max_steps``,
    ``n_eval_episodes`` and ``eval_seed`` (one reset seed per episode). Returns (mean, std).

    The counts are checked first (``eval_protocol``), and so is the Q-table (finite, the env's shape)."""
    from helpers import qlearning
    from helpers.scoring import check_scores

    arguments.model_dict("model", model)
    max_steps, n_eval, seeds = eval_protocol(model)
    env = env if env is not None else make_env_from_model(model)
    qtable = check_qtable(model.get("qtable"), env)
    return check_scores(*qlearning.evaluate_agent(env, max_steps, n_eval, qtable, seeds))
