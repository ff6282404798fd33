"""Pong-PLE-v0 (helpers/pong.py) against the original game's reference traces and the Gymnasium API rules.
The traces live in tests/data/."""
from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import check_env

import helpers  # noqa: F401  (registers the environment ids)
from conftest import traces
from helpers import envs
from helpers import pong
from helpers.pong import PongEnv, PongVecEnv

ROOT = Path(__file__).resolve().parents[1]
TRACES = traces("pong")
ENV_ID = "Pong-PLE-v0"
DIRECT = [t for t in TRACES if t["protocol"] == "direct"]
CONTINUE = [t for t in TRACES if t["protocol"] == "continue"]  # consecutive episodes, in file order
WITH_FRAMES = [t for t in TRACES if "frames_white_pixels" in t]


def trace_named(name: str) -> dict:
    return next(t for t in TRACES if t["name"] == name)


def episodes_before(trace: dict) -> list[dict]:
    """The `continue` traces that one env plays before ``trace`` (same seed, lower episode_index)."""
    return [t for t in CONTINUE if t["seed"] == trace["seed"] and t["episode_index"] < trace["episode_index"]]


def replay(env, trace: dict, *, frames: bool = False) -> None:
    """Step ``trace``'s actions on ``env`` (already reset) and compare every step with ==."""
    for i, action in enumerate(trace["actions"]):
        obs, reward, terminated, truncated, info = env.step(action)
        assert obs.dtype == np.float64 and obs.shape == (7,)
        assert (obs.tolist(), reward, terminated, truncated) == (trace["obs"][i], trace["rewards"][i],
                                                                  trace["terminals"][i], False), f"step {i}"
        if frames:
            white = np.zeros((48, 64), dtype=bool)
            for x, y in trace["frames_white_pixels"][i]:
                white[y, x] = True
            want = np.repeat(np.where(white, np.uint8(255), np.uint8(0))[:, :, None], 3, axis=2)
            assert np.array_equal(env.render(), want), f"frame after step {i}"


class RecordingRandomState(np.random.RandomState):
    """A RandomState that logs every draw the game makes, with the step it was made in."""

    log: list = []
    step = -1

    def random_sample(self, *args, **kwargs):
        value = super().random_sample(*args, **kwargs)
        RecordingRandomState.log.append([RecordingRandomState.step, "random_sample", list(args), value])
        return value

    def __getattribute__(self, name):
        if name in ("randint", "uniform", "rand", "random", "choice", "normal", "integers", "shuffle"):
            raise AssertionError(f"the game should only call random_sample(), not {name}()")
        return super().__getattribute__(name)


# --- the original's behaviour ---------------------------------------------------------------------------------

@pytest.mark.parametrize("trace", TRACES, ids=[t["name"] for t in TRACES])
def test_replays_reference_trace_exactly(trace):
    """Both protocols of SPEC.md section 0 through gym.make: `direct` reset(seed), or for `continue` the earlier
    episodes of the same env first, then reset() without a seed."""
    env = gym.make(ENV_ID)
    if trace["protocol"] == "direct":
        obs, info = env.reset(seed=trace["seed"])
    else:
        assert trace["protocol"] == "continue"
        earlier = episodes_before(trace)
        assert [t["episode_index"] for t in earlier] == list(range(trace["episode_index"]))
        obs, info = env.reset(seed=trace["seed"]) if not earlier else env.reset(seed=earlier[0]["seed"])
        for k, previous in enumerate(earlier):
            if k:
                obs, info = env.reset()
            assert obs.tolist() == previous["initial_obs"]
            replay(env, previous)
        if earlier:
            obs, info = env.reset()
    assert obs.dtype == np.float64 and obs.shape == (7,) and info == {}
    assert obs.tolist() == trace["initial_obs"]
    replay(env, trace)
    assert sum(trace["rewards"]) == trace["return"]


def test_trace_sets_are_all_covered():
    """The file holds what the spec says: both protocols, frames, and games won and lost 11 points."""
    assert len(TRACES) == 27 and len(CONTINUE) == 3 and len(WITH_FRAMES) == 3
    assert {t["final_score"]["agent"] for t in TRACES if not t["capped"]} == {0, 11}


@pytest.mark.parametrize("trace", WITH_FRAMES, ids=[t["name"] for t in WITH_FRAMES])
def test_frames_match_the_reference_pixels(trace):
    env = gym.make(ENV_ID, render_mode="rgb_array")
    env.reset(seed=trace["seed"])
    replay(env, trace, frames=True)


def test_random_draws_happen_exactly_where_the_spec_says(monkeypatch):
    """Every random_sample() of every trace, with the step it was made in (-1: during reset), and nothing else."""
    monkeypatch.setattr(np.random, "RandomState", RecordingRandomState)
    env = PongEnv()
    for trace in TRACES:
        RecordingRandomState.log, RecordingRandomState.step = [], -1
        if trace["protocol"] == "direct" or trace["episode_index"] == 0:
            env.reset(seed=trace["seed"])
        else:
            env.reset()
        for i, action in enumerate(trace["actions"]):
            RecordingRandomState.step = i
            env.step(action)
        assert RecordingRandomState.log == [d[:4] for d in trace["rng_draws"]], trace["name"]


def test_step_after_the_game_ended_changes_nothing():
    trace = trace_named("always_up_s0")  # lost 0:11
    env = PongEnv()
    env.reset(seed=trace["seed"])
    for action in trace["actions"]:
        last = env.step(action)
    assert last[1:3] == (-6.0, True)
    state = env._rng.get_state()[1].copy()
    for action in (0, 1, 2):
        obs, reward, terminated, truncated, info = env.step(action)
        assert (obs.tolist(), reward, terminated, truncated, info) == (trace["obs"][-1], 0.0, True, False, {})
    assert np.array_equal(env._rng.get_state()[1], state)  # the game is not stepped: no draw
    assert env.reset()[0].tolist() != trace["obs"][-1]  # and reset() starts the next game


def test_first_reset_without_seed_uses_entropy():
    first = [PongEnv().reset()[0][5:].tolist() for _ in range(3)]  # the serve: direction and vertical speed
    assert len({tuple(v) for v in first}) == 3


def test_seeded_reset_uses_the_first_two_draws():
    for seed in (0, 24, 2**32 - 1):
        rng = np.random.RandomState(seed)
        direction = 1.0 if rng.random_sample() > 0.5 else -1.0
        vy = (rng.random_sample() * 36.0) - 18.0
        assert PongEnv().reset(seed=seed)[0].tolist() == [24.0, 0.0, 24.0, 32.0, 24.0, 36.0 * direction, vy]


def test_crossing_rule_edge_cases():
    # A path straight through the face line, one ending exactly on it, one above the paddle, one parallel.
    assert pong.crosses(6.0, 24.0, 4.0, 24.0, 4.5, 20.5, 4.5, 27.5)
    assert pong.crosses(6.0, 24.0, 4.5, 24.0, 4.5, 20.5, 4.5, 27.5)
    assert not pong.crosses(6.0, 10.0, 4.0, 10.0, 4.5, 20.5, 4.5, 27.5)
    assert not pong.crosses(6.0, 24.0, 6.0, 25.0, 4.5, 20.5, 4.5, 27.5)  # zero denominator: no hit


# --- the vector env ---------------------------------------------------------------------------------------------

def test_vector_env_replays_all_traces_at_once():
    """Every `direct` trace in its own game, plus one game that plays the `continue` episodes back to back:
    the vector env's same-step autoreset continues the game's stream as reset() without a seed does."""
    chain = sorted(CONTINUE, key=lambda t: t["episode_index"])
    games = [[t] for t in DIRECT] + [chain]
    # Per game, step by step: (action, expected record, the trace it belongs to, the next trace starting after it).
    plans = []
    for episodes in games:
        plan = []
        for k, t in enumerate(episodes):
            following = episodes[k + 1] if k + 1 < len(episodes) else None
            for i, action in enumerate(t["actions"]):
                last = i == len(t["actions"]) - 1
                plan.append((action, (t["obs"][i], t["rewards"][i], t["terminals"][i]), t, following if last else None))
        plans.append(plan)
    venv = gym.make_vec(ENV_ID, num_envs=len(games), vectorization_mode="vector_entry_point")
    assert isinstance(venv, PongVecEnv)
    obs, _ = venv.reset(seed=[episodes[0]["seed"] for episodes in games])
    assert obs.dtype == np.float64 and obs.tolist() == [episodes[0]["initial_obs"] for episodes in games]
    compared = 0
    for i in range(max(map(len, plans))):
        actions = np.array([plan[i][0] if i < len(plan) else 2 for plan in plans])
        obs, rewards, terminated, truncated, info = venv.step(actions)
        assert not truncated.any()
        for k, plan in enumerate(plans):
            if i >= len(plan):
                continue
            _, (want_obs, want_reward, want_term), trace, following = plan[i]
            assert terminated[k] == want_term and info["_final_obs"][k] == want_term
            step_obs = info["final_obs"][k] if terminated[k] else obs[k]
            assert (step_obs.tolist(), rewards[k]) == (want_obs, want_reward), f"{trace['name']} step {i}"
            if terminated[k]:
                assert info["episode_length"][k] == len(trace["actions"])
                assert info["episode_return"][k] == trace["return"]
                if following is not None:
                    assert obs[k].tolist() == following["initial_obs"], following["name"]
            compared += 1
    assert compared == sum(len(t["actions"]) for t in TRACES)


def tracking(obs: np.ndarray) -> np.ndarray:
    """Up if the paddle is below the ball, down if above, else nothing (SPEC.md section 9's rule)."""
    return np.where(obs[:, 0] > obs[:, 4] + 1, 0, np.where(obs[:, 0] < obs[:, 4] - 1, 1, 2))


def test_vector_env_matches_single_envs_through_autoresets_and_truncation():
    n, steps, limit = 6, 1500, 400
    seeds = [11, 12, 13, 14, 15, 16]
    venv = PongVecEnv(n, max_episode_steps=limit)
    singles = [gym.make(ENV_ID, max_episode_steps=limit) for _ in range(n)]
    vobs, _ = venv.reset(seed=seeds)
    sobs = [env.reset(seed=s)[0] for env, s in zip(singles, seeds)]
    assert np.array_equal(vobs, np.array(sobs))
    rng = np.random.default_rng(1)
    ends = {"terminated": 0, "truncated": 0}
    hits = 0
    for t in range(steps):
        # Half the games track the ball (long rallies, paddle hits with spin), half play at random (lost games).
        actions = np.where((np.arange(n) % 2 == 0) & (rng.random(n) < 0.9), tracking(vobs), rng.integers(0, 3, n))
        previous_vx = vobs[:, 5].copy()
        vobs, vrew, vterm, vtrunc, info = venv.step(actions)
        hits += int(((np.sign(vobs[:, 5]) != np.sign(previous_vx)) & (vrew == 0) & ~info["_final_obs"]).sum())
        for k, env in enumerate(singles):
            obs, reward, terminated, truncated, _ = env.step(int(actions[k]))
            assert (reward, terminated, truncated) == (vrew[k], vterm[k], vtrunc[k]), (t, k)
            if terminated or truncated:
                ends["terminated" if terminated else "truncated"] += 1
                assert np.array_equal(info["final_obs"][k], obs)
                obs, _ = env.reset()
            assert np.array_equal(vobs[k], obs), (t, k)
    assert ends["terminated"] >= 3 and ends["truncated"] >= 3 and hits > 50
    assert vtrunc.dtype == bool and vterm.dtype == bool


def test_vector_env_seeding_and_errors():
    unseeded, _ = PongVecEnv(4).reset()  # each game's stream from its own entropy
    assert len({tuple(row) for row in unseeded.tolist()}) > 1
    venv = PongVecEnv(3, seed=5)
    obs, _ = venv.reset()
    assert obs.tolist() == [PongEnv().reset(seed=s)[0].tolist() for s in (5, 6, 7)]
    assert venv.observation_space.shape == (3, 7) and venv.action_space.shape == (3,)
    assert venv.single_action_space == gym.spaces.Discrete(3)
    assert venv.metadata["autoreset_mode"] == gym.vector.AutoresetMode.SAME_STEP
    for bad in ([0, 1], [0, 1, 3], [0, -1, 1], [0.0, 1.0, 1.0], [[0, 1, 2]]):
        with pytest.raises(ValueError, match="actions"):
            venv.step(np.array(bad))
    with pytest.raises(ResetNeeded):
        PongVecEnv(2).step(np.array([1, 1]))
    with pytest.raises((TypeError, ValueError), match="seed"):
        venv.reset(seed=-1)
    with pytest.raises(ValueError, match="seed"):
        venv.reset(seed=[1, 2])
    with pytest.raises(ValueError, match="num_envs"):
        PongVecEnv(0)


def test_make_vec_passes_the_time_limit_to_the_vector_env():
    envs = gym.make_vec(ENV_ID, num_envs=2, vectorization_mode="vector_entry_point", max_episode_steps=3)
    obs, _ = envs.reset(seed=[0, 1])
    assert obs.shape == (2, 7)
    assert [envs.step(np.array([2, 2]))[3].tolist() for _ in range(4)] == [[False, False]] * 2 + [[True, True]] + [
        [False, False]]


# --- Gymnasium API and errors --------------------------------------------------------------------------------------

def test_registration_spaces_and_metadata():
    assert envs.PONG_ID == ENV_ID
    env = gym.make(ENV_ID)
    assert isinstance(env.unwrapped, PongEnv)
    assert env.observation_space == gym.spaces.Box(-np.inf, np.inf, (7,), np.float64)
    assert env.action_space == gym.spaces.Discrete(3)
    assert env.metadata["render_modes"] == ["human", "rgb_array"] and env.metadata["render_fps"] == 30
    assert env.spec.max_episode_steps is None  # like the original registration: no time limit
    assert gym.spec(ENV_ID).vector_entry_point == "helpers.pong:PongVecEnv"


def test_check_env_passes(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # lets check_env also try render_mode="human"
    pytest.importorskip("pygame")
    env = gym.make(ENV_ID, render_mode="rgb_array").unwrapped
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, skip_render_check=False)
    # Box(-inf, inf) is the original's space, and check_env always remarks on infinite bounds.
    assert [str(w.message) for w in caught if "infinity" not in str(w.message)] == []


def test_step_before_reset_raises():
    with pytest.raises(ResetNeeded, match="reset"):
        PongEnv().step(2)


def test_actions_move_the_paddle_as_the_spec_says():
    env = PongEnv()
    env.reset(seed=0)
    ya = [env.step(a)[0][0] for a in (0, 0, 2, 1)]  # up, up, nothing, down
    a_dt = 0.4 * 48 * ((1000.0 / 30) / 1000.0)
    want, y, v = [], 24.0, 0.0
    for dv in (-a_dt, -a_dt, 0.0, a_dt):
        v = (v + dv) * 0.9
        y = y + v
        want.append(y)
    assert ya == want and ya[0] < 24.0 and ya[3] - ya[2] > ya[2] - ya[1]


@pytest.mark.parametrize("action", [3, -1, 0.5, 0.0, "up", None, True, np.array([0]), np.float64(1.0)])
def test_invalid_actions_are_rejected(action):
    env = PongEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="0 \\(up\\), 1 \\(down\\) and 2"):
        env.step(action)


@pytest.mark.parametrize("action", [0, 1, 2, np.int64(0), np.uint8(1), np.array(2), np.int32(1)])
def test_integer_actions_are_accepted(action):
    env, ref = PongEnv(), PongEnv()
    env.reset(seed=3), ref.reset(seed=3)
    for _ in range(3):
        assert np.array_equal(env.step(action)[0], ref.step(int(action))[0])


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "7", True, [1]])
def test_bad_seeds_are_rejected(seed):
    with pytest.raises((TypeError, ValueError), match="seed must be"):
        PongEnv().reset(seed=seed)


def test_max_episode_steps_truncates():
    env = gym.make(ENV_ID, max_episode_steps=5)
    env.reset(seed=0)
    assert [env.step(2)[2:4] for _ in range(5)] == [(False, False)] * 4 + [(False, True)]


# --- rendering ------------------------------------------------------------------------------------------------------

def white_pixels(frame: np.ndarray) -> set:
    assert frame.dtype == np.uint8 and set(np.unique(frame).tolist()) <= {0, 255}
    assert (frame == frame[:, :, :1]).all()  # black or white, never a colour
    return {(int(x), int(y)) for y, x in np.argwhere(frame[:, :, 0] == 255)}


def test_reset_frame_shows_the_new_game():
    env = PongEnv(render_mode="rgb_array")
    assert env.render().shape == (48, 64, 3) and not env.render().any()  # before any reset: black, as the original
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (48, 64, 3)
    paddles = {(x, y) for x in (4, 60) for y in range(21, 28)}  # centres at 24: rows [21, 28)
    ball = {(x, y) for x in (31, 32) for y in (23, 24)}  # centre (32, 24): 2x2 from (31, 23)
    assert white_pixels(frame) == paddles | ball


def test_frame_rounds_halves_away_from_zero_and_clips():
    # A paddle clamped at 44.5 covers rows 42-47 (45 - 3 .. 48, clipped); Python's round() would give 41-47.
    # A ball at (0.4, 47.5) shows its rect [-1, 1) x [47, 49) clipped to column 0, row 47.
    frame = pong.draw_frame(44.5, 3.5, 0.4, 47.5)
    assert white_pixels(frame) == ({(4, y) for y in range(42, 48)} | {(60, y) for y in range(1, 8)} | {(0, 47)})
    # The CPU paddle's extremes (2.54 and 45.46), a ball at the right edge and one fully off the screen.
    assert white_pixels(pong.draw_frame(2.54, 45.46, 63.6, -0.4)) == (
        {(4, y) for y in range(0, 7)} | {(60, y) for y in range(42, 48)} | {(63, 0)})
    assert white_pixels(pong.draw_frame(24.0, 24.0, 64.6, 24.0)) == {(x, y) for x in (4, 60) for y in range(21, 28)}


def test_render_scale_repeats_pixels():
    small = PongEnv(render_mode="rgb_array")
    big = PongEnv(render_mode="rgb_array", render_scale=4)
    small.reset(seed=1), big.reset(seed=1)
    for env in (small, big):
        for _ in range(5):
            env.step(1)
    a, b = small.render(), big.render()
    assert b.shape == (192, 256, 3) and b.dtype == np.uint8
    assert np.array_equal(b, a.repeat(4, axis=0).repeat(4, axis=1))
    with pytest.raises(ValueError, match="render_scale"):
        PongEnv(render_mode="rgb_array", render_scale=0)


def test_render_without_mode_warns_and_returns_none():
    env = PongEnv()
    env.reset(seed=0)
    with pytest.warns(UserWarning, match="render_mode"):
        assert env.render() is None


def test_human_mode_without_display_explains_what_to_do(monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(RuntimeError, match="rgb_array") as err:
        gym.make(ENV_ID, render_mode="human")
    assert "start_virtual_display" in str(err.value)


def test_human_mode_runs_headless_with_sdl_dummy(monkeypatch):
    pytest.importorskip("pygame")
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    env = gym.make(ENV_ID, render_mode="human", render_scale=2)
    env.reset(seed=0)
    assert env.step(1)[0].shape == (7,)
    assert env.render() is None
    assert env.unwrapped._window.get_size() == (128, 96)
    env.close()


def test_stepping_and_frames_never_import_pygame():
    code = ("import sys\n"
            "import gymnasium as gym, helpers\n"
            "from helpers.pong import PongVecEnv\n"
            "env = gym.make('Pong-PLE-v0', render_mode='rgb_array'); env.reset(seed=0)\n"
            "for _ in range(300): env.step(env.action_space.sample())\n"
            "assert env.render().shape == (48, 64, 3)\n"
            "venv = PongVecEnv(4); venv.reset(seed=0)\n"
            "for _ in range(300): venv.step(venv.action_space.sample())\n"
            "assert 'pygame' not in sys.modules, 'pygame was imported'\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
