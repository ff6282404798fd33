"""Read a course Q-learning model (``q-learning.pkl``) from its pickle opcodes, without unpickling it.

``pickle.load`` on a downloaded file runs whatever the file asks for. This module never calls it: it walks
the opcode stream (``pickletools.genops``) with a small stack machine that can build only what a course
model is, and refuses everything else by name:

* a dict with string keys (the model; one more small dict such as ``env_kwargs`` may sit inside it),
  whose values are numbers, booleans, strings, ``None``, short lists or tuples of those (``eval_seed``,
  ``desc``, a Q-table as a list of rows) and NumPy arrays (the Q-table);
* arrays are built here with ``np.frombuffer`` from a checked dtype (bool, integer or float), a checked
  shape and exactly ``prod(shape) * itemsize`` bytes, from either spelling NumPy writes
  (``numpy.core`` in 1.x, ``numpy._core`` in 2.x) at any protocol; NumPy's own constructors never see
  an argument from the file.

Nothing is hashed or allocated before it is known to fit: dict keys must be short strings (no tuples, no
numbers), integers must fit in 64 bits, containers nest at most ``depth`` levels, every container knows
its size with shared parts counted each time they are used, a container cannot change once it is used,
and strings and the bytes made into arrays draw on fixed budgets. Every limit is far above what a course
model needs (a Taxi model is about 25 KB).

Also here: ``short_repr``, the bounded repr for messages. Reading files (size cap, empty file, Git LFS
pointer) is the loader's (``helpers.hub.load``).
"""
from __future__ import annotations

import math
import pickle
import pickletools
import reprlib

import numpy as np

from helpers.i18n import _

__all__ = ["UnsafePickleError", "RefusedPickleError", "DamagedPickleError", "PickleLimitError", "safe_loads",
           "short_repr", "LIMITS", "ALLOWED_DTYPES"]

LIMITS = {
    "file_bytes": 16 * 2**20,   # the whole file (the loader caps every model file it reads at this too)
    "opcodes": 1_000_000,       # pickle instructions read
    "stack": 10_000,            # values waiting on the stack
    "values": 2**20,            # values in the model once shared parts are expanded (string characters count)
    "depth": 3,                 # containers inside containers (model dict > list > list)
    "keys": 256,                # keys of one dict
    "key_chars": 100,           # characters of one key
    "text_chars": 4096,         # characters of one string kept in the model
    "data_bytes": 32 * 2**20,   # bytes made for arrays, scalars and latin-1 text, all together
    "ndim": 4,                  # array dimensions
}
ALLOWED_DTYPES = frozenset(["b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8"])

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 3, 40, 40, 40
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = _REPR.maxfrozenset = 4


def short_repr(obj) -> str:
    """repr for messages, at most 80 characters whatever ``obj`` is (shared lists, million-digit ints...)."""
    try:
        return _REPR.repr(obj)[:80]
    except Exception:  # e.g. an int too long to print
        return f"<a {type(obj).__name__}>"


class UnsafePickleError(pickle.UnpicklingError):
    """A model file the kit will not load; the message says why and what to do."""

    def _render_traceback_(self):  # Jupyter, Colab, Kaggle: the message alone, not a traceback through the reader
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


class RefusedPickleError(UnsafePickleError):
    """The file holds something a course model never contains; nothing from it was run."""

    def __init__(self, name: str, source: str | None = None, why: str | None = None):
        source = _("the file") if source is None else source
        self.name = name = name[:120]
        super().__init__(
            _("Refused to load {source}: it holds {name}, which a course model never contains (a model is a dict "
              "of numbers, strings, short lists and NumPy arrays of numbers): {why}. Unpickling it could run code or "
              "crash Python, so nothing from it was run. Only load models you trust, and ask the author to re-push "
              "the model with the kit if you do.", source=source[:80], name=name, why=why) if why else
            _("Refused to load {source}: it holds {name}, which a course model never contains (a model is a dict "
              "of numbers, strings, short lists and NumPy arrays of numbers). Unpickling it could run code or crash "
              "Python, so nothing from it was run. Only load models you trust, and ask the author to re-push the "
              "model with the kit if you do.", source=source[:80], name=name))


class DamagedPickleError(UnsafePickleError):
    """The file is not a complete, well-formed model file (cut short, corrupted, or not one at all)."""

    def __init__(self, source: str, detail: str):
        self.detail = detail = detail[:200]
        super().__init__(
            _("{source} is damaged or incomplete ({detail}), so it cannot be loaded. If you downloaded it, "
              "download it again (delete it from the Hub cache first); if it is on the Hub like this, ask the "
              "author to re-push the model.", source=source[:80], detail=detail))


class PickleLimitError(UnsafePickleError):
    """The file is far larger or more deeply nested than any course model; it was not loaded."""

    def __init__(self, source: str, what: str):
        self.what = what = what[:200]
        super().__init__(
            _("Refused to load {source}: {what}. A course model (a dict with a Q-table) is far smaller, so this "
              "file was not loaded (it could exhaust the memory or hang Python). Only load models you trust.",
              source=source[:80], what=what))


# ---- what the stack holds besides plain numbers, strings and bytes ------------------------------------------
class _Node:
    """A list, tuple or dict being read, with its expanded size (``weight``) and nesting ``depth``."""
    __slots__ = ("kind", "items", "weight", "depth", "sealed", "bad")

    def __init__(self, kind: str, items=None):
        self.kind, self.items = kind, items if items is not None else ({} if kind == "dict" else [])
        self.weight, self.depth, self.sealed, self.bad = 1, 1, False, None


class _Global:
    """A name the file mentions; only the ones in ``_CALLS`` (and ``numpy.ndarray``) are ever used."""
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


class _DType:
    __slots__ = ("code", "order", "built")

    def __init__(self, code: str):
        self.code, self.order, self.built = code, "=", False


class _Array:
    __slots__ = ("value",)

    def __init__(self, value=None):
        self.value = value


def _what(value) -> str:
    kind = type(value)
    if kind is _Global:
        return value.name
    if kind is _Node:
        if value.bad:
            return _("a {kind} holding {bad}", kind=value.kind, bad=value.bad)
        return _("a {kind}", kind=value.kind)
    if kind is _DType:
        return _("a bare numpy.dtype")
    if kind is _Array:
        return _("a NumPy array in a list or tuple") if value.value is not None else _("an array without its data")
    if kind in (bytes, bytearray):
        return _("raw bytes")
    return _("a {kind}", kind=kind.__name__)


_INTS = {"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4"}
_SCALARS = _INTS | {"FLOAT", "BINFLOAT", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "STRING",
                    "BINSTRING", "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8"}
_CONSTANTS = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False}
_NUMPY = ("numpy.core.", "numpy._core.")  # NumPy 1.x and 2.x spellings


class _Decoder:
    def __init__(self, source: str, limits: dict):
        self.source, self.limits = source, limits
        self.data_bytes = 0
        self.calls = {"numpy.dtype": self._dtype, "_codecs.encode": self._encode}
        for prefix in _NUMPY:
            self.calls[prefix + "multiarray._reconstruct"] = self._reconstruct
            self.calls[prefix + "multiarray.scalar"] = self._scalar
            self.calls[prefix + "numeric._frombuffer"] = self._frombuffer

    # ---- refusals -------------------------------------------------------------------------------------------
    def refuse(self, name: str, why: str | None = None):
        raise RefusedPickleError(name, self.source, why)

    def damaged(self, detail: str):
        raise DamagedPickleError(self.source, detail)

    def limit(self, what: str):
        raise PickleLimitError(self.source, what)

    # ---- the stream -----------------------------------------------------------------------------------------
    def decode(self, data: bytes):
        stack, marks, memo = [], [], {}
        limits = self.limits

        def pop_mark():
            if not marks:
                self.damaged(_("a container without its start mark"))
            start = marks.pop()
            items = stack[start:]
            del stack[start:]
            return items

        for count, (op, arg, _position) in enumerate(pickletools.genops(data), 1):
            if count > limits["opcodes"]:
                self.limit(_("it has more than {most:,} pickle instructions", most=limits["opcodes"]))
            name = op.name
            if name in _SCALARS:
                if name in _INTS and type(arg) is int and not -2**63 <= arg < 2**64:
                    self.refuse(_("an integer of {bits:,} bits", bits=arg.bit_length()),
                                _("numbers in a course model fit in 64 bits"))
                stack.append(arg)
            elif name in _CONSTANTS:
                stack.append(_CONSTANTS[name])
            elif name == "MARK":
                marks.append(len(stack))
            elif name in ("EMPTY_LIST", "EMPTY_DICT"):
                stack.append(_Node("list" if name == "EMPTY_LIST" else "dict"))
            elif name in ("LIST", "DICT"):
                items, node = pop_mark(), _Node(name.lower())
                self.add(node, items)
                stack.append(node)
            elif name in ("EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3"):
                size = {"EMPTY_TUPLE": 0, "TUPLE1": 1, "TUPLE2": 2, "TUPLE3": 3}.get(name)
                if size is None:
                    items = pop_mark()
                else:
                    if len(stack) < size or (marks and len(stack) - size < marks[-1]):
                        self.damaged(_("a tuple with missing items"))
                    items = stack[len(stack) - size:]
                    del stack[len(stack) - size:]
                stack.append(self.tuple(items))
            elif name == "APPEND":
                item = stack.pop()
                self.add(stack[-1], [item])
            elif name in ("APPENDS", "SETITEMS"):
                items = pop_mark()
                self.add(stack[-1], items)
            elif name == "SETITEM":
                value, key = stack.pop(), stack.pop()
                self.add(stack[-1], [key, value])
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[arg] = stack[-1]
            elif name == "MEMOIZE":
                memo[len(memo)] = stack[-1]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                if arg not in memo:
                    self.damaged(_("it refers to a value it never stored ({value})", value=short_repr(arg)))
                stack.append(memo[arg])
            elif name == "POP":
                if marks and len(stack) == marks[-1]:
                    marks.pop()
                else:
                    stack.pop()
            elif name == "POP_MARK":
                pop_mark()
            elif name == "GLOBAL":
                stack.append(_Global(arg.replace(" ", ".")[:200]))
            elif name == "STACK_GLOBAL":
                qualname, module = stack.pop(), stack.pop()
                if type(module) is not str or type(qualname) is not str:
                    self.damaged(_("a name that is not text"))
                stack.append(_Global(f"{module[:100]}.{qualname[:100]}"))
            elif name == "REDUCE":
                args = stack.pop()
                stack[-1] = self.call(stack[-1], args)
            elif name == "BUILD":
                state = stack.pop()
                self.build(stack[-1], state)
            elif name == "STOP":
                break
            elif name not in ("PROTO", "FRAME"):
                self.refuse(_("the pickle instruction {name}", name=name),
                            _("it builds objects or calls code a course model never needs"))
            if len(stack) > limits["stack"]:
                self.limit(_("it keeps more than {most:,} values waiting", most=limits["stack"]))
        if len(stack) != 1 or marks:
            self.damaged(_("it does not end with exactly one value"))
        result = stack[0]
        self.weigh(result, in_dict=True)
        return self.plain(result)

    # ---- containers -------------------------------------------------------------------------------------------
    def info(self, value, in_dict: bool):
        """(weight, depth, None) for a value a container may hold, or (0, depth, what it is) otherwise."""
        kind = type(value)
        if value is None or kind in (bool, int, float) or isinstance(value, np.generic):
            return 1, 0, None
        if kind is str:
            if len(value) > self.limits["text_chars"]:
                return 0, 0, _("a string of {n:,} characters", n=len(value))
            return 1 + len(value), 0, None
        if kind is _Node:
            return value.weight, value.depth, value.bad and _what(value)
        if kind is _Array and in_dict and value.value is not None:
            return 1, 0, None
        return 0, 0, _what(value)

    def weigh(self, value, in_dict: bool):
        weight, depth, bad = self.info(value, in_dict)
        if bad:
            self.refuse(bad)
        if type(value) is _Node:
            value.sealed = True  # used: it may not change any more (no cycles, no growing after it was counted)
        return weight, depth

    def grow(self, node: _Node, weight: int, depth: int) -> None:
        node.weight += weight
        node.depth = max(node.depth, depth + 1)
        if node.weight > self.limits["values"]:
            self.limit(_("its data expands to more than {most:,} values (the same lists referred to over and over, "
                         "or very long strings)", most=self.limits["values"]))
        if node.depth > self.limits["depth"]:
            self.limit(_("its data is nested more than {most} levels deep", most=self.limits["depth"]))

    def tuple(self, items: list) -> _Node:
        node = _Node("tuple", items)
        node.sealed = True
        for item in items:
            weight, depth, bad = self.info(item, in_dict=False)
            if type(item) is _Node:
                item.sealed = True
            node.bad = node.bad or bad
            self.grow(node, weight, depth)
        return node

    def add(self, target, items: list) -> None:
        if type(target) is not _Node or target.kind == "tuple":
            self.refuse(_("items added to {what}", what=_what(target)))
        if target.sealed:
            self.refuse(_("a {kind} changed after it was used (a shared or self-containing container)",
                          kind=target.kind))
        if target.kind == "list":
            for item in items:
                if item is target:
                    self.refuse(_("a list that contains itself"))
                if type(item) is _Node and item.kind == "dict":
                    self.refuse(_("a dict inside a list"))
                self.grow(target, *self.weigh(item, in_dict=False))
                target.items.append(item)
            return
        if len(items) % 2:
            self.damaged(_("a dict with a key and no value"))
        for key, value in zip(items[::2], items[1::2]):
            if type(key) is not str:
                self.refuse(_("a dict key that is {what}", what=_what(key)), _("the keys of a course model are names"))
            if len(key) > self.limits["key_chars"]:
                self.limit(_("a dict key has {n:,} characters", n=len(key)))
            if len(target.items) >= self.limits["keys"] and key not in target.items:
                self.limit(_("a dict has more than {most} keys", most=self.limits["keys"]))
            if value is target:
                self.refuse(_("a dict that contains itself"))
            weight, depth = self.weigh(value, in_dict=True)
            self.grow(target, weight + len(key), depth)
            target.items[key] = value

    def plain(self, value):
        """The finished model: nodes become lists, tuples and dicts, arrays their ndarray."""
        kind = type(value)
        if kind is _Array:
            return value.value
        if kind is not _Node:
            return value
        if value.kind == "dict":
            return {k: self.plain(v) for k, v in value.items.items()}
        items = [self.plain(v) for v in value.items]
        return items if value.kind == "list" else tuple(items)

    # ---- calls and states: NumPy's reconstructors, re-done here from checked pieces ---------------------------
    def call(self, func, args):
        if type(func) is not _Global:
            self.refuse(_("a call of {what}", what=_what(func)))
        if func.name not in self.calls:
            self.refuse(func.name)
        if type(args) is not _Node or args.kind != "tuple" or len(args.items) > 5:
            self.damaged(_("bad arguments for {name}", name=func.name))
        return self.calls[func.name](*args.items)

    def build(self, target, state) -> None:
        if type(target) is _DType and not target.built:
            items = state.items if type(state) is _Node and state.kind == "tuple" else ()
            if len(items) not in (8, 9) or type(items[1]) is not str:
                self.damaged(_("a dtype with a malformed state"))
            if any(part is not None for part in items[2:5]):
                self.refuse(_("a structured or sub-array numpy.dtype"),
                            _("only bool, integer and float arrays are loaded"))
            if items[1] not in ("<", ">", "|", "="):
                self.damaged(_("a dtype with byte order {order}", order=short_repr(items[1])))
            target.order, target.built = items[1], True
        elif type(target) is _Array and target.value is None:
            items = state.items if type(state) is _Node and state.kind == "tuple" else ()
            items = items[1:] if len(items) == 5 else items  # (version, shape, dtype, is_fortran, data)
            if len(items) != 4 or items[2] not in (True, False, 0, 1):
                self.damaged(_("an array with a malformed state"))
            shape, dtype, fortran, data = items
            target.value = self.array(data, dtype, shape, bool(fortran))
        else:
            self.refuse(_("setting the state of {what}", what=_what(target)))

    def spend(self, n: int, what: str) -> None:
        self.data_bytes += n
        if self.data_bytes > self.limits["data_bytes"]:
            self.limit(_("its {what} need more than {most:,} bytes", what=what, most=self.limits["data_bytes"]))

    def raw(self, data, what: str) -> bytes:
        if type(data) in (bytes, bytearray):
            return data
        if type(data) is str:  # protocols 0-2, and Python 2 strings: latin-1 text
            self.spend(len(data), _("text data"))
            try:
                return data.encode("latin-1")
            except UnicodeEncodeError:
                self.damaged(_("{what} is text that is not latin-1", what=what))
        self.damaged(_("{what} is {kind}, not bytes", what=what, kind=_what(data)))

    def dtype_of(self, dtype) -> np.dtype:
        if type(dtype) is not _DType:
            self.damaged(_("an array or number whose dtype is {what}", what=_what(dtype)))
        return np.dtype(dtype.code).newbyteorder(dtype.order)

    def array(self, data, dtype, shape, fortran: bool) -> np.ndarray:
        dt = self.dtype_of(dtype)
        dims = [shape] if type(shape) is int else shape.items if type(shape) is _Node and shape.kind == "tuple" else None
        if dims is None or len(dims) > self.limits["ndim"] or any(type(n) is not int or n < 0 for n in dims):
            self.damaged(_("an array with shape {what}", what=_what(shape)))
        nbytes = dt.itemsize
        for n in dims:  # never past the budget, however large the numbers are
            nbytes *= n
            if nbytes > self.limits["data_bytes"]:
                self.limit(_("an array of shape {shape} would need more than {most:,} bytes",
                             shape=short_repr(tuple(dims)), most=self.limits["data_bytes"]))
        data = self.raw(data, _("an array's data"))
        if len(data) != nbytes:
            self.damaged(_("an array of shape {shape} and dtype {dtype} needs {nbytes:,} bytes of data, the file "
                           "has {have:,}", shape=tuple(dims), dtype=dt, nbytes=nbytes, have=len(data)))
        self.spend(nbytes, _("arrays"))
        flat = np.frombuffer(data, dtype=dt, count=math.prod(dims))
        return flat.reshape(tuple(dims), order="F" if fortran else "C").copy()

    def _dtype(self, spec=None, *flags):
        if type(spec) is bytes:
            spec = spec.decode("latin-1")
        if type(spec) is not str or spec not in ALLOWED_DTYPES:
            self.refuse(f"numpy.dtype({short_repr(spec)})", _("only bool, integer and float arrays are loaded"))
        return _DType(spec)

    def _encode(self, text=None, encoding=None, *rest):
        if type(text) is not str or type(encoding) is not str or rest or \
                encoding.lower().replace("_", "-") not in ("latin1", "latin-1"):
            self.refuse(f"_codecs.encode(..., {short_repr(encoding)})")
        return self.raw(text, _("encoded text"))

    def _reconstruct(self, cls=None, shape=None, typecode=None, *rest):
        if type(cls) is not _Global or cls.name != "numpy.ndarray" or rest:
            self.refuse(_("_reconstruct of {what}", what=_what(cls)))
        return _Array()  # its data comes with BUILD

    def _frombuffer(self, buf=None, dtype=None, shape=None, order="C", *rest):
        if rest or order not in ("C", "F"):
            self.damaged(_("bad arguments for _frombuffer"))
        return _Array(self.array(buf, dtype, shape, order == "F"))

    def _scalar(self, dtype=None, data=None, *rest):
        dt = self.dtype_of(dtype)
        data = self.raw(data, _("a number's data"))
        if rest or len(data) != dt.itemsize:
            self.damaged(_("a {dtype} number with {n} bytes of data", dtype=dt, n=len(data)))
        self.spend(dt.itemsize, _("numbers"))
        return np.frombuffer(data, dtype=dt, count=1)[0]


def safe_loads(data: bytes, source: str | None = None, limits: dict | None = None):
    """Decode a course model from pickle bytes without unpickling them. Raises ``RefusedPickleError``
    (something a course model never holds), ``DamagedPickleError`` (cut short, corrupted, not a pickle) or
    ``PickleLimitError`` (far too large); all are ``pickle.UnpicklingError``."""
    caps = dict(LIMITS, **(limits or {}))
    source = _("the data") if source is None else source
    data = bytes(data)
    if len(data) > caps["file_bytes"]:
        raise PickleLimitError(source, _("it is {n:,} bytes, more than {most:,} bytes", n=len(data),
                                         most=caps["file_bytes"]))
    try:
        return _Decoder(source, caps).decode(data)
    except UnsafePickleError:
        raise
    except MemoryError:
        raise PickleLimitError(source, _("it needs more memory than this machine has")) from None
    except Exception as err:  # genops' errors (ValueError...), a stack that runs dry (IndexError)
        detail = _("it ends before the pickle does: cut short") if "exhausted" in str(err) or \
            "not enough" in str(err) else f"{type(err).__name__}: {str(err)[:150]}"
        raise DamagedPickleError(source, detail) from None
