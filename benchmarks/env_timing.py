"""The timing loops the environment speed benchmarks share (pixelcopter_speed.py, pong_speed.py)."""
from __future__ import annotations

import time

import numpy as np


def best_of(repeats: int, measure) -> float:
    return max(measure() for _ in range(repeats))


def single_env_rate(env, steps: int, seed: int, sample_in_loop: bool = False) -> float:
    """Steps per second of ``env`` under uniform random actions, resetting when an episode ends. The actions
    are drawn beforehand with NumPy, or (``sample_in_loop``) by ``env.action_space.sample()`` in the loop, as
    a course notebook would."""
    actions = np.random.default_rng(seed).integers(0, int(env.action_space.n), steps).tolist()
    env.reset(seed=seed)
    env.action_space.seed(seed)
    step, reset, sample = env.step, env.reset, env.action_space.sample
    start = time.perf_counter()
    if sample_in_loop:
        for _ in range(steps):
            _, _, terminated, truncated, _ = step(sample())
            if terminated or truncated:
                reset()
    else:
        for a in actions:
            _, _, terminated, truncated, _ = step(a)
            if terminated or truncated:
                reset()
    return steps / (time.perf_counter() - start)


def reset_cost_ms(make_env, n: int) -> float:
    """Milliseconds per ``reset()`` without a seed (the stream continues), over ``n`` resets."""
    env = make_env()
    env.reset(seed=0)
    start = time.perf_counter()
    for _ in range(n):
        env.reset()
    return (time.perf_counter() - start) / n * 1e3
