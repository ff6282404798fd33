"""Hand-made hostile model files, written opcode by opcode, for tests/test_safe_load.py and tests/test_hostile.py.

Each builder returns the bytes of a ``q-learning.pkl`` (or ``model.pt`` / JSON file) that attacks the loader:
a crash through NumPy's unpickling constructors, a huge allocation from a few bytes, an exponential
expansion, a hash-collision slowdown, and so on. ``PICKLES`` lists the pickle attacks by name.
"""
from __future__ import annotations

import io
import pickle
import struct
import zipfile

PROTO2, PROTO3, PROTO5 = b"\x80\x02", b"\x80\x03", b"\x80\x05"
MARK, STOP, TUPLE, TUPLE1, TUPLE2, TUPLE3 = b"(", b".", b"t", b"\x85", b"\x86", b"\x87"
REDUCE, BUILD, NEWOBJ, NONE, POP = b"R", b"b", b"\x81", b"N", b"0"
EMPTY_DICT, EMPTY_LIST, APPEND, APPENDS, SETITEMS = b"}", b"]", b"a", b"e", b"u"
NEWTRUE, NEWFALSE = b"\x88", b"\x89"


def glob(module: str, name: str) -> bytes:
    return b"c" + f"{module}\n{name}\n".encode()


def text(s: str) -> bytes:
    data = s.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def raw(b: bytes) -> bytes:  # BINBYTES (protocol 3)
    return b"B" + struct.pack("<I", len(b)) + b


def integer(n: int) -> bytes:
    if 0 <= n < 256:
        return b"K" + bytes([n])
    if -2**31 <= n < 2**31:
        return b"J" + struct.pack("<i", n)
    data = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(data)]) + data  # LONG1


def put(i: int) -> bytes:
    return b"q" + bytes([i])


def get(i: int) -> bytes:
    return b"h" + bytes([i])


def dtype(spec: str, numpy: str = "numpy") -> bytes:
    """numpy.dtype(spec, False, True) without its state."""
    return glob(numpy, "dtype") + text(spec) + NEWFALSE + NEWTRUE + TUPLE3 + REDUCE


def model(qtable_ops: bytes, proto: bytes = PROTO2) -> bytes:
    """A course-looking dict {"env_id": "FrozenLake-v1", "qtable": <qtable_ops>}."""
    return proto + EMPTY_DICT + MARK + text("env_id") + text("FrozenLake-v1") + text("qtable") + qtable_ops + \
        SETITEMS + STOP


# ---- the attacks ---------------------------------------------------------------------------------------
def object_array_over_bytes() -> bytes:
    """list(numpy.ndarray((1,), numpy.dtype('O'), b'AAAAAAAA')): an object array whose "pointer" is
    0x4141414141414141; iterating it dereferences that address (a segfault)."""
    array = glob("numpy", "ndarray") + MARK + integer(1) + TUPLE1 + dtype("O") + \
        b"C" + bytes([8]) + b"A" * 8 + TUPLE + REDUCE
    return PROTO3 + glob("builtins", "list") + array + TUPLE1 + REDUCE + STOP


def object_array_newobj() -> bytes:
    """The same array made with NEWOBJ (ndarray.__new__) instead of a call."""
    array = glob("numpy", "ndarray") + MARK + integer(1) + TUPLE1 + dtype("O") + \
        b"C" + bytes([8]) + b"A" * 8 + TUPLE + NEWOBJ
    return PROTO3 + glob("builtins", "list") + array + TUPLE1 + REDUCE + STOP


def reconstruct(state_ops: bytes, numpy: str = "numpy.core") -> bytes:
    """_reconstruct(ndarray, (0,), b'b') then BUILD with ``state_ops`` (a tuple on the stack)."""
    return glob(f"{numpy}.multiarray", "_reconstruct") + glob("numpy", "ndarray") + integer(0) + TUPLE1 + \
        b"C\x01b" + TUPLE3 + REDUCE + state_ops + BUILD


def short_buffer_array() -> bytes:
    """An f8 array of shape (1000, 1000) whose data is 8 bytes: reading it reads past the buffer."""
    state = MARK + integer(1) + integer(1000) + integer(1000) + TUPLE2 + dtype("f8") + NEWFALSE + \
        b"C" + bytes([8]) + b"\0" * 8 + TUPLE
    return model(reconstruct(state), PROTO3)


def object_dtype_state() -> bytes:
    """_reconstruct + BUILD with an object dtype and raw bytes for data."""
    state = MARK + integer(1) + integer(1) + TUPLE1 + dtype("O") + NEWFALSE + raw(b"A" * 8) + TUPLE
    return model(reconstruct(state), PROTO3)


def structured_dtype_past_buffer() -> bytes:
    """A void dtype whose state gives it a field at offset 4096 of an 8-byte item: reading the field reads
    past the item (NumPy takes the offset from the file)."""
    fields = EMPTY_DICT + text("a") + dtype("f8") + integer(4096) + TUPLE2 + b"s"  # SETITEM
    state = MARK + integer(3) + text("|") + NONE + text("a") + TUPLE1 + fields + integer(8) + integer(1) + \
        integer(16) + TUPLE
    void = dtype("V8") + state + BUILD
    scalar = glob("numpy.core.multiarray", "scalar") + void + b"C" + bytes([8]) + b"\0" * 8 + TUPLE2 + REDUCE
    return model(scalar, PROTO3)


def scalar_short_data() -> bytes:
    """numpy scalar(dtype('f8'), b'A'): 1 byte of data for an 8-byte value."""
    scalar = glob("numpy._core.multiarray", "scalar") + dtype("f8") + b"C\x01A" + TUPLE2 + REDUCE
    return model(scalar, PROTO3)


def frombuffer_object() -> bytes:
    """protocol 5's _frombuffer(b'AAAAAAAA', dtype('O'), (1,), 'C')."""
    call = glob("numpy.core.numeric", "_frombuffer") + MARK + raw(b"A" * 8) + dtype("O") + integer(1) + TUPLE1 + \
        text("C") + TUPLE + REDUCE
    return model(call, PROTO3)


def bytes_allocation(n: int = 2**30) -> bytes:
    """builtins.bytes(n): a 1 GiB allocation from a few bytes."""
    return model(glob("builtins", "bytes") + integer(n) + TUPLE1 + REDUCE)


def bytearray_allocation(n: int = 2**30) -> bytes:
    return model(glob("__builtin__", "bytearray") + integer(n) + TUPLE1 + REDUCE)


def billion_laughs(levels: int = 10, width: int = 10) -> bytes:
    """Lists of lists sharing one list per level: 100 bytes per level, width**levels values once expanded
    (what ``np.asarray(model["qtable"])`` does)."""
    ops = EMPTY_LIST + MARK + integer(0) * width + APPENDS + put(0) + POP
    for level in range(1, levels):
        ops += EMPTY_LIST + MARK + get(level - 1) * width + APPENDS + put(level) + POP
    return model(ops + get(levels - 1))


def deep_nesting(depth: int = 100_000) -> bytes:
    """A list in a list in a list... ``depth`` levels deep."""
    return model(EMPTY_LIST * depth + APPEND * (depth - 1))


def colliding_keys(n: int = 20_000) -> bytes:
    """A dict whose int keys all share one hash (multiples of 2**61 - 1): building it takes n**2 steps."""
    items = b"".join(integer(i * (2**61 - 1)) + NONE for i in range(1, n + 1))
    return model(EMPTY_DICT + MARK + items + SETITEMS)


def opcode_flood(n: int = 1_500_000) -> bytes:
    """n empty lists pushed one after the other: memory grows with every byte of the file."""
    return PROTO2 + EMPTY_LIST * n + STOP


def huge_memo_index() -> bytes:
    """LONG_BINPUT 2**31-1: C's unpickler grows its memo array to that index (16 GiB)."""
    return PROTO2 + NONE + b"r" + struct.pack("<I", 2**31 - 1) + STOP


def huge_bytearray8() -> bytes:
    """BYTEARRAY8 stating 2**40 bytes in a 20-byte file."""
    return PROTO5 + b"\x96" + struct.pack("<Q", 2**40) + b"xx" + STOP


def self_containing() -> bytes:
    """{"qtable": L} where L contains L."""
    return model(EMPTY_LIST + put(0) + get(0) + APPEND)


def codecs_other_encoding() -> bytes:
    return model(glob("_codecs", "encode") + text("x") + text("zlib_codec") + TUPLE2 + REDUCE)


# name -> (payload builder, what the loader must raise: "refused", "limit", "damaged" or None for a value)
PICKLES = {
    "object_array_over_bytes": (object_array_over_bytes, "refused"),
    "object_array_newobj": (object_array_newobj, "refused"),
    "object_dtype_state": (object_dtype_state, "refused"),
    "structured_dtype_past_buffer": (structured_dtype_past_buffer, "refused"),
    "short_buffer_array": (short_buffer_array, "damaged"),
    "scalar_short_data": (scalar_short_data, "damaged"),
    "frombuffer_object": (frombuffer_object, "refused"),
    "bytes_allocation": (bytes_allocation, "refused"),
    "bytearray_allocation": (bytearray_allocation, "refused"),
    "billion_laughs": (billion_laughs, "limit"),
    "deep_nesting": (deep_nesting, "limit"),
    "colliding_keys": (colliding_keys, "limit"),
    "opcode_flood": (opcode_flood, "limit"),
    "huge_memo_index": (huge_memo_index, None),
    "huge_bytearray8": (huge_bytearray8, "damaged"),
    "self_containing": (self_containing, "refused"),
    "codecs_other_encoding": (codecs_other_encoding, "refused"),
}


# ---- torch files -----------------------------------------------------------------------------------------
def zip_bomb_pt(inflated: int = 512 * 2**20) -> bytes:
    """A model.pt zip whose one member is ``inflated`` bytes of zeros, deflated to about 0.1% of that."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("archive/data/0", "w", force_zip64=True) as member:
            chunk = b"\0" * 2**20
            for _ in range(inflated // len(chunk)):
                member.write(chunk)
        zf.writestr("archive/data.pkl", pickle.dumps({}, protocol=2))
        zf.writestr("archive/version", "3\n")
    return buffer.getvalue()


def lfs_pointer() -> bytes:
    return (b"version https://git-lfs.github.com/spec/v1\n"
            b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")


def deep_json(depth: int = 100_000) -> bytes:
    return b"[" * depth + b"]" * depth


# ---- loading files in a child process -------------------------------------------------------------------------
# A crash (a signal), a hang or a huge allocation in the loader must fail a test, not take pytest down, so
# hostile files are loaded by a child Python whose address space is capped (RLIMIT_AS).
def _child(paths: list[str], mem_mb: int) -> None:
    import json
    import os
    import resource
    import sys
    import time
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from helpers.hub import load_model_file

    def rss_mb() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def vm_bytes() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")

    linux = os.path.exists("/proc/self/statm")
    baseline = rss_mb() if linux else 0.0
    if linux:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = vm_bytes() + mem_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    for path in paths:
        start = time.perf_counter()
        try:
            obj = load_model_file(path)
            out = {"ok": type(obj).__name__}
        except Exception as err:  # every outcome is reported; the parent decides which are acceptable
            out = {"error": type(err).__name__, "message": str(err)[:400]}
        out["seconds"] = round(time.perf_counter() - start, 3)
        out["path"] = path
        print(json.dumps(out), flush=True)
    peak = 0.0
    if linux:  # this process's own high-water mark (ru_maxrss would include the parent's, from before exec)
        with open("/proc/self/status") as f:
            peak = next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:"))
    print(json.dumps({"baseline_mb": baseline, "peak_mb": peak}), flush=True)


def load_in_subprocess(files: dict[str, bytes], folder, mem_mb: int = 768, timeout: float = 120):
    """Write ``files`` (name -> bytes) into ``folder``, load each with ``load_model_file`` in one child
    process, and return ({name: outcome}, {"baseline_mb", "peak_mb"}). An outcome is {"ok": type} or
    {"error": class name, "message": ...}, with "seconds". Fails (AssertionError) if the child dies."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    folder = Path(folder)
    paths = {}
    for name, data in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, __file__, str(mem_mb), *map(str, paths.values())], capture_output=True,
                          text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, (f"the loader's process died (exit {proc.returncode}"
                                  + (f", signal {-proc.returncode}" if proc.returncode < 0 else "")
                                  + f") after:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    by_path = {line["path"]: line for line in lines if "path" in line}
    outcomes = {name: by_path[str(path)] for name, path in paths.items()}
    return outcomes, lines[-1]


if __name__ == "__main__":
    import sys as _sys

    _child(_sys.argv[2:], int(_sys.argv[1]))
