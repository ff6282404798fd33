"""Record one episode to mp4 and show it inline in a notebook.

No virtual display is needed: the env renders frames itself (``render_mode="rgb_array"``) and imageio
writes them with the ffmpeg that imageio-ffmpeg bundles. Frames are enlarged by a whole factor (small
envs such as Pixelcopter) and padded to multiples of 16, the block size H.264 encoders work in, so
imageio never has to resize them (and never warns).
"""
from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Callable

import numpy as np

from helpers.arguments import count, env as check_env, path as check_path, qtable, seed as check_seed
from helpers.errors import KitArgumentError
from helpers.i18n import _

__all__ = ["record_video", "show_video", "fit_frame", "DEFAULT_MAX_STEPS"]

# Hard cap on recorded steps, whatever the env's own limit: a policy that never finishes must not
# record forever (the course's Taxi recording ran out of memory this way).
DEFAULT_MAX_STEPS = 1000
_MIN_SIDE = 160  # enlarge tiny frames until the short side is at least this many pixels
_BLOCK = 16


def fit_frame(frame: np.ndarray, min_side: int = _MIN_SIDE, block: int = _BLOCK) -> np.ndarray:
    """Enlarge ``frame`` (H, W, 3) by a whole factor and pad it with black to multiples of ``block``."""
    frame = np.asarray(frame)
    if frame.ndim == 2:
        frame = np.stack([frame] * 3, axis=-1)
    frame = frame[..., :3]
    if frame.dtype != np.uint8:
        frame = np.clip(frame, 0, 255).astype(np.uint8)
    height, width = frame.shape[:2]
    scale = max(1, math.ceil(min_side / max(1, min(height, width))))
    if scale > 1:
        frame = frame.repeat(scale, axis=0).repeat(scale, axis=1)
        height, width = frame.shape[:2]
    pad_h, pad_w = -height % block, -width % block
    if pad_h or pad_w:
        frame = np.pad(frame, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    return np.ascontiguousarray(frame)


# How a replay plays each kind of agent: ``(is_one, player)`` pairs, each unit registers its own
# (helpers/unit2.py: a Q-table; helpers/unit4.py: a policy module). ``player(agent, rng)`` gives ``state -> action``.
PLAYERS: list[tuple[Callable[[object], bool], Callable]] = []


def _action_fn(policy, rng: np.random.Generator):
    """Turn a registered kind of agent, or a function, into ``state -> action``."""
    for is_one, player in PLAYERS:
        if is_one(policy):
            return player(policy, rng)
    if callable(policy):
        return policy
    raise KitArgumentError(_("record_video needs a Q-table (numpy array), a policy with .act(state), or a function "
                             "state -> action; got {type}.", type=type(policy).__name__))


def record_video(env, policy, out_path, fps: int = 1, max_steps: int | None = None, seed: int | None = None) -> dict:
    """Play one episode with ``policy`` in ``env`` and write it to ``out_path`` (mp4).

    ``env`` must be made with ``render_mode="rgb_array"``. ``policy`` is a Q-table (played greedily), a
    policy module (its most likely action, as ``reinforce.evaluate_agent`` plays it), or a function
    ``state -> action``.
    The episode ends on termination or truncation, and after at most ``max_steps`` steps (default: the
    env's own limit, capped at ``DEFAULT_MAX_STEPS``). Returns ``{"path", "frames", "steps",
    "terminated", "truncated", "total_reward", "frame_shape"}``.
    """
    import imageio.v2 as imageio

    check_env("env", env)
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps <= 240:
        raise KitArgumentError(_("fps must be a number of frames per second from 1 to 240 (got {fps!r}); the course "
                                 "uses 1 for FrozenLake and Taxi, 30 for CartPole.", fps=fps))
    if max_steps is not None and (isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer))
                                  or not 1 <= max_steps <= 100_000):
        raise KitArgumentError(_("max_steps must be a whole number of steps from 1 to 100,000, or None for the env's "
                                 "own limit (got {max_steps!r}).", max_steps=max_steps))
    if isinstance(policy, np.ndarray):
        qtable("policy", policy, env)
    if getattr(env, "render_mode", None) != "rgb_array":
        raise KitArgumentError(_("record_video needs an env made with render_mode='rgb_array' (this one has "
                                 "render_mode={mode!r}): e.g. gym.make(env_id, render_mode='rgb_array', ...).",
                                 mode=getattr(env, "render_mode", None)))
    seed = check_seed("seed", seed)
    choose = _action_fn(policy, np.random.default_rng(0 if seed is None else seed))
    out_path = Path(check_path("out_path", out_path, "replay.mp4"))
    if max_steps is None:
        limit = getattr(getattr(env, "spec", None), "max_episode_steps", None)
        max_steps = min(limit or DEFAULT_MAX_STEPS, DEFAULT_MAX_STEPS)
    out_path.parent.mkdir(parents=True, exist_ok=True)

    state, info = env.reset(seed=seed)
    terminated = truncated = False
    steps, total, shape = 0, 0.0, None
    # libx264 + yuv420p plays in every browser; sizes are already multiples of 16, so no resizing.
    writer = imageio.get_writer(out_path, format="FFMPEG", mode="I", fps=fps, codec="libx264",
                                pixelformat="yuv420p", macro_block_size=_BLOCK, ffmpeg_log_level="error")
    try:
        frame = fit_frame(env.render())
        shape = frame.shape
        writer.append_data(frame)
        while steps < max_steps:
            state, reward, terminated, truncated, info = env.step(choose(state))
            steps += 1
            total += float(reward)
            writer.append_data(fit_frame(env.render()))
            if terminated or truncated:
                break
    finally:
        writer.close()
    return {"path": str(out_path), "frames": steps + 1, "steps": steps, "terminated": bool(terminated),
            "truncated": bool(truncated), "total_reward": total, "frame_shape": shape}


def show_video(path, width: int | None = None):
    """Display an mp4 inline in Jupyter/Colab/Kaggle (embedded as base64, so it survives saving)."""
    from IPython.display import HTML

    check_path("path", path, "replay.mp4", exists=True)
    count("width", width, none=True)
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    size = f' width="{int(width)}"' if width else ""
    return HTML(f'<video controls autoplay loop{size}><source src="data:video/mp4;base64,{data}" '
                'type="video/mp4"></video>')
