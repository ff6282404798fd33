"""Can the kit's batched REINFORCE learn Pong-PLE-v0? Train one seed with one config and evaluate it as the kit does.

    python research/pong_training.py --seed 0                              # the best config found (BEST below)
    python research/pong_training.py --seed 3 --config '{"h_size": 64, "lr": 0.01}'   # BEST with changes
    python research/pong_training.py --seeds 0 1 2 --out runs.jsonl         # several seeds, one after the other

This is ``helpers.reinforce.train_and_evaluate`` step for step (``make_policy``, Adam, ``train_batched`` on
``config.make_train_env()`` -- one ``PongVecEnv(n_envs, max_episode_steps=train_max_t or max_t)`` -- with the
config's ``train_kwargs()``, then ``evaluate_agent`` with the config's cap, greedy flag and eval seed), timed on
one thread, with the training and evaluation times apart. ``--list-envs`` trains on a list of ``n_envs`` ordinary
``gym.make`` envs instead (the same games, stepped one by one), for comparison.

``--config`` takes ReinforceConfig fields as JSON (tuples as lists). One field is research-only: ``obs_features``
may name a transform defined here (``PONG_FEATURES``), registered into ``helpers.features.OBS_FEATURES`` for
the run. The result line holds the evaluation (mean, std, mean - std over ``n_evaluation_episodes`` games of at
most ``max_t`` steps), the training time in seconds (one thread) and the training curve's last averages.

Findings (2 shared cores, one thread per run, one run at a time; result = mean - std of 10 greedy evaluation games
of at most 10,000 steps; for scale, random play scores -16 and the rule "move toward the ball's height" 2.7 +/- 1.06,
about 1.6-2.0 as a result):

* BEST (two hidden layers of 128, lr 3e-3, 64 games, 64 episodes per update, 8,192 episodes, training games
  capped at 2,000 steps, gamma 0.99, observation divided by (24, 4, 24, 32, 24, 36, 36)): seeds 0-9 give
  2.05 1.80 1.83 1.70 1.92 1.66 1.48 1.94 1.47 2.11, all >= 0, median 1.81, 6 of 10 >= 1.7, in 85-95 s of
  training each (median 87 s) plus ~4 s of evaluation. ``train_and_evaluate(defaults.PONG, seed=9)`` gives the
  same 2.11. The agents return every ball and win 2-3 points per 10,000 steps (seed 6: won 1-4 points a game,
  lost none), about what the tracking rule wins on the same evaluation games (2.8 +/- 0.75: result 2.05); none
  learned to score fast (a planner wins 11:0 in ~7,000 steps). Learning starts after ~2,000 episodes (the
  training return rises from -16 to ~0 by ~5,000 episodes).
* The same with 64 hidden units: all 10 seeds >= 0 but lower, median 1.58 (2.45 1.48 1.72 1.51 1.03 1.83 1.66
  1.58 1.40 2.07), 72-115 s with an earlier, slower PongVecEnv (61 s for seed 0 with the current one).
* No better than that (3 seeds each, 64 units unless said): 16,384 episodes (1.88 1.66 1.60); 128 games and
  episodes per update for 16,384 episodes (1.45 1.74 1.72); 256 of each for 32,768 (2.23 1.60 1.30); training games
  capped at 5,000 (2.11 1.40 1.48); gamma 0.995 (1.51 1.20 1.74) or 0.98 (1.22 1.96 1.60); lr 1e-3 for 16,384
  episodes (1.94 1.69 1.20); inputs re-expressed around the paddle ("pong-relative" below: 1.80 1.35 1.12);
  lr 1e-2 (10 seeds: median 1.89 but two seeds at 0.76 and 0.96). Training longer does not help: one seed (64 units)
  evaluated every 4,096 episodes up to 49,152 (6.5 min) wandered between 0.66 and 2.22 after the first 12,000.
* Failed: no observation scaling (one seed of 3 never learned: -16); the course-sized policy (one hidden layer
  of 16: -16 on all 3 seeds in 8,192 episodes); 128 hidden units with lr 1e-2 (4 of 8 seeds collapsed to -16 or
  below 0).
* The kit's list-of-envs path (64 ``gym.make`` envs stepped one by one) trains the same config in 103 s instead
  of 91 s: the policy's forward passes, not the env, take most of the time.
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

from helpers import features  # noqa: E402
from helpers import reinforce as rf  # noqa: E402
from helpers.defaults import ReinforceConfig  # noqa: E402
from helpers.pong import PongVecEnv  # noqa: E402


def pong_relative(x: torch.Tensor) -> torch.Tensor:
    """Pong's 7 values re-expressed around the agent's paddle (research only): the ball's height relative to
    the paddle, the paddle's velocity, the ball's x, its velocities, the CPU paddle relative to the ball, and
    the paddle's height from the middle (for the walls)."""
    ya, va, yc, bx, by, vx, vy = x.unbind(-1)
    return torch.stack([by - ya, va, bx - 32.0, vx, vy, yc - by, ya - 24.0], dim=-1)


PONG_FEATURES = {"pong-relative": pong_relative}

# The best config found (the findings in the module docstring); the same values as helpers.defaults.PONG.
BEST = dict(env_id="Pong-PLE-v0", h_size=128, policy_class="PixelcopterPolicy", n_training_episodes=8192,
            max_t=10_000, gamma=0.99, lr=3e-3, n_envs=64, batch_episodes=64, train_max_t=2000,
            obs_scale=(24.0, 4.0, 24.0, 32.0, 24.0, 36.0, 36.0))


def make_config(changes: dict) -> ReinforceConfig:
    fields = {**BEST, **changes}
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
    name = fields.get("obs_features")
    if name in PONG_FEATURES:
        features.OBS_FEATURES.setdefault(name, PONG_FEATURES[name])
    return ReinforceConfig(**fields)


def evaluate(config: ReinforceConfig, policy) -> tuple[float, float]:
    eval_env = config.make_env()
    mean, std = rf.evaluate_agent(eval_env, config.max_t, config.n_evaluation_episodes, policy,
                                  greedy=config.eval_greedy, seed=config.eval_seed)
    eval_env.close()
    return mean, std


def train_one(config: ReinforceConfig, seed: int, *, list_envs: bool = False, print_every: int = 0,
              save: str | None = None, eval_every: int = 0) -> dict:
    """``train_and_evaluate`` with the Pong vector env as the training env; timings on one thread.

    ``eval_every`` (a multiple of the batch) also evaluates the policy every that many training episodes.
    Training then runs in chunks, each continuing the previous one's envs, optimizer and torch RNG, so the
    final policy is the one an unbroken run gives (the evaluations draw no torch random numbers).
    """
    torch.set_num_threads(1)
    start = time.perf_counter()
    policy = rf.make_policy(config, seed)
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.lr)
    if list_envs:  # play_episodes caps these itself at train_max_t
        env = [config.make_env() for _ in range(config.n_envs)]
    else:
        env = config.make_train_env()
        assert isinstance(env, PongVecEnv) and env.max_episode_steps == (config.train_max_t or config.max_t)
    kwargs = config.train_kwargs()
    total = kwargs.pop("n_training_episodes")
    batch = config.batch_episodes or config.n_envs
    if eval_every and eval_every % batch:
        raise ValueError(f"eval_every must be a multiple of the batch ({batch}), got {eval_every}.")
    scores, evals, train_s = [], [], 0.0
    while len(scores) < total:
        n = min(eval_every or total, total - len(scores))
        scores += rf.train_batched(policy, optimizer, env, n_training_episodes=n, print_every=print_every,
                                   seed=seed if not scores else None, progress=False, **kwargs)
        train_s += time.perf_counter() - start
        if len(scores) < total:
            mean, std = evaluate(config, policy)
            evals.append({"episodes": len(scores), "train_s": round(train_s, 1), "mean": mean,
                          "result": round(mean - std, 3)})
            print(json.dumps(evals[-1]), flush=True)
        start = time.perf_counter()
    mean, std = evaluate(config, policy)
    eval_s = time.perf_counter() - start
    if save:
        torch.save(policy, save)
    curve = [float(np.mean(scores[max(0, k - 256):k])) for k in range(256, len(scores) + 1, 256)]
    return {"seed": seed, "mean": mean, "std": std, "result": mean - std, "train_s": round(train_s, 1),
            "eval_s": round(eval_s, 1), "episodes": len(scores), "evals": evals,
            "curve_avg256": [round(c, 2) for c in curve]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs="+", help="train these seeds one after the other")
    parser.add_argument("--config", default="{}", help="ReinforceConfig fields (JSON) that replace BEST's")
    parser.add_argument("--name", default="", help="a label for the result lines")
    parser.add_argument("--out", help="append one JSON line per seed to this file")
    parser.add_argument("--list-envs", action="store_true", help="train on a list of gym.make envs instead")
    parser.add_argument("--print-every", type=int, default=0)
    parser.add_argument("--eval-every", type=int, default=0, help="also evaluate every N training episodes")
    parser.add_argument("--save", help="save the trained policy (torch.save) to this path ({seed} is replaced)")
    args = parser.parse_args()
    changes = json.loads(args.config)
    config = make_config(changes)
    for seed in args.seeds or [args.seed]:
        save = args.save.replace("{seed}", str(seed)) if args.save else None
        r = {"name": args.name, "changes": changes, **train_one(config, seed, list_envs=args.list_envs,
                                                                 print_every=args.print_every, save=save,
                                                                 eval_every=args.eval_every)}
        line = json.dumps(r)
        print(line, flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    main()
