"""Property-based fuzzing of the model loader: whatever bytes a q-learning.pkl holds, loading it either
returns a checked course model or raises one of the kit's clear errors, never crashes Python (a signal),
never hangs and never takes much memory.

Hypothesis makes random bytes, random opcode streams and mutations of honest model pickles (bit flips,
truncations, opcode splices, deletions, duplicated segments); each batch is loaded in one child process
watched for memory and time (tests/hostile_payloads.load_in_subprocess), so a segfault fails the test
instead of ending pytest. KIT_FUZZ_EXAMPLES=N runs N batches of 100 (default 8: 800 files, a few seconds).
"""
from __future__ import annotations

import os
import pickle
import pickletools
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed (pip install -r requirements-dev.txt)")
from hypothesis import HealthCheck, Phase, Verbosity, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hostile_payloads as hostile  # noqa: E402

BATCH = 100
EXAMPLES = int(os.environ.get("KIT_FUZZ_EXAMPLES", "8"))
ACCEPTED_ERRORS = {"HubLoadError", "RefusedPickleError"}  # the kit's messages; anything else is a bug


def _seeds() -> list[bytes]:
    """Honest course models (every protocol, both NumPy spellings) and the hand-made attacks."""
    rng = np.random.default_rng(0)
    model = {"env_id": "FrozenLake-v1", "max_steps": 99, "n_eval_episodes": 100, "eval_seed": [1, 2, 3],
             "learning_rate": 0.7, "gamma": 0.95, "qtable": rng.random((16, 4)), "map_name": "4x4",
             "slippery": False, "score": np.float64(0.5), "flags": np.array([True, False]), "tags": ["a", "b"],
             "env_kwargs": {"is_slippery": False}}
    seeds = [pickle.dumps(model, protocol=p) for p in range(6)]
    # Protocol 2 names NumPy's functions in text lines: both spellings, whichever NumPy wrote the seeds.
    seeds += [seeds[2].replace(b"numpy._core.", b"numpy.core."), seeds[2].replace(b"numpy.core.", b"numpy._core.")]
    seeds.append(pickle.dumps({"env_id": "Taxi-v3", "qtable": np.zeros((500, 6), np.float32)}, protocol=5))
    small = [build for name, (build, _) in hostile.PICKLES.items()
             if name not in ("deep_nesting", "colliding_keys", "opcode_flood") and len(build()) < 100_000]
    return seeds + [build() for build in small]


SEEDS = _seeds()
OPCODES = [op.code.encode("latin-1") for op in pickletools.opcodes]


def _mutate(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for kind, position, extra in edits:
        if not out:
            out = bytearray(extra or b".")
            continue
        at = position % len(out)
        if kind == "flip":
            out[at] ^= 1 << (len(extra) % 8)
        elif kind == "cut":
            del out[at:]
        elif kind == "splice":  # an opcode (with some argument bytes) where none was
            out[at:at] = extra
        elif kind == "delete":
            del out[at:at + 1 + len(extra)]
        elif kind == "repeat":  # a segment written twice
            out[at:at] = out[at:at + 1 + len(extra) * 4]
    return bytes(out)


_opcode_bytes = st.builds(lambda op, args: op + args, st.sampled_from(OPCODES), st.binary(max_size=8))
_edit = st.tuples(st.sampled_from(["flip", "cut", "splice", "delete", "repeat"]), st.integers(0, 2**20),
                  st.one_of(_opcode_bytes, st.binary(max_size=8)))
_mutated = st.builds(_mutate, st.sampled_from(SEEDS), st.lists(_edit, min_size=1, max_size=4))
_opcode_stream = st.builds(lambda ops, proto: bytes([0x80, proto]) + b"".join(ops) + b".",
                           st.lists(_opcode_bytes, max_size=40), st.integers(0, 5))
payloads = st.one_of(_mutated, _mutated, _opcode_stream, st.binary(max_size=600))


# Each example is a batch of files loaded by one child process. No shrinking (each step would start a
# process; the failing files are printed instead) and a fixed seed, so CI runs the same files every time.
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, verbosity=Verbosity.quiet,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(st.lists(payloads, min_size=BATCH, max_size=BATCH))
def test_any_bytes_load_cleanly_or_fail_clearly(batch):
    files = {f"fuzz{i:03d}.pkl": data for i, data in enumerate(batch)}
    with tempfile.TemporaryDirectory(prefix="kit-fuzz-") as folder:
        outcomes, memory = hostile.load_in_subprocess(files, folder, mem_mb=512, timeout=240)
    wrong = [(files[name][:160], outcome) for name, outcome in outcomes.items()
             if not (outcome.get("ok") == "dict" or outcome.get("error") in ACCEPTED_ERRORS)
             or outcome["seconds"] >= 5 or len(outcome.get("message", "")) > 1200]
    assert not wrong, f"{len(wrong)} of {len(files)} files were not handled cleanly, e.g.:\n" + \
        "\n".join(f"{data!r}\n  -> {outcome}" for data, outcome in wrong[:5])
    assert memory["peak_mb"] - memory["baseline_mb"] < 400, memory


def test_the_fuzzer_reaches_the_loader():
    # Not a tautology guard: honest seeds must load, so the mutated ones start from real models.
    with tempfile.TemporaryDirectory(prefix="kit-fuzz-") as folder:
        outcomes, _ = hostile.load_in_subprocess({f"seed{i}.pkl": s for i, s in enumerate(SEEDS[:7])}, folder)
    assert all(outcome.get("ok") == "dict" for outcome in outcomes.values()), outcomes
