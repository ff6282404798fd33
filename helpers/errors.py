"""The kit's own errors, on the ground floor: any module may raise them, and they import nothing of the kit but
``i18n`` (the same floor). Each message says what went wrong and what to do, in at most ``MAX_MESSAGE``
characters."""
from __future__ import annotations

from pathlib import Path

from helpers.i18n import tidy

MAX_MESSAGE = 1200


def _bounded(message: str) -> str:
    message = tidy(message)  # sentences joined by the kit: no space after a Chinese full stop
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 3] + "..."


class _OneLine:
    """Jupyter, Colab and Kaggle show these errors as their message alone: the message says what to do, and a
    traceback through the kit and huggingface_hub would only hide it (IPython's ``_render_traceback_``)."""

    def _render_traceback_(self):
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


class HubPushError(_OneLine, RuntimeError):
    """A push that could not finish. The message says why and what to do; the files are in ``folder``."""

    def __init__(self, message: str, *, repo_id: str | None = None, folder: Path | None = None,
                 status: int | None = None, cause: BaseException | None = None):
        super().__init__(_bounded(message))
        self.repo_id, self.folder, self.status, self.cause = repo_id, folder, status, cause


class HubLoadError(_OneLine, RuntimeError):
    """A model that could not be downloaded or loaded; the message says why and what to do."""

    def __init__(self, message: str):
        super().__init__(_bounded(message))


class KitArgumentError(ValueError, TypeError):
    """An argument a public function cannot work with; the message names it and says what to pass. Both a
    ValueError and a TypeError, so code that caught either before still catches it (``helpers.arguments``)."""


class InvalidRepoIdError(_OneLine, KitArgumentError):
    """A repo id that is not ``user/name`` as the Hub accepts it; raised before any network call."""
