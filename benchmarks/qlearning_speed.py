"""Is the kit's `train` as fast as the course's plain loop? Same env, same episodes, best of 3.

    python benchmarks/qlearning_speed.py [--episodes 25000]

The course's loop (argmax greedy, Python `random`, bootstrapping from terminal states) is reproduced here
only as a timing baseline. Prints a line per variant and one JSON line.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers import defaults, qlearning  # noqa: E402


def course_loop(env, hp, n_episodes: int, seed: int) -> np.ndarray:
    random.seed(seed)
    env.reset(seed=seed)
    env.action_space.seed(seed)
    Q = np.zeros((env.observation_space.n, env.action_space.n))
    for episode in range(n_episodes):
        epsilon = hp.min_epsilon + (hp.max_epsilon - hp.min_epsilon) * np.exp(-hp.decay_rate * episode)
        state, info = env.reset()
        for step in range(hp.max_steps):
            if random.uniform(0, 1) > epsilon:
                action = np.argmax(Q[state])
            else:
                action = env.action_space.sample()
            new_state, reward, terminated, truncated, info = env.step(action)
            Q[state][action] = Q[state][action] + hp.learning_rate * (
                reward + hp.gamma * np.max(Q[new_state]) - Q[state][action])
            if terminated or truncated:
                break
            state = new_state
    return Q


def kit_loop(env, hp, n_episodes: int, seed: int) -> np.ndarray:
    Q = qlearning.initialize_q_table(env.observation_space.n, env.action_space.n)
    kwargs = {**hp.train_kwargs(), "n_training_episodes": n_episodes}
    return qlearning.train(env=env, Qtable=Q, seed=seed, progress=False, **kwargs)


def best_of(fn, repeats: int) -> float:
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        fn(seed)
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=25_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    # Both loops use the course's Taxi schedule (min_epsilon 0.05), so they explore equally and take as many steps.
    hp = defaults.TAXI.replace(min_epsilon=0.05)
    env = hp.make_env()
    course = best_of(lambda s: course_loop(env, hp, args.episodes, s), args.repeats)
    kit = best_of(lambda s: kit_loop(env, hp, args.episodes, s), args.repeats)
    print(f"course loop: {course:.2f} s for {args.episodes} Taxi episodes")
    print(f"kit train:   {kit:.2f} s ({kit / course:.2f}x the course loop)")
    print(json.dumps({"episodes": args.episodes, "course_seconds": round(course, 2), "kit_seconds": round(kit, 2),
                      "ratio": round(kit / course, 3)}))


if __name__ == "__main__":
    main()
