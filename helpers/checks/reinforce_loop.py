"""The check of the REINFORCE loop exercise (``reinforce``), the one exercise that trains.

It plays a six-step probe game whose returns change order, sign and size when mishandled, with an optimizer
of learning rate 0 that records every gradient and the order of zero_grad / backward / step (and at which step
of which episode each came), and compares each update with the REINFORCE gradient; then it trains a few
CartPole episodes. Each known mistake gets its own hint, PyTorch's and NumPy's raw errors included: a step
before backward, an update inside the step loop, log-probabilities stacked to (T, 1), lists not emptied
between episodes, the course's ``np.argmax(m)`` act.
"""
from __future__ import annotations

import functools
import inspect
import re

import gymnasium as gym
import numpy as np
import torch
from tqdm.auto import tqdm

from helpers import reinforce
from helpers.checks.exercises import Problem, adapt_call, run_check
from helpers.i18n import _
from helpers.provenance import global_names, tracked

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
            raise Problem(_("env.step() came before any env.reset(): start each episode with "
                            "`state, info = env.reset()`."))
        if action is None:
            raise Problem(_("the action passed to env.step() is None: let the policy act, "
                            "`action, log_prob = policy.act(state)`."))
        if self.t >= len(_PROBE_REWARDS):
            raise Problem(_("env.step() came after the episode had ended: leave the step loop when `terminated or "
                            "truncated`, and reset for the next episode."))
        states, actions = self.episodes[-1]
        states.append(self._state(self.t))
        actions.append(int(action))
        reward = _PROBE_REWARDS[self.t]
        self.t += 1
        return self._state(self.t), reward, self.t == len(_PROBE_REWARDS), False, {}


class _RecordingOptimizer(torch.optim.SGD):
    """Learning rate 0 (the policy never changes, so every gradient can be recomputed), recording each step.

    It also writes down, in order, every ``zero_grad``, ``step`` and backward pass that reaches the policy's
    weights, with the probe episode and step it came at: the order of the three calls and where they sit in
    the loop (after each step, or once the episode is over) are read from that log."""

    def __init__(self, params, env: _ProbeEnv):
        params = list(params)
        super().__init__(params, lr=0.0)
        self.grads, self.events, self.env, self.recording = [], [], env, True
        for p in params:
            p.register_hook(self._backward_reached)

    def _log(self, kind):
        if self.recording and not (kind == "backward" and self.events and self.events[-1][0] == "backward"):
            self.events.append((kind, len(self.env.episodes), self.env.t))

    def _backward_reached(self, grad):
        self._log("backward")  # one backward pass calls this once per weight tensor: logged once

    def zero_grad(self, set_to_none: bool = True):
        self._log("zero_grad")
        return super().zero_grad(set_to_none)

    def step(self, closure=None):
        self._log("step")
        self.grads.append(torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1).cpu()
                                     for g in self.param_groups for p in g["params"]]))
        return super().step(closure)

    def updates_inside_the_episode(self) -> bool:
        """Was the policy updated (a backward pass or a step) before its episode had ended?"""
        return any(kind in ("backward", "step") and 0 < t < len(_PROBE_REWARDS) for kind, _, t in self.events)

    def order_problem(self) -> str | None:
        """A hint when zero_grad / backward / step come in an order that loses the gradient, else None."""
        kinds = [kind for kind, _, _ in self.events]
        if "backward" not in kinds or "step" not in kinds:
            return None
        since_step = []  # the calls since the previous step
        for kind in kinds:
            if kind != "step":
                since_step.append(kind)
                continue
            if "backward" not in since_step:
                return _STEP_BEFORE_BACKWARD()
            if since_step[-1 - since_step[::-1].index("backward"):].count("zero_grad"):
                return _ZERO_GRAD_AFTER_BACKWARD()
            since_step = []
        return None


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


def _GYM_API() -> str:
    return _("Gymnasium's env.reset() returns (state, info) and env.step() returns five values (state, reward, "
             "terminated, truncated, info); older gym code, like the course's first version, expects one and four. "
             "Write `state, info = env.reset()` and `state, reward, terminated, truncated, info = env.step(action)`.")


def _STEP_BEFORE_BACKWARD() -> str:
    return _("optimizer.step() came before loss.backward(): the step uses the gradients that are there when it is "
             "called, so it moved the weights with no gradient (or the previous episode's). Put the three "
             "calls in this order: optimizer.zero_grad(), loss.backward(), optimizer.step().")


def _ZERO_GRAD_AFTER_BACKWARD() -> str:
    return _("optimizer.zero_grad() came after loss.backward(): it wiped the gradient just computed, so the "
             "step had nothing to apply. Put the three calls in this order: optimizer.zero_grad(), "
             "loss.backward(), optimizer.step().")


def _EVERY_STEP() -> str:
    return _("it updated the policy inside the step loop, before the episode had ended. REINFORCE needs G_t, the "
             "rewards from step t to the END of the episode, so it can only learn once the episode is over: play "
             "the whole episode first, then (after the `for t` loop, one indent level out) compute the returns and "
             "the loss and update once.")


def _EARLIER_EPISODE() -> str:
    return _("the loss reached log-probabilities of an earlier episode, whose graph was already used by an "
             "update (PyTorch: 'backward through the graph a second time'). Start every episode with empty "
             "lists, `saved_log_probs, rewards = [], []`, inside the episode loop.")


def _BROADCAST() -> str:
    return _("log_probs has shape (T, 1) and the returns shape (T,): multiplied together they broadcast to a T x T "
             "table, and the loss sums every log-probability times every return. torch.stack(saved_log_probs) "
             "keeps the extra dimension of each (1,)-shaped log-probability; join them with "
             "torch.cat(saved_log_probs), which gives shape (T,).")


def _ARGMAX_ACT() -> str:
    return _("policy.act() failed inside the loop: `np.argmax(m)` on a Categorical distribution is not an action "
             "(NumPy does not know what m is and returns 0, a NumPy number that m.log_prob cannot take). act must "
             "sample: `action = m.sample()`, then return `action.item(), m.log_prob(action)`.")


def _NO_GRADIENT() -> str:
    return _("no gradient reached the policy's weights: call loss.backward(), and keep the log-probabilities "
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
    normalising, no discount, a (T, 1) x (T,) broadcast. The optimizer's log names the order of zero_grad,
    backward and step, and an update made before the episode ended. Then it trains briefly on CartPole. Course-style loops that read the global
    ``env`` are accepted (``exercises.adapt_call``).
    """
    adapted, notes = adapt_call(reinforce_fn, reinforce.reinforce)

    def run(fn, policy, optimizer, env, n, gamma):
        try:
            return fn(policy, optimizer, n_training_episodes=n, max_t=50, gamma=gamma, print_every=10_000, env=env)
        except (ValueError, TypeError, RuntimeError, AttributeError) as err:
            message = str(err)
            probe = isinstance(env, _ProbeEnv)
            if probe and not env.episodes:
                raise Problem(_("it raised {kind}: {error}, before any env.reset(): start each episode with "
                                "`state, info = env.reset()`.", kind=type(err).__name__, error=err)) from None
            if ("'long'" in message and "numpy" in message) or "value argument to log_prob must be a Tensor" in message:
                raise Problem(_ARGMAX_ACT()) from None
            if isinstance(err, reinforce.ShapeMismatch):
                raise Problem(_BROADCAST()) from None
            if "backward through the graph a second time" in message:
                every_step = isinstance(optimizer, _RecordingOptimizer) and optimizer.updates_inside_the_episode()
                raise Problem(_EVERY_STEP() if every_step or (probe and 0 < env.t < len(_PROBE_REWARDS))
                              else _EARLIER_EPISODE()) from None
            if "modified by an inplace operation" in message:
                # Between act() and backward(), only an optimizer step changes the weights in place.
                raise Problem(_STEP_BEFORE_BACKWARD()) from None
            if "does not require grad" in message:
                raise Problem(_NO_GRADIENT()) from None
            if isinstance(err, AttributeError):
                raise
            if _old_gym_api(fn) or any(word in message for word in ("unpack", "tuple", "object_", "inhomogeneous")):
                raise Problem(_("it raised {kind}: {error}.", kind=type(err).__name__, error=err) + " "
                              + _GYM_API()) from None
            raise

    def check(fn):
        torch.manual_seed(0)
        policy = PolicyClass(4, 2, 8).to(reinforce.device)
        env = _ProbeEnv()
        optimizer, gamma = _RecordingOptimizer(policy.parameters(), env), 0.9
        weights = [p.detach().clone() for p in policy.parameters()]
        scores = run(fn, policy, optimizer, env, 4, gamma)
        optimizer.recording = False  # the reference gradients below run backward passes of their own
        episodes = [e for e in env.episodes if e[1]]
        if not episodes and _other_envs(fn):
            raise Problem(_("it never played the `env` passed in: it reads {names} from the notebook instead. "
                            "Play with the `env` parameter (`state, info = env.reset()`, `env.step(action)`), so "
                            "that the loop trains on whatever env the cell passes.", names=_other_envs(fn)))
        if any(not torch.equal(w, p.detach()) for w, p in zip(weights, policy.parameters())):
            # The optimizer passed in has learning rate 0: another one moved the weights.
            raise Problem(_("the weights changed, but not through the `optimizer` passed in: your loop built an "
                            "optimizer of its own (a new one each episode also forgets Adam's running averages). "
                            "Delete that line and use the `optimizer` passed in, which the training cell builds "
                            "once on the policy's parameters."))
        if len(episodes) != 4:
            raise Problem(_("asked for 4 training episodes it played {n}: loop over range(n_training_episodes) and "
                            "reset the env at the start of each.", n=len(episodes)))
        if not optimizer.grads:
            raise Problem(_("the optimizer never took a step: after loss.backward(), call optimizer.step()."))
        if optimizer.updates_inside_the_episode():
            raise Problem(_EVERY_STEP())
        order = optimizer.order_problem()
        if order:
            raise Problem(order)
        if all(float(g.norm()) == 0 for g in optimizer.grads):
            raise Problem(_NO_GRADIENT())
        if 4 % len(optimizer.grads):
            raise Problem(_("4 episodes gave {n} updates: update once per episode (or once per group of the same "
                            "number of episodes).", n=len(optimizer.grads)))
        per = 4 // len(optimizer.grads)
        accepted = ("episode", "batch")
        before = torch.zeros_like(optimizer.grads[0])  # what the previous update left in .grad
        for k, got in enumerate(optimizer.grads):
            group = episodes[k * per:(k + 1) * per]
            candidates = {how: _gradient(policy, group, gamma, how)
                          for how in ("episode", "batch", "raw", "reversed", "undiscounted")}
            if k and max(_cos(got, candidates[how]) for how in accepted) < 0.999 and \
                    max(_cos(got - before, candidates[how]) for how in accepted) > 0.999:
                raise Problem(_("each update also carries the previous update's gradient: call "
                                "optimizer.zero_grad() before loss.backward(), or the gradients add up from one "
                                "episode to the next."))
            if float(got.norm()) < 1e-4 * float(candidates["episode"].norm()):
                # What a (T, 1) x (T,) product gives: every log-prob times the sum of the normalised returns, 0.
                raise Problem(_BROADCAST())
            best = max(candidates, key=lambda how: abs(_cos(got, candidates[how])))
            similarity = _cos(got, candidates[best])
            if similarity < -0.999 and best in accepted:
                raise Problem(_("the update goes the wrong way: the loss must be -log_prob * G (minimising it "
                                "makes good actions more likely). Check the sign of the loss."))
            if similarity < 0.999:
                raise Problem(_("the update is not the REINFORCE gradient: the loss should be "
                                "-sum_t log_prob_t * G_t with G_t from your discounted_returns, normalised with "
                                "your normalise_returns."))
            if best == "raw":
                raise Problem(_("the returns are not normalised: pass them through normalise_returns before the "
                                "loss, so that better-than-average actions become more likely and worse ones less."))
            if best == "reversed":
                raise Problem(_("the returns are in the wrong order: returns[t] must go with log_prob[t] (G_0 "
                                "first)."))
            if best == "undiscounted":
                raise Problem(_("the returns ignore gamma: compute them with discounted_returns(rewards, gamma)."))
            before = got
        if not isinstance(scores, (list, tuple)) or len(scores) != 4:
            raise Problem(_("it returned {kind}; return the list of episode scores (one total reward per training "
                            "episode).", kind=type(scores).__name__))
        # A short real run: the loop must also work on a real game.
        cartpole = gym.make("CartPole-v1")
        cartpole.reset(seed=0)
        torch.manual_seed(0)
        policy = PolicyClass(4, 2, 16).to(reinforce.device)
        scores = run(fn, policy, torch.optim.Adam(policy.parameters(), lr=1e-2), cartpole, 30, 0.99)
        if len(scores) != 30 or not all(np.isfinite(float(s)) for s in scores):
            raise Problem(_("on 30 CartPole episodes it did not return 30 finite scores."))
        if not all(torch.isfinite(p).all() for p in policy.parameters()):
            raise Problem(_("after 30 CartPole episodes the policy's weights hold NaN: check normalise_returns."))
        return notes

    # What it trains keeps a record of whose code trained it (the pass line and the push read it), and what the
    # training did (its scores, its optimizer): the advice under a failing pass line reads that.
    chosen = run_check("reinforce", adapted, reinforce.reinforce, check)
    return _observed(tracked(chosen, "reinforce", agent="policy"))


def _other_envs(fn) -> str:
    """The notebook's environments that ``fn`` reads by name (other than an ``env`` it is given), as text."""
    fn = inspect.unwrap(fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return ""
    names = sorted(n for n in global_names(code) if n != "env"
                   and isinstance(getattr(fn, "__globals__", {}).get(n), gym.Env))
    return ", ".join(f"`{n}`" for n in names)


def _observed(fn):
    """``fn`` (a training loop), noting for each run the policy, the optimizer and the scores it returned."""
    while getattr(fn, "_kit_observed", False):
        fn = fn.__wrapped__
    # The notebook calls the loop the kit's way (``adapt_call`` maps that onto the learner's own signature).
    params = list(inspect.signature(reinforce.reinforce).parameters)

    def argument(name, args, kwargs):
        if name in kwargs:
            return kwargs[name]
        return args[params.index(name)] if name in params and params.index(name) < len(args) else None

    @functools.wraps(fn)
    def run(*args, **kwargs):
        env, episodes = argument("env", args, kwargs), argument("n_training_episodes", args, kwargs)
        bar = None
        if isinstance(env, gym.Env) and isinstance(episodes, int) and episodes > 0:
            # A progress bar with the time left, whatever the loop prints: it counts the env's resets.
            bar = tqdm(total=episodes, desc=_("training"), mininterval=1.0)
            env = _Progress(env, bar)
            if "env" in kwargs or params.index("env") >= len(args):
                kwargs["env"] = env
            else:
                args = tuple(env if i == params.index("env") else a for i, a in enumerate(args))
        try:
            out = fn(*args, **kwargs)
        finally:
            if bar is not None:
                bar.update(max(0, bar.total - bar.n) if bar.n >= bar.total - 1 else 0)
                bar.close()
        policy = argument("policy", args, kwargs)
        if policy is not None:
            reinforce.note_training(policy, argument("optimizer", args, kwargs), out)
        return out

    run.__wrapped__ = fn
    run._kit_observed = True
    return run


class _Progress(gym.Wrapper):
    """``env``, moving a progress bar one episode on at each reset after the first."""

    def __init__(self, env, bar):
        super().__init__(env)
        self._bar, self._resets = bar, 0

    def reset(self, **kwargs):
        if self._resets:
            self._bar.update(1)
        self._resets += 1
        return self.env.reset(**kwargs)
