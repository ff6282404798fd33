"""Send a saved export folder to the Hub, and turn every failure into a message that says what to do.

Only the kit's own files in the folder are uploaded; an existing card on the Hub keeps its text.
``retry_push`` is the same upload for a folder an earlier push saved.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from helpers.hub.card import RESULTS_START, write_card
from helpers.hub.errors import TOKENS_URL, HubPushError, check_repo_id, http_status, is_expected
from helpers.hub.models import POLICY_FILE, QLEARNING_FILE

# Every file a push writes; uploads are limited to these, so nothing else in a folder is ever sent.
KIT_FILES = (QLEARNING_FILE, POLICY_FILE, "hyperparameters.json", "results.json", "README.md", "replay.mp4")
# Written beside them: which files this export wrote. Only a folder with one is overwritten or uploaded.
MANIFEST = ".kit-export.json"


def write_manifest(folder: Path, repo_id: str, files) -> None:
    data = {"written_by": "deep-rl-course-kit push_to_hub", "repo_id": repo_id, "files": sorted(files)}
    (folder / MANIFEST).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def read_manifest(folder: Path) -> list[str] | None:
    """The kit files an earlier export wrote into ``folder`` (from its manifest), or None without one."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        return None
    return [name for name in KIT_FILES if name in files]


def hub_endpoint(endpoint: str | None) -> str | None:
    # HF_ENDPOINT is read at call time too, so setting it in a running notebook takes effect.
    return endpoint or os.environ.get("HF_ENDPOINT") or None


def _resolve_token(token: str | None) -> str | None:
    from huggingface_hub import get_token

    from helpers import runtime

    if token:
        return token
    runtime.load_kaggle_token()
    return get_token()


def _offline() -> bool:
    from huggingface_hub import constants

    check = getattr(constants, "is_offline_mode", None)
    return bool(check() if check else getattr(constants, "HF_HUB_OFFLINE", False))


def retry_push(folder, repo_id: str, *, token: str | None = None, endpoint: str | None = None,
               private: bool | None = None, commit_message: str | None = None) -> str:
    """Upload a folder that an earlier ``push_to_hub`` saved (no retraining, no re-evaluation): only the
    files its ``.kit-export.json`` lists. Returns the repo's URL; raises ``HubPushError`` like ``push_to_hub``."""
    check_repo_id(repo_id)
    folder = Path(folder)
    if read_manifest(folder) is None:
        raise HubPushError(f"{folder} holds no {MANIFEST}: it is not a folder written by push_to_hub (or it was "
                           "written by an older kit), so nothing was uploaded. Push the agent again with "
                           "push_to_hub, which writes a fresh folder.", repo_id=repo_id, folder=folder)
    if not (folder / "README.md").exists():
        raise HubPushError(f"{folder} holds no README.md: it is not a complete folder written by push_to_hub.",
                           repo_id=repo_id, folder=folder)
    from huggingface_hub import metadata_load

    try:
        metadata = metadata_load(folder / "README.md") or {}
    except Exception as err:  # the card was edited by hand and its YAML block no longer parses
        raise HubPushError(f"{folder}/README.md has a metadata block (the YAML between the '---' lines at the "
                           f"top) that cannot be read ({str(err)[:150]}); fix it, then retry. Nothing was uploaded.",
                           repo_id=repo_id, folder=folder) from None
    return upload(folder, repo_id, metadata=metadata, token=token, endpoint=endpoint, private=private,
                  commit_message=commit_message)


def _card_missing(err) -> bool:
    """True only when the Hub said that README.md does not exist in the repo (a 404 for that file). A
    server error, a rate limit, a refused token or a broken connection is not "no card": pushing then
    would overwrite the card the repo has."""
    from huggingface_hub import errors

    remote = tuple(getattr(errors, name) for name in ("RemoteEntryNotFoundError", "EntryNotFoundError")
                   if hasattr(errors, name))
    local = getattr(errors, "LocalEntryNotFoundError", ())
    return isinstance(err, remote) and not isinstance(err, local) and http_status(err) == 404


def upload(folder: Path, repo_id: str, *, metadata: dict, token=None, endpoint=None, private=None,
           commit_message=None) -> str:
    """Create the repo if needed and upload the kit's files in ``folder`` in one commit. Returns the URL."""
    from huggingface_hub import HfApi, hf_hub_download

    body = (folder / "README.md").read_text(encoding="utf-8")
    retry = f"retry_push({str(folder)!r}, {repo_id!r})"
    kept = f"Your model is saved in {folder}/ ; once fixed, upload it without retraining: {retry}."
    if _offline():
        raise HubPushError(f"Offline mode is on (HF_HUB_OFFLINE=1), so nothing was uploaded. Unset it "
                           f"(os.environ.pop('HF_HUB_OFFLINE') and restart the kernel) when you are online. {kept}",
                           repo_id=repo_id, folder=folder)
    token = _resolve_token(token)
    if not token:
        from helpers import runtime

        raise HubPushError("You are not logged in to the Hugging Face Hub, so nothing was uploaded. "
                           f"{runtime.login_hint()} {kept}", repo_id=repo_id, folder=folder)
    endpoint = hub_endpoint(endpoint)
    api = HfApi(endpoint=endpoint, token=token)
    files = [name for name in (read_manifest(folder) or []) if (folder / name).is_file()]
    try:
        url = str(api.create_repo(repo_id, exist_ok=True, private=private))
        # An existing card keeps its text: fetch it into a temporary folder (never the Hub cache).
        with tempfile.TemporaryDirectory(prefix="hub-card-") as tmp:
            try:
                existing = Path(hf_hub_download(repo_id, "README.md", local_dir=tmp, token=token,
                                                endpoint=endpoint)).read_text(encoding="utf-8")
            except Exception as err:
                if not _card_missing(err):
                    raise _card_error(err, repo_id, folder, retry) from None
                existing = None  # the repo has no card yet
        if existing is not None and existing != body:
            write_card(folder / "README.md", metadata, body if RESULTS_START in body else None, existing)
        api.upload_folder(repo_id=repo_id, folder_path=str(folder), allow_patterns=files,
                          commit_message=commit_message or "Upload agent with the Deep RL course kit")
    except HubPushError:
        raise
    except Exception as err:
        raise _push_error(err, repo_id, folder, kept, api) from (None if is_expected(err) else err)
    url = url if url.startswith("http") else f"{endpoint or 'https://huggingface.co'}/{repo_id}"
    print(f"Pushed to {url}")
    return url


def _card_error(err, repo_id: str, folder: Path, retry: str) -> HubPushError:
    """The repo's existing card could not be read: stop before anything is uploaded, so it is never lost."""
    cause, status = err, None
    for _ in range(4):  # older clients wrap the HTTP error in a LocalEntryNotFoundError
        status = http_status(cause)
        if status is not None or cause is None:
            break
        cause = cause.__cause__ or cause.__context__
    if status is not None:
        what = f"the Hub answered {status}" + (" (busy or down; not your fault)" if status >= 500 or status == 429
                                               else "")
    else:
        what = f"{type(err).__name__}: {str(err)[:150]}"
    return HubPushError(
        f"Could not read the model card (README.md) that {repo_id} already has ({what}). The kit keeps an existing "
        "card's text, so it stopped before uploading anything rather than risk replacing your card: the repo is "
        f"unchanged, and your local folder {folder}/ is intact. Try again in a minute: {retry}.",
        repo_id=repo_id, folder=folder, status=status, cause=err)


def _push_error(err, repo_id: str, folder: Path, kept: str, api) -> HubPushError:
    status = http_status(err)
    name = type(err).__name__
    user = repo_id.split("/")[0]
    if "Offline" in name:
        why = "Offline mode is on (HF_HUB_OFFLINE=1), so nothing was uploaded."
    elif status == 401:
        why = (f"The Hub refused your token (401 Unauthorized): it is missing, mistyped, expired or revoked. "
               f"Create a token with WRITE access at {TOKENS_URL} and log in again (notebook_login(), "
               "`hf auth login`, or the HF_TOKEN secret).")
    elif status == 403:
        who = ""
        try:
            info = api.whoami()
            role = (info.get("auth", {}).get("accessToken", {}) or {}).get("role")
            who = f" You are logged in as {info.get('name')!r}" + (f" with a {role!r} token." if role else ".")
        except Exception:
            pass
        why = (f"The Hub refused to let this token write to {repo_id} (403 Forbidden).{who} Pushing needs a "
               f"token with WRITE access (a 'read' token is refused): create one at {TOKENS_URL}. Also check "
               f"that {user!r} is your username (or an organisation you may write to).")
    elif status == 404:
        why = f"The Hub answered 404 Not Found for {repo_id}: check the username part of the repo id."
    elif status is not None and (status >= 500 or status == 429):
        why = f"The Hub had a problem ({status}); this is not your fault. Wait a minute and try again."
    elif status is not None:
        why = f"The Hub refused the upload ({status}): {err}"
    elif "Connect" in name or "Timeout" in name or isinstance(err, OSError):
        why = ("Could not reach the Hub (no internet connection?). On Kaggle, switch Internet on in the "
               "notebook's settings.")
    else:
        why = f"The upload failed: {name}: {err}"
    return HubPushError(f"{why} {kept}", repo_id=repo_id, folder=folder, status=status, cause=err)
