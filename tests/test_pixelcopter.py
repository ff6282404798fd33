"""Pixelcopter-PLE-v0 (helpers/pixelcopter.py) against the original game's reference traces and the
Gymnasium API rules. The traces live in tests/data/."""
from __future__ import annotations

import math
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
from helpers import pixelcopter as pc
from helpers.pixelcopter import PixelcopterEnv, PixelcopterVecEnv

ROOT = Path(__file__).resolve().parents[1]
TRACES = traces("pixelcopter")
ENV_ID = "Pixelcopter-PLE-v0"
GREEN = (120, 240, 80)


def trace_named(name: str) -> dict:
    return next(t for t in TRACES if t["name"] == name)


def frame_colours(frame: np.ndarray) -> set:
    return {tuple(c) for c in frame.reshape(-1, 3).tolist()}


# --- the original's behaviour ---------------------------------------------------------------------

@pytest.mark.parametrize("trace", TRACES, ids=[t["name"] for t in TRACES])
def test_replays_reference_trace_exactly(trace):
    env = gym.make(ENV_ID)
    obs, info = env.reset(seed=trace["seed"])
    assert obs.dtype == np.float64 and obs.shape == (7,)
    assert obs.tolist() == trace["initial_obs"]
    for i, action in enumerate(trace["actions"]):
        obs, reward, terminated, truncated, info = env.step(action)
        assert obs.dtype == np.float64
        assert (obs.tolist(), reward, terminated, truncated) == (trace["obs"][i], trace["rewards"][i],
                                                                  trace["terminals"][i], False), f"step {i}"
    assert sum(trace["rewards"]) == trace["return"]


def test_vector_env_replays_all_traces_at_once():
    n = len(TRACES)
    venv = PixelcopterVecEnv(n)
    obs, _ = venv.reset(seed=[t["seed"] for t in TRACES])
    assert obs.dtype == np.float64 and obs.tolist() == [t["initial_obs"] for t in TRACES]
    compared = 0
    for i in range(max(len(t["actions"]) for t in TRACES)):
        actions = np.array([t["actions"][i] if i < len(t["actions"]) else 1 for t in TRACES])
        obs, rewards, terminated, truncated, info = venv.step(actions)
        assert not truncated.any()
        for k, t in enumerate(TRACES):
            if i >= len(t["actions"]):
                continue
            assert terminated[k] == t["terminals"][i] and info["_final_obs"][k] == terminated[k]
            step_obs = info["final_obs"][k] if terminated[k] else obs[k]
            assert (step_obs.tolist(), rewards[k]) == (t["obs"][i], t["rewards"][i]), f"{t['name']} step {i}"
            if terminated[k]:
                assert info["episode_length"][k] == len(t["actions"])
                assert info["episode_return"][k] == t["return"]
            compared += 1
    assert compared == sum(len(t["actions"]) for t in TRACES)


def test_reset_continues_the_random_stream():
    """reset(seed) then reset(): the second level comes from the same RandomState, after the first
    episode's draws (51 at init, 2 per block spawn), counted here by hand."""
    trace = trace_named("sparse_random_s1")  # passes a block, so its episode has 53 draws
    env = gym.make(ENV_ID)
    env.reset(seed=trace["seed"])
    for action in trace["actions"]:
        env.step(action)
    obs, _ = env.reset()

    # Drive a RandomState through the episode's draws by hand: 51 at init, 2 for the spawned block.
    rng = np.random.RandomState(trace["seed"])
    draws = trace["rng_draws"]
    assert [method for _, method, _, _ in draws] == ["randint"] * 2 + ["uniform"] * 49 + ["randint"] * 2
    for _, method, args, result in draws:
        assert getattr(rng, method)(*args) == result
    # Next level: block x, block y, then the terrain, whose segment 3 (x = 14) is under the copter.
    block_x, block_y = rng.randint(48, 72), rng.randint(12, 36)
    freq = 4.5 / 48 + rng.uniform(-0.01, 0.01)
    phases = [rng.uniform(0.0, 0.5) for _ in range(48)]
    ty = int(24.0 + 6.0 * math.sin(freq * 14 + phases[3]))
    assert obs.tolist() == [24.0, 0.0, 24.0 - (ty - 12.0), (ty + 12.0) - 24.0, block_x - 16, block_y, block_y + 9]

    # And reset(seed) restarts the stream.
    assert env.reset(seed=trace["seed"])[0].tolist() == trace["initial_obs"]


def test_first_reset_without_seed_uses_entropy():
    frames = []
    for _ in range(2):
        env = PixelcopterEnv(render_mode="rgb_array")
        env.reset()
        frames.append(env.render())
    assert not np.array_equal(frames[0], frames[1])  # 48 random terrain heights and a block


def test_terrain_timetable_matches_float_sprites():
    """The env looks terrain events up in a timetable built on exact positions; the original moved
    float sprites and placed pygame rects. Simulate that literally for 1,400 steps and compare."""
    def batch(number, xs):
        return [[number, i, float(x)] for i, x in enumerate(xs)]

    def under_player(segments, newest):
        return tuple((newest - b, i) for b, i, x in segments if 14 <= pc._pg_round(x) <= 18)

    segments, newest, phase = batch(0, range(2, 194, 4)), 0, 0
    assert under_player(segments, newest) == pc._TOUCHING[0]
    for t in range(1, 1400):
        phase = pc._next_phase(phase)
        for s in segments:
            s[2] -= pc.SPEED * pc.DT
        assert under_player(segments, newest) == pc._TOUCHING[phase], t
        kept = [s for s in segments if s[2] > -4]
        assert len(segments) - len(kept) == pc._SCROLLED[phase], t
        segments = kept
        assert (len(segments) <= 13) == pc._NEW_BATCH[phase], t
        if len(segments) <= 13:
            newest += 1
            segments += batch(newest, range(50, 242, 4))
    assert newest == 4  # steps 222, 519, 816 and 1113, as the spec says


def test_rect_rounding_is_pygame_2_3s():
    # Halves go away from zero (pygame >= 2.3); the float just below a half does not round up.
    cases = {0.5: 1, 1.5: 2, 2.5: 3, -0.5: -1, -2.5: -3, 0.49999999999999994: 0, 13.499999999999998: 13,
             15.7: 16, -0.3: 0, 24.0: 24}
    assert {v: pc._pg_round(v) for v in cases} == cases


def test_vectorised_terrain_heights_match_math_sin(monkeypatch):
    rng = np.random.default_rng(0)
    freqs = 4.5 / 48 + rng.uniform(-0.01, 0.01, 64)
    phases = rng.uniform(0.0, 0.5, (64, 48))
    # Phases that put 24 + 6*sin within an ulp or two of an integer.
    phases[0, :] = [math.asin(k / 6) - freqs[0] * x for k, x in zip([1, 2, 3, -1, -2, -3] * 8, range(2, 194, 4))]
    want = [pc._terrain_heights(f, p.tolist(), pc.INITIAL_SEGMENT_XS) for f, p in zip(freqs, phases)]
    assert pc._terrain_heights_batch(freqs, phases, pc.INITIAL_SEGMENT_XS).tolist() == want
    # A NumPy whose sin is off by ~1e-15 (as SIMD versions can be) must still give the same heights.
    exact_sin = np.sin
    monkeypatch.setattr(np, "sin", lambda a: exact_sin(a) + np.where(np.arange(a.shape[-1]) % 2, 1e-15, -1e-15))
    assert pc._terrain_heights_batch(freqs, phases, pc.INITIAL_SEGMENT_XS).tolist() == want


# --- the vector env ---------------------------------------------------------------------------------

def test_vector_env_matches_single_envs_through_autoresets_and_truncation():
    n, steps, limit = 6, 400, 150
    seeds = [11, 12, 13, 14, 15, 16]
    venv = PixelcopterVecEnv(n, max_episode_steps=limit)
    singles = [gym.make(ENV_ID, max_episode_steps=limit) for _ in range(n)]
    vobs, _ = venv.reset(seed=seeds)
    sobs = [env.reset(seed=s)[0] for env, s in zip(singles, seeds)]
    assert np.array_equal(vobs, np.array(sobs))
    rng = np.random.default_rng(1)
    episodes = 0
    for _ in range(steps):
        # Mostly hover near the floor so that some episodes are long (block spawns, terrain at 222).
        hover = np.where(vobs[:, 3] < 8, 0, 1)
        actions = np.where(rng.random(n) < 0.9, hover, rng.integers(0, 2, n))
        vobs, vrew, vterm, vtrunc, info = venv.step(actions)
        for k, env in enumerate(singles):
            obs, reward, terminated, truncated, _ = env.step(int(actions[k]))
            assert (reward, terminated, truncated) == (vrew[k], vterm[k], vtrunc[k])
            if terminated or truncated:
                episodes += 1
                assert np.array_equal(info["final_obs"][k], obs)
                obs, _ = env.reset()
            assert np.array_equal(vobs[k], obs)
    assert episodes > n and vtrunc.dtype == bool


def test_vector_env_seeding_and_errors():
    unseeded, _ = PixelcopterVecEnv(4).reset()  # each copter's stream from its own entropy
    assert len({tuple(row) for row in unseeded.tolist()}) > 1
    venv = PixelcopterVecEnv(3, seed=5)
    obs, _ = venv.reset()
    assert obs.tolist() == [PixelcopterEnv().reset(seed=s)[0].tolist() for s in (5, 6, 7)]
    assert venv.observation_space.shape == (3, 7) and venv.action_space.shape == (3,)
    assert venv.metadata["autoreset_mode"] == gym.vector.AutoresetMode.SAME_STEP
    for bad in ([0, 1], [0, 1, 2], [0, -1, 1], [0.0, 1.0, 1.0]):
        with pytest.raises(ValueError, match="actions"):
            venv.step(np.array(bad))
    with pytest.raises(ResetNeeded):
        PixelcopterVecEnv(2).step(np.array([1, 1]))
    with pytest.raises((TypeError, ValueError), match="seed"):
        venv.reset(seed=-1)
    with pytest.raises(ValueError, match="seed"):
        venv.reset(seed=[1, 2])


def test_vector_env_works_as_a_gymnasium_vector_entry_point():
    test_id = "PixelcopterVecEntryPointTest-v0"
    gym.register(test_id, entry_point="helpers.pixelcopter:PixelcopterEnv",
                 vector_entry_point="helpers.pixelcopter:PixelcopterVecEnv", max_episode_steps=3)
    try:
        envs = gym.make_vec(test_id, num_envs=2, vectorization_mode="vector_entry_point")
        obs, _ = envs.reset(seed=[0, 1])
        assert obs.shape == (2, 7)
        assert [envs.step(np.array([1, 1]))[3].tolist() for _ in range(3)] == [[False, False]] * 2 + [[True, True]]
    finally:
        gym.registry.pop(test_id)


# --- Gymnasium API and errors -------------------------------------------------------------------------

def test_spaces_and_metadata():
    env = gym.make(ENV_ID)
    assert env.observation_space == gym.spaces.Box(-np.inf, np.inf, (7,), np.float64)
    assert env.action_space == gym.spaces.Discrete(2)
    assert env.metadata["render_modes"] == ["human", "rgb_array"] and env.metadata["render_fps"] == 30
    assert env.spec.max_episode_steps is None  # like the original registration: no time limit


def test_check_env_passes(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # lets check_env also try render_mode="human"
    pytest.importorskip("pygame")
    env = gym.make(ENV_ID, render_mode="rgb_array").unwrapped
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, skip_render_check=False)
    # Box(-inf, inf) is the original's space, and check_env always remarks on infinite bounds.
    assert [str(w.message) for w in caught if "infinity" not in str(w.message)] == []


def test_step_before_reset_and_after_termination_raise():
    env = PixelcopterEnv()
    with pytest.raises(ResetNeeded, match="reset"):
        env.step(1)
    env.reset(seed=0)
    assert [env.step(0)[2] for _ in range(4)] == [False, False, False, True]  # thrust into the ceiling
    with pytest.raises(ResetNeeded, match="reset"):
        env.step(1)
    env.reset()
    env.step(1)  # fine again


@pytest.mark.parametrize("action", [2, -1, 0.5, 0.0, "up", None, True, np.array([0]), np.float64(1.0)])
def test_invalid_actions_are_rejected(action):
    env = PixelcopterEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="0 \\(thrust\\) and 1"):
        env.step(action)


@pytest.mark.parametrize("action", [0, 1, np.int64(0), np.uint8(1), np.array(0), np.int32(1)])
def test_integer_actions_are_accepted(action):
    env, ref = PixelcopterEnv(), PixelcopterEnv()
    env.reset(seed=3), ref.reset(seed=3)
    assert np.array_equal(env.step(action)[0], ref.step(int(action))[0])


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "7", True, [1]])
def test_bad_seeds_are_rejected(seed):
    with pytest.raises((TypeError, ValueError), match="seed must be"):
        PixelcopterEnv().reset(seed=seed)


def test_seed_range_edges_are_accepted():
    env = PixelcopterEnv()
    a = env.reset(seed=2**32 - 1)[0]
    b = env.reset(seed=np.uint32(2**32 - 1))[0]
    assert np.array_equal(a, b)
    env.reset(seed=0)


def test_max_episode_steps_truncates():
    env = gym.make(ENV_ID, max_episode_steps=5)
    env.reset(seed=0)
    results = [env.step(1)[2:4] for _ in range(5)]  # falling takes ~20 steps to kill
    assert results == [(False, False)] * 4 + [(False, True)]


# --- rendering ------------------------------------------------------------------------------------------

def test_reset_frame_is_the_original_screen():
    trace = trace_named("uniform_random_s0")
    env = PixelcopterEnv(render_mode="rgb_array")
    env.reset(seed=trace["seed"])
    frame = env.render()
    assert frame.shape == (48, 48, 3) and frame.dtype == np.uint8

    # Built independently from the trace: the first 12 segments (x = 2, 6, ..., 46) tile the screen,
    # each drawn green above row ty-12 and from row ty+14; the player is a white 2x2 at (15..16, 23..24);
    # the block (at x >= 48) shows at most its left columns.
    want = np.zeros((48, 48, 3), np.uint8)
    want[23:25, 15:17] = 255
    bx, by = trace["initial_block"]
    want[max(by - 4, 0):by + 5, max(bx - 2, 0):min(bx + 2, 48)] = GREEN
    for x, ty in trace["initial_terrain"][:12]:
        want[:max(ty - 12, 0), x - 2:x + 2] = GREEN
        want[ty + 14:, x - 2:x + 2] = GREEN
    assert np.array_equal(frame, want)


def test_frames_during_play_show_player_block_and_terrain():
    trace = trace_named("oracle_s0")
    env = PixelcopterEnv(render_mode="rgb_array")
    env.reset(seed=trace["seed"])
    checked_block = 0
    for i, action in enumerate(trace["actions"][:400]):
        obs, _, terminated, _, _ = env.step(action)
        frame = env.render()
        assert frame_colours(frame) <= {(0, 0, 0), (255, 255, 255), GREEN}
        # A living copter's rect overlaps no block and no drawn terrain, so it is always white.
        row = pc._pg_round(obs[0])
        assert not terminated and (frame[row - 1:row + 1, 15:17] == 255).all(), i
        assert (frame[:, :15] != 255).all() and (frame[:, 17:] != 255).all()
        col = pc._pg_round(obs[4] + 16)
        if 2 <= col <= 45:  # the next block, fully on screen (terrain drawn over it is green too)
            by = int(obs[5])
            assert (frame[by - 4:by + 5, col - 2:col + 2] == GREEN).all(), i
            checked_block += 1
    assert checked_block > 100


def test_render_scale_repeats_pixels():
    small = PixelcopterEnv(render_mode="rgb_array")
    big = PixelcopterEnv(render_mode="rgb_array", render_scale=4)
    small.reset(seed=1), big.reset(seed=1)
    for env in (small, big):
        env.step(1)
    a, b = small.render(), big.render()
    assert b.shape == (192, 192, 3) and b.dtype == np.uint8
    assert np.array_equal(b, a.repeat(4, axis=0).repeat(4, axis=1))
    with pytest.raises(ValueError, match="render_scale"):
        PixelcopterEnv(render_mode="rgb_array", render_scale=0)


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
    env.close()


def test_stepping_needs_no_pygame():
    code = ("import sys; sys.modules['pygame'] = None\n"
            "import gymnasium as gym, helpers\n"
            "env = gym.make('Pixelcopter-PLE-v0'); env.reset(seed=0)\n"
            "for _ in range(10): env.step(1)\n"
            "env = gym.make('Pixelcopter-PLE-v0', render_mode='rgb_array'); env.reset(seed=0)\n"
            "assert env.render().shape == (48, 48, 3)\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# --- crash causes (the kit's addition to info) --------------------------------------------------------------

def test_info_names_the_crash_cause_only_on_the_last_step():
    env = PixelcopterEnv()
    for action, cause in [(0, "ceiling"), (1, "floor")]:  # thrust always: up into the roof; never: down
        env.reset(seed=0)
        while True:
            _, reward, terminated, _, info = env.step(action)
            if terminated:
                assert info == {"crash": cause} and reward < 0
                break
            assert info == {}
    # A copter that thrusts 10% of the time meets every kind of crash but the screen edge.
    rng = np.random.default_rng(0)
    allowed = {"block ahead", "block just passed", "ceiling", "floor", "screen edge"}
    seen = set()
    env.reset(seed=1)
    for _ in range(400):
        env.reset()
        terminated = False
        while not terminated:
            obs, _, terminated, _, info = env.step(int(rng.random() > 0.1))
        cause = info["crash"]
        base = cause.removesuffix(" (a segment the observation does not show)")
        assert base in allowed
        if cause == "ceiling":
            assert obs[2] <= pc.PLAYER_HEIGHT  # a hit on the visible segment shows in the observation
        if cause == "floor":
            assert obs[3] <= 0
        if cause == "block ahead":
            assert obs[4] < 2.5  # the block that hit is the one the observation shows, touching the copter
        if cause == "block just passed":
            assert obs[4] > 2.5  # the observation already shows the next block
        seen.add(cause)
    assert {"block ahead", "block just passed", "floor (a segment the observation does not show)"} <= seen
