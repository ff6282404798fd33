"""Speed and baseline returns of the kit's Pixelcopter-PLE-v0, next to the original's (SPEC.md section 9).

    python benchmarks/pixelcopter_speed.py            # about a minute on 2 cores
    python benchmarks/pixelcopter_speed.py --quick    # a few seconds, rougher figures

Measures (best of --repeats, single process):
  * steps/s of gym.make("Pixelcopter-PLE-v0") (with its PassiveEnvChecker/OrderEnforcing wrappers) and
    of the raw env, under a uniform random policy with resets; actions are drawn beforehand with NumPy,
    and once more with env.action_space.sample() in the loop, as a course notebook would;
  * the cost of one reset;
  * PixelcopterVecEnv copter-steps/s at several num_envs under three policies: uniform random
    (7-step episodes, so mostly resets), thrust with p=0.1 (33 steps) and a simple hover rule
    (~130 steps, like a partly trained agent);
  * returns and lengths over --episodes episodes for the uniform random and the p=0.1 policies.
Prints a table, then one JSON line with every figure.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import helpers  # noqa: E402,F401  (registers the ids)
from env_timing import best_of, reset_cost_ms, single_env_rate  # noqa: E402
from helpers.pixelcopter import PixelcopterEnv, PixelcopterVecEnv  # noqa: E402

ENV_ID = "Pixelcopter-PLE-v0"
# SPEC.md section 9, measured on the original (2 vCPU, Python 3.11, pygame 2.6.1).
ORIGINAL = {
    "steps_per_s_raw": 14_500, "steps_per_s_gym_make": 12_750, "reset_ms": 0.38,
    "random": {"length_mean": 7.3, "length_min": 4, "length_max": 24, "return_mean": -4.79, "return_std": 0.48},
    "thrust_p0.1": {"length_mean": 33, "return_mean": -0.56, "return_std": 3.4},
}


def policy(name: str, obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(obs)
    if name == "uniform":
        return rng.integers(0, 2, n)
    if name == "thrust_p0.1":
        return (rng.random(n) >= 0.1).astype(np.int64)  # action 0 = thrust with probability 0.1
    # hover: thrust while falling towards the floor (obs[:, 3] = distance to the floor, obs[:, 1] = velocity)
    return np.where((obs[:, 3] < 8.0) & (obs[:, 1] > 0.0), 0, 1)


def vec_rate(num_envs: int, policy_name: str, copter_steps: int, seed: int) -> tuple[float, float]:
    """Copter-steps/s (policy included) and mean episode length."""
    venv = PixelcopterVecEnv(num_envs)
    obs, _ = venv.reset(seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(300):  # untimed: let the copters' episodes drift out of step with each other
        obs = venv.step(policy(policy_name, obs, rng))[0]
    steps = min(max(copter_steps // num_envs, 100), 10_000)  # small num_envs are slow per copter
    lengths = 0
    episodes = 0
    start = time.perf_counter()
    for _ in range(steps):
        obs, _, terminated, truncated, info = venv.step(policy(policy_name, obs, rng))
        done = info["_final_obs"]
        episodes += int(done.sum())
        lengths += int(info["episode_length"][done].sum())
    rate = steps * num_envs / (time.perf_counter() - start)
    return rate, lengths / max(episodes, 1)


def baseline(policy_name: str, episodes: int, seed: int) -> dict:
    """Returns and lengths through gym.make, one seeded reset then the stream continues (as the course)."""
    env = gym.make(ENV_ID)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    returns, lengths = [], []
    for _ in range(episodes):
        total, length, done = 0.0, 0, False
        while not done:
            action = int(policy(policy_name, obs[None, :], rng)[0])
            obs, reward, terminated, truncated, _ = env.step(action)
            total, length, done = total + reward, length + 1, terminated or truncated
        returns.append(total)
        lengths.append(length)
        obs, _ = env.reset()
    return {"episodes": episodes, "return_mean": float(np.mean(returns)), "return_std": float(np.std(returns)),
            "length_mean": float(np.mean(lengths)), "length_min": int(min(lengths)), "length_max": int(max(lengths))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300_000, help="steps per single-env measurement")
    parser.add_argument("--copter-steps", type=int, default=500_000, help="copter-steps per vector measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--num-envs", type=int, nargs="+", default=[1, 16, 64, 256, 1024])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="30k steps, 1 repeat: a rough check")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.copter_steps, args.repeats = 30_000, 60_000, 1

    r = {"python": platform.python_version(), "numpy": np.__version__, "gymnasium": gym.__version__,
         "steps": args.steps, "repeats": args.repeats}
    r["steps_per_s_gym_make"] = best_of(args.repeats, lambda: single_env_rate(gym.make(ENV_ID), args.steps, args.seed))
    r["steps_per_s_gym_make_sample"] = best_of(
        args.repeats, lambda: single_env_rate(gym.make(ENV_ID), args.steps, args.seed, sample_in_loop=True))
    r["steps_per_s_raw"] = best_of(args.repeats, lambda: single_env_rate(PixelcopterEnv(), args.steps, args.seed))
    r["reset_ms"] = min(reset_cost_ms(PixelcopterEnv, 5000) for _ in range(args.repeats))

    print(f"{'single env (uniform random, with resets)':<52}{'kit':>12}{'original':>12}")
    print(f"{'  gym.make, actions drawn beforehand   steps/s':<52}{r['steps_per_s_gym_make']:>12,.0f}"
          f"{ORIGINAL['steps_per_s_gym_make']:>12,}")
    print(f"{'  gym.make, action_space.sample()      steps/s':<52}{r['steps_per_s_gym_make_sample']:>12,.0f}")
    print(f"{'  raw env                              steps/s':<52}{r['steps_per_s_raw']:>12,.0f}"
          f"{ORIGINAL['steps_per_s_raw']:>12,}")
    print(f"{'  one reset                                 ms':<52}{r['reset_ms']:>12.4f}{ORIGINAL['reset_ms']:>12}")

    r["vector"] = []
    print(f"\n{'PixelcopterVecEnv copter-steps/s':<34}" + "".join(f"{'n=' + str(n):>12}" for n in args.num_envs))
    for name in ("uniform", "thrust_p0.1", "hover"):
        rates, lengths = [], []
        for n in args.num_envs:
            runs = [vec_rate(n, name, args.copter_steps, args.seed) for _ in range(args.repeats)]
            rate, length = max(runs)
            rates.append(rate)
            lengths.append(length)
            r["vector"].append({"policy": name, "num_envs": n, "copter_steps_per_s": rate, "mean_length": length})
        label = f"  {name} (episodes ~{np.median(lengths):.0f} steps)"
        print(f"{label:<34}" + "".join(f"{x:>12,.0f}" for x in rates))

    print(f"\n{'baselines over ' + str(args.episodes) + ' episodes':<34}{'return':>18}{'length mean (min-max)':>26}")
    for name, key in (("uniform", "random"), ("thrust_p0.1", "thrust_p0.1")):
        b = r[f"baseline_{key}"] = baseline(name, args.episodes, args.seed)
        o = ORIGINAL[key]
        print(f"{'  ' + key + ', kit':<34}{b['return_mean']:>10.2f} +/- {b['return_std']:<4.2f}"
              f"{b['length_mean']:>14.1f} ({b['length_min']}-{b['length_max']})")
        span = f" ({o['length_min']}-{o['length_max']})" if "length_min" in o else ""
        print(f"{'  ' + key + ', original (spec)':<34}{o['return_mean']:>10.2f} +/- {o['return_std']:<4.2f}"
              f"{o['length_mean']:>14.1f}{span}")
    r["original"] = ORIGINAL
    print(json.dumps(r))


if __name__ == "__main__":
    main()
