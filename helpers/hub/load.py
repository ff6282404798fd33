"""Download a model from the Hub and load it without running code from it.

Q-learning pickles go through ``helpers.safe_pickle``; policy weights through
``torch.load(weights_only=True)`` and are rebuilt from their stated layer sizes.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from helpers.hub.errors import HubLoadError, check_repo_id, http_status, is_expected
from helpers.hub.models import QLEARNING_FILE
from helpers.hub.upload import hub_endpoint


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
    return load_model_file(path, policy_class=policy_class)


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


def load_model_file(path, *, policy_class=None):
    """Load a model file that is already on disk, by its extension (see ``load_from_hub``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".pkl", ".pickle"):
        from helpers.safe_pickle import safe_load

        with open(path, "rb") as f:
            model = safe_load(f, source=path.name)
        if isinstance(model, dict) and "qtable" in model:
            model["qtable"] = np.asarray(model["qtable"])
        return model
    if suffix in (".pt", ".pth"):
        return _load_policy(path, policy_class)
    if suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))
    raise HubLoadError(f"Don't know how to load {path.name!r} safely: the kit loads .pkl (Q-learning models), "
                       ".pt (policies pushed by the kit) and .json files.")


def _load_policy(path: Path, policy_class=None):
    import pickle

    import torch

    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, AttributeError, TypeError) as err:
        raise HubLoadError(
            f"{path.name} is not a weights-only file. The course's unit 4 saved the whole module "
            "(torch.save(model)); loading that would run code from the file, so the kit refuses it. Ask the "
            "author to re-push with the kit, or, if you trust the file, load it yourself with "
            f"torch.load(path, weights_only=False). ({type(err).__name__})") from None
    if not (isinstance(saved, Mapping) and "state_dict" in saved and "architecture" in saved):
        raise HubLoadError(f"{path.name} holds no layer sizes ('architecture'): it was not pushed by the kit. "
                           "Build your Policy yourself and use policy.load_state_dict(torch.load(path, "
                           "weights_only=True)).")
    if policy_class is None:
        from helpers.policies import PolicyNetwork as policy_class
    policy = policy_class(**dict(saved["architecture"]))
    policy.load_state_dict(saved["state_dict"])
    policy.eval()
    return policy
