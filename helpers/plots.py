"""Pictures a learner would rather look at than read: training curves and learned FrozenLake policies."""
from __future__ import annotations

import numpy as np

from helpers.arguments import count, env as check_env, numbers, qtable
from helpers.errors import KitArgumentError
from helpers.i18n import _


def moving_average(values, window: int) -> np.ndarray:
    """Mean over the last ``window`` values (shorter at the start, so the curve starts at episode 1)."""
    values, window = numbers("values", values), count("window", window)
    if len(values) == 0:
        return values
    cumsum = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    start = np.maximum(idx - window, 0)
    return (cumsum[idx] - cumsum[start]) / (idx - start)


def plot_training_curve(episode_returns, window: int = 100, title: str | None = None, ax=None):
    """Each episode's return (faint) and its moving average (bold)."""
    import matplotlib.pyplot as plt

    title = _("Training") if title is None else title
    episode_returns, window = numbers("episode_returns", episode_returns), count("window", window)

    ax = ax or plt.subplots(figsize=(8, 3.5))[1]
    if len(episode_returns) == 0:  # e.g. a course-style train that does not fill episode_returns
        ax.text(0.5, 0.5, _("no episode returns recorded: fill train(..., episode_returns=...) to see the curve"),
                ha="center", va="center", transform=ax.transAxes)
        ax.set(title=title)
        return ax
    episodes = np.arange(1, len(episode_returns) + 1)
    ax.plot(episodes, episode_returns, alpha=0.25, lw=0.8, label=_("episode return"))
    ax.plot(episodes, moving_average(episode_returns, window), lw=2, label=_("mean of last {window}", window=window))
    ax.set(xlabel=_("episode"), ylabel=_("return"), title=title)
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    return ax


# FrozenLake's actions: 0 left, 1 down, 2 right, 3 up, as (dx, dy) on screen.
_ARROWS = {0: (-1, 0), 1: (0, 1), 2: (1, 0), 3: (0, -1)}
_TILE_COLOURS = {b"S": "#9ecae1", b"F": "#deebf7", b"H": "#08306b", b"G": "#31a354"}


def plot_frozenlake_policy(Qtable, env, ax=None, title: str | None = None):
    """The map with, on each tile, an arrow for the greedy action (a dot where nothing was learned)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    title = _("Greedy policy") if title is None else title
    if not hasattr(getattr(check_env("env", env), "unwrapped", None), "desc"):
        raise KitArgumentError(_("env is {env}, but plot_frozenlake_policy draws FrozenLake's map: pass the lake the "
                                 "table was trained on, e.g. gym.make(\"FrozenLake-v1\").", env=env))
    Qtable = qtable("Qtable", Qtable, env)
    desc = np.asarray(env.unwrapped.desc)
    nrow, ncol = desc.shape
    ax = ax or plt.subplots(figsize=(0.6 * ncol + 1, 0.6 * nrow + 1))[1]
    for row in range(nrow):
        for col in range(ncol):
            tile = desc[row, col]
            ax.add_patch(Rectangle((col, row), 1, 1, facecolor=_TILE_COLOURS[tile], edgecolor="white"))
            q = Qtable[row * ncol + col]
            if tile in (b"H", b"G"):
                ax.text(col + 0.5, row + 0.5, tile.decode(), ha="center", va="center", color="white",
                        fontsize=12, weight="bold")
            elif np.all(q == q[0]):
                ax.plot(col + 0.5, row + 0.5, "k.", ms=4)  # untouched row: no preference yet
            else:
                dx, dy = _ARROWS[int(np.argmax(q))]
                ax.arrow(col + 0.5 - 0.25 * dx, row + 0.5 - 0.25 * dy, 0.4 * dx, 0.4 * dy,
                         head_width=0.18, head_length=0.12, length_includes_head=True, color="black")
    ax.set(xlim=(0, ncol), ylim=(nrow, 0), aspect="equal", xticks=[], yticks=[], title=title)
    return ax


def plot_epsilon_schedule(episodes, epsilons, ax=None):
    """Epsilon against the episode number: how much the agent explores as training goes on."""
    import matplotlib.pyplot as plt

    if len(numbers("episodes", episodes)) != len(numbers("epsilons", epsilons)):
        raise KitArgumentError(_("epsilons has {n} values for {m} episodes: pass one epsilon per episode, e.g. "
                                 "[epsilon_at(e, ...) for e in episodes].", n=len(epsilons), m=len(episodes)))
    ax = ax or plt.subplots(figsize=(6, 2.5))[1]
    ax.plot(episodes, epsilons)
    ax.set(xlabel=_("episode"), ylabel="epsilon", title=_("Exploration schedule"))
    return ax
