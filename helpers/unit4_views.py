"""What notebook 03's cells print and plot, in the learner's language: the cells call these, so the English
and the Chinese notebooks share their code (only the comments differ)."""
from __future__ import annotations

import numpy as np

from helpers import plots
from helpers.arguments import count, env as check_env, number, numbers, seed as check_seed
from helpers.i18n import _


def show_device(device) -> None:
    print(_("Training on: {device}", device=device))


def describe_cartpole(env, state) -> None:
    """CartPole's spaces and a first state."""
    print(_("Observation space: {space}", space=env.observation_space))
    print(_("  -> {n} numbers: cart position, cart velocity, pole angle, pole angular velocity",
            n=env.observation_space.shape[0]))
    print(_("Action space: {space} -> {n} actions: 0 = push left, 1 = push right", space=env.action_space,
            n=env.action_space.n))
    print(_("A first state: {state}", state=state))


def describe_pixelcopter(env, state) -> None:
    """Pixelcopter's spaces and what each of the 7 numbers of a first state means."""
    print(_("Observation space: {space}", space=env.observation_space))
    print(_("Action space: {space} (0 = thrust, 1 = do nothing)", space=env.action_space))
    names = [_("y"), _("velocity"), _("dist. to ceiling"), _("dist. to floor"), _("next block: distance"),
             _("block top"), _("block bottom")]
    _show_state(names, state, width=22, digits=7)


def describe_pong(env, state) -> None:
    """Pong's spaces and what each of the 7 numbers of a first state means."""
    print(_("Observation space: {space}", space=env.observation_space))
    print(_("Action space: {space} (0 = up, 1 = down, 2 = do nothing)", space=env.action_space))
    names = [_("your paddle y"), _("your paddle speed"), _("CPU paddle y"), _("ball x"), _("ball y"),
             _("ball x speed"), _("ball y speed")]
    _show_state(names, state, width=18, digits=8)


def _show_state(names, state, width: int, digits: int) -> None:
    """One line per number of the state, its name padded to ``width`` columns (a Chinese character takes two)."""
    import unicodedata

    for name, value in zip(names, state):
        shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in name)
        print(f"  {name}{' ' * max(width - shown, 0)} {value:{digits}.2f}")


def play_random(env, games: int = 5, seed: int = 0) -> list[float]:
    """Play ``games`` games with random actions; print and return each game's return."""
    check_env("env", env, "CartPole-v1"), count("games", games), check_seed("seed", seed)
    env.action_space.seed(seed)
    totals = []
    for game in range(games):
        env.reset()
        total, steps, done = 0.0, 0, False
        while not done:
            _state, reward, terminated, truncated, _info = env.step(env.action_space.sample())
            total, steps, done = total + reward, steps + 1, terminated or truncated
        print(_("random game {game}: return {total:+.0f} after {steps} steps", game=game, total=total, steps=steps))
        totals.append(total)
    return totals


def plot_training(scores, env_id: str, window: int = 100):
    """A training curve titled with the env."""
    numbers("scores", scores)
    return plots.plot_training_curve(scores, window=window, title=_("REINFORCE on {env_id}", env_id=env_id))


def plot_watch(scores, window: int = 10):
    """The debugging exercise's curve: the scores of the training episodes with the act in use."""
    numbers("scores", scores)
    return plots.plot_training_curve(scores, window=window,
                                     title=_("{n} training episodes with the act in use", n=len(scores)))


def plot_returns(raw, normalised) -> None:
    """One episode's returns before and after normalising."""
    import matplotlib.pyplot as plt

    plt.figure(figsize=(8, 3))
    plt.plot(list(raw), label=_("G_t, your discounted_returns"))
    plt.plot(np.asarray(normalised, dtype=float).tolist(), label=_("the same, after your normalise_returns"))
    plt.axhline(0, color="grey", lw=0.5)
    plt.xlabel(_("step t"))
    plt.legend()


def print_sampled_score(mean: float, std: float) -> None:
    """The course's protocol's score, printed beside the pass line's."""
    number("mean", mean), number("std", std)
    print(_("sampling: {mean:.1f} +/- {std:.1f} -> result {result:.1f}", mean=mean, std=std, result=mean - std))
