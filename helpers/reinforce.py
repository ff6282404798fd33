"""Unit 4 reference solutions: REINFORCE (Monte-Carlo policy gradient) with PyTorch.

Read top to bottom, this module follows notebook 04:
  Policy, PixelcopterPolicy    the exercises' policies: state -> action probabilities; ``act`` samples one
  discounted_returns           G_t for every step of an episode
  normalise_returns            returns shifted to mean 0 and scaled to std 1 (a simple baseline)
  reinforce_loss               -sum_t log pi(a_t|s_t) * G_t
  reinforce                    the course's loop: play one episode, update, repeat (trains CartPole)
  play_episodes, train_batched the kit's fast path for Pixelcopter: many episodes per update, played side by
                               side, with the same pieces passed in explicitly (the notebook passes yours)
  choose_action, evaluate_agent  the score: greedy (the kit's protocol) or sampled (the course's unit 4)
Then the machinery behind pushing and the benchmark: ``with_inputs`` (a fixed input transform around any
policy), ``PolicyNetwork`` (the one format policies are saved in), ``export_network``, ``make_policy`` and
``train_and_evaluate``. Nothing here reads notebook globals.
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

from helpers import features as _features

# What a solved notebook cell imports before a reference solution (``helpers.exercises.solution_cell``):
# the support names, never the exercises themselves, so the notebook's own functions stay the learner's.
__all__ = ["np", "torch", "nn", "F", "Categorical", "deque", "device"]

# One device for the whole module. A policy this small trains as fast on a CPU as on a GPU (the cost is
# the environment and Python, not the maths), but the code runs on either.
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

# torch.distributions checks every Categorical's probabilities when it is built: on a 4-16-2 policy that check
# costs more than the network, once per step. The exercise checks catch bad probabilities instead.
torch.distributions.Distribution.set_default_validate_args(False)


# ---- the exercises ---------------------------------------------------------------------------------------
class Policy(nn.Module):
    """CartPole's policy: state -> one hidden layer (ReLU) -> a probability for each action."""

    def __init__(self, s_size, a_size, h_size):
        super().__init__()
        self.fc1 = nn.Linear(s_size, h_size)
        self.fc2 = nn.Linear(h_size, a_size)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        return F.softmax(self.fc2(x), dim=-1)

    def act(self, state):
        """Sample an action for one state; return (action as int, log-probability tensor)."""
        state = torch.as_tensor(np.asarray(state), dtype=torch.float32, device=self.fc1.weight.device).unsqueeze(0)
        probs = self.forward(state)
        m = Categorical(probs)
        action = m.sample()  # sample, never argmax: exploration and an unbiased gradient need samples
        return action.item(), m.log_prob(action)


class PixelcopterPolicy(Policy):
    """Pixelcopter's policy: two hidden layers of ``h_size`` (the course widens the second to ``2 * h_size``;
    both work). ``act`` is Policy's."""

    def __init__(self, s_size, a_size, h_size):
        nn.Module.__init__(self)  # not Policy.__init__: this network has its own layers
        self.fc1 = nn.Linear(s_size, h_size)
        self.fc2 = nn.Linear(h_size, h_size)
        self.fc3 = nn.Linear(h_size, a_size)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return F.softmax(self.fc3(x), dim=-1)


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


def reinforce_loss(log_probs, returns):
    """-sum_t log pi(a_t|s_t) * G_t: minimising it makes the actions that led to high returns more likely."""
    return -(log_probs * returns).sum()


def reinforce(policy, optimizer, n_training_episodes, max_t, gamma, print_every, env):
    """REINFORCE as the course writes it: play one episode, update the policy, repeat.

    Returns each training episode's score (for a curve). Seed ``torch`` and ``env`` beforehand for a
    repeatable run (``torch.manual_seed(0); env.reset(seed=0)``).
    """
    scores_deque = deque(maxlen=100)
    scores = []
    for i_episode in range(1, n_training_episodes + 1):
        saved_log_probs, rewards = [], []
        state, info = env.reset()
        for t in range(max_t):
            action, log_prob = policy.act(state)
            saved_log_probs.append(log_prob)
            state, reward, terminated, truncated, info = env.step(action)
            rewards.append(reward)
            if terminated or truncated:
                break
        scores_deque.append(sum(rewards))
        scores.append(sum(rewards))

        returns = normalise_returns(discounted_returns(rewards, gamma))
        log_probs = torch.cat(saved_log_probs)
        loss = reinforce_loss(log_probs, returns.to(log_probs.device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if print_every and i_episode % print_every == 0:
            print(f"Episode {i_episode}\tAverage score (last 100): {np.mean(scores_deque):.2f}")
    return scores


# ---- the fast path: many episodes per update ----------------------------------------------------------------
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


def play_episodes(policy, env, n_episodes, max_t, dev):
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


def train_batched(policy, optimizer, env, n_training_episodes, max_t, gamma, print_every=100, *,
                  batch_episodes=None, seed=None, progress=True,
                  discounted_returns=discounted_returns, normalise_returns=normalise_returns,
                  reinforce_loss=reinforce_loss,
                  entropy_coef=0.0, entropy_final=None, lr_final=None, value_net=None,
                  value_lr=1e-3, value_steps=1, value_batch_size=None):
    """REINFORCE with many episodes per update; return the list of training-episode scores (for a curve).

    The maths is the pieces passed in: ``discounted_returns``, ``normalise_returns`` and ``reinforce_loss``
    (default: the kit's; the notebook passes yours), and ``policy``'s forward pass (probabilities).

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
        states, actions, rewards = play_episodes(policy, env, keep, max_t, dev)

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
        loss = reinforce_loss(log_probs, returns.to(dev)) / keep
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




# ---- evaluation --------------------------------------------------------------------------------------------
def choose_action(policy, state, *, greedy=True, generator=None) -> int:
    """The action a trained ``policy`` plays in ``state``: the most likely one (``greedy``, the kit's
    protocol) or one drawn from its probabilities (the course's unit 4). Evaluation, replays and the Hub's
    videos all choose through here."""
    dev = next(policy.parameters()).device
    with torch.no_grad():
        probs = policy(torch.as_tensor(np.asarray(state), dtype=torch.float32, device=dev).unsqueeze(0))
    if greedy:
        return int(probs.argmax(dim=-1).item())
    return int(torch.multinomial(probs.reshape(1, -1).cpu(), 1, generator=generator).item())


def evaluate_agent(env, max_steps, n_eval_episodes, policy, *, greedy=True, seed=None):
    """Play ``n_eval_episodes`` episodes of at most ``max_steps``; return (mean, std) of their rewards.

    ``greedy=True`` (the kit's protocol, as in the course's unit 1 with ``deterministic=True``) plays the
    most likely action; ``greedy=False`` samples like the course's unit 4. ``seed`` seeds the first reset
    (the others continue its stream) and the sampling, so an evaluation can be repeated exactly.
    Runs under ``torch.no_grad()``: evaluation builds no graph.
    """
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    episode_rewards = []
    was_training = policy.training
    policy.eval()
    with torch.no_grad():
        for episode in range(n_eval_episodes):
            state, info = env.reset(seed=seed) if (seed is not None and episode == 0) else env.reset()
            total = 0.0
            for step in range(max_steps):
                action = choose_action(policy, state, greedy=greedy, generator=gen)
                state, reward, terminated, truncated, info = env.step(action)
                total += reward
                if terminated or truncated:
                    break
            episode_rewards.append(total)
    policy.train(was_training)
    return float(np.mean(episode_rewards)), float(np.std(episode_rewards))




# ---- saving and rebuilding policies ------------------------------------------------------------------------
class InputsPolicy(nn.Module):
    """``policy`` looking at its observation through a fixed, named transform and a scale (see ``with_inputs``)."""

    def __init__(self, policy, obs_features=None, obs_scale=None):
        super().__init__()
        self.policy = policy
        self.obs_features = _features.check_name(obs_features)
        linears = [m for m in policy.modules() if isinstance(m, nn.Linear)]
        self.s_size = linears[0].in_features if linears else None
        scale = torch.ones(self.s_size or 1) if obs_scale is None else torch.as_tensor(obs_scale, dtype=torch.float32)
        self.register_buffer("obs_scale", scale.detach().clone())  # a buffer: saved and moved with the weights

    def inputs(self, x):
        return _features.network_inputs(x, self.obs_features, self.obs_scale)

    def forward(self, x):
        return self.policy(self.inputs(x))

    def act(self, state):
        x = torch.as_tensor(np.asarray(state), dtype=torch.float32, device=self.obs_scale.device)
        return self.policy.act(self.inputs(x).cpu().numpy())


def with_inputs(policy, obs_features=None, obs_scale=None):
    """``policy`` seeing the observation through ``obs_features`` (a name from ``features.OBS_FEATURES``) and
    divided by ``obs_scale``. Both are saved with a pushed policy, so it reloads as it was trained."""
    return InputsPolicy(policy, obs_features, obs_scale)


class PolicyNetwork(nn.Module):
    """The one format the kit saves and reloads policies in: Linear + ReLU per hidden layer, then a softmax.

    ``h_size`` is one hidden width (CartPole: ``16``) or a tuple of widths (Pixelcopter: ``(64, 64)``).
    ``obs_scale`` divides each observation feature and ``obs_features`` names a fixed transform applied
    first; both are saved with the weights. ``PolicyNetwork(**net.architecture)`` rebuilds an identical,
    untrained network. ``export_network`` turns the exercises' policies into one.
    """

    def __init__(self, s_size, a_size, h_size, obs_scale=None, obs_features=None):
        super().__init__()
        self.obs_features = _features.check_name(obs_features)
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
        self.register_buffer("obs_scale", scale.detach().clone())

    @property
    def architecture(self) -> dict:
        """The constructor arguments, JSON-friendly: ``PolicyNetwork(**net.architecture)`` rebuilds it."""
        arch = dict(s_size=self.s_size, a_size=self.a_size,
                    h_size=self.h_size if isinstance(self.h_size, int) else list(self.h_size))
        if not torch.all(self.obs_scale == 1):
            arch["obs_scale"] = [float(v) for v in self.obs_scale.cpu()]
        if self.obs_features:
            arch["obs_features"] = self.obs_features
        return arch

    def inputs(self, x):
        return _features.network_inputs(x, self.obs_features, self.obs_scale)

    def forward(self, x):
        if x.shape[-1] != self.s_size:
            raise ValueError(f"Policy expects observations with {self.s_size} values, got shape {tuple(x.shape)}")
        return F.softmax(self.net(self.inputs(x)), dim=-1)

    def act(self, state):
        state = torch.as_tensor(np.asarray(state), dtype=torch.float32, device=self.obs_scale.device).unsqueeze(0)
        m = Categorical(self.forward(state))
        action = m.sample()
        return action.item(), m.log_prob(action)


def export_network(policy) -> PolicyNetwork:
    """A ``PolicyNetwork`` that computes exactly ``policy``'s probabilities, for saving without code.

    Works for any policy built as the exercises build them: ``nn.Linear`` layers in the order they run,
    ReLU between them, softmax at the end (optionally inside ``with_inputs``). Anything else raises a
    ValueError that says so: the kit then cannot save it in a form others can load safely.
    """
    if isinstance(policy, PolicyNetwork):
        return policy
    inner, obs_features, obs_scale = policy, None, None
    if isinstance(policy, InputsPolicy):
        inner, obs_features, obs_scale = policy.policy, policy.obs_features, policy.obs_scale
    linears = [m for m in inner.modules() if isinstance(m, nn.Linear)]
    chained = all(a.out_features == b.in_features for a, b in zip(linears, linears[1:]))
    if not linears or not chained:
        raise ValueError("The kit saves a policy as a stack of nn.Linear layers (ReLU between them, softmax at the "
                         "end), but this policy's layers do not chain into one: build it like the notebook's Policy.")
    hidden = [m.out_features for m in linears[:-1]]
    net = PolicyNetwork(linears[0].in_features, linears[-1].out_features,
                        hidden[0] if len(hidden) == 1 else tuple(hidden),
                        obs_scale=None if obs_scale is None else obs_scale.cpu(), obs_features=obs_features)
    dev = linears[0].weight.device
    net = net.to(dev)
    with torch.no_grad():
        for mine, theirs in zip([m for m in net.net if isinstance(m, nn.Linear)], linears):
            mine.weight.copy_(theirs.weight)
            mine.bias.copy_(theirs.bias) if theirs.bias is not None else mine.bias.zero_()
        probe = torch.randn(64, net.s_size, generator=torch.Generator().manual_seed(0)).to(dev) * 4
        same = torch.allclose(net(probe), policy(probe), atol=1e-5)
    if not same:
        raise ValueError("The kit saves a policy as nn.Linear layers with ReLU between them and a softmax at the end, "
                         "so that anyone can reload it without running code; this policy computes something else "
                         "(another activation, or the layers used in another order). Push a policy built like the "
                         "notebook's Policy, or save yours with torch.save(policy.state_dict(), path).")
    net.train(policy.training)
    return net


# ---- the benchmark's recipe (benchmarks/certify.py) -------------------------------------------------------
class ValueBaseline(nn.Module):
    """A state-value estimate V(s) used only during training, as REINFORCE's per-state baseline."""

    def __init__(self, s_size, h_size, obs_scale=None, obs_features=None):
        super().__init__()
        self.obs_features = _features.check_name(obs_features)
        self.net = nn.Sequential(nn.Linear(s_size, h_size), nn.ReLU(), nn.Linear(h_size, h_size), nn.ReLU(),
                                 nn.Linear(h_size, 1))
        self.register_buffer("obs_scale", torch.ones(s_size) if obs_scale is None else obs_scale.detach().clone())

    def forward(self, x):
        return self.net(_features.network_inputs(x, self.obs_features, self.obs_scale))


def make_policy(config, seed=None):
    """A fresh policy sized for ``config``'s environment, built from the reference solutions (``seed`` fixes
    its initial weights): ``config.policy_class`` (Policy or PixelcopterPolicy) with ``h_size`` hidden units,
    seeing its inputs through ``obs_features``/``obs_scale`` when the config names them. A tuple ``h_size``
    builds a ``PolicyNetwork`` with those hidden widths instead (e.g. the course's 64-128 Pixelcopter net)."""
    env = config.make_env()
    s_size, a_size = int(env.observation_space.shape[0]), int(env.action_space.n)
    env.close()
    if seed is not None:
        torch.manual_seed(seed)
    if not isinstance(config.h_size, int):
        return PolicyNetwork(s_size, a_size, config.h_size, obs_scale=config.obs_scale,
                             obs_features=config.obs_features).to(device)
    policy = {"Policy": Policy, "PixelcopterPolicy": PixelcopterPolicy}[config.policy_class](s_size, a_size, config.h_size)
    if config.obs_scale is not None or config.obs_features:
        policy = with_inputs(policy, config.obs_features, config.obs_scale)
    return policy.to(device)


def make_value_baseline(config, policy):
    """The learned baseline ``config`` asks for (``value_h``), sized and scaled like ``policy``; else None."""
    if not config.value_h:
        return None  # REINFORCE subtracts the batch mean instead
    s_size = getattr(policy, "s_size", None) or next(m for m in policy.modules() if isinstance(m, nn.Linear)).in_features
    scale = getattr(policy, "obs_scale", None)
    return ValueBaseline(s_size, config.value_h, obs_scale=scale,
                         obs_features=getattr(policy, "obs_features", None)).to(device)


def train_and_evaluate(config, seed=None, progress=True, print_every=0):
    """Train a fresh policy with a ``defaults.ReinforceConfig`` and evaluate it as the notebook does.

    One environment and one episode per update (``not config.batched``): the course's ``reinforce`` loop;
    else ``train_batched``. Returns ``(policy, mean_reward, std_reward, scores)``. The benchmark certifies this.
    """
    policy = make_policy(config, seed)
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.lr)
    if not config.batched:
        env = config.make_env()
        env.reset(seed=seed)  # later resets continue this stream
        scores = reinforce(policy, optimizer, print_every=print_every, env=env, **config.train_kwargs())
        env.close()
    else:
        scores = train_batched(policy, optimizer, config.make_train_env(), print_every=print_every, seed=seed,
                               progress=progress, value_net=make_value_baseline(config, policy),
                               **config.train_kwargs())
    eval_env = config.make_env()
    mean_reward, std_reward = evaluate_agent(eval_env, config.max_t, config.n_evaluation_episodes, policy,
                                             greedy=config.eval_greedy, seed=config.eval_seed)
    eval_env.close()
    return policy, mean_reward, std_reward, scores
