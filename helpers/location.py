"""Where the kit lives on GitHub: the one place to change when the repository moves.

The notebooks' setup cell and the "Open in Colab / Kaggle" badges must run before the kit is
importable, so they carry a copy of this location. ``python -m helpers.location ORG/REPO [BRANCH]``
rewrites every copy, and ``tests/test_repo.py`` fails if any copy disagrees with this file.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

GITHUB_REPO = "deep-rl-kit/deep-rl-course-kit"
BRANCH = "main"

ROOT = Path(__file__).resolve().parents[1]


# The copies these patterns find are the ones `set_location` rewrites and the tests check.
_URL = re.compile(r"(colab\.research\.google\.com/github/|kaggle\.com/kernels/welcome\?src=https://github\.com/)"
                  r"([\w.-]+/[\w.-]+)/blob/([\w.-]+)/")
_SETUP = re.compile(r'KIT_REPO, KIT_BRANCH = "([\w.-]+/[\w.-]+)", "([\w.-]+)"')


READMES = [ROOT / "README.md", ROOT / "README.zh-CN.md"]


def copies(text: str) -> list[tuple[str, str]]:
    """Every (repo, branch) pair written in ``text``: badge links and setup cells."""
    return [(m.group(2), m.group(3)) for m in _URL.finditer(text)] + [m.groups() for m in _SETUP.finditer(text)]


def set_location(repo: str, branch: str = BRANCH) -> list[Path]:
    """Rewrite every copy of the location (this file, both READMEs, notebooks). Returns the files changed."""
    changed = []
    files = [Path(__file__), *READMES, *sorted((ROOT / "notebooks").glob("*.ipynb"))]
    for path in files:
        text = path.read_text(encoding="utf-8")
        new = _URL.sub(lambda m: f"{m.group(1)}{repo}/blob/{branch}/", text)
        new = _SETUP.sub(f'KIT_REPO, KIT_BRANCH = "{repo}", "{branch}"', new)
        new = re.sub(r'^GITHUB_REPO = ".*"$', f'GITHUB_REPO = "{repo}"', new, flags=re.M)
        new = re.sub(r'^BRANCH = ".*"$', f'BRANCH = "{branch}"', new, flags=re.M)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or "/" not in sys.argv[1]:
        sys.exit("usage: python -m helpers.location ORG/REPO [BRANCH]")
    for path in set_location(*sys.argv[1:]):
        print("updated", path.relative_to(ROOT))
