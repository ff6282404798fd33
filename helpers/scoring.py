"""The course's score and pass marks, checked locally (the course leaderboard is gone).

score ("result") = mean_reward - std_reward over the evaluation episodes, with the population std
(``np.std``), exactly as the course's leaderboard computed it.
"""
from __future__ import annotations

import math

# Course pass marks, keyed by the env name used on model cards. Unit 2 is certified on Taxi alone.
COURSE_MARKS = {
    "Taxi-v3": 4.5,
    "CartPole-v1": 350.0,
    "Pixelcopter-PLE-v0": 5.0,
}
# The kit's own marks, where the course sets none. Pong: mean - std >= 0 over 10 games means the agent
# reliably outscores the CPU (random play scores -16 every game).
KIT_MARKS = {
    "Pong-PLE-v0": 0.0,
}
PASS_MARKS = {**COURSE_MARKS, **KIT_MARKS}


def result(mean_reward: float, std_reward: float) -> float:
    """The course's score: mean minus (population) standard deviation."""
    return float(mean_reward) - float(std_reward)


def pass_line(env_name: str, mean_reward: float, std_reward: float, trained_with: dict | None = None) -> str:
    """One fixed, parseable line, e.g. ``Taxi-v3: 7.56 +/- 2.71 -> result 4.85 >= 4.5 PASS``.

    Envs without a pass mark end in ``(no pass mark)``; where the mark is the kit's own (``KIT_MARKS``), the
    line says so. ``trained_with`` (from
    ``provenance.trained_with``) adds who wrote the code that trained the agent, e.g.
    ``(trained with your code)`` or ``(trained with the kit's reference for: train)``.
    """
    from helpers.provenance import describe

    score = result(mean_reward, std_reward)
    head = f"{env_name}: {mean_reward:.2f} +/- {std_reward:.2f} -> result {score:.2f}"
    mark = PASS_MARKS.get(env_name)
    who = describe(trained_with)
    if mark is None:
        return f"{head} (no pass mark; {who})" if who else f"{head} (no pass mark)"
    passed = score >= mark
    line = f"{head} {'>=' if passed else '<'} {mark:g} {'PASS' if passed else 'FAIL'}"
    notes = (["the kit's mark; the course has none"] if env_name in KIT_MARKS else []) + ([who] if who else [])
    return f"{line} ({'; '.join(notes)})" if notes else line


def check_pass(env_name: str, mean_reward: float, std_reward: float, trained_with: dict | None = None) -> bool:
    """Print the pass line and say whether the agent reaches the pass mark (the course's, or the kit's).

    Returns True when it passes, False when it fails or the env has no pass mark.
    """
    if not (math.isfinite(mean_reward) and math.isfinite(std_reward)):
        raise ValueError(f"mean and std must be finite numbers, got {mean_reward!r} and {std_reward!r}: "
                         "did the evaluation run any episode?")
    print(pass_line(env_name, mean_reward, std_reward, trained_with))
    mark = PASS_MARKS.get(env_name)
    return mark is not None and result(mean_reward, std_reward) >= mark
