"""Where does a Pixelcopter agent crash? Plays greedy episodes and counts the causes.

    python research/pixelcopter_crashes.py --model hub_exports/Reinforce-Pixelcopter-PLE-v0/model.pt
    python research/pixelcopter_crashes.py --train-seed 1      # trains with defaults.PIXELCOPTER first

The cause comes from the environment (``info["crash"]``). Crashes into "block just passed" or into "a segment
the observation does not show" are on things the policy cannot see (spec section 8): a policy without
memory can avoid them only by flying cautiously. Prints one line per cause, then a JSON line.
"""
import argparse
import collections
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import helpers  # noqa: E402,F401  (registers Pixelcopter-PLE-v0)
from helpers import defaults  # noqa: E402


def crash_causes(policy, n_episodes: int, seed: int, max_t: int) -> dict:
    """Greedy episodes of at most ``max_t`` steps; returns survival statistics and the crash causes."""
    import gymnasium as gym
    import torch

    env = gym.make("Pixelcopter-PLE-v0")
    causes, lengths = collections.Counter(), []
    with torch.no_grad():
        for episode in range(n_episodes):
            state, _ = env.reset(seed=seed) if episode == 0 else env.reset()
            for step in range(1, max_t + 1):
                probs = policy(torch.as_tensor(state, dtype=torch.float32).unsqueeze(0))
                state, _, terminated, _, info = env.step(int(probs.argmax()))
                if terminated:
                    causes[info["crash"]] += 1
                    break
            else:
                causes[f"survived {max_t} steps"] += 1
            lengths.append(step)
    env.close()
    return {"episodes": n_episodes, "mean_steps": float(np.mean(lengths)), "std_steps": float(np.std(lengths)),
            "causes": dict(causes.most_common())}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a policy file saved by the kit (model.pt)")
    source.add_argument("--train-seed", type=int, help="train with defaults.PIXELCOPTER and this seed first")
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--seed", type=int, default=123, help="seeds the first reset (default 123)")
    parser.add_argument("--max-t", type=int, default=defaults.PIXELCOPTER.max_t)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    if args.model:
        from helpers.hub import load_model_file

        policy = load_model_file(args.model)
    else:
        from helpers.reinforce import train_and_evaluate

        start = time.perf_counter()
        policy, mean, std, _ = train_and_evaluate(defaults.PIXELCOPTER, seed=args.train_seed, progress=False)
        print(f"trained in {time.perf_counter() - start:.0f} s; kit evaluation {mean:.1f} +/- {std:.1f}")
    report = crash_causes(policy, args.episodes, args.seed, args.max_t)
    print(f"survival: {report['mean_steps']:.0f} +/- {report['std_steps']:.0f} steps over {args.episodes} episodes")
    for cause, count in report["causes"].items():
        print(f"  {count:4d}  {cause}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
