"""Load a course Q-learning model (a pickled dict) without running code from the file, and without crashing.

``pickle.load`` on a downloaded file runs whatever the file asks for: a pickle can name any importable
function (``os.system``, ``builtins.exec``...) and have it called while loading. A course model only
needs plain containers, numbers, strings and NumPy arrays, so the unpickler below resolves exactly the
few names those need and refuses every other name before anything is called.

Refusing names is not enough: NumPy's own pickle constructors (``_reconstruct`` + ``ndarray.__setstate__``,
``ndarray(...)``, ``dtype`` + its state, ``scalar``, ``_frombuffer``) trust their arguments, and crafted
ones (an object dtype over raw bytes, a buffer shorter than the shape) crash the process or read past a
buffer. So no argument from the file ever reaches NumPy: the allowed names resolve to stand-ins that only
record and check what the file says (a numeric or bool dtype, a sane shape, exactly ``prod(shape) *
itemsize`` bytes), and the arrays are built here, with ``np.frombuffer(...).reshape(...).copy()``.

The stream is read by Python's pure-Python unpickler, with every opcode counted and the opcodes a
course model never uses refused (objects of classes, persistent ids, out-of-band buffers), and the
result is checked before it is returned: nesting depth, size once shared references are expanded (a
"billion laughs" list of lists), and only plain data types. Every limit below is far above what a course
model needs (a Taxi model is about 25 KB).

Models pickled years ago with NumPy 1.x name ``numpy.core.multiarray._reconstruct``; NumPy 2 writes
``numpy._core...``. Both spellings are understood, whatever NumPy is installed.

Why one long module: every line here is the one concern "read an untrusted pickle", and the stand-ins, the
limits and the opcode handling only make sense together; splitting them would spread a security boundary
over several files.
"""
from __future__ import annotations

import io
import math
import pickle
import reprlib

import numpy as np

__all__ = ["UnsafePickleError", "RefusedPickleError", "DamagedPickleError", "PickleLimitError",
           "RestrictedUnpickler", "safe_load", "safe_loads", "ALLOWED_NAMES", "LIMITS"]

# What a file may hold at most. A course model is a few KB to a few MB.
LIMITS = {
    "file_bytes": 64 * 2**20,       # the whole file
    "opcodes": 1_000_000,           # pickle instructions executed
    "elements": 2**24,              # values once shared references are expanded (array elements included)
    "depth": 64,                    # containers inside containers
    "keys": 200_000,                # dict keys and set members, all containers together
    "colliding_keys": 2_000,        # non-string keys in one dict or set (ints can be made to share a hash)
    "ndim": 32,                     # array dimensions
    "call_args": 8,                 # arguments of one call in the file
}

# Array and scalar types a course model may hold: bool, integers and floats. No object arrays (they
# unpickle arbitrary objects), no structured or string dtypes.
ALLOWED_DTYPES = frozenset(["b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8"])


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 3, 40, 40, 40
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = _REPR.maxfrozenset = 4


def short_repr(obj) -> str:
    """repr for messages, bounded whatever ``obj`` is (a file could hold lists sharing one list a billion
    times over, or an int of a million digits; a plain repr would expand them)."""
    try:
        return _REPR.repr(obj)[:80]
    except Exception:  # e.g. an int too long to print
        return f"<a {type(obj).__name__}>"


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle that ``safe_load`` would not load; the message says why and what to do."""


class RefusedPickleError(UnsafePickleError):
    """The file names something a course model never contains; nothing from it was run."""

    def __init__(self, name: str, source: str = "the file", why: str | None = None):
        self.name = name
        super().__init__(
            f"Refused to load {source}: it asks for {name}, which a course model never contains "
            f"(a model is a dict of numbers, lists, strings and NumPy arrays of numbers){': ' + why if why else ''}. "
            "Unpickling it could run code or crash Python, so nothing from it was run. Only load models you "
            "trust, and ask the author to re-push the model with the kit if you do trust it.")


class DamagedPickleError(UnsafePickleError):
    """The file is not a complete, well-formed pickle (cut short, corrupted, or not a pickle at all)."""

    def __init__(self, source: str, detail: str):
        self.detail = detail
        super().__init__(
            f"{source} is damaged or incomplete ({detail}), so it cannot be loaded. If you downloaded it, "
            "download it again (delete it from the Hub cache first); if it is on the Hub like this, ask the "
            "author to re-push the model.")


class PickleLimitError(UnsafePickleError):
    """The file is far larger or more deeply nested than any course model; it was not loaded."""

    def __init__(self, source: str, what: str):
        self.what = what
        super().__init__(
            f"Refused to load {source}: {what}. A course model (a dict with a Q-table) is far smaller, so this "
            "file was not loaded (it could exhaust the memory or hang Python). Only load models you trust.")


# ---- stand-ins for the names a course model uses --------------------------------------------------------
class _Stub:
    """A value under construction; ``_finish`` replaces every one with what it stands for."""
    __slots__ = ()


class _Value(_Stub):
    """An array or NumPy scalar built here (``value``), or an array waiting for its state (value None)."""
    __slots__ = ("value", "what")

    def __init__(self, what: str, value=None):
        self.what, self.value = what, value


class _DType(_Stub):
    """A dtype the file asked for: its type code (checked) and byte order (from its state)."""
    __slots__ = ("code", "order", "built")

    def __init__(self, code: str):
        self.code, self.order, self.built = code, "=", False

    def dtype(self) -> np.dtype:
        return np.dtype(self.code).newbyteorder(self.order)


class _Marker:
    """A name the file may only mention, never call (``numpy.ndarray`` as ``_reconstruct``'s first argument)."""
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return self.name


class _Callable:
    """A name the file may call: ``fn`` checks the arguments and builds the value itself."""
    __slots__ = ("name", "fn")

    def __init__(self, name: str, fn):
        self.name, self.fn = name, fn

    def __repr__(self):
        return self.name


_NDARRAY = _Marker("numpy.ndarray")


def _names() -> dict[str, str]:
    """Every name a course pickle may use -> the stand-in that handles it."""
    names = {"numpy.ndarray": "ndarray", "numpy.dtype": "dtype", "_codecs.encode": "encode"}
    for prefix in ("numpy.core.", "numpy._core."):  # NumPy 1.x and 2.x spellings
        names[prefix + "multiarray._reconstruct"] = "reconstruct"  # ndarray, protocols 0-4
        names[prefix + "multiarray.scalar"] = "scalar"  # NumPy scalars such as np.float64(0.7)
        names[prefix + "numeric._frombuffer"] = "frombuffer"  # ndarray, protocol 5
    # Plain values; protocol >= 2 writes most of these without naming them, older protocols and sets
    # (protocols <= 3), bytes (protocols <= 2) and bytearray name them. "__builtin__" is Python 2's spelling.
    for name in ("dict", "list", "tuple", "set", "frozenset", "int", "float", "complex", "str", "bytes",
                 "bytearray", "bool"):
        names[f"builtins.{name}"] = names[f"__builtin__.{name}"] = name
    return names


ALLOWED_NAMES: dict[str, str] = _names()


class RestrictedUnpickler(pickle._Unpickler):
    """The pure-Python unpickler, restricted: only ``ALLOWED_NAMES`` resolve (to checking stand-ins), only
    the opcodes a plain-data pickle uses run, and each one is counted against ``LIMITS``."""

    source = "the file"

    def __init__(self, file, source: str | None = None, limits: dict | None = None):
        # latin1: Python 2 strings (NumPy 1.x on Python 2) come back as str, which the stand-ins re-encode.
        super().__init__(file, fix_imports=False, encoding="latin1", errors="strict")
        self.source = source or self.source
        self.limits = dict(LIMITS, **(limits or {}))
        self._ops = 0
        self._keys = 0
        self._elements = 0

    # ---- names ----------------------------------------------------------------------------------------
    def find_class(self, module: str, name: str):
        full = f"{module}.{name}"
        kind = ALLOWED_NAMES.get(full)
        if kind is None:
            raise RefusedPickleError(full, self.source)
        if kind == "ndarray":
            return _NDARRAY
        return _Callable(full, getattr(self, f"_make_{kind}"))

    def persistent_load(self, pid):  # course models never use persistent ids
        raise RefusedPickleError(f"persistent id {short_repr(pid)}", self.source)

    # ---- counting -------------------------------------------------------------------------------------
    def _limit(self, what: str):
        raise PickleLimitError(self.source, what)

    def _count_elements(self, n: int) -> None:
        self._elements += n
        if self._elements > self.limits["elements"]:
            self._limit(f"it holds more than {self.limits['elements']:,} values")

    def _count_keys(self, container, keys) -> None:
        keys = list(keys)
        self._keys += len(keys)
        if self._keys > self.limits["keys"]:
            self._limit(f"it holds more than {self.limits['keys']:,} dict keys and set members")
        if len(container) + len(keys) > self.limits["colliding_keys"] and \
                any(type(k) is not str for k in keys):
            self._limit(f"one of its dicts or sets has more than {self.limits['colliding_keys']:,} keys that are "
                        "not strings")

    # ---- opcodes, overridden ----------------------------------------------------------------------------
    def _refuse_opcode(self, what: str):
        raise RefusedPickleError(what, self.source)

    def load_reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        if type(func) is not _Callable:
            self._refuse_opcode(f"a call of {type(func).__name__}")
        if type(args) is not tuple or len(args) > self.limits["call_args"]:
            raise DamagedPickleError(self.source, f"bad arguments for {func.name}")
        self.stack[-1] = func.fn(*args)

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) is _Value and inst.value is None:
            self._build_array(inst, state)
        elif type(inst) is _DType and not inst.built:
            self._build_dtype(inst, state)
        else:
            self._refuse_opcode(f"setting the state of {type(inst).__name__}")

    def load_appends(self):
        items = self.pop_mark()
        target = self.stack[-1]
        if type(target) is not list:
            self._refuse_opcode(f"appending to {type(target).__name__}")
        target.extend(items)

    def load_append(self):
        value = self.stack.pop()
        target = self.stack[-1]
        if type(target) is not list:
            self._refuse_opcode(f"appending to {type(target).__name__}")
        target.append(value)

    def load_setitems(self):
        items = self.pop_mark()
        target = self.stack[-1]
        if type(target) is not dict:
            self._refuse_opcode(f"setting items of {type(target).__name__}")
        if len(items) % 2:
            raise DamagedPickleError(self.source, "odd number of items for a dict")
        self._count_keys(target, items[::2])
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def load_setitem(self):
        value = self.stack.pop()
        key = self.stack.pop()
        target = self.stack[-1]
        if type(target) is not dict:
            self._refuse_opcode(f"setting items of {type(target).__name__}")
        self._count_keys(target, [key])
        target[key] = value

    def load_dict(self):
        items = self.pop_mark()
        if len(items) % 2:
            raise DamagedPickleError(self.source, "odd number of items for a dict")
        d = {}
        self._count_keys(d, items[::2])
        for i in range(0, len(items), 2):
            d[items[i]] = items[i + 1]
        self.append(d)

    def load_additems(self):
        items = self.pop_mark()
        target = self.stack[-1]
        if type(target) is not set:
            self._refuse_opcode(f"adding items to {type(target).__name__}")
        self._count_keys(target, items)
        target.update(items)

    def load_frozenset(self):
        items = self.pop_mark()
        self._count_keys(set(), items)
        self.append(frozenset(items))

    def load_bytearray8(self):  # the pure-Python version allocates the stated length before reading it
        data = self.read(8)
        if len(data) < 8:
            raise DamagedPickleError(self.source, "cut short")
        size = int.from_bytes(data, "little")
        if size > self.limits["file_bytes"]:
            raise DamagedPickleError(self.source, f"a bytearray of {size:,} bytes in a smaller file")
        value = self.read(size)
        if len(value) < size:
            raise DamagedPickleError(self.source, "cut short")
        self.append(bytearray(value))

    def _refused(what):
        def refuse(self):
            self._refuse_opcode(what)
        return refuse

    load_inst = load_obj = _refused("an object of a class (INST/OBJ)")
    load_newobj = load_newobj_ex = _refused("an object of a class (NEWOBJ)")
    load_ext1 = load_ext2 = load_ext4 = _refused("an extension-registry name (EXT)")
    load_next_buffer = load_readonly_buffer = _refused("an out-of-band buffer")
    load_persid = load_binpersid = _refused("a persistent id")
    del _refused

    # ---- the stand-ins -------------------------------------------------------------------------------------
    def _bytes_of(self, data, what: str) -> bytes:
        if type(data) in (bytes, bytearray):
            return bytes(data)
        if type(data) is str:  # protocols 0-2, and Python 2 strings
            try:
                return data.encode("latin-1")
            except UnicodeEncodeError:
                raise DamagedPickleError(self.source, f"{what} is text that is not latin-1") from None
        if type(data) is list:
            raise RefusedPickleError("an array of Python objects (object dtype)", self.source)
        raise DamagedPickleError(self.source, f"{what} is a {type(data).__name__}, not bytes")

    def _make_encode(self, text, encoding="utf-8", errors="strict"):
        if type(text) is not str or type(encoding) is not str or \
                encoding.lower().replace("_", "-") not in ("latin1", "latin-1"):
            raise RefusedPickleError(f"_codecs.encode({short_repr(encoding)})", self.source)
        return self._bytes_of(text, "encoded text")

    def _make_dtype(self, spec=None, align=False, copy=True, *rest):
        if type(spec) is bytes:
            spec = spec.decode("latin-1")
        if type(spec) is not str or spec not in ALLOWED_DTYPES:
            raise RefusedPickleError(f"numpy.dtype({short_repr(spec)})", self.source,
                                     "only bool, integer and float arrays are loaded")
        return _DType(spec)

    def _build_dtype(self, dtype: _DType, state) -> None:
        if type(state) is not tuple or len(state) not in (8, 9) or type(state[1]) is not str:
            raise DamagedPickleError(self.source, "a dtype with a malformed state")
        if any(part is not None for part in state[2:5]):
            raise RefusedPickleError("a structured or sub-array numpy.dtype", self.source)
        if state[1] not in ("<", ">", "|", "="):
            raise DamagedPickleError(self.source, f"a dtype with byte order {short_repr(state[1])}")
        dtype.order, dtype.built = state[1], True

    def _dtype_of(self, dtype) -> np.dtype:
        if type(dtype) is not _DType:
            raise DamagedPickleError(self.source, f"an array whose dtype is a {type(dtype).__name__}")
        return dtype.dtype()

    def _array(self, data, dtype, shape, fortran=False) -> np.ndarray:
        """The array the file describes, built here from checked pieces (never by NumPy's unpickling)."""
        dt = self._dtype_of(dtype)
        if type(shape) is int:
            shape = (shape,)
        if type(shape) not in (tuple, list) or len(shape) > self.limits["ndim"] or \
                any(type(n) is not int or n < 0 or n > self.limits["elements"] for n in shape):
            raise DamagedPickleError(self.source, f"an array with shape {short_repr(shape)}")
        count = math.prod(shape)
        if count > self.limits["elements"]:
            self._limit(f"an array has {count:,} elements")
        data = self._bytes_of(data, "an array's data")
        if len(data) != count * dt.itemsize:
            raise DamagedPickleError(self.source, f"an array of shape {tuple(shape)} and dtype {dt} needs "
                                     f"{count * dt.itemsize:,} bytes of data, the file has {len(data):,}")
        self._count_elements(count)
        flat = np.frombuffer(data, dtype=dt, count=count)
        return flat.reshape(tuple(shape), order="F" if fortran else "C").copy()

    def _make_reconstruct(self, cls=None, shape=None, typecode=None, *rest):
        if cls is not _NDARRAY or rest:
            raise RefusedPickleError(f"_reconstruct of {short_repr(cls)}", self.source)
        return _Value("array")  # filled in by BUILD

    def _build_array(self, inst: _Value, state) -> None:
        if type(state) is tuple and len(state) == 5:
            state = state[1:]  # (version, shape, dtype, is_fortran, data)
        if type(state) is not tuple or len(state) != 4:
            raise DamagedPickleError(self.source, "an array with a malformed state")
        shape, dtype, fortran, data = state
        if type(fortran) not in (bool, int) or fortran not in (0, 1):
            raise DamagedPickleError(self.source, "an array with a malformed state")
        inst.value = self._array(data, dtype, shape, bool(fortran))

    def _make_frombuffer(self, buf=None, dtype=None, shape=None, order="C", *rest):
        if rest or order not in ("C", "F"):
            raise DamagedPickleError(self.source, "bad arguments for _frombuffer")
        return _Value("array", self._array(buf, dtype, shape, order == "F"))

    def _make_scalar(self, dtype=None, data=None, *rest):
        dt = self._dtype_of(dtype)
        data = self._bytes_of(data, "a scalar's data")
        if rest or len(data) != dt.itemsize:
            raise DamagedPickleError(self.source, f"a {dt} scalar with {len(data)} bytes of data")
        self._count_elements(1)
        return _Value("scalar", np.frombuffer(data, dtype=dt, count=1)[0])

    def _container(self, kind, items=(), *rest):
        if rest or type(items) not in (list, tuple, set, frozenset, dict, str, bytes, bytearray):
            raise DamagedPickleError(self.source, f"bad arguments for {kind.__name__}()")
        self._count_elements(len(items))
        if kind in (dict, set, frozenset):
            keys = list(items)
            if kind is dict and type(items) is not dict:
                if any(type(pair) is not tuple or len(pair) != 2 for pair in keys):
                    raise DamagedPickleError(self.source, "dict() of something other than pairs")
                keys = [pair[0] for pair in keys]
            self._count_keys(set(), keys)
        try:
            return kind(items)
        except (TypeError, ValueError) as err:
            raise DamagedPickleError(self.source, f"{kind.__name__}(): {err}"[:120]) from None

    def _make_dict(self, *args):
        return self._container(dict, *args)

    def _make_list(self, *args):
        return self._container(list, *args)

    def _make_tuple(self, *args):
        return self._container(tuple, *args)

    def _make_set(self, *args):
        return self._container(set, *args)

    def _make_frozenset(self, *args):
        return self._container(frozenset, *args)

    def _number(self, kind, value=0, *rest):
        if rest or type(value) not in (int, float, bool, str, bytes) or \
                (type(value) in (str, bytes) and len(value) > 1000):
            raise DamagedPickleError(self.source, f"bad arguments for {kind.__name__}()")
        try:
            return kind(value)
        except (TypeError, ValueError, OverflowError) as err:
            raise DamagedPickleError(self.source, f"{kind.__name__}(): {err}"[:120]) from None

    def _make_int(self, *args):
        return self._number(int, *args)

    def _make_float(self, *args):
        return self._number(float, *args)

    def _make_bool(self, *args):
        return self._number(bool, *args)

    def _make_complex(self, real=0.0, imag=0.0, *rest):
        if rest or type(real) not in (int, float) or type(imag) not in (int, float):
            raise DamagedPickleError(self.source, "complex() of something other than two numbers")
        try:
            return complex(real, imag)
        except OverflowError as err:
            raise DamagedPickleError(self.source, f"complex(): {err}") from None

    def _make_str(self, value="", *rest):
        if rest or type(value) is not str:
            raise DamagedPickleError(self.source, "str() of something other than text")
        return value

    def _make_bytes(self, value=b"", encoding=None, *rest):
        # bytes() (protocols <= 2 write empty bytes so), bytes(b"..."), bytes("...", "latin-1"): never bytes(N).
        if rest or type(value) is int:
            raise RefusedPickleError(f"bytes({short_repr(value)})" if not rest else "bytes(...)", self.source,
                                     "a length would allocate that many bytes")
        if encoding is not None:
            value = self._make_encode(value, encoding)
        return self._bytes_of(value, "bytes()")

    def _make_bytearray(self, value=b"", encoding=None, *rest):
        return bytearray(self._make_bytes(value, encoding, *rest))

    # ---- the result --------------------------------------------------------------------------------------
    def load(self):
        try:
            obj = super().load()
        except UnsafePickleError:
            raise
        except EOFError:
            raise DamagedPickleError(self.source, "it ends before the pickle does: cut short") from None
        except pickle.UnpicklingError as err:
            raise DamagedPickleError(self.source, str(err)[:200]) from None
        except MemoryError:
            raise PickleLimitError(self.source, "it needs more memory than this machine has") from None
        except Exception as err:  # struct.error, ValueError, IndexError...: malformed opcodes, whatever they raise
            raise DamagedPickleError(self.source, f"{type(err).__name__}: {err}"[:200]) from None
        return self._finish(obj)

    def _finish(self, root):
        """A copy of ``root`` with every stand-in replaced by what it stands for, after checking that it is
        plain data, not nested too deeply, free of cycles, and not too large once shared references are
        counted as often as they are used (what ``np.asarray`` or ``json.dumps`` would expand)."""
        done: dict[int, tuple[object, int]] = {}  # id -> (copy, expanded size)
        active: set[int] = set()
        limits = self.limits
        leaves = (type(None), bool, int, float, complex, str, bytes, bytearray)

        def visit(obj, depth):
            kind = type(obj)
            if kind in leaves:
                return obj, 1
            key = id(obj)
            if key in done:
                return done[key]
            if kind is _Value:
                if obj.value is None:
                    raise DamagedPickleError(self.source, "an array without its data")
                result = (obj.value, max(1, int(obj.value.size)))
            elif kind is _DType:
                result = (obj.dtype(), 1)
            elif kind in (dict, list, tuple, set, frozenset):
                if depth >= limits["depth"]:
                    self._limit(f"its data is nested more than {limits['depth']} levels deep")
                if key in active:
                    raise RefusedPickleError("a container that contains itself", self.source)
                active.add(key)
                size = 1
                if kind is dict:
                    out = {}
                    for k, v in obj.items():
                        k, n = visit(k, depth + 1)
                        v, m = visit(v, depth + 1)
                        size += n + m
                        if size > limits["elements"]:
                            break
                        try:
                            out[k] = v
                        except TypeError:
                            raise RefusedPickleError(f"a dict keyed by {type(k).__name__}", self.source) from None
                else:
                    items = []
                    for item in obj:
                        item, n = visit(item, depth + 1)
                        items.append(item)
                        size += n
                        if size > limits["elements"]:
                            break
                    try:
                        out = items if kind is list else kind(items)
                    except TypeError:
                        raise RefusedPickleError(f"a {kind.__name__} of arrays", self.source) from None
                active.discard(key)
                if size > limits["elements"]:
                    self._limit(f"its data expands to more than {limits['elements']:,} values (the same "
                                "lists referred to over and over)")
                result = (out, size)
            else:
                name = getattr(obj, "name", None) if kind in (_Callable, _Marker) else None
                raise RefusedPickleError(name or f"a {kind.__name__}", self.source)
            done[key] = result
            return result

        return visit(root, 0)[0]


def _counted(step):
    def run(self):
        self._ops += 1
        if self._ops > self.limits["opcodes"]:
            self._limit(f"it runs more than {self.limits['opcodes']:,} pickle instructions")
        step(self)
    return run


RestrictedUnpickler.dispatch = {code: _counted(getattr(RestrictedUnpickler, step.__name__, step))
                                for code, step in pickle._Unpickler.dispatch.items()}

_LFS_POINTER = b"version https://git-lfs"


def safe_loads(data: bytes, source: str = "the data", limits: dict | None = None):
    """Unpickle bytes with the restricted unpickler. Raises ``RefusedPickleError`` (names or data a course
    model never holds), ``DamagedPickleError`` (cut short, corrupted, not a pickle) or ``PickleLimitError``
    (far too large); all are ``pickle.UnpicklingError``."""
    caps = dict(LIMITS, **(limits or {}))
    data = bytes(data)
    if len(data) > caps["file_bytes"]:
        raise PickleLimitError(source, f"it is {len(data):,} bytes, more than {caps['file_bytes']:,} bytes")
    if not data:
        raise DamagedPickleError(source, "the file is empty")
    if data.startswith(_LFS_POINTER):
        raise DamagedPickleError(source, "this is a Git LFS pointer, not the model: the file itself was never "
                                 "downloaded (fetch it with `git lfs pull` or hf_hub_download)")
    return RestrictedUnpickler(io.BytesIO(data), source, limits).load()


def safe_load(file, source: str | None = None, limits: dict | None = None):
    """Unpickle an open binary file with the restricted unpickler (read whole, at most ``file_bytes``)."""
    caps = dict(LIMITS, **(limits or {}))
    source = source or getattr(file, "name", None) or "the file"
    data = file.read(caps["file_bytes"] + 1)
    if len(data) > caps["file_bytes"]:
        raise PickleLimitError(source, f"it is more than {caps['file_bytes']:,} bytes")
    return safe_loads(data, source, limits)
