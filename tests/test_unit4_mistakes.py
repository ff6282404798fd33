"""Unit 4's exercises filled in wrong, the way a beginner fills the TODO cells of notebook 03.

Each mistake is typed into its cell's code (the notebook's imports around it) and handed to the cell's check.
The test asserts the check's verdict (❌, or ✅/⚠️ where the code works and is accepted) and the words of its
message that NAME the mistake; numbers stay under the name as evidence. Accepted variants are also run the way
the cells after the check run them, so that a ✅ holds for what the notebook does next.

| exercise | mistake a beginner types | verdict | the message names |
|---|---|---|---|
| Policy | no `super().__init__()` | ❌ | "`super().__init__()` is missing" |
| Policy | softmax over dim=0 (the batch) | ❌ | "softmax ran over dim=0" |
| Policy | no softmax: returns the logits | ❌ | "raw scores (logits)" |
| Policy | a ReLU on the output instead of a softmax | ❌ | "not probabilities" |
| Policy | `nn.Linear(h_size, s_size)`: sizes swapped | ❌ | "nn.Linear(in_features, out_features)" |
| Policy | no ReLU between the layers | ❌ | "no activation between the layers" |
| Policy | the course's first solution (its `act` takes `np.argmax(m)`) | ✅ + note | "its act fails" (the cell after it prints a hint, no traceback) |
| act | `torch.argmax` instead of sampling | ❌ | "always picks the most likely action" (after a first look) |
| act | `np.argmax(m)` (the course's first version) | ❌ | "`np.argmax(m)` is not an action" |
| act | samples twice (the action from one draw, the log-prob of another) | ❌ | "sampled twice" |
| act | returns the action tensor, not an int | ❌ | "return a plain int with action.item()" |
| act | returns the probability, not its log | ❌ | "probability itself" |
| act | no `unsqueeze(0)` | ❌ | "unsqueeze(0)" |
| act | no `.float()` (float64 state) | ❌ | "float64" |
| act | `.detach()` / `.item()` on the log-prob | ❌ | "carries no gradient" |
| discounted_returns | `G = r + G` (not discounted) | ❌ | "not discounted" |
| discounted_returns | forward loop with `append` | ❌ | "went the wrong way" |
| discounted_returns | forward loop with `appendleft` | ❌ | "went the wrong way" |
| discounted_returns | `G = r + gamma * gamma * G` (gamma twice) | ❌ | "gamma twice" |
| discounted_returns | `G = gamma * (r + G)` (own reward discounted) | ❌ | "reward of step t itself is discounted" |
| discounted_returns | appendleft before updating G (off by one) | ❌ | "off by one step" |
| normalise_returns | no eps: equal returns give NaN | ❌ | "Add a small eps" |
| normalise_returns | divided by the max, not the std | ❌ | "divided by the largest return" |
| normalise_returns | the mean not subtracted | ❌ | "mean is not subtracted" |
| normalise_returns | not divided by the std | ❌ | "not divided by the std" |
| normalise_returns | torch's default std plus eps (the course's) | ✅ + note | "torch's default std of one value is NaN" |
| reinforce_loss | wrong sign | ❌ | "the sign is flipped" |
| reinforce_loss | mean instead of sum | ✅ + note | "averages over the steps" |
| reinforce_loss | the returns left out | ❌ | "the returns are missing" |
| reinforce_loss | probabilities instead of log-probabilities | ❌ | "probabilities instead of log-probabilities" |
| reinforce_loss | sum of log-probs times sum of returns | ❌ | "sums each factor first" |
| reinforce_loss | not summed (one value per step) | ❌ | "sum over the steps" |
| reinforce_loss | `.detach()` on the log-probs | ❌ | "carries no gradient" |
| reinforce | optimizer built inside the episode loop | ❌ | "built an optimizer of its own" |
| reinforce | `optimizer.zero_grad()` missing | ❌ | "call optimizer.zero_grad()" |
| reinforce | `step()` before `backward()` | ❌ | "optimizer.step() came before loss.backward()" |
| reinforce | lists not reset between episodes | ❌ | "Start every episode with empty lists" |
| reinforce | reads the global `env` (no env parameter, the course's) | ✅ + note | "reads `env` from the notebook" |
| reinforce | reads another global env (`eval_env`) instead of its `env` | ❌ | "never played the `env` passed in" |
| reinforce | calls the kit's `reinforce` | ⚠️ | "calls the kit's code" |
| PixelcopterPolicy | one hidden layer | ❌ | "2 hidden layers, so it needs 3" |
| PixelcopterPolicy | no `nn.Module.__init__(self)` | ❌ | "`super().__init__()` is missing" |
| PixelcopterPolicy | forward skips fc3 | ❌ | "the last layer" |
| PixelcopterPolicy | the course's 64-128 widths | ✅ | — |

Advice under a failing pass line (what no check can see alone) is tested at the end: a curve that never
climbed, an optimizer built on another policy's parameters, a policy that never plays an action.
"""

import gymnasium as gym
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from collections import deque
from torch.distributions import Categorical

import helpers  # noqa: F401  (registers the kit's env ids)
from helpers import provenance, reinforce as kit, scoring
from helpers.checks import reinforce as checks
from helpers.checks import reinforce_loop as loop_checks
from tests import languages
from tests.course_solutions import BEGINNER_LOOP
from tests.languages import speak_the_test_language  # noqa: F401  (an autouse fixture)

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _lenient(monkeypatch):
    monkeypatch.delenv("KIT_STRICT", raising=False)
    monkeypatch.setitem(checks._ACT_WATCHED, "done", True)


def notebook():
    """The names notebook 03's import cell defines."""
    return {"np": np, "torch": torch, "nn": nn, "F": F, "optim": optim, "Categorical": Categorical,
            "deque": deque, "gym": gym, "kit": kit, "device": kit.device}


def typed(source, name, **extra):
    namespace = notebook() | extra
    exec(compile(source, "<learner>", "exec"), namespace)
    return namespace[name]


def verdict(capsys):
    return " ".join(capsys.readouterr().out.split())  # a wrapped note reads as one line


def rejected(out, *words):
    assert "❌" in out, out
    assert "Traceback" not in out
    if languages.chinese():  # the same mistake, named in Chinese
        languages.assert_all_chinese(out)
        return
    for w in words:
        assert w in out, (w, out)


def pytest_generate_tests(metafunc):
    languages.run_in_both_languages(metafunc, lambda name: name.endswith("_mistakes_are_named"))


# ---- Policy ------------------------------------------------------------------------------------------------
POLICY = """
class Policy(nn.Module):
    def __init__(self, s_size, a_size, h_size):
        super().__init__()
        self.fc1 = nn.Linear(s_size, h_size)
        self.fc2 = nn.Linear(h_size, a_size)

    def forward(self, x):
        probs = F.softmax(self.fc2(F.relu(self.fc1(x))), dim=1)
        return probs

    def act(self, state):  # written by a colleague (see the debugging exercise)
        state = torch.from_numpy(state).float().unsqueeze(0).to(device)
        probs = self.forward(state).cpu()
        m = Categorical(probs)
        action = torch.argmax(probs, dim=1)
        return action.item(), m.log_prob(action)
"""


@pytest.mark.parametrize("old, new, words", [
    ("        super().__init__()\n", "", ["`super().__init__()` is missing"]),
    ("dim=1)\n        return", "dim=0)\n        return", ["softmax ran over dim=0", "dim=1"]),
    ("F.softmax(self.fc2(F.relu(self.fc1(x))), dim=1)", "self.fc2(F.relu(self.fc1(x)))", ["raw scores (logits)"]),
    ("F.softmax(self.fc2(F.relu(self.fc1(x))), dim=1)", "F.relu(self.fc2(F.relu(self.fc1(x))))",
     ["not probabilities"]),
    ("nn.Linear(s_size, h_size)", "nn.Linear(h_size, s_size)", ["nn.Linear(in_features, out_features)"]),
    ("self.fc2(F.relu(self.fc1(x)))", "self.fc2(self.fc1(x))", ["no activation between the layers"]),
    ("nn.Linear(h_size, a_size)", "nn.Linear(a_size, h_size)", ["nn.Linear(in_features, out_features)"]),
])
def test_policy_mistakes_are_named(old, new, words, capsys):
    assert old in POLICY
    cls = typed(POLICY.replace(old, new), "Policy")
    assert checks.check_policy(cls) is kit.Policy
    rejected(verdict(capsys), *words)


def test_the_course_first_policy_passes_and_the_next_cell_prints_a_hint_not_a_traceback(capsys):
    first = POLICY.replace("torch.argmax(probs, dim=1)", "np.argmax(m)")
    cls = typed(first, "Policy")
    assert checks.check_policy(cls) is cls
    out = verdict(capsys)
    assert "✅ Policy" in out and "its act fails" in out and "debugging exercise" in out, out
    # The cell after the check: build a policy and let it act on the first state.
    env = gym.make("CartPole-v1")
    state, _ = env.reset(seed=0)
    policy = cls(4, 2, 16)
    checks.show_act(policy, state)
    out = verdict(capsys)
    assert "np.argmax(m)" in out and "Traceback" not in out, out
    # With a working act it shows the pair.
    checks.show_act(kit.Policy(4, 2, 16), state)
    out = verdict(capsys)
    assert "action" in out and "log_prob" in out


# ---- act ---------------------------------------------------------------------------------------------------
ACT = """
def act(self, state):
    state = torch.from_numpy(state).float().unsqueeze(0).to(device)
    probs = self.forward(state).cpu()
    m = Categorical(probs)
    action = m.sample()
    return action.item(), m.log_prob(action)
"""


@pytest.mark.parametrize("old, new, words", [
    ("m.sample()", "torch.argmax(probs, dim=1)", ["always picks the most likely action"]),
    ("    action = m.sample()\n    return action.item(), m.log_prob(action)",
     "    action = np.argmax(m)\n    return action.item(), m.log_prob(action)", ["`np.argmax(m)` is not an action"]),
    ("return action.item(), m.log_prob(action)", "return m.sample().item(), m.log_prob(action)",
     ["sampled twice", "m.sample()"]),
    ("return action.item(), m.log_prob(action)", "return action.item(), m.log_prob(m.sample())",
     ["sampled twice"]),
    ("return action.item(),", "return action,", ["return a plain int with action.item()"]),
    ("m.log_prob(action)", "probs[0, action]", ["probability itself"]),
    (".unsqueeze(0)", "", ["unsqueeze(0)"]),
    (".float()", "", ["float64", ".float()"]),
    ("m.log_prob(action)", "m.log_prob(action).detach()", ["carries no gradient"]),
    ("m.log_prob(action)", "m.log_prob(action).item()", ["log_prob is a float"]),
])
def test_act_mistakes_are_named(old, new, words, capsys):
    assert old in ACT
    policy_cls = typed(POLICY, "Policy")
    fn = typed(ACT.replace(old, new), "act")
    assert checks.check_act(fn, policy_cls) is policy_cls and policy_cls.act is kit.Policy.act
    rejected(verdict(capsys), *words)


def test_act_unsqueeze_missing_is_named_with_a_forward_over_the_last_dim_too(capsys):
    # dim=-1 runs on a 1-D state: act "works", but the loop's torch.cat of 0-d log-probs would fail.
    fn = typed(ACT.replace(".unsqueeze(0)", ""), "act")
    assert checks.check_act(fn, kit.Policy) is not None
    rejected(verdict(capsys), "unsqueeze(0)", "shape (1,)")


# ---- discounted_returns ---------------------------------------------------------------------------------------
RETURNS = """
def discounted_returns(rewards, gamma):
    returns = deque(maxlen=len(rewards))
    G = 0.0
    for r in reversed(rewards):
        G = r + gamma * G
        returns.appendleft(G)
    return list(returns)
"""


@pytest.mark.parametrize("old, new, words", [
    ("r + gamma * G", "r + G", ["not discounted"]),
    ("for r in reversed(rewards):\n        G = r + gamma * G\n        returns.appendleft(G)",
     "for r in rewards:\n        G = r + gamma * G\n        returns.append(G)", ["went the wrong way"]),
    ("for r in reversed(rewards):", "for r in rewards:", ["went the wrong way"]),
    ("r + gamma * G", "r + gamma * gamma * G", ["gamma twice"]),
    ("r + gamma * G", "gamma * (r + G)", ["reward of step t itself is discounted"]),
    ("        G = r + gamma * G\n        returns.appendleft(G)",
     "        returns.appendleft(G)\n        G = r + gamma * G", ["off by one step"]),
])
def test_discounted_returns_mistakes_are_named(old, new, words, capsys):
    assert old in RETURNS
    fn = typed(RETURNS.replace(old, new), "discounted_returns")
    assert checks.check_discounted_returns(fn) is kit.discounted_returns
    out = verdict(capsys)
    rejected(out, *words)
    assert ("expected" if not languages.chinese() else "对奖励") in out  # the numbers stay, under the name


# ---- normalise_returns -----------------------------------------------------------------------------------------
NORMALISE = """
def normalise_returns(returns, eps=1e-8):
    returns = torch.as_tensor(returns, dtype=torch.float32)
    centred = returns - returns.mean()
    if returns.numel() < 2:
        return centred
    return centred / (returns.std(unbiased=False) + eps)
"""


@pytest.mark.parametrize("old, new, words", [
    ("(returns.std(unbiased=False) + eps)", "returns.std(unbiased=False)", ["Add a small eps"]),
    ("(returns.std(unbiased=False) + eps)", "returns.max()", ["divided by the largest return"]),
    ("(returns.std(unbiased=False) + eps)", "returns.abs().max()", ["divided by the largest return"]),
    ("centred = returns - returns.mean()", "centred = returns", ["mean is not subtracted"]),
    ("return centred / (returns.std(unbiased=False) + eps)", "return centred", ["not divided by the std"]),
])
def test_normalise_returns_mistakes_are_named(old, new, words, capsys):
    assert old in NORMALISE
    fn = typed(NORMALISE.replace(old, new), "normalise_returns")
    assert checks.check_normalise_returns(fn) is kit.normalise_returns
    rejected(verdict(capsys), *words)


def test_normalise_returns_course_std_is_accepted_with_a_note(capsys):
    fn = typed(NORMALISE.replace("returns.std(unbiased=False)", "returns.std()").replace(
        "    if returns.numel() < 2:\n        return centred\n", ""), "normalise_returns")
    assert checks.check_normalise_returns(fn) is fn
    out = verdict(capsys)
    assert "✅" in out and "torch's default std of one value is NaN" in out


# ---- reinforce_loss ---------------------------------------------------------------------------------------------
LOSS = """
def reinforce_loss(log_probs, returns):
    loss = -(log_probs * returns).sum()
    return loss
"""


@pytest.mark.parametrize("new, words", [
    ("(log_probs * returns).sum()", ["the sign is flipped"]),
    ("-log_probs.sum()", ["the returns are missing"]),
    ("-(log_probs.exp() * returns).sum()", ["probabilities instead of log-probabilities"]),
    ("-log_probs.sum() * returns.sum()", ["sums each factor first"]),
    ("-(log_probs * returns)", ["sum over the steps"]),
    ("-(log_probs.detach() * returns).sum()", ["carries no gradient"]),
])
def test_reinforce_loss_mistakes_are_named(new, words, capsys):
    fn = typed(LOSS.replace("-(log_probs * returns).sum()", new), "reinforce_loss")
    assert checks.check_reinforce_loss(fn) is kit.reinforce_loss
    out = verdict(capsys)
    rejected(out, *words)


def test_reinforce_loss_mean_is_accepted_and_trains(capsys):
    fn = typed(LOSS.replace("(log_probs * returns).sum()", "(log_probs * returns).mean()"), "reinforce_loss")
    assert checks.check_reinforce_loss(fn) is fn
    assert "averages over the steps" in verdict(capsys)
    # What the notebook does next with it: the batched trainer's loss.
    env = kit.make_vec_env("CartPole-v1", 4, max_episode_steps=50) if hasattr(kit, "make_vec_env") else None
    if env is None:
        from helpers.envs import make_vec_env
        env = make_vec_env("CartPole-v1", 4, max_episode_steps=50)
    policy = kit.Policy(4, 2, 8)
    scores = kit.train_batched(policy, optim.Adam(policy.parameters(), lr=1e-2), env, 8, 50, 0.99, 0,
                               seed=0, progress=False, reinforce_loss=fn)
    assert len(scores) == 8


# ---- reinforce (the loop) ---------------------------------------------------------------------------------------
LOOP = BEGINNER_LOOP
PIECES = {"discounted_returns": kit.discounted_returns, "normalise_returns": kit.normalise_returns,
          "reinforce_loss": kit.reinforce_loss}


def loop(*changes, **extra):
    source = LOOP
    for old, new in changes:
        assert old in source, old
        source = source.replace(old, new)
    return typed(source, "reinforce", **PIECES, **extra)


@pytest.mark.parametrize("changes, words", [
    ([("        saved_log_probs, rewards = [], []\n",
       "        saved_log_probs, rewards = [], []\n        optimizer = optim.Adam(policy.parameters(), lr=1e-2)\n")],
     ["built an optimizer of its own", "the `optimizer` passed in"]),
    ([("        optimizer.zero_grad()\n", "")], ["call optimizer.zero_grad()"]),
    ([("        loss.backward()\n        optimizer.step()\n", "        optimizer.step()\n        loss.backward()\n")],
     ["optimizer.step() came before loss.backward()"]),
    ([("        saved_log_probs, rewards = [], []\n", ""),
      ("    scores = []\n", "    scores = []\n    saved_log_probs, rewards = [], []\n")],
     ["Start every episode with empty lists"]),
    ([("state, info = env.reset()", "state, info = eval_env.reset()"),
      ("= env.step(action)", "= eval_env.step(action)")], ["never played the `env` passed in", "eval_env"]),
])
def test_loop_mistakes_are_named(changes, words, capsys):
    fn = loop(*changes, eval_env=gym.make("CartPole-v1"))
    assert provenance._unwrap(loop_checks.check_reinforce(fn, kit.Policy)) is kit.reinforce
    rejected(verdict(capsys), *words)


def test_loop_reading_the_global_env_is_accepted_and_trains_as_the_next_cell_calls_it(capsys):
    env = gym.make("CartPole-v1")
    fn = loop(("print_every, env):", "print_every):"), env=env)
    checked = loop_checks.check_reinforce(fn, kit.Policy)
    out = verdict(capsys)
    assert "✅ reinforce" in out and "reads `env` from the notebook" in out, out
    torch.manual_seed(0)
    env.reset(seed=0)
    policy = kit.Policy(4, 2, 16)
    scores = checked(policy, optim.Adam(policy.parameters(), lr=5e-3), 5, 1000, 0.99, 100, env)
    assert len(scores) == 5


def test_loop_calling_the_kits_reinforce_is_flagged(capsys):
    source = """
def reinforce(policy, optimizer, n_training_episodes, max_t, gamma, print_every, env):
    return kit.reinforce(policy, optimizer, n_training_episodes, max_t, gamma, print_every, env)
"""
    fn = typed(source, "reinforce")
    loop_checks.check_reinforce(fn, kit.Policy)
    out = verdict(capsys)
    assert "⚠️ reinforce" in out and "calls the kit's code" in out, out


# ---- PixelcopterPolicy ------------------------------------------------------------------------------------------
PIXELCOPTER = """
class PixelcopterPolicy(Policy):
    def __init__(self, s_size, a_size, h_size):
        nn.Module.__init__(self)  # not Policy.__init__: this network has its own layers
        self.fc1 = nn.Linear(s_size, h_size)
        self.fc2 = nn.Linear(h_size, h_size)
        self.fc3 = nn.Linear(h_size, a_size)

    def forward(self, x):
        probs = F.softmax(self.fc3(F.relu(self.fc2(F.relu(self.fc1(x))))), dim=1)
        return probs
"""


@pytest.mark.parametrize("changes, words", [
    ([("        self.fc2 = nn.Linear(h_size, h_size)\n        self.fc3 = nn.Linear(h_size, a_size)\n",
       "        self.fc2 = nn.Linear(h_size, a_size)\n"),
      ("self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))", "self.fc2(F.relu(self.fc1(x)))")], ["2 hidden layers, so it needs 3"]),
    ([("        nn.Module.__init__(self)  # not Policy.__init__: this network has its own layers\n", "")],
     ["`super().__init__()` is missing"]),
    ([("self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))", "self.fc2(F.relu(self.fc1(x)))")], ["the last layer"]),
])
def test_pixelcopter_policy_mistakes_are_named(changes, words, capsys):
    source = PIXELCOPTER
    for old, new in changes:
        assert old in source
        source = source.replace(old, new)
    cls = typed(source, "PixelcopterPolicy", Policy=kit.Policy)
    assert checks.check_pixelcopter_policy(cls) is kit.PixelcopterPolicy
    rejected(verdict(capsys), *words)


def test_pixelcopter_policy_course_widths_are_accepted(capsys):
    source = PIXELCOPTER.replace("nn.Linear(h_size, h_size)", "nn.Linear(h_size, h_size * 2)").replace(
        "nn.Linear(h_size, a_size)", "nn.Linear(h_size * 2, a_size)")
    cls = typed(source, "PixelcopterPolicy", Policy=kit.Policy)
    assert checks.check_pixelcopter_policy(cls) is cls
    assert "✅" in verdict(capsys)


# ---- advice under a failing pass line ----------------------------------------------------------------------------
def _train_and_score(policy, optimizer, episodes, trainer=kit.reinforce):
    env = gym.make("CartPole-v1")
    env.reset(seed=0)
    trainer(policy, optimizer, episodes, 200, 0.99, 0, env)
    mean, std = kit.evaluate_agent(gym.make("CartPole-v1"), 200, 3, policy, seed=1)
    return mean, std


def _advice(env_name, mean, std):
    return scoring.advice(env_name, mean, std, provenance.record_for_score(mean, std)) or ""


def test_advice_optimizer_on_another_policys_parameters():
    torch.manual_seed(0)
    policy, other = kit.Policy(4, 2, 16), kit.Policy(4, 2, 16)
    mean, std = _train_and_score(policy, optim.Adam(other.parameters(), lr=1e-2), 20)
    text = _advice("CartPole-v1", mean, std)
    assert "optimizer was built on another policy's parameters" in text, text
    assert "did not climb" not in text or "optimizer" in text


def test_advice_curve_did_not_climb_and_only_what_fits():
    torch.manual_seed(0)
    policy = kit.Policy(4, 2, 16)
    mean, std = _train_and_score(policy, optim.Adam(policy.parameters(), lr=0.0), 100)
    text = _advice("CartPole-v1", mean, std)
    assert "did not climb" in text, text
    assert "another policy's parameters" not in text  # this one was built on the right parameters


def test_advice_curve_climbed_says_train_longer_not_that_it_failed_to_learn():
    torch.manual_seed(0)
    policy = kit.Policy(4, 2, 16)
    mean, std = _train_and_score(policy, optim.Adam(policy.parameters(), lr=1e-2), 150)
    if scoring.result(mean, std) >= scoring.PASS_MARKS["CartPole-v1"]:
        pytest.skip("passed")
    text = _advice("CartPole-v1", mean, std)
    assert "climbed" in text and "did not climb" not in text, text


def test_advice_policy_that_never_plays_an_action():
    torch.manual_seed(0)
    policy = kit.Policy(4, 2, 16)
    mean, std = _train_and_score(policy, optim.Adam(policy.parameters(), lr=0.0), 10)
    checks._bias_output(policy, [0.9999999, 0.0000001])  # training settled on action 0
    mean, std = kit.evaluate_agent(gym.make("CartPole-v1"), 200, 3, policy, seed=1)
    text = _advice("CartPole-v1", mean, std)
    assert "never gives action 1" in text, text


def test_advice_for_an_untrained_policy_on_pong_and_pixelcopter():
    for env_name in ("Pixelcopter-PLE-v0", "Pong-PLE-v0"):
        torch.manual_seed(0)
        policy = kit.PixelcopterPolicy(7, 2 if env_name.startswith("Pixel") else 3, 8)
        mean, std = kit.evaluate_agent(gym.make(env_name), 300, 2, policy, seed=1)
        text = _advice(env_name, mean, std)
        assert "No training run of this policy" in text, (env_name, text)
        assert "train again" not in text  # it was never trained: only the advice that fits


# ---- the solution a learner is shown ----------------------------------------------------------------------------
def test_show_solution_prints_the_plain_loop_and_that_loop_passes_its_check(capsys):
    from helpers.checks.exercises import show_solution, solution_cell, teaching_version

    show_solution(kit.reinforce)
    out = capsys.readouterr().out
    assert "def reinforce(policy, optimizer, n_training_episodes, max_t, gamma, print_every, env):" in out
    assert "check_args" not in out and "note_training" not in out and "_(" not in out, out
    # Typed into the TODO cell (as the solved notebook does), with the notebook's own pieces, it passes.
    namespace = notebook() | PIECES
    exec(compile(solution_cell(teaching_version(kit.reinforce)), "<cell>", "exec"), namespace)
    mine = namespace["reinforce"]
    assert provenance._unwrap(loop_checks.check_reinforce(mine, kit.Policy)) is mine
    assert "✅ reinforce" in capsys.readouterr().out
