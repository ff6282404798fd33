"""Pixelcopter-PLE-v0: PLE's Pixelcopter as a Gymnasium environment, step for step the original.

The course's unit 4 trains on ``Pixelcopter-PLE-v0`` (PyGame-Learning-Environment's game behind the
gym-games wrapper). Neither installs on current Python, so the kit re-implements the game from
``shared/pixelcopter/SPEC.md``. It reproduces the reference traces recorded from the original
(pygame 2.6.1) bit for bit: same levels for the same seeds, same observations, rewards and deaths.

What the agent sees and gets
    * action 0 = thrust for one step, 1 = do nothing (``Discrete(2)``);
    * observation: 7 float64 values, in this order: player y, player velocity (px/step, negative = up),
      distance to the ceiling, distance to the floor, horizontal distance to the next block, the block's
      centre y ("top" in the original's naming) and centre y + 9 ("bottom");
    * reward: +1 for every terrain column that scrolls off the screen (about one every 6.25 steps),
      +1 when the next block passes the player, -5 on death (added to the step's other rewards);
    * the episode terminates only on death; there is no time limit inside (``gym.make(...,
      max_episode_steps=N)`` adds one).

Differences from the original, all deliberate
    * ``step`` after the episode ended raises ``gymnasium.error.ResetNeeded`` (the original silently
      returned reward 0 and the same observation forever, which hides bugs in training loops).
    * ``render()`` right after ``reset()`` shows the new level (the original showed the last frame of
      the previous episode until the first step).
    * The observation space is declared float64, the dtype the original actually returned.

Seeding follows the original's single ``numpy.random.RandomState``: ``reset(seed=s)`` builds the level
from the first draws of ``RandomState(s)``, and a later ``reset()`` without a seed continues that stream.

Stepping needs neither pygame nor a display; pygame is imported only by ``render_mode="human"``.
``PixelcopterVecEnv`` steps many copters at once with NumPy and gives the same trajectories.

Why one long module: the game is written twice, as one copter (readable, step by step the original) and as
many copters in NumPy arrays (fast), and the two must stay side by side to stay equal (the traces test both).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from helpers.i18n import _
from gymnasium import spaces
from gymnasium.error import ResetNeeded

from helpers import ple
from helpers.ple import pg_round as _pg_round

__all__ = ["PixelcopterEnv", "PixelcopterVecEnv"]

# ---------------------------------------------------------------------------------------------------
# Constants. Each is computed with the original's own float expression, so values are bit-identical.
# ---------------------------------------------------------------------------------------------------
WIDTH = 48  # the gym wrapper builds Pixelcopter() with its default 48x48 screen
HEIGHT = 48
FPS = 30
DT = 1000.0 / FPS  # ms per step: PLE's tick with force_fps=True (33.333333333333336)

SPEED = 0.0004 * WIDTH  # px/ms (0.019200000000000002)
SCROLL = SPEED * DT  # px every block and terrain segment moves left per step (0.6400000000000001)
CLIMB_DV = (SPEED * -0.875) * DT  # momentum added by a thrust step: climb_speed*dt (-0.56)
FALL_DV = (SPEED * 0.09) * DT  # momentum added by a no-thrust step: fall_speed*dt (+0.0576)
DAMPING = 0.99  # momentum *= 0.99 after adding the acceleration

PLAYER_X = int(WIDTH * 0.35)  # 16; the copter never moves horizontally
PLAYER_START_Y = HEIGHT / 2  # 24.0
PLAYER_HEIGHT = HEIGHT * 0.05  # 2.4000000000000004, used only by the ceiling rule
PLAYER_W = int(WIDTH * 0.05)  # 2: pygame truncates float surface sizes, so the rect is 2x2
PLAYER_H = int(HEIGHT * 0.05)  # 2

BLOCK_W = int(WIDTH * 0.1)  # 4
BLOCK_H = int(HEIGHT * 0.2)  # 9
BLOCK_X_RANGE = (WIDTH, int(WIDTH * 1.5))  # randint bounds for a new block's centre x: 48..71
BLOCK_Y_RANGE = (int(HEIGHT * 0.25), int(HEIGHT * 0.75))  # and centre y: 12..35

SEGMENT_W = int(WIDTH * 0.1)  # 4: terrain segment width and spacing
SEGMENT_H = int(HEIGHT * 1.5)  # 72: a segment is one tall surface, centred on its (x, y)
SEGMENT_TOP_ROWS = int(HEIGHT * 0.5)  # 24: the drawn ceiling part, rows [0, 24) of the segment
SEGMENT_BOTTOM_ROW = int(HEIGHT * 1.05)  # 50: the drawn floor part, rows [50, 72) of the segment
CORRIDOR_HALF = HEIGHT * 0.25  # 12.0: logical ceiling at y_seg - 12, floor at y_seg + 12
TERRAIN_MID = HEIGHT / 2.0  # 24.0
TERRAIN_AMPLITUDE = HEIGHT * 0.125  # 6.0
TERRAIN_BASE_FREQ = 4.5 / WIDTH  # plus uniform(-0.01, 0.01) per batch
# Segment centres: the first batch covers [0, 4W), every later batch [W, 5W) at absolute positions.
INITIAL_SEGMENT_XS = tuple(range(0 + SEGMENT_W // 2, 4 * WIDTH + SEGMENT_W // 2, SEGMENT_W))  # 2..190
LATER_SEGMENT_XS = tuple(range(WIDTH + SEGMENT_W // 2, 5 * WIDTH + SEGMENT_W // 2, SEGMENT_W))  # 50..238
SEGMENTS_PER_BATCH = len(INITIAL_SEGMENT_XS)  # 48
NEW_BATCH_AT_MOST = 10 + 3  # a new batch is added once this few segments are left

TOP_LIMIT = HEIGHT * 0.125  # 6.0: dead if y < 6
BOTTOM_LIMIT = HEIGHT * 0.875  # 42.0: dead if y > 42

REWARD_PASS = 1.0  # per block passed and per terrain column scrolled off
REWARD_LOSS = -5.0  # once, on the step the copter dies

BLACK = (0, 0, 0)
WHITE = (255, 255, 255)  # the player
GREEN = (120, 240, 80)  # blocks and terrain

# ---------------------------------------------------------------------------------------------------
# Rect geometry. pygame (>= 2.3) places a rect by rounding its float centre half away from zero and
# putting its top-left corner at centre - size//2; collisions are pygame's colliderect (strict overlap
# on both axes). The player's rect covers columns [15, 17) and rows [py - 1, py + 1).
# ---------------------------------------------------------------------------------------------------
_PLAYER_LEFT = PLAYER_X - PLAYER_W // 2  # 15
# A block or segment (both 4 wide) centred on column c covers [c - 2, c + 2): it overlaps the player's
# columns iff 14 <= c <= 18, i.e. iff its float centre x satisfies 13.5 <= x < 18.5.
_TOUCH_MIN_COL = _PLAYER_LEFT - (BLOCK_W - BLOCK_W // 2) + 1  # 14
_TOUCH_MAX_COL = _PLAYER_LEFT + PLAYER_W + BLOCK_W // 2 - 1  # 18
TOUCH_X_MIN = _TOUCH_MIN_COL - 0.5  # 13.5
TOUCH_X_MAX = _TOUCH_MAX_COL + 0.5  # 18.5 (exclusive)
# A block's rows are [by - 4, by + 5); they overlap the player's iff by - 4 <= py <= by + 5, i.e. iff
# by - 4.5 <= y < by + 5.5 for the player's float y (offsets from the block's centre below).
_BLOCK_TOP, _PLAYER_TOP = -(BLOCK_H // 2), -(PLAYER_H // 2)  # -4, -1
BLOCK_HIT_DY_MIN = _BLOCK_TOP - (_PLAYER_TOP + PLAYER_H) + 1 - 0.5  # -4.5
BLOCK_HIT_DY_MAX = _BLOCK_TOP + BLOCK_H - _PLAYER_TOP - 1 + 0.5  # +5.5 (exclusive)
# Vertically the player always overlaps the segments under it: they span y_seg +/- 36 with y_seg in
# 18..30, and a living copter never gets further than one step's motion outside [6, 42].


# ---------------------------------------------------------------------------------------------------
# Terrain timetable.
# Terrain scrolls at the same speed whatever the player does, so for a given episode step it is always
# the same segments that are under the copter, that scroll off, and the same steps that add a batch;
# only the heights are random. We work these out once by running the spec's terrain rules on exact
# positions and look them up during play; this makes a step O(1) instead of moving ~60 sprites.
#
# Positions are kept in units of 1/25 px: a segment with centre x0 is at 25*x0 - 16*age
# (0.64 px = 16/25). The original's float positions drift from these by < 1e-11 px over a segment's
# life, while every decision (rounded column 14..18, x <= -4) is >= 0.02 px away from its threshold,
# so the decisions are identical (tests/test_pixelcopter.py checks it against float arithmetic).
# Terrain x never enters the observation, so nothing else depends on it.
# ---------------------------------------------------------------------------------------------------
_UNITS = 25  # position units per px
_SCROLL_UNITS = 16  # SCROLL in units
assert abs(SCROLL * _UNITS - _SCROLL_UNITS) < 1e-9


def _unit_column(x_units: int) -> int:
    """Rounded rect column of a centre at x_units/25 px (never a tie: 2*x_units + 25 is odd)."""
    return (2 * x_units + _UNITS) // (2 * _UNITS)


def build_terrain_timetable():
    """Run the terrain rules (spec section 4, steps 3, 5, 7 and 9) on exact positions.

    Returns ``(touching, scrolled_off, new_batch, last, period)``, lists indexed by the episode step t
    (0 = right after reset): ``touching[t]`` is the tuple of ``(batch, index)`` of the segments under
    the copter after step t, in the original's insertion order, where batch 0 is the newest batch
    *before* step t's regeneration and 1 the one before it; ``scrolled_off[t]`` is how many segments
    left the screen (the reward); ``new_batch[t]`` says a batch is added at step t. From step
    ``last - period + 1`` on the terrain repeats with period ``period`` (the batches at the first and
    second regeneration are found in the same relative state), so step t > last looks up
    t - k*period.
    """
    segments = [(0, i, _UNITS * x) for i, x in enumerate(INITIAL_SEGMENT_XS)]  # (batch, index, x)
    newest = 0

    def under_player(newest_batch: int) -> tuple:
        return tuple((newest_batch - b, i) for b, i, x in segments
                     if _TOUCH_MIN_COL <= _unit_column(x) <= _TOUCH_MAX_COL)

    touching, scrolled_off, new_batch = [under_player(newest)], [0], [False]
    state_after_first_regen = None
    t = 0
    while True:
        t += 1
        segments = [(b, i, x - _SCROLL_UNITS) for b, i, x in segments]  # step 3
        touching.append(under_player(newest))  # step 5 (nothing below moves a touching segment)
        kept = [s for s in segments if s[2] > -SEGMENT_W * _UNITS]  # step 7
        scrolled_off.append(len(segments) - len(kept))
        segments = kept
        new_batch.append(len(segments) <= NEW_BATCH_AT_MOST)  # step 9
        if new_batch[-1]:
            newest += 1
            segments += [(newest, i, _UNITS * x) for i, x in enumerate(LATER_SEGMENT_XS)]
            assert under_player(newest - 1) == touching[-1], "a new batch never reaches the copter at once"
            state = [(newest - b, i, x) for b, i, x in segments]
            if state_after_first_regen is None:
                state_after_first_regen, first_regen = state, t
            elif state == state_after_first_regen:
                return touching, scrolled_off, new_batch, t, t - first_regen
            else:
                raise AssertionError("the terrain should repeat from one regeneration to the next")


_TOUCHING, _SCROLLED, _NEW_BATCH, _LAST_PHASE, _PERIOD = build_terrain_timetable()
# Every step has one or two segments under the copter, from the newest batch or the one before.
assert all(1 <= len(tt) <= 2 and all(b in (0, 1) for b, _ in tt) for tt in _TOUCHING)
_SCROLLED_REWARD = tuple(REWARD_PASS * n for n in _SCROLLED)


def _next_phase(phase: int) -> int:
    phase += 1
    return phase - _PERIOD if phase > _LAST_PHASE else phase


def _terrain_heights(freq: float, phases: Sequence[float], xs: Sequence[int]) -> list[int]:
    """Segment centre heights of one batch, as the original computes them (math.sin, truncation)."""
    return [int(TERRAIN_MID + TERRAIN_AMPLITUDE * math.sin(freq * x + u)) for x, u in zip(xs, phases)]


def _terrain_heights_batch(freqs: np.ndarray, phases: np.ndarray, xs: Sequence[int]) -> np.ndarray:
    """``_terrain_heights`` for many batches at once, (k, 48) floats.

    np.sin may differ from math.sin by an ulp or so, which could only change the truncated height
    when 24 + 6*sin lands within ~1e-14 of an integer; such entries (margin 1e-9) are redone with
    math.sin, so the result is always the original's.
    """
    xs_arr = np.asarray(xs, dtype=np.float64)
    theta = freqs[:, None] * xs_arr + phases  # same two roundings as freq * x + u
    v = TERRAIN_MID + TERRAIN_AMPLITUDE * np.sin(theta)
    heights = np.floor(v)  # values are positive, so truncation = floor
    frac = v - heights
    for r, c in zip(*np.nonzero((frac < 1e-9) | (frac > 1.0 - 1e-9))):
        heights[r, c] = int(TERRAIN_MID + TERRAIN_AMPLITUDE * math.sin(float(theta[r, c])))
    return heights


def _draw_terrain_batch(rng: np.random.RandomState) -> tuple[float, np.ndarray]:
    """The RNG draws of one terrain batch: frequency, then one phase per segment (49 draws)."""
    freq = TERRAIN_BASE_FREQ + rng.uniform(-0.01, 0.01)
    # One call for 48 values consumes and returns exactly what 48 scalar uniform(0, 0.5) calls would.
    return freq, rng.uniform(0.0, 0.5, SEGMENTS_PER_BATCH)


def _draw_block(rng: np.random.RandomState) -> tuple[int, int]:
    return rng.randint(*BLOCK_X_RANGE), rng.randint(*BLOCK_Y_RANGE)


class _Block:
    """A block: centre x and y (ints when spawned, kept as floats), and its vertical hit window."""

    __slots__ = ("x", "y", "hit_y_min", "hit_y_max")

    def __init__(self, x: float, y: int):
        self.x = float(x)
        self.y = float(y)
        self.hit_y_min = y + BLOCK_HIT_DY_MIN
        self.hit_y_max = y + BLOCK_HIT_DY_MAX


def _actions() -> str:
    return _("Pixelcopter's actions are the integers 0 (thrust) and 1 (do nothing)")


def _is_thrust(action: Any) -> bool:
    """True for action 0 (thrust), False for 1; anything else is a ValueError, as Discrete(2) sees it."""
    if type(action) in ple.PLAIN_INT_TYPES and (action == 0 or action == 1):
        return action == 0
    return ple.int_action(action, 2, _actions) == 0


class PixelcopterEnv(ple.PLEGame):
    """Pixelcopter-PLE-v0, the course's unit 4 environment (see the module docstring for the rules).

    Args:
        render_mode: None, ``"rgb_array"`` (``render()`` returns the 48x48x3 uint8 frame, scaled by
            ``render_scale``) or ``"human"`` (a pygame window; needs a display).
        render_scale: integer factor by which frames are enlarged by pixel repetition (no smoothing),
            for videos and the window. Default 1 for ``"rgb_array"`` (the original's 48x48) and 8 for
            ``"human"``.

    ``info`` is empty, as in the original, except on the step that ends an episode: there ``info["crash"]``
    names what the copter hit (``"block ahead"``, ``"block just passed"``, ``"ceiling"``, ``"floor"``, either
    of those two followed by ``" (a segment the observation does not show)"``, or ``"screen edge"``).

    Errors: ``step`` before ``reset`` or after the episode terminated raises
    ``gymnasium.error.ResetNeeded`` (the original returned reward 0 forever); an action other than
    0/1 raises ``ValueError``; a seed that is not an int in [0, 2**32 - 1] raises TypeError/ValueError.
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": FPS}
    window_title = "Pixelcopter-PLE-v0"

    def __init__(self, render_mode: str | None = None, render_scale: int | None = None):
        super().__init__(render_mode, render_scale)
        self.observation_space = spaces.Box(-np.inf, np.inf, (7,), np.float64)
        self.action_space = spaces.Discrete(2)
        self._started = False
        self._over = True

    # -- episode start (the original's init) -------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start a level: with a seed, from the first draws of RandomState(seed); without one, the
        RandomState of the earlier episodes carries on (seeded from entropy the very first time)."""
        rng = self._start_rng(seed)
        self._t = 0
        self._phase = 0
        self._y = PLAYER_START_Y
        self._m = 0.0
        self._blocks = [_Block(*_draw_block(rng))]
        freq, phases = _draw_terrain_batch(rng)
        # Heights of the newest batch and of the one before; spawn steps are only for drawing.
        self._heights = (_terrain_heights(freq, phases.tolist(), INITIAL_SEGMENT_XS), None)
        self._batches = ((0, INITIAL_SEGMENT_XS), None)
        self._started = True
        self._over = False
        ty = self._heights[0][_TOUCHING[0][0][1]]
        obs = self._observation(ty - CORRIDOR_HALF, ty + CORRIDOR_HALF)
        if self.render_mode == "human":
            self.render()
        return obs, {}

    # -- one game step, in the spec's order ---------------------------------------------------------
    def step(self, action):
        thrust = _is_thrust(action)
        if self._over:
            raise ResetNeeded(_("Call reset() before step().") if not self._started else
                              _("The episode has terminated (the copter crashed): call reset() to start a new one."))
        self._t += 1
        phase = self._phase = _next_phase(self._phase)
        hits = 0  # the original's lives start at 1; any hit ends the episode
        crash = None  # what hit the copter, for info["crash"] (the first cause found, in the game's order)

        # 1-2. Thrust lasts exactly this step; momentum is px per step.
        m = self._m = (self._m + (CLIMB_DV if thrust else FALL_DV)) * DAMPING
        y = self._y = self._y + m

        # 3-4. Blocks scroll, then hit the player if their rects overlap.
        blocks = self._blocks
        block_at_player = False
        for b in blocks:
            bx = b.x = b.x - SCROLL
            if TOUCH_X_MIN <= bx < TOUCH_X_MAX and b.hit_y_min <= y < b.hit_y_max:
                hits += 1
                # A block whose centre has reached the copter is no longer the one the observation shows.
                crash = crash or ("block ahead" if bx > PLAYER_X else "block just passed")
            if bx <= PLAYER_X:
                block_at_player = True

        # 5. Terrain under the player: the ceiling rule uses y - 2.4, the floor rule y.
        heights = self._heights
        first = None
        for batch, index in _TOUCHING[phase]:
            ty = heights[batch][index]
            ceil, floor = ty - CORRIDOR_HALF, ty + CORRIDOR_HALF
            if y - PLAYER_HEIGHT <= ceil or y >= floor:
                hits += 1
                crash = crash or ("ceiling" if y - PLAYER_HEIGHT <= ceil else "floor") + (
                    "" if first is None else " (a segment the observation does not show)")
            if first is None:
                first = (ceil, floor)  # the observation's segment: first in insertion order

        # 6. A lone block reaching the player pays +1 and brings the next one; blocks off-screen go.
        reward = 0.0
        if block_at_player:
            for b in tuple(blocks):  # the original iterates over a snapshot, checking the live count
                if b.x <= PLAYER_X and len(blocks) == 1:
                    reward += REWARD_PASS
                    blocks.append(_Block(*_draw_block(self._rng)))
                if b.x <= -BLOCK_W:
                    blocks.remove(b)

        # 7. +1 for every terrain column that scrolled off.
        reward += _SCROLLED_REWARD[phase]

        # 8. Hard screen bounds.
        if y < TOP_LIMIT or y > BOTTOM_LIMIT:
            hits += 1
            crash = crash or "screen edge"

        # 9. Few segments left: add a batch (it never reaches the player on this step).
        if _NEW_BATCH[phase]:
            freq, phases = _draw_terrain_batch(self._rng)
            self._heights = (_terrain_heights(freq, phases.tolist(), LATER_SEGMENT_XS), heights[0])
            self._batches = ((self._t, LATER_SEGMENT_XS), self._batches[0])

        # 10. Death costs 5, once.
        if hits:
            reward += REWARD_LOSS
            self._over = True

        obs = self._observation(*first)
        if self.render_mode == "human":
            self.render()
        return obs, reward, self._over, False, ({"crash": crash} if crash else {})

    def _observation(self, ceil: float, floor: float) -> np.ndarray:
        y = self._y
        best, gate = 999, None  # the next block: smallest positive distance, first one on ties
        for b in self._blocks:
            d = b.x - PLAYER_X
            if 0 < d < best:
                best, gate = d, b
        # A block always lies ahead: a new one appears (at x >= 48) as soon as the last reaches x <= 16.
        return np.array((y, self._m, y - ceil, floor - y, best, gate.y, gate.y + BLOCK_H), dtype=np.float64)

    # -- drawing --------------------------------------------------------------------------------------
    def _frame(self) -> np.ndarray:
        """The original's 48x48 screen (rows = y): player, then blocks, then terrain, on black."""
        frame = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)

        def fill(left: int, top: int, w: int, h: int, colour) -> None:
            x0, y0 = max(left, 0), max(top, 0)
            x1, y1 = min(left + w, WIDTH), min(top + h, HEIGHT)
            if x0 < x1 and y0 < y1:
                frame[y0:y1, x0:x1] = colour

        if not self._started:
            return frame
        py = _pg_round(self._y)
        fill(_PLAYER_LEFT, py - PLAYER_H // 2, PLAYER_W, PLAYER_H, WHITE)
        for b in self._blocks:
            fill(_pg_round(b.x) - BLOCK_W // 2, int(b.y) - BLOCK_H // 2, BLOCK_W, BLOCK_H, GREEN)
        # Older batch first (pygame draws in insertion order); a segment's middle is transparent.
        for batch in (1, 0):
            if self._batches[batch] is None:
                continue
            spawned, xs = self._batches[batch]
            age = self._t - spawned
            for x0, ty in zip(xs, self._heights[batch]):
                x_units = _UNITS * x0 - _SCROLL_UNITS * age
                if x_units <= -SEGMENT_W * _UNITS:
                    continue  # scrolled off
                left = _unit_column(x_units) - SEGMENT_W // 2
                top = ty - SEGMENT_H // 2
                fill(left, top, SEGMENT_W, SEGMENT_TOP_ROWS, GREEN)
                fill(left, top + SEGMENT_BOTTOM_ROW, SEGMENT_W, SEGMENT_H - SEGMENT_BOTTOM_ROW, GREEN)
        return frame


# ---------------------------------------------------------------------------------------------------
# Many copters at once.
# ---------------------------------------------------------------------------------------------------
# Lookup arrays over the timetable: the segments under the copter as columns of a (num_envs, 96)
# height table whose first 48 columns hold the newest batch and the last 48 the one before. With a
# single segment under the copter, the second column repeats the first (checking it twice is harmless).
_FIRST_COL = np.array([b * SEGMENTS_PER_BATCH + i for (b, i), *_ in _TOUCHING], dtype=np.intp)
_SECOND_COL = np.array([b * SEGMENTS_PER_BATCH + i for *_, (b, i) in _TOUCHING], dtype=np.intp)
_SCROLLED_REWARD_ARR = np.array(_SCROLLED_REWARD, dtype=np.float64)
_NEW_BATCH_ARR = np.array(_NEW_BATCH, dtype=bool)
_MOMENTUM_STEP = np.array([CLIMB_DV, FALL_DV])  # indexed by the action


class PixelcopterVecEnv(ple.PLEVecEnv):
    """``num_envs`` independent Pixelcopter games stepped together with NumPy arrays; copter i flies exactly
    like a ``PixelcopterEnv`` with the same seed and actions. Seeding, autoreset and ``info``:
    ``helpers.ple.PLEVecEnv``. ``step(actions)`` takes values 0 (thrust) or 1 (do nothing); ``terminated``
    marks a crash.
    """

    n_actions = 2
    copy = "copter"

    def __init__(self, num_envs: int, seed: int | Sequence[int | None] | None = None,
                 max_episode_steps: int | None = None):
        super().__init__(num_envs, seed, max_episode_steps)
        n = self.num_envs
        self._y = np.empty(n)
        self._m = np.empty(n)
        self._phase = np.zeros(n, dtype=np.intp)
        # Up to two blocks per copter, oldest first (it is always the leftmost); x = +inf marks an empty
        # slot, which then never touches, passes, leaves or counts as "ahead".
        self._bx = np.full((n, 2), np.inf)
        self._by = np.zeros((n, 2))
        self._hit_lo = np.zeros((n, 2))
        self._hit_hi = np.zeros((n, 2))
        # Logical ceiling (y_seg - 12) and floor (y_seg + 12) of every segment: newest batch, then previous.
        self._ceil = np.full((n, 2 * SEGMENTS_PER_BATCH), np.nan)
        self._floor = np.full((n, 2 * SEGMENTS_PER_BATCH), np.nan)
        self._row_base = np.arange(n, dtype=np.intp) * (2 * SEGMENTS_PER_BATCH)

    # -- seeding and episode starts -------------------------------------------------------------------
    def _start_episodes(self, copters: np.ndarray) -> None:
        """The original's init for these copters: a block, then the first terrain batch (51 draws)."""
        draws = [(*_draw_block(rng), *_draw_terrain_batch(rng)) for rng in map(self._rngs.__getitem__, copters)]
        bx, by, freqs, phases = zip(*draws)
        heights = _terrain_heights_batch(np.array(freqs), np.array(phases), INITIAL_SEGMENT_XS)
        self._y[copters] = PLAYER_START_Y
        self._m[copters] = 0.0
        self._phase[copters] = 0
        self._bx[copters, 0] = bx
        self._bx[copters, 1] = np.inf
        self._set_block(copters, 0, np.array(by, dtype=np.float64))
        self._ceil[copters, :SEGMENTS_PER_BATCH] = heights - CORRIDOR_HALF
        self._floor[copters, :SEGMENTS_PER_BATCH] = heights + CORRIDOR_HALF
        self._ceil[copters, SEGMENTS_PER_BATCH:] = np.nan  # no previous batch yet (never looked up)
        self._floor[copters, SEGMENTS_PER_BATCH:] = np.nan

    def _set_block(self, copters, slot: int, by) -> None:
        self._by[copters, slot] = by
        self._hit_lo[copters, slot] = by + BLOCK_HIT_DY_MIN
        self._hit_hi[copters, slot] = by + BLOCK_HIT_DY_MAX

    # -- one step of every copter, in the spec's order ----------------------------------------------
    def step(self, actions):
        if not self._started:
            raise ResetNeeded(_("Call reset() before step()."))
        a = np.asarray(actions)
        if a.shape != (self.num_envs,) or a.dtype.kind not in "iu" or (a & ~1).any():
            raise ValueError(_("actions must be an integer array of shape ({n},) with values 0 (thrust) or 1 (do "
                               "nothing); got {actions!r}.", n=self.num_envs, actions=actions))
        y, m, bx = self._y, self._m, self._bx
        self._t += 1
        phase = self._phase
        phase += 1
        wrap = phase > _LAST_PHASE
        if wrap.any():
            phase[wrap] -= _PERIOD

        # 1-2. Player.
        m += _MOMENTUM_STEP[a]
        m *= DAMPING
        y += m

        # 3-4. Blocks scroll and hit. Only the oldest block (slot 0) can reach the player: the newer one
        # is >= 32 px behind it, so the oldest has left the screen before the newer reaches x = 18.5.
        bx -= SCROLL
        bx0 = bx[:, 0]
        dead = (bx0 >= TOUCH_X_MIN) & (bx0 < TOUCH_X_MAX) & (self._hit_lo[:, 0] <= y) & (y < self._hit_hi[:, 0])

        # 5. Terrain under the player (one or two segments, from the timetable).
        first = self._row_base + _FIRST_COL[phase]
        second = self._row_base + _SECOND_COL[phase]
        ceil1, floor1 = self._ceil.take(first), self._floor.take(first)
        y_top = y - PLAYER_HEIGHT
        dead |= (y_top <= ceil1) | (y >= floor1)
        dead |= (y_top <= self._ceil.take(second)) | (y >= self._floor.take(second))

        # 6. Blocks passing the player and leaving the screen.
        rewards = self._update_blocks()

        # 7. Terrain columns scrolled off.
        rewards += _SCROLLED_REWARD_ARR[phase]

        # 8. Screen bounds.
        dead |= (y < TOP_LIMIT) | (y > BOTTOM_LIMIT)

        # 9. New terrain batches.
        regen = np.flatnonzero(_NEW_BATCH_ARR[phase])
        if len(regen):
            self._add_terrain(regen)

        # 10. Death.
        np.add(rewards, REWARD_LOSS, out=rewards, where=dead)

        return self._finish_step(self._observations(ceil1, floor1), rewards, dead)

    def _first_observations(self, copters: np.ndarray) -> np.ndarray:
        return self._observations(self._ceil[copters, _FIRST_COL[0]], self._floor[copters, _FIRST_COL[0]], copters)

    def _update_blocks(self) -> np.ndarray:
        """Step 6 for every copter; returns the block rewards.

        Slot 0 holds the oldest block. A lone block that reaches the player (x <= 16) pays +1 and a new
        block appears in slot 1 at x >= 48, so slot 1 is always >= 32 px behind slot 0; when slot 0
        leaves the screen (x <= -4) slot 1 is still far from the player and simply moves up. These
        are the only two events the original's loop can produce.
        """
        rewards = np.zeros(self.num_envs)
        bx = self._bx
        passing = (bx[:, 0] <= PLAYER_X) & (bx[:, 1] == np.inf)
        leaving = bx[:, 0] <= -BLOCK_W
        if passing.any():
            copters = np.flatnonzero(passing)
            new = np.array([_draw_block(self._rngs[c]) for c in copters.tolist()], dtype=np.float64)
            rewards[copters] = REWARD_PASS
            bx[copters, 1] = new[:, 0]
            self._set_block(copters, 1, new[:, 1])
        if leaving.any():
            copters = np.flatnonzero(leaving)
            for table in (bx, self._by, self._hit_lo, self._hit_hi):
                table[copters, 0] = table[copters, 1]
            bx[copters, 1] = np.inf
        return rewards

    def _add_terrain(self, copters: np.ndarray) -> None:
        """Step 9 for these copters: the newest batch becomes the previous one, then 49 draws."""
        freqs, phases = zip(*[_draw_terrain_batch(self._rngs[c]) for c in copters.tolist()])
        heights = _terrain_heights_batch(np.array(freqs), np.array(phases), LATER_SEGMENT_XS)
        for table, offset in ((self._ceil, -CORRIDOR_HALF), (self._floor, CORRIDOR_HALF)):
            table[copters, SEGMENTS_PER_BATCH:] = table[copters, :SEGMENTS_PER_BATCH]
            table[copters, :SEGMENTS_PER_BATCH] = heights + offset

    def _observations(self, ceil: np.ndarray, floor: np.ndarray, copters: np.ndarray | None = None) -> np.ndarray:
        sel = slice(None) if copters is None else copters
        y, bx, by = self._y[sel], self._bx[sel], self._by[sel]
        obs = np.empty((len(y), 7))
        obs[:, 0] = y
        obs[:, 1] = self._m[sel]
        np.subtract(y, ceil, out=obs[:, 2])
        np.subtract(floor, y, out=obs[:, 3])
        # The next block is the oldest one until it reaches the player, then the newer one (which is
        # always ahead by then); the single env's general search gives the same.
        d = bx - PLAYER_X
        gate = (d[:, 0] <= 0).astype(np.intp)
        rows = np.arange(len(y))
        obs[:, 4] = d[rows, gate]
        obs[:, 5] = by[rows, gate]
        np.add(obs[:, 5], BLOCK_H, out=obs[:, 6])
        return obs
