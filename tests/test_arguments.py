"""Every public function's bad argument gets a kit error (``KitArgumentError``, a ValueError and a TypeError)
that names the argument, before anything is played, drawn or written (issue 28, item 4).

``CASES`` is one table: (function, keyword arguments, the argument the message must name). The arguments are
built when the case runs (a function of nothing), so that no env is made at import time."""
from __future__ import annotations

import math
import re

import gymnasium as gym
import numpy as np
import pytest
import torch

from helpers import envs, plots, policies, qlearning, reinforce, scoring, unit4_views, video
from helpers import hub
from helpers.hub import progress
from helpers.hub import push_to_hub
from helpers.errors import KitArgumentError
from helpers.pixelcopter import PixelcopterEnv, PixelcopterVecEnv
from helpers.pong import PongEnv, PongVecEnv


class NoSteps(gym.Wrapper):
    """An env that fails the test if anything is played on it."""

    def reset(self, **kwargs):
        raise AssertionError("an episode started with arguments that cannot work")

    step = reset


def lake(**kwargs):
    return NoSteps(gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False, **kwargs))


def cartpole():
    return NoSteps(gym.make("CartPole-v1"))


def vec_cartpole():
    return envs.make_vec_env("CartPole-v1", 2)


def policy():
    return reinforce.Policy(4, 2, 16)


def adam(lr=1e-2):
    optimizer = torch.optim.Adam(policy().parameters())
    optimizer.param_groups[0]["lr"] = lr  # Adam itself refuses NaN and negative rates, not 0 or infinity
    return optimizer


def table(rows=16, cols=4, dtype=float):
    return np.zeros((rows, cols), dtype=dtype)


def nan_table():
    q = table()
    q[3, 1] = math.nan
    return q


TRAIN = dict(n_training_episodes=10, min_epsilon=0.05, max_epsilon=1.0, decay_rate=0.0005, max_steps=99,
             learning_rate=0.7, gamma=0.95)


def train(**change):
    return lambda: dict(TRAIN, env=lake(), Qtable=table(), progress=False) | {k: v() if callable(v) else v
                                                                               for k, v in change.items()}


def evaluate(**change):
    return lambda: dict(env=lake(), max_steps=99, n_eval_episodes=10, Q=table()) | {
        k: v() if callable(v) else v for k, v in change.items()}


def loop(**change):
    return lambda: dict(policy=policy(), optimizer=adam(), n_training_episodes=10, max_t=100, gamma=0.99,
                        print_every=0, env=cartpole()) | {k: v() if callable(v) else v for k, v in change.items()}


def batched(**change):
    return lambda: dict(policy=policy(), optimizer=adam(), env=vec_cartpole(), n_training_episodes=4, max_t=50,
                        gamma=0.99, print_every=0, progress=False) | {k: v() if callable(v) else v
                                                                      for k, v in change.items()}


def evaluate4(**change):
    return lambda: dict(env=cartpole(), max_steps=100, n_eval_episodes=10, policy=policy()) | {
        k: v() if callable(v) else v for k, v in change.items()}


def record(**change):
    return lambda: dict(env=lake(render_mode="rgb_array"), policy=table(), out_path="unused.mp4") | {
        k: v() if callable(v) else v for k, v in change.items()}


def network(**change):
    return dict(s_size=4, a_size=2, h_size=16) | change


CASES = [
    # ---- unit 2: helpers.qlearning ----
    (qlearning.initialize_q_table, dict(state_space="16", action_space=4), "state_space"),
    (qlearning.initialize_q_table, dict(state_space=16, action_space=0), "action_space"),
    (qlearning.initialize_q_table, dict(state_space=-16, action_space=4), "state_space"),
    (qlearning.initialize_q_table, dict(state_space=True, action_space=4), "state_space"),
    (qlearning.initialize_q_table, dict(state_space=16.0, action_space=4), "state_space"),
    (qlearning.initialize_q_table, dict(state_space=16, action_space=None), "action_space"),
    (qlearning.train, train(n_training_episodes=0), "n_training_episodes"),
    (qlearning.train, train(n_training_episodes=-5), "n_training_episodes"),
    (qlearning.train, train(n_training_episodes=2.5), "n_training_episodes"),
    (qlearning.train, train(n_training_episodes=True), "n_training_episodes"),
    (qlearning.train, train(n_training_episodes="10000"), "n_training_episodes"),
    (qlearning.train, train(max_steps=0), "max_steps"),
    (qlearning.train, train(max_steps=None), "max_steps"),
    (qlearning.train, train(gamma=1.5), "gamma"),
    (qlearning.train, train(gamma=-0.1), "gamma"),
    (qlearning.train, train(gamma=math.nan), "gamma"),
    (qlearning.train, train(gamma="0.95"), "gamma"),
    (qlearning.train, train(learning_rate=math.nan), "learning_rate"),
    (qlearning.train, train(learning_rate=0.0), "learning_rate"),
    (qlearning.train, train(learning_rate=True), "learning_rate"),
    (qlearning.train, train(min_epsilon=2.0), "min_epsilon"),
    (qlearning.train, train(max_epsilon=math.inf), "max_epsilon"),
    (qlearning.train, train(decay_rate=math.inf), "decay_rate"),
    (qlearning.train, train(decay_rate=-1.0), "decay_rate"),
    (qlearning.train, train(env=None), "env"),
    (qlearning.train, train(env="FrozenLake-v1"), "env"),
    (qlearning.train, train(Qtable=lambda: [[0.0] * 4] * 16), "Qtable"),
    (qlearning.train, train(Qtable=lambda: np.zeros(16)), "Qtable"),
    (qlearning.train, train(Qtable=lambda: table(500, 6)), "Qtable"),
    (qlearning.train, train(Qtable=lambda: table(dtype=int)), "Qtable"),
    (qlearning.train, train(Qtable=nan_table), "Qtable"),
    (qlearning.train, train(Qtable=None), "Qtable"),
    (qlearning.train, train(seed="0"), "seed"),
    (qlearning.train, train(seed=1.5), "seed"),
    (qlearning.train, train(seed=-1), "seed"),
    (qlearning.train, train(episode_returns="returns"), "episode_returns"),
    (qlearning.train, train(episode_returns=()), "episode_returns"),
    (qlearning.evaluate_agent, evaluate(n_eval_episodes=0), "n_eval_episodes"),
    (qlearning.evaluate_agent, evaluate(n_eval_episodes=-1), "n_eval_episodes"),
    (qlearning.evaluate_agent, evaluate(n_eval_episodes=True), "n_eval_episodes"),
    (qlearning.evaluate_agent, evaluate(max_steps=0), "max_steps"),
    (qlearning.evaluate_agent, evaluate(max_steps="99"), "max_steps"),
    (qlearning.evaluate_agent, evaluate(env=None), "env"),
    (qlearning.evaluate_agent, evaluate(Q=None), "Q"),
    (qlearning.evaluate_agent, evaluate(Q=lambda: [[0.0] * 4] * 16), "Q"),
    (qlearning.evaluate_agent, evaluate(Q=lambda: np.zeros(16)), "Q"),
    (qlearning.evaluate_agent, evaluate(Q=lambda: table(500, 6)), "Q"),
    (qlearning.evaluate_agent, evaluate(Q=nan_table), "Q"),
    (qlearning.evaluate_agent, evaluate(seed=5), "seed"),
    (qlearning.evaluate_agent, evaluate(seed=[1, 2]), "seed"),
    (qlearning.evaluate_agent, evaluate(seed=["a"] * 10), "seed"),
    (qlearning.evaluate_agent, evaluate(seed=[1.5] * 10), "seed"),
    # ---- unit 4: helpers.reinforce ----
    (reinforce.Policy, network(s_size="4"), "s_size"),
    (reinforce.Policy, network(a_size=0), "a_size"),
    (reinforce.Policy, network(h_size=-16), "h_size"),
    (reinforce.Policy, network(h_size=16.5), "h_size"),
    (reinforce.Policy, network(a_size=True), "a_size"),
    (reinforce.PixelcopterPolicy, network(s_size=None), "s_size"),
    (reinforce.PixelcopterPolicy, network(h_size=0), "h_size"),
    (reinforce.discounted_returns, dict(rewards=[1.0, 1.0], gamma=1.5), "gamma"),
    (reinforce.discounted_returns, dict(rewards=[1.0, 1.0], gamma=math.nan), "gamma"),
    (reinforce.discounted_returns, dict(rewards=None, gamma=0.99), "rewards"),
    (reinforce.discounted_returns, dict(rewards=5.0, gamma=0.99), "rewards"),
    (reinforce.discounted_returns, dict(rewards=["a", "b"], gamma=0.99), "rewards"),
    (reinforce.normalise_returns, dict(returns=None), "returns"),
    (reinforce.normalise_returns, dict(returns="abc"), "returns"),
    (reinforce.normalise_returns, dict(returns=[1.0, 2.0], eps=-1.0), "eps"),
    (reinforce.normalise_returns, dict(returns=[1.0, 2.0], eps=math.nan), "eps"),
    (reinforce.reinforce_loss, dict(log_probs=[0.1, 0.2], returns=torch.ones(2)), "log_probs"),
    (reinforce.reinforce_loss, dict(log_probs=torch.ones(2), returns=None), "returns"),
    (reinforce.reinforce_loss, dict(log_probs=torch.ones(2, 1), returns=torch.ones(2)), "log_probs"),
    (reinforce.reinforce, loop(n_training_episodes=0), "n_training_episodes"),
    (reinforce.reinforce, loop(max_t="1000"), "max_t"),
    (reinforce.reinforce, loop(gamma=2.0), "gamma"),
    (reinforce.reinforce, loop(policy=None), "policy"),
    (reinforce.reinforce, loop(policy=lambda: table()), "policy"),
    (reinforce.reinforce, loop(optimizer=None), "optimizer"),
    (reinforce.reinforce, loop(optimizer="adam"), "optimizer"),
    (reinforce.reinforce, loop(print_every=-1), "print_every"),
    (reinforce.reinforce, loop(print_every="10"), "print_every"),
    (reinforce.reinforce, loop(env=None), "env"),
    (reinforce.reinforce, loop(env="CartPole-v1"), "env"),
    (reinforce.train_batched, batched(n_training_episodes=0), "n_training_episodes"),
    (reinforce.train_batched, batched(max_t=-1), "max_t"),
    (reinforce.train_batched, batched(gamma=math.inf), "gamma"),
    (reinforce.train_batched, batched(policy=None), "policy"),
    (reinforce.train_batched, batched(optimizer=None), "optimizer"),
    (reinforce.train_batched, batched(optimizer=lambda: adam(lr=-1.0)), "lr"),
    (reinforce.train_batched, batched(optimizer=lambda: adam(lr=math.inf)), "lr"),
    (reinforce.reinforce, loop(optimizer=lambda: adam(lr=math.nan)), "lr"),
    (reinforce.train_batched, batched(env=cartpole), "env"),
    (reinforce.train_batched, batched(env=None), "env"),
    (reinforce.train_batched, batched(batch_episodes=0), "batch_episodes"),
    (reinforce.train_batched, batched(batch_episodes=2.5), "batch_episodes"),
    (reinforce.train_batched, batched(seed="1"), "seed"),
    (reinforce.train_batched, batched(print_every=-5), "print_every"),
    (reinforce.evaluate_agent, evaluate4(n_eval_episodes=0), "n_eval_episodes"),
    (reinforce.evaluate_agent, evaluate4(max_steps=0), "max_steps"),
    (reinforce.evaluate_agent, evaluate4(env=None), "env"),
    (reinforce.evaluate_agent, evaluate4(policy=lambda: table()), "policy"),
    (reinforce.evaluate_agent, evaluate4(policy=None), "policy"),
    (reinforce.evaluate_agent, evaluate4(seed=1.5), "seed"),
    (reinforce.evaluate_agent, evaluate4(seed="0"), "seed"),
    (reinforce.play_episodes, lambda: dict(policy=policy(), env=vec_cartpole(), n_episodes=0, max_t=10,
                                           dev=torch.device("cpu")), "n_episodes"),
    (reinforce.play_episodes, lambda: dict(policy=policy(), env=vec_cartpole(), n_episodes=2, max_t=0,
                                           dev=torch.device("cpu")), "max_t"),
    # ---- helpers.policies ----
    (policies.PolicyNetwork, network(s_size="4"), "s_size"),
    (policies.PolicyNetwork, network(a_size=0), "a_size"),
    (policies.PolicyNetwork, network(h_size=0), "h_size"),
    (policies.PolicyNetwork, network(h_size=(64, "64")), "h_size"),
    (policies.PolicyNetwork, network(h_size=()), "h_size"),
    (policies.PolicyNetwork, network(activation="Relu"), "activation"),
    (policies.PolicyNetwork, network(obs_scale=[1.0, 2.0]), "obs_scale"),
    (policies.PolicyNetwork, network(obs_scale=[1.0, 0.0, 1.0, 1.0]), "obs_scale"),
    (policies.PolicyNetwork, network(obs_scale=[1.0, math.nan, 1.0, 1.0]), "obs_scale"),
    (policies.PolicyNetwork, network(obs_features="speed"), "obs_features"),
    (policies.with_inputs, dict(policy="Policy"), "policy"),
    (policies.with_inputs, lambda: dict(policy=policy(), obs_scale=[1.0, -2.0, 1.0, 1.0]), "obs_scale"),
    (policies.with_inputs, lambda: dict(policy=policy(), obs_scale=[1.0, 2.0]), "obs_scale"),
    (policies.with_inputs, lambda: dict(policy=policy(), obs_features="speed"), "obs_features"),
    (policies.save_policy, lambda: dict(net=policy(), path="model.safetensors"), "net"),
    (policies.save_policy, lambda: dict(net=policies.PolicyNetwork(4, 2, 16), path=None), "path"),
    # ---- helpers.hub: checked before anything is evaluated or written ----
    (push_to_hub, lambda: dict(repo_id="you/q-FrozenLake-v1", model=dict(env_id="FrozenLake-v1", max_steps=99,
                                                                         n_eval_episodes=10, qtable=table()),
                               env=lake(), video_fps=0), "video_fps"),
    (push_to_hub, lambda: dict(repo_id="you/Reinforce-CartPole-v1", model=policy(), hyperparameters="CartPole-v1",
                               eval_env=cartpole()), "hyperparameters"),
    (push_to_hub, lambda: dict(repo_id="you/Reinforce-CartPole-v1", model=policy(), hyperparameters={},
                               eval_env=cartpole(), video_fps=math.nan), "video_fps"),
    # ---- helpers.envs ----
    (envs.make_env, dict(env_id=None), "env_id"),
    (envs.make_env, dict(env_id=3), "env_id"),
    (envs.make_env, dict(env_id="Taxi-v9"), "Taxi-v9"),
    (envs.make_env, dict(env_id="FrozenLake-v1", is_slippery="False"), "is_slippery"),
    (envs.make_vec_env, dict(env_id="CartPole-v1", n_envs=0), "n_envs"),
    (envs.make_vec_env, dict(env_id="CartPole-v1", n_envs=True), "n_envs"),
    (envs.make_vec_env, dict(env_id="CartPole-v1", n_envs=2, max_episode_steps=0), "max_episode_steps"),
    (envs.make_vec_env, dict(env_id="CartPole-v1", n_envs=2, max_episode_steps="500"), "max_episode_steps"),
    (envs.make_vec_env, dict(env_id=None, n_envs=2), "env_id"),
    (envs.show_spaces, dict(env=None), "env"),
    (envs.show_spaces, lambda: dict(env=cartpole()), "env"),
    (envs.show_taxi_state, lambda: dict(env=lake(), state=0, state_space=16, action_space=4), "env"),
    # ---- helpers.video ----
    (video.record_video, record(env=None), "env"),
    (video.record_video, record(env=lake), "env"),
    (video.record_video, record(policy=None), "policy"),
    (video.record_video, record(policy=lambda: table(500, 6)), "policy"),
    (video.record_video, record(policy=nan_table), "policy"),
    (video.record_video, record(out_path=None), "out_path"),
    (video.record_video, record(fps=0), "fps"),
    (video.record_video, record(fps=math.nan), "fps"),
    (video.record_video, record(fps="30"), "fps"),
    (video.record_video, record(max_steps=0), "max_steps"),
    (video.record_video, record(seed="0"), "seed"),
    (video.record_video, record(seed=2.5), "seed"),
    (video.show_video, dict(path=None), "path"),
    (video.show_video, dict(path="no-such-replay.mp4"), "path"),
    (video.show_video, dict(path=__file__, width=-1), "width"),
    (video.show_video, dict(path=__file__, width="big"), "width"),
    # ---- helpers.plots ----
    (plots.moving_average, dict(values=[1.0, 2.0], window=0), "window"),
    (plots.moving_average, dict(values=[1.0, 2.0], window="10"), "window"),
    (plots.moving_average, dict(values=None, window=10), "values"),
    (plots.plot_training_curve, dict(episode_returns=None), "episode_returns"),
    (plots.plot_training_curve, dict(episode_returns=[1.0, 2.0], window=0), "window"),
    (plots.plot_training_curve, dict(episode_returns=["a", "b"]), "episode_returns"),
    (plots.plot_frozenlake_policy, lambda: dict(Qtable=[[0.0] * 4] * 16, env=lake()), "Qtable"),
    (plots.plot_frozenlake_policy, lambda: dict(Qtable=table(16, 6), env=lake()), "Qtable"),
    (plots.plot_frozenlake_policy, lambda: dict(Qtable=table(), env=cartpole()), "env"),
    (plots.plot_epsilon_schedule, dict(episodes=[0, 1, 2], epsilons=[1.0, 0.5]), "epsilons"),
    # ---- helpers.scoring ----
    (scoring.check_pass, dict(env_name=None, mean_reward=7.5, std_reward=2.7), "env_name"),
    (scoring.check_pass, dict(env_name="Taxi-v3", mean_reward="7.5", std_reward=2.7), "mean_reward"),
    (scoring.check_pass, dict(env_name="Taxi-v3", mean_reward=None, std_reward=2.7), "mean_reward"),
    (scoring.check_pass, dict(env_name="Taxi-v3", mean_reward=7.5, std_reward=[2.7]), "std_reward"),
    (scoring.check_pass, dict(env_name="Taxi-v3", mean_reward=(7.5, 2.7), std_reward=2.7), "mean_reward"),
    (scoring.check_pass, dict(env_name="Taxi-v3", mean_reward=7.5, std_reward=-1.0), "std_reward"),
    (scoring.check_pass, dict(env_name="Taxi-v3", mean_reward=True, std_reward=0.0), "mean_reward"),
    (scoring.check_pass, dict(env_name="Taxi-v3", mean_reward=7.5, std_reward=2.7, trained_with="me"),
     "trained_with"),
    (scoring.pass_line, dict(env_name=3, mean_reward=7.5, std_reward=2.7), "env_name"),
    # ---- helpers.hub: checked before any network call or file ----
    (push_to_hub, dict(repo_id="me/q-Taxi-v3", model=None, dry_run=True), "model"),
    (push_to_hub, dict(repo_id="me/q-Taxi-v3", model="Qtable_taxi", dry_run=True), "model"),
    (push_to_hub, dict(repo_id=3, model={}, dry_run=True), "repo_id"),
    (hub.push_policy, dict(repo_id="me/Reinforce-CartPole-v1", policy=None, dry_run=True), "policy"),
    (hub.retry_push, dict(folder=None, repo_id="me/q-Taxi-v3"), "folder"),
    (hub.load_from_hub, dict(repo_id=None), "repo_id"),
    (hub.load_from_hub, dict(repo_id="me/q-Taxi-v3", filename=None), "filename"),
    (hub.load_model_file, dict(path=None), "path"),
    (hub.find_models, dict(tags=None), "tags"),
    (hub.find_models, dict(tags=[3]), "tags"),
    (hub.find_models, dict(tags=["Taxi-v3"], limit=0), "limit"),
    (hub.find_models, dict(tags=["Taxi-v3"], limit="5"), "limit"),
    (hub.evaluate_model, dict(model="q-learning.pkl"), "model"),
    (hub.course_env_name, dict(env_id=None), "env_id"),
    (hub.env_kwargs_of, dict(env=None), "env"),
    (progress.check_progress, dict(username=None), "username"),
    (progress.check_progress, dict(username="my name"), "username"),
    (progress.check_progress, dict(username="learner", time_budget_s=0), "time_budget_s"),
    (progress.checker_verdict, dict(card_text=None), "card_text"),
    # ---- helpers.unit4_views ----
    (unit4_views.play_random, dict(env=None), "env"),
    (unit4_views.play_random, lambda: dict(env=cartpole(), games=0), "games"),
    (unit4_views.play_random, lambda: dict(env=cartpole(), games="5"), "games"),
    (unit4_views.play_random, lambda: dict(env=cartpole(), seed="0"), "seed"),
    (unit4_views.plot_training, dict(scores=None, env_id="CartPole-v1"), "scores"),
    (unit4_views.plot_training, dict(scores=[1.0], env_id="CartPole-v1", window=0), "window"),
    (unit4_views.plot_watch, dict(scores=[1.0], window=-3), "window"),
    (unit4_views.print_sampled_score, dict(mean="500", std=0.0), "mean"),
    (unit4_views.print_sampled_score, dict(mean=500.0, std=None), "std"),
    # ---- the PLE games: helpers.pixelcopter, helpers.pong, helpers.ple ----
    (PixelcopterEnv, dict(render_mode="rgb"), "render_mode"),
    (PixelcopterEnv, dict(render_scale=0), "render_scale"),
    (PixelcopterEnv, dict(render_scale=2.5), "render_scale"),
    (PixelcopterVecEnv, dict(num_envs=0), "num_envs"),
    (PixelcopterVecEnv, dict(num_envs=2, max_episode_steps=True), "max_episode_steps"),
    (PixelcopterVecEnv, dict(num_envs=2, seed="1"), "seed"),
    (PixelcopterVecEnv, dict(num_envs=2, seed=[1]), "seed"),
    (PongEnv, dict(render_mode="video"), "render_mode"),
    (PongEnv, dict(render_scale=True), "render_scale"),
    (PongVecEnv, dict(num_envs=2.0), "num_envs"),
    (PongVecEnv, dict(num_envs=2, max_episode_steps=-1), "max_episode_steps"),
    (PongVecEnv, dict(num_envs=2, seed=-1), "seed"),
    (lambda seed: PixelcopterEnv().reset(seed=seed), dict(seed="0"), "seed"),
    (lambda seed: PongEnv().reset(seed=seed), dict(seed=2**40), "seed"),
]


def _id(case) -> str:
    fn, kwargs, name = case
    return f"{getattr(fn, '__qualname__', fn)}-{name}"


@pytest.mark.parametrize("fn, kwargs, name", CASES, ids=[f"{i}-{_id(c)}" for i, c in enumerate(CASES)])
def test_a_bad_argument_gets_a_kit_error_naming_it(fn, kwargs, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # anything written by mistake lands in the test's own folder
    kwargs = kwargs() if callable(kwargs) else kwargs
    with pytest.raises(KitArgumentError) as info:
        fn(**kwargs)
    message = str(info.value)
    assert re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", message), message
    assert len(message) > len(name) + 30, message  # it also says what to pass
    assert not list(tmp_path.iterdir()), "nothing is written for an argument that cannot work"


def test_the_kit_error_is_still_a_value_error_and_a_type_error():
    """Code that caught the ValueError or TypeError these functions raised before still catches them."""
    for caught in (ValueError, TypeError):
        with pytest.raises(caught):
            qlearning.initialize_q_table("16", 4)


@pytest.mark.parametrize("call, words", [
    (lambda: qlearning.train(**train(n_training_episodes=0)()),
     "n_training_episodes=0: it counts episodes, so it must be a whole number of at least 1 (the course uses 10000)"),
    (lambda: qlearning.train(**train(gamma=1.5)()), "gamma=1.5: it must be a number from 0.0 to 1.0 (the course uses "
                                                    "0.95)"),
    (lambda: qlearning.train(**train(learning_rate=math.nan)()),
     "learning_rate=nan: it must be a number above 0.0 and at most 1.0 (the course uses 0.7)"),
    (lambda: qlearning.train(**train(decay_rate=math.inf)()), "decay_rate=inf: it must be a finite number"),
    (lambda: qlearning.evaluate_agent(**evaluate(max_steps=0)()), "max_steps=0: it counts steps"),
    (lambda: reinforce.train_batched(**batched(max_t=0)()), "max_t=0: it counts steps, so it must be a whole number "
                                                            "of at least 1 (the course uses 1000)"),
    (lambda: reinforce.reinforce(**loop(policy=None)()), "Policy(s_size, a_size, h_size)"),
    (lambda: qlearning.initialize_q_table(16, 0), "action_space=0: pass a whole number of at least 1."),
    (lambda: qlearning.evaluate_agent(**evaluate(Q=lambda: table(500, 6))()),
     "has 500 rows, but FrozenLake-v1 has 16 states (and 4 actions)"),
])
def test_the_messages_say_what_to_pass_with_the_course_value(call, words):
    with pytest.raises(KitArgumentError, match=re.escape(words)):
        call()


def test_good_arguments_still_train_and_evaluate():
    env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False)
    Q = qlearning.train(env=env, Qtable=np.zeros((16, 4)), seed=0, progress=False,
                        **(TRAIN | {"n_training_episodes": np.int64(300), "gamma": 1, "min_epsilon": 0}))
    mean, std = qlearning.evaluate_agent(env, np.int64(99), 3, Q, seed=np.arange(3))
    assert math.isfinite(mean) and math.isfinite(std)
