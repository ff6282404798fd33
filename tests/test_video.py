"""helpers.video: episodes end on termination or truncation, never run forever, and make valid mp4s."""
from __future__ import annotations

import logging
import os
import re
import subprocess
import warnings

import gymnasium as gym
import numpy as np
import pytest

import helpers  # noqa: F401  (registers Taxi-v3)
from helpers.video import DEFAULT_MAX_STEPS, fit_frame, record_video, show_video

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")


def _read_back(path):
    """All frames and the fps of an mp4, decoded by the ffmpeg that imageio-ffmpeg bundles.

    (A plain subprocess: imageio's own readers leave pipes open, which pytest reports as warnings.)
    """
    import imageio_ffmpeg

    run = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path), "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True)
    log = run.stderr.decode(errors="replace")
    width, height = map(int, re.search(r"Video: .*?, (\d+)x(\d+)", log).groups())
    fps = float(re.search(r"([\d.]+) fps", log).group(1))
    frames = np.frombuffer(run.stdout, dtype=np.uint8).reshape(-1, height, width, 3)
    return frames, fps


@pytest.fixture
def no_warnings(caplog):
    """Fail on any warning, including imageio's macro_block_size resize notice (a logging warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message=".*Taxi-v3 is out of date")  # the kit's deliberate alias
        with caplog.at_level(logging.WARNING):
            yield
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def test_taxi_that_never_finishes_stops_at_truncation(tmp_path, no_warnings):
    env = gym.make("Taxi-v3", render_mode="rgb_array")  # 200-step limit
    out = tmp_path / "taxi.mp4"
    info = record_video(env, lambda state: 1, out, fps=30, seed=0)  # "north" forever: never delivers
    assert info["truncated"] and not info["terminated"] and info["steps"] == 200
    frames, fps = _read_back(out)
    assert frames.shape[0] == info["frames"] == 201
    assert frames.shape[1] % 16 == 0 and frames.shape[2] % 16 == 0 and frames.shape[3] == 3
    assert fps == 30


def test_hard_cap_without_a_time_limit(tmp_path, no_warnings):
    env = gym.make("Taxi-v3", render_mode="rgb_array").unwrapped  # no TimeLimit at all
    info = record_video(env, lambda state: 1, tmp_path / "capped.mp4", fps=30, max_steps=25)
    assert info["steps"] == 25 and not info["truncated"] and not info["terminated"]
    assert _read_back(tmp_path / "capped.mp4")[0].shape[0] == 26
    assert DEFAULT_MAX_STEPS <= 1000


def test_frozenlake_qtable_ends_on_termination(tmp_path, no_warnings):
    env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False, render_mode="rgb_array")
    qtable = np.zeros((16, 4))
    qtable[[0, 4, 8, 9, 13, 14], [1, 1, 2, 1, 2, 2]] = 1.0  # down, down, right, down, right, right
    info = record_video(env, qtable, tmp_path / "lake.mp4", fps=1)
    assert info["terminated"] and info["total_reward"] == 1.0 and info["steps"] == 6
    frames, fps = _read_back(tmp_path / "lake.mp4")
    assert frames.shape == (7, 256, 256, 3) and fps == 1


def test_policy_module_and_wrong_render_mode(tmp_path, no_warnings):
    import torch

    from helpers.reinforce import Policy

    torch.manual_seed(0)
    env = gym.make("CartPole-v1", render_mode="rgb_array")
    info = record_video(env, Policy(4, 2, 8), tmp_path / "cartpole.mp4", fps=30, max_steps=20, seed=1)
    assert 1 <= info["steps"] <= 20 and info["frame_shape"] == (400, 608, 3)
    with pytest.raises(ValueError, match="render_mode='rgb_array'"):
        record_video(gym.make("CartPole-v1"), lambda s: 0, tmp_path / "x.mp4")


@pytest.mark.parametrize("shape, expected", [((48, 48, 3), (192, 192, 3)), ((456, 536, 3), (464, 544, 3)),
                                             ((400, 600, 3), (400, 608, 3)), ((256, 256, 3), (256, 256, 3)),
                                             ((33, 70, 3), (176, 352, 3))])
def test_fit_frame_sizes(shape, expected):
    frame = np.full(shape, 200, dtype=np.uint8)
    fitted = fit_frame(frame)
    assert fitted.shape == expected and fitted.dtype == np.uint8
    assert fitted.max() == 200  # content kept (padding is black)


def test_show_video_embeds_mp4(tmp_path):
    path = tmp_path / "v.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    html = show_video(path, width=320).data
    assert html.startswith("<video") and 'width="320"' in html and "data:video/mp4;base64,AAAAGGZ0eXBtcDQy" in html


# ---- issue 23: bad arguments say what to do -------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, words", [
    ({"qtable": np.full((16, 4), np.nan)}, "NaN or infinite values"),
    ({"qtable": np.zeros(16)}, "pass a Q-table, a 2-D NumPy array"),
    ({"fps": 0}, "fps must be"),
    ({"fps": float("nan")}, "fps must be"),
    ({"fps": "30"}, "fps must be"),
    ({"max_steps": 0}, "max_steps must be"),
    ({"max_steps": 2.5}, "max_steps must be"),
    ({"max_steps": 10**9}, "max_steps must be"),
])
def test_record_video_refuses_what_cannot_work(tmp_path, kwargs, words):
    env = gym.make("FrozenLake-v1", render_mode="rgb_array", is_slippery=False)
    qtable = kwargs.pop("qtable", np.zeros((16, 4)))
    with pytest.raises(ValueError, match=words):
        record_video(env, qtable, tmp_path / "out.mp4", **kwargs)
    assert not (tmp_path / "out.mp4").exists()


def test_unknown_frozenlake_map_lists_the_known_ones():
    from helpers.envs import make_env

    with pytest.raises(ValueError, match=r"no map '5x5'; the known map names are '4x4', '8x8'.*desc="):
        make_env("FrozenLake-v1", map_name="5x5")
    assert make_env("FrozenLake-v1", map_name="8x8").observation_space.n == 64
