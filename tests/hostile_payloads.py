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


# ---- issue 23: what the general unpickler lost to (hashing, sharing, sizes) ------------------------------------
def _key_model(key_ops: bytes, proto: bytes = PROTO2) -> bytes:
    """A course-looking dict with one more key, made by ``key_ops`` (the payload is hashed if it is a key)."""
    return proto + EMPTY_DICT + MARK + text("env_id") + text("Taxi-v3") + key_ops + NONE + SETITEMS + STOP


def deep_tuple_key(depth: int = 150_000) -> bytes:
    """A key nested ``depth`` tuples deep: hashing it recursed through C and killed Python (SIGSEGV)."""
    return _key_model(NONE + TUPLE1 * depth)


def shared_tuple_key(levels: int = 60) -> bytes:
    """A 60-level tuple whose two halves are the same tuple: a few hundred bytes, 2**60 steps to hash."""
    ops = NONE + put(0)
    for level in range(1, levels + 1):
        ops += get(level - 1) + get(level - 1) + TUPLE2 + put(level)
    return _key_model(ops)


def flat_tuple_key() -> bytes:
    """A harmless-looking (1, 2) key: course model keys are names, so any tuple key is refused."""
    return _key_model(integer(1) + integer(2) + TUPLE2)


def huge_int_keys(digits_bytes: int = 2**20, n: int = 200_000) -> bytes:
    """One 1 MB integer, memoised, used as a key n times: hashed n times."""
    big = b"\x8b" + struct.pack("<I", digits_bytes) + b"\x7f" * digits_bytes  # LONG4
    items = (get(0) + NONE) * n
    return PROTO2 + EMPTY_DICT + big + put(0) + b"0" + MARK + items + SETITEMS + STOP


def huge_int_value() -> bytes:
    """A 1 MB integer as the Q-table: int() of it, or str() in a message, takes minutes."""
    return model(b"\x8b" + struct.pack("<I", 2**20) + b"\x01" * 2**20)


def decimal_int_value(digits: int = 5_000) -> bytes:
    """A protocol-0 decimal integer of 5,000 digits (int() raises ValueError past 4,300)."""
    return model(b"L" + b"7" * digits + b"L\n")


def long_string_keys(n: int = 10, size: int = 2**20) -> bytes:
    """Keys of 1 MB each, equal but for the last character: each comparison reads a megabyte."""
    items = b"".join(text("k" * (size - 1) + chr(65 + i % 26)) + NONE for i in range(n))
    return PROTO2 + EMPTY_DICT + MARK + items + SETITEMS + STOP


def shared_long_string(size: int = 8 * 2**20, copies: int = 1000) -> bytes:
    """env_id = [one 8 MB string] * 1000: 8 MB on disk, 8 GB once str() or json expands it."""
    return PROTO2 + EMPTY_DICT + text("env_id") + EMPTY_LIST + text("x" * size) + put(0) + b"0" + MARK + \
        get(0) * copies + APPENDS + b"s" + STOP


def shared_short_string(size: int = 4000, copies: int = 1000) -> bytes:
    """The same with a string each list may hold (4,000 characters), shared 1,000 times: 4 MB of text."""
    return PROTO2 + EMPTY_DICT + text("env_id") + EMPTY_LIST + text("x" * size) + put(0) + b"0" + MARK + \
        get(0) * copies + APPENDS + b"s" + STOP


def shared_bytes_list(size: int = 8 * 2**20, copies: int = 1000) -> bytes:
    """qtable = [one 8 MB bytes] * 1000: NumPy asked for 7.8 GiB and its error escaped."""
    return model(EMPTY_LIST + raw(b"\0" * size) + put(0) + b"0" + MARK + get(0) * copies + APPENDS, PROTO3)


def shared_array_data(size: int = 2**20, arrays: int = 100) -> bytes:
    """100 arrays built from one memoised 1 MB buffer: 1 MB on disk, 100 MB of arrays."""
    ops = PROTO3 + EMPTY_DICT + raw(b"\0" * size) + put(200) + b"0" + MARK
    for i in range(arrays):
        ops += text(f"a{i}") + glob("numpy._core.numeric", "_frombuffer") + MARK + get(200) + dtype("u1") + \
            integer(size) + TUPLE1 + text("C") + TUPLE + REDUCE
    return ops + SETITEMS + STOP


def a_set() -> bytes:
    """A set as the Q-table (its members are hashed while it is built)."""
    return model(b"\x8f" + MARK + integer(1) + integer(2) + b"\x90", PROTO5)  # EMPTY_SET, ADDITEMS


def list_of_arrays() -> bytes:
    """qtable = [array, array]: a list may hold numbers and strings, arrays only sit in the model dict."""
    arr = glob("numpy._core.numeric", "_frombuffer") + MARK + raw(b"\0" * 8) + dtype("f8") + integer(1) + TUPLE1 + \
        text("C") + TUPLE + REDUCE
    return model(EMPTY_LIST + MARK + arr + arr + APPENDS, PROTO3)


def grow_after_use() -> bytes:
    """A list counted small when it was put in the model, then appended to (via the memo) afterwards."""
    return PROTO2 + EMPTY_DICT + text("qtable") + EMPTY_LIST + put(0) + b"s" + get(0) + integer(1) + APPEND + \
        b"0" + STOP


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
    "colliding_keys": (colliding_keys, "refused"),  # int keys: refused by name since issue 23
    "opcode_flood": (opcode_flood, "limit"),
    "huge_memo_index": (huge_memo_index, None),
    "huge_bytearray8": (huge_bytearray8, "damaged"),
    "self_containing": (self_containing, "refused"),
    "codecs_other_encoding": (codecs_other_encoding, "refused"),
    "deep_tuple_key": (deep_tuple_key, "limit"),
    "shared_tuple_key": (shared_tuple_key, "limit"),
    "flat_tuple_key": (flat_tuple_key, "refused"),
    "huge_int_keys": (huge_int_keys, "refused"),
    "huge_int_value": (huge_int_value, "refused"),
    "decimal_int_value": (decimal_int_value, "damaged"),
    "long_string_keys": (long_string_keys, "limit"),
    "shared_long_string": (shared_long_string, "refused"),
    "shared_short_string": (shared_short_string, "limit"),
    "shared_bytes_list": (shared_bytes_list, "refused"),
    "shared_array_data": (shared_array_data, "limit"),
    "a_set": (a_set, "refused"),
    "list_of_arrays": (list_of_arrays, "refused"),
    "grow_after_use": (grow_after_use, "refused"),
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
# hostile files are loaded by a child Python. Its memory is bounded in ways that work with any torch build
# (an address-space cap leaves a CUDA build no room to map its libraries): libraries are imported first, then
# RLIMIT_DATA caps new private memory a few GiB above that (a safety net), and the parent polls the child's
# resident memory and kills it past ``mem_mb`` above its start-up size. Torch is imported only for policy files.
def _status_kb(pid, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next((int(line.split()[1]) for line in f if line.startswith(field + ":")), 0)
    except OSError:
        return 0


def _child(paths: list[str]) -> None:
    import json
    import os
    import resource
    import sys
    import time
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from helpers.hub import load_model_file

    if any(p.endswith(".safetensors") for p in paths):
        import safetensors.torch  # noqa: F401
        import torch  # noqa: F401  (mapped before the cap, whatever the build)

    linux = os.path.exists("/proc/self/status")
    if linux:
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        cap = _status_kb("self", "VmData") * 1024 + 4 * 2**30
        resource.setrlimit(resource.RLIMIT_DATA, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    print(json.dumps({"baseline_mb": _status_kb("self", "VmRSS") / 1024}), flush=True)
    for path in paths:
        start = time.perf_counter()
        try:
            obj = load_model_file(path)
            out = {"ok": type(obj).__name__}
        except Exception as err:  # every outcome is reported; the parent decides which are acceptable
            out = {"error": type(err).__name__, "message": str(err)[:2000]}
        out["seconds"] = round(time.perf_counter() - start, 3)
        out["path"] = path
        print(json.dumps(out), flush=True)
    print(json.dumps({"peak_mb": _status_kb("self", "VmHWM") / 1024}), flush=True)


def load_in_subprocess(files: dict[str, bytes], folder, mem_mb: int = 768, timeout: float = 120):
    """Write ``files`` (name -> bytes) into ``folder``, load each with ``load_model_file`` in one child
    process, and return ({name: outcome}, {"baseline_mb", "peak_mb"}). An outcome is {"ok": type} or
    {"error": class name, "message": ...}, with "seconds". Fails (AssertionError) if the child dies by a
    signal, exits with an error, runs past ``timeout`` or holds more than ``mem_mb`` MiB above its start."""
    import json
    import os
    import subprocess
    import sys
    import threading
    import time
    from pathlib import Path

    folder = Path(folder)
    paths = {}
    for name, data in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, __file__, *map(str, paths.values())], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    out: list[str] = []
    err: list[str] = []
    readers = [threading.Thread(target=lambda s=s, o=o: o.extend(s), daemon=True)
               for s, o in ((proc.stdout, out), (proc.stderr, err))]
    for reader in readers:
        reader.start()
    start, killed = time.monotonic(), None
    while proc.poll() is None:
        baseline = json.loads(out[0])["baseline_mb"] if out else 4096.0
        rss = _status_kb(proc.pid, "VmRSS") / 1024
        if rss > baseline + mem_mb or time.monotonic() - start > timeout:
            killed = f"{rss:.0f} MB resident" if rss > baseline + mem_mb else f"still running after {timeout} s"
            proc.kill()
            break
        time.sleep(0.01)
    proc.wait()
    for reader in readers:
        reader.join(5)
    assert killed is None and proc.returncode == 0, (
        f"the loader's process {'was killed: ' + killed if killed else f'died (exit {proc.returncode})'}"
        + (f", signal {-proc.returncode}" if proc.returncode < 0 and not killed else "")
        + f" after:\n{''.join(out)[-2000:]}\n{''.join(err)[-2000:]}")
    lines = [json.loads(line) for line in "".join(out).splitlines() if line.startswith("{")]
    by_path = {line["path"]: line for line in lines if "path" in line}
    outcomes = {name: by_path[str(path)] for name, path in paths.items()}
    return outcomes, {"baseline_mb": lines[0]["baseline_mb"], "peak_mb": lines[-1]["peak_mb"]}


if __name__ == "__main__":
    import sys as _sys

    _child(_sys.argv[1:])
