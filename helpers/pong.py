"""Pong-PLE-v0: PLE's Pong as a Gymnasium environment, step for step the original.

The course's unit 4 notes train a REINFORCE agent on ``Pong-PLE-v0`` (PyGame-Learning-Environment's game
behind the gym-games wrapper). Neither installs on current Python, so the kit re-implements the game from
``shared/pong/SPEC.md``. It reproduces the reference traces recorded from the original (pygame 2.6.1) bit
for bit: same serves for the same seeds, same observations, rewards, game ends and frames.

What the agent sees and gets
    * action 0 = paddle up for one step, 1 = down, 2 = do nothing (``Discrete(3)``); the agent's paddle is
      the left one, the CPU plays the right one;
    * observation: 7 float64 values, in this order: the agent's paddle centre y (px from the top, 3.5-44.5),
      its velocity (px per step, negative = up), the CPU paddle's centre y, the ball's x and y (px), and the
      ball's x and y velocity (px per *second*; x is always one of -37.8, -36, 34.2, 36);
    * reward: +1 when the agent scores a point, -1 when the CPU does, and +6 / -6 for the point that wins or
      loses the game (the original's +5 / -5 on top of the point);
    * the episode terminates when either side has 11 points; there is no time limit inside (``gym.make(...,
      max_episode_steps=N)`` adds one). A good rally lasts long: the CPU returns every ball the agent does not
      put spin on, so even a sound policy needs tens of thousands of steps to win 11 points.

Differences from the original, all deliberate
    * ``render()`` right after ``reset()`` shows the new game (the original showed the last frame of the
      previous episode until the first step).
    * The observation space is declared float64, the dtype the original actually returned.
    * ``step`` before the first ``reset`` raises ``gymnasium.error.ResetNeeded`` (through ``gym.make`` the
      original did too). After the game ended, ``step`` behaves as the original: reward 0.0, the same
      observation and ``terminated=True``, without stepping the game or drawing a random number.

Seeding follows the original's single ``numpy.random.RandomState``: ``reset(seed=s)`` serves the ball from the
first two draws of ``RandomState(s)`` (direction, then vertical speed), every paddle hit and every point draw
once more, and a later ``reset()`` without a seed continues that stream. A never-seeded original behaved as if
seeded with 24.

Stepping needs neither pygame nor a display; pygame is imported only by ``render_mode="human"``.
``PongVecEnv`` steps many games at once with NumPy and gives the same trajectories.

Why one long module: the game is written twice, as one game (readable, step by step the original) and as many
games in NumPy arrays (fast), and the two must stay side by side to stay equal (the traces test both).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from helpers.i18n import _
from gymnasium import spaces
from gymnasium.error import ResetNeeded

from helpers import ple
from helpers.ple import pg_round

__all__ = ["PongEnv", "PongVecEnv"]

# ---------------------------------------------------------------------------------------------------
# Constants (SPEC.md section 3), each computed with the original's own float expression.
# ---------------------------------------------------------------------------------------------------
WIDTH = 64
HEIGHT = 48
FPS = 30
DT = (1000.0 / FPS) / 1000.0  # s per step: PLE's fixed tick, in seconds (== 1/30)

BALL_SPEED = 0.75 * HEIGHT  # 36.0 px/s
PLAYER_ACCEL = 0.4 * HEIGHT  # 19.200000000000003: a key press adds this x DT to the paddle's velocity (px/step)
CPU_SPEED = 0.6 * HEIGHT  # 28.799999999999997 px/s
CPU_DRIFT = (1.0 * CPU_SPEED) / 4.0  # 7.199999999999999 px/s, towards the middle when not chasing
HIT_SPEEDUP = BALL_SPEED * 0.05  # 1.8: vx -> -(vx + 1.8) on a hit
PLAYER_SPIN = 2.0  # x the agent paddle's velocity (px/step), added to the ball's vy (px/s)
CPU_SPIN = 0.006  # x the CPU paddle's velocity, which is always 0
DAMPING = 0.9
WALL_BOUNCE = -0.99
PADDLE_HALF = 3.5  # paddles are 1 x 7 px
PADDLE_TOP_LIMIT = 3.5  # centre clamps
PADDLE_BOTTOM_LIMIT = 44.5
PLAYER_X = 4  # paddle centre columns
CPU_X = 60
PLAYER_FACE = 4.5  # the lines the ball's path must cross to hit
CPU_FACE = 59.5
PLAYER_ZONE = 5  # a hit is checked when ball x <= 5 (agent) / >= 59 (CPU)
CPU_ZONE = 59
MAX_SCORE = 11
WIN_BONUS = 5.0

# Per-step displacements. x*DT with x = +-c is exactly +-(c*DT), so these equal the original's c*dt.
PLAYER_DV = (-PLAYER_ACCEL * DT, PLAYER_ACCEL * DT, 0.0)  # by action: up, down, nothing
CPU_STEP = CPU_SPEED * DT  # 0.9599999999999999 px
CPU_DRIFT_STEP = CPU_DRIFT * DT  # 0.23999999999999996 px

BLACK = (0, 0, 0)
WHITE = (255, 255, 255)

def _actions() -> str:
    return _("Pong's actions are the integers 0 (up), 1 (down) and 2 (do nothing)")


def crosses(p0x: float, p0y: float, p1x: float, p1y: float, p2x: float, p2y: float, p3x: float,
            p3y: float) -> bool:
    """Does the ball centre's path p0 -> p1 cross the paddle line p2 -> p3? (the original's test, as written)"""
    s1x = p1x - p0x
    s1y = p1y - p0y
    s2x = p3x - p2x
    s2y = p3y - p2y
    den = (-s2x) * s1y + s1x * s2y
    if den == 0:
        return False  # never happens in this game; the original's NumPy scalars would compare nan as False
    s = ((-s1y) * (p0x - p2x) + s1x * (p0y - p2y)) / den
    t = (s2x * (p0y - p2y) - s2y * (p0x - p2x)) / den
    return 0 <= s <= 1 and 0 <= t <= 1


def serve_velocity(rng: np.random.RandomState) -> tuple[float, float]:
    """A new game's serve: direction (draw 1; right if > 0.5), then vertical speed (draw 2)."""
    direction = 1.0 if rng.random_sample() > 0.5 else -1.0
    return BALL_SPEED * direction, (rng.random_sample() * BALL_SPEED) - 18.0


def draw_frame(ya: float, yc: float, ball_x: float, ball_y: float) -> np.ndarray:
    """The original's 48x64 screen: black, the agent's paddle, the CPU's, then the 2x2 ball, all white."""
    frame = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    for x, y in ((PLAYER_X, ya), (CPU_X, yc)):
        r = pg_round(y)
        frame[max(r - 3, 0):max(r + 4, 0), x] = WHITE
    cx, cy = pg_round(ball_x), pg_round(ball_y)
    x0, y0 = max(cx - 1, 0), max(cy - 1, 0)
    if cx + 1 > 0 and cy + 1 > 0:
        frame[y0:cy + 1, x0:cx + 1] = WHITE  # slicing clips at the right and bottom edges
    return frame


class PongEnv(ple.PLEGame):
    """Pong-PLE-v0 (see the module docstring for the rules).

    Args:
        render_mode: None, ``"rgb_array"`` (``render()`` returns the 48x64x3 uint8 frame, scaled by
            ``render_scale``) or ``"human"`` (a pygame window; needs a display).
        render_scale: integer factor by which frames are enlarged by pixel repetition (no smoothing),
            for videos and the window. Default 1 for ``"rgb_array"`` (the original's 64x48) and 8 for
            ``"human"``.

    ``info`` is always empty, as in the original.

    Errors: ``step`` before the first ``reset`` raises ``gymnasium.error.ResetNeeded``; an action other than
    0/1/2 raises ``ValueError``; a seed that is not an int in [0, 2**32 - 1] raises TypeError/ValueError.
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": FPS}
    window_title = "Pong-PLE-v0"

    def __init__(self, render_mode: str | None = None, render_scale: int | None = None):
        super().__init__(render_mode, render_scale)
        self.observation_space = spaces.Box(-np.inf, np.inf, (7,), np.float64)
        self.action_space = spaces.Discrete(3)
        self._started = False
        self._over = True
        # ya, va (agent paddle), yc (CPU paddle), bx, by, vx, vy (ball), qx, qy (ball after its last update)
        self._state = [24.0, 0.0, 24.0, 32.0, 24.0, BALL_SPEED, -BALL_SPEED, 32.0, 24.0]
        self._points = [0, 0]  # agent, CPU

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start a game: with a seed, from the first draws of RandomState(seed); without one, the
        RandomState of the earlier games carries on (seeded from entropy the very first time)."""
        rng = self._start_rng(seed)
        vx, vy = serve_velocity(rng)
        self._state = [24.0, 0.0, 24.0, 32.0, 24.0, vx, vy, 32.0, 24.0]
        self._points = [0, 0]
        self._started = True
        self._over = False
        if self.render_mode == "human":
            self.render()
        return np.array((24.0, 0.0, 24.0, 32.0, 24.0, vx, vy)), {}

    def step(self, action):
        if action.__class__ is not int or not 0 <= action <= 2:
            action = ple.int_action(action, 3, _actions)
        if self._over:
            if not self._started:
                raise ResetNeeded(_("Call reset() before step()."))
            ya, va, yc, bx, by, vx, vy, _qx, _qy = self._state
            return np.array((ya, va, yc, bx, by, vx, vy)), 0.0, True, False, {}
        ya, va, yc, bx, by, vx, vy, qx, qy = self._state

        # 1. The ball moves.
        bx = bx + vx * DT
        by = by + vy * DT
        hit = False
        # 2-3. Paddle hits (the paddles' positions and velocities from before this step).
        if bx <= PLAYER_ZONE:
            if crosses(qx, qy, bx, by, PLAYER_FACE, ya - PADDLE_HALF, PLAYER_FACE, ya + PADDLE_HALF):
                if bx < 0:
                    bx = 0.0
                vx = -(vx + HIT_SPEEDUP)
                vy = vy + va * PLAYER_SPIN
                bx = bx + 1
                hit = True
        elif bx >= CPU_ZONE:
            if crosses(qx, qy, bx, by, CPU_FACE, yc - PADDLE_HALF, CPU_FACE, yc + PADDLE_HALF):
                if bx > WIDTH:
                    bx = 64.0
                vx = -(vx + HIT_SPEEDUP)
                vy = vy + 0.0 * CPU_SPIN  # the CPU paddle's velocity is always 0
                bx = bx - 1
                hit = True
        # 4. A hit jitters the ball's vertical speed.
        if hit:
            vy = vy + (self._rng.random_sample() * 0.001 - 0.0005)
        # 5. Walls.
        if by - 1 <= 0:
            vy = vy * WALL_BOUNCE
            by = by + 1.0
        if by + 1 >= HEIGHT:
            vy = vy * WALL_BOUNCE
            by = by - 1.0
        # 6. Where the ball was drawn (and where its next path starts).
        qx = bx
        qy = by
        # 7. Points: the ball is served towards the side that lost it; paddles freeze for this step.
        if bx <= 0:
            points = self._points
            points[1] += 1
            bx, vx, vy = 32.0, -BALL_SPEED, (self._rng.random_sample() * BALL_SPEED) - 18.0
            if points[1] == MAX_SCORE:
                reward, self._over = -1.0 - WIN_BONUS, True
            else:
                reward = -1.0
        elif bx >= WIDTH:
            points = self._points
            points[0] += 1
            bx, vx, vy = 32.0, BALL_SPEED, (self._rng.random_sample() * BALL_SPEED) - 18.0
            if points[0] == MAX_SCORE:
                reward, self._over = 1.0 + WIN_BONUS, True
            else:
                reward = 1.0
        else:
            reward = 0.0
            # 8. The agent's paddle, then the CPU's (which clamps before it moves).
            va = (va + PLAYER_DV[action]) * DAMPING
            ya = ya + va
            if ya - PADDLE_HALF <= 0:
                ya, va = PADDLE_TOP_LIMIT, 0.0
            if ya + PADDLE_HALF >= HEIGHT:
                ya, va = PADDLE_BOTTOM_LIMIT, 0.0
            if vx >= 0 and bx >= 32.0:
                c = -CPU_STEP if yc > by else CPU_STEP
            else:
                c = -CPU_DRIFT_STEP if yc > 24.0 else CPU_DRIFT_STEP
            if yc - PADDLE_HALF <= 0:
                yc = PADDLE_TOP_LIMIT
            if yc + PADDLE_HALF >= HEIGHT:
                yc = PADDLE_BOTTOM_LIMIT
            yc = yc + c
        self._state = [ya, va, yc, bx, by, vx, vy, qx, qy]
        if self.render_mode == "human":
            self.render()
        return np.array((ya, va, yc, bx, by, vx, vy)), reward, self._over, False, {}

    def _frame(self) -> np.ndarray:
        """The original's screen after the last step (the paddles and the ball where it was last drawn)."""
        if not self._started:
            return np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)  # a new original showed a black screen
        ya, _va, yc, _bx, _by, _vx, _vy, qx, qy = self._state
        return draw_frame(ya, yc, qx, qy)


# ---------------------------------------------------------------------------------------------------
# Many games at once.
# ---------------------------------------------------------------------------------------------------
_PLAYER_DV_ARR = np.array(PLAYER_DV)


def _hits(near: np.ndarray, qx, qy, bx, by, face: float, paddle_y) -> np.ndarray:
    """The games among ``near`` whose ball path crosses their paddle's face line: ``crosses`` on arrays, with
    the same float operations (a zero denominator gives False)."""
    p0x, p0y, p1x, p1y, py = qx[near], qy[near], bx[near], by[near], paddle_y[near]
    p2y = py - PADDLE_HALF
    s1x = p1x - p0x
    s1y = p1y - p0y
    s2x = face - face
    s2y = (py + PADDLE_HALF) - p2y
    den = (-s2x) * s1y + s1x * s2y
    dx, dy = p0x - face, p0y - p2y
    if den.all():
        s = ((-s1y) * dx + s1x * dy) / den
        t = (s2x * dy - s2y * dx) / den
        return near[(0 <= s) & (s <= 1) & (0 <= t) & (t <= 1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        s = ((-s1y) * dx + s1x * dy) / den
        t = (s2x * dy - s2y * dx) / den
    return near[(den != 0) & (0 <= s) & (s <= 1) & (0 <= t) & (t <= 1)]


class PongVecEnv(ple.PLEVecEnv):
    """``num_envs`` independent Pong games stepped together with NumPy arrays; game i plays exactly like a
    ``PongEnv`` with the same seed and actions. Seeding, autoreset and ``info``: ``helpers.ple.PLEVecEnv``.
    ``step(actions)`` takes values 0 (up), 1 (down) or 2 (do nothing).
    """

    n_actions = 3
    copy = "game"

    def __init__(self, num_envs: int, seed: int | Sequence[int | None] | None = None,
                 max_episode_steps: int | None = None):
        super().__init__(num_envs, seed, max_episode_steps)
        n = self.num_envs
        # Rows: ya, va, yc, bx, by, vx, vy (the observation), then qx, qy; one column per game.
        self._s = np.zeros((9, n))
        self._points = np.zeros((n, 2), dtype=np.int64)  # agent, CPU

    def _start_episodes(self, games: np.ndarray) -> None:
        """A new game for each of these: paddles and ball in the middle, then the serve (2 draws each)."""
        serves = np.array([serve_velocity(self._rngs[g]) for g in games.tolist()]).reshape(-1, 2)
        s = self._s
        s[:5, games] = np.array((24.0, 0.0, 24.0, 32.0, 24.0))[:, None]
        s[5:7, games] = serves.T
        s[7:, games] = np.array((32.0, 24.0))[:, None]
        self._points[games] = 0

    def _first_observations(self, games: np.ndarray) -> np.ndarray:
        return self._s[:7, games].T.copy()

    def _draws(self, games: np.ndarray) -> np.ndarray:
        return np.array([self._rngs[g].random_sample() for g in games.tolist()])

    def step(self, actions):
        if not self._started:
            raise ResetNeeded(_("Call reset() before step()."))
        a = np.asarray(actions)
        if a.shape != (self.num_envs,) or a.dtype.kind not in "iu" or ((a < 0) | (a > 2)).any():
            raise ValueError(_("actions must be an integer array of shape ({n},) with values 0 (up), 1 (down) or 2 "
                               "(do nothing); got {actions!r}.", n=self.num_envs, actions=actions))
        s = self._s
        ya, va, yc, bx, by, vx, vy, qx, qy = s  # views: updated in place below

        # 1. The ball moves.
        bx += vx * DT
        by += vy * DT
        # 2-3. Paddle hits, checked only near the paddles (the paddles from before this step).
        hit = []
        near = np.flatnonzero(bx <= PLAYER_ZONE)
        if len(near) and len(h := _hits(near, qx, qy, bx, by, PLAYER_FACE, ya)):
            bx[h] = np.maximum(bx[h], 0.0) + 1
            vx[h] = -(vx[h] + HIT_SPEEDUP)
            vy[h] = vy[h] + va[h] * PLAYER_SPIN
            hit.append(h)
        near = np.flatnonzero(bx >= CPU_ZONE)
        if len(near) and len(h := _hits(near, qx, qy, bx, by, CPU_FACE, yc)):
            bx[h] = np.minimum(bx[h], float(WIDTH)) - 1
            vx[h] = -(vx[h] + HIT_SPEEDUP)
            vy[h] = vy[h] + 0.0 * CPU_SPIN
            hit.append(h)
        # 4. Jitter (one draw per hit game).
        if hit:
            h = np.concatenate(hit) if len(hit) > 1 else hit[0]
            vy[h] = vy[h] + (self._draws(h) * 0.001 - 0.0005)
        # 5. Walls.
        wall = by - 1 <= 0
        if wall.any():
            vy[wall] *= WALL_BOUNCE
            by[wall] += 1.0
        wall = by + 1 >= HEIGHT
        if wall.any():
            vy[wall] *= WALL_BOUNCE
            by[wall] -= 1.0
        # 6.
        s[7:] = s[3:5]
        # 7. Points (rare): the serve, and the paddles of these games do not move below.
        rewards = np.zeros(self.num_envs)
        terminated = np.zeros(self.num_envs, dtype=bool)
        scored = np.flatnonzero((bx <= 0) | (bx >= WIDTH))
        if len(scored):
            agent = bx[scored] >= WIDTH
            self._points[scored, 0] += agent
            self._points[scored, 1] += ~agent
            rewards[scored] = np.where(agent, 1.0, -1.0)
            won = self._points[scored, 0] == MAX_SCORE
            lost = self._points[scored, 1] == MAX_SCORE
            rewards[scored] += np.where(won, WIN_BONUS, 0.0) - np.where(lost, WIN_BONUS, 0.0)
            terminated[scored] = won | lost
            keep = s[:, scored].copy()  # the state before the paddle updates
            bx[scored] = 32.0
            vx[scored] = np.where(agent, BALL_SPEED, -BALL_SPEED)
            vy[scored] = (self._draws(scored) * BALL_SPEED) - 18.0
            keep[3:7] = s[3:7, scored]
        # 8. Paddles: the agent's, then the CPU's (which reads the ball after steps 1-6, and clamps first).
        np.add(va, _PLAYER_DV_ARR[a], out=va)
        va *= DAMPING
        ya += va
        clamp = ya - PADDLE_HALF <= 0
        if clamp.any():
            ya[clamp], va[clamp] = PADDLE_TOP_LIMIT, 0.0
        clamp = ya + PADDLE_HALF >= HEIGHT
        if clamp.any():
            ya[clamp], va[clamp] = PADDLE_BOTTOM_LIMIT, 0.0
        c = np.where((vx >= 0) & (bx >= 32.0), np.where(yc > by, -CPU_STEP, CPU_STEP),
                     np.where(yc > 24.0, -CPU_DRIFT_STEP, CPU_DRIFT_STEP))
        clamp = yc - PADDLE_HALF <= 0
        if clamp.any():
            yc[clamp] = PADDLE_TOP_LIMIT
        clamp = yc + PADDLE_HALF >= HEIGHT
        if clamp.any():
            yc[clamp] = PADDLE_BOTTOM_LIMIT
        yc += c
        if len(scored):
            s[:, scored] = keep  # games with a point: paddles as they were, the ball served

        obs = s[:7].T.copy()
        self._t += 1
        return self._finish_step(obs, rewards, terminated)
