"""Load a course Q-learning model (a pickled dict) without running code from the file.

``pickle.load`` on a downloaded file runs whatever the file asks for: a pickle can name any importable
function (``os.system``, ``builtins.exec``...) and have it called while loading. A course model only
needs plain containers, numbers, strings and NumPy arrays, so the unpickler below resolves exactly the
few NumPy names those need and refuses every other name before anything is called.

Models pickled years ago with NumPy 1.x name ``numpy.core.multiarray._reconstruct``; NumPy 2 writes
``numpy._core...``. Both spellings map to the installed NumPy's own functions.
"""
from __future__ import annotations

import io
import pickle

import numpy as np

__all__ = ["RefusedPickleError", "RestrictedUnpickler", "safe_load", "safe_loads", "ALLOWED_NAMES"]


class RefusedPickleError(pickle.UnpicklingError):
    """The file names something a course model never contains; nothing from it was run."""

    def __init__(self, name: str, source: str = "the file"):
        self.name = name
        super().__init__(
            f"Refused to load {source}: it asks for {name}, which a course model never contains "
            "(a model is a dict of numbers, lists, strings and NumPy arrays). Unpickling it could run code, "
            "so nothing from it was run. Only load models you trust, and ask the author to re-push the model "
            "with the kit if you do trust it.")


def _numpy_internals():
    """(multiarray, numeric) modules of the installed NumPy, under whichever name it uses."""
    try:  # NumPy 2.x
        from numpy._core import multiarray, numeric
    except ImportError:  # NumPy 1.x
        from numpy.core import multiarray, numeric
    return multiarray, numeric


def _allowed() -> dict[str, object]:
    multiarray, numeric = _numpy_internals()
    numpy_names = {
        "multiarray._reconstruct": multiarray._reconstruct,  # ndarray, pickle protocol <= 4
        "multiarray.scalar": multiarray.scalar,  # NumPy scalars such as np.float64(0.7)
        "numeric._frombuffer": numeric._frombuffer,  # ndarray, pickle protocol 5
    }
    allowed: dict[str, object] = {"numpy.ndarray": np.ndarray, "numpy.dtype": np.dtype}
    for prefix in ("numpy.core.", "numpy._core."):  # NumPy 1.x and 2.x spellings
        for name, obj in numpy_names.items():
            allowed[prefix + name] = obj
    # Plain values; protocol >= 2 writes dict/list/tuple/int/float/str without naming them, older
    # protocols and sets may name these.
    for obj in (dict, list, tuple, set, frozenset, int, float, complex, str, bytes, bytearray, bool):
        allowed[f"builtins.{obj.__name__}"] = obj
        allowed[f"__builtin__.{obj.__name__}"] = obj  # Python 2 protocol-0/1 spelling
    # Protocols 0-2 store bytes (an array's data) as text re-encoded with latin-1.
    allowed["_codecs.encode"] = _latin1_encode
    return allowed


def _latin1_encode(text, encoding="utf-8", errors="strict"):
    if not isinstance(text, str) or encoding.lower().replace("_", "-") not in ("latin1", "latin-1"):
        raise RefusedPickleError(f"_codecs.encode({encoding!r})")
    return text.encode("latin-1", errors)


ALLOWED_NAMES: dict[str, object] = _allowed()


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler whose ``find_class`` only resolves the names in ``ALLOWED_NAMES``."""

    source = "the file"

    def find_class(self, module: str, name: str):
        full = f"{module}.{name}"
        try:
            return ALLOWED_NAMES[full]
        except KeyError:
            raise RefusedPickleError(full, self.source) from None

    def persistent_load(self, pid):  # course models never use persistent ids
        raise RefusedPickleError(f"persistent id {pid!r}", self.source)


def safe_load(file, source: str | None = None):
    """Unpickle an open binary file with the restricted unpickler."""
    unpickler = RestrictedUnpickler(file)
    unpickler.source = source or getattr(file, "name", "the file")
    return unpickler.load()


def safe_loads(data: bytes, source: str = "the data"):
    """Unpickle bytes with the restricted unpickler."""
    return safe_load(io.BytesIO(data), source)
