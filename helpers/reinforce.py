"""Unit 4 reference solutions: REINFORCE (Monte-Carlo policy gradient) with PyTorch.

Read top to bottom, this module follows notebook 03:
  Policy, PixelcopterPolicy    the exercises' policies: state -> action probabilities; ``act`` samples one
  discounted_returns           G_t for every step of an episode
  normalise_returns            returns shifted to mean 0 and scaled to std 1 (a simple baseline)
  reinforce_loss               -sum_t log pi(a_t|s_t) * G_t
  reinforce                    the course's loop: play one episode, update, repeat (trains CartPole)
  play_episodes                the rollout: many episodes played side by side with the current policy
  train_batched                the same update on a batch of those episodes (trains Pixelcopter); the
                               notebook passes your returns, normalisation and loss
  choose_action, evaluate_agent  the score: greedy (the kit's protocol) or sampled (the course's unit 4)
  make_policy, train_and_evaluate  the benchmark's recipe: a ``defaults.ReinforceConfig`` in, a score out
How a trained policy is saved lives in ``helpers.policies``. Nothing here reads notebook globals.
"""
from __future__ import annotations

from collections import deque

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical
from tqdm.auto import tqdm

from helpers import provenance
from helpers.arguments import check_args
from helpers.policies import PolicyNetwork, with_inputs

# What a solved notebook cell imports before a reference solution (``helpers.checks.exercises.solution_cell``):
# the support names, never the exercises themselves, so the notebook's own functions stay the learner's.
__all__ = ["np", "torch", "nn", "F", "Categorical", "deque", "device", "check_args"]

# One device for the whole module. A policy this small trains as fast on a CPU as on a GPU (the cost is
# the environment and Python, not the maths), but the code runs on either.
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

# torch.distributions checks every Categorical's probabilities when it is built: on a 4-16-2 policy that check
# costs more than the network, once per step. The exercise checks catch bad probabilities instead.
torch.distributions.Distribution.set_default_validate_args(False)


# ---- the exercises ---------------------------------------------------------------------------------------
class Policy(nn.Module):
    """CartPole's policy: state -> one hidden layer (ReLU) -> a probability for each action.
    Introduced in notebook 03, section 4 (exercise 1)."""

    def __init__(self, s_size: int, a_size: int, h_size: int):
        super().__init__()
        self.fc1 = nn.Linear(s_size, h_size)
        self.fc2 = nn.Linear(h_size, a_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.fc1(x))
        return F.softmax(self.fc2(x), dim=-1)

    def act(self, state) -> tuple[int, torch.Tensor]:
        """Sample an action for one state; return (action as int, log-probability tensor). Notebook 03, exercise 2."""
        dev = next(self.parameters()).device  # whatever the layers are called
        state = torch.as_tensor(np.asarray(state), dtype=torch.float32, device=dev).unsqueeze(0)
        probs = self.forward(state)
        m = Categorical(probs)
        action = m.sample()  # sample, never argmax: exploration and an unbiased gradient need samples
        return action.item(), m.log_prob(action)


class PixelcopterPolicy(Policy):
    """Pixelcopter's policy: two hidden layers of ``h_size`` (the course widens the second to ``2 * h_size``;
    both work). ``act`` is Policy's. Notebook 03, section 10 (exercise 7); it also plays Pong (section 11)."""

    def __init__(self, s_size: int, a_size: int, h_size: int):
        nn.Module.__init__(self)  # not Policy.__init__: this network has its own layers
        self.fc1 = nn.Linear(s_size, h_size)
        self.fc2 = nn.Linear(h_size, h_size)
        self.fc3 = nn.Linear(h_size, a_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return F.softmax(self.fc3(x), dim=-1)


def discounted_returns(rewards: list[float], gamma: float) -> list[float]:
    """G_t = r_t + gamma * G_{t+1} for every step of one episode, computed backwards in O(T).
    Notebook 03, section 5 (exercise 3)."""
    returns = deque(maxlen=len(rewards))
    G = 0.0
    for r in reversed(rewards):
        G = r + gamma * G
        returns.appendleft(G)
    return list(returns)


def normalise_returns(returns, eps: float = 1e-8) -> torch.Tensor:
    """Shift to mean 0 and scale to std 1; a constant batch (e.g. one step) only gets centred, never NaN.
    Notebook 03, section 5 (exercise 4)."""
    returns = torch.as_tensor(returns, dtype=torch.float32)
    centred = returns - returns.mean()
    if returns.numel() < 2:
        return centred
    return centred / (returns.std(unbiased=False) + eps)


def reinforce_loss(log_probs: torch.Tensor, returns: torch.Tensor) -> torch.Tensor:
    """-sum_t log pi(a_t|s_t) * G_t: minimising it makes the actions that led to high returns more likely.
    Notebook 03, section 5 (exercise 5)."""
    if log_probs.shape != returns.shape:  # (T, 1) * (T,) would broadcast to a T x T table, silently
        raise ValueError(f"log_probs {tuple(log_probs.shape)} and returns {tuple(returns.shape)} need the same shape, "
                         "one value per step: join act's log-probabilities with torch.cat(saved_log_probs), which "
                         "gives (T,), not torch.stack, which gives (T, 1).")
    return -(log_probs * returns).sum()


def reinforce(policy: nn.Module, optimizer: torch.optim.Optimizer, n_training_episodes: int, max_t: int,
              gamma: float, print_every: int, env) -> list[float]:
    """REINFORCE as the course writes it: play one episode, update the policy, repeat. Notebook 03,
    section 6 (exercise 6).

    Returns each training episode's score (for a curve). Seed ``torch`` and ``env`` beforehand for a
    repeatable run (``torch.manual_seed(0); env.reset(seed=0)``).
    """
    check_args(4, n_training_episodes=n_training_episodes, max_t=max_t, gamma=gamma)
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
    provenance.trained_by_kit(policy, reinforce)  # the pass line says the kit's loop trained this policy
    return scores


# ---- the fast path: many episodes per update ----------------------------------------------------------------
def _check_vector_env(env) -> None:
    if not isinstance(env, gym.vector.VectorEnv):
        raise TypeError(f"train_batched plays copies of the env side by side, so it takes a vector env, not a "
                        f"{type(env).__name__}: build one with helpers.envs.make_vec_env(env_id, n_envs, "
                        "max_episode_steps=max_t) (or config.make_train_env()).")
    if env.metadata.get("autoreset_mode") != gym.vector.AutoresetMode.SAME_STEP:
        raise ValueError("train_batched needs a vector env that starts a finished copy's next episode in the same step "
                         "(autoreset_mode SAME_STEP): build it with helpers.envs.make_vec_env(env_id, n_envs, "
                         "max_episode_steps=max_t).")
    _check_discrete(env.single_action_space)


def _check_discrete(space) -> None:
    if not isinstance(space, gym.spaces.Discrete):
        raise ValueError(f"REINFORCE here picks one of a few actions (a Discrete action space), but this env's actions "
                         f"are {space}. Use an env with discrete actions: CartPole-v1, Acrobot-v1, LunarLander-v3 or the "
                         "PLE games.")


def play_episodes(policy: nn.Module, env: gym.vector.VectorEnv, n_episodes: int, max_t: int, dev: torch.device
                  ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Play ``n_episodes`` fresh episodes with the current policy, spread over the copies of the vector ``env``.

    All copies step together (one forward pass per step for all of them). ``env`` starts a finished copy's
    next episode in the same step (``AutoresetMode.SAME_STEP``, as ``envs.make_vec_env`` builds it), which
    counts as a new episode while fewer than ``n_episodes`` have started. Each episode stops after ``max_t``
    steps. Returns, per episode in the order they started: its states, actions and rewards (arrays).
    """
    _check_vector_env(env)
    n = env.num_envs
    obs = np.asarray(env.reset()[0], dtype=np.float32)  # fresh episodes, continuing each copy's stream
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
        new_obs, r, terminated, truncated, _ = env.step(sampled)
        ended = np.logical_or(terminated, truncated)
        obs = np.asarray(new_obs, dtype=np.float32)
        rew_log.append(np.asarray(r, dtype=np.float64))
        capped = playing & ~ended & (length >= max_t)
        for i in np.flatnonzero(playing & (ended | capped)):
            finished += 1
            length[i] = 0
            # A vector env cannot reset one copy: a copy it did not end itself (cut off by max_t) waits.
            if started < n_episodes and not capped[i]:
                episode[i] = started
                started += 1
            else:
                episode[i] = -1
        if started < n_episodes and not (episode >= 0).any():
            raise ValueError(f"Every copy of the vector env was cut off by max_t={max_t} before {n_episodes} "
                             "episodes started. Build it with max_episode_steps=max_t (make_vec_env(env_id, n_envs, "
                             "max_episode_steps=max_t)) so that capped copies restart.")
    O, A, R, E = (np.concatenate(x) for x in (obs_log, act_log, rew_log, ep_log))
    order = np.argsort(E, kind="stable")  # group by episode, keeping time order inside each
    bounds = np.searchsorted(E[order], np.arange(n_episodes + 1))
    pieces = [order[bounds[k]:bounds[k + 1]] for k in range(n_episodes)]
    return [O[ix] for ix in pieces], [A[ix] for ix in pieces], [R[ix] for ix in pieces]


def train_batched(policy: nn.Module, optimizer: torch.optim.Optimizer, env, n_training_episodes: int, max_t: int,
                  gamma: float, print_every: int = 100, *, batch_episodes: int | None = None,
                  seed: int | None = None, progress: bool = True, discounted_returns=discounted_returns,
                  normalise_returns=normalise_returns, reinforce_loss=reinforce_loss) -> list[float]:
    """REINFORCE with many episodes per update; return the list of training-episode scores (for a curve).
    Notebook 03 trains Pixelcopter (section 10) and Pong (section 11) with it.

    The maths is the pieces passed in: ``discounted_returns``, ``normalise_returns`` and ``reinforce_loss``
    (default: the kit's; the notebook passes yours), and ``policy``'s forward pass (probabilities).

    ``env`` is a vector env (``envs.make_vec_env(env_id, n_envs, max_episode_steps=max_t)``): its copies
    play side by side (``play_episodes``). Each gradient step uses ``batch_episodes`` complete episodes
    (default: one per copy), all played with the current policy; training stops after
    ``n_training_episodes``. ``max_t`` caps each training episode. ``seed`` seeds the copies' first resets
    (copy i gets seed * 1000 + i; later resets continue their streams) and the action sampling (seed the policy's init yourself, before building it). ``print_every`` prints
    the average score every that many episodes (0: never).
    """
    check_args(4, n_training_episodes=n_training_episodes, max_t=max_t, gamma=gamma)
    for group in optimizer.param_groups:
        check_args(4, lr=group["lr"])
    _check_vector_env(env)
    batch = batch_episodes or env.num_envs
    dev = next(policy.parameters()).device  # works for any nn.Module policy
    if seed is not None:
        torch.manual_seed(seed)
        env.reset(seed=seed * 1000)
    scores, window = [], deque(maxlen=100)
    next_print = print_every
    bar = tqdm(total=n_training_episodes, disable=not progress, desc="training", mininterval=0.5)
    while len(scores) < n_training_episodes:
        keep = min(batch, n_training_episodes - len(scores))  # the last batch may be smaller
        states, actions, rewards = play_episodes(policy, env, keep, max_t, dev)

        # Monte-Carlo returns per episode, then one normalisation over the whole batch.
        returns = normalise_returns([g for ep in rewards for g in discounted_returns(ep.tolist(), gamma)])
        # The same log-probabilities act() gave while playing, recomputed in one batched pass (much
        # faster than back-propagating through thousands of single-step graphs).
        s = torch.as_tensor(np.concatenate(states), device=dev)
        a = torch.as_tensor(np.concatenate(actions), device=dev)
        log_probs = Categorical(policy(s)).log_prob(a)
        # -sum_t log pi(a_t|s_t) * G_t, averaged over the episodes of the batch.
        loss = reinforce_loss(log_probs, returns.to(dev)) / keep
        if not torch.isfinite(loss):
            raise FloatingPointError(f"The loss became {loss.item()} after {len(scores)} episodes: the policy's "
                                     "probabilities are no longer numbers. Lower the learning rate (or check that "
                                     "your returns and loss are finite) and train again.")
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
    _remember_batched(policy, discounted_returns, normalise_returns, reinforce_loss)
    return scores


def _remember_batched(policy, discounted_returns, normalise_returns, reinforce_loss) -> None:
    """The trained policy keeps a record: the learner's pieces ran inside the kit's batched trainer."""
    name = type(provenance._unwrap(policy)).__name__
    name = name if name in provenance.EXERCISES else "Policy"
    provenance.remember(policy, provenance.trained_with(
        train_batched, **{name: policy}, discounted_returns=discounted_returns,
        normalise_returns=normalise_returns, reinforce_loss=reinforce_loss))


# ---- evaluation --------------------------------------------------------------------------------------------
def choose_action(policy: nn.Module, state, *, greedy: bool = True,
                  generator: torch.Generator | None = None) -> int:
    """The action a trained ``policy`` plays in ``state``: the most likely one (``greedy``, the kit's
    protocol) or one drawn from its probabilities (the course's unit 4). Evaluation, replays and the Hub's
    videos all choose through here."""
    dev = next(policy.parameters()).device
    with torch.no_grad():
        probs = policy(torch.as_tensor(np.asarray(state), dtype=torch.float32, device=dev).unsqueeze(0))
    if greedy:
        return int(probs.argmax(dim=-1).item())
    return int(torch.multinomial(probs.reshape(1, -1).cpu(), 1, generator=generator).item())


def evaluate_agent(env: gym.Env, max_steps: int, n_eval_episodes: int, policy: nn.Module, *, greedy: bool = True,
                   seed: int | None = None) -> tuple[float, float]:
    """Play ``n_eval_episodes`` episodes of at most ``max_steps``; return (mean, std) of their rewards.

    ``greedy=True`` (the kit's protocol, as in the course's unit 1 with ``deterministic=True``) plays the
    most likely action; ``greedy=False`` samples like the course's unit 4. ``seed`` seeds the first reset
    (the others continue its stream) and the sampling, so an evaluation can be repeated exactly.
    Runs under ``torch.no_grad()``: evaluation builds no graph.
    """
    check_args(4, max_steps=max_steps, n_eval_episodes=n_eval_episodes)
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
    mean, std = float(np.mean(episode_rewards)), float(np.std(episode_rewards))
    provenance.note_score(policy, mean, std)  # the pass line finds who trained this policy
    return mean, std




# ---- the benchmark's recipe (benchmarks/certify.py) -------------------------------------------------------
def make_policy(config, seed: int | None = None) -> nn.Module:
    """A fresh policy sized for ``config``'s environment, built from the reference solutions (``seed`` fixes
    its initial weights): ``config.policy_class`` (Policy or PixelcopterPolicy) with ``h_size`` hidden units,
    seeing its inputs through ``obs_features``/``obs_scale`` when the config names them. A tuple ``h_size``
    builds a ``PolicyNetwork`` with those hidden widths instead (e.g. the course's 64-128 Pixelcopter net)."""
    env = config.make_env()
    _check_discrete(env.action_space)
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


def train_and_evaluate(config, seed: int | None = None, progress: bool = True, print_every: int = 0):
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
                               progress=progress, **config.train_kwargs())
    eval_env = config.make_env()
    mean_reward, std_reward = evaluate_agent(eval_env, config.max_t, config.n_evaluation_episodes, policy,
                                             greedy=config.eval_greedy, seed=config.eval_seed)
    eval_env.close()
    return policy, mean_reward, std_reward, scores
