"""Whose code trained an agent (helpers.provenance), and the exercise plumbing that keeps it the learner's:
calling course-style functions (exercises.adapt_call), and the record that travels with a trained agent to the
pass line, results.json and the card."""
import json
import linecache
import random

import gymnasium as gym
import numpy as np
import pytest

import helpers  # noqa: F401
import helpers.qlearning
from helpers import policies, provenance, qlearning, reinforce
from helpers.checks import exercises
from helpers.provenance import KIT, KIT_TRAINER, YOURS, describe, origin, recall, trained_with
from helpers.scoring import pass_line
from tests.course_solutions import COURSE


@pytest.fixture(autouse=True)
def _no_accepted_exercises():
    """Checks run by other test files note accepted exercises in a module registry; each test starts empty."""
    provenance.ACCEPTED.clear()
    yield
    provenance.ACCEPTED.clear()


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
    assert record == {"PixelcopterPolicy": KIT, "act": KIT, "reinforce_loss": YOURS}  # act: the debugging exercise


def test_describe_and_the_pass_line_say_who_trained_the_agent():
    assert describe({"train": YOURS, "greedy_policy": YOURS}) == "trained with your code"
    assert describe({"train": KIT, "greedy_policy": YOURS}) == "trained with the kit's code for: train"
    assert describe(None) == ""
    assert pass_line("Taxi-v3", 7.56, 2.71, {"train": YOURS}) == \
        "Taxi-v3: 7.56 +/- 2.71 -> result 4.85 >= 4.5 PASS (trained with your code)"
    assert pass_line("Taxi-v3", 7.56, 2.71).endswith("PASS")
    # A pass with the kit's code does not read like a real pass.
    assert pass_line("Taxi-v3", 7.56, 2.71, {"train": KIT, "greedy_policy": YOURS}) == \
        "Taxi-v3: 7.56 +/- 2.71 -> result 4.85 >= 4.5 PASS, but trained with the kit's code for: train"
    assert pass_line("FrozenLake-v1-4x4", 0.7, 0.46, {"train": KIT}).endswith(
        "(no pass mark; trained with the kit's code for: train)")
    batched = {"train_batched": KIT_TRAINER, "PixelcopterPolicy": YOURS, "reinforce_loss": YOURS}
    assert describe(batched) == "trained with your PixelcopterPolicy and reinforce_loss inside the kit's batched trainer"


def test_adapt_call_hands_course_style_functions_what_they_read_from_the_notebook(lake):
    ns = define(notebook(env=gym.make("FrozenLake-v1", is_slippery=False), learning_rate=None, gamma=None),
                "greedy_policy", "epsilon_greedy_policy", "train")
    adapted, notes = exercises.adapt_call(ns["train"], qlearning.train)
    assert "`learning_rate` and `gamma`" in notes[0]
    kwargs = dict(n_training_episodes=300, min_epsilon=0.05, max_epsilon=1.0, decay_rate=0.0005, env=lake,
                  max_steps=99, learning_rate=0.7, gamma=0.95, seed=3)
    first = adapted(Qtable=np.zeros((16, 4)), **kwargs)
    assert first.max() > 0  # learning_rate and gamma reached the function (None would have raised)
    assert ns["learning_rate"] is None  # ...without changing the notebook's own values
    assert np.array_equal(adapted(Qtable=np.zeros((16, 4)), **kwargs), first)  # seed: repeatable
    same, none = exercises.adapt_call(qlearning.train, qlearning.train)
    assert same is qlearning.train and none == []


LAKE = dict(n_training_episodes=200, min_epsilon=0.05, max_epsilon=1.0, decay_rate=0.005, max_steps=99)


@pytest.fixture
def lenient(monkeypatch):
    """A check that fails falls back to the kit's reference (as in a learner's notebook), not a test error."""
    monkeypatch.delenv("KIT_STRICT", raising=False)
    provenance.ACCEPTED.clear()
    yield
    provenance.ACCEPTED.clear()


def _checked_unit2(ns):
    from helpers.checks.qlearning import check_epsilon_greedy_policy, check_greedy_policy, check_train

    ns["greedy_policy"] = check_greedy_policy(ns["greedy_policy"])
    ns["epsilon_greedy_policy"] = check_epsilon_greedy_policy(ns["epsilon_greedy_policy"])
    return check_train(ns["train"])


def _trained_table(train, lake):
    return train(env=lake, Qtable=np.zeros((16, 4)), learning_rate=0.7, gamma=0.95, **LAKE)


def test_the_trained_table_carries_its_record_to_the_pass_line_and_the_push(tmp_path, lenient, capsys, lake):
    from helpers.hub import push_to_hub
    from helpers.scoring import check_pass

    ns = define(notebook(env=lake), "greedy_policy", "epsilon_greedy_policy", "train")
    table = _trained_table(_checked_unit2(ns), lake)
    assert recall(table) == {"train": YOURS, "epsilon_greedy_policy": YOURS, "greedy_policy": YOURS}
    mean, std = qlearning.evaluate_agent(lake, 99, 5, table)
    capsys.readouterr()
    check_pass("FrozenLake-v1-4x4", mean, std)  # no record passed: the evaluated table's is found
    assert "trained with your code" in capsys.readouterr().out
    model = {"env_id": "FrozenLake-v1", "max_steps": 99, "n_eval_episodes": 5, "qtable": table,
             "map_name": "4x4", "slippery": False}
    result = push_to_hub("user/q-FrozenLake-v1-4x4-noSlippery", model, video_fps=1, record=False,
                         local_dir=tmp_path / "out")
    assert json.loads((result.folder / "results.json").read_text())["trained_with"] == recall(table)
    assert "The agent was trained with your code." in (result.folder / "README.md").read_text()
    out = capsys.readouterr().out
    assert "trained with your code" in out and "Course checker:" in out


def test_a_failed_check_puts_the_kits_code_in_the_record_and_says_which(tmp_path, lenient, capsys, lake):
    ns = define(notebook(env=lake), "greedy_policy", "epsilon_greedy_policy", "train")
    exec(compile("def greedy_policy(Qtable, state):\n    return int(np.argmin(Qtable[state]))\n", "<cell: min>",
                 "exec"), ns)
    table = _trained_table(_checked_unit2(ns), lake)
    record = recall(table)
    assert record["greedy_policy"] == KIT and record["train"] == YOURS
    assert "greedy_policy" not in provenance.ACCEPTED
    assert pass_line("FrozenLake-v1-4x4", 1.0, 0.0, record).endswith(
        "(no pass mark; trained with the kit's code for: greedy_policy)")


def test_a_train_that_only_delegates_to_the_kit_is_the_kits(lenient, capsys, lake):
    ns = define(notebook(env=lake, helpers=helpers), "greedy_policy", "epsilon_greedy_policy")
    exec(compile("def train(*a, **k):\n    return helpers.qlearning.train(*a, **k)\n", "<cell: delegate>", "exec"), ns)
    table = _trained_table(_checked_unit2(ns), lake)
    out = capsys.readouterr().out
    assert "⚠️ train" in out and "helpers.qlearning.train" in out
    assert recall(table)["train"] == KIT
    assert "your train calls the kit's code" in describe(recall(table))


@pytest.mark.parametrize("spelling", ["q.epsilon_greedy_policy(Qtable, state, epsilon)",
                                      "egp(Qtable, state, epsilon)"])
def test_kit_calls_are_found_through_module_aliases_and_renamed_functions(spelling):
    from helpers import qlearning as q

    source = COURSE["train"].replace("epsilon_greedy_policy(Qtable, state, epsilon)", spelling)
    assert spelling in source
    ns = define(notebook(env=gym.make("FrozenLake-v1"), q=q, egp=qlearning.epsilon_greedy_policy), "greedy_policy")
    exec(compile(source, "<cell: train>", "exec"), ns)
    assert trained_with(ns["train"])["epsilon_greedy_policy"] == KIT
    assert [name for name, _ in provenance.kit_calls(ns["train"])] == ["epsilon_greedy_policy"]


def test_a_policy_subclass_counts_as_the_learners_only_with_its_own_network():
    ns = notebook(kit=reinforce, nn=__import__("torch").nn)
    exec("class Policy(kit.Policy):\n    pass\n", ns)
    assert origin(ns["Policy"]) == KIT
    exec("class Policy(kit.Policy):\n    def forward(self, x):\n        return super().forward(x)\n", ns)
    assert origin(ns["Policy"]) == KIT  # its forward hands the work to the kit's
    exec("class Policy(nn.Module):\n"
         "    def __init__(self, s, a, h):\n        super().__init__(); self.fc = nn.Linear(s, a)\n"
         "    def forward(self, x):\n        return self.fc(x).softmax(dim=1)\n", ns)
    assert origin(ns["Policy"]) == YOURS


def test_the_batched_trainer_records_the_pieces_that_ran_inside_it():
    import torch

    from helpers.envs import make_vec_env

    env = gym.make("CartPole-v1")
    policy = reinforce.Policy(4, 2, 8)
    ns = define(notebook(deque=__import__("collections").deque), "discounted_returns")
    reinforce.train_batched(policy, torch.optim.Adam(policy.parameters(), lr=1e-2), make_vec_env("CartPole-v1", 2),
                            2, 20, 0.99,
                            print_every=0, progress=False, discounted_returns=ns["discounted_returns"])
    record = recall(policy)
    assert record["train_batched"] == KIT_TRAINER and record["discounted_returns"] == YOURS
    assert record["Policy"] == KIT and record["reinforce_loss"] == KIT
    words = describe(record)
    assert words.startswith("trained with the kit's code for: Policy") and "inside the kit's batched trainer" in words
    mean, std = reinforce.evaluate_agent(env, 20, 2, policy)
    assert provenance.record_for_score(mean, std) == record


def test_a_failed_loop_check_labels_the_policy_trained_by_the_kits_loop(lenient, capsys):
    import torch
    from helpers.checks.reinforce_loop import check_reinforce

    ns = notebook()
    exec("def reinforce(policy, optimizer, n_training_episodes, max_t, gamma, print_every, env):\n"
         "    return [0.0] * n_training_episodes\n", ns)
    loop = check_reinforce(ns["reinforce"], reinforce.Policy)
    assert "❌ reinforce" in capsys.readouterr().out
    policy = reinforce.Policy(4, 2, 8)
    loop(policy, torch.optim.Adam(policy.parameters(), lr=1e-2), 2, 20, 0.99, 0, gym.make("CartPole-v1"))
    assert recall(policy)["reinforce"] == KIT
    assert "trained with the kit's code for: " in describe(recall(policy))


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


# ---- no innocent holes (issue 27, item 5) --------------------------------------------------------------------
def _checked_table(ns, lake):
    """The notebook's Taxi/FrozenLake start: checked functions, and a table from the checked initialize_q_table."""
    from helpers.checks.qlearning import check_initialize_q_table

    define(ns, "initialize_q_table")
    init = check_initialize_q_table(ns["initialize_q_table"])
    train = _checked_unit2(ns)
    return init(lake.observation_space.n, lake.action_space.n), train


def test_the_kits_train_called_in_the_training_cell_is_named_not_read_as_yours(lenient, capsys, lake):
    """A learner comparing speeds calls the kit's trainer in the training cell: the score must not say
    "trained with your code"."""
    from helpers.scoring import check_pass

    ns = define(notebook(env=lake), "greedy_policy", "epsilon_greedy_policy", "train")
    table, _train = _checked_table(ns, lake)
    table = qlearning.train(env=lake, Qtable=table, learning_rate=0.7, gamma=0.95, **LAKE, progress=False)
    record = recall(table)
    assert record["train"] == KIT and record["initialize_q_table"] == YOURS
    line = pass_line("Taxi-v3", 7.56, 2.71, record)
    print(line)
    assert "trained with your code" not in line
    assert line == ("Taxi-v3: 7.56 +/- 2.71 -> result 4.85 >= 4.5 PASS, but trained with the kit's code for: train, "
                    "epsilon_greedy_policy, greedy_policy (your code called the kit's `qlearning.train`)")
    # Training it again with the checked train does not make the kit's work the learner's.
    _trained_table(_train, lake)
    again = _train(env=lake, Qtable=table, learning_rate=0.7, gamma=0.95, **LAKE)
    assert recall(again)["train"] == KIT and "the kit's `qlearning.train`" in describe(recall(again))
    capsys.readouterr()
    mean, std = qlearning.evaluate_agent(lake, 99, 5, table)
    check_pass("FrozenLake-v1-4x4", mean, std)
    assert "(no pass mark; trained with the kit's code for: train," in capsys.readouterr().out


def test_a_table_whose_record_lacks_train_is_not_known_to_be_yours(lenient, lake):
    """The checked initialize_q_table made the table, then something other than the checked train trained it."""
    ns = define(notebook(env=lake), "greedy_policy", "epsilon_greedy_policy", "train")
    table, _train = _checked_table(ns, lake)
    table[:] = 1.0  # filled by hand, or by a loop of the learner's that no check saw
    record = recall(table)
    assert record == {"initialize_q_table": YOURS} and not provenance.known_trainer(record)
    words = "not known to be yours: nothing shows that your checked `train` trained this table"
    assert describe(record) == words
    assert pass_line("Taxi-v3", 7.56, 2.71, record) == f"Taxi-v3: 7.56 +/- 2.71 -> result 4.85 >= 4.5 PASS, but {words}"
    assert pass_line("Taxi-v3", 1.0, 2.0, record) == f"Taxi-v3: 1.00 +/- 2.00 -> result -1.00 < 4.5 FAIL ({words})"
    # The checked train on the same table makes it the learner's.
    trained = _trained_table(_train, lake)
    assert describe(recall(trained)) == "trained with your code"


def test_a_learners_function_under_another_name_stays_credited(lenient, capsys, lake):
    """`greedy_policy = my_greedy` and `train = check_train(my_train)`: the learner's own code, renamed."""
    from helpers.checks.qlearning import check_epsilon_greedy_policy, check_greedy_policy, check_train

    ns = define(notebook(env=lake), "epsilon_greedy_policy")
    exec(COURSE["greedy_policy"].replace("def greedy_policy(", "def my_greedy("), ns)
    exec(COURSE["train"].replace("def train(", "def my_train("), ns)
    exec("greedy_policy = my_greedy\n", ns)
    ns["greedy_policy"] = check_greedy_policy(ns["greedy_policy"])
    ns["epsilon_greedy_policy"] = check_epsilon_greedy_policy(ns["epsilon_greedy_policy"])
    checked = check_train(ns["my_train"])
    assert "✅ train" in capsys.readouterr().out
    table = _trained_table(checked, lake)
    record = recall(table)
    assert record["train"] == YOURS and record["greedy_policy"] == YOURS and KIT not in record.values()
    assert pass_line("Taxi-v3", 7.56, 2.71, record) == \
        "Taxi-v3: 7.56 +/- 2.71 -> result 4.85 >= 4.5 PASS (trained with your code)"


def test_act_the_debugging_exercise_is_part_of_the_record(lenient, capsys):
    import torch

    from helpers.checks.reinforce import check_act

    ns = notebook(nn=torch.nn, torch=torch, F=torch.nn.functional, device=reinforce.device,
                  Categorical=torch.distributions.Categorical)
    exec("class Policy(nn.Module):\n"
         "    def __init__(self, s_size, a_size, h_size):\n"
         "        super().__init__(); self.fc1 = nn.Linear(s_size, h_size); self.fc2 = nn.Linear(h_size, a_size)\n"
         "    def forward(self, x):\n"
         "        return F.softmax(self.fc2(F.relu(self.fc1(x))), dim=1)\n", ns)
    define(ns, "act")
    mine = check_act(ns["act"], ns["Policy"])
    assert "✅ act" in capsys.readouterr().out
    assert trained_with(Policy=mine(4, 2, 8)) == {"Policy": YOURS, "act": YOURS}
    # A wrong act: the class plays with the kit's act from now on, and the record says so.
    exec("def act(self, state):\n    return 0, None\n", ns)
    fallen_back = check_act(ns["act"], ns["Policy"])
    out = capsys.readouterr().out
    assert "❌ act" in out and "every score says so" in out
    policy = fallen_back(4, 2, 8)
    torch.manual_seed(0)
    cartpole = gym.make("CartPole-v1")
    cartpole.reset(seed=0)
    reinforce.reinforce(policy, torch.optim.Adam(policy.parameters(), lr=1e-2), 2, 20, 0.99, 0, cartpole)
    record = recall(policy)
    assert record["Policy"] == YOURS and record["act"] == KIT and record["reinforce"] == KIT
    words = describe(record)
    assert words.startswith("trained with the kit's code for: ") and "act" in words.split(":")[1]
    print(words)


def test_the_failed_check_trailer_says_every_score_says_so_only_where_a_score_does(lenient, capsys):
    from helpers.checks.qlearning import check_greedy_policy, check_spaces

    taxi = gym.make("Taxi-v3")
    assert check_spaces(taxi, 5, 6) == (500, 6)  # a warm-up line no score records
    out = capsys.readouterr().out
    assert "❌ spaces" in out and "The notebook carries on with the kit's reference `spaces`. Fix" in out
    assert "every score says so" not in out
    check_greedy_policy(lambda Qtable, state: int(np.argmin(Qtable[state])))
    out = capsys.readouterr().out
    assert "❌ greedy_policy" in out and "`greedy_policy`, and every score says so." in out


def test_the_pass_line_keeps_its_record_after_the_table_is_gone(lenient, capsys, lake):
    """A cell that keeps only the score (the table goes out of scope) still gets 'trained with ...'."""
    import gc

    from helpers.scoring import check_pass

    ns = define(notebook(env=lake), "greedy_policy", "epsilon_greedy_policy", "train")
    table = _trained_table(_checked_unit2(ns), lake)
    mean, std = qlearning.evaluate_agent(lake, 99, 5, table)
    del table
    gc.collect()
    capsys.readouterr()
    check_pass("FrozenLake-v1-4x4", mean, std)
    assert "trained with your code" in capsys.readouterr().out
