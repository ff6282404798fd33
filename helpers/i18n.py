"""The language the kit speaks to the learner: English (the default and the fallback) or Simplified Chinese.

Every sentence a learner reads at run time is written in English in the code and wrapped in ``_()``, with
named placeholders::

    print(_("✅ {name}: all checks passed.", name=name))

The translations are gettext catalogs: ``helpers/locale/<language>/LC_MESSAGES/kit.po`` (the source,
edited by translators) compiled to ``kit.mo`` (what runs); ``python -m helpers.catalogs`` keeps them up to date.
Plots need a font with Chinese characters, which Colab and Kaggle do not have: ``helpers/fonts/`` holds Noto Sans
SC (SIL Open Font License) cut down to the characters used.

The notebook's setup cell chooses the language once, ``helpers.set_language("zh-CN")``; nothing else in a
learner's cell changes. Words follow ``TERMINOLOGY.md`` (the glossary), which a test holds the catalogs to.
"""
from __future__ import annotations

import contextlib
import gettext
import re
import string
import textwrap
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


def tidy(text: str) -> str:
    """Sentences joined with spaces, as English writes them: in Chinese, no space after a full-width mark."""
    return re.sub(r"([。：；！？，）])[ ]+", r"\1", text) if _language == "zh_CN" else text


def wrap(text: str, width: int = 110, **options) -> str:
    """``textwrap.fill`` after ``tidy``. Chinese lines are not cut shorter: a narrower cut splits the library
    errors a note quotes (English words) across lines, and notebooks wrap long output lines themselves."""
    return textwrap.fill(tidy(text), width, **options)


def placeholders(message: str) -> set[str]:
    """The names of ``message``'s placeholders (``{mark:g}`` -> ``mark``): a translation must keep them all."""
    return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(message)
            if field is not None}
