"""The export folder holds regular files only, the model cards' code runs without the kit, and a policy with
NaN weights or an unusable input scale is refused at load.

Each hostile export case runs push_to_hub or retry_push in a child process (1 GiB of address space, a time
limit) against the loopback Hub (tests/hub_double.py): it must end in a kit error that names the file, or in
the right answer, in under 10 s, with no signal, and without touching anything outside the export folder.
"""
from __future__ import annotations

import json
import os
import pickle
import re
import socket
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import defaults, hub  # noqa: E402
from helpers.errors import HubLoadError  # noqa: E402
from hub_double import HubDouble, in_child  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
USER = "learner"  # the user of the `double` fixture (conftest.py)
CHILD_MEMORY = 2**30


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT", "KAGGLE_KERNEL_RUN_TYPE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


# ---- the export folder: regular files only --------------------------------------------------------------------
def _outside(tmp_path: Path) -> tuple[Path, dict]:
    """A folder beside the export holding files with the kit's names; returns it and their (bytes, mtime)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("README.md", "q-learning.pkl", "results.json", ".kit-export.json", "sentinel.txt"):
        (outside / name).write_text(f"not the kit's {name}")
    return outside, _snapshot(outside)


def _snapshot(folder: Path) -> dict:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def _make_fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def _make_socket(path: Path) -> None:
    path.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()  # the socket file stays


def _make_device(path: Path) -> None:
    path.unlink(missing_ok=True)
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # like /dev/zero: reads never end
    except PermissionError:
        pytest.skip("making a device node needs root (CAP_MKNOD)")


def _make_sparse(size: int):
    def make(path: Path) -> None:
        path.unlink(missing_ok=True)
        with open(path, "wb") as f:
            f.truncate(size)
    return make


def _make_link(outside: Path):
    def make(path: Path) -> None:
        path.unlink(missing_ok=True)
        path.symlink_to(outside / path.name)
    return make


def _make_big(path: Path) -> None:
    path.write_bytes(b"{" + b" " * (17 * 2**20) + b"}")  # real bytes, more than the kit ever writes there


RETRY_CASES = {  # name -> (file replaced, how, words the refusal must say)
    "fifo": ("results.json", lambda outside: _make_fifo, "is not a plain file (its type: `FIFO`)"),
    "fifo_manifest": (".kit-export.json", lambda outside: _make_fifo, "holds no .kit-export.json"),
    "socket": ("README.md", lambda outside: _make_socket, "(its type: `socket`)"),
    "device": ("q-learning.pkl", lambda outside: _make_device, "(its type: `character device`)"),
    "symlink": ("q-learning.pkl", _make_link, "is a symbolic link"),
    "symlink_card": ("README.md", _make_link, "is a symbolic link"),
    "sparse_huge": ("q-learning.pkl", lambda outside: _make_sparse(4 * 2**30), "more than the 16,777,216"),
    "sparse": ("qtable.npy", lambda outside: _make_sparse(8 * 2**20), "(a sparse file)"),
    "too_big": ("results.json", lambda outside: _make_big, "holds 17,825,794 bytes, more than"),
}


@pytest.mark.parametrize("case", sorted(RETRY_CASES))
def test_retry_push_refuses_what_is_not_a_plain_file_by_name(case, double, frozenlake_model, tmp_path):
    name, how, words = RETRY_CASES[case]
    repo = f"{USER}/q-{case.replace('_', '-')}"
    folder = tmp_path / "export"
    hub.push_to_hub(repo, frozenlake_model, local_dir=folder, record=False)
    outside, before = _outside(tmp_path)
    how(outside)(folder / name)
    double.clear_requests()
    code = f"""
from helpers import hub
try:
    RESULT = dict(url=hub.retry_push({str(folder)!r}, {repo!r}, endpoint={double.url!r}, token={double.WRITE_TOKEN!r}))
except hub.HubPushError as err:
    RESULT = dict(error=type(err).__name__, message=str(err))
"""
    result = in_child(code, 10, cwd=tmp_path, memory=CHILD_MEMORY)
    assert result.get("error") == "HubPushError", result
    assert name in result["message"] and words in result["message"], result["message"]
    assert re.search(r"(?i)push the agent again|remove it|remove the link|delete it", result["message"])
    assert result["wall_s"] < 10 and double.requests == []  # refused before any upload
    assert _snapshot(outside) == before


def test_retry_push_refuses_a_folder_that_is_a_link(double, frozenlake_model, tmp_path):
    repo = f"{USER}/q-linked-folder"
    real = tmp_path / "real"
    hub.push_to_hub(repo, frozenlake_model, local_dir=real, record=False)
    outside, before = _outside(tmp_path)
    (tmp_path / "export").symlink_to(real)
    double.clear_requests()
    code = f"""
from helpers import hub
try:
    RESULT = dict(url=hub.retry_push("export", {repo!r}, endpoint={double.url!r}, token={double.WRITE_TOKEN!r}))
except hub.HubPushError as err:
    RESULT = dict(error=type(err).__name__, message=str(err))
"""
    result = in_child(code, 10, cwd=tmp_path, memory=CHILD_MEMORY)
    assert result.get("error") == "HubPushError" and "export is a symbolic link" in result["message"], result
    assert result["wall_s"] < 10 and double.requests == [] and _snapshot(outside) == before


def _push_code(model_path: Path, repo: str, double, **options) -> str:
    return f"""
import pickle
from helpers import hub
with open({str(model_path)!r}, "rb") as f:
    model = pickle.load(f)  # the test's own model dict
try:
    result = hub.push_to_hub({repo!r}, model, endpoint={double.url!r}, token={double.WRITE_TOKEN!r}, record=False,
                             **{options!r})
    RESULT = dict(url=result.url, pushed=result.pushed)
except hub.HubPushError as err:
    RESULT = dict(error=type(err).__name__, message=str(err))
"""


def test_a_fifo_in_the_kits_own_folder_is_replaced_and_never_read(double, frozenlake_model, tmp_path):
    repo = f"{USER}/q-fifo-push"
    folder = tmp_path / "exports" / "q-fifo-push"
    folder.mkdir(parents=True)
    _make_fifo(folder / "results.json")  # a kit name: the kit's own folder replaces it
    _make_fifo(folder / "notes")         # not a kit name: left alone, never opened
    outside, before = _outside(tmp_path)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(frozenlake_model))
    code = _push_code(tmp_path / "model.pkl", repo, double, export_root="exports")
    result = in_child(code, 10, cwd=tmp_path, memory=CHILD_MEMORY)
    assert result.get("pushed") is True, result
    assert result["wall_s"] < 10 and stat.S_ISFIFO((folder / "notes").lstat().st_mode) and _snapshot(outside) == before
    assert stat.S_ISREG((folder / "results.json").lstat().st_mode)
    assert set(double.files(repo)) == {"README.md", "q-learning.pkl", "qtable.npy", "results.json"}


def test_a_fifo_in_a_local_dir_is_refused_by_name(double, frozenlake_model, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    _make_fifo(folder / "README.md")  # not written by the kit (no manifest lists it): never replaced
    outside, before = _outside(tmp_path)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(frozenlake_model))
    code = _push_code(tmp_path / "model.pkl", f"{USER}/q-mine", double, local_dir=str(folder))
    result = in_child(code, 10, cwd=tmp_path, memory=CHILD_MEMORY)
    assert result.get("error") == "HubPushError" and "already holds README.md" in result["message"], result
    assert result["wall_s"] < 10 and stat.S_ISFIFO((folder / "README.md").lstat().st_mode) and double.requests == []
    assert _snapshot(outside) == before


def test_the_folder_swapped_for_a_link_mid_push_never_leads_outside(double, frozenlake_model, tmp_path):
    repo = f"{USER}/q-swap"
    double.add_repo(repo, {"README.md": b"---\ntags:\n- mine\n---\n# My notes\n"})  # the upload rewrites the card
    outside, before = _outside(tmp_path)
    folder = tmp_path / "exports" / "q-swap"
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(frozenlake_model))
    swap = f"""
import os
import helpers.hub.push as push
real_upload = push.upload
def swapped(box, *args, **kwargs):  # between the export's writes and the upload's reads and writes
    os.rename({str(folder)!r}, {str(folder)!r} + "-moved")
    os.symlink({str(outside)!r}, {str(folder)!r})
    return real_upload(box, *args, **kwargs)
push.upload = swapped
"""
    code = swap + _push_code(tmp_path / "model.pkl", repo, double, export_root="exports")
    result = in_child(code, 10, cwd=tmp_path, memory=CHILD_MEMORY)
    assert result.get("pushed") is True, result
    assert result["wall_s"] < 10 and _snapshot(outside) == before
    moved = Path(f"{folder}-moved")
    files = double.files(repo)
    assert files["q-learning.pkl"] == (moved / "q-learning.pkl").read_bytes()  # the files the export wrote
    assert files["README.md"] == (moved / "README.md").read_bytes() and b"My notes" in files["README.md"]


def test_a_local_dir_that_is_a_file_or_a_dangling_name_is_a_kit_error(frozenlake_model, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(hub.HubPushError, match="file is not a folder: pass a new or empty folder"):
        hub.push_to_hub(f"{USER}/q-x", frozenlake_model, local_dir=tmp_path / "file", record=False)
    with pytest.raises(hub.HubPushError, match="does not exist: pass the folder that push_to_hub saved"):
        hub.retry_push(tmp_path / "nowhere", f"{USER}/q-x", token="hf_x")


# ---- the model cards' code runs without the kit ---------------------------------------------------------------
def _plain_part(folder: Path) -> str:
    """The card's first code lines, up to where it turns to the kit."""
    text = (folder / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    plain, _, kit = snippet.partition("# Or with the kit")
    assert kit and "helpers" not in plain and "pickle" not in plain.replace("allow_pickle=False", "")
    return plain


def _run_plain(plain: str, folder: Path, tmp_path: Path, then: str) -> dict:
    """Run the card's plain code in a Python where the kit cannot be imported, the Hub download replaced by the
    files in ``folder``; ``then`` sets RESULT."""
    code = f"""
import importlib.util, os
assert importlib.util.find_spec("helpers") is None, "the kit must not be importable here"
import huggingface_hub
huggingface_hub.hf_hub_download = lambda repo_id, filename, **kwargs: os.path.join({str(folder)!r}, filename)
exec(compile({plain!r}, "README.md", "exec"))
{then}
"""
    alone = tmp_path / "alone"
    alone.mkdir(exist_ok=True)
    result = in_child(code, 100, cwd=alone, kit=False, memory=None)
    return result


def _observations(env_id: str, n: int = 6) -> np.ndarray:
    from helpers.envs import make_env

    env, rng, rows = make_env(env_id), np.random.default_rng(0), []
    obs, _ = env.reset(seed=0)
    for _ in range(n):
        rows.append(np.asarray(obs, dtype=np.float32))
        obs, _, done, cut, _ = env.step(int(rng.integers(env.action_space.n)))
        if done or cut:
            obs, _ = env.reset()
    return np.stack(rows)


@pytest.mark.parametrize("env_id", ["Pixelcopter-PLE-v0", "CartPole-v1"])
def test_the_policy_cards_plain_pytorch_code_gives_the_kits_probabilities(env_id, tmp_path):
    torch = pytest.importorskip("torch")

    from helpers import policies, reinforce
    from helpers.envs import make_env

    torch.manual_seed(0)
    if env_id.startswith("Pixelcopter"):
        policy = policies.with_inputs(reinforce.PixelcopterPolicy(7, 2, 16), obs_scale=defaults.PIXELCOPTER.obs_scale,
                                      obs_features=defaults.PIXELCOPTER.obs_features)
    else:
        policy = reinforce.Policy(4, 2, 16)
    result = hub.push_to_hub(f"{USER}/Reinforce-{env_id}", policy, {"env_id": env_id, "max_t": 50,
                             "n_evaluation_episodes": 2}, make_env(env_id), local_dir=tmp_path / "repo", record=False)
    plain = _plain_part(result.folder)
    assert ("def pixelcopter_relative" in plain) is env_id.startswith("Pixelcopter")  # the saved transform, applied
    obs = _observations(env_id)
    kit = policies.load_policy((result.folder / "model.safetensors").read_bytes())
    with torch.no_grad():
        expected = kit(torch.as_tensor(obs)).numpy()
    out = _run_plain(plain, result.folder, tmp_path,
                     f"RESULT = dict(p=[action_probabilities(row).tolist() for row in {obs.tolist()!r}])")
    np.testing.assert_allclose(np.array(out["p"]), expected, atol=1e-6, rtol=0)


def test_the_qlearning_cards_plain_numpy_code_loads_the_table_without_unpickling(frozenlake_model, tmp_path):
    result = hub.push_to_hub(f"{USER}/q-plain", frozenlake_model, local_dir=tmp_path / "repo", record=False)
    plain = _plain_part(result.folder)
    assert "allow_pickle=False" in plain
    out = _run_plain(plain, result.folder, tmp_path, "RESULT = dict(q=qtable.tolist(), action=action)")
    assert np.array_equal(np.array(out["q"]), frozenlake_model["qtable"])
    assert out["action"] == int(np.argmax(frozenlake_model["qtable"][0]))


# ---- policies: values checked at load --------------------------------------------------------------------------
def _policy_bytes(change) -> bytes:
    torch = pytest.importorskip("torch")
    from safetensors.torch import save

    from helpers.policies import PolicyNetwork

    net = PolicyNetwork(4, 2, 8, obs_scale=[1.0, 2.0, 3.0, 4.0])
    state = {k: v.detach().clone().contiguous() for k, v in net.state_dict().items()}
    architecture = {"activation": "relu"} | net.architecture
    change(state, architecture, torch)
    return save(state, metadata={"architecture": json.dumps(architecture)})


def _load(data: bytes):
    from helpers.policies import load_policy

    return load_policy(data, "model.safetensors")


def test_nan_or_infinite_weights_are_refused_naming_the_tensor():
    def poison(state, arch, torch):
        state["net.0.weight"][0, :3] = torch.tensor([float("nan"), float("inf"), -float("inf")])
        state["net.2.bias"][1] = float("nan")

    with pytest.raises(HubLoadError, match=r"NaN or infinite values in 2 tensor\(s\): net.0.weight \(3/32\), "
                                           r"net.2.bias \(1/2\)\. Training diverged"):
        _load(_policy_bytes(poison))
    assert _load(_policy_bytes(lambda *a: None)).architecture["obs_scale"] == [1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize("change, words", [
    ("weights", "NaN or infinite values in 1 tensor(s): net.0.weight (1/32)"),
    ("scale", "1 of its 4 obs_scale values are zero or negative (smallest 0)"),
])
def test_a_poisoned_policy_on_the_hub_is_refused_in_a_child_process(change, words, tmp_path):
    # Downloaded from the (loopback) Hub and loaded as a learner would: a kit error in under 10 s and 1 GiB.

    def poison(state, arch, torch):
        if change == "weights":
            state["net.0.weight"][0, 0] = float("nan")
        else:
            state["obs_scale"] = torch.tensor([1.0, 0.0, 3.0, 4.0])

    with HubDouble() as double:
        double.add_repo("learner/Reinforce-poisoned", {"model.safetensors": _policy_bytes(poison)})
        result = in_child(f"""
from helpers.hub import HubLoadError, load_from_hub
try:
    load_from_hub("learner/Reinforce-poisoned", "model.safetensors", endpoint={double.url!r},
                  cache_dir={str(tmp_path / 'cache')!r})
    RESULT = dict(error=None)
except HubLoadError as err:
    RESULT = dict(error=str(err))
""", 10)
    assert result["wall_s"] < 10 and result["rss_mb"] < 1024, result
    assert result["error"] and words in result["error"], result


@pytest.mark.parametrize("scale, words", [
    ([1.0, 0.0, 3.0, 4.0], "1 of its 4 obs_scale values are zero or negative (smallest 0)"),
    ([1.0, -2.0, -3.0, 4.0], "2 of its 4 obs_scale values are zero or negative (smallest -3)"),
    ([1.0, float("inf"), 3.0, 4.0], "1 of its 4 obs_scale values are NaN or infinite"),
])
def test_an_input_scale_not_above_zero_is_refused_with_the_reason(scale, words):
    def in_tensor(state, arch, torch):  # the tensor that divides the inputs
        state["obs_scale"] = torch.tensor(scale)

    def in_architecture(state, arch, torch):  # the stated architecture, checked before anything is built
        arch["obs_scale"] = scale

    for change, where in ((in_tensor, "obs_scale tensor"), (in_architecture, "states a policy the kit will not build")):
        with pytest.raises(HubLoadError) as info:
            _load(_policy_bytes(change))
        assert words in str(info.value) and where in str(info.value)


def test_features_scale_problem_accepts_positive_scales_only():
    from helpers import features

    assert features.scale_problem([0.5, 8.0]) is None
    assert "zero or negative" in features.scale_problem([0.5, -1e-9])
    assert "NaN or infinite" in features.scale_problem([float("nan")])
