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

import math
import weakref
from collections import deque

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical
from tqdm.auto import tqdm

from helpers import events, scoring
from helpers.arguments import check_args
from helpers.errors import KitArgumentError
from helpers.i18n import _, tidy
from helpers.policies import PolicyNetwork, with_inputs

# What a solved notebook cell imports before a reference solution (``helpers.checks.exercises.solution_cell``):
# the support names, never the exercises themselves, so the notebook's own functions stay the learner's.
__all__ = ["np", "torch", "nn", "F", "Categorical", "deque", "device", "check_args"]
# The plain versions of these references, as show_solution prints them and the solved notebook types them.
PLAIN_VERSIONS = "helpers.teaching_unit4"

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
        check_args(4, s_size=s_size, a_size=a_size, h_size=h_size)
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
        check_args(4, s_size=s_size, a_size=a_size, h_size=h_size)
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
    check_args(4, gamma=gamma, rewards=rewards)
    returns = deque(maxlen=len(rewards))
    G = 0.0
    for r in reversed(rewards):
        G = r + gamma * G
        returns.appendleft(G)
    return list(returns)


def normalise_returns(returns, eps: float = 1e-8) -> torch.Tensor:
    """Shift to mean 0 and scale to std 1; a constant batch (e.g. one step) only gets centred, never NaN.
    Notebook 03, section 5 (exercise 4)."""
    check_args(4, returns=returns, eps=eps)
    returns = torch.as_tensor(returns, dtype=torch.float32)
    centred = returns - returns.mean()
    if returns.numel() < 2:
        return centred
    return centred / (returns.std(unbiased=False) + eps)


class ShapeMismatch(KitArgumentError):
    """``reinforce_loss`` refused log-probabilities and returns of different shapes (the loop check names it)."""


def reinforce_loss(log_probs: torch.Tensor, returns: torch.Tensor) -> torch.Tensor:
    """-sum_t log pi(a_t|s_t) * G_t: minimising it makes the actions that led to high returns more likely.
    Notebook 03, section 5 (exercise 5)."""
    check_args(4, log_probs=log_probs, returns=returns)
    if log_probs.shape != returns.shape:  # (T, 1) * (T,) would broadcast to a T x T table, silently
        raise ShapeMismatch(_("log_probs {log_probs} and returns {returns} need the same shape, one value per step: "
                              "join act's log-probabilities with torch.cat(saved_log_probs), which gives (T,), not "
                              "torch.stack, which gives (T, 1).", log_probs=tuple(log_probs.shape),
                              returns=tuple(returns.shape)))
    return -(log_probs * returns).sum()


def reinforce(policy: nn.Module, optimizer: torch.optim.Optimizer, n_training_episodes: int, max_t: int,
              gamma: float, print_every: int, env) -> list[float]:
    """REINFORCE as the course writes it: play one episode, update the policy, repeat. Notebook 03,
    section 6 (exercise 6).

    Returns each training episode's score (for a curve). Seed ``torch`` and ``env`` beforehand for a
    repeatable run (``torch.manual_seed(0); env.reset(seed=0)``).
    """
    check_args(4, policy=policy, optimizer=optimizer, n_training_episodes=n_training_episodes, max_t=max_t,
               gamma=gamma, print_every=print_every, env=env)
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
            print(_("Episode {episode}\tAverage score (last 100): {average:.2f}", episode=i_episode,
                    average=np.mean(scores_deque)))
        if solved(scores_deque, env, i_episode):
            break
    note_training(policy, optimizer, scores)
    events.report("trained", policy, reinforce)  # the pass line says the kit's loop trained this policy
    return scores


def solved(scores_deque, env, i_episode: int) -> bool:
    """Whether the last 100 training scores average at least the env's own "solved" line (its spec's
    ``reward_threshold``: 475 for CartPole-v1; envs without one never are), saying so when they do. The course's
    loop stops there: training on would only cost time, and a solved policy can still unlearn."""
    threshold = getattr(getattr(env, "spec", None), "reward_threshold", None)
    if threshold is None or len(scores_deque) < 100 or np.mean(scores_deque) < threshold:
        return False
    print(_("Solved at episode {episode}: the last 100 episodes average {average:.2f}, at least {threshold:g}, the "
            "env's own \"solved\" line. Training stops here.", episode=i_episode, average=np.mean(scores_deque),
            threshold=threshold))
    return True


# ---- the fast path: many episodes per update ----------------------------------------------------------------
def _check_vector_env(env) -> None:
    if not isinstance(env, gym.vector.VectorEnv):
        raise KitArgumentError(_("train_batched plays copies of the env side by side, so it takes a vector env, "
                                 "not a {kind}: build one with helpers.envs.make_vec_env(env_id, n_envs, "
                                 "max_episode_steps=max_t) (or config.make_train_env()).", kind=type(env).__name__))
    if env.metadata.get("autoreset_mode") != gym.vector.AutoresetMode.SAME_STEP:
        raise KitArgumentError(_("train_batched needs a vector env that starts a finished copy's next episode in "
                                 "the same step (autoreset_mode SAME_STEP): build it with "
                                 "helpers.envs.make_vec_env(env_id, n_envs, max_episode_steps=max_t)."))
    _check_discrete(env.single_action_space)


def _check_discrete(space) -> None:
    if not isinstance(space, gym.spaces.Discrete):
        raise KitArgumentError(_("REINFORCE here picks one of a few actions (a Discrete action space), but this "
                                 "env's actions are {space}. Use an env with discrete actions: CartPole-v1, "
                                 "Acrobot-v1, LunarLander-v3 or the PLE games.", space=space))


def play_episodes(policy: nn.Module, env: gym.vector.VectorEnv, n_episodes: int, max_t: int, dev: torch.device
                  ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Play ``n_episodes`` fresh episodes with the current policy, spread over the copies of the vector ``env``.

    All copies step together (one forward pass per step for all of them). ``env`` starts a finished copy's
    next episode in the same step (``AutoresetMode.SAME_STEP``, as ``envs.make_vec_env`` builds it), which
    counts as a new episode while fewer than ``n_episodes`` have started. Each episode stops after ``max_t``
    steps. Returns, per episode in the order they started: its states, actions and rewards (arrays).
    """
    check_args(4, policy=policy, n_episodes=n_episodes, max_t=max_t)
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
        new_obs, r, terminated, truncated, _info = env.step(sampled)
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
            raise ValueError(_("Every copy of the vector env was cut off by max_t={max_t} before {n} episodes "
                               "started. Build it with max_episode_steps=max_t (make_vec_env(env_id, n_envs, "
                               "max_episode_steps=max_t)) so that capped copies restart.", max_t=max_t, n=n_episodes))
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
    check_args(4, policy=policy, optimizer=optimizer, n_training_episodes=n_training_episodes, max_t=max_t,
               gamma=gamma, print_every=print_every, batch_episodes=batch_episodes, seed=seed)
    _check_vector_env(env)
    batch = batch_episodes or env.num_envs
    dev = next(policy.parameters()).device  # works for any nn.Module policy
    if seed is not None:
        torch.manual_seed(seed)
        env.reset(seed=seed * 1000)
    scores, window = [], deque(maxlen=100)
    next_print = print_every
    bar = tqdm(total=n_training_episodes, disable=not progress, desc=_("training"), mininterval=0.5)
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
            raise FloatingPointError(_("The loss became {loss} after {n} episodes: the policy's probabilities are "
                                       "no longer numbers. Lower the learning rate (or check that your returns and "
                                       "loss are finite) and train again.", loss=loss.item(), n=len(scores)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        for ep in rewards:
            scores.append(float(np.sum(ep)))
            window.append(scores[-1])
        bar.update(keep)
        bar.set_postfix(avg100=f"{np.mean(window):.1f}", refresh=False)
        if print_every and len(scores) >= next_print:
            print(_("Episode {episode}\tAverage score (last 100): {average:.2f}", episode=len(scores),
                    average=np.mean(window)))
            next_print += print_every
    bar.close()
    # The trained policy keeps a record: the learner's pieces ran inside the kit's batched trainer.
    events.report("trained", policy, train_batched, discounted_returns=discounted_returns,
                  normalise_returns=normalise_returns, reinforce_loss=reinforce_loss)
    note_training(policy, optimizer, scores)
    return scores


# ---- evaluation --------------------------------------------------------------------------------------------
def _probabilities(policy: nn.Module, state) -> torch.Tensor:
    dev = next(policy.parameters()).device
    with torch.no_grad():
        return policy(torch.as_tensor(np.asarray(state), dtype=torch.float32, device=dev).unsqueeze(0))


def _pick(probs: torch.Tensor, greedy: bool, generator: torch.Generator | None) -> int:
    if greedy:
        return int(probs.argmax(dim=-1).item())
    return int(torch.multinomial(probs.reshape(1, -1).cpu(), 1, generator=generator).item())


def choose_action(policy: nn.Module, state, *, greedy: bool = True,
                  generator: torch.Generator | None = None) -> int:
    """The action a trained ``policy`` plays in ``state``: the most likely one (``greedy``, the kit's
    protocol) or one drawn from its probabilities (the course's unit 4). Evaluation, replays and the Hub's
    videos all choose through here."""
    return _pick(_probabilities(policy, state), greedy, generator)


def evaluate_agent(env: gym.Env, max_steps: int, n_eval_episodes: int, policy: nn.Module, *, greedy: bool = True,
                   seed: int | None = None) -> tuple[float, float]:
    """Play ``n_eval_episodes`` episodes of at most ``max_steps``; return (mean, std) of their rewards.

    ``greedy=True`` (the kit's protocol, as in the course's unit 1 with ``deterministic=True``) plays the
    most likely action; ``greedy=False`` samples like the course's unit 4. ``seed`` seeds the first reset
    (the others continue its stream) and the sampling, so an evaluation can be repeated exactly.
    Runs under ``torch.no_grad()``: evaluation builds no graph.
    """
    check_args(4, env=env, max_steps=max_steps, n_eval_episodes=n_eval_episodes, policy=policy, seed=seed)
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    episode_rewards = []
    most = None  # each action's highest probability over the states played: does the policy allow it?
    was_training = policy.training
    policy.eval()
    with torch.no_grad():
        for episode in range(n_eval_episodes):
            state, info = env.reset(seed=seed) if (seed is not None and episode == 0) else env.reset()
            total = 0.0
            for step in range(max_steps):
                probs = _probabilities(policy, state)
                most = probs.reshape(-1) if most is None else torch.maximum(most, probs.reshape(-1))
                action = _pick(probs, greedy, gen)
                state, reward, terminated, truncated, info = env.step(action)
                total += reward
                if terminated or truncated:
                    break
            episode_rewards.append(total)
    policy.train(was_training)
    mean, std = float(np.mean(episode_rewards)), float(np.std(episode_rewards))
    events.report("scored", policy, mean, std)  # the pass line finds who trained this policy
    _note_evaluation(policy, env, mean, std, most)
    return mean, std


# ---- what training did, for the advice under a failing pass line (scoring.ADVICE) ------------------------------
_TRAINING: dict[int, tuple[weakref.ref, dict]] = {}
_EVALUATIONS: list[tuple[float, float, dict]] = []  # (mean, std, what the evaluation saw), newest last


def note_training(policy: nn.Module, optimizer, scores) -> None:
    """A training run of ``policy`` ended: keep its scores and whether ``optimizer`` holds this policy's
    parameters (the kit's trainers and the checked learner loop call this)."""
    inner = events.unwrap(policy)
    on_policy = None
    if optimizer is not None and hasattr(optimizer, "param_groups"):
        mine = {id(p) for p in policy.parameters()} | {id(p) for p in inner.parameters()}
        on_policy = any(id(p) in mine for group in optimizer.param_groups for p in group["params"])
    try:
        scores = [float(s) for s in scores]
    except TypeError:
        scores = []
    key = id(inner)
    try:
        ref = weakref.ref(inner, lambda _r, key=key: _TRAINING.pop(key, None))
    except TypeError:
        return
    _TRAINING[key] = (ref, {"scores": scores, "optimizer_on_policy": on_policy})


def _note_evaluation(policy, env, mean, std, most) -> None:
    entry = _TRAINING.get(id(events.unwrap(policy)))
    training = entry[1] if entry and entry[0]() is not None else None
    n_env = int(env.action_space.n) if isinstance(getattr(env, "action_space", None), gym.spaces.Discrete) else None
    _EVALUATIONS.append((float(mean), float(std), {
        "training": training, "most": None if most is None else most.cpu().tolist(), "env_actions": n_env}))
    del _EVALUATIONS[:-50]


def _evaluation(mean, std) -> dict | None:
    for m, s, seen in reversed(_EVALUATIONS):
        if m == float(mean) and s == float(std):
            return seen
    return None


def advice(env_name: str, mean_reward: float, std_reward: float, trained_with: dict | None = None) -> str | None:
    """What to look at when a policy fails its pass line: only what the run at hand shows (did training run,
    did its optimizer hold this policy's weights, did the curve climb, does the policy allow every action)."""
    seen = _evaluation(mean_reward, std_reward)
    if seen is None:
        return _("This score did not come from the kit's evaluate_agent, so the kit cannot see how training went: "
                 "evaluate the policy with evaluate_agent, then look at its training curve.")
    tips = []
    training = seen["training"]
    most, n_env = seen["most"], seen["env_actions"]
    if most is not None and n_env is not None and len(most) != n_env:
        tips.append(_("The policy has {outputs} outputs, but {env} has {actions} actions: build it with "
                      "a_size = env.action_space.n.", outputs=len(most), env=env_name, actions=n_env))
    if training is None:
        tips.append(_("No training run of this policy was seen: it plays with the weights it was built with. Run "
                      "the training cell after the cell that builds the policy, and evaluate that same policy."))
    elif training["optimizer_on_policy"] is False:
        tips.append(_("The optimizer was built on another policy's parameters, so training never changed this "
                      "one: build it as optim.Adam(policy.parameters(), lr=...) with the policy you train, right "
                      "after building that policy."))
    elif training["scores"]:
        scores = training["scores"]
        k = max(1, min(100, len(scores) // 5))
        first, last = float(np.mean(scores[:k])), float(np.mean(scores[-k:]))
        noise = math.sqrt((np.var(scores[:k]) + np.var(scores[-k:])) / k)  # the episodes' own spread, per average
        if last - first > max(3 * noise, 0.2 * abs(first) + 1):
            tips.append(_("The training curve climbed (the first {k} episodes averaged {first:.1f}, the last {k} "
                          "{last:.1f}), so the updates work; the policy is not reliable yet. Train longer "
                          "(n_training_episodes) or with another seed.", k=k, first=first, last=last))
        else:
            tips.append(_("The training curve did not climb (the first {k} episodes averaged {first:.1f}, the last "
                          "{k} {last:.1f}): the updates did not make the policy better. Look at what the training "
                          "cell passes: the learning rate, the number of episodes, and the policy that the optimizer "
                          "and the trainer get.", k=k, first=first, last=last))
    if most is not None and training is not None:  # a trained policy that settled on some actions
        never = [a for a, p in enumerate(most) if p < 0.01]
        for a in never:
            tips.append(_("The policy never gives action {action} a chance: its probability stayed at or below {p:.2g} in "
                          "every state of the evaluation. A policy that settles on one action early stops exploring: "
                          "train again with another seed or a smaller learning rate.", action=a, p=most[a]))
    mark = scoring.PASS_MARKS.get(env_name)
    if mark is not None and mean_reward >= mark and std_reward > 0:
        tips.append(_("The mean ({mean:.1f}) reaches the mark, but the std ({std:.1f}) pulls the result under it: "
                      "some episodes end early. Training longer usually shrinks the spread.",
                      mean=mean_reward, std=std_reward))
    return tidy(" ".join(tips))


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
