"""Download a model from the Hub and load it without running code from it.

Q-learning pickles are decoded by ``helpers.safe_pickle`` (never unpickled); policies are read from
``model.safetensors`` by ``helpers.policies.load_policy`` (the architecture checked before anything is
built). A ``model.pt`` is never opened: the course's holds a whole pickled module.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from helpers.hub import client as hub
from helpers.hub.errors import HubLoadError, check_repo_id, load_error
from helpers.hub.models import POLICY_FILE, QLEARNING_FILE, check_qtable
from helpers import arguments
from helpers.i18n import _
from helpers.safe_pickle import LIMITS, DamagedPickleError, PickleLimitError, safe_loads, short_repr

_KINDS = {".pkl": "pickle", ".pickle": "pickle", ".safetensors": "policy", ".json": "json", ".pt": "pt", ".pth": "pt"}


def load_from_hub(repo_id: str, filename: str = QLEARNING_FILE, *, revision: str | None = None,
                  token: str | None = None, endpoint: str | None = None, cache_dir=None,
                  local_files_only: bool = False, policy_class=None):
    """Download ``filename`` from ``repo_id`` and load it without running code from it.

    * ``*.pkl``: a course Q-learning model dict, decoded by ``helpers.safe_pickle`` (numbers, strings, short
      lists and NumPy arrays of numbers; anything else is refused by name). Old course models (NumPy 1.x
      pickles) load unchanged.
    * ``model.safetensors``: a policy pushed by the kit, rebuilt as ``policy_class`` (default
      ``helpers.policies.PolicyNetwork``) from its stated architecture, ready to evaluate.
    * ``*.json``: the parsed JSON.
    A ``model.pt`` is refused without being downloaded (see ``load_model_file``). The download goes through
    the library's cache (``HF_HUB_CACHE``); offline (``HF_HUB_OFFLINE=1``) it is served from there.
    """
    check_repo_id(repo_id), arguments.text("filename", filename, QLEARNING_FILE)
    _kind(filename)  # a file the kit will not open is refused before any download
    from huggingface_hub import hf_hub_download

    download = dict(revision=revision, token=token, endpoint=hub.endpoint(endpoint), cache_dir=cache_dir,
                    local_files_only=local_files_only)
    if not local_files_only and not hub.offline() and not hub.reachable(download["endpoint"]):
        # No network: the library would retry each file for about 30 s, printing a line per retry. Serve it
        # from the cache, or say at once that it is not there.
        download["local_files_only"] = True
    try:
        with hub.quiet_retries():
            if not download["local_files_only"] and not hub.offline():
                # hf_hub_download reads a body whole: the size the Hub states is checked before it starts
                hub.check_download_size(repo_id, filename, LIMITS["file_bytes"], revision=revision, token=token,
                                        endpoint_url=download["endpoint"])
            path = hf_hub_download(repo_id, filename, **download, **hub.capped_download(LIMITS["file_bytes"]))
    except hub.TooLarge as err:
        if err.args[0] is None:
            raise HubLoadError(_("The Hub did not say how large {filename} in {repo_id} is, so the kit did not "
                                 "download it (it could be any size). Try again later.", filename=filename[:80],
                                 repo_id=repo_id)) from None
        raise HubLoadError(_("{filename} in {repo_id} is {size:,} bytes, more than the {cap:,} bytes the kit "
                             "downloads (a course model is far smaller), so it was not downloaded. Check the file "
                             "name on the repo's 'Files' tab; load only files you trust, with your own code.",
                             filename=filename[:80], repo_id=repo_id, size=err.args[0],
                             cap=LIMITS["file_bytes"])) from None
    except Exception as err:
        raise load_error(err, repo_id, filename) from None
    model = load_model_file(path, policy_class=policy_class)
    if isinstance(model, dict) and "qtable" in model and str(model.get("env_id", ""))[:20].startswith("FrozenLake"):
        _lake_from_card(model, repo_id, filename, download)
    return model


def find_models(tags, limit: int = 10, *, endpoint: str | None = None) -> list[str]:
    """The ids of the Hub's models that carry every tag in ``tags`` (e.g. ``["q-learning", "Taxi-v3"]``), most
    downloaded first. Offline, or when the Hub cannot be reached, a ``HubLoadError`` says so in one line at once
    (no half minute of retries)."""
    from huggingface_hub import HfApi

    tags, limit = arguments.tags("tags", tags), arguments.count("limit", limit)
    if hub.offline():
        raise HubLoadError(_("Offline (HF_HUB_OFFLINE=1): no search; the models below come from the local Hub "
                             "cache."))
    endpoint = hub.endpoint(endpoint)
    if not hub.reachable(endpoint):
        raise HubLoadError(_("Could not search the Hub: it cannot be reached (no internet?). The models below "
                             "load only if they are in the local Hub cache."))
    try:
        with hub.quiet_retries():
            return [info.id for info in HfApi(endpoint=endpoint).list_models(filter=tags, sort="downloads",
                                                                             limit=limit)]
    except Exception as err:  # the Hub is busy, or the connection broke
        raise HubLoadError(_("Could not search the Hub ({error}: {text}). Try again later.",
                             error=type(err).__name__, text=str(err)[:200])) from None


def _kind(name) -> str:
    name = Path(str(name)).name
    kind = _KINDS.get(Path(name).suffix.lower())
    if kind is None:
        raise HubLoadError(_("Don't know how to load {name!r} safely: the kit loads .pkl (Q-learning models), "
                             "{policy_file} (policies pushed by the kit) and .json files.", name=name[:80],
                             policy_file=POLICY_FILE))
    if kind == "pt":
        raise HubLoadError(_(
            "{name} is a pickled PyTorch file, which the kit never opens: the course's unit 4 saved the whole "
            "module in it (torch.save(model)), and loading that runs code from the file. The kit publishes policies "
            "as {policy_file} instead (weights and layer sizes, no code). Ask the author to re-push with the kit; "
            "if you trust the file, you can load it yourself with torch.load(path, weights_only=False).",
            name=name[:80], policy_file=POLICY_FILE))
    return kind


_CARD_LAKE = re.compile(r"FrozenLake-v1-(4x4|8x8)(-no_slippery)?")


def _card_text(repo_id: str, download: dict) -> str | None:
    """The repo's README.md: from the Hub through the kit's client, or from the Hub cache when offline."""
    if not download["local_files_only"] and not hub.offline():
        return hub.read_card(repo_id, revision=download["revision"] or "main", token=download["token"],
                             endpoint_url=download["endpoint"])
    from huggingface_hub import hf_hub_download

    with open(hf_hub_download(repo_id, "README.md", **download), "rb") as f:
        data = f.read(hub.MAX_CARD_BYTES + 1)
    return None if len(data) > hub.MAX_CARD_BYTES else data.decode("utf-8-sig")


def _lake_from_card(model: dict, repo_id: str, filename: str, download: dict) -> None:
    """Fill in a FrozenLake model's missing map / slipperiness from its repo card's env tag (the course's
    names: ``FrozenLake-v1-4x4-no_slippery``, ``FrozenLake-v1-8x8``), saying so in one line."""
    from helpers.hub.models import lake_settings

    try:
        stated = lake_settings(model)
        if ("map_name" in stated or "desc" in stated) and "is_slippery" in stated:
            return
        tags = hub.parse_card(_card_text(repo_id, download) or "").tags
    except Exception:  # settings that make no sense (make_env_from_model says why), no card, offline...
        return
    matches = [_CARD_LAKE.fullmatch(tag) for tag in tags]
    found = {(m.group(1), not m.group(2)) for m in matches if m}
    if len(found) != 1:
        return  # no env tag, or several that disagree: make_env_from_model says what is missing
    (size, slippery), = found
    filled = {k: v for k, v, missing in (("map_name", size, "map_name" not in stated and "desc" not in stated),
                                         ("is_slippery", slippery, "is_slippery" not in stated)) if missing}
    if filled:
        model.update(filled)
        settings = ", ".join(f"{k}={v!r}" for k, v in filled.items())
        tag = f"FrozenLake-v1-{size}{'' if slippery else '-no_slippery'}"
        if len(filled) == 2:
            print(_("{filename} does not say which map or whether the ice is slippery; its repo card's env tag is "
                    "{tag}, so the kit set {settings}.", filename=filename, tag=tag, settings=settings))
        elif "map_name" in filled:
            print(_("{filename} does not say which map; its repo card's env tag is {tag}, so the kit set "
                    "{settings}.", filename=filename, tag=tag, settings=settings))
        else:
            print(_("{filename} does not say whether the ice is slippery; its repo card's env tag is {tag}, so the "
                    "kit set {settings}.", filename=filename, tag=tag, settings=settings))


LFS_POINTER = b"version https://git-lfs"


def _read_model_bytes(path: Path, source: str) -> bytes:
    """The bytes of a model file, if it is not empty, not a Git LFS pointer and at most ``LIMITS["file_bytes"]``
    long (read under that cap: a larger file is never read whole)."""
    cap = LIMITS["file_bytes"]
    try:
        with open(path, "rb") as f:
            data = f.read(cap + 1)
    except OSError as err:
        raise DamagedPickleError(source, _("it cannot be read: {error}",
                                           error=err.strerror or type(err).__name__)) from None
    if len(data) > cap:
        raise PickleLimitError(source, _("it is more than {cap:,} bytes", cap=cap))
    if not data:
        raise DamagedPickleError(source, _("the file is empty"))
    if data.startswith(LFS_POINTER):
        raise DamagedPickleError(source, _("this is a Git LFS pointer, not the model: the file itself was never "
                                           "downloaded (fetch it with hf_hub_download, or `git lfs pull` in a clone)"))
    return data


def load_model_file(path, *, policy_class=None):
    """Load a model file that is already on disk, by its extension (see ``load_from_hub``).

    Whatever the file holds, this returns a checked model or raises one of the kit's errors, which says what
    is wrong: ``RefusedPickleError`` for a pickle that holds what a course model never does, ``HubLoadError``
    for everything else (damaged, cut short or oversized, a Git LFS pointer, not a course model...)."""
    path = Path(arguments.path("path", path, QLEARNING_FILE))
    kind = _kind(path.name)
    try:
        data = _read_model_bytes(path, path.name[:80])
        if kind == "pickle":
            return _load_qlearning(data, path.name[:80])
    except (DamagedPickleError, PickleLimitError) as err:
        raise HubLoadError(str(err)) from None
    if kind == "policy":
        from helpers.policies import load_policy  # torch: imported only when a policy is loaded

        return load_policy(data, path.name[:80], policy_class)
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise HubLoadError(_("{name} nests its JSON too deeply to read; it is not a file the kit wrote.",
                             name=path.name[:80])) from None
    except ValueError as err:  # UnicodeDecodeError and JSONDecodeError included
        raise HubLoadError(_("{name} is not valid JSON ({error}): it is damaged or incomplete; download it again.",
                             name=path.name[:80], error=str(err)[:120])) from None


def _load_qlearning(data: bytes, source: str) -> dict:
    model = safe_loads(data, source)
    if not isinstance(model, dict):
        raise HubLoadError(_("{source} holds a {type}, not a course Q-learning model (a dict with the env id, the "
                             "hyperparameters and a 'qtable'). Check the file name on the repo's 'Files' tab.",
                             source=source, type=type(model).__name__))
    if "qtable" not in model:
        keys = ", ".join(short_repr(k) for k in list(model)[:10])
        raise HubLoadError(_("{source} is a dict without a 'qtable' (its keys: {keys}), so it is not a course "
                             "Q-learning model. Check the file name on the repo's 'Files' tab.",
                             source=source, keys=keys or _("none")))
    model["qtable"] = check_qtable(model["qtable"], source=source)
    return model


__all__ = ["load_from_hub", "load_model_file", "find_models", "LIMITS"]
