"""Store the notebooks' pictures inside the notebooks, so they show with no network.

For every notebook in notebooks/ (English and Chinese), this

* replaces each course picture linked from huggingface.co (a markdown image or an HTML <img>) by our own
  figure of the same idea (drawn by draw.py), stored in the cell as an attachment: `![alt](attachment:NAME)`;
* refreshes every attachment that names one of our figures, so that after `draw.py` the notebooks follow;
* turns the "Open in Colab / Kaggle" badge images into plain text links (Kaggle first in the Chinese
  notebooks: Colab is out of reach for many of their readers);
* rewrites the credit line under the pictures to say they are our drawings.

Running it twice changes nothing the second time.

    python notebooks/pictures/embed.py                 # every notebooks/*.ipynb
    python notebooks/pictures/embed.py notebooks/01_qlearning.zh-CN.ipynb
"""
from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE.parent

# The course's picture (its file name on huggingface.co) -> the stem of our figure of the same idea.
COURSE_PICTURES = {
    "Q-function-2.jpg": "q_table",
    "Q-learning-2.jpg": "q_learning_steps",
    "off-on-4.jpg": "off_policy",
    "Q-learning-4.jpg": "epsilon_greedy",
    "envs.gif": "unit4_games",
    "pg_bigpicture.jpg": "pg_big_picture",
    "pg_pseudocode.png": "reinforce_pseudocode",
    "reinforce.png": "policy_network",
}

BADGES = {
    "colab": "https://colab.research.google.com/assets/colab-badge.svg",
    "kaggle": "https://kaggle.com/static/images/open-in-kaggle.svg",
}
LINK_TEXT = {
    "en": {"colab": "Open in Colab", "kaggle": "Open in Kaggle", "order": ("colab", "kaggle")},
    "zh-CN": {"colab": "在 Colab 中打开", "kaggle": "在 Kaggle 中打开", "order": ("kaggle", "colab")},
}
CREDIT = {
    "en": "*(Figure drawn for this kit after the Hugging Face Deep RL course's picture; "
          "see notebooks/pictures/CREDITS.md.)*",
    "zh-CN": "*（图：本套件参照 Hugging Face 深度强化学习课程的插图重新绘制，"
             "出处见 notebooks/pictures/CREDITS.md。）*",
}

MARKDOWN_IMAGE = re.compile(r'!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+"[^"]*")?\)')
HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r"""\b(?P<name>src|alt)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+))""",
                       re.IGNORECASE)
BADGE_LINK = re.compile(r"\[!\[[^\]]*\]\((?P<badge>[^)\s]+)\)\]\((?P<target>[^)\s]+)\)")
BADGE_PAIR = re.compile(BADGE_LINK.pattern + r"[ \t]*(?:·[ \t]*)?" + BADGE_LINK.pattern.replace("?P<", "?P<b_"))
# A credit line under a course picture: an emphasised parenthesis that names the licence.
CREDIT_LINE = re.compile(r"\*[(（][^*\n]*Apache-2\.0[^*\n]*[)）]\*")
# "(picture: the course)" and the like at the end of an alt text: no longer true of our figures.
ALT_CREDIT = re.compile(r"\s*[(（][^()（）]*(?:the course|课程)[^()（）]*[)）]\s*$", re.IGNORECASE)
ATTACHMENT = re.compile(r"attachment:(?P<name>[^)\s\"'>]+)")


def language(path: Path) -> str:
    return "zh-CN" if path.name.endswith(".zh-CN.ipynb") else "en"


def figure_file(stem: str, lang: str) -> Path:
    """Our figure in the notebook's language; the English one where no translation was drawn."""
    translated = HERE / f"{stem}.{lang}.png"
    return translated if lang != "en" and translated.exists() else HERE / f"{stem}.png"


def course_picture(src: str) -> str | None:
    """The stem of our figure for a course picture's URL, or None when the URL is not a known picture."""
    if not src.startswith(("http://", "https://", "//")):
        return None
    return COURSE_PICTURES.get(unquote(Path(urlparse(src).path).name))


def _attribute(tag: str, name: str) -> str | None:
    for match in ATTRIBUTE.finditer(tag):
        if match.group("name").lower() == name:
            return next(v for v in (match.group("dq"), match.group("sq"), match.group("bare")) if v is not None)
    return None


def _image(alt: str, name: str) -> str:
    alt = ALT_CREDIT.sub("", alt).replace("[", "(").replace("]", ")")
    return f"![{alt}](attachment:{name})"


def _text_links(lang: str, links: dict[str, str]) -> str:
    words = LINK_TEXT[lang]
    return " · ".join(f"[{words[kind]}]({links[kind]})" for kind in words["order"] if kind in links)


def _badge_kind(url: str) -> str | None:
    return next((kind for kind, badge in BADGES.items() if url == badge), None)


def rewrite_badges(text: str, lang: str) -> str:
    def pair(match: re.Match) -> str:
        kinds = _badge_kind(match.group("badge")), _badge_kind(match.group("b_badge"))
        if None in kinds or kinds[0] == kinds[1]:
            return match.group(0)
        return _text_links(lang, {kinds[0]: match.group("target"), kinds[1]: match.group("b_target")})

    def single(match: re.Match) -> str:
        kind = _badge_kind(match.group("badge"))
        return _text_links(lang, {kind: match.group("target")}) if kind else match.group(0)

    return BADGE_LINK.sub(single, BADGE_PAIR.sub(pair, text))


def rewrite_cell(cell: dict, lang: str) -> bool:
    """Rewrite one markdown cell in place; True when it changed."""
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    new = rewrite_badges(source, lang)
    replaced = False

    def markdown(match: re.Match) -> str:
        nonlocal replaced
        stem = course_picture(match.group("src"))
        if stem is None:
            return match.group(0)
        replaced = True
        return _image(match.group("alt"), figure_file(stem, lang).name)

    def html(match: re.Match) -> str:
        nonlocal replaced
        stem = course_picture(_attribute(match.group(0), "src") or "")
        if stem is None:
            return match.group(0)
        replaced = True
        return _image(_attribute(match.group(0), "alt") or "", figure_file(stem, lang).name)

    new = HTML_IMAGE.sub(html, MARKDOWN_IMAGE.sub(markdown, new))
    if replaced:
        new = CREDIT_LINE.sub(lambda m: CREDIT[lang], new)

    attachments = dict(cell.get("attachments") or {})
    for name in dict.fromkeys(m.group("name") for m in ATTACHMENT.finditer(new)):
        path = HERE / name
        if path.suffix == ".png" and path.exists():  # one of our figures: store its current bytes
            attachments[name] = {"image/png": base64.b64encode(path.read_bytes()).decode("ascii")}

    changed = new != source or attachments != (cell.get("attachments") or {})
    if changed:
        cell["source"] = new.splitlines(keepends=True)
        if attachments:
            cell["attachments"] = attachments
    return changed


def embed(path: Path) -> int:
    """Rewrite one notebook; returns the number of cells changed."""
    text = path.read_text(encoding="utf-8")
    notebook = json.loads(text)
    lang = language(path)
    changed = sum(rewrite_cell(cell, lang) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    if changed:
        # The layout nbformat and Jupyter write, so that the diff shows only what changed.
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    return changed


def main(paths: list[str]) -> None:
    targets = [Path(p) for p in paths] or sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in targets:
        if not path.exists():
            sys.exit(f"{path}: no such notebook. Give paths like notebooks/01_qlearning.ipynb, or none for all.")
        print(f"{path}: {embed(path)} cell(s) changed")


if __name__ == "__main__":
    main(sys.argv[1:])
