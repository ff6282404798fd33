"""What a Hub failure means for the learner: each raw error becomes a kit error (``helpers.errors``) whose
message says what went wrong and what to do (what the error is, ``helpers.hub.client.classify`` decides). Also
the repo-id check (huggingface_hub's own validator)."""
from __future__ import annotations

from pathlib import Path

from helpers.errors import HubLoadError, HubPushError, InvalidRepoIdError
from helpers.hub.client import MAX_CARD_BYTES, TooLarge, busy_text, classify
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
        raise InvalidRepoIdError(_("repo_id {shown} is not a Hub repo id ({problem}). Write it as 'username/repo-name', "
                                   "e.g. 'your-username/q-Taxi-v3' (your username is shown at "
                                   "https://huggingface.co/settings/profile).", shown=shown, problem=problem))
    return repo_id


def load_error(err, repo_id: str, filename: str) -> HubLoadError:
    """What a failed download means for the learner."""
    kind, status = classify(err)
    filename = filename[:80]
    if kind == "busy":
        why = _("Could not download {filename!r} from {repo_id!r}: {busy}.", filename=filename, repo_id=repo_id,
                busy=busy_text(status))
    elif kind in ("no-repo", "denied"):
        why = _("There is no model repo {repo_id!r} on the Hub (or it is private or gated): check the spelling, "
                "e.g. 'ThomasSimonini/q-Taxi-v3'.", repo_id=repo_id)
    elif kind == "no-file":
        why = _("The repo {repo_id!r} has no file {filename!r}: check the file name on the repo's 'Files' tab.",
                repo_id=repo_id, filename=filename)
    elif kind == "no-revision":
        why = _("The repo {repo_id!r} has no such revision: check the branch, tag or commit you asked for.",
                repo_id=repo_id)
    elif kind in ("unreachable", "offline-mode"):
        why = _("{filename!r} of {repo_id!r} is not in the local Hub cache and the Hub cannot be reached "
                "(offline mode or no internet). Connect, or unset HF_HUB_OFFLINE, and try again.",
                filename=filename, repo_id=repo_id)
    elif status is not None:
        why = _("The Hub answered {status} for {repo_id}/{filename}: {text}. Check the repo id and try again.",
                status=status, repo_id=repo_id, filename=filename, text=str(err)[:200])
    else:
        why = _("Could not download {filename!r} from {repo_id!r} ({error}: {text}). Try again later.",
                filename=filename, repo_id=repo_id, error=type(err).__name__, text=str(err)[:200])
    return HubLoadError(why)


def push_error(err, repo_id: str, folder: Path, kept: str, api) -> HubPushError:
    """What a failed upload means, and what to do; ``kept`` says where the files are and how to retry."""
    kind, status = classify(err)
    name = type(err).__name__
    user = repo_id.split("/")[0]
    if kind == "offline-mode":
        why = _("Offline mode is on (HF_HUB_OFFLINE=1), so nothing was uploaded.")
    elif kind == "busy":
        why = _("Nothing was uploaded: {busy}.", busy=busy_text(status))
    elif kind == "denied":
        why = _("The Hub refused your token (401 Unauthorized): it is missing, mistyped, expired or revoked. "
                "Create a token with WRITE access at {url} and log in again (notebook_login(), "
                "`hf auth login`, or the HF_TOKEN secret).", url=TOKENS_URL)
    elif kind == "forbidden":
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
    elif status is not None:
        why = _("The Hub refused the upload ({status}): {text}", status=status, text=str(err)[:200])
    elif kind == "unreachable":
        why = _("Could not reach the Hub (no internet connection?). On Kaggle, switch Internet on in the "
                "notebook's settings.")
    else:
        why = _("The upload failed: {error}: {text}", error=name, text=str(err)[:200])
    return HubPushError(f"{why} {kept}", repo_id=repo_id, folder=folder, status=status, cause=err)


def card_error(err, repo_id: str, folder: Path, retry: str) -> HubPushError:
    """The repo's existing card could not be read: stop before anything is uploaded, so it is never lost."""
    kind, status = classify(err)
    if isinstance(err, UnicodeDecodeError):
        return HubPushError(_(
            "The model card (README.md) that {repo_id} already has is not UTF-8 text, so the kit cannot keep its "
            "text and stopped before uploading anything. Open the repo on the Hub, edit README.md and save it as "
            "UTF-8 (or delete it), then upload again without retraining: {retry}.", repo_id=repo_id, retry=retry),
            repo_id=repo_id, folder=folder, cause=err)
    if isinstance(err, TooLarge):
        what = _("it is larger than {kb} KB, more than the kit reads", kb=MAX_CARD_BYTES // 1024)
    elif kind == "busy":
        what = busy_text(status)
    else:
        what = _("the Hub answered {status}", status=status) if status is not None else \
            f"{type(err).__name__}: {str(err)[:150]}"
    return HubPushError(_(
        "Could not read the model card (README.md) that {repo_id} already has ({what}). The kit keeps an existing "
        "card's text, so it stopped before uploading anything rather than risk replacing your card: the repo is "
        "unchanged, and your local folder {folder}/ is intact. Once the Hub answers, upload again: {retry}.",
        repo_id=repo_id, what=what, folder=folder, retry=retry),
        repo_id=repo_id, folder=folder, status=status, cause=err)
