"""Tests of the research scripts (research/README.md): run with `python -m pytest research`.

They stay out of the default test run: the kit does not use these scripts.
"""
from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

import helpers  # noqa: F401  (registers the environment ids)
from helpers import pixelcopter as pc
from helpers.pixelcopter import PixelcopterEnv, PixelcopterVecEnv


def test_crash_report_script_counts_every_episode():
    import torch

    from helpers.policies import PolicyNetwork
    from research.pixelcopter_crashes import crash_causes

    torch.manual_seed(0)
    report = crash_causes(PolicyNetwork(7, 2, 8, obs_scale=[8, 0.5, 4, 4, 16, 8, 8]), n_episodes=5, seed=0, max_t=50)
    assert sum(report["causes"].values()) == 5 and report["mean_steps"] <= 50


# --- the planner benchmark (how far the observation gets an agent) ------------------------------------------

def test_a_new_terrain_batch_always_starts_at_18_to_20_px():
    # The planner's terrain-memory level relies on this rule for the segment after a seam.
    from research.pixelcopter_planner import SEAM_HEIGHT

    firsts = set()
    for seed in range(2000):
        freq, phases = pc._draw_terrain_batch(np.random.RandomState(seed))
        firsts.add(pc._terrain_heights(freq, phases.tolist(), pc.LATER_SEGMENT_XS)[0])
    assert min(firsts) >= SEAM_HEIGHT[0] and max(firsts) <= SEAM_HEIGHT[1]


def test_planner_that_sees_the_terrain_ahead_survives():
    # With the true heights ahead, the exact-physics planner never crashes (spec section 9's planner):
    # a broken search, clearance or block model would crash it within a few hundred steps.
    from research.pixelcopter_planner import play_episode

    env = gym.make("Pixelcopter-PLE-v0")
    for seed in (0, 1):
        total, steps, crash = play_episode(env, "oracle", max_t=600, spread=3.0, seed=seed)
        assert (steps, crash) == (600, None) and total > 90


def test_planner_without_terrain_memory_narrows_to_the_band_safe_for_every_height():
    # Seeing only the segment under it, the planner widens its terrain guess step by step; far enough
    # ahead it must keep to 20.4 < y < 30, the only heights no segment (18-30 px) can kill. With no
    # drift it trusts the current segment for the whole horizon.
    from research.pixelcopter_planner import HORIZON, band, drifting_bands

    assert drifting_bands(24, 0.0) == [band(24, 24)] * HORIZON
    bands = drifting_bands(24, 4.0)
    assert bands[0] == pytest.approx((24 + 0.64 - 9.6, 24 - 0.64 + 12))
    assert bands[-1] == pytest.approx((30 - 9.6, 18 + 12))
    lows, highs = zip(*bands)
    assert list(lows) == sorted(lows) and list(highs) == sorted(highs, reverse=True)


def test_planner_levels_use_only_what_they_are_told(monkeypatch):
    # Below the oracle level the planner must never read the true terrain heights.
    from research import pixelcopter_planner as planner

    class Hidden(PixelcopterEnv):
        def __getattribute__(self, name):
            if name == "_heights" and planner_running[0]:
                raise AssertionError("the planner read the hidden terrain")
            return super().__getattribute__(name)

    planner_running = [False]
    real_bands = planner.terrain_bands

    def watched(*args, **kwargs):
        planner_running[0] = True
        try:
            return real_bands(*args, **kwargs)
        finally:
            planner_running[0] = False

    monkeypatch.setattr(planner, "terrain_bands", watched)
    for level in ("observation", "block-memory", "terrain-memory"):
        total, steps, _ = planner.play_episode(Hidden(), level, max_t=150, spread=3.0, seed=3)
        assert steps >= 1 and total > -6
    with pytest.raises(AssertionError, match="hidden terrain"):
        planner.play_episode(Hidden(), "oracle", max_t=150, spread=3.0, seed=3)


def test_planner_script_prints_one_json_line(capsys):
    from research.pixelcopter_planner import main

    main(["--level", "observation", "--blocks", "1", "--max-t", "40"])
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["level"] == "observation" and report["blocks"] == 1
    assert sum(report["causes"].values()) == 10 and report["mean_steps"] <= 40


def test_memory_features_remember_the_passed_block_and_reset_with_the_episode():
    from research.pixelcopter_memory import N_EXTRA, MemoryEnv, MemoryVecEnv
    from research.pixelcopter_planner import HORIZON, band, safest_action

    env = MemoryEnv(PixelcopterEnv())
    obs, _ = env.reset(seed=0)
    assert obs.shape == (7 + N_EXTRA,) and obs[11] == 0  # nothing passed yet
    remembered = None
    for _ in range(300):  # fly with the planner until the observation switches to the next block
        y, v, to_ceiling, _, gate, gate_y = obs[:6].tolist()
        height = round(y - to_ceiling + pc.CORRIDOR_HALF)
        action = safest_action(y, v, [band(height, height)] * HORIZON, [(pc.PLAYER_X + gate, gate_y)])
        obs, _, terminated, _, _ = env.step(action)
        assert not terminated
        if obs[11] == 1:
            remembered = (obs[13] * 4, gate_y, obs[0] - obs[12] * 8)
            break
    assert remembered is not None
    x_offset, gate_y, passed_y = remembered
    assert passed_y == pytest.approx(gate_y, abs=1e-4) and -0.65 < x_offset <= 0

    vec = MemoryVecEnv(PixelcopterVecEnv(2))
    vec.reset(seed=1)
    for _ in range(40):  # always thrusting hits the ceiling within a few steps
        obs, _, terminated, _, _ = vec.step(np.zeros(2, dtype=np.int64))
        if terminated.any():
            break
    i = int(np.flatnonzero(terminated)[0])
    assert obs[i, 7:].tolist() == [0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 0.0]  # a fresh episode starts with no memory


# --- training until a held-out check passes (pixelcopter_until_pass.py) -------------------------------------
def test_until_pass_estimates_how_often_ten_episodes_pass():
    from research.pixelcopter_until_pass import pass_chance

    assert pass_chance(np.full(64, 100.0)) == 1.0      # no spread: every draw passes
    assert pass_chance(np.full(64, 4.0)) == 0.0        # below the mark: none does
    survival = np.random.default_rng(1).exponential(2000, size=64)
    assert 0.3 < pass_chance(0.16 * survival - 5) < 0.95  # spread like an exponential: a coin with a bias


def test_until_pass_plays_each_held_out_copter_once_greedily():
    import torch

    from helpers.policies import PolicyNetwork
    from research.pixelcopter_until_pass import held_out_scores

    torch.manual_seed(0)
    policy = PolicyNetwork(7, 2, 8, obs_scale=[8, 0.5, 4, 4, 16, 8, 8])
    scores = held_out_scores(policy, n=4, seed=3, max_t=50)
    assert scores.shape == (4,) and np.array_equal(scores, held_out_scores(policy, n=4, seed=3, max_t=50))
    assert (scores <= 50).all()
