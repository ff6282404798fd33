"""The Hub module's errors, repo-id checking, and how a library error is read (status, kind)."""
from __future__ import annotations

import re
from pathlib import Path

TOKENS_URL = "https://huggingface.co/settings/tokens"


class HubPushError(RuntimeError):
    """A push that could not finish. The message says why and what to do; the files are in ``folder``."""

    def __init__(self, message: str, *, repo_id: str | None = None, folder: Path | None = None,
                 status: int | None = None, cause: BaseException | None = None):
        super().__init__(message)
        self.repo_id, self.folder, self.status, self.cause = repo_id, folder, status, cause


class HubLoadError(RuntimeError):
    """A model that could not be downloaded or loaded; the message says why."""


class InvalidRepoIdError(ValueError):
    """A repo id that is not ``user/name``; raised before any network call."""


_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?"
_REPO_ID_RE = re.compile(rf"{_NAME}/{_NAME}")  # used with fullmatch: "$" would accept a final newline


def check_repo_id(repo_id) -> str:
    """Return ``repo_id`` if it looks like ``user/name``; raise ``InvalidRepoIdError`` otherwise."""
    if (not isinstance(repo_id, str) or not _REPO_ID_RE.fullmatch(repo_id) or len(repo_id.split("/")[1]) > 96
            or ".." in repo_id or "--" in repo_id):
        raise InvalidRepoIdError(
            f"{repo_id!r} is not a Hub repo id. Write it as 'username/repo-name', e.g. "
            "'your-username/q-Taxi-v3': letters, digits, '-', '_' and '.', one '/', no spaces "
            "(your username is shown at https://huggingface.co/settings/profile).")
    return repo_id


def http_status(err) -> int | None:
    """The HTTP status of a huggingface_hub / requests / httpx error, or None."""
    response = getattr(err, "response", None)
    return getattr(response, "status_code", None)


def is_expected(err) -> bool:
    """True for errors the kit translates fully (HTTP, offline, connection); their traceback is noise."""
    name = type(err).__name__
    return (http_status(err) is not None or "Offline" in name or "Connect" in name or "Timeout" in name
            or isinstance(err, OSError))
