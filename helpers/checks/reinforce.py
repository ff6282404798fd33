"""Checks for the unit 4 exercises. Each returns what the notebook should carry on with: the learner's
version when it passes, the kit's reference otherwise (in strict mode, ``KIT_STRICT=1``, a failure raises)."""
from __future__ import annotations

import math
import time
import warnings

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn

from helpers import policies, reinforce
from helpers.checks.exercises import Problem, run_check

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


_NP_ARGMAX = ("act crashed ({}): `np.argmax(m)` is not an action. NumPy does not know what the distribution m is, "
              "so it returns 0, a NumPy number, and m.log_prob cannot take it. The action has to come from m itself.")


def _check_act(policy, s_size, on_argmax=None):
    """act(state) samples from forward's probabilities and returns (int action, log-prob with a gradient).
    ``on_argmax()`` is called, when given, where act always picks the most likely action (it may raise)."""
    try:
        out = policy.act(np.zeros(s_size, dtype=np.float64))  # what env.reset() gives: a float64 NumPy array
    except (AttributeError, ValueError) as err:
        if ("'long'" in str(err) and "numpy" in str(err)) or "value argument to log_prob must be a Tensor" in str(err):
            raise Problem(_NP_ARGMAX.format(f"{type(err).__name__}: {err}")) from None
        raise
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
        if on_argmax is not None:
            on_argmax()
        raise Problem("act always picks the most likely action (argmax?): the agent never tries the other action, so "
                      "it cannot find out that it was better, and the policy gradient (log-prob times return) assumes "
                      "the actions were drawn from the policy's probabilities. Draw the action from the distribution "
                      "m instead of taking the best one.")
    if counts[0] == 0:
        raise Problem("act never picks the most likely action: sample from Categorical(probs).")
    share = counts[1] / 400
    if not 0.17 < share < 0.33:
        raise Problem(f"with probabilities [0.75, 0.25] action 1 came up {share:.0%} of the time, expected about "
                      "25%: sample from Categorical(probs) with the probabilities forward() gives.")


def check_policy(PolicyClass):
    """Check the ``Policy`` class (its layers and ``forward``); return the class to use.

    Its ``act`` is the debugging exercise's (``check_act``): the notebook gives the class a buggy one."""
    def check(cls):
        torch.manual_seed(0)
        _check_forward(_build(cls, 4, 2, 16), 4)

    return run_check("Policy", PolicyClass, reinforce.Policy, check)


# The debugging exercise lets the learner look before it names the bug: the first time an act that always takes
# the most likely action fails, the check shows what training with it does, and asks why.
_ACT_WATCHED = {"done": False}
_WATCH_EPISODES = 50


def _watch(fixed) -> str:
    """Train ``fixed`` (a Policy class) for 50 CartPole episodes with the course's loop; the scores, as text."""
    torch.manual_seed(0)
    env = gym.make("CartPole-v1")
    env.reset(seed=0)
    policy = fixed(4, 2, 16).to(reinforce.device)
    scores = reinforce.reinforce(policy, torch.optim.Adam(policy.parameters(), lr=1e-2), _WATCH_EPISODES, 1000,
                                 0.99, 0, env)
    env.close()
    return ", ".join(str(int(s)) for s in scores)


def check_act(act, PolicyClass):
    """The debugging exercise: ``act`` (fixed by the learner) on the notebook's ``Policy``.

    Returns the Policy class to use from here on, with the act that passed (the learner's) or the reference's
    in place: ``Policy = check_act(act, Policy)``. The first failure of an argmax act shows 50 training
    episodes' scores and asks why; the next ones name the bug; the answer is shown only on request."""
    def check(fn):
        torch.manual_seed(0)
        fixed = type("FixedPolicy", (PolicyClass,), {"act": fn})
        _check_act(_build(fixed, 4, 2, 16), 4, on_argmax=lambda: first_look(fixed))

    def first_look(fixed):
        if _ACT_WATCHED["done"]:
            return
        _ACT_WATCHED["done"] = True
        scores = _watch(fixed)
        raise Problem(f"the agent does not learn with this act. Look at what it did: trained for {_WATCH_EPISODES} "
                      f"CartPole episodes with it, the pole stayed up for {scores} steps. An agent that pushes at "
                      "random lasts about 22 steps, and training should make it last longer. Why does this one not get "
                      "better, and not even reach random play? Watch what act does each time it meets a state "
                      "(call policy.act(state) a few times on the same state). Then fix the bug in the act cell above, and run "
                      "it and this check again.")

    chosen = run_check("act", act, reinforce.Policy.act, check)
    if chosen is getattr(PolicyClass, "act", None):
        return PolicyClass
    if PolicyClass is reinforce.Policy:  # never change the reference class itself
        return type("Policy", (PolicyClass,), {"act": chosen})
    PolicyClass.act = chosen
    return PolicyClass


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
