"""What a Hub failure means for the learner: each raw error becomes a kit error (``helpers.errors``) whose
message says what went wrong and what to do. Also the repo-id check (huggingface_hub's own validator) and the
endpoint."""
from __future__ import annotations

import os
from pathlib import Path

from helpers.errors import HubLoadError, HubPushError, InvalidRepoIdError
from helpers.i18n import _

TOKENS_URL = "https://huggingface.co/settings/tokens"
MAX_NAMESPACE = 96  # the Hub's limit for a user or organisation name, as for a repo name


def check_repo_id(repo_id) -> str:
    """``repo_id`` if huggingface_hub's validator accepts it as ``namespace/name`` (ASCII, one '/', at most 96
    characters each side, no '--', '..' or final '.git'); ``InvalidRepoIdError`` otherwise."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    problem = None
    if not isinstance(repo_id, str) or repo_id.count("/") != 1:
        problem = _("write it as 'username/repo-name', with one '/'")
    elif not repo_id.isascii() or not repo_id.isprintable() or len(repo_id.split("/")[0]) > MAX_NAMESPACE:
        problem = _("use only ASCII letters, digits, '-', '_' and '.', at most {most} on each side of the '/'",
                    most=MAX_NAMESPACE)
    else:
        try:
            validate_repo_id(repo_id)
        except HFValidationError as err:
            problem = str(err).split(":")[0][:150]
    if problem:
        shown = repr(repo_id[:100]) if isinstance(repo_id, str) else type(repo_id).__name__
        raise InvalidRepoIdError(_("{shown} is not a Hub repo id ({problem}). Write it as 'username/repo-name', "
                                   "e.g. 'your-username/q-Taxi-v3' (your username is shown at "
                                   "https://huggingface.co/settings/profile).", shown=shown, problem=problem))
    return repo_id


def hub_endpoint(endpoint: str | None) -> str | None:
    # HF_ENDPOINT is read at call time too, so setting it in a running notebook takes effect.
    return endpoint or os.environ.get("HF_ENDPOINT") or None


def hub_status(err) -> int | None:
    """The HTTP status behind a huggingface_hub / httpx / requests error, looking through wrapping errors
    (older clients wrap a 5xx in a LocalEntryNotFoundError)."""
    for _depth in range(5):
        status = getattr(getattr(err, "response", None), "status_code", None)
        if isinstance(status, int) or err is None:
            return status
        err = err.__cause__ or err.__context__
    return None


def _busy(status) -> str | None:
    if status is not None and (status >= 500 or status == 429):
        return _("the Hub answered {status}, try again later (it is busy or down; not your fault)", status=status)
    return None


def _offline(err) -> bool:
    name = type(err).__name__
    return "Offline" in name or "Connect" in name or "Timeout" in name or isinstance(err, OSError)


def load_error(err, repo_id: str, filename: str) -> HubLoadError:
    """What a failed download means for the learner."""
    name, status = type(err).__name__, hub_status(err)
    filename = filename[:80]
    if _busy(status):
        why = _("Could not download {filename!r} from {repo_id!r}: {busy}.", filename=filename, repo_id=repo_id,
                busy=_busy(status))
    elif "RepositoryNotFound" in name or (status in (401, 404) and "Entry" not in name and "Revision" not in name):
        why = _("There is no model repo {repo_id!r} on the Hub (or it is private or gated): check the spelling, "
                "e.g. 'ThomasSimonini/q-Taxi-v3'.", repo_id=repo_id)
    elif "EntryNotFound" in name and "LocalEntry" not in name:
        why = _("The repo {repo_id!r} has no file {filename!r}: check the file name on the repo's 'Files' tab.",
                repo_id=repo_id, filename=filename)
    elif "RevisionNotFound" in name:
        why = _("The repo {repo_id!r} has no such revision: check the branch, tag or commit you asked for.",
                repo_id=repo_id)
    elif "LocalEntryNotFound" in name or _offline(err):
        why = _("{filename!r} of {repo_id!r} is not in the local Hub cache and the Hub cannot be reached "
                "(offline mode or no internet). Connect, or unset HF_HUB_OFFLINE, and try again.",
                filename=filename, repo_id=repo_id)
    elif status is not None:
        why = _("The Hub answered {status} for {repo_id}/{filename}: {text}. Check the repo id and try again.",
                status=status, repo_id=repo_id, filename=filename, text=str(err)[:200])
    else:
        why = _("Could not download {filename!r} from {repo_id!r} ({error}: {text}). Try again later.",
                filename=filename, repo_id=repo_id, error=name, text=str(err)[:200])
    return HubLoadError(why)


def push_error(err, repo_id: str, folder: Path, kept: str, api) -> HubPushError:
    """What a failed upload means, and what to do; ``kept`` says where the files are and how to retry."""
    status = hub_status(err)
    name = type(err).__name__
    user = repo_id.split("/")[0]
    if "Offline" in name:
        why = _("Offline mode is on (HF_HUB_OFFLINE=1), so nothing was uploaded.")
    elif status == 401:
        why = _("The Hub refused your token (401 Unauthorized): it is missing, mistyped, expired or revoked. "
                "Create a token with WRITE access at {url} and log in again (notebook_login(), "
                "`hf auth login`, or the HF_TOKEN secret).", url=TOKENS_URL)
    elif status == 403:
        who = ""
        try:
            info = api.whoami()
            role = (info.get("auth", {}).get("accessToken", {}) or {}).get("role")
            name_shown = str(info.get("name"))[:100]
            who = " " + (_("You are logged in as {name!r} with a {role!r} token.", name=name_shown, role=role) if role
                         else _("You are logged in as {name!r}.", name=name_shown))
        except Exception:
            pass
        why = _("The Hub refused to let this token write to {repo_id} (403 Forbidden).{who} Pushing needs a "
                "token with WRITE access (a 'read' token is refused): create one at {url}. Also check "
                "that {user!r} is your username (or an organisation you may write to).",
                repo_id=repo_id, who=who, url=TOKENS_URL, user=user)
    elif status == 404:
        why = _("The Hub answered 404 Not Found for {repo_id}: check the username part of the repo id.",
                repo_id=repo_id)
    elif _busy(status):
        why = _("Nothing was uploaded: {busy}.", busy=_busy(status))
    elif status is not None:
        why = _("The Hub refused the upload ({status}): {text}", status=status, text=str(err)[:200])
    elif _offline(err):
        why = _("Could not reach the Hub (no internet connection?). On Kaggle, switch Internet on in the "
                "notebook's settings.")
    else:
        why = _("The upload failed: {error}: {text}", error=name, text=str(err)[:200])
    return HubPushError(f"{why} {kept}", repo_id=repo_id, folder=folder, status=status, cause=err)


def card_error(err, repo_id: str, folder: Path, retry: str) -> HubPushError:
    """The repo's existing card could not be read: stop before anything is uploaded, so it is never lost."""
    status = hub_status(err)
    if isinstance(err, UnicodeDecodeError):
        return HubPushError(_(
            "The model card (README.md) that {repo_id} already has is not UTF-8 text, so the kit cannot keep its "
            "text and stopped before uploading anything. Open the repo on the Hub, edit README.md and save it as "
            "UTF-8 (or delete it), then upload again without retraining: {retry}.", repo_id=repo_id, retry=retry),
            repo_id=repo_id, folder=folder, cause=err)
    what = _busy(status) or (_("the Hub answered {status}", status=status) if status is not None else
                             f"{type(err).__name__}: {str(err)[:150]}")
    return HubPushError(_(
        "Could not read the model card (README.md) that {repo_id} already has ({what}). The kit keeps an existing "
        "card's text, so it stopped before uploading anything rather than risk replacing your card: the repo is "
        "unchanged, and your local folder {folder}/ is intact. Once the Hub answers, upload again: {retry}.",
        repo_id=repo_id, what=what, folder=folder, retry=retry),
        repo_id=repo_id, folder=folder, status=status, cause=err)
