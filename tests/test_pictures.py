"""Every picture in every notebook (English and Chinese) shows with no network.

A picture is either a cell attachment or a file of this repository; a link to any website (huggingface.co,
the Colab and Kaggle badge images) fails, because many learners cannot reach it.
"""
import base64
import binascii
import copy
import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
PICTURES = ROOT / "notebooks" / "pictures"

MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?(?P<src>[^)\s>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
REFERENCE_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\[(?P<ref>[^\]]*)\]")
REFERENCE = re.compile(r"^\s{0,3}\[(?P<ref>[^\]]+)\]:\s*<?(?P<src>\S+?)>?(?:\s|$)", re.M)
HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.I)
HTML_SRC = re.compile(r"""\bsrc\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+))""", re.I)
MAGIC = {
    "image/png": [b"\x89PNG\r\n\x1a\n"],
    "image/jpeg": [b"\xff\xd8\xff"],
    "image/gif": [b"GIF87a", b"GIF89a"],
    "image/webp": [b"RIFF"],
}


def image_sources(markdown: str) -> list[str]:
    """Every image source in a markdown cell: markdown images (inline and by reference) and HTML <img>."""
    sources = [m.group("src") for m in MARKDOWN_IMAGE.finditer(markdown)]
    references = {m.group("ref").lower(): m.group("src") for m in REFERENCE.finditer(markdown)}
    for m in REFERENCE_IMAGE.finditer(markdown):
        ref = (m.group("ref") or m.group("alt")).lower()
        sources.append(references.get(ref, f"<undefined reference [{ref}]>"))
    for tag in HTML_IMAGE.finditer(markdown):
        src = HTML_SRC.search(tag.group(0))
        sources.append(next(v for v in src.groups() if v is not None) if src else "<img without src>")
    return sources


def offline_problems(notebook_path: Path, cells) -> list[str]:
    """What would not show offline: remote, missing or malformed picture sources and attachments."""
    problems = []
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        where = f"{notebook_path.name} cell {cell.get('id', '?')}"
        attachments = cell.get("attachments") or {}
        for src in image_sources("".join(cell["source"])):
            if src.startswith("attachment:"):
                if src[len("attachment:"):] not in attachments:
                    problems.append(f"{where}: {src} names no attachment of this cell")
                continue
            if re.match(r"^[a-z][a-z0-9+.-]*:|^//|^/", src, re.I):
                problems.append(f"{where}: the picture {src} is not in the notebook or the repository; "
                                "store it as an attachment (python notebooks/pictures/embed.py)")
                continue
            target = (notebook_path.parent / src).resolve()
            if ROOT.resolve() not in target.parents or not target.is_file():
                problems.append(f"{where}: the picture {src} is not a file of this repository")
        for name, bundle in attachments.items():
            for mime, data in bundle.items():
                try:
                    raw = base64.b64decode("".join(data), validate=True)
                except (binascii.Error, ValueError):
                    problems.append(f"{where}: attachment {name} ({mime}) is not valid base64")
                    continue
                if mime == "image/svg+xml":
                    ok = b"<svg" in raw[:1000]
                else:
                    ok = any(raw.startswith(magic) for magic in MAGIC.get(mime, []))
                if not ok:
                    problems.append(f"{where}: attachment {name} is not an image of the declared type {mime}")
    return problems


def load_embed():
    spec = importlib.util.spec_from_file_location("embed", PICTURES / "embed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_both_editions_are_checked():
    assert {p.name for p in NOTEBOOKS} >= {"01_qlearning.ipynb", "02_load_from_hub.ipynb", "03_reinforce.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_picture_shows_offline(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert offline_problems(path, notebook["cells"]) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_with_attachments_is_valid(path):
    nbformat.validate(nbformat.read(path, as_version=4))


def test_the_course_pictures_are_shown_where_the_course_showed_them():
    """The figures are there, not just the links gone: each notebook shows its figures as attachments."""
    expected = {"01_qlearning.ipynb": {"q_table", "q_learning_steps", "off_policy", "epsilon_greedy"},
                "03_reinforce.ipynb": {"unit4_games", "pg_big_picture", "reinforce_pseudocode", "policy_network"}}
    for path in NOTEBOOKS:
        key = path.name.replace(".zh-CN", "")
        names = {name.split(".")[0] for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
                 for name in (cell.get("attachments") or {})}
        assert names == expected.get(key, set()), path.name
        if path.name.endswith(".zh-CN.ipynb"):  # the Chinese notebooks show the Chinese figures
            text = path.read_text(encoding="utf-8")
            assert all(f"attachment:{stem}.zh-CN.png" in text for stem in expected.get(key, ())), path.name


def test_remote_links_and_bad_attachments_are_caught():
    """The check above fails on each way a picture can need the network or be broken."""
    seeded = {
        "![x](https://huggingface.co/datasets/huggingface-deep-rl-course/course-images/a.jpg)": "not in the notebook",
        '<img src="https://example.org/a.png" width="70%"/>': "not in the notebook",
        "<IMG SRC=//example.org/a.png>": "not in the notebook",
        "[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://x)": "not in the notebook",
        "![x][pic]\n\n[pic]: https://example.org/a.png": "not in the notebook",
        "![x](pictures/no_such_file.png)": "not a file of this repository",
        "![x](../../../etc/passwd)": "not a file of this repository",
        "![x](attachment:missing.png)": "names no attachment",
    }
    for source, message in seeded.items():
        cell = {"cell_type": "markdown", "id": "c", "metadata": {}, "source": [source]}
        problems = offline_problems(NOTEBOOK_DIR / "x.ipynb", [cell])
        assert len(problems) == 1 and message in problems[0], (source, problems)
    fine = {"cell_type": "markdown", "id": "c", "metadata": {}, "source": ["![x](pictures/q_table.png) [a link](https://x)"]}
    assert offline_problems(NOTEBOOK_DIR / "x.ipynb", [fine]) == []
    png = base64.b64encode((PICTURES / "q_table.png").read_bytes()).decode()
    for bundle, message in [({"image/jpeg": png}, "declared type image/jpeg"), ({"image/png": "%%%"}, "base64")]:
        cell = {"cell_type": "markdown", "id": "c", "metadata": {}, "source": ["![x](attachment:a)"],
                "attachments": {"a": bundle}}
        problems = offline_problems(NOTEBOOK_DIR / "x.ipynb", [cell])
        assert len(problems) == 1 and message in problems[0], problems


def test_embed_replaces_course_pictures_and_badges_and_is_idempotent(tmp_path):
    embed = load_embed()
    course = "https://huggingface.co/datasets/huggingface-deep-rl-course/course-images/resolve/main/en/unit3/"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab/x) "
            "[![Open in Kaggle](https://kaggle.com/static/images/open-in-kaggle.svg)](https://kaggle/x)"),
        nbformat.v4.new_markdown_cell(
            f'表：\n\n<img src="{course}Q-function-2.jpg" alt="Q表" width="70%"/>\n\n'
            f"![ε-贪婪策略（图：课程）]({course}Q-learning-4.jpg)\n\n*（图：Hugging Face 深度强化学习课程，Apache-2.0。）*\n"),
    ]
    en, zh = tmp_path / "n.ipynb", tmp_path / "n.zh-CN.ipynb"
    for path in (en, zh):
        nbformat.write(copy.deepcopy(nb), path)
        assert embed.embed(path) == 2
        first = path.read_text(encoding="utf-8")
        assert embed.embed(path) == 0 and path.read_text(encoding="utf-8") == first  # idempotent
        result = nbformat.read(path, as_version=4)
        nbformat.validate(result)
        assert offline_problems(path, result.cells) == []
    en_cells, zh_cells = nbformat.read(en, as_version=4).cells, nbformat.read(zh, as_version=4).cells
    assert en_cells[0].source == "[Open in Colab](https://colab/x) · [Open in Kaggle](https://kaggle/x)"
    assert zh_cells[0].source == "[在 Kaggle 中打开](https://kaggle/x) · [在 Colab 中打开](https://colab/x)"
    assert "![Q表](attachment:q_table.zh-CN.png)" in zh_cells[1].source
    assert "![ε-贪婪策略](attachment:epsilon_greedy.zh-CN.png)" in zh_cells[1].source  # the course credit is gone
    assert embed.CREDIT["zh-CN"] in zh_cells[1].source and "Apache-2.0" not in zh_cells[1].source
    assert set(en_cells[1].attachments) == {"q_table.png", "epsilon_greedy.png"}
    stored = base64.b64decode(en_cells[1].attachments["q_table.png"]["image/png"])
    assert stored == (PICTURES / "q_table.png").read_bytes()


def test_every_course_picture_has_our_figure_in_both_languages_and_a_credit():
    embed = load_embed()
    credits = (PICTURES / "CREDITS.md").read_text(encoding="utf-8")
    files = sorted(p.name for p in PICTURES.iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".gif"})
    assert files, "no pictures in notebooks/pictures"
    for name in files:
        assert f"`{name}`" in credits, f"notebooks/pictures/CREDITS.md does not name {name}: add its line"
        assert (PICTURES / name).stat().st_size < 150_000, f"{name} is over 150 KB: make it smaller"
    for course, stem in embed.COURSE_PICTURES.items():
        assert {f"{stem}.png", f"{stem}.zh-CN.png"} <= set(files), stem
        assert course in credits, f"CREDITS.md does not say which course picture {stem} replaces"
