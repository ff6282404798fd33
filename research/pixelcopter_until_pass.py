"""Does "train until a held-out evaluation passes with a margin" make every Pixelcopter seed pass? (issue 30)

The defaults train a fixed 64,000 episodes. Here the same trainer (``train_batched`` with the reference pieces,
``defaults.PIXELCOPTER``) runs in chunks; after ``--min`` episodes, every chunk ends with a greedy check on
``--held-out`` copters whose seeds are not the evaluation's (2024). The check estimates how often a draw of 10
episodes would pass (mean - std >= 5, the course's rule) by resampling the held-out scores; training stops once
that estimate reaches ``--confidence``, or at ``--max`` episodes. Then the kit's own evaluation (10 greedy
episodes from seed 2024) gives the result a learner would see.

    python research/pixelcopter_until_pass.py --seeds 0 1 2
Prints one line per check and a JSON line per seed (training seconds, episodes, held-out estimate, result).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers import defaults, reinforce  # noqa: E402
from helpers.pixelcopter import PixelcopterVecEnv  # noqa: E402

PASS_MARK = 5.0


def held_out_scores(policy, n: int, seed: int, max_t: int) -> np.ndarray:
    """Each copy's first episode, played greedily (the most likely action), up to ``max_t`` steps."""
    env = PixelcopterVecEnv(n, seed=seed, max_episode_steps=max_t)
    obs = np.asarray(env.reset()[0], dtype=np.float32)
    total, done = np.zeros(n), np.zeros(n, dtype=bool)
    while not done.all():
        with torch.no_grad():
            action = policy(torch.as_tensor(obs)).argmax(dim=1).numpy()
        obs, reward, terminated, truncated, _info = env.step(action)
        obs = np.asarray(obs, dtype=np.float32)
        total += np.where(done, 0.0, reward)
        done |= np.logical_or(terminated, truncated)
    env.close()
    return total


def pass_chance(scores: np.ndarray, draws: int = 4000, rng=np.random.default_rng(0)) -> float:
    """How often 10 episodes drawn from ``scores`` pass (mean - std >= 5)."""
    picks = scores[rng.integers(0, len(scores), size=(draws, 10))]
    return float(np.mean(picks.mean(axis=1) - picks.std(axis=1) >= PASS_MARK))


def run(seed: int, args) -> dict:
    config = defaults.PIXELCOPTER
    torch.set_num_threads(1)
    policy = reinforce.make_policy(config, seed)
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.lr)
    env = config.make_train_env()
    start, trained, chance, checks = time.perf_counter(), 0, 0.0, []
    while trained < args.max:
        chunk = args.min if trained == 0 else args.chunk
        reinforce.train_batched(policy, optimizer, env, chunk, config.train_max_t, config.gamma, print_every=0,
                                batch_episodes=config.batch_episodes, seed=seed if trained == 0 else None,
                                progress=False)
        trained += chunk
        scores = held_out_scores(policy, args.held_out, 10_000 + seed, args.check_max_t)
        chance = pass_chance(scores)
        checks.append(dict(episodes=trained, seconds=round(time.perf_counter() - start, 1),
                           mean=round(float(scores.mean()), 1), std=round(float(scores.std()), 1), chance=chance))
        print(f"seed {seed}: {checks[-1]}", flush=True)
        if chance >= args.confidence:
            break
    train_s = time.perf_counter() - start
    eval_env = config.make_env()
    mean, std = reinforce.evaluate_agent(eval_env, config.max_t, config.n_evaluation_episodes, policy,
                                         greedy=True, seed=config.eval_seed)
    eval_env.close()
    return dict(seed=seed, episodes=trained, train_s=round(train_s, 1),
                total_s=round(time.perf_counter() - start, 1), chance=chance, mean=round(mean, 2),
                std=round(std, 2), result=round(mean - std, 2), passed=mean - std >= PASS_MARK, checks=checks)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--min", type=int, default=32_000, help="episodes before the first check")
    parser.add_argument("--chunk", type=int, default=8_192, help="episodes between checks")
    parser.add_argument("--max", type=int, default=128_000, help="the cap on training episodes")
    parser.add_argument("--held-out", type=int, default=64, help="greedy episodes per check")
    parser.add_argument("--check-max-t", type=int, default=10_000, help="step cap of a check episode")
    parser.add_argument("--confidence", type=float, default=0.99, help="stop when this share of 10-episode draws "
                                                                         "passes")
    args = parser.parse_args(argv)
    for seed in args.seeds:
        print(json.dumps(run(seed, args)), flush=True)


if __name__ == "__main__":
    main()
