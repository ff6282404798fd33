"""How far does the Pixelcopter observation get an agent? A planner with exact physics, at four levels of information.

    python research/pixelcopter_planner.py --level observation
    python research/pixelcopter_planner.py --level terrain-memory --blocks 10

No learning here: the planner knows the game's physics exactly and, at every step, searches every
thrust / no-thrust sequence over the next 24 steps (states merged on a 0.1 px grid). It plays the first
action of the sequence that stays furthest from anything it knows could kill it. It is told, per level:

    observation      the 7 values of the current step (what the kit's policies see); as it sees only the
                     segment under the copter, it assumes each segment ahead may differ by up to --drift
                     px from the one before, within the 18-30 px every segment has;
    block-memory     plus the block it has just passed, which the observation drops while it can still
                     hit the copter for about 4 steps (spec section 8);
    terrain-memory   plus every terrain height it has seen so far and the terrain's rules: on which step
                     each segment reaches the copter, that a new batch starts at 18-20 px, and that the
                     next segment is within --spread px of the one before (the spec says up to 5);
    oracle           plus the true heights of the segments ahead (the spec's planner peeks like this).

Each level is scored with the kit's protocol: greedy play, blocks of 10 episodes of at most 10,000 steps
(the first reset of block k seeded with 2024 + k), result = mean - std, PASS at >= 5. The gap between the
levels says what a policy would need to pass every time. Prints one line per block, then a JSON line.
"""
import argparse
import collections
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gymnasium as gym  # noqa: E402

from research.pixelcopter_memory import Memory  # noqa: E402  (remembers the block just passed)
from helpers import pixelcopter as pc  # noqa: E402  (also registers Pixelcopter-PLE-v0)
from helpers import defaults, scoring  # noqa: E402

LEVELS = ("observation", "block-memory", "terrain-memory", "oracle")
HORIZON = 24  # steps searched ahead
MAX_STATES = 3000  # kept per search depth, the safest first
LOWEST_SEGMENT, HIGHEST_SEGMENT = 18, 30  # terrain segment heights (spec section 4)
SEAM_HEIGHT = (18, 20)  # a new batch's first segment: int(24 + 6 sin(f*50 + u)) for every f and u
CEILING_GAP = pc.CORRIDOR_HALF - pc.PLAYER_HEIGHT  # dead if y <= height - 9.6 ...
FLOOR_GAP = pc.CORRIDOR_HALF  # ... or y >= height + 12
DRIFT = 4.0  # px per segment the lower levels allow the unseen terrain to move (neighbours differ by up to 5)


def safest_action(y, v, bands, blocks):
    """Search every action sequence for HORIZON steps; return the first action of the one whose smallest
    clearance (px to the nearest deadly thing, over the known constraints) is largest.

    ``bands[k]`` = (lowest safe y, highest safe y) after step k+1; ``blocks`` = [(centre x, centre y)].
    """
    ys, vs = np.array([y, y]), np.array([v, v])
    first = np.array([0, 1])  # the action each searched sequence starts with
    clearance = np.full(2, np.inf)
    thrust = first == 0
    for k in range(HORIZON):
        if k:
            ys, vs, first, clearance = (np.repeat(a, 2) for a in (ys, vs, first, clearance))
            thrust = np.tile([True, False], len(ys) // 2)
        vs = (vs + np.where(thrust, pc.CLIMB_DV, pc.FALL_DV)) * pc.DAMPING
        ys = ys + vs
        low, high = bands[k]
        c = np.minimum(np.minimum(ys - low, high - ys), np.minimum(ys - pc.TOP_LIMIT, pc.BOTTOM_LIMIT - ys))
        for bx, by in blocks:
            if pc.TOUCH_X_MIN <= bx - pc.SCROLL * (k + 1) < pc.TOUCH_X_MAX:
                c = np.minimum(c, np.maximum(by + pc.BLOCK_HIT_DY_MIN - ys, ys - (by + pc.BLOCK_HIT_DY_MAX)))
        clearance = np.minimum(clearance, c if k < 8 else 0.5 * c)  # the far future is less certain
        alive = clearance > 0
        if not alive.any():
            break
        ys, vs, first, clearance = ys[alive], vs[alive], first[alive], clearance[alive]
        key = np.round(ys * 10).astype(np.int64) * 100_000 + np.round(vs * 50).astype(np.int64)
        order = np.lexsort((-clearance, key))
        keep = order[np.r_[True, key[order][1:] != key[order][:-1]]]  # the safest state per grid cell
        if len(keep) > MAX_STATES:
            keep = keep[np.argsort(-clearance[keep])[:MAX_STATES]]
        ys, vs, first, clearance = ys[keep], vs[keep], first[keep], clearance[keep]
    return int(first[np.argmax(clearance)])


def band(low_height, high_height):
    """Safe y range when the segment's height is somewhere in [low_height, high_height]."""
    return high_height - CEILING_GAP, low_height + FLOOR_GAP


def drifting_bands(height, drift):
    """The safe band after each of the next HORIZON steps when only the current segment's height is known:
    a segment arrives every 6.25 steps, each within ``drift`` px of the last, all within 18-30 px. Far
    enough ahead this is the band that is safe for every height, 20.4 < y < 30."""
    out = []
    for k in range(1, HORIZON + 1):
        r = drift * k / 6.25
        out.append(band(max(height - r, LOWEST_SEGMENT), min(height + r, HIGHEST_SEGMENT)))
    return out


def terrain_bands(level, phase, batch, seen, env, spread):
    """The safe band after each of the next HORIZON steps, from what ``level`` may know.

    ``phase`` is the kit's terrain timetable position (a function of the step count alone), ``batch`` the
    number of terrain batches so far, ``seen`` {(batch, index): height} the segments observed so far.
    """
    out, regenerated = [], 0
    for _ in range(HORIZON):
        phase = pc._next_phase(phase)
        low, high = -np.inf, np.inf
        for newest_minus, index in pc._TOUCHING[phase]:
            b = batch - newest_minus + regenerated  # absolute batch number of this segment
            if level == "oracle":
                h = env._heights[newest_minus - regenerated] if newest_minus >= regenerated else None
                lo_h = hi_h = h[index] if h is not None else None
            else:
                lo_h = hi_h = seen.get((b, index))
            if lo_h is None:  # not seen yet: bound it from the rules and the last segment seen
                last = next((j for j in range(index - 1, -1, -1) if (b, j) in seen), None)
                if last is not None:
                    r = spread * (index - last)
                    lo_h, hi_h = seen[(b, last)] - r, seen[(b, last)] + r
                else:
                    lo_h, hi_h = (SEAM_HEIGHT[0], SEAM_HEIGHT[1] + spread * index) if b else (
                        LOWEST_SEGMENT, HIGHEST_SEGMENT)
                lo_h, hi_h = max(lo_h, LOWEST_SEGMENT), min(hi_h, HIGHEST_SEGMENT)
            seg_low, seg_high = band(lo_h, hi_h)
            low, high = max(low, seg_low), min(high, seg_high)
        out.append((low, high))
        regenerated += pc._NEW_BATCH[phase]
    return out


def play_episode(env, level, max_t, spread, drift=DRIFT, seed=None):
    """One greedy episode; returns (total reward, steps, crash cause or None)."""
    obs, _ = env.reset(seed=seed)
    phase, batch, seen, total = 0, 0, {}, 0.0
    memory = Memory(1)
    memory.start(np.arange(1), obs[None])
    for step in range(1, max_t + 1):
        y, v, to_ceiling, _, gate, gate_y, _ = obs
        height = round(y - to_ceiling + pc.CORRIDOR_HALF)
        newest_minus, index = pc._TOUCHING[phase][0]  # the segment the observation shows
        seen[(batch - newest_minus, index)] = height
        if level in ("observation", "block-memory"):
            bands = drifting_bands(height, drift)
        else:
            bands = terrain_bands(level, phase, batch, seen, env.unwrapped, spread)
        blocks = [(pc.PLAYER_X + gate, gate_y)]
        if memory.passed[0] and level != "observation":
            blocks.append((memory.passed_x[0], memory.passed_y[0]))
        obs, reward, terminated, _, info = env.step(safest_action(y, v, bands, blocks))
        total += reward
        phase = pc._next_phase(phase)
        batch += pc._NEW_BATCH[phase]
        memory.update(obs[None], np.array([False]))
        if terminated:
            return total, step, info["crash"]
    return total, max_t, None


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--level", choices=LEVELS, required=True)
    parser.add_argument("--blocks", type=int, default=10, help="evaluation blocks of 10 episodes (default 10)")
    parser.add_argument("--first-block", type=int, default=0)
    parser.add_argument("--max-t", type=int, default=defaults.PIXELCOPTER.max_t)
    parser.add_argument("--spread", type=float, default=3.0,
                        help="terrain-memory: assumed largest step between neighbouring segments, px (default 3)")
    parser.add_argument("--drift", type=float, default=DRIFT,
                        help="observation and block-memory: assumed change of the terrain per segment ahead, px "
                             "(default %(default)s; 0 assumes the terrain stays as it is now)")
    args = parser.parse_args(argv)

    config = defaults.PIXELCOPTER
    env = gym.make("Pixelcopter-PLE-v0")
    causes, lengths, results = collections.Counter(), [], []
    start = time.perf_counter()
    for k in range(args.first_block, args.first_block + args.blocks):
        rewards = []
        for episode in range(config.n_evaluation_episodes):
            total, steps, crash = play_episode(env, args.level, args.max_t, args.spread, args.drift,
                                               seed=config.eval_seed + k if episode == 0 else None)
            rewards.append(total)
            lengths.append(steps)
            causes[crash or f"reached {args.max_t} steps"] += 1
        mean, std = float(np.mean(rewards)), float(np.std(rewards))
        results.append(scoring.result(mean, std))
        print(f"block {k}: " + scoring.pass_line("Pixelcopter-PLE-v0", mean, std), flush=True)
    env.close()
    passed = sum(r >= scoring.PASS_MARKS["Pixelcopter-PLE-v0"] for r in results)
    print(f"{args.level}: {passed}/{len(results)} blocks pass; survival {np.mean(lengths):.0f} +/- "
          f"{np.std(lengths):.0f} steps; crashes: {dict(causes.most_common())}")
    print(json.dumps({"benchmark": "pixelcopter-planner", "level": args.level, "blocks": len(results),
                      "passed": int(passed), "median_result": float(np.median(results)),
                      "results": [round(r, 2) for r in results], "mean_steps": float(np.mean(lengths)),
                      "std_steps": float(np.std(lengths)), "causes": dict(causes),
                      "seconds": round(time.perf_counter() - start, 1)}))


if __name__ == "__main__":
    main()
