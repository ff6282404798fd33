"""Loading a downloaded model file can neither run code nor crash, hang or exhaust the process.

Every hostile file in ``tests/hostile_payloads.py`` is loaded through ``helpers.hub.load_model_file`` in a
child process watched for memory and time, so a segfault or a runaway allocation fails the test instead of
killing pytest; honest course models (NumPy 1.x and 2.x pickles, protocols 0 to 5) still load, and so do
the kit's policies (``model.safetensors``).
"""
from __future__ import annotations

import io
import json
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hostile_payloads as hostile  # noqa: E402

from helpers import hub  # noqa: E402
from helpers.safe_pickle import (PickleLimitError, RefusedPickleError,  # noqa: E402
                                 safe_loads)

# What each kind of refusal says (the parent sees the child's exception class name and message).
EXPECTED = {
    "refused": ("RefusedPickleError", "nothing from it was run"),
    "damaged": ("HubLoadError", "damaged or incomplete"),
    "limit": ("HubLoadError", "was not loaded"),
    None: ("HubLoadError", "not a course Q-learning model"),
}


@pytest.fixture(scope="module")
def hostile_outcomes(tmp_path_factory):
    """All the hand-made attacks, loaded once in one child process (512 MiB above its start-up size)."""
    files = {f"{name}.pkl": build() for name, (build, _) in hostile.PICKLES.items()}
    return hostile.load_in_subprocess(files, tmp_path_factory.mktemp("hostile"), mem_mb=512, timeout=180)


@pytest.mark.parametrize("name", list(hostile.PICKLES))
def test_hostile_pickle_is_refused_cleanly(hostile_outcomes, name):
    outcomes, memory = hostile_outcomes
    outcome = outcomes[f"{name}.pkl"]
    error, words = EXPECTED[hostile.PICKLES[name][1]]
    assert outcome.get("error") == error, outcome
    assert words in outcome["message"] and ("download it again" in outcome["message"] or error != "HubLoadError"
                                            or hostile.PICKLES[name][1] != "damaged"), outcome
    assert outcome["seconds"] < 10, outcome
    assert memory["peak_mb"] - memory["baseline_mb"] < 400, memory


def test_the_segfault_payload_is_tiny_and_named(tmp_path):
    # The crash this guards against: list(numpy.ndarray((1,), numpy.dtype('O'), b'AAAAAAAA')), in a child
    # process because before the fix it killed Python with SIGSEGV.
    data = hostile.object_array_over_bytes()
    assert len(data) < 120
    outcomes, _ = hostile.load_in_subprocess({"q-learning.pkl": data}, tmp_path)
    assert outcomes["q-learning.pkl"]["error"] == "RefusedPickleError"
    assert "numpy.dtype('O')" in outcomes["q-learning.pkl"]["message"]


@pytest.mark.parametrize("amount", [2**20, 10])
def test_bytes_of_a_length_is_never_called(amount):
    with pytest.raises(RefusedPickleError, match=re_escape("builtins.bytes")):
        safe_loads(hostile.bytes_allocation(amount))
    with pytest.raises(RefusedPickleError, match=re_escape("__builtin__.bytearray")):
        safe_loads(hostile.bytearray_allocation(amount))


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_limits_are_counted_not_guessed():
    # Just under and just over each limit: the cut is where LIMITS says.
    assert safe_loads(hostile.billion_laughs(levels=2, width=10))["qtable"][0] == [0] * 10
    with pytest.raises(PickleLimitError, match="nested more than 3 levels"):
        safe_loads(hostile.billion_laughs(levels=3, width=2))
    assert safe_loads(hostile.billion_laughs(levels=2, width=1000))["qtable"][999][999] == 0  # 10**6 values
    with pytest.raises(PickleLimitError, match="expands to more than 1,048,576 values"):
        safe_loads(hostile.billion_laughs(levels=2, width=1100))  # 1.2 * 10**6
    assert len(safe_loads(hostile.deep_nesting(2))["qtable"]) == 1
    with pytest.raises(PickleLimitError, match="nested more than 3"):
        safe_loads(hostile.deep_nesting(4))
    with pytest.raises(PickleLimitError, match="more than 10,000 values waiting"):
        safe_loads(hostile.deep_nesting(10_001))
    with pytest.raises(PickleLimitError, match="pickle instructions"):
        safe_loads(hostile.opcode_flood(2_000), limits={"opcodes": 1_000})
    with pytest.raises(PickleLimitError, match="more than 100 bytes"):
        safe_loads(b"\x80\x02N." + b"\0" * 100, limits={"file_bytes": 100})
    assert len(safe_loads(hostile.shared_short_string(size=4000, copies=200))["env_id"]) == 200  # 800,000 characters
    with pytest.raises(PickleLimitError, match="expands to more than"):
        safe_loads(hostile.shared_short_string(size=4000, copies=300))
    assert len(safe_loads(hostile.shared_array_data(size=2**20, arrays=32))) == 32  # 32 MiB of arrays
    with pytest.raises(PickleLimitError, match="arrays need more than"):
        safe_loads(hostile.shared_array_data(size=2**20, arrays=33))


@pytest.mark.parametrize("value, words", [(2**64 - 1, None), (-2**63, None), (2**64, "an integer of 65 bits"),
                                          (-2**63 - 1, "an integer of 64 bits")])
def test_integers_fit_in_64_bits(value, words):
    data = pickle.dumps({"eval_seed": [value], "qtable": np.zeros((1, 1))}, protocol=4)
    if words is None:
        assert safe_loads(data)["eval_seed"] == [value]
    else:
        with pytest.raises(RefusedPickleError, match=words):
            safe_loads(data)


@pytest.mark.parametrize("obj, words", [
    ({(1, 2): 0}, "a dict key that is a tuple"),
    ({1: 0}, "a dict key that is a int"),
    ({"k" * 101: 0}, "a dict key has 101 characters"),
    ({f"k{i}": 0 for i in range(257)}, "more than 256 keys"),
    ({"s": {1, 2}}, "set"),
    ({"s": frozenset({1})}, "frozenset"),
    ({"raw": b"\x00\xff"}, "raw bytes"),
    ({"c": 1 + 2j}, "complex"),
    ({"d": [{"a": 1}]}, "a dict inside a list"),
    ({"text": "x" * 4097}, "a string of 4,097 characters"),
    ({"o": np.array([None])}, "numpy.dtype('O"),
])
def test_anything_but_the_course_shape_is_refused_by_name(obj, words):
    for protocol in (2, 4, 5):
        with pytest.raises((RefusedPickleError, PickleLimitError), match="(?i)" + re_escape(words)) as info:
            safe_loads(pickle.dumps(obj, protocol=protocol))
        assert len(str(info.value)) < 600


def test_the_decoder_is_not_the_unpickler():
    import ast

    source = Path(__file__).resolve().parent.parent / "helpers" / "safe_pickle.py"
    names = {node.attr for node in ast.walk(ast.parse(source.read_text())) if isinstance(node, ast.Attribute)}
    assert not names & {"load", "loads", "Unpickler", "_Unpickler", "find_class"}  # opcodes are read, never run
    assert "genops" in names


# ---- honest models still load ------------------------------------------------------------------------------
def _course_model():
    qtable = np.random.default_rng(0).random((16, 4))
    return {"env_id": "FrozenLake-v1", "max_steps": 99, "n_training_episodes": 10000, "n_eval_episodes": 100,
            "eval_seed": [], "learning_rate": 0.7, "gamma": 0.95, "max_epsilon": 1.0, "min_epsilon": 0.05,
            "decay_rate": 0.0005, "qtable": qtable, "map_name": "4x4", "slippery": False,
            "a_numpy_float": np.float64(0.7), "an_int": np.int64(-3), "flag": np.bool_(True),
            "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "big_endian": np.arange(3, dtype=">i4"),
            "bools": np.array([True, False]), "half": np.ones(2, np.float16), "nothing": None, "pair": (1, "x"),
            "env_kwargs": {"is_rainy": False}, "desc": ["SF", "HG"], "rows": [[1.5, 2], [3, -4]],
            "seed": 2**64 - 1, "nan": float("nan")}


def _assert_same(loaded, original):
    assert set(loaded) == set(original)
    for key, value in original.items():
        got = loaded[key]
        assert type(got) is type(value), (key, type(got), type(value))
        if isinstance(value, np.ndarray):
            assert got.dtype == value.dtype and got.shape == value.shape, key
            np.testing.assert_array_equal(got, value)
            assert got.flags.writeable and got.flags.owndata  # a copy, not a view of the file's bytes
        elif value != value:  # NaN
            assert got != got, key
        else:
            assert got == value, key


@pytest.mark.parametrize("protocol", range(6))
@pytest.mark.parametrize("spelling", ["numpy._core", "numpy.core"])
def test_course_models_load_with_either_numpy_spelling(protocol, spelling):
    model = _course_model()
    data = pickle.dumps(model, protocol=protocol)
    ours = b"numpy._core" if b"numpy._core" in data else b"numpy.core"
    if protocol <= 2:  # GLOBAL opcodes are text lines: respelling keeps the stream valid
        data = data.replace(ours + b".", spelling.encode() + b".")
        assert spelling.encode() + b".multiarray" in data
    elif spelling.encode() != ours:
        data = _respelled(model, protocol, spelling)
    _assert_same(safe_loads(data), model)


def _respelled(obj, protocol: int, spelling: str) -> bytes:
    """Pickle ``obj`` naming NumPy's modules ``spelling`` (pickle's pure-Python pickler, renamed in whichmodule)."""
    import warnings

    real = pickle.whichmodule

    def renamed(func, name):
        module = real(func, name)
        return spelling + module[len("numpy._core"):] if module.startswith("numpy._core") else \
            spelling + module[len("numpy.core"):] if module.startswith("numpy.core") else module

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pickle.whichmodule = renamed
        try:
            pickle._Pickler(buffer, protocol=protocol).dump(obj)
        except pickle.PicklingError:
            pytest.skip(f"this NumPy cannot write {spelling} names at protocol {protocol}")
        finally:
            pickle.whichmodule = real
    return buffer.getvalue()


def test_loaded_model_file_is_checked(tmp_path):
    path = tmp_path / "q-learning.pkl"
    model = {"env_id": "Taxi-v3", "max_steps": 99, "n_eval_episodes": 100, "qtable": np.zeros((500, 6))}
    path.write_bytes(pickle.dumps(model, protocol=4))
    loaded = hub.load_model_file(path)
    assert loaded["qtable"].shape == (500, 6)
    path.write_bytes(pickle.dumps(dict(model, qtable=np.zeros((500, 6)).tolist()), protocol=4))
    assert isinstance(hub.load_model_file(path)["qtable"], np.ndarray)  # a list of lists becomes the table


# ---- clear errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("obj, words", [
    ([1, 2, 3], "holds a list, not a course Q-learning model"),
    (None, "holds a NoneType, not a course Q-learning model"),
    ({"env_id": "Taxi-v3"}, "a dict without a 'qtable' (its keys: 'env_id')"),
    ({"qtable": [[1, 2], [3]]}, "'qtable' is not a "),  # NumPy 2 refuses ragged lists, 1.x makes objects
    ({"qtable": [["a", "b"]]}, "'qtable' is not a 2-D table of numbers"),
    ({"qtable": np.zeros(5)}, "'qtable' is not a 2-D table of numbers"),
    ({"qtable": np.array([[0.0, np.nan]])}, "NaN or infinite"),
])
def test_not_a_course_model_is_refused_with_a_message(tmp_path, obj, words):
    path = tmp_path / "q-learning.pkl"
    path.write_bytes(pickle.dumps(obj, protocol=4))
    with pytest.raises(hub.HubLoadError, match=re_escape(words)):
        hub.load_model_file(path)


@pytest.mark.parametrize("cut", [1, 2, 20, 100, -20, -1])
def test_truncated_pickle_says_download_again(tmp_path, cut):
    data = pickle.dumps(_course_model(), protocol=4)
    path = tmp_path / "q-learning.pkl"
    path.write_bytes(data[:cut])
    with pytest.raises(hub.HubLoadError, match="damaged or incomplete") as info:
        hub.load_model_file(path)
    assert "download it again" in str(info.value)
    assert not isinstance(info.value.__cause__, (EOFError, pickle.UnpicklingError))  # a message, not a trace


def test_empty_file(tmp_path):
    path = tmp_path / "q-learning.pkl"
    path.write_bytes(b"")
    with pytest.raises(hub.HubLoadError, match="the file is empty"):
        hub.load_model_file(path)


@pytest.mark.parametrize("name", ["q-learning.pkl", "model.safetensors", "results.json"])
def test_git_lfs_pointer_is_named(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(hostile.lfs_pointer())
    with pytest.raises(hub.HubLoadError, match="this is a Git LFS pointer, not the model: .*hf_hub_download"):
        hub.load_model_file(path)


@pytest.mark.parametrize("data, words", [
    (hostile.deep_json(), "nests its JSON too deeply"),
    (b'{"a": [1, 2', "is not valid JSON"),
    (b"\xff\xfe{}", "is not valid JSON"),
    (b"1" * 5000, "is not valid JSON"),  # more digits than int() converts
])
def test_hostile_json_gives_a_clear_error(tmp_path, data, words):
    path = tmp_path / "results.json"
    path.write_bytes(data)
    with pytest.raises(hub.HubLoadError, match=words):
        hub.load_model_file(path)


def test_oversized_files_are_not_read(tmp_path, monkeypatch):
    from helpers import safe_pickle

    monkeypatch.setitem(safe_pickle.LIMITS, "file_bytes", 1000)  # one cap for every model file the kit opens
    for name in ("q-learning.pkl", "results.json", "model.safetensors"):
        path = tmp_path / name
        path.write_bytes(pickle.dumps({"qtable": np.zeros((100, 4))}, protocol=4))
        with pytest.raises(hub.HubLoadError, match="more than 1,000 bytes"):
            hub.load_model_file(path)


# ---- policies (model.safetensors; model.pt is never opened) -------------------------------------------------------
try:
    import torch
except ImportError:  # the platform runs (tests/platforms.sh) install no torch where no CPU wheel is at hand
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed: writing policy files needs it")


def _kit_policy_bytes(architecture=None, state_dict=None, metadata=None) -> bytes:
    from safetensors.torch import save

    from helpers.policies import PolicyNetwork

    net = PolicyNetwork(4, 2, 16)
    state = net.state_dict() if state_dict is None else state_dict
    meta = {"architecture": json.dumps(architecture or net.architecture)} if metadata is None else metadata
    return save({k: v.contiguous() for k, v in state.items()}, metadata=meta)


class _NeverBuilt:
    def __init__(self, **kwargs):
        raise AssertionError(f"a policy was built from a file that should have been refused: {kwargs}")


@needs_torch
def test_kit_policy_still_loads(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(_kit_policy_bytes())
    policy = hub.load_model_file(path)
    assert policy.architecture == {"s_size": 4, "a_size": 2, "h_size": 16}


@needs_torch
@pytest.mark.parametrize("architecture, words", [
    ({"s_size": 4, "a_size": 2, "h_size": [40000, 40000]}, "each a whole number from 1 to 4096"),
    ({"s_size": 4, "a_size": 2, "h_size": [64] * 9}, "1 to 8 hidden widths"),
    ({"s_size": 4096, "a_size": 4096, "h_size": [4096, 4096]}, "more than 2,000,000"),
    ({"s_size": 4, "a_size": 2, "h_size": 16.0}, "h_size must be"),
    ({"s_size": True, "a_size": 2, "h_size": 16}, "s_size and a_size must be whole numbers"),
    ({"s_size": -1, "a_size": 2, "h_size": 16}, "s_size and a_size must be whole numbers"),
    ({"s_size": 4, "a_size": 2, "h_size": 16, "code": "exec"}, "keys the kit does not know"),
    ({"s_size": 4, "a_size": 2, "h_size": 16, "activation": "exec"}, "activation must be one of"),
    ({"s_size": 4, "a_size": 2, "h_size": 16, "obs_features": "os.system"}, "obs_features must be one of"),
    ({"s_size": 4, "a_size": 2, "h_size": 16, "obs_scale": [1.0, float("nan"), 1.0, 1.0]}, "obs_scale"),
    ([4, 2, 16], "not a dict of layer sizes"),
])
def test_policy_sizes_are_checked_before_anything_is_built(tmp_path, architecture, words):
    path = tmp_path / "model.safetensors"
    path.write_bytes(_kit_policy_bytes(architecture, state_dict={}))
    assert path.stat().st_size < 4000  # a few KB that would ask for gigabytes
    with pytest.raises(hub.HubLoadError, match=re_escape(words)):
        hub.load_model_file(path, policy_class=_NeverBuilt)


@needs_torch
@pytest.mark.parametrize("metadata", [{}, {"architecture": "[" * 100_000}, {"architecture": "1" * 6000},
                                      {"architecture": "{" + '"a":' * 3000}])
def test_refusal_messages_never_expand_what_the_file_holds(tmp_path, metadata):
    # Deep JSON, a 6,000-digit number: each must end in a short kit message, in a child process watched for
    # memory and time (the check that used an address-space cap could not even import a CUDA build of torch).
    outcomes, memory = hostile.load_in_subprocess({"model.safetensors": _kit_policy_bytes(metadata=metadata)},
                                                  tmp_path, timeout=120)
    outcome = outcomes["model.safetensors"]
    assert outcome["error"] == "HubLoadError" and "holds no readable architecture" in outcome["message"], outcome
    assert outcome["seconds"] < 10 and len(outcome["message"]) < 600
    assert memory["peak_mb"] - memory["baseline_mb"] < 400, memory


@needs_torch
def test_weights_that_do_not_fit_say_damaged(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(_kit_policy_bytes(state_dict={"net.0.weight": torch.zeros(3, 3)}))
    with pytest.raises(hub.HubLoadError, match="do not fit its stated architecture"):
        hub.load_model_file(path, policy_class=_NeverBuilt)


@needs_torch
@pytest.mark.parametrize("cut", [4, 20, -8])
def test_damaged_safetensors_say_download_again(tmp_path, cut):
    path = tmp_path / "model.safetensors"
    path.write_bytes(_kit_policy_bytes()[:cut])
    with pytest.raises(hub.HubLoadError, match="(?i)damaged|download it again|no readable architecture"):
        hub.load_model_file(path)


@pytest.fixture(scope="module")
def zip_bomb():
    return hostile.zip_bomb_pt(16 * 2**20)


@pytest.mark.parametrize("kind", ["whole_module", "zip_bomb", "damaged", "bytearray"])
def test_pt_files_are_never_opened(tmp_path, zip_bomb, monkeypatch, kind):
    def never(*args, **kwargs):
        raise AssertionError("torch.load ran on a downloaded .pt file")

    if torch is not None:
        monkeypatch.setattr(torch, "load", never)
    data = {"zip_bomb": zip_bomb, "damaged": b"PK\x03\x04" + b"\x17" * 200,
            "bytearray": b"\x80\x02c__builtin__\nbytearray\nJ\x00\x00\x00\x40\x85R."}.get(kind)
    path = tmp_path / "model.pt"
    if data is None:
        if torch is None:
            pytest.skip("writing a whole-module model.pt needs torch")
        buffer = io.BytesIO()
        torch.save(torch.nn.Sequential(torch.nn.Linear(4, 2)), buffer)
        data = buffer.getvalue()
    path.write_bytes(data)
    with pytest.raises(hub.HubLoadError, match="saved the whole module .* weights_only=False") as info:
        hub.load_model_file(path)
    assert "model.safetensors" in str(info.value)


def test_results_json_still_loads(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"mean_reward": 1.0}))
    assert hub.load_model_file(path) == {"mean_reward": 1.0}
