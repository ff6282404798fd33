"""For maintainers: the message catalogs and the plots' font, kept in step with the code (Babel and fontTools, from
requirements-dev.txt). After changing a message in the code::

    python -m helpers.catalogs extract   # kit.pot from the code, then each kit.po updated
    python -m helpers.catalogs compile   # each kit.po to kit.mo (what runs)
    python -m helpers.catalogs font NotoSansSC-Regular.otf   # the plots' Chinese font, cut to the characters used

The learner's side (``set_language``, ``_()``) is ``helpers.i18n``.
"""
from __future__ import annotations

from pathlib import Path

from helpers.i18n import DOMAIN, FONT, LOCALE_DIR


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
        raise SystemExit("usage: python -m helpers.catalogs extract|compile|font SOURCE.otf")
    commands[sys.argv[1]](*sys.argv[2:])
