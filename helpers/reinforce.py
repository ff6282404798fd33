"""Unit 4 reference implementations: REINFORCE (Monte-Carlo policy gradient) with PyTorch.

These are the solutions to the notebook exercises, written once. Everything a function needs comes in
through its arguments: no function here reads notebook globals.

The training loop is plain REINFORCE with three practical changes (each explained in the notebook):
  * several episodes per update, played side by side in copies of the environment (one forward pass for
    all of them), so each gradient step averages over more than one noisy episode;
  * returns normalised over the whole batch of episodes (a simple baseline), not per episode;
  * an optional entropy bonus that keeps the policy exploring early on.
With one environment copy and no entropy bonus it is the course's algorithm.
"""
from __future__ import annotations

import math
from collections import deque
from typing import Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical
from tqdm.auto import tqdm

__all__ = ["np", "torch", "nn", "F", "Categorical", "deque", "tqdm", "device",
           "Policy", "discounted_returns", "normalise_returns", "reinforce", "evaluate_agent",
           "make_policy", "train_and_evaluate"]

# One device for the whole module. A policy this small trains as fast on a CPU as on a GPU (the cost is
# the environment and Python, not the maths), but the code runs on either.
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Policy(nn.Module):
    """A softmax policy: state -> probability of each action.

    ``h_size`` is one hidden width (CartPole: ``16``) or a tuple of widths for a deeper net
    (Pixelcopter: ``(64, 64)``). ``obs_scale`` optionally divides each observation feature so inputs are
    of order 1; it is saved with the weights, so a reloaded policy needs no extra wrapper.
    ``Policy(**policy.architecture)`` rebuilds an identical, untrained network.
    """

    def __init__(self, s_size, a_size, h_size, obs_scale=None):
        super().__init__()
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
            raise ValueError(f"obs_scale needs one value per observation feature ({self.s_size}), got shape {tuple(scale.shape)}")
        self.register_buffer("obs_scale", scale)  # a buffer: saved in state_dict, moved by .to(device)

    @property
    def architecture(self) -> dict:
        """The constructor arguments, JSON-friendly: ``Policy(**policy.architecture)`` rebuilds it."""
        arch = dict(s_size=self.s_size, a_size=self.a_size,
                    h_size=self.h_size if isinstance(self.h_size, int) else list(self.h_size))
        if not torch.all(self.obs_scale == 1):
            arch["obs_scale"] = [float(v) for v in self.obs_scale.cpu()]
        return arch

    def forward(self, x):
        if x.shape[-1] != self.s_size:
            raise ValueError(f"Policy expects observations with {self.s_size} values, got shape {tuple(x.shape)}")
        x = x / self.obs_scale
        return F.softmax(self.net(x), dim=-1)

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


def _as_env_list(env):
    return list(env) if isinstance(env, (list, tuple)) else [env]


def _play_batch(policy, envs, max_t, dev):
    """Play one episode in each env side by side (one forward pass per step for all of them).

    Returns, per env: the states, the actions and the rewards of its episode.
    """
    n = len(envs)
    states = [[] for _ in range(n)]
    actions = [[] for _ in range(n)]
    rewards = [[] for _ in range(n)]
    obs = [np.asarray(e.reset()[0], dtype=np.float32) for e in envs]
    active = list(range(n))
    for _ in range(max_t):
        with torch.no_grad():
            batch = torch.as_tensor(np.stack([obs[i] for i in active]), device=dev)
            sampled = Categorical(policy(batch)).sample().tolist()
        still = []
        for i, a in zip(active, sampled):
            states[i].append(obs[i])
            actions[i].append(a)
            new_obs, r, terminated, truncated, _ = envs[i].step(a)
            rewards[i].append(float(r))
            obs[i] = np.asarray(new_obs, dtype=np.float32)
            if not (terminated or truncated):
                still.append(i)
        active = still
        if not active:
            break
    return states, actions, rewards


def reinforce(policy, optimizer, env, n_training_episodes, max_t, gamma, print_every=100, *,
              entropy_coef=0.0, entropy_final=None, lr_final=None, seed=None, progress=True):
    """Train ``policy`` with REINFORCE; return the list of training-episode scores (for a curve).

    ``env`` is one environment or a list of copies: each update plays one episode in every copy
    (``len(env)`` episodes per gradient step) and stops after ``n_training_episodes`` episodes in all.
    ``max_t`` caps each training episode. Returns are discounted with ``gamma`` and normalised over
    the batch. ``entropy_coef`` adds an exploration bonus, annealed linearly to ``entropy_final``
    (default: constant); ``lr_final`` likewise anneals the optimizer's learning rate. ``seed`` seeds
    the first reset of each copy and the action sampling (seed the policy's init yourself, before
    building it). ``print_every`` prints the average score every that many episodes (0: never).
    """
    envs = _as_env_list(env)
    n_envs = len(envs)
    dev = policy.obs_scale.device
    if seed is not None:
        torch.manual_seed(seed)
        for i, e in enumerate(envs):
            e.reset(seed=seed * 1000 + i)  # later resets continue each copy's own stream
            e.action_space.seed(seed * 1000 + i)
    lr0 = [g["lr"] for g in optimizer.param_groups]
    n_updates = max(1, math.ceil(n_training_episodes / n_envs))
    scores, window = [], deque(maxlen=100)
    next_print = print_every
    bar = tqdm(total=n_training_episodes, disable=not progress, desc="training", mininterval=0.5)
    for update in range(n_updates):
        frac = update / max(1, n_updates - 1)
        if lr_final is not None:
            for g, lr in zip(optimizer.param_groups, lr0):
                g["lr"] = lr + (lr_final - lr) * frac
        beta = entropy_coef if entropy_final is None else entropy_coef + (entropy_final - entropy_coef) * frac
        copies = envs[:min(n_envs, n_training_episodes - len(scores))]
        states, actions, rewards = _play_batch(policy, copies, max_t, dev)

        # Monte-Carlo returns per episode, then one normalisation over the whole batch.
        returns = normalise_returns([g for ep in rewards for g in discounted_returns(ep, gamma)])
        s = torch.as_tensor(np.concatenate([np.stack(ep) for ep in states]), device=dev)
        a = torch.as_tensor([x for ep in actions for x in ep], device=dev)
        # The same log-probabilities act() gave while playing, recomputed in one batched pass (much
        # faster than back-propagating through thousands of single-step graphs).
        dist = Categorical(policy(s))
        log_probs = dist.log_prob(a)
        # -sum_t log pi(a_t|s_t) * G_t, averaged over the episodes of the batch.
        loss = -(log_probs * returns.to(dev)).sum() / len(copies)
        if beta:
            loss = loss - beta * dist.entropy().sum() / len(copies)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        for ep in rewards:
            scores.append(sum(ep))
            window.append(scores[-1])
        bar.update(len(copies))
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


def make_policy(config, seed=None):
    """A fresh ``Policy`` sized for ``config``'s environment (``seed`` fixes its initial weights)."""
    env = config.make_env()
    s_size, a_size = int(env.observation_space.shape[0]), int(env.action_space.n)
    env.close()
    if seed is not None:
        torch.manual_seed(seed)
    return Policy(s_size, a_size, config.h_size, obs_scale=config.obs_scale).to(device)


def train_and_evaluate(config, seed=None, progress=True, print_every=0):
    """Train a fresh policy with a ``defaults.ReinforceConfig`` and evaluate it as the notebook does.

    Returns ``(policy, mean_reward, std_reward, scores)``. The benchmark certifies exactly this.
    """
    policy = make_policy(config, seed)
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.lr)
    envs = [config.make_env() for _ in range(config.n_envs)]
    scores = reinforce(policy, optimizer, envs if len(envs) > 1 else envs[0], config.n_training_episodes,
                       config.train_max_t or config.max_t, config.gamma, print_every, seed=seed,
                       entropy_coef=config.entropy_coef, entropy_final=config.entropy_final,
                       lr_final=config.lr_final, progress=progress)
    for e in envs:
        e.close()
    eval_env = config.make_env()
    mean_reward, std_reward = evaluate_agent(eval_env, config.max_t, config.n_evaluation_episodes, policy,
                                             greedy=config.eval_greedy, seed=config.eval_seed)
    eval_env.close()
    return policy, mean_reward, std_reward, scores
