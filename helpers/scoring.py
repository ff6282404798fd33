"""The course's score and pass marks, checked locally (the course leaderboard is gone).

score ("result") = mean_reward - std_reward over the evaluation episodes, with the population std
(``np.std``), exactly as the course's leaderboard computed it.
"""
from __future__ import annotations

import math
from typing import Callable

from helpers.arguments import number, text
from helpers.errors import KitArgumentError
from helpers import provenance
from helpers.i18n import _

# The registries each unit fills with one line per env (``register``; helpers/unit2.py, helpers/unit4.py).
PASS_MARKS: dict[str, float] = {}  # env name on the model card -> the pass mark on the result
KIT_MARKS: set[str] = set()  # the envs whose mark is the kit's own: the course sets none
# What to try when an agent fails: ``fn(mean, std, trained_with)`` returns a hint that fits the run at hand, or
# None. ``trained_with`` is the provenance record of the agent.
ADVICE: dict[str, Callable[[float, float, "dict | None"], "str | None"]] = {}


def register(env_name: str, mark: float, advice: Callable | None = None, *, kit_mark: bool = False) -> None:
    """A unit's line for ``env_name``: its pass mark (``kit_mark``: the kit's own) and its advice."""
    PASS_MARKS[env_name] = float(mark)
    if kit_mark:
        KIT_MARKS.add(env_name)
    if advice is not None:
        ADVICE[env_name] = advice


def result(mean_reward: float, std_reward: float) -> float:
    """The course's score: mean minus (population) standard deviation."""
    return float(mean_reward) - float(std_reward)


def check_scores(mean_reward, std_reward, what: str | None = None) -> tuple[float, float]:
    """(mean, std) as floats, if both are finite and std is not negative: NaN never reaches a pass line, a
    results.json or a model card. ``what`` names the evaluation in the message (default "The evaluation")."""
    mean_reward, std_reward = float(mean_reward), float(std_reward)
    what = _("The evaluation") if what is None else what
    if not (math.isfinite(mean_reward) and math.isfinite(std_reward)):
        raise ValueError(_("{what} gave mean {mean} +/- {std}: not a number. An episode's reward was NaN or "
                           "infinite (check the env and the agent's rewards), or no episode was played.",
                           what=what, mean=mean_reward, std=std_reward))
    if std_reward < 0:
        raise KitArgumentError(_("std_reward is {std!r}, but a standard deviation is never negative: pass the "
                                 "(mean, std) that evaluate_agent returned, in that order.", std=std_reward))
    return mean_reward, std_reward


def _check_pass_args(env_name, mean_reward, std_reward, trained_with) -> None:
    text("env_name", env_name, "Taxi-v3")
    number("mean_reward", mean_reward, finite=False), number("std_reward", std_reward, finite=False)
    if not (trained_with is None or isinstance(trained_with, dict)):
        raise KitArgumentError(_("trained_with is {value!r}: leave it out (the kit finds who trained the agent), or "
                                 "pass the record provenance gives.", value=trained_with))


def pass_line(env_name: str, mean_reward: float, std_reward: float, trained_with: dict | None = None) -> str:
    """One fixed, parseable line, e.g. ``Taxi-v3: 7.56 +/- 2.71 -> result 4.85 >= 4.5 PASS (trained with your code)``.

    Envs without a pass mark end in ``(no pass mark)``; where the mark is the kit's own (``KIT_MARKS``), the
    line says so. ``trained_with`` (a ``provenance`` record) says whose code trained the agent; a pass with
    any of the kit's reference code reads ``PASS, but trained with the kit's code for: ...``.
    """
    _check_pass_args(env_name, mean_reward, std_reward, trained_with)
    mean_reward, std_reward = check_scores(mean_reward, std_reward)
    score = result(mean_reward, std_reward)
    line = _("{env}: {mean:.2f} +/- {std:.2f} -> result {score:.2f}", env=env_name, mean=mean_reward,
             std=std_reward, score=score)
    mark = PASS_MARKS.get(env_name)
    who = provenance.describe(trained_with)
    notes = []
    if mark is None:
        notes.append(_("no pass mark"))
    elif score >= mark:
        line = _("{line} >= {mark:g} PASS", line=line, mark=mark)
        # A pass with the kit's code, or not known to be the learner's, does not read like a real pass.
        if who and (provenance.KIT in trained_with.values() or not provenance.known_trainer(trained_with)):
            line, who = _("{line}, but {who}", line=line, who=who), ""
    else:
        line = _("{line} < {mark:g} FAIL", line=line, mark=mark)
    if env_name in KIT_MARKS:
        notes.append(_("the kit's mark; the course has none"))
    notes += [who] if who else []
    return _("{line} ({notes})", line=line, notes=_("; ").join(notes)) if notes else line


def advice(env_name: str, mean_reward: float, std_reward: float, trained_with: dict | None = None) -> str | None:
    """What to try when an agent fails, from what its score (and its training record) says about the cause."""
    mark = PASS_MARKS.get(env_name)
    if mark is None or result(mean_reward, std_reward) >= mark or env_name not in ADVICE:
        return None
    return ADVICE[env_name](mean_reward, std_reward, trained_with)


class Verdict(int):
    """What ``check_pass`` returns: true when the agent passes (``if passed:``, ``passed == True``). Left as
    a cell's last line, it shows nothing under the pass line: a bare ``False`` there would only puzzle."""

    def __repr__(self) -> str:
        return _("passed") if self else _("not passed")

    __str__ = __repr__

    def _ipython_display_(self) -> None:  # Jupyter, Colab, Kaggle: the pass line above already says it
        return None


def check_pass(env_name: str, mean_reward: float, std_reward: float, trained_with: dict | None = None) -> Verdict:
    """Print the pass line and say whether the agent reaches the pass mark (the course's, or the kit's).

    Who trained the agent comes from ``trained_with`` or, by default, from the record of the agent that the
    kit's ``evaluate_agent`` scored ``mean_reward +/- std_reward`` (``provenance.record_for_score``).
    Returns a ``Verdict``, true when it passes, false when it fails or the env has no pass mark.
    """
    _check_pass_args(env_name, mean_reward, std_reward, trained_with)
    check_scores(mean_reward, std_reward)
    if trained_with is None:
        trained_with = provenance.record_for_score(mean_reward, std_reward)
    print(pass_line(env_name, mean_reward, std_reward, trained_with))
    hint = advice(env_name, mean_reward, std_reward, trained_with)
    if hint:
        print("   " + hint)
    mark = PASS_MARKS.get(env_name)
    return Verdict(mark is not None and result(mean_reward, std_reward) >= mark)
