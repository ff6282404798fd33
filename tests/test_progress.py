"""helpers.hub.progress against the loopback Hub double: the course's certificate rules, each trap, each error.

Cards are seeded in the shapes real course pushes write (the kit's own unit 2 / unit 4 cards, Stable-Baselines3,
ML-Agents, CleanRL and Sample Factory pushes). The kit's own pushes are also checked against an independent
re-implementation of the checker's parsing (``_reference_checker``), so that helpers.hub.progress cannot agree with
itself by mistake.
"""
from __future__ import annotations

import os
import re
import socket
import sys
import time
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import huggingface_hub  # noqa: E402
import huggingface_hub.utils  # noqa: E402,F401  (the fixture resets its sessions)
from huggingface_hub import constants  # noqa: E402

from helpers.hub import client, progress  # noqa: E402
from hub_double import HubDouble, in_child  # noqa: E402

USER = "learner"
NO_TORCH = "torch is not installed (the platform runs in tests/platforms.sh have no CPU wheel for this Python)"


# ---- fixtures ------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def isolated_hf(tmp_path, monkeypatch):
    """No real token, no real cache, no real endpoint, no real waiting (the sleeps are recorded)."""
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT", "KAGGLE_KERNEL_RUN_TYPE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf_cache"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no_token_here"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.chdir(tmp_path)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    yield
    reset = getattr(huggingface_hub.utils, "reset_sessions", None)
    if reset is not None:
        reset()


@pytest.fixture
def sleeps(monkeypatch):
    waited = []
    monkeypatch.setattr(time, "sleep", waited.append)
    return waited


@pytest.fixture
def double():
    with HubDouble(user=USER, extra_users=("eighty", "nobody-home")) as d:
        yield d


# ---- cards in the shapes real pushes write -----------------------------------------------------------------
def card(tags, value=None, dataset=None, library_name=None, body="# An agent\n") -> bytes:
    """A README.md with YAML metadata as huggingface_hub's metadata_save writes it (``value`` None: no
    model-index)."""
    meta = {}
    if library_name:
        meta["library_name"] = library_name
    meta["tags"] = list(tags)
    if value is not None:
        name = dataset or tags[0]
        meta["model-index"] = [{"name": "agent", "results": [{
            "task": {"type": "reinforcement-learning", "name": "reinforcement-learning"},
            "dataset": {"name": name, "type": name},
            "metrics": [{"type": "mean_reward", "value": value, "name": "mean_reward", "verified": False}]}]}]
    return ("---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n\n" + body).encode()


# One passing repo per assignment, each in the shape its course unit pushes.
COURSE_REPOS = [
    ("ppo-LunarLander-v2", lambda v: card(["LunarLander-v2", "deep-reinforcement-learning", "reinforcement-learning",
                                           "stable-baselines3"], v, library_name="stable-baselines3"), 200),
    ("q-Taxi-v3", lambda v: card(["Taxi-v3", "q-learning", "reinforcement-learning", "custom-implementation"], v), 4),
    ("dqn-SpaceInvadersNoFrameskip-v4", lambda v: card(["SpaceInvadersNoFrameskip-v4", "deep-reinforcement-learning",
                                                        "reinforcement-learning", "stable-baselines3"], v,
                                                       library_name="stable-baselines3"), 200),
    ("Reinforce-CartPole-v1", lambda v: card(["CartPole-v1", "reinforce", "reinforcement-learning",
                                              "custom-implementation", "deep-rl-class"], v), 350),
    ("Reinforce-Pixelcopter-PLE-v0", lambda v: card(["Pixelcopter-PLE-v0", "reinforce", "reinforcement-learning",
                                                     "custom-implementation", "deep-rl-class"], v), 5),
    # ML-Agents pushes carry no model-index: the checker scores them 0, above its -100 floor.
    ("ppo-SnowballTarget", lambda v: card(["ML-Agents-SnowballTarget", "SnowballTarget", "deep-reinforcement-learning",
                                           "reinforcement-learning"], None, library_name="ml-agents"), -100),
    ("ppo-Pyramids", lambda v: card(["ML-Agents-Pyramids", "Pyramids", "deep-reinforcement-learning",
                                     "reinforcement-learning"], None, library_name="ml-agents"), -100),
    ("a2c-PandaReachDense-v3", lambda v: card(["PandaReachDense-v3", "deep-reinforcement-learning",
                                               "reinforcement-learning", "stable-baselines3"], v,
                                              library_name="stable-baselines3"), -3.5),
    ("poca-SoccerTwos", lambda v: card(["ML-Agents-SoccerTwos", "SoccerTwos", "deep-reinforcement-learning",
                                        "reinforcement-learning"], None, library_name="ml-agents"), -100),
    ("ppo-LunarLander-v2-cleanrl", lambda v: card(["LunarLander-v2", "ppo", "deep-reinforcement-learning",
                                                    "reinforcement-learning", "custom-implementation",
                                                    "deep-rl-course"], v), -500),
    ("rl_course_vizdoom_health_gathering_supreme", lambda v: card(
        ["deep-reinforcement-learning", "reinforcement-learning", "sample-factory"], v,
        dataset="doom_health_gathering_supreme", library_name="sample-factory"), 5),
]
N = len(COURSE_REPOS)


def seed_course(hub, user, n_pass, exact=False, skip=()):
    """``user`` gets one repo per assignment (none for the names in ``skip``); the first ``n_pass`` reach the
    minimum (exactly, with ``exact``), the others miss it by one. ML-Agents repos (no model-index) always pass, so
    they come first."""
    order = sorted(range(N), key=lambda i: COURSE_REPOS[i][2] != -100)
    for rank, i in enumerate(order):
        name, make, minimum = COURSE_REPOS[i]
        mean = minimum + (0 if exact else 2.5) if rank < n_pass else minimum - 1
        if name not in skip:
            hub.add_repo(f"{user}/{name}", {"README.md": make(f"{mean + 0.5:.2f} +/- 0.50")})
    return order


def row(report, env_id, library=None):
    (found,) = [r for r in report.rows if r.env_id == env_id and library in (None, r.library)]
    return found


def summary_line(report) -> str:
    (line,) = [x for x in str(report).splitlines() if x.startswith("Passed ")]
    return line


# ---- the checker's rules ---------------------------------------------------------------------------------
def test_the_course_has_eleven_assignments_with_the_certificates_minimums():
    got = [(a.unit_name, a.env_tags, a.library, a.min_result) for a in progress.ASSIGNMENTS]
    assert got == [
        ("1", ("LunarLander-v2",), "stable-baselines3", 200), ("2", ("Taxi-v3",), "q-learning", 4),
        ("3", ("SpaceInvadersNoFrameskip-v4",), "stable-baselines3", 200),
        ("4", ("CartPole-v1",), "reinforce", 350), ("4", ("Pixelcopter-PLE-v0",), "reinforce", 5),
        ("5", ("ML-Agents-SnowballTarget",), "ml-agents", -100), ("5", ("ML-Agents-Pyramids",), "ml-agents", -100),
        ("6", ("PandaReachDense-v3", "PandaReachDense-v2"), "stable-baselines3", -3.5),
        ("7", ("ML-Agents-SoccerTwos",), "ml-agents", -100),
        ("8 part I", ("LunarLander-v2",), "deep-rl-course", -500),
        ("8 part II", ("doom_health_gathering_supreme",), "sample-factory", 5)]
    assert progress.TIME_BUDGET_S == 60
    import inspect

    assert inspect.signature(progress.check_progress).parameters["time_budget_s"].default == 60


@pytest.mark.parametrize("n_pass, level, words", [
    (8, "none", "no certificate yet (the certificate of completion needs 9 of 11)."),
    (9, "completion", "certificate of completion (all 11 give the certificate of excellence)."),
    (10, "completion", "certificate of completion (all 11 give the certificate of excellence)."),
    (11, "excellence", "certificate of excellence.")])
def test_levels_at_the_80_and_100_percent_marks(double, n_pass, level, words):
    seed_course(double, "eighty", n_pass, exact=True)
    report = progress.check_progress("eighty", endpoint=double.url, token=False)
    assert [(r.unit, r.env_id) for r in report.rows] == [(a.unit_name, a.env_id) for a in progress.ASSIGNMENTS]
    assert report.passed == n_pass and report.level == level and not report.incomplete
    assert summary_line(report) == f"Passed {n_pass} of 11 assignments ({100 * n_pass / 11:.0f} %): {words}"
    for r in report.rows:
        if r.passed and r.library != "ml-agents":
            assert r.best_result == pytest.approx(r.min_result)  # exactly the minimum passes (>=)
        if not r.passed:
            assert r.best_result == pytest.approx(r.min_result - 1) and r.best_repo.startswith("eighty/")
    assert report.notes == [n for n in report.notes if "not passed yet" in n]  # nothing else to explain
    assert len(report.notes) == 11 - n_pass


def test_ten_of_eleven_is_completion_not_excellence(double):
    """Unit 7 (SoccerTwos) is one of the 11: a learner who skipped it gets the certificate of completion."""
    seed_course(double, USER, N, skip=("poca-SoccerTwos",))
    report = progress.check_progress(USER, endpoint=double.url, token=False)
    assert (report.passed, report.level) == (10, "completion")
    assert summary_line(report) == ("Passed 10 of 11 assignments (91 %): certificate of completion (all 11 give the "
                                    "certificate of excellence).")
    assert re.search(r"^7 +ML-Agents-SoccerTwos / ml-agents +>= -100 +- +not yet +-$", str(report), re.M)
    double.add_repo(f"{USER}/poca-SoccerTwos", {"README.md": COURSE_REPOS[8][1](None)})
    report = progress.check_progress(USER, endpoint=double.url, token=False)
    assert report.level == "excellence"
    assert re.search(r"^7 +ML-Agents-SoccerTwos / ml-agents +>= -100 +0\.00 +PASS +learner/poca-SoccerTwos$",
                     str(report), re.M)


def test_nine_of_eleven_with_unit_8_part_1_at_minus_300(double):
    """Unit 8 part I's certificate minimum is -500: a CleanRL agent at -300 passes it."""
    seed_course(double, USER, N, skip=("ppo-LunarLander-v2-cleanrl",))
    for name in ("dqn-SpaceInvadersNoFrameskip-v4", "Reinforce-Pixelcopter-PLE-v0"):
        double.add_repo(f"{USER}/{name}", {"README.md": dict((n, m) for n, m, _ in COURSE_REPOS)[name]("1.00 +/- 0.50")})
    double.add_repo(f"{USER}/ppo-LunarLander-v2-cleanrl", {"README.md": COURSE_REPOS[9][1]("-299.50 +/- 0.50")})
    report = progress.check_progress(USER, endpoint=double.url, token=False)
    part1 = row(report, "LunarLander-v2", "deep-rl-course")
    assert (part1.best_result, part1.passed) == (pytest.approx(-300), True)
    assert (report.passed, report.level) == (9, "completion")
    assert re.search(r"^8 part I +LunarLander-v2 / deep-rl-course +>= -500 +-300\.00 +PASS "
                     r"+learner/ppo-LunarLander-v2-cleanrl$", str(report), re.M)
    assert summary_line(report) == ("Passed 9 of 11 assignments (82 %): certificate of completion (all 11 give the "
                                    "certificate of excellence).")


def test_unit_6_reads_v2_only_when_there_is_no_v3_repo(double):
    v2 = card(["PandaReachDense-v2", "reinforcement-learning", "stable-baselines3"], "-0.50 +/- 0.20")
    double.add_repo(f"{USER}/a2c-PandaReachDense-v2", {"README.md": v2})
    report = progress.check_progress(USER, endpoint=double.url, token=False)
    panda = row(report, "PandaReachDense-v3")
    assert (panda.best_repo, panda.best_result, panda.passed) == (f"{USER}/a2c-PandaReachDense-v2",
                                                                  pytest.approx(-0.7), True)
    # A failing v3 repo beside it: the course reads the v3 repos only, so unit 6 is not passed.
    double.add_repo(f"{USER}/a2c-PandaReachDense-v3", {"README.md": card(
        ["PandaReachDense-v3", "reinforcement-learning", "stable-baselines3"], "-5.00 +/- 1.00")})
    report = progress.check_progress(USER, endpoint=double.url, token=False)
    panda = row(report, "PandaReachDense-v3")
    assert (panda.best_repo, panda.best_result, panda.passed) == (f"{USER}/a2c-PandaReachDense-v3",
                                                                  pytest.approx(-6), False)
    assert re.search(r"^6 +PandaReachDense-v3 / stable-baselines3 +>= -3\.5 +-6\.00 +not yet "
                     r"+learner/a2c-PandaReachDense-v3$", str(report), re.M)
    assert report.notes == [
        f"{USER}/a2c-PandaReachDense-v3 (unit 6 PandaReachDense-v3): result -6.00 < -3.5, not passed yet. Train longer "
        "or with other settings, then push again.",
        f"{USER}/a2c-PandaReachDense-v2 (unit 6 PandaReachDense-v3): tagged PandaReachDense-v2, which the course reads "
        "only when you have no public PandaReachDense-v3 repo at all; you have one, so this result (-0.70) is not "
        "counted. Make your PandaReachDense-v3 repos pass, or make them private."]
    # The v3 repo made private: the certificate (which has no token) reads the v2 repo again.
    double.repos[f"{USER}/a2c-PandaReachDense-v3"].private = True
    owner = progress.check_progress(USER, endpoint=double.url, token=double.READ_TOKEN)
    assert row(owner, "PandaReachDense-v3").passed
    assert row(owner, "PandaReachDense-v3").best_repo == f"{USER}/a2c-PandaReachDense-v2"


def null_value_card(tags, library_name=None) -> bytes:
    text = card(tags, "X", library_name=library_name).decode()
    assert "value: X\n" in text
    return text.replace("value: X\n", "value:\n").encode()   # `value:` with nothing after it: YAML's null


def test_an_empty_value_scores_zero(double):
    double.add_repo(f"{USER}/q-Taxi-v3", {"README.md": null_value_card(["Taxi-v3", "q-learning",
                                                                         "reinforcement-learning"])})
    double.add_repo(f"{USER}/ppo-LunarLander-v2-cleanrl", {"README.md": null_value_card(
        ["LunarLander-v2", "deep-rl-course", "reinforcement-learning"])})
    report = progress.check_progress(USER, endpoint=double.url, token=False)
    taxi, part1 = row(report, "Taxi-v3"), row(report, "LunarLander-v2", "deep-rl-course")
    assert (taxi.best_result, taxi.passed) == (0.0, False) and (part1.best_result, part1.passed) == (0.0, True)
    assert report.notes == [f"{USER}/q-Taxi-v3 (unit 2 Taxi-v3): its metric value is empty, so the checker scores "
                            "it 0 < 4. Push it again with the kit: it writes 'mean +/- std'."]
    assert re.search(r"^2 +Taxi-v3 / q-learning +>= 4 +>= 4\.5 +0\.00 +not yet +learner/q-Taxi-v3$", str(report), re.M)
    assert summary_line(report) == ("Passed 1 of 11 assignments (9 %): no certificate yet (the certificate of "
                                    "completion needs 9 of 11).")


def _no_results_card() -> bytes:
    meta = {"tags": ["Taxi-v3", "q-learning", "reinforcement-learning"], "model-index": [{"name": "q-Taxi-v3"}]}
    return ("---\n" + yaml.safe_dump(meta) + "---\n# x\n").encode()


# (repo name, its README.md, the row it stops, what the note must say after "REPO (LABEL): ")
COURSE_CHECK_STOPPERS = [
    ("q-Taxi-v3-again", card(["Taxi-v3", "q-learning", "reinforcement-learning"], "7.90+/-2.50"), "Taxi-v3",
     "its value '7.90+/-2.50' has no spaces around '+/-', and the course's check stops on it. Write it as "
     "'7.90 +/- 2.50' in README.md's metadata, or push the agent again with the kit."),
    ("sf-no-model-index", card(["deep-reinforcement-learning", "reinforcement-learning", "sample-factory"], None,
                               library_name="sample-factory"), "doom_health_gathering_supreme",
     "a sample-factory repo without a model-index, and the course's check stops on it (it reads every "
     "sample-factory repo's env name there). Push it again with Sample Factory's push_to_hub, which writes one, or "
     "remove its 'sample-factory' tag."),
    ("q-Taxi-v3-no-results", _no_results_card(), "Taxi-v3",
     "its model-index has no results, and the course's check stops on it. Add the evaluation to the model-index "
     "(results, metrics, value), or push the agent again with the kit."),
    ("q-Taxi-v3-empty-text", card(["Taxi-v3", "q-learning", "reinforcement-learning"], ""), "Taxi-v3",
     "its value is an empty text (''), and the course's check stops on it. Write 'mean +/- std' there, or push "
     "the agent again with the kit."),
    ("q-Taxi-v3-broken", b"---\ntags:\n- Taxi-v3\n- q-learning\n- reinforcement-learning\nmodel-index: [oops\n---\n",
     "Taxi-v3", "its card's metadata (the YAML block at the top of README.md) cannot be read ("),
]


@pytest.mark.parametrize("name, readme, env_id, says", COURSE_CHECK_STOPPERS, ids=[c[0] for c in COURSE_CHECK_STOPPERS])
def test_a_card_the_course_check_stops_on_is_named_first(double, name, readme, env_id, says):
    seed_course(double, USER, N)
    double.add_repo(f"{USER}/{name}", {"README.md": readme})
    report = progress.check_progress(USER, endpoint=double.url, token=False)
    assert report.passed == 11 and report.blocked == [f"{USER}/{name}"]
    assert (report.level, report.level_once_fixed) == ("none", "excellence")
    label = [a.label for a in progress.ASSIGNMENTS if a.env_id == env_id][0]
    assert report.notes[0].startswith(f"{USER}/{name} ({label}): {says}") and len(report.notes) == 1
    assert summary_line(report) == (
        "Passed 11 of 11 assignments (100 %), but the course's check stops on one of your cards (named first below) "
        "and fails: no certificate until it is fixed. Once it is fixed, these results give the certificate of "
        "excellence.")
    assert re.search(rf"^\S.* {re.escape(env_id)} / \S+ .* check fails +{USER}/", str(report), re.M)
    lines = str(report).splitlines()
    assert lines[lines.index("Repos to look at:") + 1] == f"- {report.notes[0]}"
    # Private, the card is invisible to the course: it stops nothing.
    double.repos[f"{USER}/{name}"].private = True
    assert progress.check_progress(USER, endpoint=double.url, token=False).level == "excellence"


def test_every_course_card_shape_counts_for_its_assignment(double):
    seed_course(double, USER, N)
    report = progress.check_progress(USER, endpoint=double.url, token=False)
    assert report.level == "excellence" and report.notes == []
    for (name, _, minimum), r in zip(COURSE_REPOS, report.rows):
        assert r.best_repo == f"{USER}/{name}" and r.repos == [r.best_repo]
        expected = 0.0 if r.library == "ml-agents" else minimum + 2.5   # ML-Agents: no model-index scores 0
        assert r.best_result == pytest.approx(expected)


def seed_traps(hub):
    hub.add_repo(f"{USER}/q-Taxi-v3", {"README.md": card(["Taxi-v3", "q-learning", "reinforcement-learning",
                                                          "custom-implementation"], "7.56 +/- 2.71")})
    # a Pixelcopter agent tagged CartPole-v1
    hub.add_repo(f"{USER}/Reinforce-Pixelcopter-PLE-v0", {"README.md": card(
        ["CartPole-v1", "reinforce", "reinforcement-learning", "custom-implementation"], "15.30 +/- 9.10")})
    # a CartPole agent without its library tag
    hub.add_repo(f"{USER}/Reinforce-CartPole-v1", {"README.md": card(
        ["CartPole-v1", "reinforcement-learning", "custom-implementation"], "500.00 +/- 0.00")})
    # an SB3 LunarLander push that lost its model-index
    hub.add_repo(f"{USER}/ppo-LunarLander-v2", {"README.md": card(
        ["LunarLander-v2", "deep-reinforcement-learning", "reinforcement-learning", "stable-baselines3"], None)})
    # a Doom agent whose model-index names another scenario
    hub.add_repo(f"{USER}/rl_course_vizdoom_health_gathering_supreme", {"README.md": card(
        ["deep-reinforcement-learning", "reinforcement-learning", "sample-factory"], "12.00 +/- 3.00",
        dataset="doom_deathmatch_bots", library_name="sample-factory")})
    # a private repo that would pass CartPole, and practice agents that count for nothing
    hub.add_repo(f"{USER}/Reinforce-CartPole-v1-private", {"README.md": card(
        ["CartPole-v1", "reinforce", "reinforcement-learning", "deep-rl-class"], "480.00 +/- 20.00")})
    hub.repos[f"{USER}/Reinforce-CartPole-v1-private"].private = True
    hub.add_repo(f"{USER}/q-FrozenLake-v1-4x4-noSlippery", {"README.md": card(
        ["FrozenLake-v1-4x4-no_slippery", "q-learning", "reinforcement-learning"], "1.00 +/- 0.00")})
    hub.add_repo(f"{USER}/Reinforce-Pong-PLE-v0", {"README.md": card(
        ["Pong-PLE-v0", "reinforce", "reinforcement-learning", "deep-rl-class"], "1.80 +/- 0.40")})
    hub.add_repo(f"{USER}/empty-repo")


TRAP_NOTES = {  # repo -> what its explanation must say
    "Reinforce-Pixelcopter-PLE-v0": r": its name says Pixelcopter-PLE-v0 but it is tagged CartPole-v1, so the checker "
                                    r"scores it for unit 4 CartPole-v1, not for unit 4 Pixelcopter-PLE-v0\. Put "
                                    r"'Pixelcopter-PLE-v0' in its tags",
    "Reinforce-CartPole-v1": r": looks like a course agent, but the checker does not list it: it lacks the tag "
                             r"'reinforce' for unit 4 CartPole-v1\.",
    "ppo-LunarLander-v2": r"\(unit 1 LunarLander-v2\): its card has no model-index .*scores it 0 < 200\. Push it "
                          r"again",
    "rl_course_vizdoom_health_gathering_supreme": r": looks like a course agent, but .* lacks the model-index dataset name "
                                                  r"'doom_health_gathering_supreme' \(it has 'doom_deathmatch_bots'\) "
                                                  r"for unit 8 part II",
    "Reinforce-CartPole-v1-private": r"\(unit 4 CartPole-v1\): private, so the certificate cannot see it \(its "
                                     r"result 460\.00 would pass\)\. Make it public",
}


@pytest.mark.parametrize("with_token", [False, True])
def test_traps_table_and_explanations(double, with_token):
    seed_traps(double)
    token = double.READ_TOKEN if with_token else False
    report = progress.check_progress(USER, endpoint=double.url, token=token)
    text = str(report)
    taxi, cartpole = row(report, "Taxi-v3"), row(report, "CartPole-v1")
    assert (taxi.best_result, taxi.best_repo, taxi.passed) == (pytest.approx(4.85), f"{USER}/q-Taxi-v3", True)
    assert taxi.kit_mark == 4.5 and cartpole.kit_mark is None   # the kit's mark shown where it differs
    assert cartpole.best_repo == f"{USER}/Reinforce-Pixelcopter-PLE-v0" and cartpole.best_result == pytest.approx(6.2)
    assert not cartpole.passed and not row(report, "Pixelcopter-PLE-v0").passed
    lunar = row(report, "LunarLander-v2", "stable-baselines3")
    assert (lunar.best_result, lunar.passed) == (0.0, False)
    assert row(report, "doom_health_gathering_supreme").best_repo is None
    assert report.passed == 1 and report.level == "none" and report.blocked == []
    lines = text.splitlines()
    assert re.search(r"^2 +Taxi-v3 / q-learning +>= 4 +>= 4\.5 +4\.85 +PASS +learner/q-Taxi-v3$", text, re.M)
    assert re.search(r"^4 +CartPole-v1 / reinforce +>= 350 +6\.20 +not yet +learner/Reinforce-Pixelcopter-PLE-v0$",
                     text, re.M)
    assert lines.index("Repos to look at:") > lines.index(report.summary())
    notes = report.notes
    expected = dict(TRAP_NOTES)
    if not with_token:  # without a token the private repo is not even listed: nobody can see it
        del expected["Reinforce-CartPole-v1-private"]
    for repo, pattern in expected.items():
        mine = [n for n in notes if n.startswith(f"{USER}/{repo} ") or n.startswith(f"{USER}/{repo}:")]
        assert len(mine) == 1 and re.search(pattern, mine[0]), (repo, mine)
        assert f"- {mine[0]}" in lines
    assert len(notes) == len(expected), notes   # FrozenLake, Pong and the empty repo need no explanation
    html = report._repr_html_()   # the notebook's table: links to the repos, the same notes
    assert f"<a href='{double.url}/{USER}/q-Taxi-v3' target='_blank'>{USER}/q-Taxi-v3</a>" in html
    assert html.count("<li>") == len(notes) and repr(report) == text
    assert not any("FrozenLake" in n or "Pong" in n for n in notes)


def test_private_repos_never_make_a_pass(double):
    double.add_repo(f"{USER}/q-Taxi-v3", {"README.md": card(["Taxi-v3", "q-learning", "reinforcement-learning"],
                                                            "7.56 +/- 2.71")})
    double.repos[f"{USER}/q-Taxi-v3"].private = True
    public = progress.check_progress(USER, endpoint=double.url, token=False)
    owner = progress.check_progress(USER, endpoint=double.url, token=double.READ_TOKEN)
    assert public.notes == [] and not row(public, "Taxi-v3").passed
    assert not row(owner, "Taxi-v3").passed and row(owner, "Taxi-v3").best_repo is None
    assert owner.notes == [f"{USER}/q-Taxi-v3 (unit 2 Taxi-v3): private, so the certificate cannot see it (its result "
                           "4.85 would pass). Make it public in the repo's Settings."]


def test_the_repo_name_does_not_matter(double):
    double.add_repo(f"{USER}/my-first-agent", {"README.md": card(
        ["PandaReachDense-v2", "reinforcement-learning", "stable-baselines3"], "-0.50 +/- 0.20")})
    double.add_repo(f"{USER}/whatever", {"README.md": card(
        ["Taxi-v3", "q-learning", "reinforcement-learning"], "4.10 +/- 0.00")})
    report = progress.check_progress(USER, endpoint=double.url, token=False)
    panda, taxi = row(report, "PandaReachDense-v3"), row(report, "Taxi-v3")
    assert (panda.best_repo, panda.best_result, panda.passed) == (f"{USER}/my-first-agent", pytest.approx(-0.7), True)
    assert (taxi.best_repo, taxi.passed) == (f"{USER}/whatever", True)   # the certificate's 4, below the kit's 4.5
    assert re.search(r"^2 +Taxi-v3 / q-learning +>= 4 +>= 4\.5 +4\.10 +PASS", str(report), re.M)

# ---- errors and limits ---------------------------------------------------------------------------------------
def test_unknown_user(double):
    with pytest.raises(progress.UnknownUserError, match="no user named 'ghost'"):
        progress.check_progress("ghost", endpoint=double.url, token=False)
    known = progress.check_progress("nobody-home", endpoint=double.url, token=False)  # a user with no repos
    assert known.passed == 0 and known.level == "none" and known.notes == []


@pytest.mark.parametrize("name", ["", "  ", "learner/q-Taxi-v3"])
def test_a_username_is_required(name):
    with pytest.raises(progress.ProgressError, match="Give your Hugging Face username"):
        progress.check_progress(name)


def test_a_hub_error_is_said_in_words(double):
    seed_course(double, USER, N)
    double.fail("GET", r"/resolve/main/README\.md$", 500, message="the card store is down")
    with pytest.raises(progress.ProgressError, match=r"^The Hub answered 500: the card store is down\. Try again "
                                                     r"later\.$"):
        progress.check_progress(USER, endpoint=double.url, token=False)


def test_no_saved_login_with_token_true(double):
    with pytest.raises(progress.ProgressError, match=r"The token could not be used .*pass token=False"):
        progress.check_progress(USER, endpoint=double.url, token=True)
    assert double.requests == []


def test_no_network(sleeps):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(progress.HubUnreachableError, match=f"Cannot reach the Hub at http://127.0.0.1:{port}"):
        progress.check_progress(USER, endpoint=f"http://127.0.0.1:{port}", token=False)


def test_offline_mode_is_explained(double, monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    reset = getattr(huggingface_hub.utils, "reset_sessions", None)
    if reset is not None:
        reset()
    with pytest.raises(progress.HubUnreachableError, match="HF_HUB_OFFLINE is set"):
        progress.check_progress(USER, endpoint=double.url, token=False)
    assert double.requests == []


def test_rate_limiting_is_retried(double, sleeps):
    seed_course(double, USER, N)
    double.fail("GET", r"^/api/models$", 429, times=2)
    double.fail("GET", r"/resolve/main/README\.md$", 429, times=2)
    report = progress.check_progress(USER, endpoint=double.url, token=False)
    assert report.level == "excellence"
    assert 4 <= len(sleeps) and sum(sleeps) < 60   # it waited, briefly


def test_rate_limiting_gives_up_with_a_clear_error(double, sleeps):
    double.fail("GET", r"^/api/models$", 429, times=10_000)
    with pytest.raises(progress.RateLimitedError, match="too many requests.*wait a few minutes"):
        progress.check_progress(USER, endpoint=double.url, token=False)
    ours = [s for s in sleeps if s in (5.0, 10.0)]
    assert ours[-client.RETRIES:] == [5.0, 10.0]   # bounded backoff, then it says so
    assert len(double.requests) <= 6 * (client.RETRIES + 1)  # the library's own retries included


def test_thousands_of_repos_are_paged_in_bounded_time(double):
    double.page_size = 100
    for i in range(2_500):
        double.add_repo(f"{USER}/experiment-{i:04d}", {"README.md": card(["some-other-thing"], None)} if i % 2 else None)
    seed_course(double, USER, 9)
    start = time.perf_counter()
    report = progress.check_progress(USER, endpoint=double.url, token=False)
    elapsed = time.perf_counter() - start
    assert report.passed == 9 and report.level == "completion"
    pages = [p for m, p in double.requests if p == "/api/models"]
    assert len(pages) >= 26   # 2,511 repos in pages of 100, then the assignments' small listings
    cards = [p for m, p in double.requests if p.endswith("/README.md")]
    assert 0 < len(cards) <= 2 * len(COURSE_REPOS)   # only cards that can matter are read
    assert elapsed < 60


def test_the_card_bound_says_the_table_is_incomplete(double, monkeypatch):
    seed_course(double, USER, N)
    monkeypatch.setattr(progress, "MAX_CARDS", 3)
    report = progress.check_progress(USER, endpoint=double.url, token=False)
    assert report.notes == ["8 repos were not read (at most 3 cards a check), so the table is incomplete."]
    assert report.passed == 3 and report.incomplete
    assert summary_line(report) == ("Passed 3 of 11 assignments (27 %): no certificate yet (the certificate of "
                                    "completion needs 9 of 11). The table is incomplete (see the notes): the level "
                                    "may be higher.")


@pytest.mark.parametrize("budget", [0, -1, float("nan"), "60", True, 10_000])
def test_the_time_budget_is_checked(budget):
    with pytest.raises(progress.ProgressError, match="time_budget_s is .*: pass a number of seconds above 0"):
        progress.check_progress(USER, endpoint="http://127.0.0.1:9", token=False, time_budget_s=budget)


@pytest.mark.parametrize("name", ["a b", "learner?x=1", "../etc", "-lead", 42])
def test_a_username_that_is_not_one_is_refused_before_any_request(name):
    with pytest.raises(progress.ProgressError, match="Give your Hugging Face username"):
        progress.check_progress(name, endpoint="http://127.0.0.1:9", token=False)


# ---- hostile answers, each in a child process bounded in time and memory ------------------------------------------
def _check_in_child(double, limit_s: float = 10, **options) -> dict:
    code = f"""
import time
from helpers.hub import progress
start = time.monotonic()
try:
    report = progress.check_progress({USER!r}, endpoint={double.url!r}, token=False, **{options!r})
    RESULT = dict(level=report.level, notes=report.notes, incomplete=report.incomplete, blocked=report.blocked,
                  passed=report.passed, text=str(report))
except progress.ProgressError as err:
    RESULT = dict(error=type(err).__name__, message=str(err))
RESULT["elapsed"] = time.monotonic() - start
"""
    result = in_child(code, limit_s)
    assert result["elapsed"] < limit_s and result["rss_mb"] < 1024, result
    return result


ALIAS_BOMB = ("---\ntags: [Taxi-v3, q-learning, reinforcement-learning]\n"
              "a: &a [x, x, x, x, x, x, x, x, x]\n"
              + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
                        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
                        f"*{chr(97 + i)}]\n" for i in range(9))
              + "model-index: [{results: [{metrics: [{value: *j}]}]}]\n---\n")


def test_an_alias_bomb_card_is_refused_fast():
    assert len(ALIAS_BOMB) < 1024
    code = f"""
import time
from helpers.hub import progress
start = time.monotonic()
card = progress.parse_card({ALIAS_BOMB!r})
RESULT = dict(error=card.error, elapsed=time.monotonic() - start)
"""
    result = in_child(code, 10)
    assert result["error"] == "its metadata's aliases expand to more than 20000 values", result
    assert result["elapsed"] < 10 and result["rss_mb"] < 1024


def test_an_alias_bomb_card_on_the_hub_is_named_and_stops_nothing_else(double):
    seed_course(double, USER, N)
    double.add_repo(f"{USER}/q-Taxi-v3-bomb", {"README.md": ALIAS_BOMB.encode()})
    result = _check_in_child(double, 60)
    assert result["blocked"] == [f"{USER}/q-Taxi-v3-bomb"] and result["passed"] == 11
    assert result["notes"][0].startswith(f"{USER}/q-Taxi-v3-bomb (unit 2 Taxi-v3): its card's metadata (the YAML block "
                                         "at the top of README.md) cannot be read (its metadata's aliases expand")


@pytest.mark.parametrize("block, refusal", [
    ("a: &a [*a]", "its metadata has an alias that contains itself"),
    ("a: " + "[" * 5000 + "]" * 5000, "its metadata is nested"),
    ("a: '" + "x" * 70_000 + "'", "its metadata block has 70005 characters, more than the 65536 the kit reads"),
])
def test_hostile_yaml_blocks_are_refused(block, refusal):
    code = f"""
from helpers.hub import progress
RESULT = dict(error=progress.parse_card("---\\n" + {block!r} + "\\n---\\n").error)
"""
    result = in_child(code, 10)
    assert result["error"].startswith(refusal), result


def test_a_page_linking_to_itself_is_read_once(double):
    seed_course(double, USER, N)
    double.self_link = True
    result = _check_in_child(double, 60)   # the default budget: it stops on the page it has seen, not on time
    assert result["elapsed"] < 10 and result["level"] == "excellence" and result["incomplete"]
    assert "The Hub's listing of all your models pointed back at a page already read; the kit stopped there, so the " \
           "table may be incomplete." in result["notes"]
    pages = [p for m, p in double.requests if p == "/api/models"]
    assert len(pages) == 1 + 12   # each listing's one page, once (11 assignments, unit 6 twice)


def test_a_million_models_stop_at_the_cap(double):
    seed_course(double, USER, N)
    double.synthetic_models[USER] = 1_000_000
    result = _check_in_child(double, 60)
    assert result["level"] == "excellence" and result["incomplete"]
    assert f"The listing of all your models stops at {progress.MAX_REPOS} repos: some repos were not looked at, so " \
           "the table is incomplete." in result["notes"]
    assert len([p for m, p in double.requests if p == "/api/models"]) <= progress.MAX_REPOS // 1000 + 12


@pytest.mark.parametrize("where", ["card", "listing"])
def test_a_trickling_body_ends_at_the_time_budget(double, where):
    seed_course(double, USER, N)
    path = r"/learner/q-Taxi-v3/resolve/main/README\.md$" if where == "card" else r"^/api/models$"
    double.serve_body(path, 100_000, chunk=b" ", delay=0.2)   # under the caps: only the clock stops it
    result = _check_in_child(double, 10, time_budget_s=3)
    assert result["elapsed"] < 3 + 2 and result["incomplete"], result
    assert any(n.startswith("The check stopped at its 3 s time budget") for n in result["notes"])
    if where == "card":
        assert result["passed"] == 10 and result["level"] == "completion"
    else:
        assert result["passed"] == 0


@pytest.mark.parametrize("declare_length", [True, False])
def test_a_huge_card_is_refused_before_it_is_read_whole(double, declare_length):
    seed_course(double, USER, N)
    double.serve_body(r"/learner/q-Taxi-v3/resolve/main/README\.md$", 2 * 2 ** 30, declare_length=declare_length)
    result = _check_in_child(double, 10)
    assert result["passed"] == 10 and result["incomplete"]
    assert f"{USER}/q-Taxi-v3: its README.md is larger than 512 KB, so the kit did not read it; the table may be " \
           "incomplete. Course cards are a few KB: push the agent again with the kit." in result["notes"]


# ---- one card's verdict -----------------------------------------------------------------------------------
@pytest.mark.parametrize("readme, expected", [
    (card(["Taxi-v3", "q-learning", "reinforcement-learning"], "7.56 +/- 2.71"),
     "Course checker: counts for unit 2 Taxi-v3 (tags Taxi-v3, q-learning): result 4.85 >= 4 PASS."),
    (card(["CartPole-v1", "reinforce", "reinforcement-learning"], "120.00 +/- 20.00"),
     "Course checker: counts for unit 4 CartPole-v1 (tags CartPole-v1, reinforce): result 100.00 < 350 not passed yet."),
    (card(["Taxi-v3", "q-learning", "reinforcement-learning"], "7.56+/-2.71"),
     "Course checker: listed for unit 2 Taxi-v3, but its value '7.56+/-2.71' has no spaces around '+/-', and the "
     "course's check stops on it. Write it as '7.56 +/- 2.71' in README.md's metadata, or push the agent again with "
     "the kit."),
    (card(["reinforcement-learning", "sample-factory"], None, library_name="sample-factory"),
     "Course checker: a sample-factory repo without a model-index, and the course's check stops on it (it reads every "
     "sample-factory repo's env name there). Push it again with Sample Factory's push_to_hub, which writes one, or "
     "remove its 'sample-factory' tag."),
    (null_value_card(["LunarLander-v2", "deep-rl-course", "reinforcement-learning"]),
     "Course checker: counts for unit 8 part I LunarLander-v2 (tags LunarLander-v2, deep-rl-course): result 0.00 >= "
     "-500 PASS."),
    (card(["PandaReachDense-v2", "reinforcement-learning", "stable-baselines3"], "-0.50 +/- 0.20"),
     "Course checker: counts for unit 6 PandaReachDense-v3 (tags PandaReachDense-v2, stable-baselines3): result "
     "-0.70 >= -3.5 PASS. (Unit 6 reads PandaReachDense-v2 repos only when you have no PandaReachDense-v3 repo at "
     "all.)"),
    (card(["ML-Agents-SoccerTwos", "reinforcement-learning"], None, library_name="ml-agents"),
     "Course checker: counts for unit 7 ML-Agents-SoccerTwos (tags ML-Agents-SoccerTwos, ml-agents): result 0.00 >= "
     "-100 PASS."),
    (card(["Taxi-v3", "reinforcement-learning"], "7.56 +/- 2.71"),
     "Course checker: this repo counts for no assignment: for unit 2 Taxi-v3 it lacks the tag 'q-learning'."),
    (card(["FrozenLake-v1-4x4-no_slippery", "q-learning", "reinforcement-learning"], "1.00 +/- 0.00"),
     "Course checker: no course assignment uses FrozenLake-v1-4x4-no_slippery: this repo does not count towards "
     "the certificate."),
    (card(["LunarLander-v2", "reinforcement-learning"], "250.00 +/- 10.00", library_name="stable-baselines3"),
     "Course checker: counts for unit 1 LunarLander-v2 (tags LunarLander-v2, stable-baselines3): result 240.00 >= "
     "200 PASS."),
    (card(["ML-Agents-Pyramids", "reinforcement-learning"], None, library_name="ml-agents"),
     "Course checker: counts for unit 5 ML-Agents-Pyramids (tags ML-Agents-Pyramids, ml-agents): result 0.00 >= "
     "-100 PASS."),
    (card(["reinforcement-learning", "sample-factory"], "11.46 +/- 4.41", dataset="doom_health_gathering_supreme"),
     "Course checker: counts for unit 8 part II doom_health_gathering_supreme (tags doom_health_gathering_supreme, "
     "sample-factory): result 7.05 >= 5 PASS."),
    (b"---\ntags: [Taxi-v3, q-learning\n---\n", None),
])
def test_checker_verdict(readme, expected):
    line = progress.checker_verdict(readme.decode())
    assert "\n" not in line
    if expected is None:
        assert line.startswith("Course checker: cannot read this card's metadata (") and line.endswith(
            "the course's check stops on it and gives no certificate until the block is fixed.")
    else:
        assert line == expected


# ---- the kit's own pushes, read by an independent re-implementation of the checker --------------------------------
REFERENCE_ASSIGNMENTS = {  # (env tag, library tag) -> assignment; written apart from helpers.hub.progress on purpose
    ("Taxi-v3", "q-learning"): "unit 2 Taxi-v3",
    ("CartPole-v1", "reinforce"): "unit 4 CartPole-v1",
    ("Pixelcopter-PLE-v0", "reinforce"): "unit 4 Pixelcopter-PLE-v0",
    ("LunarLander-v2", "stable-baselines3"): "unit 1 LunarLander-v2",
    ("SpaceInvadersNoFrameskip-v4", "stable-baselines3"): "unit 3 SpaceInvadersNoFrameskip-v4",
}


def _reference_checker(readme: str):
    """(assignments, result) the way the course's checker reads a card: tags select, the first metric scores."""
    head = readme.split("---", 2)[1]
    meta = yaml.safe_load(head)
    tags = set(meta["tags"])
    found = [a for (env, lib), a in REFERENCE_ASSIGNMENTS.items() if {"reinforcement-learning", env, lib} <= tags]
    value = str(meta["model-index"][0]["results"][0]["metrics"][0]["value"])
    mean, std = (value.split(" +/- ") + ["0"])[:2]
    return found, float(mean) - float(std)


def _push_kit_agents(tmp_path) -> dict:
    """Dry-run pushes of every unit 2 and unit 4 agent the kit makes; {name: README.md text}."""
    from helpers import defaults, hub, qlearning

    cards = {}
    for name, config in (("Taxi", defaults.TAXI.replace(n_training_episodes=200)), ("FrozenLake", defaults.FROZENLAKE)):
        qtable, _ = qlearning.train_from_config(config, seed=0, progress=False)
        result = hub.push_to_hub(f"{USER}/q-{name}", hub.qlearning_model(config, qtable), dry_run=True, record=False)
        cards[name] = (result.folder / "README.md").read_text()
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    from helpers import policies, reinforce
    from helpers.envs import make_env

    torch.manual_seed(0)
    for name, env_id, policy in (
            ("CartPole", "CartPole-v1", reinforce.Policy(4, 2, 16)),
            ("Pixelcopter", "Pixelcopter-PLE-v0", policies.with_inputs(
                reinforce.PixelcopterPolicy(7, 2, 16), obs_scale=[8, 0.5, 4, 4, 16, 8, 8],
                obs_features="pixelcopter-relative")),
            ("Pong", "Pong-PLE-v0", reinforce.PixelcopterPolicy(7, 3, 16))):
        env = make_env(env_id)
        assert env.observation_space.shape[0] == 4 if name == "CartPole" else 7
        hyperparameters = {"env_id": env_id, "max_t": 100, "n_evaluation_episodes": 2, "h_size": 16}
        result = hub.push_to_hub(f"{USER}/Reinforce-{env_id}", policy, hyperparameters, env,
                                 local_dir=tmp_path / name, record=False, eval_seed=0)
        cards[name] = (result.folder / "README.md").read_text()
    return cards


def test_kit_pushes_count_for_the_right_assignment(tmp_path):
    import json

    cards = _push_kit_agents(tmp_path)
    expected = {"Taxi": ["unit 2 Taxi-v3"], "FrozenLake": [], "CartPole": ["unit 4 CartPole-v1"],
                "Pixelcopter": ["unit 4 Pixelcopter-PLE-v0"], "Pong": []}
    for name, readme in cards.items():
        found, result = _reference_checker(readme)
        assert found == expected[name], name
        verdict = progress.checker_verdict(readme)
        if found:
            assert verdict.startswith(f"Course checker: counts for {found[0]} ") and f"result {result:.2f} " in verdict
        else:
            assert "does not count towards the certificate" in verdict, verdict
    folder = Path("hub_exports") / "q-Taxi"
    results = json.loads((folder / "results.json").read_text())
    assert _reference_checker(cards["Taxi"])[1] == pytest.approx(results["mean_reward"] - results["std_reward"], abs=0.01)
