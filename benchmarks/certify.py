"""Certify the default hyperparameters: train on N seeds, evaluate as the notebooks do, count the passes.

    python benchmarks/certify.py taxi --seeds 10 --first-seed 0

Prints one line per training seed, then one JSON line:
{"env": ..., "seeds": N, "passed": k, "pass_mark": ..., "results": [...], "median_seconds": ...}
``--save`` also adds the run (per-seed results and times, date, machine) to ``benchmarks/results/ENV.json``;
``python benchmarks/report.py --write`` then rebuilds the README's tables from those files.
A seed passes when its result (mean - std of the evaluation rewards) reaches the pass mark: the course's
mark where it has one (Taxi, CartPole, Pixelcopter), else the kit's target (1.00 for non-slippery lakes).
Names ending in "-course" run the course's original hyperparameters, for comparison. Every benchmark trains
with the reference solutions of the notebooks' exercises, exactly as the notebooks call them: CartPole with
the course-style loop (``reinforce.reinforce``), Pixelcopter with the same pieces inside ``train_batched``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers import defaults, qlearning  # noqa: E402
from helpers.scoring import PASS_MARKS, pass_line, result  # noqa: E402


RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Benchmark:
    env_name: str                                 # the name on model cards and in the pass line
    run: Callable[[int], tuple[float, float]]     # training seed -> (mean_reward, std_reward)
    pass_mark: float
    config: object = None                         # the defaults it certifies (checked against the notebooks)
    about: str = ""                               # what the README's table says of these hyperparameters


def qlearning_benchmark(env_name: str, config, pass_mark: float, about: str = "") -> Benchmark:
    def run(seed: int) -> tuple[float, float]:
        _, mean, std, _ = qlearning.train_and_evaluate(config, seed=seed, progress=False)
        return mean, std
    return Benchmark(env_name, run, pass_mark, config, about)


def reinforce_benchmark(env_name: str, config, pass_mark: float, about: str = "") -> Benchmark:
    def run(seed: int) -> tuple[float, float]:
        import torch

        from helpers import reinforce

        torch.set_num_threads(1)  # tiny networks: one thread is fastest and keeps runs reproducible
        _, mean, std, _ = reinforce.train_and_evaluate(config, seed=seed, progress=False)
        return mean, std
    return Benchmark(env_name, run, pass_mark, config, about)


BENCHMARKS: dict[str, Benchmark] = {
    "frozenlake": qlearning_benchmark("FrozenLake-v1-4x4-no_slippery", defaults.FROZENLAKE, 1.0, "course"),
    "frozenlake-8x8": qlearning_benchmark("FrozenLake-v1-8x8-no_slippery", defaults.FROZENLAKE_8X8, 1.0,
                                          "course, random tie-breaking"),
    # Slippery: even the optimal policy fails about 1 episode in 4, so mean - std is small; the mark is the
    # result of a policy that reaches the goal 70% of the time (0.70 - 0.458).
    "frozenlake-slippery": qlearning_benchmark("FrozenLake-v1-4x4", defaults.FROZENLAKE_SLIPPERY, 0.24,
                                               "lr 0.05, gamma 0.99, 50,000 episodes"),
    "frozenlake-slippery-course": qlearning_benchmark(
        "FrozenLake-v1-4x4", defaults.FROZENLAKE.replace(env_kwargs=dict(map_name="4x4", is_slippery=True)), 0.24,
        "course"),
    "taxi": qlearning_benchmark("Taxi-v3", defaults.TAXI, PASS_MARKS["Taxi-v3"], "course, `min_epsilon` 0.2"),
    "taxi-course": qlearning_benchmark("Taxi-v3", defaults.TAXI.replace(min_epsilon=0.05), PASS_MARKS["Taxi-v3"],
                                       "course (`min_epsilon` 0.05)"),
    "cartpole": reinforce_benchmark(
        "CartPole-v1", defaults.CARTPOLE, PASS_MARKS["CartPole-v1"],
        "the notebook's loop, as the course writes it (one episode per update), course network, at most 1,000 "
        "episodes, stopping once the last 100 average 475 (CartPole's solved line), lr 5e-3, gamma 0.99, greedy "
        "evaluation"),
    # The course's learning rate in the kit's loop: why the defaults halve it.
    "cartpole-lr1e-2": reinforce_benchmark("CartPole-v1", defaults.CARTPOLE.replace(lr=1e-2),
                                           PASS_MARKS["CartPole-v1"], "the same with the course's lr 1e-2 (measured "
                                           "on all 1,000 episodes, before the loop stopped at the solved line)"),
    "cartpole-course": reinforce_benchmark("CartPole-v1", defaults.CARTPOLE_COURSE, PASS_MARKS["CartPole-v1"],
                                           "course (lr 1e-2, gamma 1.0, sampled evaluation; measured on all 1,000 "
                                           "episodes, before the loop stopped at the solved line)"),
    "cartpole-batched": reinforce_benchmark(
        "CartPole-v1", defaults.CARTPOLE_BATCHED, PASS_MARKS["CartPole-v1"],
        "the notebook's \"episodes per update\" challenge: 8 per update (`train_batched`), lr 1e-2"),
    "pixelcopter": reinforce_benchmark(
        "Pixelcopter-PLE-v0", defaults.PIXELCOPTER, PASS_MARKS["Pixelcopter-PLE-v0"],
        "the learner's two-hidden-layer policy (64, 64) on the observation rewritten relative to the copter, inside "
        "`train_batched` with the learner's returns, normalisation and loss: 128 copters, 256 episodes per update, "
        "lr 3e-3, 64k episodes"),
    "pixelcopter-raw": reinforce_benchmark("Pixelcopter-PLE-v0", defaults.PIXELCOPTER_RAW,
                                           PASS_MARKS["Pixelcopter-PLE-v0"],
                                           "the previous defaults: the raw observation (only scaled), 128k episodes"),
    "pong": reinforce_benchmark(
        "Pong-PLE-v0", defaults.PONG, PASS_MARKS["Pong-PLE-v0"],
        "the learner's two-hidden-layer policy (128, 128) on the scaled observation, inside `train_batched` with the "
        "learner's pieces: 64 games, 64 episodes per update, lr 3e-3, 8,192 episodes; the kit's mark"),
    # About 30 min per seed on one core: for a seed or two at most.
    "pixelcopter-course": reinforce_benchmark("Pixelcopter-PLE-v0", defaults.PIXELCOPTER_COURSE,
                                              PASS_MARKS["Pixelcopter-PLE-v0"], "course (kit code)"),
}


def certify(name: str, seeds: int, first_seed: int) -> dict:
    bench = BENCHMARKS[name]
    results, seconds = [], []
    for seed in range(first_seed, first_seed + seeds):
        start = time.perf_counter()
        mean, std = bench.run(seed)
        seconds.append(round(time.perf_counter() - start, 2))
        results.append(round(result(mean, std), 4))
        verdict = "PASS" if result(mean, std) >= bench.pass_mark else "FAIL"
        print(f"seed {seed}: {pass_line(bench.env_name, mean, std)} [{verdict} at {bench.pass_mark:g}] "
              f"in {seconds[-1]:.1f} s", flush=True)
    return {"env": name, "seeds": seeds, "first_seed": first_seed,
            "passed": sum(r >= bench.pass_mark for r in results), "pass_mark": bench.pass_mark,
            "results": results, "seconds": seconds, "median_seconds": round(statistics.median(seconds), 2)}


def machine() -> str:
    import gymnasium
    import numpy

    versions = f"Python {platform.python_version()}, numpy {numpy.__version__}, gymnasium {gymnasium.__version__}"
    if "torch" in sys.modules:
        versions += f", torch {sys.modules['torch'].__version__}"
    return f"{os.cpu_count()} CPU cores ({platform.machine()}), {versions}"


def save(run: dict, note: str = "") -> Path:
    """Add ``run`` (certify's output) to ``benchmarks/results/<env>.json``: one entry per run, never merged,
    so that every figure in the README can be traced to the run that produced it."""
    path = RESULTS_DIR / f"{run['env']}.json"
    data = json.loads(path.read_text()) if path.exists() else {"benchmark": run["env"], "runs": []}
    seeds = list(range(run["first_seed"], run["first_seed"] + run["seeds"]))
    data["runs"].append({"date": datetime.date.today().isoformat(), "machine": machine(), "note": note,
                         "seeds": seeds, "results": run["results"], "seconds": run["seconds"]})
    RESULTS_DIR.mkdir(exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env", choices=sorted(BENCHMARKS))
    parser.add_argument("--seeds", type=int, default=10, help="how many training seeds (default 10)")
    parser.add_argument("--first-seed", type=int, default=0, help="the first training seed (default 0)")
    parser.add_argument("--save", action="store_true", help="add the run to benchmarks/results/ENV.json")
    parser.add_argument("--note", default="", help="with --save: a note on how the run was made")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    run = certify(args.env, args.seeds, args.first_seed)
    print(json.dumps(run))
    if args.save:
        print(f"saved in {save(run, args.note)}")


if __name__ == "__main__":
    main()
