"""Unit 4 (REINFORCE): reference implementations, exercise checks and a tiny training smoke test."""
import math

import gymnasium as gym
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Categorical

import helpers  # noqa: F401  (registers the kit's env ids)
from helpers import defaults, reinforce, reinforce_checks
from helpers.exercises import ExerciseFailed
from helpers.reinforce import Policy, discounted_returns, evaluate_agent, normalise_returns

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _lenient(monkeypatch):
    monkeypatch.delenv("KIT_STRICT", raising=False)


# --- returns ------------------------------------------------------------------------------------------

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


# --- the policy ----------------------------------------------------------------------------------------

def test_policy_shapes_and_probabilities():
    torch.manual_seed(0)
    policy = Policy(4, 2, 16)
    probs = policy(torch.randn(6, 4))
    assert probs.shape == (6, 2)
    assert torch.allclose(probs.sum(-1), torch.ones(6))
    action, log_prob = policy.act(np.zeros(4))
    assert isinstance(action, int) and action in (0, 1)
    assert log_prob.requires_grad and log_prob.shape == (1,)


def test_policy_architecture_rebuilds_deep_net_and_scale():
    policy = Policy(7, 2, (64, 64), obs_scale=[48.0] * 7)
    arch = policy.architecture
    assert arch == {"s_size": 7, "a_size": 2, "h_size": [64, 64], "obs_scale": [48.0] * 7}
    rebuilt = Policy(**arch)
    rebuilt.load_state_dict(policy.state_dict())
    x = torch.randn(3, 7) * 30
    assert torch.allclose(rebuilt(x), policy(x))
    assert sum(isinstance(m, torch.nn.Linear) for m in rebuilt.modules()) == 3
    assert Policy(4, 2, 16).architecture == {"s_size": 4, "a_size": 2, "h_size": 16}


def test_pixelcopter_relative_features_by_hand():
    # y 20, velocity -0.5, 3 px below the ceiling (segment centre 29), block ahead 10 px at rows [26, 35).
    obs = torch.tensor([[20.0, -0.5, 3.0, 21.0, 10.0, 30.0, 39.0]])
    feats = reinforce.pixelcopter_relative(obs)
    assert feats[0].tolist() == pytest.approx([20 - 25.2, -0.5, 3 - 12, 29 - 24, 10.0, 10.5, 10.5])
    obs[0, 5] = 8.0  # a block above instead: the offset turns negative, the distance stays positive
    assert reinforce.pixelcopter_relative(obs)[0, 5:].tolist() == [-11.5, 11.5]


def test_policy_with_obs_features_sees_them_and_rebuilds():
    policy = Policy(7, 2, (8, 8), obs_scale=[8, 0.5, 4, 4, 16, 8, 8], obs_features="pixelcopter-relative")
    x = torch.randn(5, 7) * 10 + 20
    expected = reinforce.pixelcopter_relative(x) / policy.obs_scale
    assert torch.allclose(policy.inputs(x), expected)
    assert torch.allclose(policy.scores(x), policy.net(expected))
    arch = policy.architecture
    assert arch["obs_features"] == "pixelcopter-relative"
    rebuilt = Policy(**arch)
    rebuilt.load_state_dict(policy.state_dict())
    assert torch.allclose(rebuilt(x), policy(x))
    value = reinforce.make_value_baseline(defaults.PIXELCOPTER.replace(value_h=8), policy)
    assert value.obs_features == "pixelcopter-relative"
    with pytest.raises(ValueError, match="Unknown obs_features 'relative'.*pixelcopter-relative"):
        Policy(7, 2, 8, obs_features="relative")


def test_policy_wrong_state_size_says_expected_size():
    policy = Policy(4, 2, 16)
    with pytest.raises(ValueError, match="expects observations with 4 values"):
        policy.act(np.zeros(7))


# --- training and evaluation -----------------------------------------------------------------------------

def _train(seed, episodes=32):
    torch.manual_seed(seed)
    policy = Policy(4, 2, 16)
    opt = torch.optim.Adam(policy.parameters(), lr=1e-2)
    envs = [gym.make("CartPole-v1") for _ in range(4)]
    scores = reinforce.reinforce(policy, opt, envs, episodes, 1000, 0.99, print_every=0, seed=seed, progress=False)
    return policy, scores


def test_reinforce_is_deterministic_under_a_seed():
    p1, s1 = _train(3)
    p2, s2 = _train(3)
    _, s3 = _train(4)
    assert len(s1) == 32
    assert s1 == s2
    assert s1 != s3
    for a, b in zip(p1.parameters(), p2.parameters()):
        assert torch.equal(a, b)


def test_reinforce_one_env_one_step_episode_gives_no_nan():
    class OneStep(gym.Env):
        observation_space = gym.spaces.Box(-1, 1, (4,))
        action_space = gym.spaces.Discrete(2)

        def reset(self, seed=None, options=None):
            super().reset(seed=seed)
            return np.zeros(4, dtype=np.float32), {}

        def step(self, action):
            return np.zeros(4, dtype=np.float32), 1.0, True, False, {}

    policy = Policy(4, 2, 8)
    opt = torch.optim.Adam(policy.parameters(), lr=1e-2)
    scores = reinforce.reinforce(policy, opt, OneStep(), 5, 10, 1.0, print_every=0, seed=0, progress=False)
    assert scores == [1.0] * 5
    assert all(torch.isfinite(p).all() for p in policy.parameters())


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


def test_tiny_training_beats_random_on_cartpole():
    # Random play lasts about 22 steps; 240 episodes in batches of 8 take ~2 s and reach far more.
    _, scores = _train(0, episodes=240)
    assert np.mean(scores[:24]) < 40
    assert np.mean(scores[-40:]) > 80


def test_config_quick_mode_and_hyperparameters(monkeypatch):
    monkeypatch.setenv("KIT_QUICK", "1")
    assert defaults.CARTPOLE.quick().n_training_episodes == defaults.CARTPOLE.quick_episodes
    monkeypatch.setenv("KIT_QUICK", "0")
    assert defaults.CARTPOLE.quick() == defaults.CARTPOLE
    hp = defaults.CARTPOLE.hyperparameters()
    for key in ["h_size", "n_training_episodes", "n_evaluation_episodes", "max_t", "gamma", "lr", "env_id",
                "state_space", "action_space"]:
        assert key in hp
    assert hp["state_space"] == 4 and hp["action_space"] == 2


# --- exercise checks --------------------------------------------------------------------------------------

def _verdict(capsys):
    return capsys.readouterr().out


def test_checks_accept_the_reference(capsys):
    assert reinforce_checks.check_policy(Policy) is Policy
    assert reinforce_checks.check_discounted_returns(discounted_returns) is discounted_returns
    assert reinforce_checks.check_normalise_returns(normalise_returns) is normalise_returns
    out = _verdict(capsys)
    assert out.count("✅") == 3 and "❌" not in out


class ArgmaxPolicy(Policy):
    def act(self, state):
        probs = self.forward(torch.as_tensor(np.asarray(state), dtype=torch.float32).unsqueeze(0))
        action = probs.argmax(dim=-1)
        return action.item(), Categorical(probs).log_prob(action)


class LogitsPolicy(Policy):
    def forward(self, x):
        return self.net(x)


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


@pytest.mark.parametrize("cls, hint", [
    (ArgmaxPolicy, "always picks the most likely action"),
    (UnfilledPolicy, "TODO still unfilled"),
    (LogitsPolicy, "not probabilities"),
    (ProbPolicy, "probability itself"),
    (TodoPolicy, "return a pair"),
])
def test_check_policy_rejects_with_hint(cls, hint, capsys):
    assert reinforce_checks.check_policy(cls) is Policy
    out = _verdict(capsys)
    assert "❌" in out and hint in out


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
    (lambda returns, eps=1e-8: (torch.tensor(returns) - torch.tensor(returns).mean())
     / (torch.tensor(returns).std() + eps), "NaN"),  # torch's unbiased std of one value is NaN
    (lambda returns, eps=1e-8: torch.tensor(returns), "mean 0 and std 1"),
    (lambda returns, eps=1e-8: list(returns), "torch tensor"),
])
@pytest.mark.filterwarnings("ignore:std\\(\\)")
def test_check_normalise_returns_rejects_with_hint(fn, hint, capsys):
    assert reinforce_checks.check_normalise_returns(fn) is normalise_returns
    out = _verdict(capsys)
    assert "❌" in out and hint in out


def test_checks_raise_in_strict_mode(monkeypatch):
    monkeypatch.setenv("KIT_STRICT", "1")
    with pytest.raises(ExerciseFailed, match="most likely action"):
        reinforce_checks.check_policy(ArgmaxPolicy)
    with pytest.raises(ExerciseFailed, match="wrong way"):
        reinforce_checks.check_discounted_returns(_forward)


# --- batches from vector envs -------------------------------------------------------------------------------

def test_reinforce_on_pixelcopter_vector_env_plays_exact_batches():
    from helpers.pixelcopter import PixelcopterVecEnv

    torch.manual_seed(0)
    policy = Policy(7, 2, (16, 16), obs_scale=[8, 0.5, 4, 4, 16, 8, 8])
    opt = torch.optim.Adam(policy.parameters(), lr=1e-3)
    venv = PixelcopterVecEnv(4)
    value = reinforce.ValueBaseline(7, 16, obs_scale=policy.obs_scale)
    scores = reinforce.reinforce(policy, opt, venv, 22, 50, 0.99, print_every=0, batch_episodes=10, seed=1,
                                 progress=False, value_net=value)
    assert len(scores) == 22  # 10 + 10 + the 2 left over
    assert all(math.isfinite(s) for s in scores)
    # A random copter crashes within ~25 steps: about -5 plus a few +1 columns; never above the 50-step cap's ~9.
    assert max(scores) < 10 and min(scores) >= -5
    venv2 = PixelcopterVecEnv(4)
    torch.manual_seed(0)
    policy2 = Policy(7, 2, (16, 16), obs_scale=[8, 0.5, 4, 4, 16, 8, 8])
    opt2 = torch.optim.Adam(policy2.parameters(), lr=1e-3)
    # The first batch is played before any update: same seed, same episodes, with or without a baseline.
    assert scores[:10] == reinforce.reinforce(policy2, opt2, venv2, 10, 50, 0.99, print_every=0, batch_episodes=10,
                                              seed=1, progress=False)


def test_play_episodes_splits_a_batch_over_fewer_copies():
    torch.manual_seed(0)
    policy = Policy(4, 2, 8)
    envs = [gym.make("CartPole-v1") for _ in range(3)]
    for i, e in enumerate(envs):
        e.reset(seed=i)
    states, actions, rewards = reinforce._play_episodes(policy, envs, 7, 1000, torch.device("cpu"))
    assert len(states) == len(actions) == len(rewards) == 7
    for s, a, r in zip(states, actions, rewards):
        assert s.shape == (len(a), 4) and len(r) == len(a) >= 1
        assert np.all(r == 1.0)  # CartPole pays +1 per step
    # max_t cuts an episode short
    _, _, short = reinforce._play_episodes(policy, envs, 3, 5, torch.device("cpu"))
    assert all(len(r) <= 5 for r in short)


def test_copies_cut_off_by_max_t_restart_or_say_why_they_cannot():
    # More episodes than copies, and every episode reaches max_t: a list of envs resets its capped copies.
    torch.manual_seed(0)
    policy = Policy(7, 2, 8)
    envs = [gym.make("Pixelcopter-PLE-v0") for _ in range(2)]
    _, _, rewards = reinforce._play_episodes(policy, envs, 5, 3, torch.device("cpu"))  # no copter dies in 3 steps
    assert [len(r) for r in rewards] == [3] * 5
    # A vector env that truncates at max_t restarts them itself; the kit's training env is built that way.
    from helpers.pixelcopter import PixelcopterVecEnv

    _, _, rewards = reinforce._play_episodes(policy, PixelcopterVecEnv(2, max_episode_steps=3), 5, 3,
                                             torch.device("cpu"))
    assert [len(r) for r in rewards] == [3] * 5
    config = defaults.PIXELCOPTER.replace(n_envs=2)
    assert config.make_train_env().max_episode_steps == config.train_max_t
    # One that does not cannot reset a single copy: a clear error instead of waiting forever.
    with pytest.raises(ValueError, match="max_episode_steps=max_t"):
        reinforce._play_episodes(policy, PixelcopterVecEnv(2), 5, 3, torch.device("cpu"))


def test_value_baseline_fit_takes_the_steps_asked_on_subsets_and_learns():
    torch.manual_seed(0)
    states = torch.randn(1000, 7)
    targets = states[:, 0] * 3.0 + 1.0  # a return that depends on the state
    value = reinforce.ValueBaseline(7, 32)
    opt = torch.optim.Adam(value.parameters(), lr=1e-2)
    seen = []
    original_forward = value.forward
    value.forward = lambda x: (seen.append(len(x)), original_forward(x))[1]
    before = F.mse_loss(original_forward(states).squeeze(-1), targets).item()
    reinforce._fit_value(value, opt, states, targets, steps=3, batch_size=300)
    assert seen == [300, 300, 300]  # one forward pass per step, on 300 states each
    reinforce._fit_value(value, opt, states, targets, steps=40, batch_size=None)
    assert seen[3:] == [1000] * 40  # None: the whole batch every step
    assert F.mse_loss(original_forward(states).squeeze(-1), targets).item() < before / 4


def test_pixelcopter_baseline_config_trains_with_its_value_network():
    config = defaults.PIXELCOPTER_BASELINE.replace(n_training_episodes=512)
    assert config.value_h and config.value_steps > 1
    policy = reinforce.make_policy(config, seed=0)
    assert reinforce.make_value_baseline(defaults.PIXELCOPTER, policy) is None  # the batch mean instead
    value = reinforce.make_value_baseline(config, policy)
    assert value(torch.zeros(3, 7)).shape == (3, 1) and torch.equal(value.obs_scale, policy.obs_scale)
    policy, mean, std, scores = reinforce.train_and_evaluate(config, seed=0, progress=False)
    assert len(scores) == 512 and all(math.isfinite(s) for s in scores)
    assert math.isfinite(mean) and math.isfinite(std)
