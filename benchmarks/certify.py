"""Certify the default hyperparameters: train on N seeds, evaluate as the notebooks do, count the passes.

    python benchmarks/certify.py taxi --seeds 10 --first-seed 0

Prints one line per training seed, then one JSON line:
{"env": ..., "seeds": N, "passed": k, "pass_mark": ..., "results": [...], "median_seconds": ...}
A seed passes when its result (mean - std of the evaluation rewards) reaches the pass mark: the course's
mark where it has one (Taxi, CartPole, Pixelcopter), else the kit's target (1.00 for non-slippery lakes).
Names ending in "-course" run the course's original hyperparameters, for comparison. Every benchmark trains
with the reference solutions of the notebooks' exercises, exactly as the notebooks call them: CartPole with
the course-style loop (``reinforce.reinforce``), Pixelcopter with the same pieces inside ``train_batched``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers import defaults, qlearning  # noqa: E402
from helpers.scoring import PASS_MARKS, pass_line, result  # noqa: E402


@dataclass
class Benchmark:
    env_name: str                                 # the name on model cards and in the pass line
    run: Callable[[int], tuple[float, float]]     # training seed -> (mean_reward, std_reward)
    pass_mark: float
    config: object = None                         # the defaults it certifies (checked against the notebooks)


def qlearning_benchmark(env_name: str, config, pass_mark: float) -> Benchmark:
    def run(seed: int) -> tuple[float, float]:
        _, mean, std, _ = qlearning.train_and_evaluate(config, seed=seed, progress=False)
        return mean, std
    return Benchmark(env_name, run, pass_mark, config)


def reinforce_benchmark(env_name: str, config, pass_mark: float) -> Benchmark:
    def run(seed: int) -> tuple[float, float]:
        import torch

        from helpers import reinforce

        torch.set_num_threads(1)  # tiny networks: one thread is fastest and keeps runs reproducible
        _, mean, std, _ = reinforce.train_and_evaluate(config, seed=seed, progress=False)
        return mean, std
    return Benchmark(env_name, run, pass_mark, config)


BENCHMARKS: dict[str, Benchmark] = {
    "frozenlake": qlearning_benchmark("FrozenLake-v1-4x4-no_slippery", defaults.FROZENLAKE, 1.0),
    "frozenlake-8x8": qlearning_benchmark("FrozenLake-v1-8x8-no_slippery", defaults.FROZENLAKE_8X8, 1.0),
    # Slippery: even the optimal policy fails about 1 episode in 4, so mean - std is small; the mark is the
    # result of a policy that reaches the goal 70% of the time (0.70 - 0.458).
    "frozenlake-slippery": qlearning_benchmark("FrozenLake-v1-4x4", defaults.FROZENLAKE_SLIPPERY, 0.24),
    "taxi": qlearning_benchmark("Taxi-v3", defaults.TAXI, PASS_MARKS["Taxi-v3"]),
    "taxi-course": qlearning_benchmark("Taxi-v3", defaults.TAXI.replace(min_epsilon=0.05), PASS_MARKS["Taxi-v3"]),
    "frozenlake-slippery-course": qlearning_benchmark(
        "FrozenLake-v1-4x4", defaults.FROZENLAKE.replace(env_kwargs=dict(map_name="4x4", is_slippery=True)), 0.24),
    "cartpole": reinforce_benchmark("CartPole-v1", defaults.CARTPOLE, PASS_MARKS["CartPole-v1"]),
    "cartpole-course": reinforce_benchmark("CartPole-v1", defaults.CARTPOLE_COURSE, PASS_MARKS["CartPole-v1"]),
    "cartpole-batched": reinforce_benchmark("CartPole-v1", defaults.CARTPOLE_BATCHED, PASS_MARKS["CartPole-v1"]),
    # The course's learning rate in the kit's loop: why the defaults halve it.
    "cartpole-lr1e-2": reinforce_benchmark("CartPole-v1", defaults.CARTPOLE.replace(lr=1e-2), PASS_MARKS["CartPole-v1"]),
    "pixelcopter": reinforce_benchmark("Pixelcopter-PLE-v0", defaults.PIXELCOPTER, PASS_MARKS["Pixelcopter-PLE-v0"]),
    "pixelcopter-raw": reinforce_benchmark("Pixelcopter-PLE-v0", defaults.PIXELCOPTER_RAW,
                                           PASS_MARKS["Pixelcopter-PLE-v0"]),
    # About 30 min per seed on one core: for a seed or two at most.
    "pixelcopter-course": reinforce_benchmark("Pixelcopter-PLE-v0", defaults.PIXELCOPTER_COURSE,
                                              PASS_MARKS["Pixelcopter-PLE-v0"]),
}


def certify(name: str, seeds: int, first_seed: int) -> dict:
    bench = BENCHMARKS[name]
    results, seconds = [], []
    for seed in range(first_seed, first_seed + seeds):
        start = time.perf_counter()
        mean, std = bench.run(seed)
        seconds.append(time.perf_counter() - start)
        results.append(round(result(mean, std), 4))
        verdict = "PASS" if result(mean, std) >= bench.pass_mark else "FAIL"
        print(f"seed {seed}: {pass_line(bench.env_name, mean, std)} [{verdict} at {bench.pass_mark:g}] "
              f"in {seconds[-1]:.1f} s", flush=True)
    return {"env": name, "seeds": seeds, "passed": sum(r >= bench.pass_mark for r in results),
            "pass_mark": bench.pass_mark, "results": results,
            "median_seconds": round(statistics.median(seconds), 2)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env", choices=sorted(BENCHMARKS))
    parser.add_argument("--seeds", type=int, default=10, help="how many training seeds (default 10)")
    parser.add_argument("--first-seed", type=int, default=0, help="the first training seed (default 0)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    print(json.dumps(certify(args.env, args.seeds, args.first_seed)))


if __name__ == "__main__":
    main()
