"""The language the kit speaks to the learner: English (the default and the fallback) or Simplified Chinese.

Every sentence a learner reads at run time is written in English in the code and wrapped in ``_()``, with
named placeholders::

    print(_("✅ {name}: all checks passed.", name=name))

The translations are gettext catalogs: ``helpers/locale/<language>/LC_MESSAGES/kit.po`` (the source,
edited by translators) compiled to ``kit.mo`` (what runs). After changing a message in the code::

    python -m helpers.i18n extract   # messages.pot from the code, then each kit.po updated (Babel)
    python -m helpers.i18n compile   # each kit.po to kit.mo (Babel)
    python -m helpers.i18n font NotoSansSC-Regular.otf   # the plots' Chinese font, cut to the characters used

Plots need a font with Chinese characters, which Colab and Kaggle do not have: ``helpers/fonts/`` holds Noto Sans
SC (SIL Open Font License) cut down to the characters the catalogs and the Chinese notebooks use.

The notebook's setup cell chooses the language once, ``helpers.set_language("zh-CN")``; nothing else in a
learner's cell changes. Words follow ``TERMINOLOGY.md`` (the glossary), which a test holds the catalogs to.
"""
from __future__ import annotations

import contextlib
import gettext
import string
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
FONT = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-kit.otf"
DOMAIN = "kit"
ENGLISH = "en"
# The languages a notebook may choose, by the names a learner writes, mapped to their catalog folder.
LANGUAGES = {"en": ENGLISH, "en-US": ENGLISH, "en_US": ENGLISH,
             "zh-CN": "zh_CN", "zh_CN": "zh_CN", "zh-Hans": "zh_CN", "zh": "zh_CN"}

_active: gettext.NullTranslations = gettext.NullTranslations()
_language = ENGLISH


def _catalog(language: str) -> gettext.NullTranslations:
    if language == ENGLISH:
        return gettext.NullTranslations()
    # fallback=False: a missing catalog is a bug in the kit, not something to hide.
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language])


def set_language(language: str = "en") -> None:
    """Choose the language of every message, pass line, plot and caption: ``"en"`` or ``"zh-CN"``.

    Returns nothing, so that the setup cell shows no output for it."""
    global _active, _language
    if not isinstance(language, str) or language not in LANGUAGES:
        known = ", ".join(f'"{name}"' for name in ("en", "zh-CN"))
        raise ValueError(f"Unknown language {language!r}: choose one of {known}. "
                         f"未知的语言 {language!r}：请选择 {known}。")
    _language = LANGUAGES[language]
    _active = _catalog(_language)
    if _language != ENGLISH:
        use_plot_font()


def use_plot_font() -> str:
    """Let matplotlib draw Chinese: the kit's font becomes the fallback for characters the usual font lacks."""
    import matplotlib
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT))
    name = font_manager.FontProperties(fname=str(FONT)).get_name()
    families = [f for f in matplotlib.rcParams["font.family"] if f != name]
    matplotlib.rcParams["font.family"] = families + [name]  # matplotlib >= 3.6 falls back glyph by glyph
    return name


def language() -> str:
    """The language in use: ``"en"`` or ``"zh_CN"``."""
    return _language


@contextlib.contextmanager
def using(language_name: str):
    """Speak ``language_name`` inside the ``with`` block (tests, and a one-off message)."""
    before = _language
    set_language(language_name)
    try:
        yield
    finally:
        set_language(before)


def _(message: str, /, **values) -> str:
    """``message`` in the chosen language, its ``{named}`` placeholders filled from ``values``."""
    text = _active.gettext(message)
    return text.format(**values) if values else text


def ngettext(singular: str, plural: str, n: int, /, **values) -> str:
    """The singular or plural of a message for ``n`` (``n`` is also a placeholder)."""
    text = _active.ngettext(singular, plural, n)
    return text.format(n=n, **values)


def placeholders(message: str) -> set[str]:
    """The names of ``message``'s placeholders (``{mark:g}`` -> ``mark``): a translation must keep them all."""
    return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(message)
            if field is not None}


# ---- for maintainers: extract and compile the catalogs (Babel, from requirements-dev.txt) -----------------------
def _extract() -> None:
    from babel.messages import frontend

    root = Path(__file__).resolve().parent.parent
    pot = LOCALE_DIR / f"{DOMAIN}.pot"
    frontend.CommandLineInterface().run([
        "pybabel", "extract", "--no-location", "--sort-output", "-k", "_", "-k", "ngettext:1,2",
        "--project", "deep-rl-course-kit", "-o", str(pot), str(root / "helpers")])
    for po in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        frontend.CommandLineInterface().run([
            "pybabel", "update", "--no-fuzzy-matching", "--ignore-obsolete", "-i", str(pot), "-d", str(LOCALE_DIR),
            "-D", DOMAIN, "-l", po.parent.parent.name])


def compile_catalog(po_path: Path) -> bytes:
    """The ``.mo`` bytes for one ``.po`` file (the tests compare them with the committed ``kit.mo``)."""
    import io

    from babel.messages import mofile, pofile

    with open(po_path, "rb") as handle:
        catalog = pofile.read_po(handle)
    out = io.BytesIO()
    mofile.write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _compile() -> None:
    for po in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        po.with_suffix(".mo").write_bytes(compile_catalog(po))
        print(f"compiled {po.relative_to(LOCALE_DIR)}")


def characters_used() -> set[str]:
    """Every non-ASCII character of the translations and of the Chinese notebooks' code cells (plot titles)."""
    import json

    from babel.messages import pofile

    chars: set[str] = set()
    for po in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        with open(po, "rb") as handle:
            for message in pofile.read_po(handle):
                for text in (message.string if isinstance(message.string, tuple) else (message.string,)):
                    chars.update(text or "")
    for notebook in (LOCALE_DIR.parent.parent / "notebooks").glob("*.zh-CN.ipynb"):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                chars.update("".join(cell["source"]))
    import unicodedata

    # Chinese characters and punctuation; emoji and their variation selectors come from the emoji font.
    return {c for c in chars if ord(c) > 0x2000 and unicodedata.east_asian_width(c) in ("W", "F", "A")
            and unicodedata.category(c) not in ("So", "Mn", "Cf")}


def _common_chinese() -> set[str]:
    """The 3,755 most common Chinese characters (GB2312 level 1), so that a learner's own titles show too."""
    chars = set()
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def _font(source: str) -> None:
    from fontTools import subset

    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(source, options)
    subsetter = subset.Subsetter(options)
    wanted = characters_used() | _common_chinese() | set("0123456789") | {chr(c) for c in range(0x3000, 0x3040)} | \
        {chr(c) for c in range(0xFF01, 0xFF5F)}
    subsetter.populate(unicodes=[ord(c) for c in sorted(wanted)])
    subsetter.subset(font)
    FONT.parent.mkdir(exist_ok=True)
    subset.save_font(font, str(FONT), options)
    print(f"{FONT.name}: {len(wanted)} characters, {FONT.stat().st_size // 1024} KB")


if __name__ == "__main__":
    import sys

    commands = {"extract": _extract, "compile": _compile, "font": _font}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        raise SystemExit("usage: python -m helpers.i18n extract|compile|font SOURCE.otf")
    commands[sys.argv[1]](*sys.argv[2:])
