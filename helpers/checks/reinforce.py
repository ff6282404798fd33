"""Checks for the unit 4 exercises. Each returns what the notebook should carry on with: the learner's
version when it passes, the kit's reference otherwise (in strict mode, ``KIT_STRICT=1``, a failure raises)."""
from __future__ import annotations

import inspect
import math
import re
import time
import warnings

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn

from helpers import policies, reinforce
from helpers.checks.exercises import Problem, adapt_call, run_check

UNFILLED = "it returned {!r}: is the TODO still unfilled?"


def _as_floats(value, what):
    if value is None or value is Ellipsis:
        raise Problem(UNFILLED.format(value))
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().tolist()
    if isinstance(value, (list, tuple)) and any(v is None for v in value):
        raise Problem(f"{what} contain None: is the TODO still unfilled?")
    try:
        return [float(v) for v in value]
    except TypeError:
        raise Problem(f"{what} should be a list (or array/tensor) of numbers, got {type(value).__name__}.") from None


def _bias_output(policy, probs):
    """Make the policy output ``probs`` for every state: zero the last linear layer, set its bias to log-probs."""
    linears = [m for m in policy.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise Problem("the policy has no nn.Linear layer: build the network from nn.Linear layers in __init__.")
    last = linears[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.log(torch.tensor(probs, dtype=last.bias.dtype)))


def _build(cls, *args):
    try:
        policy = cls(*args)
    except Exception as err:
        raise Problem(f"building {cls.__name__}{args} raised {type(err).__name__}: {err}. Define the layers in "
                      "__init__, e.g. self.fc1 = nn.Linear(s_size, h_size).") from None
    if not any(True for _ in policy.parameters()):
        raise Problem(f"{cls.__name__}{args} has no weights: is a TODO in __init__ still unfilled? Create the layers "
                      "there, e.g. self.fc1 = nn.Linear(s_size, h_size).")
    return policy.to(reinforce.device)


def _check_forward(policy, s_size, n_layers=None):
    x = torch.randn(5, s_size, device=reinforce.device)
    probs = policy(x)
    if probs is None or probs is Ellipsis:
        raise Problem("forward " + UNFILLED.format(probs) + " Return the softmax of the last layer's output.")
    if not isinstance(probs, torch.Tensor) or tuple(probs.shape) != (5, 2):
        raise Problem(f"forward on a batch of 5 states gave {getattr(probs, 'shape', type(probs).__name__)}, "
                      "expected shape (5, 2): one probability per action for each state.")
    if (probs < 0).any() or not torch.allclose(probs.sum(-1), torch.ones(5, device=probs.device), atol=1e-5):
        raise Problem("forward's outputs are not probabilities (each row must be >= 0 and sum to 1): end with "
                      "F.softmax(x, dim=1), not the raw scores (logits) or a ReLU.")
    linears = [m for m in policy.modules() if isinstance(m, nn.Linear)]
    if n_layers is not None and len(linears) != n_layers:
        raise Problem(f"it has {len(linears)} nn.Linear layers; this policy has {n_layers - 1} hidden layers, so "
                      f"{n_layers}: state -> h_size -> ... -> actions.")


def _check_act(policy, s_size):
    """act(state) samples from forward's probabilities and returns (int action, log-prob with a gradient)."""
    out = policy.act(np.zeros(s_size, dtype=np.float64))  # what env.reset() gives: a float64 NumPy array
    if out is None or out is Ellipsis or not isinstance(out, tuple) or len(out) != 2:
        raise Problem(f"act returned {out!r}; return a pair (action, log_prob).")
    action, log_prob = out
    if action is None or log_prob is None:
        raise Problem(f"act returned {out!r}: is the TODO still unfilled? Build m = Categorical(probs), draw "
                      "action = m.sample(), and return (action.item(), m.log_prob(action)).")
    if isinstance(action, torch.Tensor) or not isinstance(action, (int, np.integer)) or isinstance(action, bool):
        raise Problem(f"act's action is {action!r} ({type(action).__name__}); return a plain int with "
                      "action.item(), which env.step() accepts.")
    if action not in (0, 1):
        raise Problem(f"act returned action {action}, which does not exist (0 or 1).")
    if not isinstance(log_prob, torch.Tensor):
        raise Problem(f"act's log_prob is a {type(log_prob).__name__}; return the tensor m.log_prob(action) "
                      "so the gradient can flow through it.")
    if not log_prob.requires_grad:
        raise Problem("act's log_prob carries no gradient (was it computed under torch.no_grad(), or with "
                      ".item()/.detach()?): REINFORCE back-propagates through it.")

    # A policy that gives P(0) = 0.75, P(1) = 0.25 whatever the state.
    _bias_output(policy, [0.75, 0.25])
    counts = [0, 0]
    for _ in range(400):
        a, lp = policy.act(np.random.randn(s_size))
        counts[int(a)] += 1
        expected = math.log(0.75 if a == 0 else 0.25)
        got = float(lp.detach().reshape(-1)[0])
        if abs(got - expected) > 1e-4:
            hint = (" It looks like the probability itself: take m.log_prob(action)."
                    if abs(got - math.exp(expected)) < 1e-4 else "")
            raise Problem(f"for a policy with probabilities [0.75, 0.25], act returned log_prob {got:.3f} for "
                          f"action {a}; expected log({math.exp(expected):.2f}) = {expected:.3f}.{hint}")
    if counts[1] == 0:
        raise Problem("act always picks the most likely action (argmax?). Sample from the distribution "
                      "instead (m = Categorical(probs); action = m.sample()): with argmax the agent never "
                      "explores during training, and the policy gradient (log-prob times return) assumes the "
                      "actions were drawn from the policy.")
    if counts[0] == 0:
        raise Problem("act never picks the most likely action: sample from Categorical(probs).")
    share = counts[1] / 400
    if not 0.17 < share < 0.33:
        raise Problem(f"with probabilities [0.75, 0.25] action 1 came up {share:.0%} of the time, expected about "
                      "25%: sample from Categorical(probs) with the probabilities forward() gives.")


def check_policy(PolicyClass):
    """Check the ``Policy`` class (layers, ``forward`` and ``act``); return the class to use."""
    def check(cls):
        torch.manual_seed(0)
        _check_forward(_build(cls, 4, 2, 16), 4)
        _check_act(_build(cls, 4, 2, 16), 4)

    return run_check("Policy", PolicyClass, reinforce.Policy, check)


def check_act(act, PolicyClass):
    """The debugging exercise: ``act`` (fixed by the learner) on the notebook's ``Policy``; return the act to use."""
    def check(fn):
        torch.manual_seed(0)
        fixed = type("FixedPolicy", (PolicyClass,), {"act": fn})
        _check_act(_build(fixed, 4, 2, 16), 4)

    return run_check("act", act, reinforce.Policy.act, check)


def check_pixelcopter_policy(PixelcopterPolicy):
    """Check the two-hidden-layer Pixelcopter policy; return the class to use."""
    def check(cls):
        torch.manual_seed(0)
        _check_forward(_build(cls, 7, 2, 8), 7, n_layers=3)
        _check_act(_build(cls, 7, 2, 8), 7)
        try:
            policies.export_network(_build(cls, 7, 2, 8))
        except ValueError as err:
            raise Problem(str(err)) from None

    return run_check("PixelcopterPolicy", PixelcopterPolicy, reinforce.PixelcopterPolicy, check)


def check_discounted_returns(discounted_returns):
    """Check ``discounted_returns(rewards, gamma)``; return the function to use."""
    def check(fn):
        cases = [([0.0, 0.0, 1.0], 0.9), ([1.0, 1.0, 1.0], 0.5), ([1.0, -5.0, 2.0, 0.5], 0.99), ([3.0], 0.9)]
        for rewards, gamma in cases:
            expected = reinforce.discounted_returns(rewards, gamma)
            got = _as_floats(fn(list(rewards), gamma), "the returns")
            if len(got) != len(rewards):
                raise Problem(f"for {len(rewards)} rewards it returned {len(got)} values: return one G_t per step.")
            if any(math.isnan(g) for g in got):
                raise Problem(f"for rewards {rewards} it returned NaN: compute the raw returns here (no normalising).")
            if np.allclose(got, expected, atol=1e-6):
                continue
            detail = f"for rewards {rewards} and gamma {gamma} it returned {[round(g, 4) for g in got]}, " \
                     f"expected {[round(g, 4) for g in expected]}."
            if np.allclose(got, _forward_returns(rewards, gamma), atol=1e-6):
                raise Problem(detail + " It went the wrong way: G_t sums the rewards from step t to the END "
                              "(G_t = r_t + gamma * G_{t+1}), so loop over reversed(rewards) and insert at the front.")
            if np.allclose(got, reinforce.discounted_returns(rewards, 1.0), atol=1e-6):
                raise Problem(detail + " The rewards are not discounted: multiply the running return by gamma "
                              "at each step back (G = r + gamma * G).")
            if np.allclose(got, list(reversed(expected)), atol=1e-6):
                raise Problem(detail + " The values are right but in reverse order: returns[0] must be G_0, "
                              "the return from the first step (use appendleft / insert(0, ...)).")
            if abs(float(np.mean(got))) < 1e-6 and len(got) > 1:
                raise Problem(detail + " It looks normalised already: return the raw returns; normalising is "
                              "the next exercise.")
            raise Problem(detail)
        if len(_as_floats(fn([], 0.99), "the returns")) != 0:
            raise Problem("an empty episode should give an empty list of returns.")

    return run_check("discounted_returns", discounted_returns, reinforce.discounted_returns, check)


def _forward_returns(rewards, gamma):
    """The classic mistake: accumulating from the start instead of from the end."""
    out, G = [], 0.0
    for r in rewards:
        G = r + gamma * G
        out.append(G)
    return out


def check_normalise_returns(normalise_returns):
    """Check ``normalise_returns(returns, eps)``; return the function to use."""
    def check(fn):
        rng = np.random.default_rng(0)
        returns = list(rng.normal(40.0, 12.0, size=100))
        out = fn(returns)
        if out is None or out is Ellipsis:
            raise Problem(UNFILLED.format(out) + " Return (returns - mean) / (std + eps) as a tensor.")
        if not isinstance(out, torch.Tensor):
            raise Problem(f"it returned a {type(out).__name__}; return a torch tensor (the loss multiplies it "
                          "with the log-probabilities).")
        vals = out.detach().cpu().double()
        if vals.shape != (100,):
            raise Problem(f"for 100 returns it gave shape {tuple(vals.shape)}: keep one value per step.")
        if torch.isnan(vals).any():
            raise Problem("it gave NaN for 100 ordinary returns.")
        if abs(float(vals.mean())) > 1e-3 or not 0.98 < float(vals.std(unbiased=False)) < 1.02:
            raise Problem(f"the result has mean {float(vals.mean()):.3f} and std {float(vals.std(unbiased=False)):.3f}; "
                          "normalised returns have mean 0 and std 1: subtract the mean, divide by the std.")
        if float(torch.corrcoef(torch.stack([vals, torch.tensor(returns, dtype=torch.float64)]))[0, 1]) < 0.999:
            raise Problem("the order of the values changed: normalise element-wise, keep each step's place.")
        notes = []
        for case, name in [([2.0, 2.0, 2.0], "equal returns"), ([7.0], "a one-step episode")]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch warns about the std of one value
                one = fn(case)
            bad = not isinstance(one, torch.Tensor) or torch.isnan(one).any() or torch.isinf(one).any()
            if bad and len(case) == 1 and isinstance(one, torch.Tensor):
                notes.append("for a one-step episode it gives NaN, as the course's version does: torch's default std "
                             "of one value is NaN. CartPole's and Pixelcopter's episodes always last longer, so "
                             "training is safe here, but one NaN would poison the whole network. The kit uses the "
                             "population std (unbiased=False) plus eps, and returns zeros for a single return.")
                continue
            if bad:
                raise Problem(f"for {name} ({case}) it gave {one!r}: the std of equal values is 0, and dividing by "
                              "0 gives NaN, which poisons the whole update. Add a small eps to the std.")
            if torch.any(one.abs() > 1e-6):
                raise Problem(f"for {name} ({case}) it gave {one.tolist()}; expected zeros (nothing to prefer).")
        return notes

    return run_check("normalise_returns", normalise_returns, reinforce.normalise_returns, check)


def check_reinforce_loss(reinforce_loss):
    """Check ``reinforce_loss(log_probs, returns)``; return the function to use."""
    def check(fn):
        log_probs = torch.tensor([-0.5, -1.0, -2.0, -0.1], requires_grad=True)
        returns = torch.tensor([1.0, -0.5, 2.0, -1.5])
        out = fn(log_probs, returns)
        if out is None or out is Ellipsis:
            raise Problem(UNFILLED.format(out) + " Return -(log_probs * returns).sum().")
        if not isinstance(out, torch.Tensor) or out.numel() != 1:
            raise Problem(f"it returned {getattr(out, 'shape', type(out).__name__)}; return one number (a tensor "
                          "with a single value): sum over the steps.")
        if out.grad_fn is None:
            raise Problem("the loss carries no gradient: build it from log_probs directly (no .item(), .detach() "
                          "or torch.tensor(...) around them), so backward() reaches the policy.")
        value, target = float(out.detach()), float(-(log_probs * returns).sum().detach())
        if abs(value - target) < 1e-5:
            return _loss_speed_notes(fn)
        if abs(value + target) < 1e-5:
            raise Problem(f"it gave {value:.3f}, expected {target:.3f}: the sign is flipped. The optimizer "
                          "minimises the loss, and we want to make good actions MORE likely: minimise "
                          "-log_prob * G.")
        if abs(value - target / len(returns)) < 1e-5:
            return ["it averages over the steps instead of summing: that works too (a smaller step size), "
                    "but the course's loss is the sum."]
        raise Problem(f"for log-probabilities {log_probs.tolist()} and returns {returns.tolist()} it gave "
                      f"{value:.3f}, expected -(log_probs * returns).sum() = {target:.3f}.")

    return run_check("reinforce_loss", reinforce_loss, reinforce.reinforce_loss, check)


def _loss_speed_notes(fn, steps=100_000):
    """A note when the loss loops over the steps in Python: Pixelcopter's batches hold ~100,000s of steps."""
    log_probs = torch.rand(steps, requires_grad=True)
    start = time.perf_counter()
    fn(log_probs, torch.rand(steps))
    seconds = time.perf_counter() - start
    if seconds < 0.2:
        return []
    return [f"on {steps:,} steps it took {seconds:.1f} s: a Python loop over the steps. The Pixelcopter trainer calls "
            "it on batches of that size hundreds of times, so write it without a loop: -(log_probs * returns).sum()."]


# ---- the REINFORCE loop ----------------------------------------------------------------------------------------
_PROBE_REWARDS = [1.0, 0.0, 2.0, 0.0, 0.0, 3.0]  # returns that change order, sign and size when mishandled


class _ProbeEnv(gym.Env):
    """Six steps of fixed states and rewards, whatever the actions; it logs what the agent did."""

    observation_space = gym.spaces.Box(-2.0, 2.0, (4,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self):
        self.episodes, self.t = [], 0

    @staticmethod
    def _state(t):
        return np.array([t / 5 - 0.5, (t % 2) - 0.5, np.sin(t), np.cos(2 * t)], dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        self.episodes.append(([], []))
        return self._state(0), {}

    def step(self, action):
        if not self.episodes:
            raise Problem("env.step() came before any env.reset(): start each episode with "
                          "`state, info = env.reset()`.")
        if action is None:
            raise Problem("the action passed to env.step() is None: let the policy act, "
                          "`action, log_prob = policy.act(state)`.")
        if self.t >= len(_PROBE_REWARDS):
            raise Problem("env.step() came after the episode had ended: leave the step loop when `terminated or "
                          "truncated`, and reset for the next episode.")
        states, actions = self.episodes[-1]
        states.append(self._state(self.t))
        actions.append(int(action))
        reward = _PROBE_REWARDS[self.t]
        self.t += 1
        return self._state(self.t), reward, self.t == len(_PROBE_REWARDS), False, {}


class _RecordingOptimizer(torch.optim.SGD):
    """Learning rate 0 (the policy never changes, so every gradient can be recomputed), recording each step."""

    def __init__(self, params):
        super().__init__(params, lr=0.0)
        self.grads = []

    def step(self, closure=None):
        self.grads.append(torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1).cpu()
                                     for g in self.param_groups for p in g["params"]]))
        return super().step(closure)


def _gradient(policy, episodes, gamma, how):
    """The gradient of the REINFORCE loss on ``episodes``, with the returns made ``how``: normalised per
    episode (the course) or over the batch (the kit); or wrongly: raw, reversed, undiscounted."""
    raw = [reinforce.discounted_returns(_PROBE_REWARDS[:len(actions)], gamma) for _, actions in episodes]
    if how == "batch":
        returns = torch.split(reinforce.normalise_returns([g for r in raw for g in r]), [len(r) for r in raw])
    elif how == "raw":
        returns = [torch.tensor(r, dtype=torch.float32) for r in raw]
    elif how == "reversed":
        returns = [reinforce.normalise_returns(r[::-1]) for r in raw]
    elif how == "undiscounted":
        returns = [reinforce.normalise_returns(reinforce.discounted_returns(_PROBE_REWARDS[:len(r)], 1.0)) for r in raw]
    else:
        returns = [reinforce.normalise_returns(r) for r in raw]
    policy.zero_grad()
    loss = 0.0
    for (states, actions), G in zip(episodes, returns):
        probs = policy(torch.as_tensor(np.stack(states), device=reinforce.device))
        log_probs = torch.log(probs[torch.arange(len(actions)), torch.as_tensor(actions)])
        loss = loss + reinforce.reinforce_loss(log_probs, G.to(log_probs.device))
    loss.backward()
    grad = torch.cat([p.grad.reshape(-1).cpu() for p in policy.parameters()])
    policy.zero_grad()
    return grad


def _cos(a, b):
    return float(torch.nn.functional.cosine_similarity(a, b, dim=0)) if a.norm() > 0 and b.norm() > 0 else 0.0


_GYM_API = ("Gymnasium's env.reset() returns (state, info) and env.step() returns five values (state, reward, "
            "terminated, truncated, info); older gym code, like the course's first version, expects one and four. "
            "Write `state, info = env.reset()` and `state, reward, terminated, truncated, info = env.step(action)`.")


_NO_GRADIENT = ("no gradient reached the policy's weights: call loss.backward(), and keep the log-probabilities "
                "that act() returned as they are (no .item(), .detach() or torch.no_grad() on the way to the loss).")


def _old_gym_api(fn) -> bool:
    """Does ``fn``'s source use gym's old API (``state = env.reset()``, four values from ``env.step``)?"""
    try:
        source = inspect.getsource(inspect.unwrap(fn))
    except (OSError, TypeError):
        return False
    return bool(re.search(r"^\s*\w+\s*=\s*env\.reset\(", source, re.M)
                or re.search(r"^\s*\w+\s*,\s*\w+\s*,\s*\w+\s*,\s*\w+\s*=\s*env\.step\(", source, re.M))


def check_reinforce(reinforce_fn, PolicyClass):
    """Check the learner's REINFORCE loop; return the function to use.

    It plays a six-step probe game with an optimizer of learning rate 0 that records each gradient, and
    compares every update with the gradient the REINFORCE loss gives on the same episodes: that names a
    flipped sign, a missing zero_grad, detached log-probabilities, returns in the wrong order, no
    normalising, no discount. Then it trains briefly on CartPole. Course-style loops that read the global
    ``env`` are accepted (``exercises.adapt_call``).
    """
    adapted, notes = adapt_call(reinforce_fn, reinforce.reinforce)

    def run(fn, policy, optimizer, env, n, gamma):
        try:
            return fn(policy, optimizer, n_training_episodes=n, max_t=50, gamma=gamma, print_every=10_000, env=env)
        except (ValueError, TypeError, RuntimeError) as err:
            if isinstance(env, _ProbeEnv) and not env.episodes:
                raise Problem(f"it raised {type(err).__name__}: {err}, before any env.reset(): start each episode "
                              "with `state, info = env.reset()`.") from None
            if "does not require grad" in str(err):
                raise Problem(_NO_GRADIENT) from None
            if _old_gym_api(fn) or any(word in str(err) for word in ("unpack", "tuple", "object_", "inhomogeneous")):
                raise Problem(f"it raised {type(err).__name__}: {err}. {_GYM_API}") from None
            raise

    def check(fn):
        torch.manual_seed(0)
        policy = PolicyClass(4, 2, 8).to(reinforce.device)
        env, optimizer, gamma = _ProbeEnv(), _RecordingOptimizer(policy.parameters()), 0.9
        scores = run(fn, policy, optimizer, env, 4, gamma)
        episodes = [e for e in env.episodes if e[1]]
        if len(episodes) != 4:
            raise Problem(f"asked for 4 training episodes it played {len(episodes)}: loop over "
                          "range(n_training_episodes) and reset the env at the start of each.")
        if not optimizer.grads:
            raise Problem("the optimizer never took a step: after loss.backward(), call optimizer.step().")
        if all(float(g.norm()) == 0 for g in optimizer.grads):
            raise Problem(_NO_GRADIENT)
        if 4 % len(optimizer.grads):
            raise Problem(f"4 episodes gave {len(optimizer.grads)} updates: update once per episode (or once per "
                          "group of the same number of episodes).")
        per = 4 // len(optimizer.grads)
        accepted = ("episode", "batch")
        before = torch.zeros_like(optimizer.grads[0])  # what the previous update left in .grad
        for k, got in enumerate(optimizer.grads):
            group = episodes[k * per:(k + 1) * per]
            candidates = {how: _gradient(policy, group, gamma, how)
                          for how in ("episode", "batch", "raw", "reversed", "undiscounted")}
            if k and max(_cos(got, candidates[how]) for how in accepted) < 0.999 and \
                    max(_cos(got - before, candidates[how]) for how in accepted) > 0.999:
                raise Problem("each update also carries the previous update's gradient: call optimizer.zero_grad() "
                              "before loss.backward(), or the gradients add up from one episode to the next.")
            best = max(candidates, key=lambda how: abs(_cos(got, candidates[how])))
            similarity = _cos(got, candidates[best])
            if similarity < -0.999 and best in accepted:
                raise Problem("the update goes the wrong way: the loss must be -log_prob * G (minimising it makes "
                              "good actions more likely). Check the sign of the loss.")
            if similarity < 0.999:
                raise Problem("the update is not the REINFORCE gradient: the loss should be -sum_t log_prob_t * G_t "
                              "with G_t from your discounted_returns, normalised with your normalise_returns.")
            if best == "raw":
                raise Problem("the returns are not normalised: pass them through normalise_returns before the loss, "
                              "so that better-than-average actions become more likely and worse ones less.")
            if best == "reversed":
                raise Problem("the returns are in the wrong order: returns[t] must go with log_prob[t] (G_0 first).")
            if best == "undiscounted":
                raise Problem("the returns ignore gamma: compute them with discounted_returns(rewards, gamma).")
            before = got
        if not isinstance(scores, (list, tuple)) or len(scores) != 4:
            raise Problem(f"it returned {type(scores).__name__}; return the list of episode scores "
                          "(one total reward per training episode).")
        # A short real run: the loop must also work on a real game.
        cartpole = gym.make("CartPole-v1")
        cartpole.reset(seed=0)
        torch.manual_seed(0)
        policy = PolicyClass(4, 2, 16).to(reinforce.device)
        scores = run(fn, policy, torch.optim.Adam(policy.parameters(), lr=1e-2), cartpole, 30, 0.99)
        if len(scores) != 30 or not all(np.isfinite(float(s)) for s in scores):
            raise Problem("on 30 CartPole episodes it did not return 30 finite scores.")
        if not all(torch.isfinite(p).all() for p in policy.parameters()):
            raise Problem("after 30 CartPole episodes the policy's weights hold NaN: check normalise_returns.")
        return notes

    return run_check("reinforce", adapted, reinforce.reinforce, check)
