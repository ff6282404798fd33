"""Default hyperparameters: the one source the notebooks and ``benchmarks/certify.py`` share.

Change a value here and both the notebooks and the benchmark follow. In a notebook, tweak a copy:
``hp = dataclasses.replace(defaults.TAXI, n_training_episodes=50_000)``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import gymnasium as gym

# The course's 100 Taxi evaluation reset seeds (76 distinct values; repeats are part of the protocol).
TAXI_EVAL_SEEDS = [
    16, 54, 165, 177, 191, 191, 120, 80, 149, 178, 48, 38, 6, 125, 174, 73, 50, 172, 100, 148,
    146, 6, 25, 40, 68, 148, 49, 167, 9, 97, 164, 176, 61, 7, 54, 55, 161, 131, 184, 51,
    170, 12, 120, 113, 95, 126, 51, 98, 36, 135, 54, 82, 45, 95, 89, 59, 95, 124, 9, 113,
    58, 85, 51, 134, 121, 169, 105, 21, 30, 11, 50, 65, 12, 43, 82, 145, 152, 97, 106, 55,
    31, 85, 38, 112, 102, 168, 123, 97, 21, 83, 158, 26, 80, 63, 5, 81, 32, 11, 28, 148,
]


@dataclass(frozen=True)
class QLearningConfig:
    """Everything needed to rebuild the env, train a Q-table and evaluate it as the course does."""

    env_id: str
    env_kwargs: dict = field(default_factory=dict)
    n_training_episodes: int = 10_000
    learning_rate: float = 0.7
    gamma: float = 0.95
    max_steps: int = 99
    max_epsilon: float = 1.0
    min_epsilon: float = 0.05
    decay_rate: float = 0.0005
    n_eval_episodes: int = 100
    eval_seed: list = field(default_factory=list)

    def make_env(self, **extra) -> gym.Env:
        """The environment these hyperparameters are for (``extra`` e.g. ``render_mode="rgb_array"``)."""
        from helpers.envs import make_env

        return make_env(self.env_id, **{**self.env_kwargs, **extra})

    def train_kwargs(self) -> dict:
        """The keyword arguments ``qlearning.train`` takes from this config (add env and Qtable)."""
        names = ["n_training_episodes", "min_epsilon", "max_epsilon", "decay_rate", "max_steps",
                 "learning_rate", "gamma"]
        return {name: getattr(self, name) for name in names}

    def replace(self, **changes) -> "QLearningConfig":
        return dataclasses.replace(self, **changes)


# FrozenLake 4x4, not slippery: the course's values.
FROZENLAKE = QLearningConfig("FrozenLake-v1", dict(map_name="4x4", is_slippery=False))

# FrozenLake 8x8, not slippery: the same values work once greedy ties are broken at random.
FROZENLAKE_8X8 = QLearningConfig("FrozenLake-v1", dict(map_name="8x8", is_slippery=False))

# Slippery 4x4: moves go sideways 2 times in 3, so one sample says little about Q. A small learning rate
# averages over many samples, a long horizon (gamma 0.99) values the far goal, and more episodes pay for both.
FROZENLAKE_SLIPPERY = QLearningConfig("FrozenLake-v1", dict(map_name="4x4", is_slippery=True),
                                      n_training_episodes=50_000, learning_rate=0.05, gamma=0.99)

# Taxi: the course's values and its fixed evaluation seeds, except min_epsilon 0.2 (course: 0.05). With 0.05 an
# action that looked bad early is rarely retried, so some start states keep a detour and not every run reaches
# the optimum; more exploration late in training fixes that at no cost in time (benchmarks/results/taxi*.json).
TAXI = QLearningConfig("Taxi-v3", n_training_episodes=25_000, decay_rate=0.005, min_epsilon=0.2,
                       eval_seed=TAXI_EVAL_SEEDS)


# ---------------------------------------------------------------------------------------------------
# Unit 4: REINFORCE
# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReinforceConfig:
    """Everything needed to build the env and the policy, train with REINFORCE and evaluate as the kit does.

    The first fields carry the course's hyperparameter names (they go into ``hyperparameters.json``);
    the rest are the kit's additions, each explained in notebook 03.
    """

    env_id: str
    h_size: int | tuple = 16           # hidden width of policy_class (a tuple: a PolicyNetwork of those widths)
    policy_class: str = "Policy"       # the exercise's class that make_policy builds: Policy or PixelcopterPolicy
    n_training_episodes: int = 1000
    n_evaluation_episodes: int = 10
    max_t: int = 1000                  # evaluation cap per episode (the course's max_t)
    gamma: float = 0.99
    lr: float = 1e-2
    n_envs: int = 1                    # env copies played side by side (1: the course's loop, reinforce)
    batch_episodes: int | None = None  # episodes per gradient step (None: n_envs, one per copy)
    train_max_t: int | None = None     # cap on a training episode (None: max_t)
    obs_scale: tuple | None = None     # divides each observation feature (saved inside the policy)
    obs_features: str | None = None    # a fixed input transform from features.OBS_FEATURES (saved by name)
    eval_greedy: bool = True           # evaluate with the most likely action (False: sample, as the course)
    eval_seed: int | None = 2024       # seeds the evaluation env's first reset, so evaluations repeat exactly

    def make_env(self, **extra) -> gym.Env:
        from helpers.envs import make_env

        return make_env(self.env_id, **extra)

    def make_train_env(self) -> gym.vector.VectorEnv:
        """The ``n_envs`` copies that ``train_batched`` plays side by side (``envs.make_vec_env``), each training
        episode cut at ``train_max_t`` (else ``max_t``), so that a capped copy restarts at once."""
        from helpers.envs import make_vec_env

        return make_vec_env(self.env_id, self.n_envs, max_episode_steps=self.train_max_t or self.max_t)

    @property
    def batched(self) -> bool:
        """Trained by ``reinforce.train_batched`` (several copies or episodes per update), else by the course's
        loop ``reinforce.reinforce``."""
        return self.n_envs > 1 or bool(self.batch_episodes)

    def train_kwargs(self) -> dict:
        """The keyword arguments the trainer takes from this config (add the policy, optimizer and env)."""
        kwargs = {"n_training_episodes": self.n_training_episodes, "max_t": self.train_max_t or self.max_t,
                  "gamma": self.gamma}
        if self.batched:
            kwargs["batch_episodes"] = self.batch_episodes
        return kwargs

    def hyperparameters(self) -> dict:
        """The dict pushed to the Hub: the course's keys first, then the kit's additions."""
        env = self.make_env()
        hp = {"h_size": list(self.h_size) if isinstance(self.h_size, tuple) else self.h_size,
              "n_training_episodes": self.n_training_episodes,
              "n_evaluation_episodes": self.n_evaluation_episodes,
              "max_t": self.max_t, "gamma": self.gamma, "lr": self.lr, "env_id": self.env_id,
              "state_space": int(env.observation_space.shape[0]), "action_space": int(env.action_space.n)}
        env.close()
        for name in ["n_envs", "batch_episodes", "train_max_t", "obs_scale", "obs_features", "eval_greedy",
                     "eval_seed"]:
            value = getattr(self, name)
            hp[name] = list(value) if isinstance(value, tuple) else value
        return hp

    def replace(self, **changes) -> "ReinforceConfig":
        return dataclasses.replace(self, **changes)


# CartPole: the course's loop (one episode per update), its 4-16-2 policy and 1,000 episodes, with two changes:
# lr 5e-3 (course: 1e-2), because one episode is a noisy sample and the smaller step keeps a policy that has
# reached 500 from falling back before training ends; gamma 0.99 (course: 1.0), so that the last steps of a long
# episode are not judged bad after normalising. Greedy evaluation (the kit's protocol). Notebook 03 trains this.
CARTPOLE = ReinforceConfig("CartPole-v1", h_size=16, n_training_episodes=1000, max_t=1000, gamma=0.99, lr=5e-3)

# The course's own CartPole values (lr 1e-2, gamma 1.0, sampled evaluation), for comparison. Its evaluation env
# is seeded like the kit's so that runs repeat (the course does not seed it).
CARTPOLE_COURSE = CARTPOLE.replace(lr=1e-2, gamma=1.0, eval_greedy=False)

# The kit's fast path on CartPole (a notebook challenge): 8 episodes per update, played side by side
# (train_batched), at the course's lr 1e-2, which the averaged updates afford.
CARTPOLE_BATCHED = CARTPOLE.replace(n_envs=8, lr=1e-2)

# Pixelcopter: the exercise's two-hidden-layer policy (64, 64) seeing the observation relative to the copter
# ("pixelcopter-relative": where the block and the corridor are from where it is), scaled to order 1; 256
# episodes per update from 128 copters simulated together (train_batched), a higher learning rate than the
# course's 1e-4 (large batches afford it), training episodes capped at 2,000 steps so that no update waits for
# one long episode, and greedy evaluation.
PIXELCOPTER = ReinforceConfig("Pixelcopter-PLE-v0", h_size=64, policy_class="PixelcopterPolicy",
                              n_training_episodes=64_000, max_t=10_000, gamma=0.99, lr=3e-3, n_envs=128,
                              batch_episodes=256, train_max_t=2000, obs_scale=(8.0, 0.5, 4.0, 4.0, 16.0, 8.0, 8.0),
                              obs_features="pixelcopter-relative")

# The previous defaults, for comparison: the same on the raw observation (only scaled), for twice the episodes.
PIXELCOPTER_RAW = PIXELCOPTER.replace(n_training_episodes=128_000, obs_features=None)

# The course's Pixelcopter values (7-64-128-2, lr 1e-4, one episode per update, sampled evaluation).
PIXELCOPTER_COURSE = ReinforceConfig("Pixelcopter-PLE-v0", h_size=(64, 128), n_training_episodes=50_000,
                                     max_t=10_000, gamma=0.99, lr=1e-4, n_envs=1, eval_greedy=False)

# Pong (the learners' notes' third agent; the course has no Pong part): the exercise's two-hidden-layer policy,
# wider than Pixelcopter's (128, 128: it returned the ball more reliably than 64, at a tenth more time), on the
# 7 values divided by their scale (paddle and ball heights by 24, the ball's x by 32, speeds in
# px/s by 36), 64 games played together (PongVecEnv), one update every 64 episodes, training games capped at
# 2,000 steps (a losing game lasts about 500; a capped one teaches returning the ball), greedy evaluation over
# 10 games of at most 10,000 steps, as the notes cap them.
PONG = ReinforceConfig("Pong-PLE-v0", h_size=128, policy_class="PixelcopterPolicy", n_training_episodes=8192,
                       max_t=10_000, gamma=0.99, lr=3e-3, n_envs=64, batch_episodes=64, train_max_t=2000,
                       obs_scale=(24.0, 4.0, 24.0, 32.0, 24.0, 36.0, 36.0))
