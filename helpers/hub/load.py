"""Download a model from the Hub and load it without running code from it.

Q-learning pickles go through ``helpers.safe_pickle``; policy weights through
``torch.load(weights_only=True)`` and are rebuilt from their stated layer sizes.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path

from helpers.hub.errors import HubLoadError, check_repo_id, http_status, is_expected
from helpers.hub.models import QLEARNING_FILE
from helpers.hub.upload import hub_endpoint
from helpers.safe_pickle import short_repr


def load_from_hub(repo_id: str, filename: str = QLEARNING_FILE, *, revision: str | None = None,
                  token: str | None = None, endpoint: str | None = None, cache_dir=None,
                  local_files_only: bool = False, policy_class=None):
    """Download ``filename`` from ``repo_id`` and load it without running code from it.

    * ``*.pkl``: a course Q-learning model dict, unpickled by ``helpers.safe_pickle`` (only numbers,
      strings, containers and NumPy arrays; anything else is refused by name). Old course models
      (NumPy 1.x pickles) load unchanged.
    * ``*.pt``: a policy pushed by the kit, loaded weights-only and rebuilt as ``policy_class``
      (default ``helpers.policies.PolicyNetwork``), ready to evaluate.
    * ``*.json``: the parsed JSON.
    The download goes through the library's cache (``HF_HUB_CACHE``); offline (``HF_HUB_OFFLINE=1``) it
    is served from there.
    """
    check_repo_id(repo_id)
    from huggingface_hub import hf_hub_download

    try:
        path = hf_hub_download(repo_id, filename, revision=revision, token=token, endpoint=hub_endpoint(endpoint),
                               cache_dir=cache_dir, local_files_only=local_files_only)
    except Exception as err:
        expected = is_expected(err) or "NotFound" in type(err).__name__
        raise _load_error(err, repo_id, filename) from (None if expected else err)
    model = load_model_file(path, policy_class=policy_class)
    if isinstance(model, dict) and "qtable" in model and str(model.get("env_id", "")).startswith("FrozenLake"):
        _lake_from_card(model, repo_id, filename, dict(revision=revision, token=token,
                                                       endpoint=hub_endpoint(endpoint), cache_dir=cache_dir,
                                                       local_files_only=local_files_only))
    return model


_CARD_LAKE = re.compile(r"FrozenLake-v1-(4x4|8x8)(-no_slippery)?(?![\w-])")


def _lake_from_card(model: dict, repo_id: str, filename: str, download: dict) -> None:
    """Fill in a FrozenLake model's missing map / slipperiness from its repo card's env tag (the course's
    names: ``FrozenLake-v1-4x4-no_slippery``, ``FrozenLake-v1-8x8``), saying so in one line."""
    from huggingface_hub import hf_hub_download

    from helpers.hub.models import lake_settings

    try:
        stated = lake_settings(model)
    except Exception:  # settings that make no sense: make_env_from_model refuses them with a message
        return
    has_map, has_ice = ("map_name" in stated or "desc" in stated), "is_slippery" in stated
    if has_map and has_ice:
        return
    try:
        card = Path(hf_hub_download(repo_id, "README.md", **download))
        text = card.read_bytes()[:256 * 1024].decode("utf-8", errors="replace")
    except Exception:  # no card, offline without it in the cache...: the model stays as it is
        return
    front = text.split("\n---", 1)[0] if text.startswith("---") else ""
    tags = set(_CARD_LAKE.findall(front)) if front else set()
    found = {(size, bool(no_slip)) for size, no_slip in tags}
    if len(found) != 1:
        return  # no env tag, or several that disagree: leave it to make_env_from_model to say what is missing
    size, not_slippery = found.pop()
    filled = {}
    if not has_map:
        filled["map_name"] = model["map_name"] = size
    if not has_ice:
        filled["is_slippery"] = model["is_slippery"] = not not_slippery
    env_name = f"FrozenLake-v1-{size}" + ("-no_slippery" if not_slippery else "")
    missing = " and ".join(what for what, gap in (("which map", not has_map),
                                                  ("whether the ice is slippery", not has_ice)) if gap)
    settings = ", ".join(f"{k}={v!r}" for k, v in filled.items())
    print(f"{filename} does not say {missing}; its repo card's env tag is {env_name}, so the kit set {settings}.")


def _load_error(err, repo_id: str, filename: str) -> HubLoadError:
    name, status = type(err).__name__, http_status(err)
    if "LocalEntryNotFound" in name or "Offline" in name:
        why = (f"{filename!r} of {repo_id!r} is not in the local Hub cache and the Hub cannot be reached "
               "(offline mode or no internet). Connect, or unset HF_HUB_OFFLINE, and try again.")
    elif "RepositoryNotFound" in name or (status in (401, 404) and "Entry" not in name and "Revision" not in name):
        why = (f"There is no model repo {repo_id!r} on the Hub (or it is private or gated): check the spelling, "
               "e.g. 'ThomasSimonini/q-Taxi-v3'.")
    elif "EntryNotFound" in name:
        why = f"The repo {repo_id!r} has no file {filename!r}: check the file name on the repo's 'Files' tab."
    elif "RevisionNotFound" in name:
        why = f"The repo {repo_id!r} has no such revision."
    elif status is not None:
        why = f"The Hub answered {status} for {repo_id}/{filename}: {err}"
    else:
        why = f"Could not download {filename!r} from {repo_id!r}: {name}: {err}"
    return HubLoadError(why)


# The largest file of each kind the kit opens (a Taxi Q-table is 25 KB, a Pixelcopter policy 40 KB).
MAX_PICKLE_BYTES = 64 * 2**20
MAX_JSON_BYTES = 16 * 2**20
MAX_POLICY_BYTES = 64 * 2**20        # model.pt on disk
MAX_POLICY_UNPACKED = 128 * 2**20    # its zip members, unpacked
MAX_POLICY_MEMBERS = 10_000
# A policy's stated layer sizes are checked before anything is built from them.
MAX_LAYER_WIDTH = 4096
MAX_HIDDEN_LAYERS = 8
MAX_PARAMETERS = 10_000_000
_LFS_POINTER = b"version https://git-lfs"


def load_model_file(path, *, policy_class=None):
    """Load a model file that is already on disk, by its extension (see ``load_from_hub``).

    Whatever the file holds, this returns a checked model or raises an error that says what is wrong
    (``RefusedPickleError`` for a pickle that asks for code, ``HubLoadError`` for everything else: a
    damaged, cut-short or oversized file, a Git LFS pointer, a dict that is not a course model...)."""
    path = Path(path)
    suffix = path.suffix.lower()
    limits = {".pkl": MAX_PICKLE_BYTES, ".pickle": MAX_PICKLE_BYTES, ".pt": MAX_POLICY_BYTES,
              ".pth": MAX_POLICY_BYTES, ".json": MAX_JSON_BYTES}
    if suffix not in limits:
        raise HubLoadError(f"Don't know how to load {path.name!r} safely: the kit loads .pkl (Q-learning models), "
                           ".pt (policies pushed by the kit) and .json files.")
    size = path.stat().st_size
    if size > limits[suffix]:
        raise HubLoadError(f"{path.name} is {size:,} bytes, more than the {limits[suffix]:,} the kit opens for a "
                           f"{suffix} file (course models are far smaller), so it was not loaded.")
    with open(path, "rb") as f:
        head = f.read(len(_LFS_POINTER))
    if head == _LFS_POINTER:
        raise HubLoadError(f"{path.name}: this is a Git LFS pointer, not the model: the repo stores the file with "
                           "Git LFS and only the small pointer file was fetched. Download the file itself with "
                           "load_from_hub / hf_hub_download, or run `git lfs pull` in your clone.")
    if suffix in (".pkl", ".pickle"):
        return _load_qlearning(path)
    if suffix in (".pt", ".pth"):
        return _load_policy(path, policy_class)
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except RecursionError:
        raise HubLoadError(f"{path.name} nests its JSON too deeply to read; it is not a file the kit wrote.") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise HubLoadError(f"{path.name} is not valid JSON ({str(err)[:120]}): it is damaged or incomplete; "
                           "download it again.") from None


def _load_qlearning(path: Path) -> dict:
    from helpers.hub.models import check_qtable
    from helpers.safe_pickle import DamagedPickleError, PickleLimitError, safe_load

    with open(path, "rb") as f:
        try:
            model = safe_load(f, source=path.name, limits={"file_bytes": MAX_PICKLE_BYTES})
        except (DamagedPickleError, PickleLimitError) as err:
            raise HubLoadError(str(err)) from None
    if not isinstance(model, dict):
        raise HubLoadError(f"{path.name} holds a {type(model).__name__}, not a course Q-learning model (a dict "
                           "with the env id, the hyperparameters and a 'qtable'). Check the file name on the repo's "
                           "'Files' tab.")
    if "qtable" not in model:
        keys = ", ".join(short_repr(k) for k in list(model)[:10])
        raise HubLoadError(f"{path.name} is a dict without a 'qtable' (its keys: {keys or 'none'}), so it is not a "
                           "course Q-learning model. Check the file name on the repo's 'Files' tab.")
    model["qtable"] = check_qtable(model["qtable"], source=path.name)
    return model


def _zip_problem(path: Path) -> str | None:
    """Why ``path`` is not a torch zip archive the kit may open, or None. Reads only the zip's directory:
    a .pt that inflates to gigabytes is refused before torch unpacks anything."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        return f"damaged:it is not a readable zip archive ({err})"
    if len(members) > MAX_POLICY_MEMBERS:
        return f"limit:it holds {len(members):,} files"
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_POLICY_UNPACKED:
        return f"limit:it unpacks to {unpacked:,} bytes, more than {MAX_POLICY_UNPACKED:,}"
    if not any(m.filename.endswith("/data.pkl") or m.filename == "data.pkl" for m in members):
        return "damaged:it has no data.pkl, so it is not a torch file"
    return None


def _pt_failure(path: Path) -> str:
    """'whole-module' when the torch file is intact and pickles classes or functions (the course's
    torch.save(model)), else 'damaged'."""
    import pickletools
    import zipfile

    names = []
    try:
        with zipfile.ZipFile(path) as zf:
            if zf.testzip() is not None:
                return "damaged"
            member = next(m for m in zf.infolist() if m.filename.endswith("data.pkl"))
            data = zf.read(member)
        strings = []
        for opcode, arg, _ in pickletools.genops(data):
            if opcode.name in ("GLOBAL", "INST"):
                names.append(str(arg).replace(" ", "."))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                names.append(f"{strings[-2]}.{strings[-1]}")
            elif isinstance(arg, str):
                strings.append(arg)
    except Exception:  # a broken zip or a cut-short pickle, whatever the library calls it
        return "damaged"
    data_only = ("torch._utils.", "torch.serialization.", "collections.OrderedDict", "torch._tensor.")
    code = [n for n in names if not n.startswith(data_only) and not (n.startswith("torch.") and
                                                                     n.endswith(("Storage", "dtype", "Size", "device")))]
    return "whole-module" if code else "damaged"


def check_architecture(arch, source: str) -> dict:
    """A policy's stated layer sizes, if they are whole numbers within the kit's bounds (checked before
    any layer is built: a 3 KB file could otherwise ask for billions of weights)."""
    def width(value) -> bool:
        return type(value) is int and 1 <= value <= MAX_LAYER_WIDTH

    problem = None
    if not isinstance(arch, Mapping) or not all(isinstance(k, str) for k in arch):
        problem = "its 'architecture' is not a dict of layer sizes"
    else:
        unknown = set(arch) - {"s_size", "a_size", "h_size", "obs_scale", "obs_features"}
        hidden = arch.get("h_size")
        hidden = [hidden] if type(hidden) is int else list(hidden) if isinstance(hidden, (list, tuple)) else None
        if unknown:
            problem = f"its 'architecture' has keys the kit does not know: {sorted(unknown)[:5]}"
        elif not (width(arch.get("s_size")) and width(arch.get("a_size"))):
            problem = f"s_size and a_size must be whole numbers from 1 to {MAX_LAYER_WIDTH}"
        elif hidden is None or not 1 <= len(hidden) <= MAX_HIDDEN_LAYERS or not all(width(h) for h in hidden):
            problem = (f"h_size must be 1 to {MAX_HIDDEN_LAYERS} hidden widths, each a whole number from 1 to "
                       f"{MAX_LAYER_WIDTH}")
        else:
            widths = [arch["s_size"], *hidden, arch["a_size"]]
            params = sum((a + 1) * b for a, b in zip(widths, widths[1:]))
            scale = arch.get("obs_scale")
            if params > MAX_PARAMETERS:
                problem = f"its layers would hold {params:,} weights, more than {MAX_PARAMETERS:,}"
            elif scale is not None and not (isinstance(scale, (list, tuple)) and len(scale) == arch["s_size"] and
                                            all(type(v) in (int, float) and math.isfinite(v) for v in scale)):
                problem = "obs_scale must be one finite number per observation feature"
            elif arch.get("obs_features") is not None and not isinstance(arch["obs_features"], str):
                problem = "obs_features must be a name"
    if problem:
        raise HubLoadError(f"{source} states a policy the kit will not build: {problem} (got "
                           f"{short_repr(arch)}). It was not written by the kit, or it was altered.")
    return dict(arch)


def _load_policy(path: Path, policy_class=None):
    problem = _zip_problem(path)
    if problem is not None:
        kind, why = problem.split(":", 1)
        if kind == "limit":
            raise HubLoadError(f"{path.name} was not loaded: {why}, far more than any policy the kit saves (a zip "
                               "that inflates to a huge size would exhaust the memory).")
        raise HubLoadError(f"{path.name} is damaged or incomplete: {why}. Download it again (delete it from the Hub "
                           "cache first); if it is on the Hub like this, ask the author to re-push it.")
    import torch

    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        if _pt_failure(path) == "whole-module":
            raise HubLoadError(
                f"{path.name} is not a weights-only file. The course's unit 4 saved the whole module "
                "(torch.save(model)); loading that would run code from the file, so the kit refuses it. Ask the "
                "author to re-push with the kit, or, if you trust the file, load it yourself with "
                f"torch.load(path, weights_only=False). ({type(err).__name__})") from None
        raise HubLoadError(f"{path.name} is damaged or incomplete: torch could not read it ({type(err).__name__}: "
                           f"{str(err)[:150]}). Download it again (delete it from the Hub cache first); if it is "
                           "on the Hub like this, ask the author to re-push it.") from None
    if not (isinstance(saved, Mapping) and "state_dict" in saved and "architecture" in saved):
        raise HubLoadError(f"{path.name} holds no layer sizes ('architecture'): it was not pushed by the kit. "
                           "Build your Policy yourself and use policy.load_state_dict(torch.load(path, "
                           "weights_only=True)).")
    architecture = check_architecture(saved["architecture"], path.name)
    if policy_class is None:
        from helpers.policies import PolicyNetwork as policy_class
    try:
        policy = policy_class(**architecture)
        policy.load_state_dict(saved["state_dict"])
    except (RuntimeError, ValueError, TypeError, KeyError) as err:
        raise HubLoadError(f"{path.name}'s weights do not fit its stated layer sizes ({str(err)[:200]}): the file "
                           "is damaged or was altered. Download it again.") from None
    policy.eval()
    return policy
