"""Unit 4 (REINFORCE): reference implementations, the exercise checks, and tiny training runs."""
import inspect
import math
import re

import gymnasium as gym
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical

import helpers  # noqa: F401  (registers the kit's env ids)
from helpers import defaults, features, policies, reinforce
from helpers.envs import make_vec_env
from helpers.checks import reinforce as reinforce_checks
from helpers.checks import reinforce_loop as loop_checks
from helpers.checks.exercises import ExerciseFailed
from helpers.policies import PolicyNetwork
from helpers.reinforce import (Policy, PixelcopterPolicy, discounted_returns, evaluate_agent, normalise_returns,
                               reinforce_loss)

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _lenient(monkeypatch):
    monkeypatch.delenv("KIT_STRICT", raising=False)
    monkeypatch.setitem(reinforce_checks._ACT_WATCHED, "done", True)  # the debugging exercise's first look: tested alone


# --- returns and loss --------------------------------------------------------------------------------------

def test_discounted_returns_by_hand():
    assert discounted_returns([1.0, 1.0, 1.0], 0.5) == pytest.approx([1.75, 1.5, 1.0])
    assert discounted_returns([0.0, 0.0, 1.0], 0.9) == pytest.approx([0.81, 0.9, 1.0])
    assert discounted_returns([1.0, -5.0], 1.0) == pytest.approx([-4.0, -5.0])
    assert discounted_returns([], 0.99) == []


def test_normalise_returns_mean_zero_std_one():
    out = normalise_returns([1.0, 2.0, 3.0, 4.0])
    assert float(out.mean()) == pytest.approx(0.0, abs=1e-6)
    assert float(out.std(unbiased=False)) == pytest.approx(1.0, abs=1e-5)
    assert out.tolist() == sorted(out.tolist())


@pytest.mark.parametrize("returns", [[5.0], [2.0, 2.0, 2.0]])
def test_normalise_returns_one_step_or_constant_gives_zeros_not_nan(returns):
    out = normalise_returns(returns)
    assert not torch.isnan(out).any()
    assert torch.all(out == 0)


def test_reinforce_loss_by_hand():
    log_probs = torch.tensor([-1.0, -2.0], requires_grad=True)
    loss = reinforce_loss(log_probs, torch.tensor([1.0, -0.5]))
    assert float(loss.detach()) == pytest.approx(1.0 * 1.0 + (-2.0) * 0.5)  # -(-1*1 + -2*-0.5)
    loss.backward()
    assert log_probs.grad.tolist() == [-1.0, 0.5]  # gradient descent raises the first action's log-prob


# --- the policies --------------------------------------------------------------------------------------------

def test_policy_shapes_and_probabilities():
    torch.manual_seed(0)
    policy = Policy(4, 2, 16)
    probs = policy(torch.randn(6, 4))
    assert probs.shape == (6, 2)
    assert torch.allclose(probs.sum(-1), torch.ones(6))
    action, log_prob = policy.act(np.zeros(4))
    assert isinstance(action, int) and action in (0, 1)
    assert log_prob.requires_grad and log_prob.shape == (1,)


def test_pixelcopter_policy_has_two_hidden_layers_and_policy_act():
    policy = PixelcopterPolicy(7, 2, 8)
    assert [m.out_features for m in policy.modules() if isinstance(m, nn.Linear)] == [8, 8, 2]
    assert PixelcopterPolicy.act is Policy.act
    action, log_prob = policy.act(np.zeros(7, dtype=np.float32))
    assert action in (0, 1) and log_prob.requires_grad


def test_policy_network_architecture_rebuilds_deep_net_and_scale():
    policy = PolicyNetwork(7, 2, (64, 64), obs_scale=[48.0] * 7)
    arch = policy.architecture
    assert arch == {"s_size": 7, "a_size": 2, "h_size": [64, 64], "obs_scale": [48.0] * 7}
    rebuilt = PolicyNetwork(**arch)
    rebuilt.load_state_dict(policy.state_dict())
    x = torch.randn(3, 7) * 30
    assert torch.allclose(rebuilt(x), policy(x))
    assert sum(isinstance(m, torch.nn.Linear) for m in rebuilt.modules()) == 3
    assert PolicyNetwork(4, 2, 16).architecture == {"s_size": 4, "a_size": 2, "h_size": 16}


def test_pixelcopter_relative_features_by_hand():
    # y 20, velocity -0.5, 3 px below the ceiling (segment centre 29), block ahead 10 px at rows [26, 35).
    obs = torch.tensor([[20.0, -0.5, 3.0, 21.0, 10.0, 30.0, 39.0]])
    feats = features.pixelcopter_relative(obs)
    assert feats[0].tolist() == pytest.approx([20 - 25.2, -0.5, 3 - 12, 29 - 24, 10.0, 10.5, 10.5])
    obs[0, 5] = 8.0  # a block above instead: the offset turns negative, the distance stays positive
    assert features.pixelcopter_relative(obs)[0, 5:].tolist() == [-11.5, 11.5]


SCALE = [8, 0.5, 4, 4, 16, 8, 8]


def test_with_inputs_sees_the_features_and_exports_as_the_same_network():
    torch.manual_seed(0)
    policy = policies.with_inputs(PixelcopterPolicy(7, 2, 8), "pixelcopter-relative", SCALE)
    x = torch.randn(5, 7) * 10 + 20
    expected = features.pixelcopter_relative(x) / policy.obs_scale
    assert torch.allclose(policy(x), policy.policy(expected))
    net = policies.export_network(policy)
    assert net.architecture == {"s_size": 7, "a_size": 2, "h_size": [8, 8], "obs_scale": [float(v) for v in SCALE],
                                "obs_features": "pixelcopter-relative"}
    assert torch.allclose(net(x), policy(x), atol=1e-6)
    rebuilt = PolicyNetwork(**net.architecture)
    rebuilt.load_state_dict(net.state_dict())
    assert torch.allclose(rebuilt(x), policy(x), atol=1e-6)
    with pytest.raises(ValueError, match="Unknown obs_features 'relative'.*pixelcopter-relative"):
        policies.with_inputs(Policy(7, 2, 8), obs_features="relative")


def test_the_exercise_policy_with_inputs_is_the_certified_network_bit_for_bit():
    """make_policy(PIXELCOPTER) builds the exercise's PixelcopterPolicy inside with_inputs; from the same seed
    it starts from the same weights and computes the same numbers as the PolicyNetwork the kit certified
    before the exercise existed, so that certification carries over."""
    torch.manual_seed(3)
    old = PolicyNetwork(7, 2, (64, 64), obs_scale=defaults.PIXELCOPTER.obs_scale, obs_features="pixelcopter-relative")
    new = reinforce.make_policy(defaults.PIXELCOPTER, seed=3)
    assert isinstance(new.policy, PixelcopterPolicy)
    for a, b in zip(old.parameters(), new.parameters()):
        assert torch.equal(a, b)
    x = torch.randn(64, 7) * 10 + 20
    assert torch.equal(old(x), new(x))


def test_export_network_refuses_what_it_cannot_rebuild():
    class DoubledLogitsPolicy(Policy):  # no layer stack of the saved format computes this
        def forward(self, x):
            return F.softmax(2 * self.fc2(F.relu(self.fc1(x))), dim=-1)

    with pytest.raises(ValueError, match="computes something else"):
        policies.export_network(DoubledLogitsPolicy(4, 2, 8))
    assert isinstance(policies.export_network(Policy(4, 2, 8)), PolicyNetwork)


def test_policy_network_wrong_state_size_says_expected_size():
    policy = PolicyNetwork(4, 2, 16)
    with pytest.raises(ValueError, match="expects observations with 4 values"):
        policy.act(np.zeros(7))


# --- training and evaluation -----------------------------------------------------------------------------

def _train_course_loop(seed, episodes=20):
    torch.manual_seed(seed)
    env = gym.make("CartPole-v1")
    env.reset(seed=seed)
    policy = Policy(4, 2, 16)
    opt = torch.optim.Adam(policy.parameters(), lr=1e-2)
    return policy, reinforce.reinforce(policy, opt, episodes, 1000, 0.99, 0, env)


def test_course_loop_is_deterministic_under_seeds():
    p1, s1 = _train_course_loop(3)
    p2, s2 = _train_course_loop(3)
    _, s3 = _train_course_loop(4)
    assert len(s1) == 20 and s1 == s2 and s1 != s3
    for a, b in zip(p1.parameters(), p2.parameters()):
        assert torch.equal(a, b)


def test_course_loop_learns_cartpole():
    # Random play lasts about 22 steps; 150 one-episode updates take a few seconds and reach far more.
    _, scores = _train_course_loop(0, episodes=150)
    assert np.mean(scores[:20]) < 40
    assert np.mean(scores[-30:]) > 80


class OneStep(gym.Env):
    observation_space = gym.spaces.Box(-1, 1, (4,))
    action_space = gym.spaces.Discrete(2)

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(4, dtype=np.float32), {}

    def step(self, action):
        return np.zeros(4, dtype=np.float32), 1.0, True, False, {}


@pytest.mark.parametrize("loop", ["course", "batched"])
def test_one_step_episodes_give_no_nan(loop):
    policy = Policy(4, 2, 8)
    opt = torch.optim.Adam(policy.parameters(), lr=1e-2)
    if loop == "course":
        scores = reinforce.reinforce(policy, opt, 5, 10, 1.0, 0, OneStep())
    else:
        one_step = gym.vector.SyncVectorEnv([OneStep], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
        scores = reinforce.train_batched(policy, opt, one_step, 5, 10, 1.0, print_every=0, seed=0, progress=False)
    assert scores == [1.0] * 5
    assert all(torch.isfinite(p).all() for p in policy.parameters())


def _train_batched(seed, episodes=32, **pieces):
    torch.manual_seed(seed)
    policy = Policy(4, 2, 16)
    opt = torch.optim.Adam(policy.parameters(), lr=1e-2)
    envs = make_vec_env("CartPole-v1", 4, max_episode_steps=1000)
    scores = reinforce.train_batched(policy, opt, envs, episodes, 1000, 0.99, print_every=0, seed=seed,
                                     progress=False, **pieces)
    return policy, scores


def test_train_batched_is_deterministic_and_learns():
    p1, s1 = _train_batched(3)
    p2, s2 = _train_batched(3)
    assert len(s1) == 32 and s1 == s2 and s1 != _train_batched(4)[1]
    for a, b in zip(p1.parameters(), p2.parameters()):
        assert torch.equal(a, b)
    _, scores = _train_batched(0, episodes=240)
    assert np.mean(scores[:24]) < 40
    assert np.mean(scores[-40:]) > 80


def test_train_batched_uses_the_pieces_it_is_given():
    calls = {"discounted_returns": 0, "normalise_returns": 0, "reinforce_loss": 0}

    def counted(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    _, mine = _train_batched(5, episodes=16, **{name: counted(name, getattr(reinforce, name)) for name in calls})
    assert calls == {"discounted_returns": 16, "normalise_returns": 4, "reinforce_loss": 4}  # 4 copies: 4 updates
    assert mine == _train_batched(5, episodes=16)[1]  # the same maths as the defaults
    # A different piece changes the training: a loss with the sign flipped unlearns.
    _, flipped = _train_batched(0, episodes=240, reinforce_loss=lambda lp, g: (lp * g).sum())
    assert np.mean(flipped[-40:]) < 30


def test_evaluate_agent_runs_without_grad_and_repeats_with_seed():
    seen = []

    class Spy(Policy):
        def forward(self, x):
            seen.append(torch.is_grad_enabled())
            return super().forward(x)

    torch.manual_seed(0)
    policy = Spy(4, 2, 16)
    env = gym.make("CartPole-v1")
    greedy = evaluate_agent(env, 1000, 3, policy, seed=5)
    assert seen and not any(seen)
    assert evaluate_agent(env, 1000, 3, policy, seed=5) == greedy
    sampled = evaluate_agent(env, 1000, 3, policy, greedy=False, seed=5)
    assert sampled == evaluate_agent(env, 1000, 3, policy, greedy=False, seed=5)
    mean, std = evaluate_agent(env, 7, 2, policy, seed=1)  # max_steps caps each episode
    assert mean <= 7 and std >= 0


def test_choose_action_greedy_takes_the_most_likely_and_sampling_follows_the_probabilities():
    policy = Policy(4, 2, 8)
    reinforce_checks._bias_output(policy, [0.8, 0.2])
    assert {reinforce.choose_action(policy, np.zeros(4)) for _ in range(20)} == {0}
    gen = torch.Generator().manual_seed(0)
    drawn = [reinforce.choose_action(policy, np.zeros(4), greedy=False, generator=gen) for _ in range(500)]
    assert 0.14 < np.mean(drawn) < 0.26


def test_config_hyperparameters_have_the_course_keys():
    hp = defaults.CARTPOLE.hyperparameters()
    for key in ["h_size", "n_training_episodes", "n_evaluation_episodes", "max_t", "gamma", "lr", "env_id",
                "state_space", "action_space"]:
        assert key in hp
    assert hp["state_space"] == 4 and hp["action_space"] == 2


def test_config_train_kwargs_are_what_each_trainer_takes():
    assert defaults.CARTPOLE.train_kwargs() == {"n_training_episodes": 1000, "max_t": 1000, "gamma": 0.99}
    assert set(defaults.CARTPOLE.train_kwargs()) <= set(inspect.signature(reinforce.reinforce).parameters)
    kwargs = defaults.PIXELCOPTER.train_kwargs()
    assert kwargs["max_t"] == defaults.PIXELCOPTER.train_max_t and kwargs["batch_episodes"] == 256
    assert set(kwargs) <= set(inspect.signature(reinforce.train_batched).parameters)


def test_train_and_evaluate_uses_the_course_loop_for_one_env_and_the_batched_one_otherwise(monkeypatch):
    used = []
    monkeypatch.setattr(reinforce, "reinforce", lambda *a, **k: used.append("course") or [1.0])
    monkeypatch.setattr(reinforce, "train_batched", lambda *a, **k: used.append("batched") or [1.0])
    reinforce.train_and_evaluate(defaults.CARTPOLE.replace(n_evaluation_episodes=1, max_t=5), seed=0)
    reinforce.train_and_evaluate(defaults.CARTPOLE_BATCHED.replace(n_evaluation_episodes=1, max_t=5), seed=0)
    assert used == ["course", "batched"]


# --- exercise checks --------------------------------------------------------------------------------------

def _verdict(capsys):
    return capsys.readouterr().out


def test_checks_accept_the_reference(capsys):
    assert reinforce_checks.check_policy(Policy) is Policy
    assert reinforce_checks.check_act(Policy.act, Policy) is Policy
    assert reinforce_checks.check_discounted_returns(discounted_returns) is discounted_returns
    assert reinforce_checks.check_normalise_returns(normalise_returns) is normalise_returns
    assert reinforce_checks.check_reinforce_loss(reinforce_loss) is reinforce_loss
    assert reinforce_checks.check_pixelcopter_policy(PixelcopterPolicy) is PixelcopterPolicy
    assert used(loop_checks.check_reinforce(reinforce.reinforce, Policy)) is reinforce.reinforce
    out = _verdict(capsys)
    assert out.count("reference is in use") == 7 and "❌" not in out


def used(fn):
    """The function a check handed back, behind the record-keeping wrapper (helpers.provenance.tracked)."""
    from helpers import provenance

    return provenance._unwrap(fn)


def _own(cls_or_fn):
    """A copy of a reference that counts as the learner's (defined here, not in helpers)."""
    if inspect.isclass(cls_or_fn):
        return type(cls_or_fn.__name__, (cls_or_fn,), {})
    namespace = dict(cls_or_fn.__globals__)
    exec(compile(inspect.getsource(cls_or_fn), "<learner>", "exec"), namespace)
    return namespace[cls_or_fn.__name__]


def test_checks_accept_a_learners_copy_of_the_reference(capsys):
    for check, ref in [(reinforce_checks.check_policy, Policy), (reinforce_checks.check_discounted_returns,
                       discounted_returns), (reinforce_checks.check_normalise_returns, normalise_returns),
                       (reinforce_checks.check_reinforce_loss, reinforce_loss),
                       (reinforce_checks.check_pixelcopter_policy, PixelcopterPolicy)]:
        mine = _own(ref)
        assert check(mine) is mine
    mine = _own(reinforce.reinforce)
    assert used(loop_checks.check_reinforce(mine, Policy)) is mine
    out = _verdict(capsys)
    assert out.count("✅") >= 6 and "❌" not in out


class CourseArgmaxPolicy(Policy):
    """The course's first Policy, with the bug its debugging exercise is about."""

    def act(self, state):
        state = torch.from_numpy(state).float().unsqueeze(0).to(reinforce.device)
        probs = self.forward(state).cpu()
        m = Categorical(probs)
        action = np.argmax(m)
        return action.item(), m.log_prob(action)


class ArgmaxPolicy(Policy):
    def act(self, state):
        probs = self.forward(torch.as_tensor(np.asarray(state), dtype=torch.float32).unsqueeze(0))
        action = probs.argmax(dim=-1)
        return action.item(), Categorical(probs).log_prob(action)


class LogitsPolicy(Policy):
    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class ProbPolicy(Policy):
    def act(self, state):
        probs = self.forward(torch.as_tensor(np.asarray(state), dtype=torch.float32).unsqueeze(0))
        action = Categorical(probs).sample()
        return action.item(), probs[0, action]


class TodoPolicy(Policy):
    def act(self, state):
        action = None  # TODO
        return action


class UnfilledPolicy(Policy):
    def act(self, state):
        action, log_prob = None, None  # TODO
        return action, log_prob


class NoLayersPolicy(nn.Module):
    def __init__(self, s_size, a_size, h_size):
        super().__init__()
        self.fc1 = None  # TODO
        self.fc2 = None  # TODO

    def forward(self, x):
        return None


@pytest.mark.parametrize("cls, hint", [
    (LogitsPolicy, "raw scores (logits)"),
    (NoLayersPolicy, "has no weights"),
])
def test_check_policy_rejects_with_hint(cls, hint, capsys):
    assert reinforce_checks.check_policy(cls) is Policy
    out = _verdict(capsys)
    assert "❌" in out and hint in out


def test_check_policy_leaves_act_to_the_debugging_exercise(capsys):
    assert reinforce_checks.check_policy(ArgmaxPolicy) is ArgmaxPolicy  # the class comes with the buggy act
    assert "✅" in _verdict(capsys)


@pytest.mark.parametrize("cls, hint", [
    (ArgmaxPolicy, "always picks the most likely action"),
    (UnfilledPolicy, "TODO still unfilled"),
    (ProbPolicy, "probability itself"),
    (TodoPolicy, "return a pair"),
    (CourseArgmaxPolicy, "`np.argmax(m)` is not an action"),
])
def test_check_act_rejects_with_hint(cls, hint, capsys):
    assert reinforce_checks.check_act(cls.act, Policy) is Policy
    out = _verdict(capsys)
    assert "❌" in out and hint in out, out


# The debugging exercise as the notebook gives it: the colleague's act, with the bug.
COLLEAGUE_ACT = """
def act(self, state):
    state = torch.from_numpy(state).float().unsqueeze(0).to(device)
    probs = self.forward(state).cpu()
    m = Categorical(probs)
    action = torch.argmax(probs, dim=1)  # TODO: there is a bug in this function
    return action.item(), m.log_prob(action)
"""


def _typed(source, name):
    namespace = dict(reinforce.__dict__)
    exec(compile(source, "<learner>", "exec"), namespace)
    return namespace[name]


def test_debugging_exercise_first_shows_what_to_observe_then_names_the_bug(monkeypatch, capsys):
    monkeypatch.setitem(reinforce_checks._ACT_WATCHED, "done", False)
    learners = type("Policy", (Policy,), {"act": _typed(COLLEAGUE_ACT, "act")})  # the notebook's class, buggy act
    buggy = learners.act
    assert reinforce_checks.check_act(buggy, learners) is learners
    first = _verdict(capsys)
    assert "❌ act: the agent does not learn with this act" in first and "50 CartPole episodes" in first
    scores = [int(v) for v in re.search(r"stayed up for ([\d, ]+) steps", first).group(1).split(", ")]
    assert len(scores) == 50 and max(scores) < 22  # worse than random play, and it never improves
    assert "m.sample()" not in first and "argmax" not in first  # the answer only on request...
    assert "show_solution(" in first  # ...which the verdict says how to make
    assert learners.act is Policy.act  # meanwhile the notebook carries on with a sampling act
    # The second try with the same bug names it, still without the code.
    reinforce_checks.check_act(buggy, learners)
    second = _verdict(capsys)
    assert "always picks the most likely action" in second and "m.sample()" not in second
    # The fix: the learner's act is the one the Policy class uses from here on.
    fixed = _typed(COLLEAGUE_ACT.replace("torch.argmax(probs, dim=1)", "m.sample()"), "act")
    assert reinforce_checks.check_act(fixed, learners) is learners and learners.act is fixed
    assert "✅ act" in _verdict(capsys)
    # It never changes the reference class: with the reference Policy, a subclass carries the learner's act.
    mine = reinforce_checks.check_act(fixed, Policy)
    assert mine is not Policy and issubclass(mine, Policy) and mine.act is fixed and Policy.act is not fixed


def test_check_pixelcopter_policy_wants_two_hidden_layers(capsys):
    class OneHidden(Policy):
        pass

    assert reinforce_checks.check_pixelcopter_policy(OneHidden) is PixelcopterPolicy
    assert "2 nn.Linear layers" in _verdict(capsys)


def _forward(rewards, gamma):
    out, G = [], 0.0
    for r in rewards:
        G = r + gamma * G
        out.append(G)
    return out


@pytest.mark.parametrize("fn, hint", [
    (_forward, "wrong way"),
    (lambda rewards, gamma: discounted_returns(rewards, 1.0), "not discounted"),
    (lambda rewards, gamma: discounted_returns(rewards, gamma)[::-1], "reverse order"),
    (lambda rewards, gamma: normalise_returns(discounted_returns(rewards, gamma)) if len(rewards) > 1
     else discounted_returns(rewards, gamma), "normalised already"),
    (lambda rewards, gamma: None, "TODO"),
    (lambda rewards, gamma: [None] * len(rewards), "TODO"),
])
def test_check_discounted_returns_rejects_with_hint(fn, hint, capsys):
    assert reinforce_checks.check_discounted_returns(fn) is discounted_returns
    out = _verdict(capsys)
    assert "❌" in out and hint in out


@pytest.mark.parametrize("fn, hint", [
    (lambda returns, eps=1e-8: torch.tensor(returns), "mean 0 and std 1"),
    (lambda returns, eps=1e-8: list(returns), "torch tensor"),
    (lambda returns, eps=1e-8: (torch.tensor(returns) - torch.tensor(returns).mean()) / torch.tensor(returns).std(),
     "equal values"),
])
@pytest.mark.filterwarnings("ignore:std\\(\\)")
def test_check_normalise_returns_rejects_with_hint(fn, hint, capsys):
    assert reinforce_checks.check_normalise_returns(fn) is normalise_returns
    out = _verdict(capsys)
    assert "❌" in out and hint in out


def test_check_normalise_returns_accepts_the_course_version_with_a_note(capsys):
    def course(returns, eps=1e-8):  # torch's default (unbiased) std: NaN for a single return
        returns = torch.tensor(returns)
        return (returns - returns.mean()) / (returns.std() + np.finfo(np.float32).eps.item())

    assert reinforce_checks.check_normalise_returns(course) is course
    out = _verdict(capsys)
    assert "✅" in out and "NaN" in out and "Note" in out


@pytest.mark.parametrize("fn, hint", [
    (lambda lp, g: (lp * g).sum(), "sign is flipped"),
    (lambda lp, g: -(lp.detach() * g).sum(), "carries no gradient"),
    (lambda lp, g: -(lp * g), "one number"),
    (lambda lp, g: None, "TODO"),
])
def test_check_reinforce_loss_rejects_with_hint(fn, hint, capsys):
    assert reinforce_checks.check_reinforce_loss(fn) is reinforce_loss
    out = _verdict(capsys)
    assert "❌" in out and hint in out


def test_check_reinforce_loss_accepts_a_mean_with_a_note(capsys):
    def mean_loss(lp, g):
        return -(lp * g).mean()

    assert reinforce_checks.check_reinforce_loss(mean_loss) is mean_loss
    assert "averages over the steps" in _verdict(capsys)


def _loop_mutant(old, new):
    source = inspect.getsource(reinforce.reinforce)
    assert old in source
    namespace = dict(reinforce.__dict__)
    exec(compile(source.replace(old, new), "<learner>", "exec"), namespace)
    return namespace["reinforce"]


@pytest.mark.parametrize("old, new, hint", [
    ("loss = reinforce_loss(", "loss = -reinforce_loss(", "wrong way"),
    ("optimizer.zero_grad()", "pass", "zero_grad"),
    ("saved_log_probs.append(log_prob)", "saved_log_probs.append(log_prob.detach())", "no gradient reached"),
    ("discounted_returns(rewards, gamma))", "discounted_returns(rewards, gamma)[::-1])", "wrong order"),
    ("returns = normalise_returns(discounted_returns(rewards, gamma))",
     "returns = torch.tensor(discounted_returns(rewards, gamma))", "not normalised"),
    ("discounted_returns(rewards, gamma))", "discounted_returns(rewards, 1.0))", "ignore gamma"),
    ("state, info = env.reset()", "state = env.reset()", "Gymnasium's env.reset()"),
    ("state, info = env.reset()", "state, info = None, None", "before any env.reset()"),
    ("action, log_prob = policy.act(state)", "action, log_prob = None, None", "action passed to env.step() is None"),
    ("        optimizer.step()\n", "", "never took a step"),
    ("return scores", "return None", "list of episode scores"),
    ("            if terminated or truncated:\n                break\n", "", "after the episode had ended"),
])
def test_check_reinforce_names_the_mistake(old, new, hint, capsys):
    assert used(loop_checks.check_reinforce(_loop_mutant(old, new), Policy)) is reinforce.reinforce
    out = _verdict(capsys)
    assert "❌" in out and hint in out, out


from tests.course_solutions import BEGINNER_LOOP  # noqa: E402  (the loop's TODO cell, filled in as a beginner fills it)

UPDATE = """
        returns = normalise_returns(discounted_returns(rewards, gamma))
        loss = reinforce_loss(torch.cat(saved_log_probs), returns)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
"""


def _beginner(*changes, pieces=None):
    """BEGINNER_LOOP with each (old, new) change typed in; its helpers are the kit's (or ``pieces``)."""
    source = BEGINNER_LOOP
    for old, new in changes:
        assert old in source, old
        source = source.replace(old, new)
    namespace = dict(reinforce.__dict__) | (pieces or {})
    exec(compile(source, "<learner>", "exec"), namespace)
    return namespace["reinforce"]


def _indented(block, spaces=4):
    return "".join(" " * spaces + line if line.strip() else line for line in block.splitlines(True))


def _own_loss(log_probs, returns):  # a learner's accepted loss, without the kit's shape check
    return -(log_probs * returns).sum()


@pytest.mark.parametrize("loop, policy, hint", [
    # optimizer.step() before loss.backward()
    (_beginner(("optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()",
                "optimizer.zero_grad()\n        optimizer.step()\n        loss.backward()")), Policy,
     "optimizer.step() came before loss.backward()"),
    (_beginner(("optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()",
                "optimizer.step()\n        optimizer.zero_grad()\n        loss.backward()")), Policy,
     "optimizer.step() came before loss.backward()"),
    # zero_grad() between backward() and step()
    (_beginner(("optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()",
                "loss.backward()\n        optimizer.zero_grad()\n        optimizer.step()")), Policy,
     "optimizer.zero_grad() came after loss.backward()"),
    # torch.stack: (T, 1) log-probabilities times (T,) returns, with the kit's loss (refuses) or the learner's own
    (_beginner(("torch.cat(saved_log_probs)", "torch.stack(saved_log_probs)")), Policy, "torch.cat(saved_log_probs)"),
    (_beginner(("torch.cat(saved_log_probs)", "torch.stack(saved_log_probs)"), pieces={"reinforce_loss": _own_loss}),
     Policy, "broadcast to a T x T"),
    # an update after every step: the update block typed inside the step loop
    (_beginner((UPDATE, "\n"), ("            rewards.append(reward)\n",
                                 "            rewards.append(reward)\n" + _indented(UPDATE.strip("\n") + "\n"))),
     Policy, "inside the step loop"),
    (_beginner((UPDATE, "\n"), ("            rewards.append(reward)\n",
                                 "            rewards.append(reward)\n" + _indented(UPDATE.strip("\n") + "\n"))),
     Policy, "after the `for t` loop"),
    # the lists of log-probabilities and rewards not emptied between episodes
    (_beginner(("        saved_log_probs, rewards = [], []\n", ""),
               ("    scores = []\n", "    scores = []\n    saved_log_probs, rewards = [], []\n")), Policy,
     "Start every episode with empty lists"),
    # the course's first act: np.argmax(m) on the distribution
    (_beginner(), CourseArgmaxPolicy, "`action = m.sample()`"),
])
def test_check_reinforce_names_the_order_and_the_shapes(loop, policy, hint, capsys):
    assert used(loop_checks.check_reinforce(loop, policy)) is reinforce.reinforce
    out = _verdict(capsys)
    assert "❌" in out and hint in out, out
    assert "calling it raised" not in out and "'numpy.int64' object" not in out, out  # no raw PyTorch or NumPy error


def test_the_beginner_loop_as_typed_is_accepted(capsys):
    loop = _beginner()
    assert used(loop_checks.check_reinforce(loop, Policy)) is loop
    assert "✅" in _verdict(capsys)


def test_reinforce_loss_refuses_shapes_that_would_broadcast():
    log_probs = torch.stack([torch.tensor([-0.5]), torch.tensor([-1.0]), torch.tensor([-2.0])])  # (3, 1)
    with pytest.raises(ValueError, match=re.escape("log_probs (3, 1) and returns (3,) need the same shape")) as err:
        reinforce_loss(log_probs, torch.tensor([1.0, 0.0, -1.0]))
    assert "torch.cat(saved_log_probs)" in str(err.value) and isinstance(err.value, reinforce.ShapeMismatch)
    assert float(reinforce_loss(log_probs.reshape(-1), torch.tensor([1.0, 0.0, -1.0]))) == pytest.approx(-1.5)


def test_check_reinforce_accepts_several_episodes_per_update(capsys):
    def two_per_update(policy, optimizer, n_training_episodes, max_t, gamma, print_every, env):
        scores, log_probs, returns = [], [], []
        for i in range(n_training_episodes):
            state, _ = env.reset()
            rewards = []
            for _ in range(max_t):
                action, log_prob = policy.act(state)
                log_probs.append(log_prob)
                state, reward, terminated, truncated, _ = env.step(action)
                rewards.append(reward)
                if terminated or truncated:
                    break
            scores.append(sum(rewards))
            returns += discounted_returns(rewards, gamma)
            if i % 2 == 1:
                loss = reinforce_loss(torch.cat(log_probs), normalise_returns(returns))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                log_probs, returns = [], []
        return scores

    assert used(loop_checks.check_reinforce(two_per_update, Policy)) is two_per_update
    assert "✅" in _verdict(capsys)


def test_checks_raise_in_strict_mode(monkeypatch):
    monkeypatch.setenv("KIT_STRICT", "1")
    with pytest.raises(ExerciseFailed, match="most likely action"):
        reinforce_checks.check_act(ArgmaxPolicy.act, Policy)
    with pytest.raises(ExerciseFailed, match="wrong way"):
        reinforce_checks.check_discounted_returns(_forward)


# --- batches from vector envs -------------------------------------------------------------------------------

def test_train_batched_on_pixelcopter_vector_env_plays_exact_batches():
    from helpers.pixelcopter import PixelcopterVecEnv

    def run(n_episodes, lr):
        torch.manual_seed(0)
        policy = policies.with_inputs(PixelcopterPolicy(7, 2, 16), obs_scale=SCALE)
        opt = torch.optim.Adam(policy.parameters(), lr=lr)
        return reinforce.train_batched(policy, opt, PixelcopterVecEnv(4), n_episodes, 50, 0.99,
                                       print_every=0, batch_episodes=10, seed=1, progress=False)

    scores = run(22, lr=1e-3)
    assert len(scores) == 22  # 10 + 10 + the 2 left over
    assert all(math.isfinite(s) for s in scores)
    # A random copter crashes within ~25 steps: about -5 plus a few +1 columns; never above the 50-step cap's ~9.
    assert max(scores) < 10 and min(scores) >= -5
    # The first batch is played before any update: same seed, same episodes, whatever the learning rate.
    assert scores[:10] == run(10, lr=0.5)


def test_play_episodes_splits_a_batch_over_fewer_copies():
    torch.manual_seed(0)
    policy = Policy(4, 2, 8)
    envs = make_vec_env("CartPole-v1", 3)
    envs.reset(seed=0)
    states, actions, rewards = reinforce.play_episodes(policy, envs, 7, 1000, torch.device("cpu"))
    assert len(states) == len(actions) == len(rewards) == 7
    for s, a, r in zip(states, actions, rewards):
        assert s.shape == (len(a), 4) and len(r) == len(a) >= 1
        assert np.all(r == 1.0)  # CartPole pays +1 per step
    # max_t cuts an episode short
    _, _, short = reinforce.play_episodes(policy, make_vec_env("CartPole-v1", 3, max_episode_steps=5), 3, 5,
                                          torch.device("cpu"))
    assert all(len(r) <= 5 for r in short)


def test_copies_cut_off_by_max_t_restart_or_say_why_they_cannot():
    # More episodes than copies, and every episode reaches max_t (no copter dies in 3 steps): a vector env that
    # truncates at max_t restarts them itself; the kit's training envs are built that way.
    torch.manual_seed(0)
    policy = Policy(7, 2, 8)
    from helpers.pixelcopter import PixelcopterVecEnv

    _, _, rewards = reinforce.play_episodes(policy, PixelcopterVecEnv(2, max_episode_steps=3), 5, 3,
                                            torch.device("cpu"))
    assert [len(r) for r in rewards] == [3] * 5
    config = defaults.PIXELCOPTER.replace(n_envs=2)
    assert config.make_train_env().max_episode_steps == config.train_max_t
    # Gymnasium's own vector env, as make_vec_env builds it for CartPole, restarts capped copies too.
    _, _, rewards = reinforce.play_episodes(Policy(4, 2, 8), make_vec_env("CartPole-v1", 2, max_episode_steps=3), 5,
                                            3, torch.device("cpu"))
    assert [len(r) for r in rewards] == [3] * 5
    # One that does not cannot reset a single copy: a clear error instead of waiting forever.
    with pytest.raises(ValueError, match="max_episode_steps=max_t"):
        reinforce.play_episodes(policy, PixelcopterVecEnv(2), 5, 3, torch.device("cpu"))


def test_check_reinforce_loss_notes_a_python_loop_over_the_steps(capsys):
    def looped(log_probs, returns):
        return torch.stack([-lp * g for lp, g in zip(log_probs, returns)]).sum()

    assert reinforce_checks.check_reinforce_loss(looped) is looped  # correct, so accepted...
    out = _verdict(capsys)
    assert "✅" in out and "without a loop" in out  # ...with a note on its speed


# --- arguments that cannot work get a clear message, before any episode is played --------------------------

class _NoSteps(gym.Wrapper):
    def reset(self, **kwargs):
        raise AssertionError("an episode started with arguments that cannot work")

    step = reset


@pytest.mark.parametrize("change, words", [
    (dict(n_training_episodes=0), "n_training_episodes=0: it counts episodes"),
    (dict(n_training_episodes=-3), "n_training_episodes=-3"),
    (dict(max_t=0), "max_t=0: it counts steps"),
    (dict(gamma=1.5), "gamma=1.5: it must be a number from 0.0 to 1.0 (the course uses 0.99)"),
    (dict(gamma=float("nan")), "gamma=nan"),
])
@pytest.mark.parametrize("trainer", ["reinforce", "train_batched"])
def test_trainers_refuse_arguments_that_cannot_work(trainer, change, words):
    policy = Policy(4, 2, 8)
    args = dict(n_training_episodes=2, max_t=10, gamma=0.99) | change
    with pytest.raises(ValueError, match=re.escape(words)):
        getattr(reinforce, trainer)(policy, torch.optim.Adam(policy.parameters(), lr=1e-2), print_every=0,
                                    env=_NoSteps(gym.make("CartPole-v1")), **args)


def test_a_learning_rate_set_to_nan_is_refused_before_training():
    policy = Policy(4, 2, 8)
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
    optimizer.param_groups[0]["lr"] = float("nan")
    with pytest.raises(ValueError, match="lr=nan"):
        reinforce.train_batched(policy, optimizer, make_vec_env("CartPole-v1", 2), 2, 10, 0.99, progress=False)


def test_a_continuous_action_env_is_refused_with_what_to_use():
    policy = Policy(3, 2, 8)
    with pytest.raises(ValueError, match="Discrete action space.*CartPole-v1"):
        reinforce.train_batched(policy, torch.optim.Adam(policy.parameters(), lr=1e-2),
                                make_vec_env("Pendulum-v1", 2), 2, 10, 0.99, progress=False)
    with pytest.raises(ValueError, match="Discrete action space"):
        reinforce.make_policy(defaults.CARTPOLE.replace(env_id="Pendulum-v1"))


def test_a_loss_that_becomes_nan_stops_training_with_a_hint():
    policy = Policy(4, 2, 8)

    def nan_loss(log_probs, returns):
        return (log_probs * returns).sum() * float("nan")

    with pytest.raises(FloatingPointError, match="Lower the learning rate"):
        reinforce.train_batched(policy, torch.optim.Adam(policy.parameters(), lr=1e-2),
                                make_vec_env("CartPole-v1", 2), 2, 10, 0.99, progress=False, reinforce_loss=nan_loss)


def test_evaluation_needs_at_least_one_episode():
    with pytest.raises(ValueError, match="n_eval_episodes=0: it counts episodes.*the course uses 10"):
        evaluate_agent(gym.make("CartPole-v1"), 100, 0, Policy(4, 2, 8))


def test_train_batched_takes_one_kind_of_env_and_says_how_to_build_it():
    policy = Policy(4, 2, 8)
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
    for env in (gym.make("CartPole-v1"), [gym.make("CartPole-v1") for _ in range(2)]):
        with pytest.raises(TypeError, match=r"takes a vector env.*make_vec_env\(env_id, n_envs"):
            reinforce.train_batched(policy, optimizer, env, 2, 10, 0.99, progress=False)
    next_step = gym.make_vec("CartPole-v1", 2, vectorization_mode="sync")  # Gymnasium's default autoreset
    with pytest.raises(ValueError, match="SAME_STEP"):
        reinforce.train_batched(policy, optimizer, next_step, 2, 10, 0.99, progress=False)


def test_make_vec_env_builds_copies_that_restart_in_the_same_step():
    env = make_vec_env("CartPole-v1", 3, max_episode_steps=4)
    assert isinstance(env, gym.vector.SyncVectorEnv) and env.num_envs == 3
    assert env.metadata["autoreset_mode"] == gym.vector.AutoresetMode.SAME_STEP
    env.reset(seed=0)
    for _ in range(3):
        *_, truncated, _ = env.step(np.zeros(3, dtype=np.int64))
    assert not truncated.any()
    obs, _, _, truncated, info = env.step(np.zeros(3, dtype=np.int64))
    assert truncated.all() and np.abs(obs).max() <= 0.05  # already the next episode's first state
    from helpers.pixelcopter import PixelcopterVecEnv

    assert isinstance(make_vec_env("Pixelcopter-PLE-v0", 2), PixelcopterVecEnv)
    with pytest.raises(ValueError, match="Did you mean 'CartPole-v1'"):
        make_vec_env("CartPole-v2", 2)
    with pytest.raises(ValueError, match="whole number >= 1"):
        make_vec_env("CartPole-v1", 0)


class _SolvedAtOne:
    """A one-step game whose every episode scores 1, and whose spec says 1 is "solved"."""
    class spec:
        id, reward_threshold = "OneStep", 1.0

    def reset(self, seed=None):
        return np.zeros(4, dtype=np.float32), {}

    def step(self, action):
        return np.zeros(4, dtype=np.float32), 1.0, True, False, {}


def test_the_course_loop_stops_at_the_envs_solved_line(capsys):
    torch.manual_seed(0)
    policy = Policy(4, 2, 8)
    scores = reinforce.reinforce(policy, torch.optim.Adam(policy.parameters(), lr=1e-2), 500, 10, 0.99, 0,
                                 _SolvedAtOne())
    assert len(scores) == 100  # the first moment the last 100 episodes average the threshold
    assert "Solved at episode 100: the last 100 episodes average 1.00, at least 1" in capsys.readouterr().out


def test_solved_needs_100_episodes_and_a_threshold():
    from collections import deque

    full, short = deque([475.0] * 100, maxlen=100), deque([500.0] * 99, maxlen=100)
    cartpole = gym.make("CartPole-v1")
    assert reinforce.solved(full, cartpole, 100) and not reinforce.solved(short, cartpole, 99)
    assert not reinforce.solved(deque([474.9] * 100, maxlen=100), cartpole, 100)
    assert not reinforce.solved(full, gym.make("Pixelcopter-PLE-v0"), 100)  # no threshold: never "solved"
