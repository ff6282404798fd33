"""Draw the notebooks' pictures: our own figures of the ideas the course shows in its pictures.

The course links its pictures from huggingface.co, which many learners cannot reach. These figures are drawn
here instead, in English and in Simplified Chinese, and `embed.py` stores them inside the notebooks as cell
attachments, so they show with no network at all.

    python notebooks/pictures/draw.py            # writes notebooks/pictures/*.png

Needs matplotlib and Pillow, gymnasium with pygame (the CartPole frame), and for the Chinese figures a CJK
font (Debian: `apt-get install fonts-wqy-microhei`). The learner's machine needs none of this.
"""
from __future__ import annotations

import io
import os
import sys
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import logging  # noqa: E402

import numpy as np  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle  # noqa: E402
from PIL import Image  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LANGUAGES = ("en", "zh-CN")
CJK_FONT = "WenQuanYi Micro Hei"

BLUE, ORANGE, GREEN, RED, GREY = "#2b6cb0", "#dd6b20", "#2f855a", "#c53030", "#4a5568"
LIGHT_BLUE, LIGHT_ORANGE, LIGHT_GREEN, LIGHT_RED, LIGHT_GREY = "#ebf4ff", "#fffaf0", "#f0fff4", "#fff5f5", "#f7fafc"

# Every word a figure shows, per language. Chinese terms follow the course's zh-CN pages.
TEXT = {
    "en": {
        "q_table.title": "The Q-table: look up a value by state and action",
        "q_table.state": "state",
        "q_table.actions": ["Left", "Down", "Right", "Up"],
        "q_table.row": "the agent is in\nstate 2",
        "q_table.col": "it considers\naction Right",
        "q_table.value": "Q(2, Right) = 0.53:\nthe discounted reward it\nexpects from here",
        "qlearn.title": "Q-learning, step by step",
        "qlearn.lines": [
            ("in", r"Input: learning rate $\alpha$, discount $\gamma$, exploration $\varepsilon$ (it shrinks over episodes)"),
            ("1", r"Step 1.  $Q(s, a) \leftarrow 0$ for every state $s$ and action $a$"),
            ("", "For each episode:"),
            ("", r"      observe the first state $s$"),
            ("", "      Repeat until the episode ends:"),
            ("2", r"Step 2.       choose action $a$ with the $\varepsilon$-greedy policy"),
            ("3", r"Step 3.       play $a$; observe the reward $r$ and the next state $s'$"),
            ("4", r"Step 4.       update the value of the pair $(s, a)$:"),
            ("formula", ""),
            ("", r"                   $s \leftarrow s'$"),
        ],
        "qlearn.target": "TD target: what this step suggests",
        "qlearn.old": "old guess",
        "qlearn.error": "the bracket is the TD error: how wrong the old guess was",
        "off.title": "Off-policy: one policy acts, another one is learned",
        "off.act": "Acting policy: $\\varepsilon$-greedy\nplays every training step,\nsometimes a random action",
        "off.table": "Q-table",
        "off.learn": "Updating policy: greedy\nthe update uses $\\mathrm{max}_{a'} Q(s', a')$,\nthe best next action",
        "off.steps": "its steps (s, a, r, s')\nupdate the table",
        "off.reads": "reads the table",
        "off.final": "After training the greedy policy is the agent:\nwe evaluate it and push it to the Hub",
        "eps.title": "Epsilon-greedy: explore less and less",
        "eps.draw": "draw a number\n$u$ between 0 and 1",
        "eps.exploit": "$u > \\varepsilon$: exploit\nthe best action\n(greedy policy)",
        "eps.explore": "$u \\leq \\varepsilon$: explore\na random action",
        "eps.curve": "$\\varepsilon$ over training (FrozenLake defaults)",
        "eps.episode": "episode",
        "eps.prob": "probability",
        "eps.explore_area": "explore",
        "eps.exploit_area": "exploit",
        "games.title": "The games of this unit, drawn by the kit's own environments",
        "games.cartpole": "CartPole-v1: push the cart left or right\nso that the pole stays up",
        "games.copter": "Pixelcopter: fly up or let the copter fall\nto stay clear of the walls and blocks",
        "pg.title": "The policy-gradient idea",
        "pg.play": "play an episode\nwith the policy $\\pi_\\theta$",
        "pg.return": "how big was\nthe return?",
        "pg.high": "high: make the actions\nof this episode\nmore likely",
        "pg.low": "low: make them\nless likely",
        "pg.update": "change the weights $\\theta$, then play again",
        "pg.before": "before",
        "pg.after": "after",
        "pg.probs": "P(action | state)",
        "pseudo.title": "REINFORCE (Monte Carlo policy gradient)",
        "pseudo.lines": [
            r"procedure REINFORCE",
            r"    start with a policy network $\pi_\theta$ (random weights $\theta$)",
            r"    repeat:",
            r"        play one episode with $\pi_\theta$: $s_0, a_0, r_0, \ldots, s_{T-1}, a_{T-1}, r_{T-1}$",
            r"        for $t$ from $T-1$ down to $0$:",
            r"            $G_t = r_t + \gamma\, G_{t+1}$    (so $G_t = \Sigma_{k=t}^{T-1} \gamma^{k-t}\, r_k$)",
            r"        $L(\theta) = -\Sigma_{t}\, G_t \log \pi_\theta(a_t \mid s_t)$",
            r"        move $\theta$ one gradient step down $L(\theta)$",
            r"    until the policy plays well enough",
        ],
        "net.title": "The policy network: a state in, a probability for each action out",
        "net.inputs": ["cart position", "cart velocity", "pole angle", "pole angular velocity"],
        "net.state": "state $s$\n(CartPole: 4 numbers)",
        "net.hidden": "hidden layer\n(ReLU)",
        "net.softmax": "softmax",
        "net.actions": ["push left", "push right"],
        "net.probs": "$\\pi_\\theta(a \\mid s)$",
        "net.sample": "sample the action\nfrom these probabilities",
    },
    "zh-CN": {
        "q_table.title": "Q表：用状态和动作查出一个值",
        "q_table.state": "状态",
        "q_table.actions": ["左", "下", "右", "上"],
        "q_table.row": "智能体处在\n状态 2",
        "q_table.col": "它考虑\n动作“右”",
        "q_table.value": "Q(2, 右) = 0.53：\n它预计从这里起\n能得到的折扣奖励",
        "qlearn.title": "Q-学习，一步一步来",
        "qlearn.lines": [
            ("in", r"输入：学习率 $\alpha$，折扣因子 $\gamma$，探索率 $\varepsilon$（随回合逐渐减小）"),
            ("1", r"第 1 步.  对每个状态 $s$ 和动作 $a$，令 $Q(s, a) \leftarrow 0$"),
            ("", "对每个回合："),
            ("", r"      观察初始状态 $s$"),
            ("", "      重复，直到回合结束："),
            ("2", r"第 2 步.       用 $\varepsilon$-贪婪策略选择动作 $a$"),
            ("3", r"第 3 步.       执行 $a$；观察奖励 $r$ 和下一个状态 $s'$"),
            ("4", r"第 4 步.       更新这一对 $(s, a)$ 的值："),
            ("formula", ""),
            ("", r"                   $s \leftarrow s'$"),
        ],
        "qlearn.target": "TD 目标：这一步给出的估计",
        "qlearn.old": "旧的估计",
        "qlearn.error": "方括号里是 TD 误差：旧的估计差了多少",
        "off.title": "离策略：一个策略来行动，另一个策略被学习",
        "off.act": "行动策略：$\\varepsilon$-贪婪策略\n训练时每一步都由它来走，\n有时选随机动作",
        "off.table": "Q表",
        "off.learn": "更新策略：贪婪策略\n更新时用 $\\mathrm{max}_{a'} Q(s', a')$，\n即下一步最好的动作",
        "off.steps": "它走出的每一步 (s, a, r, s')\n都用来更新Q表",
        "off.reads": "读取Q表",
        "off.final": "训练结束后，贪婪策略就是智能体：\n我们评估它，并把它推送到 Hub",
        "eps.title": "ε-贪婪策略：探索越来越少",
        "eps.draw": "抽一个 0 到 1\n之间的数 $u$",
        "eps.exploit": "$u > \\varepsilon$：利用\n选最好的动作\n（贪婪策略）",
        "eps.explore": "$u \\leq \\varepsilon$：探索\n选一个随机动作",
        "eps.curve": "训练中的 $\\varepsilon$（FrozenLake 的默认值）",
        "eps.episode": "回合",
        "eps.prob": "概率",
        "eps.explore_area": "探索",
        "eps.exploit_area": "利用",
        "games.title": "本单元的两个游戏（由本套件自己的环境画出）",
        "games.cartpole": "CartPole-v1：把小车推向左或右，\n让杆子保持竖直",
        "games.copter": "Pixelcopter：向上飞或让直升机下落，\n避开墙壁和障碍",
        "pg.title": "策略梯度的思路",
        "pg.play": "用策略 $\\pi_\\theta$\n玩一个回合",
        "pg.return": "回报\n高还是低？",
        "pg.high": "高：让这个回合里\n的动作更可能\n被选中",
        "pg.low": "低：让它们\n更不可能被选中",
        "pg.update": "调整权重 $\\theta$，然后再玩一个回合",
        "pg.before": "之前",
        "pg.after": "之后",
        "pg.probs": "P(动作 | 状态)",
        "pseudo.title": "REINFORCE（蒙特卡洛策略梯度）",
        "pseudo.lines": [
            r"过程 REINFORCE",
            r"    从一个策略网络 $\pi_\theta$ 开始（权重 $\theta$ 随机）",
            r"    重复：",
            r"        用 $\pi_\theta$ 玩一个回合：$s_0, a_0, r_0, \ldots, s_{T-1}, a_{T-1}, r_{T-1}$",
            r"        $t$ 从 $T-1$ 倒数到 $0$：",
            r"            $G_t = r_t + \gamma\, G_{t+1}$   （即 $G_t = \Sigma_{k=t}^{T-1} \gamma^{k-t}\, r_k$）",
            r"        $L(\theta) = -\Sigma_{t}\, G_t \log \pi_\theta(a_t \mid s_t)$",
            r"        沿 $L(\theta)$ 的梯度下降一步，更新 $\theta$",
            r"    直到策略玩得足够好",
        ],
        "net.title": "策略网络：输入一个状态，输出每个动作的概率",
        "net.inputs": ["小车位置", "小车速度", "杆的角度", "杆的角速度"],
        "net.state": "状态 $s$\n（CartPole：4 个数）",
        "net.hidden": "隐藏层\n（ReLU）",
        "net.softmax": "softmax",
        "net.actions": ["向左推", "向右推"],
        "net.probs": "$\\pi_\\theta(a \\mid s)$",
        "net.sample": "按这些概率\n抽样出动作",
    },
}


def box(ax, x, y, w, h, text, face=LIGHT_BLUE, edge=BLUE, size=12, weight="normal", color="black"):
    """A rounded box centred on (x, y) with centred text."""
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.04",
                                facecolor=face, edgecolor=edge, linewidth=1.6))
    ax.text(x, y, text, ha="center", va="center", fontsize=size, weight=weight, color=color, linespacing=1.4)


def arrow(ax, start, end, color=GREY, text=None, size=11, rad=0.0, offset=(0, 0)):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=18, color=color, linewidth=1.8,
                                 connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2))
    if text:
        mx, my = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
        ax.text(mx, my, text, ha="center", va="center", fontsize=size, color=color, linespacing=1.3)


def canvas(width, height, title, t):
    fig = plt.figure(figsize=(width, height), dpi=100)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    ax.text(width / 2, height - 0.35, title, ha="center", va="center", fontsize=16, weight="bold")
    return fig, ax


def q_table(t):
    fig, ax = canvas(9, 5.0, t["q_table.title"], t)
    values = np.array([[0.12, 0.20, 0.15, 0.08], [0.18, 0.00, 0.31, 0.11], [0.27, 0.40, 0.53, 0.22],
                       [0.33, 0.45, 0.29, 0.36], [0.00, 0.00, 0.00, 0.00], [0.41, 0.62, 0.58, 0.47]])
    x0, y_top, cw, ch = 2.6, 3.35, 0.95, 0.5
    row, col = 2, 2
    ax.text(x0 - 0.45, y_top + ch / 2, t["q_table.state"], ha="center", va="center", fontsize=12, weight="bold")
    for j, name in enumerate(t["q_table.actions"]):
        face = LIGHT_ORANGE if j == col else LIGHT_GREY
        ax.add_patch(Rectangle((x0 + j * cw, y_top), cw, ch, facecolor=face, edgecolor=GREY))
        ax.text(x0 + (j + 0.5) * cw, y_top + ch / 2, name, ha="center", va="center", fontsize=12, weight="bold")
    for i in range(values.shape[0]):
        y = y_top - (i + 1) * ch
        ax.add_patch(Rectangle((x0 - 0.9, y), 0.9, ch, facecolor=LIGHT_BLUE if i == row else LIGHT_GREY,
                               edgecolor=GREY))
        ax.text(x0 - 0.45, y + ch / 2, str(i), ha="center", va="center", fontsize=12, weight="bold")
        for j in range(values.shape[1]):
            hit = (i, j) == (row, col)
            face = "#fbd38d" if hit else (LIGHT_BLUE if i == row else (LIGHT_ORANGE if j == col else "white"))
            ax.add_patch(Rectangle((x0 + j * cw, y), cw, ch, facecolor=face, edgecolor=GREY,
                                   linewidth=2.5 if hit else 1))
            ax.text(x0 + (j + 0.5) * cw, y + ch / 2, f"{values[i, j]:.2f}", ha="center", va="center",
                    fontsize=12, weight="bold" if hit else "normal")
    row_y = y_top - (row + 0.5) * ch
    ax.text(0.85, row_y, t["q_table.row"], ha="center", va="center", fontsize=12, color=BLUE)
    arrow(ax, (1.45, row_y), (x0 - 0.95, row_y), color=BLUE)
    col_x = x0 + (col + 0.5) * cw
    ax.text(col_x, y_top + 0.95, t["q_table.col"], ha="center", va="center", fontsize=12, color=ORANGE)
    arrow(ax, (col_x, y_top + 0.62), (col_x, y_top + ch + 0.02), color=ORANGE)
    cell_right = (x0 + (col + 1) * cw, row_y)
    ax.text(7.6, row_y - 0.9, t["q_table.value"], ha="center", va="center", fontsize=12, color="#975a16")
    arrow(ax, (6.6, row_y - 0.7), (cell_right[0] + 0.03, row_y - 0.05), color="#975a16", rad=0.2)
    return fig


def pieces(ax, x, y, parts, size):
    """Write coloured pieces of text one after another; return each piece's (left, right) in data units."""
    renderer = ax.figure.canvas.get_renderer()
    spans = []
    for text, colour in parts:
        written = ax.text(x, y, text, fontsize=size, color=colour, ha="left", va="center")
        extent = written.get_window_extent(renderer).transformed(ax.transData.inverted())
        spans.append((extent.x0, extent.x1))
        x = extent.x1
    return spans


def q_learning_steps(t):
    fig, ax = canvas(11, 6.6, t["qlearn.title"], t)
    colours = {"1": BLUE, "2": ORANGE, "3": GREEN, "4": RED, "in": GREY}
    y = 5.7
    for step, line in t["qlearn.lines"]:
        if step == "formula":
            # The update rule, its parts coloured and named underneath.
            parts = [(r"$Q(s,a) \leftarrow Q(s,a) + \alpha\,[\;$", "black"),
                     (r"$r + \gamma\, \mathrm{max}_{a'}\, Q(s',a')$", GREEN),
                     (r"$\;-\;Q(s,a)$", BLUE), (r"$\;]$", "black")]
            spans = pieces(ax, 2.3, y, parts, 17)
            (t0, t1), (o0, o1) = spans[1], spans[2]
            ax.text((t0 + t1) / 2, y - 0.5, t["qlearn.target"], ha="center", va="center", fontsize=11, color=GREEN)
            ax.text((o0 + o1) / 2 + 0.2, y - 0.5, t["qlearn.old"], ha="center", va="center", fontsize=11,
                    color=BLUE)
            ax.plot([t0, t0, o1, o1], [y - 0.72, y - 0.8, y - 0.8, y - 0.72], color=RED, linewidth=1.3)
            ax.text((t0 + o1) / 2, y - 1.02, t["qlearn.error"], ha="center", va="center", fontsize=11,
                    color=RED, style="italic")
            y -= 1.45
            continue
        ax.text(0.6, y, line, ha="left", va="center", fontsize=13, color=colours.get(step, "black"),
                weight="bold" if step in ("1", "2", "3", "4") else "normal")
        y -= 0.45
    ax.add_patch(FancyBboxPatch((0.3, y + 0.1), 10.4, 5.95 - y, boxstyle="round,pad=0.02,rounding_size=0.1",
                                facecolor=LIGHT_GREY, edgecolor=GREY, linewidth=1.4, zorder=0))
    return fig


def off_policy(t):
    fig, ax = canvas(10, 5, t["off.title"], t)
    box(ax, 1.9, 2.9, 3.3, 1.5, t["off.act"], face=LIGHT_ORANGE, edge=ORANGE, size=12)
    box(ax, 5.0, 2.9, 1.5, 1.0, t["off.table"], face="white", edge=GREY, size=14, weight="bold")
    box(ax, 8.1, 2.9, 3.3, 1.5, t["off.learn"], face=LIGHT_GREEN, edge=GREEN, size=12)
    arrow(ax, (3.6, 2.9), (4.23, 2.9), color=ORANGE)
    ax.text(3.4, 1.75, t["off.steps"], ha="center", va="center", fontsize=11, color=ORANGE)
    arrow(ax, (5.77, 2.9), (6.42, 2.9), color=GREEN)
    ax.text(6.6, 1.85, t["off.reads"], ha="center", va="center", fontsize=11, color=GREEN)
    box(ax, 5.0, 0.75, 6.6, 0.95, t["off.final"], face=LIGHT_GREEN, edge=GREEN, size=12)
    return fig


def epsilon_greedy(t):
    from helpers.defaults import FROZENLAKE
    fig = plt.figure(figsize=(11, 4.6), dpi=100)
    fig.suptitle(t["eps.title"], fontsize=16, weight="bold", y=0.97)
    ax = fig.add_axes([0.01, 0.02, 0.44, 0.84])
    ax.set_xlim(0, 5)
    ax.set_ylim(0, 4)
    ax.axis("off")
    box(ax, 1.0, 2.0, 1.8, 1.1, t["eps.draw"], face=LIGHT_GREY, edge=GREY, size=12)
    box(ax, 3.8, 3.0, 2.2, 1.35, t["eps.exploit"], face=LIGHT_GREEN, edge=GREEN, size=12)
    box(ax, 3.8, 0.9, 2.2, 1.15, t["eps.explore"], face=LIGHT_ORANGE, edge=ORANGE, size=12)
    arrow(ax, (1.9, 2.2), (2.68, 2.9), color=GREEN)
    arrow(ax, (1.9, 1.8), (2.68, 1.0), color=ORANGE)
    plot = fig.add_axes([0.54, 0.15, 0.42, 0.66])
    cfg = FROZENLAKE
    episodes = np.arange(cfg.n_training_episodes)
    eps = cfg.min_epsilon + (cfg.max_epsilon - cfg.min_epsilon) * np.exp(-cfg.decay_rate * episodes)
    plot.fill_between(episodes, 0, eps, color="#fbd38d", alpha=0.8, label=t["eps.explore_area"])
    plot.fill_between(episodes, eps, 1, color="#9ae6b4", alpha=0.8, label=t["eps.exploit_area"])
    plot.plot(episodes, eps, color=ORANGE, linewidth=2)
    plot.set_xlim(0, episodes[-1])
    plot.set_ylim(0, 1)
    plot.set_title(t["eps.curve"], fontsize=12)
    plot.set_xlabel(t["eps.episode"], fontsize=11)
    plot.set_ylabel(t["eps.prob"], fontsize=11)
    plot.text(episodes[-1] * 0.08, 0.2, t["eps.explore_area"], fontsize=13, color="#7b341e", weight="bold")
    plot.text(episodes[-1] * 0.55, 0.55, t["eps.exploit_area"], fontsize=13, color="#22543d", weight="bold")
    return fig


def games(t):
    from helpers import envs
    cart = envs.make_env("CartPole-v1", render_mode="rgb_array")
    cart.reset(seed=7)
    for action in (1, 0, 1, 1, 0):
        cart.step(action)
    cart_frame = cart.render()[120:330]  # the sky and the ground below the track are empty: crop them
    copter = envs.make_env("Pixelcopter-PLE-v0", render_mode="rgb_array", render_scale=8)
    copter.reset(seed=11)
    frame = copter.render()
    for i in range(40):  # fly a little so that walls and a block come into view; stop before a crash
        _, _, terminated, truncated, _ = copter.step(i % 2)
        if terminated or truncated:
            break
        frame = copter.render()
    cart.close()
    copter.close()
    fig = plt.figure(figsize=(10, 4.3), dpi=100)
    fig.suptitle(t["games.title"], fontsize=15, weight="bold", y=0.97)
    left = fig.add_axes([0.02, 0.16, 0.55, 0.7])
    left.imshow(cart_frame)
    left.axis("off")
    fig.text(0.295, 0.08, t["games.cartpole"], ha="center", va="center", fontsize=12)
    right = fig.add_axes([0.62, 0.16, 0.34, 0.7])
    right.imshow(frame, interpolation="nearest")
    right.axis("off")
    fig.text(0.79, 0.08, t["games.copter"], ha="center", va="center", fontsize=12)
    return fig


def pg_big_picture(t):
    fig, ax = canvas(11, 5.6, t["pg.title"], t)
    box(ax, 1.5, 3.0, 2.4, 1.2, t["pg.play"], face=LIGHT_BLUE, edge=BLUE, size=12)
    box(ax, 4.4, 3.0, 1.9, 1.2, t["pg.return"], face=LIGHT_GREY, edge=GREY, size=12)
    box(ax, 7.2, 4.2, 2.4, 1.25, t["pg.high"], face=LIGHT_GREEN, edge=GREEN, size=12)
    box(ax, 7.2, 1.8, 2.4, 1.1, t["pg.low"], face=LIGHT_RED, edge=RED, size=12)
    arrow(ax, (2.72, 3.0), (3.43, 3.0), color=GREY)
    arrow(ax, (5.37, 3.3), (5.98, 3.95), color=GREEN)
    arrow(ax, (5.37, 2.7), (5.98, 2.0), color=RED)
    # Either way the weights change, then the next episode is played: one path back to the start.
    ax.plot([8.42, 8.62, 8.62], [4.2, 4.2, 0.55], color=BLUE, linewidth=1.8)
    ax.plot([8.42, 8.62], [1.8, 1.8], color=BLUE, linewidth=1.8)
    ax.plot([8.62, 1.5], [0.55, 0.55], color=BLUE, linewidth=1.8)
    arrow(ax, (1.5, 0.55), (1.5, 2.38), color=BLUE)
    ax.text(5.0, 0.8, t["pg.update"], ha="center", va="center", fontsize=12, color=BLUE,
            bbox=dict(facecolor="white", edgecolor="none"))
    # Small bar charts: the probability of an action taken, before and after the update.
    for y0, change, colour in ((3.65, +0.25, GREEN), (1.25, -0.2, RED)):
        bars = fig.add_axes([0.81, y0 / 5.6, 0.16, 1.1 / 5.6])
        bars.bar([0, 1], [0.45, 0.45 + change], color=[LIGHT_GREY, colour], edgecolor=GREY)
        bars.set_xticks([0, 1], [t["pg.before"], t["pg.after"]], fontsize=10)
        bars.set_ylim(0, 1)
        bars.set_yticks([])
        bars.set_ylabel(t["pg.probs"], fontsize=9)
        for side in ("top", "right"):
            bars.spines[side].set_visible(False)
    return fig


def reinforce_pseudocode(t):
    lines = t["pseudo.lines"]
    fig, ax = canvas(11, 5.4, t["pseudo.title"], t)
    ax.add_patch(FancyBboxPatch((0.3, 0.3), 10.4, 4.45, boxstyle="round,pad=0.02,rounding_size=0.1",
                                facecolor=LIGHT_GREY, edgecolor=GREY, linewidth=1.4))
    colours = {4: BLUE, 6: GREEN, 7: RED, 8: RED}
    y = 4.4
    for number, line in enumerate(lines, start=1):
        colour = colours.get(number, "black")
        ax.text(0.55, y, f"{number}:", ha="left", va="center", fontsize=13, color=GREY, family="monospace")
        ax.text(1.1, y, line, ha="left", va="center", fontsize=13, color=colour)
        y -= 0.47
    return fig


def policy_network(t):
    fig, ax = canvas(11, 5.4, t["net.title"], t)
    inputs = t["net.inputs"]
    in_y = np.linspace(3.9, 1.2, len(inputs))
    hid_y = np.linspace(4.2, 0.9, 7)
    out_y = np.array([3.2, 1.9])
    xi, xh, xo = 2.5, 4.2, 5.8
    for yi in in_y:
        for yh in hid_y:
            ax.plot([xi, xh], [yi, yh], color="#cbd5e0", linewidth=0.8, zorder=1)
    for yh in hid_y:
        for yo in out_y:
            ax.plot([xh, xo], [yh, yo], color="#cbd5e0", linewidth=0.8, zorder=1)
    for name, yi in zip(inputs, in_y):
        ax.add_patch(plt.Circle((xi, yi), 0.2, facecolor=LIGHT_BLUE, edgecolor=BLUE, linewidth=1.5, zorder=2))
        ax.text(xi - 0.3, yi, name, ha="right", va="center", fontsize=11)
    for yh in hid_y:
        ax.add_patch(plt.Circle((xh, yh), 0.17, facecolor="white", edgecolor=GREY, linewidth=1.3, zorder=2))
    for yo in out_y:
        ax.add_patch(plt.Circle((xo, yo), 0.2, facecolor=LIGHT_GREEN, edgecolor=GREEN, linewidth=1.5, zorder=2))
    ax.text(1.35, 0.45, t["net.state"], ha="center", va="center", fontsize=11, color=BLUE)
    ax.text(xh, 0.3, t["net.hidden"], ha="center", va="center", fontsize=11, color=GREY)
    box(ax, 6.75, 2.55, 0.95, 0.55, t["net.softmax"], face="white", edge=GREEN, size=11)
    arrow(ax, (xo + 0.22, 2.55), (6.26, 2.55), color=GREEN)
    bars = fig.add_axes([0.79, 0.3, 0.18, 0.42])
    bars.barh([1, 0], [0.3, 0.7], color=[LIGHT_GREEN, GREEN], edgecolor=GREEN)
    bars.set_yticks([1, 0], t["net.actions"], fontsize=11)
    bars.set_xlim(0, 1)
    bars.set_xticks([0, 0.5, 1])
    for value, yb in ((0.3, 1), (0.7, 0)):
        bars.text(value + 0.03, yb, f"{value:.1f}", va="center", fontsize=11)
    bars.set_title(t["net.probs"], fontsize=13)
    for side in ("top", "right"):
        bars.spines[side].set_visible(False)
    arrow(ax, (7.24, 2.55), (7.95, 2.55), color=GREEN)
    ax.text(9.6, 0.75, t["net.sample"], ha="center", va="center", fontsize=11, color=GREEN)
    return fig


# Local file stem -> function that draws it.
FIGURES = {
    "q_table": q_table,
    "q_learning_steps": q_learning_steps,
    "off_policy": off_policy,
    "epsilon_greedy": epsilon_greedy,
    "unit4_games": games,
    "pg_big_picture": pg_big_picture,
    "reinforce_pseudocode": reinforce_pseudocode,
    "policy_network": policy_network,
}


def file_name(stem: str, language: str) -> str:
    return f"{stem}.png" if language == "en" else f"{stem}.{language}.png"


def save_small(fig, path: Path, colours: int = 96) -> int:
    """Save as a palette PNG: flat figures need few colours, and a palette keeps each file small."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, facecolor="white", bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)
    image = Image.open(buffer).convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT)
    image.save(path, format="PNG", optimize=True)
    return path.stat().st_size


def main(stems: list[str]) -> None:
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # the CJK font has no bold: fine
    sys.path.insert(0, str(ROOT))
    for language in LANGUAGES:
        if language != "en":
            for found in font_manager.findSystemFonts():  # a font installed after matplotlib cached its list
                if "wqy-microhei" in found.lower():
                    font_manager.fontManager.addfont(found)
            if not any(f.name == CJK_FONT for f in font_manager.fontManager.ttflist):
                sys.exit(f"The Chinese figures need the font {CJK_FONT!r}: install it "
                         "(Debian: apt-get install fonts-wqy-microhei), then run this again.")
            plt.rcParams["font.family"] = [CJK_FONT, "DejaVu Sans"]
        else:
            plt.rcParams["font.family"] = ["DejaVu Sans"]
        plt.rcParams["axes.unicode_minus"] = False
        for stem in stems or FIGURES:
            if stem not in FIGURES:
                sys.exit(f"No figure is called {stem!r}: choose from {', '.join(FIGURES)}.")
            path = HERE / file_name(stem, language)
            size = save_small(FIGURES[stem](TEXT[language]), path)
            print(f"{path.relative_to(ROOT)}: {size / 1024:.0f} KB")


if __name__ == "__main__":
    main(sys.argv[1:])
