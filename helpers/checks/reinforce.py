"""Checks for the unit 4 exercises. Each returns what the notebook should carry on with: the learner's
version when it passes, the kit's reference otherwise (in strict mode, ``KIT_STRICT=1``, a failure raises).

Each check runs the learner's code the way the cells after it will (a batch of states through ``forward``,
a float64 NumPy state through ``act`` and a log-probability the loop can ``torch.cat``), and names the mistakes
a beginner makes (``tests/test_unit4_mistakes.py`` lists them), with the numbers kept under the name.
"""
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
from helpers.i18n import _


def _unfilled(value) -> str:
    return _("it returned {value!r}: is the TODO still unfilled?", value=value)


def _as_floats(value):
    if value is None or value is Ellipsis:
        raise Problem(_unfilled(value))
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().tolist()
    if isinstance(value, (list, tuple)) and any(v is None for v in value):
        raise Problem(_("the returns contain None: is the TODO still unfilled?"))
    try:
        return [float(v) for v in value]
    except TypeError:
        raise Problem(_("the returns should be a list (or array/tensor) of numbers, got {kind}.",
                        kind=type(value).__name__)) from None


def _bias_output(policy, probs):
    """Make the policy output ``probs`` for every state: zero the last linear layer, set its bias to log-probs."""
    linears = [m for m in policy.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise Problem(_("the policy has no nn.Linear layer: build the network from nn.Linear layers in __init__."))
    last = linears[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.log(torch.tensor(probs, dtype=last.bias.dtype)))


def _no_module_init(err: BaseException) -> bool:
    return "before Module.__init__() call" in str(err)


def _build(cls, *args):
    try:
        policy = cls(*args)
    except Exception as err:
        if _no_module_init(err):
            raise Problem(_("`super().__init__()` is missing: the first line of __init__ must set up nn.Module "
                            "(`super().__init__()`, or `nn.Module.__init__(self)` in PixelcopterPolicy) before any "
                            "layer is assigned (PyTorch: {error}).", error=err)) from None
        raise Problem(_("building {name}{args} raised {kind}: {error}. Define the layers in __init__, e.g. "
                        "self.fc1 = nn.Linear(s_size, h_size).", name=cls.__name__, args=args,
                        kind=type(err).__name__, error=err)) from None
    if not any(True for _p in policy.parameters()):
        raise Problem(_("{name}{args} has no weights: is a TODO in __init__ still unfilled? Create the layers "
                        "there, e.g. self.fc1 = nn.Linear(s_size, h_size).", name=cls.__name__, args=args))
    return policy.to(reinforce.device)


def _layer_sizes(policy) -> str:
    return ", ".join(f"nn.Linear({m.in_features}, {m.out_features})"
                     for m in policy.modules() if isinstance(m, nn.Linear))


def _check_forward(policy, s_size, a_size=2, n_layers=None):
    """forward on a batch of 5 states (what the batched trainer passes; act passes a batch of 1)."""
    x = torch.randn(5, s_size, device=reinforce.device)
    try:
        probs = policy(x)
    except RuntimeError as err:
        if "shapes cannot be multiplied" in str(err):
            raise Problem(_("the layer sizes do not fit together: nn.Linear(in_features, out_features) takes the "
                            "size coming in first, so the layers chain state ({s_size}) -> h_size -> ... -> actions "
                            "({a_size}). Yours: {layers} (PyTorch: {error}).", s_size=s_size, a_size=a_size,
                            layers=_layer_sizes(policy), error=err)) from None
        raise
    if probs is None or probs is Ellipsis:
        raise Problem(_("forward returned {value!r}: is the TODO still unfilled? Return the softmax of the last "
                        "layer's output.", value=probs))
    if not isinstance(probs, torch.Tensor) or probs.dim() != 2 or probs.shape[0] != 5:
        raise Problem(_("forward on a batch of 5 states gave {got}, expected shape (5, {a_size}): one probability "
                        "per action for each state.", got=getattr(probs, "shape", type(probs).__name__),
                        a_size=a_size))
    if probs.shape[1] != a_size:
        raise Problem(_("forward gave {n} values per state, expected {a_size} (one per action): the output must "
                        "come from the last layer, the one with a_size outputs. Yours: {layers}.",
                        n=probs.shape[1], a_size=a_size, layers=_layer_sizes(policy)))
    ones = torch.ones(5, device=probs.device)
    if not ((probs >= 0).all() and torch.allclose(probs.sum(-1), ones, atol=1e-5)):
        rows = [round(float(v), 3) for v in probs.detach().sum(-1)]
        if (probs >= 0).all() and torch.allclose(probs.sum(0), torch.ones(a_size, device=probs.device), atol=1e-5):
            raise Problem(_("the softmax ran over dim=0, the batch: each action's column sums to 1, but each "
                            "state's row must. Use F.softmax(x, dim=1) (dim 1 holds the actions). The rows of "
                            "5 states summed to {rows}.", rows=rows))
        if (probs < 0).any():
            raise Problem(_("forward returns the raw scores (logits) of the last layer: some are negative, and "
                            "they do not sum to 1. End with F.softmax(x, dim=1). The rows of 5 states summed to "
                            "{rows}.", rows=rows))
        raise Problem(_("forward's outputs are not probabilities (each row must sum to 1): end with "
                        "F.softmax(x, dim=1), not a ReLU or the raw scores. The rows of 5 states summed to {rows}.",
                        rows=rows))
    linears = [m for m in policy.modules() if isinstance(m, nn.Linear)]
    if n_layers is not None and len(linears) != n_layers:
        raise Problem(_("it has {n} nn.Linear layers, but this policy has {hidden} hidden layers, so it needs "
                        "{layers}: state -> h_size -> h_size -> actions (fc1, fc2, fc3), with a ReLU after each "
                        "hidden one.", n=len(linears), hidden=n_layers - 1, layers=n_layers))


def _check_exportable(policy) -> None:
    """The push saves the policy as nn.Linear layers with one activation between them: check that it can."""
    try:
        policies.export_network(policy)
    except ValueError as err:
        linears = [m for m in policy.modules() if isinstance(m, nn.Linear)]
        x = torch.randn(64, linears[0].in_features, device=reinforce.device)
        with torch.no_grad():
            y = x
            for layer in linears:
                y = layer(y) if y.shape[-1] == layer.in_features else y
            plain = torch.softmax(y, dim=-1)
            same = plain.shape == policy(x).shape and torch.allclose(policy(x), plain, atol=1e-5)
        if len(linears) > 1 and same:
            raise Problem(_("forward has no activation between the layers: without F.relu the layers add up to one "
                            "linear map, so the hidden layer learns nothing a single layer could not. Write "
                            "x = F.relu(self.fc1(x)) before the next layer.")) from None
        raise Problem(str(err)) from None


def _np_argmax(err) -> str:
    error = f"{type(err).__name__}: {err}"
    return _("act crashed ({error}): `np.argmax(m)` is not an action. NumPy does not know what the distribution m "
             "is, so it returns 0, a NumPy number, and m.log_prob cannot take it. The action has to come from m "
             "itself.", error=error)


def _is_np_argmax(err) -> bool:
    text = str(err)
    return ("'long'" in text and "numpy" in text) or "value argument to log_prob must be a Tensor" in text


def _act_on(policy, state):
    """policy.act(state), its crashes named; the (action, log_prob) pair checked as the training loop needs it."""
    try:
        out = policy.act(state)
    except (AttributeError, ValueError) as err:
        if _is_np_argmax(err):
            raise Problem(_np_argmax(err)) from None
        raise
    except RuntimeError as err:
        text = str(err)
        if "dtype" in text or "Double" in text or "scalar type" in text:
            raise Problem(_("act crashed on a float64 state, which is what env.reset() and env.step() give: "
                            "convert it with .float() before the network (PyTorch: {error}).", error=err)) from None
        raise
    except IndexError as err:
        if "Dimension out of range" in str(err):
            raise Problem(_("act crashed on one state: forward's softmax over dim=1 needs a batch, and one state "
                            "has one dimension only. Add .unsqueeze(0) to the state, which makes it a batch of 1 "
                            "(PyTorch: {error}).", error=err)) from None
        raise
    if out is None or out is Ellipsis or not isinstance(out, tuple) or len(out) != 2:
        raise Problem(_("act returned {value!r}; return a pair (action, log_prob).", value=out))
    action, log_prob = out
    if action is None or log_prob is None:
        raise Problem(_("act returned {value!r}: is the TODO still unfilled? Build m = Categorical(probs), draw "
                        "action = m.sample(), and return (action.item(), m.log_prob(action)).", value=out))
    if isinstance(action, torch.Tensor) or not isinstance(action, (int, np.integer)) or isinstance(action, bool):
        raise Problem(_("act's action is {value!r} ({kind}); return a plain int with action.item(), which "
                        "env.step() accepts.", value=action, kind=type(action).__name__))
    if not isinstance(log_prob, torch.Tensor):
        raise Problem(_("act's log_prob is a {kind}; return the tensor m.log_prob(action) so the gradient can flow "
                        "through it.", kind=type(log_prob).__name__))
    if tuple(log_prob.shape) != (1,):
        if log_prob.dim() == 0:
            raise Problem(_("act's log_prob has shape (), one number without a dimension, but the loop joins the "
                            "log-probabilities with torch.cat, which needs shape (1,) each. Add .unsqueeze(0) to "
                            "the state, so that forward sees a batch of 1."))
        raise Problem(_("act's log_prob has shape {shape}, but the loop joins the log-probabilities with torch.cat, "
                        "which needs shape (1,) each: one state in, one log-probability out.",
                        shape=tuple(log_prob.shape)))
    return action, log_prob


def _check_act(policy, s_size, on_argmax=None):
    """act(state) samples from forward's probabilities and returns (int action, log-prob with a gradient).
    ``on_argmax()`` is called, when given, where act always picks the most likely action (it may raise)."""
    action, log_prob = _act_on(policy, np.zeros(s_size, dtype=np.float64))  # what env.reset() gives
    if action not in (0, 1):
        raise Problem(_("act returned action {action}, which does not exist (0 or 1).", action=action))
    if not log_prob.requires_grad:
        raise Problem(_("act's log_prob carries no gradient (was it computed under torch.no_grad(), or with "
                        ".item()/.detach()?): REINFORCE back-propagates through it."))

    # A policy that gives P(0) = 0.75, P(1) = 0.25 whatever the state.
    _bias_output(policy, [0.75, 0.25])
    counts = [0, 0]
    logs = [math.log(0.75), math.log(0.25)]
    for _i in range(400):
        a, lp = _act_on(policy, np.random.randn(s_size))
        counts[int(a)] += 1
        expected = logs[int(a)]
        got = float(lp.detach().reshape(-1)[0])
        if abs(got - expected) > 1e-4:
            evidence = _("For a policy with probabilities [0.75, 0.25], act returned log_prob {got:.3f} for action "
                         "{action}; expected log({p:.2f}) = {expected:.3f}.", got=got, action=a,
                         p=math.exp(expected), expected=expected)
            if abs(got - logs[1 - int(a)]) < 1e-4:
                raise Problem(_("act sampled twice: the action it returns comes from one m.sample() and the "
                                "log-probability from another, so they can disagree. Draw once, action = "
                                "m.sample(), and use that same action for both.") + " " + evidence)
            if abs(got - math.exp(expected)) < 1e-4:
                raise Problem(_("act returns the probability itself, not its log: take m.log_prob(action).")
                              + " " + evidence)
            raise Problem(evidence)
    if counts[1] == 0:
        if on_argmax is not None:
            on_argmax()
        raise Problem(_("act always picks the most likely action (argmax?): the agent never tries the other "
                        "action, so it cannot find out that it was better, and the policy gradient (log-prob times "
                        "return) assumes the actions were drawn from the policy's probabilities. Draw the action "
                        "from the distribution m instead of taking the best one."))
    if counts[0] == 0:
        raise Problem(_("act never picks the most likely action: sample from Categorical(probs)."))
    share = counts[1] / 400
    if not 0.17 < share < 0.33:
        raise Problem(_("with probabilities [0.75, 0.25] action 1 came up {share:.0%} of the time, expected about "
                        "25%: sample from Categorical(probs) with the probabilities forward() gives.", share=share))


def _act_trouble(cls, s_size) -> str | None:
    """What goes wrong when the cells after the Policy check call ``act`` (None if it runs and returns a usable
    pair). Only crashes and wrong types/shapes: whether it samples is the debugging exercise's question."""
    torch.manual_seed(0)
    try:
        _act_on(_build(cls, s_size, 2, 16), np.zeros(s_size, dtype=np.float64))
    except Problem as problem:
        return str(problem)
    except Exception as err:  # noqa: BLE001  (the learner's act: any crash is reported, not raised)
        return f"{type(err).__name__}: {err}"
    return None


def check_policy(PolicyClass):
    """Check the ``Policy`` class (its layers and ``forward``); return the class to use.

    Its ``act`` is the debugging exercise's (``check_act``): the notebook gives the class a buggy one. When
    that act crashes (the course's first solution's ``np.argmax(m)``), the verdict says so: the next cell shows
    it with ``show_act``, and ``check_act`` puts a working act in place."""
    def check(cls):
        torch.manual_seed(0)
        _check_forward(_build(cls, 4, 2, 16), 4)
        _check_exportable(_build(cls, 4, 2, 16))
        trouble = _act_trouble(cls, 4)
        if trouble:
            return [_("its act fails ({trouble}). That is the debugging exercise below: fix act there, and the "
                      "notebook carries on with an act that works meanwhile.", trouble=trouble)]
        return []

    return run_check("Policy", PolicyClass, reinforce.Policy, check)


def show_act(policy, state) -> None:
    """What the cell after the Policy check prints: ``policy.act(state)``, or why it fails (not a traceback)."""
    try:
        action, log_prob = _act_on(policy, state)
    except Problem as problem:
        print(_("⚠️ policy.act(state) does not work yet: {problem} The debugging exercise below is about act; "
                "the notebook goes on.", problem=problem))
        return
    except Exception as err:  # noqa: BLE001  (the learner's act)
        print(_("⚠️ policy.act(state) raised {kind}: {error}. The debugging exercise below is about act; the "
                "notebook goes on.", kind=type(err).__name__, error=err))
        return
    print(_("act on the first state -> action {action}, log_prob {log_prob}", action=action, log_prob=log_prob))


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
        raise Problem(_("the agent does not learn with this act. Look at what it did: trained for {n} CartPole "
                        "episodes with it, the pole stayed up for {scores} steps. An agent that pushes at random "
                        "lasts about 22 steps, and training should make it last longer. Why does this one not get "
                        "better, and not even reach random play? Watch what act does each time it meets a state "
                        "(call policy.act(state) a few times on the same state). Then fix the bug in the act cell "
                        "above, and run it and this check again.", n=_WATCH_EPISODES, scores=scores))

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
        _check_exportable(_build(cls, 7, 2, 8))

    return run_check("PixelcopterPolicy", PixelcopterPolicy, reinforce.PixelcopterPolicy, check)


def _forward_returns(rewards, gamma):
    """The classic mistake: accumulating from the start instead of from the end."""
    out, G = [], 0.0
    for r in rewards:
        G = r + gamma * G
        out.append(G)
    return out


def _returns_mistake(got, rewards, gamma, expected) -> str | None:
    """The name of the mistake that gives ``got``, or None."""
    def same(values):
        return len(values) == len(got) and np.allclose(got, values, atol=1e-6)

    if same(_forward_returns(rewards, gamma)) or same(_forward_returns(rewards, gamma)[::-1]):
        return _("It went the wrong way: G_t sums the rewards from step t to the END (G_t = r_t + gamma * G_{t+1}), "
                 "so loop over reversed(rewards) and insert at the front.")
    if same(reinforce.discounted_returns(rewards, 1.0)):
        return _("The rewards are not discounted: multiply the running return by gamma at each step back "
                 "(G = r + gamma * G).")
    if same(reinforce.discounted_returns(rewards, gamma * gamma)):
        return _("It applies gamma twice at each step back: G = r + gamma * G has one gamma, in front of the "
                 "return from the next step.")
    if same([gamma * g for g in expected]):
        return _("The reward of step t itself is discounted: in G = r + gamma * G, gamma multiplies only the return "
                 "from the next step, not r.")
    if same(expected[1:] + [0.0]):
        return _("The returns are off by one step: returns[t] holds G_{t+1}, because G is stored before this "
                 "step's reward is added. Update G first, then insert it.")
    if same(list(reversed(expected))):
        return _("The values are right but in reverse order: returns[0] must be G_0, the return from the first "
                 "step (use appendleft / insert(0, ...)).")
    if abs(float(np.mean(got))) < 1e-6 and len(got) > 1:
        return _("It looks normalised already: return the raw returns; normalising is the next exercise.")
    return None


def check_discounted_returns(discounted_returns):
    """Check ``discounted_returns(rewards, gamma)``; return the function to use."""
    def check(fn):
        cases = [([0.0, 0.0, 1.0], 0.9), ([1.0, 1.0, 1.0], 0.5), ([1.0, -5.0, 2.0, 0.5], 0.99), ([3.0], 0.9)]
        for rewards, gamma in cases:
            expected = reinforce.discounted_returns(rewards, gamma)
            got = _as_floats(fn(list(rewards), gamma))
            if len(got) != len(rewards):
                raise Problem(_("for {n} rewards it returned {m} values: return one G_t per step.",
                                n=len(rewards), m=len(got)))
            if any(math.isnan(g) for g in got):
                raise Problem(_("for rewards {rewards} it returned NaN: compute the raw returns here (no "
                                "normalising).", rewards=rewards))
            if np.allclose(got, expected, atol=1e-6):
                continue
            evidence = _("For rewards {rewards} and gamma {gamma} it returned {got}, expected {expected}.",
                         rewards=rewards, gamma=gamma, got=[round(g, 4) for g in got],
                         expected=[round(g, 4) for g in expected])
            name = _returns_mistake(got, rewards, gamma, expected)
            raise Problem(name + " " + evidence if name else evidence)
        if len(_as_floats(fn([], 0.99))) != 0:
            raise Problem(_("an empty episode should give an empty list of returns."))

    return run_check("discounted_returns", discounted_returns, reinforce.discounted_returns, check)


def _scale_mistake(vals, returns) -> str | None:
    """Mean 0, but not std 1: the name of what it divided by, or None."""
    raw = torch.tensor(returns, dtype=torch.float64)
    centred = raw - raw.mean()
    if float(vals.std()) == 0:
        return None
    scale = float(centred.std() / vals.std())
    evidence = _("The result has mean {mean:.3f} and std {std:.3f}: it was divided by {scale:.2f}, and the "
                 "population std of these returns is {true:.2f}.", mean=float(vals.mean()),
                 std=float(vals.std(unbiased=False)), scale=scale, true=float(raw.std(unbiased=False)))
    if not torch.allclose(vals * scale, centred, atol=1e-3):
        return None
    if any(abs(scale - m) < 1e-3 * m for m in (float(raw.max()), float(raw.abs().max()), float(centred.abs().max()))):
        return _("It divided by the largest return instead of the std: that keeps the sign, but the scale then "
                 "depends on one extreme step. Divide by returns.std(unbiased=False) + eps.") + " " + evidence
    if abs(scale - 1.0) < 1e-3:
        return _("The returns are centred but not divided by the std: divide by returns.std(unbiased=False) + "
                 "eps, so that every episode's update has the same size.") + " " + evidence
    return None


def check_normalise_returns(normalise_returns):
    """Check ``normalise_returns(returns, eps)``; return the function to use."""
    def check(fn):
        rng = np.random.default_rng(0)
        returns = list(rng.normal(40.0, 12.0, size=100))
        out = fn(returns)
        if out is None or out is Ellipsis:
            raise Problem(_("it returned {value!r}: is the TODO still unfilled? Return (returns - mean) / "
                            "(std + eps) as a tensor.", value=out))
        if not isinstance(out, torch.Tensor):
            raise Problem(_("it returned a {kind}; return a torch tensor (the loss multiplies it with the "
                            "log-probabilities).", kind=type(out).__name__))
        vals = out.detach().cpu().double()
        if vals.shape != (100,):
            raise Problem(_("for 100 returns it gave shape {shape}: keep one value per step.",
                            shape=tuple(vals.shape)))
        if torch.isnan(vals).any():
            raise Problem(_("it gave NaN for 100 ordinary returns."))
        mean, std = float(vals.mean()), float(vals.std(unbiased=False))
        if abs(mean) > 1e-3 or not 0.98 < std < 1.02:
            evidence = _("The result has mean {mean:.3f} and std {std:.3f}; normalised returns have mean 0 and "
                         "std 1.", mean=mean, std=std)
            if abs(mean) > 1e-3 and 0.98 < std < 1.02:
                raise Problem(_("The mean is not subtracted: subtract returns.mean() first, so that better-than-"
                                "average steps get a positive value and worse ones a negative one.") + " " + evidence)
            if abs(mean) <= 1e-3:
                named = _scale_mistake(vals, returns)
                if named:
                    raise Problem(named)
            raise Problem(evidence + " " + _("Subtract the mean, then divide by the std plus eps."))
        if float(torch.corrcoef(torch.stack([vals, torch.tensor(returns, dtype=torch.float64)]))[0, 1]) < 0.999:
            raise Problem(_("the order of the values changed: normalise element-wise, keep each step's place."))
        notes = []
        for case, one_step in [([2.0, 2.0, 2.0], False), ([7.0], True)]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch warns about the std of one value
                one = fn(case)
            bad = not isinstance(one, torch.Tensor) or torch.isnan(one).any() or torch.isinf(one).any()
            if bad and one_step and isinstance(one, torch.Tensor):
                notes.append(_("for a one-step episode it gives NaN, as the course's version does: torch's default "
                               "std of one value is NaN. CartPole's and Pixelcopter's episodes always last longer, "
                               "so training is safe here, but one NaN would poison the whole network. The kit uses "
                               "the population std (unbiased=False) plus eps, and returns zeros for a single "
                               "return."))
                continue
            if bad:
                what = _("a one-step episode") if one_step else _("equal returns")
                raise Problem(_("for {what} ({case}) it gave {got!r}: the std of equal values is 0, and dividing by "
                                "0 gives NaN, which poisons the whole update. Add a small eps to the std.",
                                what=what, case=case, got=one))
            if torch.any(one.abs() > 1e-6):
                raise Problem(_("for {case} it gave {got}; expected zeros (nothing to prefer).",
                                case=case, got=one.tolist()))
        return notes

    return run_check("normalise_returns", normalise_returns, reinforce.normalise_returns, check)


def check_reinforce_loss(reinforce_loss):
    """Check ``reinforce_loss(log_probs, returns)``; return the function to use."""
    def check(fn):
        log_probs = torch.tensor([-0.5, -1.0, -2.0, -0.1], requires_grad=True)
        returns = torch.tensor([1.0, -0.5, 2.0, -1.0])
        out = fn(log_probs, returns)
        if out is None or out is Ellipsis:
            raise Problem(_("it returned {value!r}: is the TODO still unfilled? Return "
                            "-(log_probs * returns).sum().", value=out))
        if not isinstance(out, torch.Tensor) or out.numel() != 1:
            raise Problem(_("it returned {got}, one value per step; return one number (a tensor with a single "
                            "value): sum over the steps.", got=getattr(out, "shape", type(out).__name__)))
        if out.grad_fn is None:
            raise Problem(_("the loss carries no gradient: build it from log_probs directly (no .item(), "
                            ".detach() or torch.tensor(...) around them), so backward() reaches the policy."))
        lp, G = log_probs.detach(), returns
        value, target = float(out.detach()), float(-(lp * G).sum())
        if abs(value - target) < 1e-5:
            return _loss_speed_notes(fn)
        evidence = _("For log-probabilities {log_probs} and returns {returns} it gave {value:.3f}, expected "
                     "-(log_probs * returns).sum() = {target:.3f}.", log_probs=[round(v, 3) for v in lp.tolist()],
                     returns=[round(v, 3) for v in G.tolist()],
                     value=value, target=target)
        if abs(value + target) < 1e-5:
            raise Problem(_("the sign is flipped. The optimizer minimises the loss, and we want to make good "
                            "actions MORE likely: minimise -log_prob * G.") + " " + evidence)
        if abs(value - target / len(returns)) < 1e-5:
            return [_("it averages over the steps instead of summing: that works too (a smaller step size), "
                      "but the course's loss is the sum.")]
        if abs(abs(value) - abs(float(lp.sum()))) < 1e-5:
            raise Problem(_("the returns are missing: each log-probability must be multiplied by its step's "
                            "return, so that good actions get more likely and bad ones less.") + " " + evidence)
        if abs(abs(value) - abs(float((lp.exp() * G).sum()))) < 1e-5:
            raise Problem(_("it uses probabilities instead of log-probabilities: act already returns "
                            "m.log_prob(action); multiply those by the returns, no .exp().") + " " + evidence)
        if abs(abs(value) - abs(float(lp.sum() * G.sum()))) < 1e-5:
            raise Problem(_("it sums each factor first and multiplies the sums: each step's log-probability goes "
                            "with its own step's return, so multiply element-wise, then sum: "
                            "-(log_probs * returns).sum().") + " " + evidence)
        raise Problem(evidence)

    return run_check("reinforce_loss", reinforce_loss, reinforce.reinforce_loss, check)


def _loss_speed_notes(fn, steps=100_000):
    """A note when the loss loops over the steps in Python: Pixelcopter's batches hold ~100,000s of steps."""
    log_probs = torch.rand(steps, requires_grad=True)
    start = time.perf_counter()
    fn(log_probs, torch.rand(steps))
    seconds = time.perf_counter() - start
    if seconds < 0.2:
        return []
    return [_("on {steps:,} steps it took {seconds:.1f} s: a Python loop over the steps. The Pixelcopter trainer "
              "calls it on batches of that size hundreds of times, so write it without a loop: "
              "-(log_probs * returns).sum().", steps=steps, seconds=seconds)]
