"""Does memory help a REINFORCE agent on Pixelcopter? The kit's defaults, with 7 remembered features added.

    python research/pixelcopter_memory.py --seed 0            # trains with memory (about 5-7 min)
    python research/pixelcopter_memory.py --seed 0 --no-memory

An experiment, not part of the kit: the notebooks and the Hub tools use the plain 7-value observation.
Each observation gets 7 more values computed only from the observations seen so far in the episode:
the terrain height's change over the last 6 and 12 steps, how many steps until / since the next terrain
seam arrives (a function of the step count: the seams come every 297 steps), and the block just passed
(whether it can still hit the copter, and where it is). Training is ``defaults.PIXELCOPTER_RAW`` otherwise;
evaluation is the kit's (10 greedy episodes, seed 2024) and a longer one (30 episodes, seed 99).
Prints one JSON line.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gymnasium as gym  # noqa: E402

from helpers import defaults, scoring  # noqa: E402
from helpers import pixelcopter as pc  # noqa: E402

_FIRST_REGEN = next(t for t in range(1, len(pc._NEW_BATCH)) if pc._NEW_BATCH[t])
SEAM_STEP = next(t for t in range(_FIRST_REGEN + 1, len(pc._TOUCHING)) if (0, 0) in pc._TOUCHING[t])  # 272
N_EXTRA = 7


class Memory:
    """Per-copter memory of the observations so far; ``features`` appends the 7 remembered values."""

    def __init__(self, n: int):
        self.t = np.zeros(n, dtype=np.int64)
        self.heights = np.zeros((n, 13))  # terrain height under the copter, now and the 12 steps before
        self.gate, self.gate_y = np.zeros(n), np.zeros(n)  # the block ahead at the last step
        self.passed_x, self.passed_y = np.zeros(n), np.zeros(n)
        self.passed = np.zeros(n, dtype=bool)  # the passed block can still hit the copter

    def start(self, rows, obs) -> None:
        self.t[rows] = 0
        self.heights[rows] = (obs[rows, 0] - obs[rows, 2] + pc.CORRIDOR_HALF)[:, None]
        self.gate[rows], self.gate_y[rows] = obs[rows, 4], obs[rows, 5]
        self.passed[rows] = False

    def update(self, obs, ended) -> None:
        """After a step; ``ended`` copies already show their next episode's first observation."""
        live = ~ended
        self.t[live] += 1
        self.heights[live] = np.roll(self.heights[live], 1, axis=1)
        self.heights[live, 0] = obs[live, 0] - obs[live, 2] + pc.CORRIDOR_HALF
        switched = live & (obs[:, 4] > self.gate)  # the observation moved on to the next block
        self.passed_x[live] -= pc.SCROLL
        self.passed_x[switched] = pc.PLAYER_X + self.gate[switched] - pc.SCROLL
        self.passed_y[switched] = self.gate_y[switched]
        self.passed = live & (self.passed | switched) & (self.passed_x >= pc.TOUCH_X_MIN)
        self.gate[live], self.gate_y[live] = obs[live, 4], obs[live, 5]
        self.start(np.flatnonzero(ended), obs)

    def features(self, obs) -> np.ndarray:
        now = self.heights[:, 0]
        to_seam = np.minimum((SEAM_STEP - self.t) % pc._PERIOD, 60) / 30
        since_seam = np.where(self.t < SEAM_STEP, 2.0, np.minimum((self.t - SEAM_STEP) % pc._PERIOD, 60) / 30)
        on = self.passed.astype(np.float64)
        extra = np.stack([(now - self.heights[:, 6]) / 4, (now - self.heights[:, 12]) / 4, to_seam, since_seam,
                          on, on * (obs[:, 0] - self.passed_y) / 8, on * (self.passed_x - pc.PLAYER_X) / 4], axis=1)
        return np.concatenate([obs, extra], axis=1).astype(np.float32)


class MemoryVecEnv(gym.vector.VectorWrapper):
    """``PixelcopterVecEnv`` with the remembered features (same-step autoreset resets a copy's memory)."""

    def __init__(self, env):
        super().__init__(env)
        self.memory = Memory(env.num_envs)

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self.memory.start(np.arange(self.num_envs), obs)
        return self.memory.features(obs), info

    def step(self, actions):
        obs, reward, terminated, truncated, info = self.env.step(actions)
        self.memory.update(obs, terminated | truncated)
        return self.memory.features(obs), reward, terminated, truncated, info


class MemoryEnv(gym.Wrapper):
    """One environment with the remembered features."""

    def __init__(self, env):
        super().__init__(env)
        self.memory = Memory(1)

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self.memory.start(np.arange(1), obs[None])
        return self.memory.features(obs[None])[0], info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.memory.update(obs[None], np.array([False]))
        return self.memory.features(obs[None])[0], reward, terminated, truncated, info


def main(argv=None) -> None:
    import torch

    from helpers import policies, reinforce

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--episodes", type=int, default=defaults.PIXELCOPTER_RAW.n_training_episodes)
    parser.add_argument("--no-memory", action="store_true", help="the kit's defaults, for comparison")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    config, memory = defaults.PIXELCOPTER_RAW, not args.no_memory
    torch.manual_seed(args.seed)
    scale = list(config.obs_scale) + [1.0] * N_EXTRA if memory else config.obs_scale
    policy = policies.PolicyNetwork(7 + N_EXTRA * memory, 2, (config.h_size, config.h_size), obs_scale=scale)
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.lr)
    train_env = pc.PixelcopterVecEnv(config.n_envs)
    start = time.perf_counter()
    reinforce.train_batched(policy, optimizer, MemoryVecEnv(train_env) if memory else train_env, args.episodes,
                            config.train_max_t, config.gamma, 0, batch_episodes=config.batch_episodes,
                            seed=args.seed, progress=False)
    seconds = time.perf_counter() - start
    report = {"benchmark": "pixelcopter-memory", "memory": memory, "seed": args.seed, "episodes": args.episodes,
              "train_seconds": round(seconds, 1)}
    for name, episodes, seed in (("kit_eval", config.n_evaluation_episodes, config.eval_seed), ("eval_30", 30, 99)):
        env = gym.make("Pixelcopter-PLE-v0")
        mean, std = reinforce.evaluate_agent(MemoryEnv(env) if memory else env, config.max_t, episodes, policy,
                                             seed=seed)
        report[name] = {"mean": round(mean, 2), "std": round(std, 2), "result": round(scoring.result(mean, std), 2)}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
