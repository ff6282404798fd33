"""Whose code trained an agent (helpers.provenance), and the exercise plumbing that keeps it the learner's:
calling course-style functions (exercises.adapt_call) and carrying accepted solutions to the next notebook."""
import inspect
import json
import linecache
import random

import gymnasium as gym
import numpy as np
import pytest

import helpers  # noqa: F401
from helpers import policies, qlearning, reinforce
from helpers.checks import exercises
from helpers.provenance import KIT, YOURS, describe, origin, trained_with
from helpers.scoring import pass_line
from tests.course_solutions import COURSE


def notebook(**names):
    """A namespace like a notebook's: what a learner defines there is not the kit's."""
    namespace = {"__name__": "__main__", "np": np, "random": random, "tqdm": lambda x: x}
    namespace.update(names)
    return namespace


def define(namespace, *names):
    """Define the course-style solutions ``names`` in ``namespace``, as typed into notebook cells (with source)."""
    for name in names:
        filename = f"<cell: {name}>"
        linecache.cache[filename] = (len(COURSE[name]), None, COURSE[name].splitlines(True), filename)
        exec(compile(COURSE[name], filename, "exec"), namespace)
    return namespace


def test_origin_tells_the_kits_code_from_the_learners():
    assert origin(qlearning.train) == KIT and origin(reinforce.Policy) == KIT and origin(reinforce.Policy(4, 2, 4)) == KIT
    ns = define(notebook(), "greedy_policy")
    assert origin(ns["greedy_policy"]) == YOURS
    wrapped = policies.with_inputs(reinforce.Policy(4, 2, 4))
    assert origin(wrapped) == KIT  # the wrapper is the kit's, the policy inside decides


def test_trained_with_follows_the_exercises_a_function_really_calls():
    ns = define(notebook(env=gym.make("FrozenLake-v1")), "greedy_policy", "epsilon_greedy_policy", "train")
    assert trained_with(ns["train"]) == {"train": YOURS, "epsilon_greedy_policy": YOURS, "greedy_policy": YOURS}
    ns["greedy_policy"] = qlearning.greedy_policy  # a check fell back to the kit's version
    assert trained_with(ns["train"])["greedy_policy"] == KIT
    assert trained_with(qlearning.train) == {"train": KIT, "epsilon_greedy_policy": KIT, "greedy_policy": KIT}
    # Through the kit's adapter, the learner's function is followed.
    adapted, _ = exercises.adapt_call(ns["train"], qlearning.train)
    assert adapted is not ns["train"] and trained_with(adapted)["train"] == YOURS
    # Named pieces (a policy, functions passed to the batched trainer) are recorded under their names.
    record = trained_with(PixelcopterPolicy=reinforce.PixelcopterPolicy(7, 2, 4), reinforce_loss=lambda lp, g: 0)
    assert record == {"PixelcopterPolicy": KIT, "reinforce_loss": YOURS}


def test_describe_and_the_pass_line_say_who_trained_the_agent():
    assert describe({"train": YOURS, "greedy_policy": YOURS}) == "trained with your code"
    assert describe({"train": KIT, "greedy_policy": YOURS}) == "trained with the kit's reference for: train"
    assert describe(None) == ""
    assert pass_line("Taxi-v3", 7.56, 2.71, {"train": YOURS}) == \
        "Taxi-v3: 7.56 +/- 2.71 -> result 4.85 >= 4.5 PASS (trained with your code)"
    assert pass_line("Taxi-v3", 7.56, 2.71).endswith("PASS")
    assert pass_line("FrozenLake-v1-4x4", 0.7, 0.46, {"train": KIT}).endswith(
        "(no pass mark; trained with the kit's reference for: train)")


def test_adapt_call_hands_course_style_functions_what_they_read_from_the_notebook():
    ns = define(notebook(env=gym.make("FrozenLake-v1", is_slippery=False), learning_rate=None, gamma=None),
                "greedy_policy", "epsilon_greedy_policy", "train")
    adapted, notes = exercises.adapt_call(ns["train"], qlearning.train)
    assert "`learning_rate` and `gamma`" in notes[0]
    lake = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False)
    kwargs = dict(n_training_episodes=300, min_epsilon=0.05, max_epsilon=1.0, decay_rate=0.0005, env=lake,
                  max_steps=99, learning_rate=0.7, gamma=0.95, seed=3)
    first = adapted(Qtable=np.zeros((16, 4)), **kwargs)
    assert first.max() > 0  # learning_rate and gamma reached the function (None would have raised)
    assert ns["learning_rate"] is None  # ...without changing the notebook's own values
    assert np.array_equal(adapted(Qtable=np.zeros((16, 4)), **kwargs), first)  # seed: repeatable
    same, none = exercises.adapt_call(qlearning.train, qlearning.train)
    assert same is qlearning.train and none == []


def test_accepted_solutions_travel_to_the_next_notebook(tmp_path):
    first = define(notebook(env=gym.make("Taxi-v3")), "initialize_q_table", "greedy_policy", "epsilon_greedy_policy")
    for name in ["initialize_q_table", "greedy_policy"]:
        assert exercises.save_solution("unit2", name, first[name], folder=tmp_path)
    exercises.save_solution("unit2", "epsilon_greedy_policy", first["epsilon_greedy_policy"], folder=tmp_path)
    exercises.forget_solution("unit2", "epsilon_greedy_policy", folder=tmp_path)  # its check failed later
    saved = (tmp_path / "my_solutions_unit2.py").read_text()
    assert "import numpy as np" in saved and "def greedy_policy" in saved and "epsilon_greedy" not in saved

    second = {"__name__": "__main__"}
    loaded = exercises.load_solutions("unit2", second, ["initialize_q_table", "greedy_policy", "epsilon_greedy_policy"],
                                      fallback=qlearning, folder=tmp_path)
    assert loaded == ["initialize_q_table", "greedy_policy"]
    assert origin(second["greedy_policy"]) == YOURS and second["greedy_policy"](np.eye(3), 1) == 1
    assert second["epsilon_greedy_policy"] is qlearning.epsilon_greedy_policy  # not saved: the kit's, and says so
    assert "def greedy_policy" in inspect.getsource(second["greedy_policy"])  # so notebook 02 can save it again
    assert exercises.load_solutions("unit2", {}, ["train"], fallback=qlearning, folder=tmp_path / "elsewhere") == []


def test_a_failed_check_forgets_a_saved_solution(tmp_path, monkeypatch, capsys):
    from helpers.checks.qlearning import check_greedy_policy

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIT_STRICT", raising=False)
    ns = define(notebook(), "greedy_policy")
    check_greedy_policy(ns["greedy_policy"])
    assert "def greedy_policy" in (tmp_path / "my_solutions_unit2.py").read_text()
    exec(compile("def greedy_policy(Qtable, state):\n    return None\n", "<cell: broken>", "exec"), ns)
    assert check_greedy_policy(ns["greedy_policy"]) is qlearning.greedy_policy
    assert not (tmp_path / "my_solutions_unit2.py").exists()
    assert "❌" in capsys.readouterr().out


def test_a_push_records_who_trained_the_agent(tmp_path):
    from helpers.hub import push_to_hub
    from helpers.checks.qlearning import check_frozenlake_env  # noqa: F401  (the env exercise's check exists)

    model = {"env_id": "FrozenLake-v1", "max_steps": 99, "n_eval_episodes": 5, "qtable": np.zeros((16, 4)),
             "map_name": "4x4", "slippery": False}
    record = {"train": YOURS, "greedy_policy": KIT}
    result = push_to_hub("user/q-FrozenLake-v1-4x4-noSlippery", model, video_fps=1, record=False, trained_with=record,
                         local_dir=tmp_path / "out")
    results = json.loads((result.folder / "results.json").read_text())
    assert results["trained_with"] == record
    card = (result.folder / "README.md").read_text()
    assert "result 0.00 (no pass mark; trained with the kit's reference for: greedy_policy)`" in card
    assert "The agent was trained with the kit's reference for: greedy_policy." in card


@pytest.mark.parametrize("name", ["env", "spaces"])
def test_line_exercises_have_one_solution_in_helpers(name):
    from helpers.checks.qlearning import SOLUTIONS

    ns = {"gym": gym, "env": gym.make("Taxi-v3")}
    exec(SOLUTIONS[name], ns)
    assert ("state_space" in ns) if name == "spaces" else ns["env"].spec.id == "FrozenLake-v1"


def test_adapt_call_takes_the_kits_positional_order_for_a_course_style_reinforce():
    seen = {}

    def course_reinforce(policy, optimizer, n_training_episodes, max_t, gamma, print_every):
        seen["env"] = env  # noqa: F821  (read from the notebook, as the course does)
        return [float(n_training_episodes)]

    adapted, notes = exercises.adapt_call(course_reinforce, reinforce.reinforce)
    assert "`env`" in notes[0]
    cartpole = gym.make("CartPole-v1")
    assert adapted("policy", "optimizer", 3, 10, 0.99, 100, cartpole) == [3.0]  # the notebook's positional call
    assert seen["env"] is cartpole
