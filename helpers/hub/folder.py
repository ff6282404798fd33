"""The export folder (``hub_exports/<repo name>/`` or ``local_dir``): the kit's files, saved before any upload.

It holds regular files only. The folder is opened once (a directory descriptor, never through a link) and
every file is read and written relative to it, so a link, FIFO, device, socket or sparse file planted in it,
or the folder swapped for a link in the middle of a push, can neither hang the kit nor make it read or write
anything outside the folder. Only files an earlier export wrote (listed in its manifest) are replaced.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from helpers.errors import HubPushError
from helpers.hub.models import POLICY_FILE, QLEARNING_FILE
from helpers.i18n import _

# Every file a push writes; uploads are limited to these, so nothing else in a folder is ever sent.
KIT_FILES = (QLEARNING_FILE, "qtable.npy", POLICY_FILE, "hyperparameters.json", "results.json", "README.md",
             "replay.mp4")
# Written beside them: which files this export wrote. Only a folder with one is overwritten or uploaded.
MANIFEST = ".kit-export.json"
# More than the kit ever writes (a policy is at most 8 MB, a replay 1,000 frames): anything bigger was put there.
MAX_BYTES = {"replay.mp4": 256 * 2**20, MANIFEST: 2**16}
MAX_FILE = 16 * 2**20
_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC
_KINDS = ((stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
          (stat.S_ISBLK, "block device"), (stat.S_ISDIR, "directory"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "special file")


class ExportFolder:
    """An export folder opened once; ``read``/``write``/``remove`` work on names inside it, never on paths."""

    def __init__(self, path: Path, fd: int):
        self.path, self._fd = path, fd

    @classmethod
    def open(cls, path, create: bool = False) -> "ExportFolder":
        path = Path(path)
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.mkdir(path)
                except FileExistsError:
                    pass
            return cls(path, os.open(path, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW))
        except OSError as err:
            raise cls._folder_error(path, err) from None

    @staticmethod
    def _folder_error(path: Path, err: OSError) -> HubPushError:
        if os.path.islink(path):
            message = _("{folder} is a symbolic link; the kit writes and reads its export only in a plain folder. "
                        "Remove the link (or pass another local_dir) and try again.", folder=path)
        elif os.path.lexists(path) and not os.path.isdir(path):
            message = _("{folder} is not a folder: pass a new or empty folder as local_dir, or move that file "
                        "away, then try again.", folder=path)
        elif not os.path.lexists(path):
            message = _("{folder} does not exist: pass the folder that push_to_hub saved the agent in "
                        "(hub_exports/<repo name>/).", folder=path)
        else:
            message = _("Could not open the folder {folder} ({error}: {text}). Check that you may write there, or "
                        "pass another local_dir.", folder=path, error=type(err).__name__, text=err.strerror)
        return HubPushError(message, folder=path)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    __del__ = close

    def __enter__(self) -> "ExportFolder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _error(self, name: str, err: OSError) -> HubPushError:
        return HubPushError(_("Could not use {path} ({error}: {text}). Push the agent again (push_to_hub writes a "
                              "fresh folder).", path=self.path / name, error=type(err).__name__, text=err.strerror),
                            folder=self.path)

    def exists(self, name: str) -> bool:
        try:
            os.stat(name, dir_fd=self._fd, follow_symlinks=False)
            return True
        except FileNotFoundError:
            return False
        except OSError as err:
            raise self._error(name, err) from None

    def _check(self, name: str, info: os.stat_result) -> None:
        """Refuse anything but a regular file of a size the kit could have written, before it is read."""
        path, cap = self.path / name, MAX_BYTES.get(name, MAX_FILE)
        if stat.S_ISLNK(info.st_mode):
            message = _("{path} is a symbolic link; the kit reads and writes export files only as plain files. "
                        "Remove the link (or push the agent again into a new folder) and try again.", path=path)
        elif not stat.S_ISREG(info.st_mode):
            message = _("{path} is not a plain file (its type: `{kind}`), so the kit did not open it. Remove it (or "
                        "push the agent again into a new folder) and try again.", path=path, kind=_kind(info.st_mode))
        elif info.st_size > cap:
            message = _("{path} holds {size:,} bytes, more than the {cap:,} the kit ever writes there, so it was not "
                        "read. Push the agent again (push_to_hub writes a fresh folder).", path=path,
                        size=info.st_size, cap=cap)
        elif info.st_size > 2**20 and info.st_blocks * 512 < info.st_size // 8:
            message = _("{path} says it holds {size:,} bytes but only {stored:,} are stored on disk (a sparse file), "
                        "so it was not read. Delete it and push the agent again.", path=path, size=info.st_size,
                        stored=info.st_blocks * 512)
        else:
            return
        raise HubPushError(message, folder=self.path)

    def read(self, name: str) -> bytes:
        """The bytes of the regular file ``name``; a ``HubPushError`` naming it for anything else."""
        try:
            self._check(name, os.stat(name, dir_fd=self._fd, follow_symlinks=False))
            fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW, dir_fd=self._fd)
        except OSError as err:
            raise self._error(name, err) from None
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(fd)  # what was opened, in case the name was swapped since the check
            self._check(name, info)
            data = f.read(info.st_size + 1)
        if len(data) > info.st_size:  # it grew while being read
            raise self._error(name, OSError(0, "the file changed while it was read"))
        return data

    def remove(self, name: str) -> None:
        try:
            os.unlink(name, dir_fd=self._fd)
        except FileNotFoundError:
            pass
        except OSError as err:
            raise self._error(name, err) from None

    def write(self, name: str, data: bytes) -> None:
        """Create ``name`` anew with ``data`` (whatever had that name is unlinked first, never followed)."""
        self.remove(name)
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644, dir_fd=self._fd)
        except OSError as err:
            raise self._error(name, err) from None
        with os.fdopen(fd, "wb") as f:
            f.write(data)

    def manifest(self) -> list[str] | None:
        """The kit files an earlier export wrote here (from its manifest), or None without a plain, readable one."""
        try:
            data = json.loads(self.read(MANIFEST).decode("utf-8"))
        except (HubPushError, ValueError, RecursionError):
            return None
        files = data.get("files") if isinstance(data, dict) else None
        return [name for name in KIT_FILES if name in files] if isinstance(files, list) else None


def export(staging: Path, path: Path, repo_id: str, guard: bool = True) -> ExportFolder:
    """Put the staged files in the folder ``path`` and list them in its manifest; returns the folder, still open,
    so the upload reads the very files written here.

    Only files an earlier export wrote (its manifest lists them) are replaced; anything else in the folder is
    left alone and never uploaded. With ``guard`` (a ``local_dir`` the caller chose), a folder that already
    holds a kit file name the kit did not write is refused rather than overwritten. The kit's own
    ``hub_exports/<repo name>/`` is replaced as before (older kits wrote no manifest there)."""
    folder = ExportFolder.open(path, create=True)
    try:
        previous = folder.manifest()
        clash = sorted(n for n in KIT_FILES if folder.exists(n) and n not in (previous or [])) if guard else []
        if clash:
            raise HubPushError(_(
                "local_dir={folder!r} already holds {files}, which the kit did not write there (no {manifest} lists "
                "them), so push_to_hub will not overwrite them. Pass a new or empty folder as local_dir, or move "
                "those files away first.", folder=str(path), files=", ".join(clash), manifest=MANIFEST), folder=path)
        for name in (previous if guard else KIT_FILES) or []:
            folder.remove(name)
        written = sorted(item.name for item in staging.iterdir() if item.name in KIT_FILES)
        for name in written:
            folder.write(name, (staging / name).read_bytes())
        manifest = {"written_by": "deep-rl-course-kit push_to_hub", "repo_id": repo_id, "files": written}
        folder.write(MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    except BaseException:
        folder.close()
        raise
    return folder
