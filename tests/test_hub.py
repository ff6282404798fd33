"""helpers.hub, helpers.safe_pickle and helpers.runtime against a loopback Hub (tests/hub_double.py).

No test reaches the network: every call goes to a ``HubDouble`` on 127.0.0.1, through the real
huggingface_hub client (``endpoint=`` or ``HF_ENDPOINT``).
"""
from __future__ import annotations

import io
import json
import os
import pickle
import re
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import huggingface_hub  # noqa: E402
from huggingface_hub import constants, metadata_load  # noqa: E402

from helpers import defaults, hub, qlearning  # noqa: E402
from helpers.safe_pickle import RefusedPickleError, safe_loads  # noqa: E402
from hub_double import HubDouble, in_child, prepare_offline_hub_cache  # noqa: E402

USER = "learner"  # the user of the `double` fixture (conftest.py)
NO_TORCH = "torch is not installed (the platform runs in tests/platforms.sh have no CPU wheel for this Python)"


# ---- fixtures ------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def isolated_hf(tmp_path, monkeypatch):
    """No real token, no real cache, no real endpoint; exports land in tmp_path."""
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT", "KAGGLE_KERNEL_RUN_TYPE"):
        monkeypatch.delenv(var, raising=False)
    cache = tmp_path / "hf_cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no_token_here"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.chdir(tmp_path)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    yield cache
    reset = getattr(huggingface_hub.utils, "reset_sessions", None)
    if reset is not None:  # 0.x: drop sessions created while a test had flipped the offline flag
        reset()


@pytest.fixture(scope="module")
def taxi_model():
    # Fewer episodes than the course: the tests compare scores before/after the Hub, not the pass mark.
    config = defaults.TAXI.replace(n_training_episodes=3000)
    qtable, _ = qlearning.train_from_config(config, seed=0, progress=False)
    return hub.qlearning_model(config, qtable)


@pytest.fixture(scope="module")
def cartpole_policy():
    torch = pytest.importorskip("torch", reason=NO_TORCH)

    from helpers import reinforce

    torch.manual_seed(0)
    policy = reinforce.Policy(4, 2, 16)
    hyperparameters = {"h_size": 16, "n_training_episodes": 0, "n_evaluation_episodes": 5, "max_t": 100,
                       "gamma": 1.0, "lr": 1e-2, "env_id": "CartPole-v1", "state_space": 4, "action_space": 2}
    return policy, hyperparameters


def _card(files: dict) -> tuple[dict, str]:
    tmp = Path("card_readback.md")
    tmp.write_bytes(files["README.md"])
    return metadata_load(tmp), files["README.md"].decode()


def _hub_cache_files(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []


# ---- names and model dicts -------------------------------------------------------------------------------
@pytest.mark.parametrize("env_id, kwargs, name", [
    ("FrozenLake-v1", dict(map_name="4x4", is_slippery=False), "FrozenLake-v1-4x4-no_slippery"),
    ("FrozenLake-v1", dict(map_name="4x4", is_slippery=True), "FrozenLake-v1-4x4"),
    ("FrozenLake-v1", dict(map_name="8x8", is_slippery=False), "FrozenLake-v1-8x8-no_slippery"),
    ("FrozenLake-v1", dict(map_name="8x8", slippery=False), "FrozenLake-v1-8x8-no_slippery"),
    ("FrozenLake-v1", dict(desc=["SFF", "FHF", "FFG"], is_slippery=False), "FrozenLake-v1-3x3-no_slippery"),
    ("FrozenLake-v1", {}, "FrozenLake-v1-4x4"),
    ("Taxi-v3", {}, "Taxi-v3"), ("CartPole-v1", {}, "CartPole-v1"),
    ("Pixelcopter-PLE-v0", {}, "Pixelcopter-PLE-v0"),
])
def test_course_env_name(env_id, kwargs, name):
    assert hub.course_env_name(env_id, **kwargs) == name


def test_qlearning_model_has_course_keys_and_env_args(frozenlake_model):
    for key in hub.COURSE_MODEL_KEYS:
        assert key in frozenlake_model
    assert frozenlake_model["map_name"] == "4x4"
    assert frozenlake_model["is_slippery"] is False and frozenlake_model["slippery"] is False
    env = hub.make_env_from_model(frozenlake_model)
    assert env.spec.kwargs["is_slippery"] is False and env.spec.kwargs["map_name"] == "4x4"


def test_make_env_from_model_never_guesses_slipperiness(frozenlake_model):
    old_course = {k: frozenlake_model[k] for k in hub.COURSE_MODEL_KEYS} | {"map_name": "4x4", "slippery": False}
    assert hub.make_env_from_model(old_course).spec.kwargs["is_slippery"] is False
    silent = {k: frozenlake_model[k] for k in hub.COURSE_MODEL_KEYS}  # no map, no slipperiness
    with pytest.raises(hub.HubLoadError, match="is_slippery=False"):
        hub.make_env_from_model(silent)
    env = hub.make_env_from_model(silent, is_slippery=False)  # the caller decides; map from the 16 states
    assert env.spec.kwargs["is_slippery"] is False and env.spec.kwargs["map_name"] == "4x4"
    custom = silent | {"desc": ["SFFF", "FHFH", "FFFH", "HFFG"], "is_slippery": False}
    assert hub.course_env_name("FrozenLake-v1", **hub.env_kwargs_of(hub.make_env_from_model(custom))) == \
        "FrozenLake-v1-4x4-no_slippery"


# ---- round trips ------------------------------------------------------------------------------------------
def test_push_and_load_frozenlake(double, frozenlake_model, isolated_hf):
    env = defaults.FROZENLAKE.make_env()
    result = hub.push_to_hub(f"{USER}/q-FrozenLake-v1-4x4-noSlippery", frozenlake_model, env, video_fps=1,
                             endpoint=double.url, token=double.WRITE_TOKEN)
    repo = f"{USER}/q-FrozenLake-v1-4x4-noSlippery"
    assert result.pushed and result.url == f"{double.url}/{repo}"
    files = double.files(repo)
    assert set(files) == {"q-learning.pkl", "qtable.npy", "results.json", "README.md", "replay.mp4"}
    assert double.commit_count(repo) == 2  # the empty initial commit + exactly one upload
    assert not _hub_cache_files(isolated_hf), "push wrote into the Hub cache"

    metadata, text = _card(files)
    assert metadata["tags"] == ["FrozenLake-v1-4x4-no_slippery", "q-learning", "reinforcement-learning",
                                "custom-implementation"]
    first = metadata["model-index"][0]["results"][0]
    assert first["dataset"]["name"] == first["dataset"]["type"] == "FrozenLake-v1-4x4-no_slippery"
    assert first["metrics"][0]["type"] == "mean_reward"
    assert first["metrics"][0]["value"] == "1.00 +/- 0.00"
    assert metadata["model-index"][0]["name"] == "q-FrozenLake-v1-4x4-noSlippery"
    assert "FrozenLake-v1-4x4-no_slippery: 1.00 +/- 0.00 -> result 1.00" in text

    results = json.loads(files["results.json"])
    assert results["env_id"] == "FrozenLake-v1" and results["n_eval_episodes"] == 100
    assert results["mean_reward"] == 1.0 and results["std_reward"] == 0.0 and results["result"] == 1.0
    assert results["evaluation"] == {"policy": "greedy", "max_steps": 99, "seeds": None, "seeding": "none"}
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", results["eval_datetime"])

    loaded = hub.load_from_hub(repo, "q-learning.pkl", endpoint=double.url)
    np.testing.assert_array_equal(loaded["qtable"], frozenlake_model["qtable"])
    assert loaded["is_slippery"] is False and loaded["slippery"] is False
    assert hub.evaluate_model(loaded) == (1.0, 0.0)
    # The local export is the uploaded folder, file for file, plus the manifest of what the kit wrote there.
    assert {p.name: p.read_bytes() for p in result.folder.iterdir() if p.name != ".kit-export.json"} == files
    assert json.loads((result.folder / ".kit-export.json").read_text())["files"] == sorted(files)


def test_push_taxi_course_positional_call(double, taxi_model):
    env = defaults.TAXI.make_env()
    repo = f"{USER}/q-Taxi-v3"
    hub.push_to_hub(repo, taxi_model, env, 1, endpoint=double.url, token=double.WRITE_TOKEN)
    files = double.files(repo)
    results = json.loads(files["results.json"])
    assert results["evaluation"]["seeds"] == defaults.TAXI_EVAL_SEEDS
    mean, std = qlearning.evaluate_agent(env, 99, 100, taxi_model["qtable"], defaults.TAXI_EVAL_SEEDS)
    assert (results["mean_reward"], results["std_reward"]) == (mean, std)
    metadata, text = _card(files)
    assert metadata["tags"][0] == "Taxi-v3"
    assert metadata["model-index"][0]["results"][0]["metrics"][0]["value"] == f"{mean:.2f} +/- {std:.2f}"
    assert "Taxi-v3:" in text and ("PASS" in text or "FAIL" in text)
    loaded = hub.load_from_hub(repo, "q-learning.pkl", endpoint=double.url)
    assert hub.evaluate_model(loaded) == (mean, std)


def test_card_usage_snippet_runs_as_written(double, frozenlake_model, monkeypatch, capsys):
    repo = f"{USER}/q-fl-snippet"
    hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    text = double.files(repo)["README.md"].decode()
    assert "replay.mp4" not in text and "replay.mp4" not in double.files(repo)  # record=False: no video
    snippet = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    monkeypatch.setenv("HF_ENDPOINT", double.url)  # the snippet names no endpoint
    monkeypatch.setattr(huggingface_hub.constants, "HUGGINGFACE_CO_URL_TEMPLATE",  # nor does its NumPy part
                        double.url + "/{repo_id}/resolve/{revision}/{filename}")
    capsys.readouterr()
    exec(compile(snippet, "README.md", "exec"), {})
    assert capsys.readouterr().out.strip() == "1.00 +/- 0.00"


def test_push_and_load_policy(double, cartpole_policy, monkeypatch, capsys):
    torch = pytest.importorskip("torch", reason=NO_TORCH)

    from helpers import policies, reinforce
    from helpers.envs import make_env

    policy, hyperparameters = cartpole_policy
    repo = f"{USER}/Reinforce-CartPole-v1"
    eval_env = make_env("CartPole-v1")
    hub.push_to_hub(repo, policy, hyperparameters, eval_env, video_fps=30, endpoint=double.url,
                    token=double.WRITE_TOKEN, eval_seed=123)
    files = double.files(repo)
    assert set(files) == {"model.safetensors", "hyperparameters.json", "results.json", "README.md", "replay.mp4"}
    assert json.loads(files["hyperparameters.json"]) == hyperparameters
    metadata, text = _card(files)
    assert metadata["tags"] == ["CartPole-v1", "reinforce", "reinforcement-learning", "custom-implementation",
                                "deep-rl-class"]
    results = json.loads(files["results.json"])
    assert results["evaluation"]["policy"] == "greedy" and results["n_eval_episodes"] == 5
    assert not files["model.safetensors"].startswith(b"\x80") and b"PK" != files["model.safetensors"][:2]  # no pickle
    from safetensors.torch import load as load_tensors

    header = json.loads(files["model.safetensors"][8:8 + int.from_bytes(files["model.safetensors"][:8], "little")])
    architecture = json.loads(header["__metadata__"]["architecture"])
    assert architecture == {"activation": "relu", "s_size": 4, "a_size": 2, "h_size": 16}  # the exercise's Policy
    assert set(load_tensors(files["model.safetensors"])) == {"net.0.weight", "net.0.bias", "net.2.weight",
                                                              "net.2.bias", "obs_scale"}

    loaded = hub.load_from_hub(repo, "model.safetensors", endpoint=double.url)
    assert isinstance(loaded, policies.PolicyNetwork) and loaded.architecture == {"s_size": 4, "a_size": 2, "h_size": 16}
    x = torch.randn(8, 4)
    assert torch.allclose(loaded(x), policy(x), atol=1e-6)  # the same probabilities as the pushed policy
    assert results["evaluation"]["seeds"] == [123]
    again = reinforce.evaluate_agent(make_env("CartPole-v1"), 100, 5, loaded, greedy=True, seed=123)
    assert again == pytest.approx((results["mean_reward"], results["std_reward"]))
    snippet = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert "reinforce.evaluate_agent(env, 100, 5, policy, greedy=True, seed=123)" in snippet
    import huggingface_hub.constants

    monkeypatch.setenv("HF_ENDPOINT", double.url)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", double.url)  # the plain part names no endpoint either
    capsys.readouterr()
    namespace = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    assert capsys.readouterr().out.strip() == f"{results['mean_reward']:.2f} +/- {results['std_reward']:.2f}"
    # the card's plain PyTorch + safetensors lines compute the pushed policy's probabilities
    assert torch.allclose(namespace["action_probabilities"](x), policy(x), atol=1e-6)


@pytest.mark.parametrize("activation", ["tanh", "elu", "leaky_relu"])
def test_two_hidden_layer_policies_with_any_course_activation_are_pushed(activation, tmp_path):
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    import torch.nn.functional as F

    from helpers import policies
    from helpers.envs import make_env

    class TwoLayer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2, self.fc3 = torch.nn.Linear(4, 8), torch.nn.Linear(8, 8), torch.nn.Linear(8, 2)

        def forward(self, x):
            act = getattr(F, activation)
            return F.softmax(self.fc3(act(self.fc2(act(self.fc1(x))))), dim=-1)

        def act(self, state):
            probs = self.forward(torch.as_tensor(state, dtype=torch.float32).unsqueeze(0))
            action = torch.distributions.Categorical(probs).sample()
            return action.item(), None

    torch.manual_seed(0)
    policy = TwoLayer()
    result = hub.push_to_hub(f"{USER}/Reinforce-CartPole-{activation}", policy, {"env_id": "CartPole-v1", "max_t": 50,
                             "n_evaluation_episodes": 2}, make_env("CartPole-v1"), local_dir=tmp_path / "out", record=False)
    loaded = hub.load_model_file(result.folder / "model.safetensors")
    assert loaded.architecture == {"s_size": 4, "a_size": 2, "h_size": [8, 8], "activation": activation}
    x = torch.randn(16, 4) * 3
    assert torch.allclose(loaded(x), policy(x), atol=1e-6)
    with pytest.raises(ValueError, match="computes something else"):  # an activation with its own arguments
        policies.export_network(torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ELU(alpha=0.3),
                                                    torch.nn.Linear(8, 2), torch.nn.Softmax(-1)))


def test_pixelcopter_policy_dry_run(tmp_path):
    torch = pytest.importorskip("torch", reason=NO_TORCH)

    from helpers import policies, reinforce
    from helpers.envs import make_env

    torch.manual_seed(0)
    policy = policies.with_inputs(reinforce.PixelcopterPolicy(7, 2, 16), obs_scale=[8, 0.5, 4, 4, 16, 8, 8],
                                   obs_features="pixelcopter-relative")
    hyperparameters = {"env_id": "Pixelcopter-PLE-v0", "max_t": 200, "n_evaluation_episodes": 3, "h_size": 16}
    result = hub.push_to_hub(f"{USER}/Reinforce-Pixelcopter-PLE-v0", policy, hyperparameters,
                             make_env("Pixelcopter-PLE-v0"), video_fps=30, local_dir=tmp_path / "pc", eval_seed=0)
    names = sorted(p.name for p in result.folder.iterdir())
    assert names == [".kit-export.json", "README.md", "hyperparameters.json", "model.safetensors", "replay.mp4",
                     "results.json"]
    metadata = metadata_load(result.folder / "README.md")
    assert metadata["tags"] == ["Pixelcopter-PLE-v0", "reinforce", "reinforcement-learning",
                                "custom-implementation", "deep-rl-class"]
    results = json.loads((result.folder / "results.json").read_text())
    assert results["pass_mark"] == 5.0 and results["passed"] is (results["result"] >= 5.0)
    loaded = hub.load_model_file(result.folder / "model.safetensors")
    assert loaded.architecture == policies.export_network(policy).architecture  # the transform travels, by name
    assert loaded.architecture["obs_features"] == "pixelcopter-relative"
    greedy = results["evaluation"]["policy"] == "greedy"
    again = reinforce.evaluate_agent(make_env("Pixelcopter-PLE-v0"), 200, 3, loaded, greedy=greedy, seed=0)
    assert again == pytest.approx((results["mean_reward"], results["std_reward"]))


# ---- dry run, tokens, faults ------------------------------------------------------------------------------
def test_dry_run_makes_no_network_call(double, frozenlake_model, tmp_path):
    out = tmp_path / "see_my_card"
    result = hub.push_to_hub(f"{USER}/q-dry", frozenlake_model, local_dir=out, endpoint=double.url)
    assert not result.pushed and result.folder == out
    assert sorted(p.name for p in out.iterdir()) == [".kit-export.json", "README.md", "q-learning.pkl", "qtable.npy",
                                                     "replay.mp4", "results.json"]
    result = hub.push_to_hub(f"{USER}/q-dry", frozenlake_model, dry_run=True, endpoint=double.url, record=False)
    assert result.folder == Path("hub_exports/q-dry") and "README.md" in result.files
    assert double.requests == []


def _assert_saved_then_retry(err, double, repo):
    folder = err.folder
    assert folder is not None and (folder / "q-learning.pkl").exists() and (folder / "README.md").exists()
    assert str(folder) in str(err) and "retry_push(" in str(err)
    assert repo not in double.repos or "q-learning.pkl" not in double.files(repo)
    url = hub.retry_push(folder, repo, endpoint=double.url, token=double.WRITE_TOKEN)
    assert url.endswith(repo) and "q-learning.pkl" in double.files(repo)


def test_no_token_says_how_to_log_in(double, frozenlake_model):
    repo = f"{USER}/q-no-token"
    with pytest.raises(hub.HubPushError) as info:
        hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, record=False)
    message = str(info.value)
    assert "not logged in" in message and "WRITE" in message and "huggingface.co/settings/tokens" in message
    assert double.requests == []
    _assert_saved_then_retry(info.value, double, repo)


@pytest.mark.parametrize("token, status, words", [
    ("hf_not_a_real_token", 401, ["401", "WRITE", "settings/tokens"]),
    (HubDouble.READ_TOKEN, 403, ["403", "'read' token", "WRITE", "settings/tokens"]),
])
def test_bad_token_gives_clear_error_and_keeps_model(double, frozenlake_model, token, status, words):
    repo = f"{USER}/q-bad-token"
    with pytest.raises(hub.HubPushError) as info:
        hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, token=token, record=False)
    assert info.value.status == status and info.value.__cause__ is None  # the message, not a traceback chain
    for word in words:
        assert word in str(info.value)
    _assert_saved_then_retry(info.value, double, repo)


def test_403_when_writing_to_someone_elses_namespace(double, frozenlake_model):
    with pytest.raises(hub.HubPushError, match="'ThomasSimonini' is your username"):
        hub.push_to_hub("ThomasSimonini/q-mine", frozenlake_model, endpoint=double.url,
                        token=double.WRITE_TOKEN, record=False)


def test_server_error_during_upload(double, frozenlake_model, monkeypatch):
    import huggingface_hub.utils._http as http

    monkeypatch.setattr(http.time, "sleep", lambda seconds: None)  # the client's retries, without the waits
    repo = f"{USER}/q-500"
    double.fail("POST", r"/commit/", 500, times=50)
    with pytest.raises(hub.HubPushError) as info:
        hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    assert info.value.status == 500 and "not your fault" in str(info.value)
    assert double.commit_count(repo) == 1  # created, but nothing committed
    double.fail("POST", r"/commit/", 500, times=0)
    double._faults.clear()
    _assert_saved_then_retry(info.value, double, repo)


def _set_offline(monkeypatch, value: bool) -> None:
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", value)
    reset = getattr(huggingface_hub.utils, "reset_sessions", None)
    if reset is not None:  # 0.x reads the flag when it creates its (cached) HTTP session
        reset()


def test_offline_push_and_load(double, frozenlake_model, monkeypatch):
    _set_offline(monkeypatch, True)
    repo = f"{USER}/q-offline"
    with pytest.raises(hub.HubPushError, match="HF_HUB_OFFLINE") as info:
        hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    with pytest.raises(hub.HubLoadError, match="not in the local Hub cache"):
        hub.load_from_hub(repo, "q-learning.pkl", endpoint=double.url)
    assert double.requests == []
    _set_offline(monkeypatch, False)
    _assert_saved_then_retry(info.value, double, repo)


def test_unreachable_hub(frozenlake_model):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(hub.HubPushError, match="Could not reach the Hub") as info:
        hub.push_to_hub(f"{USER}/q-unreachable", frozenlake_model, endpoint=f"http://127.0.0.1:{port}",
                        token=HubDouble.WRITE_TOKEN, record=False)
    assert (info.value.folder / "q-learning.pkl").exists()


def test_library_offline_error_is_translated(double, frozenlake_model, monkeypatch):
    # If the flag flips after our own check, the library's OfflineModeIsEnabled still becomes a HubPushError.
    monkeypatch.setattr(hub.client, "offline", lambda: False)
    _set_offline(monkeypatch, True)
    with pytest.raises(hub.HubPushError, match="Offline mode is on"):
        hub.push_to_hub(f"{USER}/q-offline2", frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN,
                        record=False)


def test_kaggle_secret_becomes_the_token(double, frozenlake_model, monkeypatch):
    secrets = types.ModuleType("kaggle_secrets")

    class UserSecretsClient:
        def get_secret(self, name):
            assert name == "HF_TOKEN"
            return HubDouble.WRITE_TOKEN

    secrets.UserSecretsClient = UserSecretsClient
    monkeypatch.setitem(sys.modules, "kaggle_secrets", secrets)
    monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
    result = hub.push_to_hub(f"{USER}/q-kaggle", frozenlake_model, endpoint=double.url, record=False)
    assert result.pushed and os.environ["HF_TOKEN"] == HubDouble.WRITE_TOKEN


def test_no_token_hint_on_kaggle_names_secrets(monkeypatch):
    from helpers import runtime

    monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
    monkeypatch.delitem(sys.modules, "kaggle_secrets", raising=False)
    assert runtime.platform_name() == "kaggle" and not runtime.load_kaggle_token()
    assert "Add-ons > Secrets" in runtime.login_hint()


def test_virtual_display_only_when_needed(monkeypatch):
    from helpers import runtime

    monkeypatch.setenv("DISPLAY", ":0")
    assert runtime.start_virtual_display() is None  # a display exists: nothing to start
    monkeypatch.delenv("DISPLAY")
    monkeypatch.setattr(runtime.shutil, "which", lambda name: None)
    if sys.platform == "linux":
        with pytest.raises(RuntimeError, match="apt-get install -y xvfb"):
            runtime.start_virtual_display()


@pytest.mark.parametrize("bad", ["q-Taxi-v3", "a/b/c", "", "user/", "/name", "my user/q", "user/q taxi",
                                 "user/../x", None, "https://huggingface.co/user/q", "user/x\n", "user/x\r\n"])
def test_wrong_repo_ids_rejected_before_network(double, frozenlake_model, bad):
    with pytest.raises(hub.InvalidRepoIdError, match="username/repo-name"):
        hub.push_to_hub(bad, frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    with pytest.raises(hub.InvalidRepoIdError):
        hub.load_from_hub(bad, "q-learning.pkl", endpoint=double.url)
    assert double.requests == [] and not Path("hub_exports").exists()


def test_existing_card_text_and_files_kept(double, frozenlake_model):
    repo = f"{USER}/q-existing"
    readme = ("---\nlicense: mit\ntags:\n- my-own-tag\n---\n\n# My FrozenLake agent\n\nWritten by hand, "
              "keep me.\n").encode()
    double.add_repo(repo, {"README.md": readme, "notes.txt": b"mine"})
    hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    files = double.files(repo)
    assert files["notes.txt"] == b"mine"
    metadata, text = _card(files)
    assert "Written by hand, keep me." in text and "# My FrozenLake agent" in text
    assert metadata["license"] == "mit"
    assert metadata["tags"][:4] == ["FrozenLake-v1-4x4-no_slippery", "q-learning", "reinforcement-learning",
                                    "custom-implementation"] and "my-own-tag" in metadata["tags"]
    assert metadata["model-index"][0]["results"][0]["metrics"][0]["value"] == "1.00 +/- 0.00"


def test_repush_refreshes_the_kit_results_section(double, frozenlake_model):
    repo = f"{USER}/q-repush"
    hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    files = dict(double.files(repo))
    edited = files["README.md"].replace(b"## Usage", b"My notes stay.\n\n## Usage")
    double.add_repo(repo, {"README.md": edited})
    always_left = np.zeros_like(frozenlake_model["qtable"])
    always_left[:, 0] = 1.0  # never reaches the goal: scores 0.00 +/- 0.00
    worse = dict(frozenlake_model, qtable=always_left)
    hub.push_to_hub(repo, worse, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    metadata, text = _card(double.files(repo))
    assert "My notes stay." in text and text.count("<!-- kit:results -->") == 1
    assert "0.00 +/- 0.00" in text and "1.00 +/- 0.00" not in text
    assert metadata["model-index"][0]["results"][0]["metrics"][0]["value"] == "0.00 +/- 0.00"


# ---- loading safely -------------------------------------------------------------------------------------
class _Payload:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _malicious_pickle(name: str, marker: Path) -> bytes:
    import builtins
    import subprocess

    course = {"env_id": "Taxi-v3", "max_steps": 99, "qtable": np.zeros((2, 2))}
    payloads = {  # (object, protocol); the first hides inside an otherwise normal course dict
        "os.system": (dict(course, x=_Payload(os.system, f"touch {marker}")), 4),
        "builtins.open": (_Payload(builtins.open, str(marker), "w"), 4),
        "builtins.exec": (_Payload(builtins.exec, f"open({str(marker)!r}, 'w')"), 2),
        "subprocess.Popen": (_Payload(subprocess.Popen, ["touch", str(marker)]), 5),
        "builtins.eval": (_Payload(builtins.eval, f"open({str(marker)!r}, 'w')"), 0),
    }
    obj, protocol = payloads[name]
    return pickle.dumps(obj, protocol=protocol)


@pytest.mark.parametrize("name", ["os.system", "builtins.open", "builtins.exec", "subprocess.Popen",
                                  "builtins.eval"])
def test_malicious_pickle_refused_and_runs_nothing(double, tmp_path, name):
    marker = tmp_path / "pwned"
    payload = _malicious_pickle(name, marker)
    repo = f"{USER}/q-evil"
    double.add_repo(repo, {"q-learning.pkl": payload})
    with pytest.raises(RefusedPickleError) as info:
        hub.load_from_hub(repo, "q-learning.pkl", endpoint=double.url)
    # The refused name as the file spells it (protocols <= 2 use Python 2 module names).
    import builtins

    # open lives in io up to Python 3.11 and in _io from 3.12: the name is the one pickle wrote.
    expected = {"os.system": f"{os.system.__module__}.system", "builtins.open": f"{builtins.open.__module__}.open",
                "builtins.exec": "__builtin__.exec", "builtins.eval": "__builtin__.eval"}.get(name, name)
    assert info.value.name == expected and expected in str(info.value) and "nothing from it was run" in str(info.value)
    assert not marker.exists()


def test_whole_module_torch_file_refused(double, tmp_path):
    torch = pytest.importorskip("torch", reason=NO_TORCH)

    marker = tmp_path / "pwned"
    buffer = io.BytesIO()
    torch.save({"model": _Payload(os.system, f"touch {marker}")}, buffer)
    double.add_repo(f"{USER}/evil-pt", {"model.pt": buffer.getvalue()})
    double.clear_requests()
    with pytest.raises(hub.HubLoadError, match="saved the whole module .* weights_only=False") as info:
        hub.load_from_hub(f"{USER}/evil-pt", "model.pt", endpoint=double.url)
    assert "model.safetensors" in str(info.value)
    assert not marker.exists() and not double.requests  # refused before any download


def _numpy1_pickle(obj, protocol: int) -> bytes:
    """Pickle ``obj`` as NumPy 1.x did: module paths ``numpy.core...`` instead of ``numpy._core...``.

    ``pickle``'s pure-Python pickler looks module names up with ``whichmodule``; renaming there gives a
    valid, correctly framed stream (``numpy.core`` still resolves on NumPy 2, so pickle's check passes).
    """
    import warnings

    real = pickle.whichmodule

    def numpy1_name(func, name):
        return real(func, name).replace("numpy._core", "numpy.core")

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # NumPy 2 warns when numpy.core is imported
        pickle.whichmodule = numpy1_name
        try:
            pickle._Pickler(buffer, protocol=protocol).dump(obj)
        finally:
            pickle.whichmodule = real
    return buffer.getvalue()


@pytest.mark.parametrize("protocol", [4, 5])
def test_old_course_models_load_unchanged(double, protocol):
    # A model as the course pushed it (its dict, its 'slippery' key), pickled by NumPy 1.x.
    qtable = np.random.default_rng(0).random((16, 4))
    qtable[:, 0] += 1  # a clear best action everywhere
    course = {"env_id": "FrozenLake-v1", "max_steps": 99, "n_training_episodes": 10000, "n_eval_episodes": 100,
              "eval_seed": [], "learning_rate": 0.7, "gamma": 0.95, "max_epsilon": 1.0, "min_epsilon": 0.05,
              "decay_rate": 0.0005, "qtable": qtable, "map_name": "4x4", "slippery": False,
              "a_numpy_float": np.float64(0.7)}
    data = _numpy1_pickle(course, protocol)
    assert b"numpy.core." in data and b"numpy._core" not in data
    double.add_repo("ThomasSimonini/q-FrozenLake-v1-no-slippery", {"q-learning.pkl": data})
    loaded = hub.load_from_hub("ThomasSimonini/q-FrozenLake-v1-no-slippery", "q-learning.pkl", endpoint=double.url)
    np.testing.assert_array_equal(loaded["qtable"], qtable)
    assert loaded["a_numpy_float"] == 0.7 and loaded["slippery"] is False
    env = hub.make_env_from_model(loaded)
    assert env.spec.kwargs["is_slippery"] is False
    assert hub.evaluate_model(loaded, env) == (0.0, 0.0)  # always "left": never reaches the goal
    assert safe_loads(data)["max_steps"] == 99


def test_load_errors_are_clear(double, frozenlake_model):
    with pytest.raises(hub.HubLoadError, match="no model repo"):
        hub.load_from_hub(f"{USER}/does-not-exist", "q-learning.pkl", endpoint=double.url)
    hub.push_to_hub(f"{USER}/q-there", frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    with pytest.raises(hub.HubLoadError, match="has no file 'q_learning.pkl'"):
        hub.load_from_hub(f"{USER}/q-there", "q_learning.pkl", endpoint=double.url)
    with pytest.raises(hub.HubLoadError, match="Don't know how to load"):
        hub.load_model_file(Path("results.txt"))


def test_list_models_by_tag(double, frozenlake_model):
    hub.push_to_hub(f"{USER}/q-listed", frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    api = huggingface_hub.HfApi(endpoint=double.url)
    found = [m.id for m in api.list_models(filter=["q-learning", "FrozenLake-v1-4x4-no_slippery"], limit=10)]
    assert found == [f"{USER}/q-listed"]


def test_prepare_offline_hub_cache(tmp_path, monkeypatch):
    start = time.perf_counter()
    hf_home = tmp_path / "hf_home"
    cache = hf_home / "hub"
    env = prepare_offline_hub_cache(hf_home, n_taxi_episodes=3000)
    assert env == {"HF_HOME": str(hf_home), "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1",
                   "HF_HUB_DISABLE_TELEMETRY": "1"}
    for repo in ("ThomasSimonini/q-Taxi-v3", "ThomasSimonini/q-FrozenLake-v1-no-slippery"):
        folder = cache / f"models--{repo.replace('/', '--')}"
        commit = (folder / "refs" / "main").read_text().strip()
        assert re.fullmatch(r"[0-9a-f]{40}", commit)
        assert (folder / "snapshots" / commit / "q-learning.pkl").exists()
    _set_offline(monkeypatch, True)
    model = hub.load_from_hub("ThomasSimonini/q-FrozenLake-v1-no-slippery", "q-learning.pkl", cache_dir=cache)
    assert hub.evaluate_model(model) == (1.0, 0.0)
    taxi = hub.load_from_hub("ThomasSimonini/q-Taxi-v3", "q-learning.pkl", cache_dir=cache)
    assert taxi["eval_seed"] == defaults.TAXI_EVAL_SEEDS
    again = time.perf_counter()
    prepare_offline_hub_cache(hf_home)  # already there: nothing to do
    assert time.perf_counter() - again < 1.0, time.perf_counter() - start


# ---- pushes never lose a card (issue 15) -----------------------------------------------------------------------
HAND_CARD = b"---\nlicense: mit\ntags:\n- mine\n---\n\n# My hand-written card\n\nkeep me\n"


@pytest.mark.parametrize("status", [500, 503, 429, 403])
def test_card_fetch_failure_stops_the_push_and_keeps_the_card(double, frozenlake_model, monkeypatch, status):
    import huggingface_hub.utils._http as http

    monkeypatch.setattr(http.time, "sleep", lambda seconds: None)  # the client's retries, without the waits
    repo = f"{USER}/q-card-{status}"
    double.add_repo(repo, {"README.md": HAND_CARD})
    commits = double.commit_count(repo)
    double.fail("*", r"/resolve/[^/]+/README\.md$", status, times=100)
    with pytest.raises(hub.HubPushError) as info:
        hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    message = str(info.value)
    assert info.value.status == status and f"the Hub answered {status}" in message
    assert "stopped before uploading anything" in message and "is intact" in message and "retry_push(" in message
    assert double.files(repo)["README.md"] == HAND_CARD and double.commit_count(repo) == commits
    assert (info.value.folder / "q-learning.pkl").exists()
    double._faults.clear()
    hub.retry_push(info.value.folder, repo, endpoint=double.url, token=double.WRITE_TOKEN)
    metadata, text = _card(double.files(repo))
    assert "keep me" in text and "mine" in metadata["tags"] and metadata["license"] == "mit"


def test_a_generic_404_on_the_card_is_not_taken_as_no_card(double, frozenlake_model):
    # Only the Hub's own "entry not found" (404 with its error code) means "no card yet".
    repo = f"{USER}/q-card-404"
    double.add_repo(repo, {"README.md": HAND_CARD})
    double.fail("*", r"/resolve/[^/]+/README\.md$", 404, times=100, message="proxy says no")
    with pytest.raises(hub.HubPushError, match="is intact"):
        hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    assert double.files(repo)["README.md"] == HAND_CARD


def test_remote_card_with_broken_yaml_is_repaired_not_blocking(double, frozenlake_model, capsys):
    repo = f"{USER}/q-card-yaml"
    broken = b"---\ntags: [unclosed\nlicense: : mit\n---\n\n# My hand-written card\n\nkeep me\n"
    double.add_repo(repo, {"README.md": broken})
    hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    metadata, text = _card(double.files(repo))
    assert "keep me" in text and "# My hand-written card" in text and "[unclosed" not in text
    assert metadata["tags"][0] == "FrozenLake-v1-4x4-no_slippery"
    assert metadata["model-index"][0]["results"][0]["metrics"][0]["value"] == "1.00 +/- 0.00"
    assert "cannot be read" in capsys.readouterr().out


def test_the_verdict_after_a_push_is_read_back_from_the_hub(double, frozenlake_model, capsys):
    from helpers.hub.progress import checker_verdict

    repo = f"{USER}/q-verdict"
    hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    out = capsys.readouterr().out.splitlines()
    uploaded = double.files(repo)["README.md"].decode()
    sha = double.repos[repo].head[0]
    assert out[-1] == checker_verdict(uploaded) and out[-2].startswith("Pushed to ")
    assert ("GET", f"/{repo}/resolve/{sha}/README.md") in double.requests   # read back at the new commit
    double.fail("GET", rf"/resolve/{'[0-9a-f]' * 40}/README\.md$", 500, times=5)
    hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    assert capsys.readouterr().out.splitlines()[-1].startswith(
        "Course checker: the uploaded card could not be read back from the Hub (HTTPStatus: ")


def test_a_repush_of_another_env_replaces_the_env_tags_and_keeps_the_prose(double, frozenlake_model, capsys):
    repo = f"{USER}/q-FrozenLake"
    slippery8 = hub.qlearning_model(defaults.FROZENLAKE.replace(env_kwargs=dict(map_name="8x8", is_slippery=True)),
                                    np.zeros((64, 4)))
    hub.push_to_hub(repo, slippery8, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    first = double.files(repo)["README.md"].replace(b"## Usage", b"My own notes stay.\n\n## Usage")
    first = first.replace(b"- custom-implementation", b"- custom-implementation\n- my-own-tag")
    double.add_repo(repo, {"README.md": first})
    assert b"FrozenLake-v1-8x8" in first
    hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    metadata, text = _card(double.files(repo))
    assert metadata["tags"] == ["FrozenLake-v1-4x4-no_slippery", "q-learning", "reinforcement-learning",
                                "custom-implementation", "my-own-tag"]
    dataset = metadata["model-index"][0]["results"][0]["dataset"]
    assert dataset["name"] == "FrozenLake-v1-4x4-no_slippery" and "8x8" not in str(metadata)
    assert "My own notes stay." in text
    assert "no course assignment uses FrozenLake-v1-4x4-no_slippery" in capsys.readouterr().out.splitlines()[-1]


@pytest.mark.parametrize("declare", ["Content-Length", "none"])
def test_a_2_gb_model_file_is_refused_before_it_is_downloaded(double, declare):
    repo = f"{USER}/q-huge"
    double.add_repo(repo, {"README.md": HAND_CARD})
    double.serve_body(r"/q-huge/resolve/main/q-learning\.pkl$", 2 * 2 ** 30, method="*",
                      declare_length=declare != "none")
    result = in_child(f"""
from helpers.hub import HubLoadError, load_from_hub
try:
    load_from_hub({repo!r}, "q-learning.pkl", endpoint={double.url!r})
    RESULT = dict(error=None)
except HubLoadError as err:
    RESULT = dict(error=str(err))
""", 10)
    assert result["wall_s"] < 10 and result["rss_mb"] < 1024, result
    refusal = (f"The Hub did not say how large q-learning.pkl in {repo} is, so the kit did not download it"
               if declare == "none" else f"q-learning.pkl in {repo} is 2,147,483,648 bytes, more than the "
                                         "16,777,216 bytes the kit downloads")
    assert result["error"].startswith(refusal), result
    assert ("GET", f"/{repo}/resolve/main/q-learning.pkl") not in double.requests   # only its HEAD


def test_a_body_longer_than_the_stated_size_is_cut_off_as_it_streams(double, tmp_path):
    # The HEAD states 1,000 bytes; the GET then streams 2 GB without a Content-Length.
    repo = f"{USER}/q-liar"
    double.add_repo(repo, {"README.md": HAND_CARD, "q-learning.pkl": b"x" * 1000})
    double.serve_body(r"/q-liar/resolve/main/q-learning\.pkl$", 2 * 2 ** 30, method="GET", declare_length=False)
    result = in_child(f"""
from helpers.hub import HubLoadError, load_from_hub
try:
    load_from_hub({repo!r}, "q-learning.pkl", endpoint={double.url!r}, cache_dir={str(tmp_path / 'cache')!r})
    RESULT = dict(error=None)
except HubLoadError as err:
    RESULT = dict(error=str(err))
""", 10)
    assert result["wall_s"] < 10 and result["rss_mb"] < 1024, result
    assert result["error"] and "more than the 16,777,216 bytes the kit downloads" in result["error"], result


def test_a_huge_existing_card_stops_the_push_unread(double, frozenlake_model, tmp_path):
    repo = f"{USER}/q-huge-card"
    double.add_repo(repo, {"README.md": HAND_CARD})
    double.serve_body(rf"/{repo}/resolve/main/README\.md$", 1200 * 2 ** 20)
    folder = hub.push_to_hub(repo, frozenlake_model, local_dir=tmp_path / "out", record=False).folder
    result = in_child(f"""
from helpers.hub import HubPushError, retry_push
try:
    retry_push({str(folder)!r}, {repo!r}, endpoint={double.url!r}, token={double.WRITE_TOKEN!r})
    RESULT = dict(error=None)
except HubPushError as err:
    RESULT = dict(error=str(err))
""", 10)
    assert result["wall_s"] < 10 and result["rss_mb"] < 1024, result
    assert "(it is larger than 512 KB, more than the kit reads)" in result["error"] and "is intact" in result["error"]
    assert double.files(repo)["README.md"] == HAND_CARD


def test_one_function_says_what_a_hub_error_means():
    from huggingface_hub import errors

    from helpers.hub.client import HTTPStatus, OutOfTime, classify

    cases = [(HTTPStatus(503), "busy"), (HTTPStatus(429), "busy"), (HTTPStatus(401), "denied"),
             (HTTPStatus(403), "forbidden"), (HTTPStatus(404), "no-repo"), (HTTPStatus(418), "http"),
             (errors.OfflineModeIsEnabled("off"), "offline-mode"), (ConnectionError("down"), "unreachable"),
             (OutOfTime(), "unreachable"), (errors.LocalEntryNotFoundError("not cached"), "unreachable"),
             (ValueError("odd"), "other")]
    assert [classify(err)[0] for err, _ in cases] == [kind for _, kind in cases]


def test_one_http_stack_and_one_offline_test():
    # Only the client speaks HTTP by hand and reads the offline flag; the rest of helpers/ asks it.
    paths = sorted((Path(__file__).resolve().parent.parent / "helpers").rglob("*.py"))
    assert any(p.name == "client.py" for p in paths)
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if path.name != "client.py":
            assert not any(word in text for word in ("http.client", "is_offline_mode", "HF_HUB_OFFLINE\")",
                                                     "constants.HF_HUB_OFFLINE")), path


# ---- local_dir never clobbers (issue 15) -------------------------------------------------------------------------
def test_local_dir_with_files_the_kit_did_not_write_is_refused(frozenlake_model, tmp_path):
    out = tmp_path / "my_folder"
    out.mkdir()
    (out / "README.md").write_text("my own notes")
    with pytest.raises(hub.HubPushError, match="already holds README.md.*will not overwrite"):
        hub.push_to_hub(f"{USER}/q-dir", frozenlake_model, local_dir=out, record=False)
    assert (out / "README.md").read_text() == "my own notes" and sorted(p.name for p in out.iterdir()) == ["README.md"]


def test_local_dir_new_empty_or_earlier_export_is_written(frozenlake_model, tmp_path):
    new = tmp_path / "new"
    hub.push_to_hub(f"{USER}/q-dir", frozenlake_model, local_dir=new, record=False)
    hub.push_to_hub(f"{USER}/q-dir", frozenlake_model, local_dir=new, record=False)  # its own earlier export
    assert json.loads((new / ".kit-export.json").read_text())["files"] == ["README.md", "q-learning.pkl",
                                                                          "qtable.npy", "results.json"]
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("mine")
    hub.push_to_hub(f"{USER}/q-dir", frozenlake_model, local_dir=empty, record=False)
    assert (empty / "notes.txt").read_text() == "mine" and (empty / "q-learning.pkl").exists()
    (new / "replay.mp4").write_bytes(b"my own video")  # not in the manifest: a push with a video must not replace it
    with pytest.raises(hub.HubPushError, match="replay.mp4"):
        hub.push_to_hub(f"{USER}/q-dir", frozenlake_model, local_dir=new)
    assert (new / "replay.mp4").read_bytes() == b"my own video"


def test_retry_push_sends_only_kit_exports_and_their_listed_files(double, frozenlake_model, tmp_path):
    repo = f"{USER}/q-retry"
    hand = tmp_path / "hand"
    hand.mkdir()
    (hand / "README.md").write_text("---\ntags:\n- x\n---\nmine\n")
    (hand / "q-learning.pkl").write_bytes(b"not a model")
    with pytest.raises(hub.HubPushError, match=r"holds no \.kit-export\.json"):
        hub.retry_push(hand, repo, endpoint=double.url, token=double.WRITE_TOKEN)
    assert double.requests == []
    export = tmp_path / "export"
    hub.push_to_hub(repo, frozenlake_model, local_dir=export, record=False)
    (export / "replay.mp4").write_bytes(b"dropped here later")  # a kit file name, but not written by the kit
    (export / "notes.txt").write_text("private")
    (export / "results.json").unlink()  # listed but gone: skipped
    hub.retry_push(export, repo, endpoint=double.url, token=double.WRITE_TOKEN)
    assert set(double.files(repo)) == {"README.md", "q-learning.pkl", "qtable.npy"}


def test_check_repo_id_refuses_a_final_newline():
    assert hub.check_repo_id("user/x") == "user/x"
    for bad in ("user/x\n", "user/x\r\n", "\nuser/x"):
        with pytest.raises(hub.InvalidRepoIdError):
            hub.check_repo_id(bad)


# ---- downloaded model data does not choose code paths (issue 15) ---------------------------------------------------
def test_env_id_from_a_file_never_imports_a_module(frozenlake_model, tmp_path, monkeypatch):
    (tmp_path / "kit_evil_env.py").write_text(
        "import pathlib\npathlib.Path(__file__).with_name('imported').write_text('ran')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    model = dict(frozenlake_model, env_id="kit_evil_env:FrozenLake-v1")
    with pytest.raises(hub.HubLoadError, match="never accepted from a model file"):
        hub.make_env_from_model(model)
    with pytest.raises(hub.HubLoadError, match="not one of the course's"):
        hub.evaluate_model(model)
    with pytest.raises(hub.HubLoadError, match="not one of the course's"):
        hub.make_env_from_model(dict(frozenlake_model, env_id="NoSuchEnv-v9"))
    assert not (tmp_path / "imported").exists()


@pytest.mark.parametrize("change, words", [
    ({"env_kwargs": {"render_mode": "human"}}, "render_mode='human'"),
    ({"env_kwargs": {"success_rate": 0.0}}, "success_rate=0.0"),
    ({"map_name": "16x16"}, "map_name='16x16'"),
    ({"desc": ["SFFX", "FHFH", "FFFH", "HFFG"]}, "desc=['SFFX'"),
    ({"desc": ["S" + "F" * 99] * 100}, "desc=['SFFF"),
    ({"desc": "SFFFFHFHFFFHHFFG"}, "desc='SFFF"),
    ({"is_slippery": "no"}, "is_slippery as the string 'no'"),
    ({"env_kwargs": "render_mode=human"}, "not a dict of named arguments"),
])
def test_env_arguments_from_a_file_are_limited(frozenlake_model, change, words):
    with pytest.raises(hub.HubLoadError, match=re.escape(words)):
        hub.make_env_from_model(dict(frozenlake_model) | change)


def test_env_arguments_from_the_caller_are_trusted(frozenlake_model, taxi_model):
    model = dict(frozenlake_model, env_kwargs={"render_mode": "human"})
    env = hub.make_env_from_model(model, render_mode="rgb_array")
    assert env.render_mode == "rgb_array"
    assert hub.make_env_from_model(dict(frozenlake_model, map_name="16x16"), map_name="4x4").spec.kwargs["map_name"] \
        == "4x4"
    with pytest.raises(hub.HubLoadError, match="rainy_probability=0.0"):
        hub.make_env_from_model(dict(taxi_model, env_kwargs={"rainy_probability": 0.0}))


@pytest.mark.parametrize("key, value, words", [
    ("max_steps", 10**9, "max_steps must be a whole number from 1 to 100,000"),
    ("max_steps", 99.5, "max_steps must be a whole number"),
    ("n_eval_episodes", 10**7, "n_eval_episodes must be a whole number from 1 to 10,000"),
    ("n_eval_episodes", True, "n_eval_episodes must be a whole number"),
    ("n_eval_episodes", 0, "n_eval_episodes is 0"),
    ("eval_seed", [-1], "eval_seed must be a list"),
    ("eval_seed", "0123", "eval_seed must be a list"),
])
def test_evaluation_counts_from_a_file_are_bounded(frozenlake_model, monkeypatch, key, value, words):
    def never(*args, **kwargs):
        raise AssertionError("the evaluation ran with counts taken unchecked from the file")

    monkeypatch.setattr(qlearning, "evaluate_agent", never)
    with pytest.raises(hub.HubLoadError, match=re.escape(words)):
        hub.evaluate_model(dict(frozenlake_model, **{key: value}))


def test_qtable_must_be_finite_and_fit_the_env(frozenlake_model, taxi_model):
    with pytest.raises(hub.HubLoadError, match=r"shape \(16, 4\), but Taxi-v3 .* 500 states and 6 actions"):
        hub.evaluate_model(dict(taxi_model, qtable=frozenlake_model["qtable"]))
    with pytest.raises(hub.HubLoadError, match="500 states"):
        hub.evaluate_model(frozenlake_model, env=defaults.TAXI.make_env())
    with pytest.raises(hub.HubLoadError, match="NaN or infinite"):
        hub.evaluate_model(dict(frozenlake_model, qtable=np.full((16, 4), np.inf)))
    with pytest.raises(hub.HubLoadError, match="not a 2-D table of numbers"):
        hub.evaluate_model(dict(frozenlake_model, qtable=np.array([["a"] * 4] * 16)))


@pytest.mark.parametrize("tag, settings", [("FrozenLake-v1-8x8-no_slippery", {"map_name": "8x8", "is_slippery": False}),
                                           ("FrozenLake-v1-4x4", {"map_name": "4x4", "is_slippery": True})])
def test_frozenlake_settings_come_from_the_card_tag(double, capsys, tag, settings):
    states = 64 if settings["map_name"] == "8x8" else 16
    model = {"env_id": "FrozenLake-v1", "max_steps": 99, "n_eval_episodes": 5, "eval_seed": [],
             "qtable": np.zeros((states, 4))}
    card = f"---\ntags:\n- {tag}\n- q-learning\n---\n\n# An old model\n".encode()
    repo = f"{USER}/q-old-lake"
    double.add_repo(repo, {"q-learning.pkl": pickle.dumps(model, protocol=4), "README.md": card})
    capsys.readouterr()
    loaded = hub.load_from_hub(repo, "q-learning.pkl", endpoint=double.url)
    assert {k: loaded.get(k) for k in settings} == settings
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and tag in out and ", ".join(f"{k}={v!r}" for k, v in settings.items()) in out
    env = hub.make_env_from_model(loaded)
    assert {k: env.spec.kwargs[k] for k in settings} == settings


def test_the_card_fallback_names_only_the_setting_it_filled(double, capsys):
    model = {"env_id": "FrozenLake-v1", "map_name": "8x8", "max_steps": 99, "n_eval_episodes": 5, "eval_seed": [],
             "qtable": np.zeros((64, 4))}  # states its map, not its ice
    repo = f"{USER}/q-half-stated"
    double.add_repo(repo, {"q-learning.pkl": pickle.dumps(model, protocol=4),
                           "README.md": b"---\ntags:\n- FrozenLake-v1-8x8-no_slippery\n---\n"})
    capsys.readouterr()
    loaded = hub.load_from_hub(repo, "q-learning.pkl", endpoint=double.url)
    out = capsys.readouterr().out
    assert loaded["is_slippery"] is False and "does not say whether the ice is slippery;" in out
    assert "which map" not in out and "map_name=" not in out


def test_card_tag_fills_nothing_a_model_states_or_without_a_tag(double, frozenlake_model, capsys):
    repo = f"{USER}/q-stated-lake"
    card = b"---\ntags:\n- FrozenLake-v1-8x8\n---\n"  # disagrees with the model: the model wins
    double.add_repo(repo, {"q-learning.pkl": pickle.dumps(frozenlake_model, protocol=4), "README.md": card})
    capsys.readouterr()
    loaded = hub.load_from_hub(repo, "q-learning.pkl", endpoint=double.url)
    assert loaded["map_name"] == "4x4" and loaded["is_slippery"] is False and capsys.readouterr().out == ""
    silent = {k: frozenlake_model[k] for k in ("env_id", "max_steps", "n_eval_episodes", "qtable")}
    double.add_repo(f"{USER}/q-untagged", {"q-learning.pkl": pickle.dumps(silent, protocol=4),
                                            "README.md": b"---\ntags:\n- q-learning\n---\n"})
    loaded = hub.load_from_hub(f"{USER}/q-untagged", "q-learning.pkl", endpoint=double.url)
    assert "map_name" not in loaded and "is_slippery" not in loaded
    with pytest.raises(hub.HubLoadError, match="is_slippery=False"):
        hub.make_env_from_model(loaded)


# ---- clear errors and no NaN (issue 15) ---------------------------------------------------------------------------
def test_push_refuses_zero_episodes_and_non_finite_scores(double, frozenlake_model, monkeypatch):
    repo = f"{USER}/q-nan"
    with pytest.raises(ValueError, match="n_eval_episodes is 0"):
        hub.push_to_hub(repo, dict(frozenlake_model, n_eval_episodes=0), endpoint=double.url,
                        token=double.WRITE_TOKEN, record=False)
    for bad in (float("nan"), float("inf")):
        monkeypatch.setattr(qlearning, "evaluate_agent", lambda *args, _bad=bad, **kwargs: (_bad, 0.0))
        with pytest.raises(ValueError, match="not a number. .*Nothing was saved"):
            hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    assert not Path("hub_exports").exists() and double.requests == []


def test_policy_push_refuses_zero_episodes(double, cartpole_policy):
    policy, hyperparameters = cartpole_policy
    with pytest.raises(ValueError, match="at least one episode"):
        hub.push_to_hub(f"{USER}/Reinforce-zero", policy, dict(hyperparameters, n_evaluation_episodes=0),
                        endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    assert not Path("hub_exports").exists() and double.requests == []


# ---- issue 23: repo ids, links, bounded evaluation, messages ------------------------------------------------------
@pytest.mark.parametrize("bad", ["a" * 5000 + "/q-Taxi-v3", "user/q-Taxi-v3.git", "user/q--x", "usér/q", "user/" + "x" * 97])
def test_repo_ids_follow_the_hubs_rules(bad):
    with pytest.raises(hub.InvalidRepoIdError, match="username/repo-name") as info:
        hub.check_repo_id(bad)
    assert len(str(info.value)) < 400
    assert hub.check_repo_id("a" * 96 + "/" + "b" * 96)


def _secret(tmp_path) -> Path:
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY")
    return secret


def test_an_export_never_writes_through_a_link(frozenlake_model, tmp_path):
    secret = _secret(tmp_path)
    export = tmp_path / "exports"
    folder = export / "q-links"
    folder.mkdir(parents=True)
    for name in ("README.md", "results.json", ".kit-export.json"):  # links planted where the kit writes
        (folder / name).symlink_to(secret)
    hub.push_to_hub(f"{USER}/q-links", frozenlake_model, dry_run=True, export_root=export, record=False)
    assert secret.read_text() == "PRIVATE KEY"
    assert not any((folder / name).is_symlink() for name in ("README.md", "results.json", ".kit-export.json"))
    linked = tmp_path / "linked-dir"  # local_dir itself a link, or a linked manifest in it
    linked.symlink_to(folder)
    with pytest.raises(hub.HubPushError, match="symbolic link"):
        hub.push_to_hub(f"{USER}/q-links", frozenlake_model, local_dir=linked, record=False)
    own = tmp_path / "own"
    own.mkdir()
    (own / ".kit-export.json").symlink_to(secret)
    hub.push_to_hub(f"{USER}/q-links", frozenlake_model, local_dir=own, record=False)
    assert secret.read_text() == "PRIVATE KEY" and not (own / ".kit-export.json").is_symlink()


@pytest.mark.parametrize("env_id", ["CliffWalking-v1", "LunarLander-v3", "Taxi-v3 ", "MountainCar-v0"])
def test_a_model_file_may_only_name_the_courses_envs(frozenlake_model, env_id):
    with pytest.raises(hub.HubLoadError, match="not one of the course's") as info:
        hub.make_env_from_model(dict(frozenlake_model, env_id=env_id))
    assert len(str(info.value)) < 600


def test_evaluation_steps_times_episodes_is_capped(frozenlake_model):
    from helpers.hub.models import MAX_EVAL_TOTAL_STEPS

    model = dict(frozenlake_model, max_steps=100_000, n_eval_episodes=10_000)
    with pytest.raises(hub.HubLoadError, match=r"100,000 x 10,000 = 1,000,000,000 steps"):
        hub.evaluate_model(model)
    with pytest.raises(ValueError, match="more than the 1,000,000"):
        hub.push_to_hub(f"{USER}/q-long", model, dry_run=True, record=False)
    assert 99 * 100 <= MAX_EVAL_TOTAL_STEPS


@pytest.mark.parametrize("status", [503, 429])
def test_a_busy_hub_says_try_again_later_when_loading(double, frozenlake_model, tmp_path, monkeypatch, status):
    import huggingface_hub.utils._http as http

    monkeypatch.setattr(http.time, "sleep", lambda seconds: None)
    repo = f"{USER}/q-busy"
    double.add_repo(repo, {"q-learning.pkl": b"x"})
    double.fail("*", r"/resolve/", status, times=100)
    with pytest.raises(hub.HubLoadError, match=f"the Hub answered {status}, try again later") as info:
        hub.load_from_hub(repo, "q-learning.pkl", endpoint=double.url, cache_dir=tmp_path / "cache")
    assert "offline" not in str(info.value)


def test_a_non_utf8_remote_card_says_how_to_fix_the_card(double, frozenlake_model):
    repo = f"{USER}/q-latin1"
    double.add_repo(repo, {"README.md": "---\ntags: [x]\n---\n# Caf\xe9\n".encode("latin-1")})
    with pytest.raises(hub.HubPushError, match="not UTF-8 text.*save it as UTF-8") as info:
        hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    assert "minute" not in str(info.value) and "retry_push(" in str(info.value)


def test_a_push_prints_a_short_summary(double, frozenlake_model, capsys):
    repo = f"{USER}/q-summary"
    capsys.readouterr()
    hub.push_to_hub(repo, frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    captured = capsys.readouterr()
    lines = [line for line in (captured.out + captured.err).splitlines() if line.strip()]
    assert len(lines) <= 4, lines
    text = "\n".join(lines)
    assert "result 1.00" in text and "hub_exports/q-summary/" in text and "README.md" in text
    assert f"{double.url}/{repo}" in text


def test_only_kit_errors_leave_the_load_path_and_stay_short(tmp_path):
    from helpers.safe_pickle import UnsafePickleError

    cases = {"q-learning.pkl": b"\x80\x02L" + b"9" * 6000 + b"L\n.", "model.safetensors": b"\x10" + b"\0" * 7 + b"{" * 16,
             "results.json": b"1" * 6000, "weights.bin": b"", "model.pth": b"PK"}
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises((hub.HubLoadError, UnsafePickleError)) as info:
            hub.load_model_file(path)
        assert len(str(info.value)) <= 1200, name


@pytest.mark.parametrize("spelling", ["is_slippery", "slippery"])
def test_a_quoted_false_is_refused_with_the_reason(frozenlake_model, spelling):
    """bool("False") is True: a string would quietly make the ice slippery."""
    model = {k: v for k, v in frozenlake_model.items() if k not in ("is_slippery", "slippery")}
    with pytest.raises(hub.HubLoadError, match=re.escape(f"stores {spelling} as the string 'False', and Python reads "
                                                         "every non-empty string as true")):
        hub.make_env_from_model(model | {spelling: "False"})
    with pytest.raises(hub.HubLoadError, match=re.escape("is_slippery is the string 'False', and Python reads every "
                                                         "non-empty string as true (even \"False\")")):
        hub.make_env_from_model(model, is_slippery="False")  # the caller's own, trusted argument
    env = hub.make_env_from_model(model, is_slippery=False)
    assert env.spec.kwargs["is_slippery"] is False


def test_an_unreachable_hub_fails_a_download_at_once_in_one_clear_line(monkeypatch, caplog, tmp_path):
    """No network: one HubLoadError at once, not half a minute of retries and a line for each."""
    import socket
    import time

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    _set_offline(monkeypatch, False)
    start = time.perf_counter()
    with caplog.at_level("WARNING"), pytest.raises(hub.HubLoadError, match="not in the local Hub cache") as info:
        hub.load_from_hub(f"{USER}/q-nowhere", "q-learning.pkl", endpoint=f"http://127.0.0.1:{port}",
                          cache_dir=tmp_path)
    assert time.perf_counter() - start < 10
    assert not [r for r in caplog.records if "Retry" in r.getMessage()]
    # In a notebook the error shows as its message alone, not a traceback through the library.
    shown = info.value._render_traceback_()
    assert len(shown) == 1 and "HubLoadError" in shown[0] and "not in the local Hub cache" in shown[0]


def test_find_models_lists_by_tag_and_says_offline_in_one_line(double, frozenlake_model, monkeypatch):
    import socket
    import time

    hub.push_to_hub(f"{USER}/q-found", frozenlake_model, endpoint=double.url, token=double.WRITE_TOKEN, record=False)
    assert hub.find_models(["q-learning", "FrozenLake-v1-4x4-no_slippery"], endpoint=double.url) == [f"{USER}/q-found"]
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.perf_counter()
    with pytest.raises(hub.HubLoadError, match="cannot be reached"):
        hub.find_models(["q-learning"], endpoint=f"http://127.0.0.1:{port}")
    assert time.perf_counter() - start < 10
    _set_offline(monkeypatch, True)
    with pytest.raises(hub.HubLoadError, match=r"Offline \(HF_HUB_OFFLINE=1\)"):
        hub.find_models(["q-learning"], endpoint=double.url)


def test_a_refused_pickle_shows_in_a_notebook_as_its_message_alone():
    import pickle

    from helpers.safe_pickle import RefusedPickleError, safe_loads

    class Sneaky:
        def __reduce__(self):
            return (print, ("ran",))

    with pytest.raises(RefusedPickleError) as info:
        safe_loads(pickle.dumps({"qtable": Sneaky()}), source="crafted.pkl")
    shown = info.value._render_traceback_()
    assert len(shown) == 1 and "RefusedPickleError" in shown[0] and "Refused to load crafted.pkl" in shown[0]
