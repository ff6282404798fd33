"""Unit 4 reference implementations: REINFORCE (Monte-Carlo policy gradient) with PyTorch.

These are the solutions to the notebook exercises, written once. Everything a function needs comes in
through its arguments: no function here reads notebook globals.

The training loop is plain REINFORCE with a few practical changes (each explained in notebook 04):
  * several complete episodes per update, played side by side in copies of the environment (one forward
    pass for all of them; Pixelcopter's copies are one NumPy vector env), so each gradient step averages
    over many noisy episodes instead of one;
  * returns normalised over the whole batch (a simple baseline), not per episode;
  * the log-probabilities recomputed in one batched pass after playing (same values, far faster);
  * optional: inputs rewritten by a fixed, named transform (Pixelcopter: relative to the copter), an
    entropy bonus, a learning-rate schedule, a learned state-value baseline.
With one environment copy and the options off it is the course's algorithm.
"""
from __future__ import annotations

import math
from collections import deque

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical
from tqdm.auto import tqdm

from helpers import pixelcopter as _pc  # the game's geometry, for the Pixelcopter input features

# What `from helpers.reinforce import *` gives: what the exercise solutions need (the notebook's solved
# cells start with it). The module's other functions are used as `reinforce.<name>`, so that the name
# `reinforce` keeps meaning this module in the notebook.
__all__ = ["np", "torch", "nn", "F", "Categorical", "deque", "tqdm", "device",
           "PolicyNetwork", "Policy", "discounted_returns", "normalise_returns"]

# One device for the whole module. A policy this small trains as fast on a CPU as on a GPU (the cost is
# the environment and Python, not the maths), but the code runs on either.
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def pixelcopter_relative(x):
    """Pixelcopter's 7 observation values re-expressed relative to the copter (still 7 values).

    The raw values are absolute screen heights, so "a block 5 px above me" looks different at every
    height and the network must learn the same dodge many times. These say it once: height above the
    middle of the band no terrain can reach (20.4-30 px), velocity, offset from the corridor's centre,
    the corridor centre's offset from the screen's middle, distance to the block, the block's centre
    relative to the copter, and how far off it is either way.
    """
    y, v, to_ceiling, _to_floor, gate_dist, gate_top, _gate_bottom = x.unbind(-1)
    corridor = y - to_ceiling + _pc.CORRIDOR_HALF  # centre height of the terrain segment under the copter
    block = gate_top + 0.5 - y  # the block's rows are [top - 4, top + 5): its centre is top + 0.5
    return torch.stack([y - 25.2, v, to_ceiling - _pc.CORRIDOR_HALF, corridor - _pc.TERRAIN_MID, gate_dist, block,
                        block.abs()], dim=-1)


# Fixed input transforms a policy can be built with, by name: the name is saved with the weights, so a
# reloaded policy computes the same inputs, and loading never runs code from a downloaded file.
OBS_FEATURES = {"pixelcopter-relative": pixelcopter_relative}


def _features(name):
    if name is not None and name not in OBS_FEATURES:
        raise ValueError(f"Unknown obs_features {name!r}; the kit knows {sorted(OBS_FEATURES)} (or None: the raw "
                         "observation).")
    return name


def _network_inputs(x, obs_features, obs_scale):
    """What a network's first layer sees: ``x`` through the named transform (if any), divided by ``obs_scale``."""
    if obs_features:
        x = OBS_FEATURES[obs_features](x)
    return x / obs_scale


class PolicyNetwork(nn.Module):
    """The layers of a policy: state -> one score per action. ``Policy`` (the exercise) turns the scores
    into probabilities and actions.

    ``h_size`` is one hidden width (CartPole: ``16``) or a tuple of widths for a deeper net
    (Pixelcopter: ``(64, 64)``). ``obs_scale`` optionally divides each observation feature so inputs are
    of order 1; it is saved with the weights, so a reloaded policy needs no extra wrapper. ``obs_features``
    optionally names a fixed transform from ``OBS_FEATURES`` applied first (Pixelcopter:
    ``"pixelcopter-relative"``). ``Policy(**policy.architecture)`` rebuilds an identical, untrained network.
    """

    def __init__(self, s_size, a_size, h_size, obs_scale=None, obs_features=None):
        super().__init__()
        self.obs_features = _features(obs_features)
        hidden = [h_size] if isinstance(h_size, int) else list(h_size)
        self.s_size, self.a_size = int(s_size), int(a_size)
        self.h_size = h_size if isinstance(h_size, int) else tuple(hidden)
        layers, width = [], self.s_size
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, self.a_size))
        self.net = nn.Sequential(*layers)
        scale = torch.ones(self.s_size) if obs_scale is None else torch.as_tensor(obs_scale, dtype=torch.float32)
        if scale.shape != (self.s_size,):
            raise ValueError(f"obs_scale needs one value per observation feature ({self.s_size}), "
                             f"got shape {tuple(scale.shape)}")
        self.register_buffer("obs_scale", scale)  # a buffer: saved in state_dict, moved by .to(device)

    @property
    def architecture(self) -> dict:
        """The constructor arguments, JSON-friendly: ``Policy(**policy.architecture)`` rebuilds it."""
        arch = dict(s_size=self.s_size, a_size=self.a_size,
                    h_size=self.h_size if isinstance(self.h_size, int) else list(self.h_size))
        if not torch.all(self.obs_scale == 1):
            arch["obs_scale"] = [float(v) for v in self.obs_scale.cpu()]
        if self.obs_features:
            arch["obs_features"] = self.obs_features
        return arch

    def inputs(self, x):
        """What the layers see: the observation through ``obs_features`` (if any), divided by ``obs_scale``."""
        return _network_inputs(x, self.obs_features, self.obs_scale)

    def scores(self, x):
        """One unnormalised score (logit) per action for each state in ``x``."""
        if x.shape[-1] != self.s_size:
            raise ValueError(f"Policy expects observations with {self.s_size} values, got shape {tuple(x.shape)}")
        return self.net(self.inputs(x))


class Policy(PolicyNetwork):
    """A softmax policy: ``forward`` gives the probability of each action, ``act`` samples one."""

    def forward(self, x):
        return F.softmax(self.scores(x), dim=-1)

    def act(self, state):
        """Sample an action for one state; return (action as int, log-probability tensor)."""
        state = torch.as_tensor(np.asarray(state), dtype=torch.float32, device=self.obs_scale.device).unsqueeze(0)
        probs = self.forward(state)
        m = Categorical(probs)
        action = m.sample()  # sample, never argmax: exploration and an unbiased gradient need samples
        return action.item(), m.log_prob(action)


def discounted_returns(rewards, gamma):
    """G_t = r_t + gamma * G_{t+1} for every step of one episode, computed backwards in O(T)."""
    returns = deque(maxlen=len(rewards))
    G = 0.0
    for r in reversed(rewards):
        G = r + gamma * G
        returns.appendleft(G)
    return list(returns)


def normalise_returns(returns, eps=1e-8):
    """Shift to mean 0 and scale to std 1; a constant batch (e.g. one step) only gets centred, never NaN."""
    returns = torch.as_tensor(returns, dtype=torch.float32)
    centred = returns - returns.mean()
    if returns.numel() < 2:
        return centred
    return centred / (returns.std(unbiased=False) + eps)


def _n_copies(env):
    if isinstance(env, gym.vector.VectorEnv):
        return env.num_envs
    return len(env) if isinstance(env, (list, tuple)) else 1


def _seed_copies(env, seed):
    """Seed each copy's first reset (copy i gets seed + i); later resets continue their streams."""
    if isinstance(env, gym.vector.VectorEnv):
        env.reset(seed=seed)
        env.action_space.seed(seed)
        return
    for i, e in enumerate(env if isinstance(env, (list, tuple)) else [env]):
        e.reset(seed=seed + i)
        e.action_space.seed(seed + i)


def _play_episodes(policy, env, n_episodes, max_t, dev):
    """Play ``n_episodes`` fresh episodes with the current policy, spread over the copies of ``env``.

    All copies step together (one forward pass per step for all of them). A copy whose episode ends
    starts the next one while fewer than ``n_episodes`` have started, so no copy waits idle for long.
    ``env`` is an Env, a list of Envs, or a VectorEnv that resets a finished copy in the same step
    (``AutoresetMode.SAME_STEP``, as ``PixelcopterVecEnv``). Each episode stops after ``max_t`` steps.
    Returns, per episode in the order they started: its states, actions and rewards (arrays).
    """
    vector = isinstance(env, gym.vector.VectorEnv)
    if vector and env.metadata.get("autoreset_mode") != gym.vector.AutoresetMode.SAME_STEP:
        raise ValueError("reinforce needs a vector env that resets finished copies in the same step "
                         "(autoreset_mode SAME_STEP), or pass a list of ordinary envs instead.")
    envs = None if vector else (list(env) if isinstance(env, (list, tuple)) else [env])
    n = env.num_envs if vector else len(envs)
    if vector:
        obs = np.asarray(env.reset()[0], dtype=np.float32)  # fresh episodes, continuing each copy's stream
    else:
        obs = np.stack([np.asarray(e.reset()[0], dtype=np.float32) for e in envs])
    started = min(n, n_episodes)
    episode = np.full(n, -1, dtype=np.int64)  # which episode each copy is playing (-1: idle)
    episode[:started] = np.arange(started)
    length = np.zeros(n, dtype=np.int64)
    finished = 0
    obs_log, act_log, rew_log, ep_log = [], [], [], []
    while finished < n_episodes:
        with torch.no_grad():
            sampled = Categorical(policy(torch.as_tensor(obs, device=dev))).sample().cpu().numpy()
        playing = episode >= 0
        obs_log.append(obs)
        act_log.append(sampled)
        ep_log.append(episode.copy())
        length += playing
        if vector:
            new_obs, r, terminated, truncated, _ = env.step(sampled)
            ended = np.logical_or(terminated, truncated)
            obs = np.asarray(new_obs, dtype=np.float32)
            rew_log.append(np.asarray(r, dtype=np.float64))
        else:
            ended, r, obs = np.zeros(n, dtype=bool), np.zeros(n), obs.copy()
            for i in np.flatnonzero(playing):
                new_obs, r[i], terminated, truncated, _ = envs[i].step(int(sampled[i]))
                obs[i] = new_obs
                ended[i] = terminated or truncated
            rew_log.append(r)
        capped = playing & ~ended & (length >= max_t)
        for i in np.flatnonzero(playing & (ended | capped)):
            finished += 1
            length[i] = 0
            # A vector env cannot reset one copy: a copy it did not end itself (cut off by max_t) waits.
            if started < n_episodes and not (vector and capped[i]):
                episode[i] = started
                started += 1
                if not vector:
                    obs[i] = envs[i].reset()[0]
            else:
                episode[i] = -1
        if started < n_episodes and not (episode >= 0).any():
            # Only a vector env gets here: it cannot restart one copy, so copies cut off by max_t sit idle.
            raise ValueError(f"Every copy of the vector env was cut off by max_t={max_t} before {n_episodes} "
                             "episodes started. Build it with max_episode_steps=max_t (PixelcopterVecEnv does "
                             "this in ReinforceConfig.make_train_env) so that capped copies restart.")
    O, A, R, E = (np.concatenate(x) for x in (obs_log, act_log, rew_log, ep_log))
    order = np.argsort(E, kind="stable")  # group by episode, keeping time order inside each
    bounds = np.searchsorted(E[order], np.arange(n_episodes + 1))
    pieces = [order[bounds[k]:bounds[k + 1]] for k in range(n_episodes)]
    return [O[ix] for ix in pieces], [A[ix] for ix in pieces], [R[ix] for ix in pieces]


def _fit_value(value_net, optimizer, states, targets, steps, batch_size):
    """Regress V(s) on the returns just observed: a few Adam steps, each on a random subset of the batch."""
    for _ in range(steps):
        ix = torch.randperm(len(states), device=states.device)[:batch_size] if batch_size else slice(None)
        optimizer.zero_grad()
        F.mse_loss(value_net(states[ix]).squeeze(-1), targets[ix]).backward()
        optimizer.step()


def reinforce(policy, optimizer, env, n_training_episodes, max_t, gamma, print_every=100, *,
              batch_episodes=None, entropy_coef=0.0, entropy_final=None, lr_final=None, value_net=None,
              value_lr=1e-3, value_steps=1, value_batch_size=None, seed=None, progress=True):
    """Train ``policy`` with REINFORCE; return the list of training-episode scores (for a curve).

    ``env`` is one environment, a list of copies or a vector env (e.g. ``PixelcopterVecEnv``): the
    copies play side by side. Each gradient step uses ``batch_episodes`` complete episodes (default: one
    per copy), all played with the current policy; training stops after ``n_training_episodes``.
    ``max_t`` caps each training episode. Returns are discounted with ``gamma`` and normalised over the
    batch. ``entropy_coef`` adds an exploration bonus, annealed linearly to ``entropy_final`` (default:
    constant); ``lr_final`` likewise anneals the optimizer's learning rate. ``value_net`` (optional, a
    module state -> predicted return) turns the batch-mean baseline into a per-state one; after each
    update it takes ``value_steps`` Adam steps (at ``value_lr``) towards the batch's returns, each on
    ``value_batch_size`` states drawn at random from the batch (default: the whole batch). ``seed``
    seeds the copies' first resets and the action sampling (seed the policy's init yourself, before
    building it). ``print_every`` prints the average score every that many episodes (0: never).
    """
    batch = batch_episodes or _n_copies(env)
    dev = next(policy.parameters()).device  # works for any nn.Module policy
    if seed is not None:
        torch.manual_seed(seed)
        _seed_copies(env, seed * 1000)
    lr0 = [g["lr"] for g in optimizer.param_groups]
    value_opt = torch.optim.Adam(value_net.parameters(), lr=value_lr) if value_net is not None else None
    n_updates = max(1, math.ceil(n_training_episodes / batch))
    scores, window = [], deque(maxlen=100)
    next_print = print_every
    bar = tqdm(total=n_training_episodes, disable=not progress, desc="training", mininterval=0.5)
    for update in range(n_updates):
        frac = update / max(1, n_updates - 1)
        if lr_final is not None:
            for g, lr in zip(optimizer.param_groups, lr0):
                g["lr"] = lr + (lr_final - lr) * frac
        beta = entropy_coef if entropy_final is None else entropy_coef + (entropy_final - entropy_coef) * frac
        keep = min(batch, n_training_episodes - len(scores))  # the last batch may be smaller
        states, actions, rewards = _play_episodes(policy, env, keep, max_t, dev)

        # Monte-Carlo returns per episode, then one normalisation over the whole batch.
        raw = [g for ep in rewards for g in discounted_returns(ep.tolist(), gamma)]
        s = torch.as_tensor(np.concatenate(states), device=dev)
        a = torch.as_tensor(np.concatenate(actions), device=dev)
        if value_net is None:
            returns = normalise_returns(raw)
        else:
            # Baseline: subtract the predicted return of each state, so only better/worse-than-expected counts.
            target = torch.as_tensor(raw, dtype=torch.float32, device=dev)
            with torch.no_grad():
                v = value_net(s).squeeze(-1)
            returns = normalise_returns((target - v).cpu())
            _fit_value(value_net, value_opt, s, target, value_steps, value_batch_size)
        # The same log-probabilities act() gave while playing, recomputed in one batched pass (much
        # faster than back-propagating through thousands of single-step graphs).
        dist = Categorical(policy(s))
        log_probs = dist.log_prob(a)
        # -sum_t log pi(a_t|s_t) * G_t, averaged over the episodes of the batch.
        loss = -(log_probs * returns.to(dev)).sum() / keep
        if beta:
            loss = loss - beta * dist.entropy().sum() / keep
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        for ep in rewards:
            scores.append(float(np.sum(ep)))
            window.append(scores[-1])
        bar.update(keep)
        bar.set_postfix(avg100=f"{np.mean(window):.1f}", refresh=False)
        if print_every and len(scores) >= next_print:
            print(f"Episode {len(scores)}\tAverage score (last 100): {np.mean(window):.2f}")
            next_print += print_every
    bar.close()
    for g, lr in zip(optimizer.param_groups, lr0):
        g["lr"] = lr
    return scores


def evaluate_agent(env, max_steps, n_eval_episodes, policy, *, greedy=True, seed=None):
    """Play ``n_eval_episodes`` episodes of at most ``max_steps``; return (mean, std) of their rewards.

    ``greedy=True`` (the kit's protocol, as in the course's unit 1 with ``deterministic=True``) plays the
    most likely action; ``greedy=False`` samples like the course's unit 4. ``seed`` seeds the first reset
    (the others continue its stream) and the sampling, so an evaluation can be repeated exactly.
    Runs under ``torch.no_grad()``: evaluation builds no graph.
    """
    dev = next(policy.parameters()).device
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    episode_rewards = []
    was_training = policy.training
    policy.eval()
    with torch.no_grad():
        for episode in range(n_eval_episodes):
            state, info = env.reset(seed=seed) if (seed is not None and episode == 0) else env.reset()
            total = 0.0
            for step in range(max_steps):
                probs = policy(torch.as_tensor(np.asarray(state), dtype=torch.float32, device=dev).unsqueeze(0))
                if greedy:
                    action = int(probs.argmax(dim=-1).item())
                else:
                    action = int(torch.multinomial(probs.cpu(), 1, generator=gen).item())
                state, reward, terminated, truncated, info = env.step(action)
                total += reward
                if terminated or truncated:
                    break
            episode_rewards.append(total)
    policy.train(was_training)
    return float(np.mean(episode_rewards)), float(np.std(episode_rewards))


class ValueBaseline(nn.Module):
    """A state-value estimate V(s) used only during training, as REINFORCE's per-state baseline."""

    def __init__(self, s_size, h_size, obs_scale=None, obs_features=None):
        super().__init__()
        self.obs_features = _features(obs_features)
        self.net = nn.Sequential(nn.Linear(s_size, h_size), nn.ReLU(), nn.Linear(h_size, h_size), nn.ReLU(),
                                 nn.Linear(h_size, 1))
        self.register_buffer("obs_scale", torch.ones(s_size) if obs_scale is None else obs_scale.detach().clone())

    def forward(self, x):
        return self.net(_network_inputs(x, self.obs_features, self.obs_scale))


def make_policy(config, seed=None):
    """A fresh ``Policy`` sized for ``config``'s environment (``seed`` fixes its initial weights)."""
    env = config.make_env()
    s_size, a_size = int(env.observation_space.shape[0]), int(env.action_space.n)
    env.close()
    if seed is not None:
        torch.manual_seed(seed)
    return Policy(s_size, a_size, config.h_size, obs_scale=config.obs_scale,
                  obs_features=config.obs_features).to(device)


def make_value_baseline(config, policy):
    """The learned baseline ``config`` asks for (``value_h``), sized and scaled like ``policy``; else None."""
    if not config.value_h:
        return None  # REINFORCE subtracts the batch mean instead
    return ValueBaseline(policy.s_size, config.value_h, obs_scale=policy.obs_scale,
                         obs_features=getattr(policy, "obs_features", None)).to(device)


def train_and_evaluate(config, seed=None, progress=True, print_every=0):
    """Train a fresh policy with a ``defaults.ReinforceConfig`` and evaluate it as the notebook does.

    Returns ``(policy, mean_reward, std_reward, scores)``. The benchmark certifies exactly this.
    """
    policy = make_policy(config, seed)
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.lr)
    train_env = config.make_train_env()
    value_net = make_value_baseline(config, policy)
    scores = reinforce(policy, optimizer, train_env, config.n_training_episodes,
                       config.train_max_t or config.max_t, config.gamma, print_every, seed=seed,
                       batch_episodes=config.batch_episodes, entropy_coef=config.entropy_coef,
                       entropy_final=config.entropy_final, lr_final=config.lr_final, value_net=value_net,
                       value_lr=config.lr, value_steps=config.value_steps,
                       value_batch_size=config.value_batch_size, progress=progress)
    eval_env = config.make_env()
    mean_reward, std_reward = evaluate_agent(eval_env, config.max_t, config.n_evaluation_episodes, policy,
                                             greedy=config.eval_greedy, seed=config.eval_seed)
    eval_env.close()
    return policy, mean_reward, std_reward, scores
