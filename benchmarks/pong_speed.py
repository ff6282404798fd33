"""Speed and baseline returns of the kit's Pong-PLE-v0, next to the original's (shared/pong/SPEC.md section 9).

    python benchmarks/pong_speed.py            # about a minute on 2 cores
    python benchmarks/pong_speed.py --quick    # a few seconds, rougher figures

Measures (best of --repeats, single process):
  * steps/s of gym.make("Pong-PLE-v0") (with its PassiveEnvChecker/OrderEnforcing wrappers) and of the raw
    env, under a uniform random policy with resets; actions are drawn beforehand with NumPy, and once more
    with env.action_space.sample() in the loop, as a course notebook would;
  * the cost of one reset;
  * PongVecEnv game-steps/s (summed over the games) at several num_envs under two policies: uniform random
    (games of ~500 steps, all lost) and tracking the ball (rallies that last; no game ends);
  * returns and lengths over --episodes games for the uniform and sticky random policies (played to the end),
    and over --tracking-episodes games of the tracking rule capped at 10,000 steps (the course's max_t).
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
from helpers.pong import PongEnv, PongVecEnv  # noqa: E402

ENV_ID = "Pong-PLE-v0"
# SPEC.md section 9, measured on the original (2 vCPU, Python 3.11, pygame 2.6.1).
ORIGINAL = {
    "steps_per_s_raw": 70_000, "steps_per_s_gym_make": 66_500, "reset_ms": 0.035,
    "uniform": {"length_mean": 508, "length_std": 147, "length_min": 297, "length_max": 905,
                "return_mean": -16.0, "return_std": 0.0},
    "sticky": {"length_mean": 463, "length_std": 136, "length_min": 297, "length_max": 1088,
               "return_mean": -16.0, "return_std": 0.0},
    "tracking_10k": {"return_mean": 2.70, "return_std": 1.06},
}
CAP = 10_000  # the course's max_t


def tracking(obs: np.ndarray) -> np.ndarray:
    """Up if the paddle is below the ball (by more than 1 px), down if above, else nothing (SPEC.md section 9)."""
    return np.where(obs[:, 0] > obs[:, 4] + 1, 0, np.where(obs[:, 0] < obs[:, 4] - 1, 1, 2))


def policy(name: str, obs: np.ndarray, rng: np.random.Generator, previous: np.ndarray) -> np.ndarray:
    n = len(obs)
    if name == "uniform":
        return rng.integers(0, 3, n)
    if name == "sticky":  # a new uniform action with probability 0.1
        return np.where(rng.random(n) < 0.1, rng.integers(0, 3, n), previous)
    return tracking(obs)


def vec_rate(num_envs: int, policy_name: str, game_steps: int, seed: int) -> tuple[float, float]:
    """Game-steps/s (policy included) and mean length of the episodes that ended while timing."""
    venv = PongVecEnv(num_envs)
    obs, _ = venv.reset(seed=seed)
    rng = np.random.default_rng(seed)
    actions = np.full(num_envs, 2)
    for _ in range(300):  # untimed: let the games' episodes drift out of step with each other
        actions = policy(policy_name, obs, rng, actions)
        obs = venv.step(actions)[0]
    steps = min(max(game_steps // num_envs, 100), 20_000)  # small num_envs are slow per game
    lengths = episodes = 0
    start = time.perf_counter()
    for _ in range(steps):
        actions = policy(policy_name, obs, rng, actions)
        obs, _, terminated, truncated, info = venv.step(actions)
        done = info["_final_obs"]
        episodes += int(done.sum())
        lengths += int(info["episode_length"][done].sum())
    rate = steps * num_envs / (time.perf_counter() - start)
    return rate, lengths / episodes if episodes else float("nan")


def baseline(policy_name: str, episodes: int, seed: int, cap: int | None = None) -> dict:
    """Returns and lengths through gym.make as the course plays: one env, reset(seed=24) (a never-seeded
    original) then reset() before each game, loops capped at ``cap`` steps (None: to the end of the game)."""
    env = gym.make(ENV_ID)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=24)
    returns, lengths, won = [], [], 0
    action = np.array([2])
    for _ in range(episodes):
        total, length, done = 0.0, 0, False
        while not done and (cap is None or length < cap):
            action = policy(policy_name, obs[None, :], rng, action)
            obs, reward, terminated, truncated, _ = env.step(int(action[0]))
            total, length, done = total + reward, length + 1, terminated or truncated
        won += total > 0 and done
        returns.append(total)
        lengths.append(length)
        obs, _ = env.reset()
    return {"episodes": episodes, "cap": cap, "return_mean": float(np.mean(returns)),
            "return_std": float(np.std(returns)), "length_mean": float(np.mean(lengths)),
            "length_std": float(np.std(lengths)), "length_min": int(min(lengths)), "length_max": int(max(lengths)),
            "won": int(won)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500_000, help="steps per single-env measurement")
    parser.add_argument("--game-steps", type=int, default=1_000_000, help="game-steps per vector measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--episodes", type=int, default=200, help="games per random baseline")
    parser.add_argument("--tracking-episodes", type=int, default=50, help="games (of 10,000 steps) for tracking")
    parser.add_argument("--num-envs", type=int, nargs="+", default=[1, 16, 64, 256, 1024])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="50k steps, 1 repeat, fewer games: a rough check")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.game_steps, args.repeats = 50_000, 100_000, 1
        args.episodes, args.tracking_episodes = 50, 10

    r = {"python": platform.python_version(), "numpy": np.__version__, "gymnasium": gym.__version__,
         "steps": args.steps, "repeats": args.repeats}
    r["steps_per_s_gym_make"] = best_of(args.repeats, lambda: single_env_rate(gym.make(ENV_ID), args.steps, args.seed))
    r["steps_per_s_gym_make_sample"] = best_of(
        args.repeats, lambda: single_env_rate(gym.make(ENV_ID), args.steps, args.seed, sample_in_loop=True))
    r["steps_per_s_raw"] = best_of(args.repeats, lambda: single_env_rate(PongEnv(), args.steps, args.seed))
    r["reset_ms"] = min(reset_cost_ms(PongEnv, 20_000) for _ in range(args.repeats))

    print(f"{'single env (uniform random, with resets)':<52}{'kit':>12}{'original':>12}")
    print(f"{'  gym.make, actions drawn beforehand   steps/s':<52}{r['steps_per_s_gym_make']:>12,.0f}"
          f"{ORIGINAL['steps_per_s_gym_make']:>12,}")
    print(f"{'  gym.make, action_space.sample()      steps/s':<52}{r['steps_per_s_gym_make_sample']:>12,.0f}")
    print(f"{'  raw env                              steps/s':<52}{r['steps_per_s_raw']:>12,.0f}"
          f"{ORIGINAL['steps_per_s_raw']:>12,}")
    print(f"{'  one reset                                 ms':<52}{r['reset_ms']:>12.4f}{ORIGINAL['reset_ms']:>12}")

    r["vector"] = []
    print(f"\n{'PongVecEnv game-steps/s':<34}" + "".join(f"{'n=' + str(n):>12}" for n in args.num_envs))
    for name in ("uniform", "tracking"):
        rates = []
        for n in args.num_envs:
            rate, length = max(vec_rate(n, name, args.game_steps, args.seed) for _ in range(args.repeats))
            rates.append(rate)
            r["vector"].append({"policy": name, "num_envs": n, "game_steps_per_s": rate, "mean_length": length})
        label = f"  {name}" + (" (games ~500 steps)" if name == "uniform" else " (no game ends)")
        print(f"{label:<34}" + "".join(f"{x:>12,.0f}" for x in rates))

    print(f"\n{'baselines (course protocol)':<34}{'return':>18}{'length mean +/- std (min-max)':>36}")
    for name, key, episodes, cap in (("uniform", "uniform", args.episodes, None),
                                     ("sticky", "sticky", args.episodes, None),
                                     ("tracking", "tracking_10k", args.tracking_episodes, CAP)):
        b = r[f"baseline_{key}"] = baseline(name, episodes, args.seed, cap)
        o = ORIGINAL[key]
        print(f"{'  ' + key + f', kit ({episodes} games)':<34}{b['return_mean']:>10.2f} +/- {b['return_std']:<4.2f}"
              f"{b['length_mean']:>14.1f} +/- {b['length_std']:<5.0f} ({b['length_min']}-{b['length_max']})")
        span = (f"{o['length_mean']:>14.1f} +/- {o['length_std']:<5} ({o['length_min']}-{o['length_max']})"
                if "length_min" in o else "")
        print(f"{'  ' + key + ', original (spec)':<34}{o['return_mean']:>10.2f} +/- {o['return_std']:<4.2f}{span}")
    r["original"] = ORIGINAL
    print(json.dumps(r))


if __name__ == "__main__":
    main()
