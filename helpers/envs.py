"""Environments by their course ids, on whichever Gymnasium is installed.

The course (its eval seeds, its Hub models) uses ``Taxi-v3``. Gymnasium 1.3 removed that id and ships
``Taxi-v4``, whose default configuration has the same transition table, start states and rewards
(checked against 1.2.3), so on new Gymnasium the kit registers ``Taxi-v3`` as the v4 environment.
"""
from __future__ import annotations

import difflib
import warnings

import gymnasium as gym

from helpers.arguments import count, env as check_env, tabular_env, text
from helpers.errors import KitArgumentError
from helpers.i18n import _

PIXELCOPTER_ID = "Pixelcopter-PLE-v0"
PONG_ID = "Pong-PLE-v0"
# The course's env ids, each with the switches a downloaded model file may set (helpers.hub.models trusts no other
# id or argument); each unit registers its own (helpers/unit2.py, helpers/unit4.py).
COURSE_ENVS: dict[str, tuple[str, ...]] = {}


def _taxi_v3_missing() -> bool:
    try:
        gym.spec("Taxi-v3")
    except gym.error.Error:
        return True
    return False


def register_kit_envs() -> None:
    """Register ``Taxi-v3`` (where Gymnasium dropped it), ``Pixelcopter-PLE-v0`` and ``Pong-PLE-v0``. Safe to call
    twice."""
    registry = gym.envs.registration.registry
    if "Taxi-v3" not in registry or _taxi_v3_missing():
        v4 = gym.spec("Taxi-v4")
        registry.pop("Taxi-v3", None)  # the deprecation stub Gymnasium >= 1.3 leaves behind
        gym.register(
            id="Taxi-v3",
            entry_point=v4.entry_point,
            max_episode_steps=v4.max_episode_steps,
            reward_threshold=v4.reward_threshold,
            kwargs=dict(v4.kwargs),
        )
        global _taxi_is_alias
        _taxi_is_alias = True
        # Gymnasium warns that v3 is "out of date" on every make; here that is by design.
        warnings.filterwarnings("ignore", message=".*Taxi-v3 is out of date")
    if PIXELCOPTER_ID not in registry:
        gym.register(id=PIXELCOPTER_ID, entry_point="helpers.pixelcopter:PixelcopterEnv",
                     vector_entry_point="helpers.pixelcopter:PixelcopterVecEnv")
    if PONG_ID not in registry:
        gym.register(id=PONG_ID, entry_point="helpers.pong:PongEnv", vector_entry_point="helpers.pong:PongVecEnv")


_taxi_is_alias = False


def taxi_note() -> str:
    """One line the notebooks print so the Taxi substitution is never hidden."""
    if _taxi_is_alias:
        return _("Note: Gymnasium {version} has no Taxi-v3, so the kit registered Taxi-v3 as Taxi-v4, whose default "
                 "dynamics, start states and rewards are identical.", version=gym.__version__)
    return _("Gymnasium {version} ships Taxi-v3 itself.", version=gym.__version__)


def make_env(env_id: str, **kwargs) -> gym.Env:
    """``gym.make`` with a helpful message for an unknown id (typos are common in exercises) or an unknown
    FrozenLake map name."""
    text("env_id", env_id, "FrozenLake-v1")
    for flag in ("is_slippery", "is_rainy", "fickle_passenger"):
        if isinstance(kwargs.get(flag), str):
            raise KitArgumentError(_("{flag} is the text {text!r}, in quotes. Python reads any non-empty text as "
                                     "true, so {flag}={text!r} would switch it on. Write {flag}=True or "
                                     "{flag}=False, without quotes.", flag=flag, text=kwargs[flag][:40]))
    if str(env_id).startswith("FrozenLake") and kwargs.get("map_name") is not None and kwargs.get("desc") is None:
        from gymnasium.envs.toy_text.frozen_lake import MAPS

        if kwargs["map_name"] not in MAPS:
            raise KitArgumentError(_("FrozenLake has no map {name!r}; the known map names are {known}. For another "
                                     "size pass your own map as desc=[...] (rows of S, F, H, G), e.g. from "
                                     "gymnasium's generate_random_map(size=5).", name=str(kwargs["map_name"])[:40],
                                     known=", ".join(repr(m) for m in MAPS)))
    try:
        return gym.make(env_id, **kwargs)
    except gym.error.Error as err:
        if env_id in gym.envs.registration.registry:
            raise
        close = difflib.get_close_matches(env_id, list(gym.envs.registration.registry), n=3)
        if close:
            raise KitArgumentError(_("Unknown environment id {env_id!r}. Did you mean {close}? Check the spelling "
                                     "and the version suffix (-v1, -v3).", env_id=env_id,
                                     close=", ".join(repr(c) for c in close))) from err
        raise KitArgumentError(_("Unknown environment id {env_id!r}. Check the spelling and the version suffix (-v1, "
                                 "-v3).", env_id=env_id)) from err


def make_vec_env(env_id: str, n_envs: int, max_episode_steps: int | None = None, **kwargs) -> gym.vector.VectorEnv:
    """``n_envs`` copies of ``env_id`` that step together, the one kind of env ``reinforce.train_batched`` plays.

    A finished copy starts its next episode in the same step (``AutoresetMode.SAME_STEP``). An episode ends at
    the env's own time limit (CartPole-v1: 500 steps), or earlier at ``max_episode_steps``. The PLE games use
    their NumPy version (all copies in one array step); any other id, Gymnasium's ``SyncVectorEnv``."""
    count("max_episode_steps", max_episode_steps, none=True)
    if type(n_envs) is not int or n_envs < 1:
        raise KitArgumentError(_("n_envs is the number of copies to play side by side, a whole number >= 1; got "
                                 "{n!r}.", n=n_envs))
    make_env(env_id, **kwargs).close()  # an unknown id or argument gets make_env's message here, once
    spec = gym.spec(env_id)
    limit = min((t for t in (spec.max_episode_steps, max_episode_steps) if t is not None), default=None)
    if isinstance(spec.vector_entry_point, str) and spec.vector_entry_point.startswith("helpers.") and not kwargs:
        return gym.envs.registration.load_env_creator(spec.vector_entry_point)(n_envs, max_episode_steps=limit)
    return gym.vector.SyncVectorEnv([lambda: make_env(env_id, max_episode_steps=limit, **kwargs)] * n_envs,
                                    autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)


# ---- what notebook 01 prints about its environments (the words live here, so they can be translated) ----------
def show_spaces(env) -> None:
    """Print what the agent observes and what it can do."""
    tabular_env("env", env)
    print(_("Observation space: {space} -> {n} states", space=env.observation_space, n=env.observation_space.n))
    print(_("Action space:      {space} -> {n} actions", space=env.action_space, n=env.action_space.n))


def show_step(state, new_state, reward, terminated, truncated) -> None:
    """Print one step of ``env.step`` in words (never a bare True/False)."""
    if terminated:
        print(_("state {state} -> {new_state}, reward {reward:g}: the episode ended (terminated: a hole or the goal).",
                state=state, new_state=new_state, reward=reward))
    elif truncated:
        print(_("state {state} -> {new_state}, reward {reward:g}: the time limit cut the episode (truncated).",
                state=state, new_state=new_state, reward=reward))
    else:
        print(_("state {state} -> {new_state}, reward {reward:g}: the episode goes on (neither terminated nor "
                "truncated).", state=state, new_state=new_state, reward=reward))


def show_taxi_state(env, state, state_space, action_space) -> None:
    """Print Taxi's sizes and what ``state`` packs (``env.unwrapped.decode``)."""
    if not hasattr(getattr(check_env("env", env, "Taxi-v3"), "unwrapped", None), "decode"):
        raise KitArgumentError(_("env is {env}, but show_taxi_state reads Taxi's states: pass the env made with "
                                 "gym.make(\"Taxi-v3\").", env=env))
    row, col, passenger, destination = env.unwrapped.decode(state)
    print(_("{states} states, {actions} actions", states=state_space, actions=action_space))
    print(_("start state {state}: taxi at row {row}, column {col}; passenger at stand {passenger}, destination "
            "{destination}", state=state, row=row, col=col, passenger=passenger, destination=destination))
