"""What the kit's PLE games (``pixelcopter``, ``pong``) share: seeding, action checks, rendering, windows.

The PyGame Learning Environment's games behind the course's ``*-PLE-v0`` ids all work the same way, and so do
the kit's re-implementations of them:
  * one ``numpy.random.RandomState`` per game: ``reset(seed=s)`` starts ``RandomState(s)``, a later ``reset()``
    continues its stream (the very first one without a seed draws from OS entropy);
  * integer actions, checked strictly (a float, a bool or an out-of-range value is a ValueError);
  * ``render_mode="rgb_array"`` returns the original's small screen, enlarged by pixel repetition with
    ``render_scale``; ``"human"`` shows it in a pygame window. pygame is imported only for that window, so
    stepping and ``rgb_array`` frames need neither pygame nor a display;
  * the vector envs seed copy i with ``seed + i`` (or one seed per copy) and reset finished copies at once.

``PLEGame`` is the base class of the single-game envs; the functions below are what the vector envs use too.
"""
from __future__ import annotations

import math
import os
import sys
from typing import Any, Sequence

import gymnasium as gym
import numpy as np

from helpers.arguments import is_whole
from helpers.errors import KitArgumentError
from helpers.i18n import _
from gymnasium import spaces

__all__ = ["PLEGame", "pg_round", "check_seed", "int_action", "vector_seeds", "check_vector_args",
           "display_problem", "human_mode_error"]


def pg_round(v: float) -> int:
    """pygame >= 2.3's float-to-int for rect positions: nearest, halves away from zero (exact)."""
    a = abs(v)
    n = math.floor(a)
    n += (a - n) >= 0.5  # a - floor(a) is exact, unlike floor(a + 0.5)
    return n if v >= 0 else -n


# ---- seeds and actions -------------------------------------------------------------------------------------
def check_seed(seed: Any) -> int:
    """``seed`` as an int in numpy.random.RandomState's range, else a TypeError/ValueError that says so."""
    if not is_whole(seed):
        raise KitArgumentError(_("seed must be an int between 0 and 2**32 - 1 (or None), got {seed!r} of type "
                                 "{type}.", seed=seed, type=type(seed).__name__))
    seed = int(seed)
    if not 0 <= seed <= 2**32 - 1:
        raise KitArgumentError(_("seed must be between 0 and 2**32 - 1 (numpy.random.RandomState's range), got {seed}.",
                                 seed=seed))
    return seed


PLAIN_INT_TYPES = frozenset({int, np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint32, np.uint16,
                             np.uint8, np.intp})


def int_action(action: Any, n_actions: int, what) -> int:
    """``action`` as a plain int in ``range(n_actions)``: Python and NumPy integers and 0-d integer arrays pass;
    anything else (bools, floats, strings, arrays with a shape) is a ValueError whose message ends with ``what``
    (the game's actions, in words; a function that returns them, so that the words are made only on an error)."""
    if type(action) in PLAIN_INT_TYPES and 0 <= action < n_actions:
        return int(action)
    if (isinstance(action, np.ndarray) and action.shape == () and action.dtype.kind in "iu"
            and 0 <= int(action) < n_actions):
        return int(action)
    raise ValueError(_("Invalid action {action!r} ({type}): {actions}.", action=action, type=type(action).__name__,
                       actions=what() if callable(what) else what))


# ---- the vector envs ---------------------------------------------------------------------------------------
def check_vector_args(num_envs: Any, max_episode_steps: Any) -> tuple[int, int | None]:
    """Validated ``(num_envs, max_episode_steps)`` of a vector env."""
    if not is_whole(num_envs) or num_envs < 1:
        raise KitArgumentError(_("num_envs must be a positive integer, got {num_envs!r}.", num_envs=num_envs))
    if max_episode_steps is not None and (not is_whole(max_episode_steps) or max_episode_steps < 1):
        raise KitArgumentError(_("max_episode_steps must be a positive integer or None, got {max_episode_steps!r}.",
                                 max_episode_steps=max_episode_steps))
    return int(num_envs), None if max_episode_steps is None else int(max_episode_steps)


def vector_seeds(seed: int | Sequence[int | None] | None, n: int, copy: str) -> list[int | None]:
    """One seed (or None) per copy: an int s gives copy i the seed s + i, a sequence gives one each, None none.
    ``copy`` names a copy in error messages ("copter", "game")."""
    if seed is None:
        return [None] * n
    if is_whole(seed):
        base = check_seed(seed)
        if base + n - 1 > 2**32 - 1:
            raise KitArgumentError(_("seed + num_envs - 1 must stay below 2**32 ({copy} i uses seed + i), got {seed}.",
                                     copy=_copy_word(copy), seed=seed))
        return [base + i for i in range(n)]
    if isinstance(seed, (list, tuple, np.ndarray)):
        if len(seed) != n:
            raise KitArgumentError(_("seed holds {got} seeds for {n} copies: pass one seed per {copy}, one int (copy "
                                     "i gets seed + i) or None.", n=n, copy=_copy_word(copy), got=len(seed)))
        return [None if s is None else check_seed(s) for s in seed]
    raise KitArgumentError(_("seed must be None, an int, or a sequence of {n} ints/None, got {seed!r}.", n=n,
                             seed=seed))


def _copy_word(copy: str) -> str:
    """A copy of the game, in words ("copter", "game")."""
    if copy == "copter":
        return _("copter")
    if copy == "game":
        return _("game")
    return _("copy")


def reseed(rngs: list, seeds: Sequence[int | None]) -> None:
    """Give copy i ``RandomState(seeds[i])``; a None keeps its stream (OS entropy for a copy never seeded)."""
    for i, s in enumerate(seeds):
        if s is not None:
            rngs[i] = np.random.RandomState(s)
        elif rngs[i] is None:
            rngs[i] = np.random.RandomState()  # from OS entropy


class PLEVecEnv(gym.vector.VectorEnv):
    """What the kit's NumPy vector games share: seeding, spaces, the step's end and same-step autoreset.

    Copy i behaves exactly like the single game driven with the same seed and actions (its own
    ``numpy.random.RandomState``), including across automatic resets: a copy's next episode continues its
    RandomState stream, like the single game's ``reset()`` without a seed.

    Args:
        num_envs: number of copies.
        seed: default seed for the first ``reset()`` that is given none (see ``reset``).
        max_episode_steps: if set, an episode is truncated after this many steps (like ``gym.make(...,
            max_episode_steps=N)``: ``truncated`` is True at step N, even if the episode also ended).

    ``reset(seed=...)``: an int s seeds copy i with s + i; a sequence gives one seed (or None) per copy;
    None continues every copy's stream (fresh entropy for copies never seeded).

    ``step(actions)`` takes an int array of shape (num_envs,) and returns ``obs (num_envs, 7) float64,
    rewards (num_envs,) float64, terminated, truncated (num_envs,) bool, info``. Autoreset is *same-step*
    (``metadata["autoreset_mode"] = AutoresetMode.SAME_STEP``): a copy whose episode ends at this step is
    reset at once and ``obs[i]`` is already the first observation of its next episode. ``info`` always holds:

    * ``"final_obs"`` (num_envs, 7): the last observation of the episodes that just ended (rows where
      ``info["_final_obs"]`` is True; other rows repeat ``obs``),
    * ``"_final_obs"`` (num_envs,) bool: terminated | truncated,
    * ``"episode_return"`` (num_envs,) float64 and ``"episode_length"`` (num_envs,) int64: the finished
      episodes' return and length (meaningful where ``_final_obs``).

    A game subclasses it with ``n_actions``, ``copy`` (its word for one copy, for messages),
    ``_start_episodes(copies)`` (a new episode for these copies, drawing from their streams) and
    ``_first_observations(copies)``; its ``step`` advances ``self._t`` and ends with ``_finish_step``.
    """

    metadata = {"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP, "render_modes": []}
    n_actions: int
    copy = "copy"

    def __init__(self, num_envs: int, seed: int | Sequence[int | None] | None = None,
                 max_episode_steps: int | None = None):
        n, self.max_episode_steps = check_vector_args(num_envs, max_episode_steps)
        vector_seeds(seed, n, self.copy)  # a seed that cannot work is refused now, not at the first reset
        self.num_envs = n
        self.single_observation_space = spaces.Box(-np.inf, np.inf, (7,), np.float64)
        self.single_action_space = spaces.Discrete(self.n_actions)
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, n)
        self.action_space = spaces.MultiDiscrete(np.full(n, self.n_actions))
        self._default_seed = seed
        self._rngs: list[np.random.RandomState | None] = [None] * n
        self._started = False
        self._t = np.zeros(n, dtype=np.int64)
        self._return = np.zeros(n)

    def reset(self, *, seed: int | Sequence[int | None] | None = None, options: dict[str, Any] | None = None):
        if seed is None and not self._started:
            seed = self._default_seed
        reseed(self._rngs, vector_seeds(seed, self.num_envs, self.copy))
        self._started = True
        everyone = np.arange(self.num_envs)
        self._start_episodes(everyone)
        self._t[:] = 0
        self._return[:] = 0.0
        return self._first_observations(everyone), {}

    def _start_episodes(self, copies: np.ndarray) -> None:
        raise NotImplementedError

    def _first_observations(self, copies: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _finish_step(self, obs: np.ndarray, rewards: np.ndarray, terminated: np.ndarray):
        """The end of every step: returns and truncation counted, the info built, ended episodes restarted."""
        self._return += rewards
        if self.max_episode_steps is None:
            truncated = np.zeros(self.num_envs, dtype=bool)
            done = terminated.copy()
        else:
            truncated = self._t >= self.max_episode_steps
            done = terminated | truncated
        info = {"final_obs": obs.copy(), "_final_obs": done, "episode_return": self._return.copy(),
                "episode_length": self._t.copy()}
        if done.any():
            ended = np.flatnonzero(done)
            self._start_episodes(ended)
            self._t[ended] = 0
            self._return[ended] = 0.0
            obs[ended] = self._first_observations(ended)
        return obs, rewards, terminated, truncated, info


# ---- windows -----------------------------------------------------------------------------------------------
def display_problem() -> str | None:
    """Why a pygame window cannot open here, or None."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None
    if os.environ.get("SDL_VIDEODRIVER", "") in ("dummy", "offscreen"):
        return None  # explicitly headless: pygame works, nothing is shown
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return _("no display was found (DISPLAY and WAYLAND_DISPLAY are not set)")


def human_mode_error(why: str) -> RuntimeError:
    return RuntimeError(_(
        "render_mode='human' opens a window, but {why}. Use render_mode='rgb_array' to get frames "
        "(for example to record a video), or start a virtual display first with "
        "helpers.runtime.start_virtual_display().", why=why))


class PLEGame(gym.Env):
    """Base of the kit's PLE games: render-mode checks, the RandomState, ``render``, the human window.

    A subclass sets ``window_title`` and the spaces, implements ``reset``/``step`` (calling ``_start_rng(seed)``
    first thing in ``reset``) and ``_frame()`` (the original's screen, an (H, W, 3) uint8 array).
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 30}
    window_title = "PLE"

    def __init__(self, render_mode: str | None = None, render_scale: int | None = None):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise KitArgumentError(_("render_mode must be one of {modes} or None, got {render_mode!r}.",
                                     modes=self.metadata["render_modes"], render_mode=render_mode))
        if render_scale is None:
            render_scale = 8 if render_mode == "human" else 1
        if not is_whole(render_scale) or render_scale < 1:
            raise KitArgumentError(_("render_scale must be a positive integer, got {render_scale!r}.",
                                     render_scale=render_scale))
        if render_mode == "human" and (why := display_problem()) is not None:
            raise human_mode_error(why)
        self.render_mode = render_mode
        self.render_scale = int(render_scale)
        self._rng: np.random.RandomState | None = None
        self._window = None
        self._clock = None

    def _start_rng(self, seed: Any) -> np.random.RandomState:
        """The RandomState for the episode that ``reset(seed=seed)`` starts (see the module docstring)."""
        if seed is not None:
            seed = check_seed(seed)
        super().reset(seed=seed)
        if seed is not None:
            self._rng = np.random.RandomState(seed)
        elif self._rng is None:
            self._rng = np.random.RandomState()  # from OS entropy
        return self._rng

    def _frame(self) -> np.ndarray:
        raise NotImplementedError

    def render(self):
        if self.render_mode is None:
            gym.logger.warn(_("render() was called without a render_mode; create the environment with "
                              "render_mode='rgb_array' (frames) or 'human' (a window)."))
            return None
        frame = self._frame()
        if self.render_scale > 1:
            frame = np.repeat(np.repeat(frame, self.render_scale, axis=0), self.render_scale, axis=1)
        if self.render_mode == "rgb_array":
            return frame
        self._show(frame)
        return None

    def _show(self, frame: np.ndarray) -> None:
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        try:
            import pygame
        except ImportError as err:
            raise gym.error.DependencyNotInstalled(
                _("render_mode='human' needs pygame: pip install pygame (or use render_mode='rgb_array').")) from err
        if self._window is None:
            try:
                pygame.display.init()
                self._window = pygame.display.set_mode((frame.shape[1], frame.shape[0]))
            except pygame.error as err:
                raise human_mode_error(_("pygame could not open one ({error})", error=err)) from err
            pygame.display.set_caption(self.window_title)
            self._clock = pygame.time.Clock()
        self._window.blit(pygame.surfarray.make_surface(frame.swapaxes(0, 1)), (0, 0))
        pygame.event.pump()
        pygame.display.flip()
        self._clock.tick(self.metadata["render_fps"])

    def close(self):
        if self._window is not None:
            import pygame

            pygame.display.quit()
            self._window = None
