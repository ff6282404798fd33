"""The message catalogs: every message the kit prints has its Chinese translation, with the same placeholders,
compiled; and every message is written so that it can be translated (one literal, named placeholders)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from helpers import catalogs, i18n

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "helpers"
CATALOGS = sorted(i18n.LOCALE_DIR.glob(f"*/LC_MESSAGES/{i18n.DOMAIN}.po"))

babel = pytest.importorskip("babel", reason="Babel (requirements-dev.txt) reads the catalogs")
from babel.messages import extract, pofile  # noqa: E402


def _messages_in_code() -> dict[str, str]:
    """msgid -> where it is, as `python -m helpers.catalogs extract` finds them."""
    found = {}
    for path in sorted(HELPERS.rglob("*.py")):
        with open(path, "rb") as handle:
            for lineno, _funcname, message, _comments in extract.extract_python(
                    handle, keywords={"_": None, "ngettext": (1, 2)}, comment_tags=(), options={}):
                # The message is the first argument (a plural's singular); later literals are other arguments.
                msgid = message[0] if isinstance(message, tuple) else message
                if msgid:
                    found.setdefault(msgid, f"{path.relative_to(ROOT)}:{lineno}")
    return found


def _read(po: Path):
    with open(po, "rb") as handle:
        return pofile.read_po(handle)


def test_there_is_a_chinese_catalog():
    assert [p.parent.parent.name for p in CATALOGS] == ["zh_CN"]


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_every_message_in_the_code_is_translated(po):
    catalog = _read(po)
    missing = [f"{where}: {msgid!r}" for msgid, where in _messages_in_code().items()
               if not (catalog.get(msgid) and catalog.get(msgid).string and not catalog.get(msgid).fuzzy)]
    assert not missing, (f"{len(missing)} message(s) without a {po.parent.parent.name} translation (run "
                         "`python -m helpers.catalogs extract`, translate them in the .po, then `... compile`):\n"
                         + "\n".join(missing[:40]))


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_translations_keep_every_placeholder(po):
    wrong = []
    for message in _read(po):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        want = set().union(*(i18n.placeholders(m) for m in ids))
        for text in strings:
            if i18n.placeholders(text) != want:
                wrong.append(f"{ids[0]!r}: {sorted(i18n.placeholders(text))} instead of {sorted(want)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_the_compiled_catalog_is_up_to_date(po):
    assert po.with_suffix(".mo").read_bytes() == catalogs.compile_catalog(po), \
        "kit.mo is older than kit.po: run `python -m helpers.catalogs compile`"


def _bad_calls(tree: ast.AST, path: Path):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
            literal_args = 2 if node.func.id == "ngettext" else 1
            for arg in node.args[:literal_args]:
                if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(arg)[:60]}"


def test_every_message_is_one_literal_with_named_placeholders():
    """An f-string or a variable inside _() cannot be looked up in the catalog: it would stay English."""
    bad = []
    for path in sorted(HELPERS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bad += list(_bad_calls(tree, path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_" and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                positional = [f for f in i18n.placeholders(node.args[0].value) if not f or f.isdigit()]
                if positional:
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: positional placeholder in "
                               f"{node.args[0].value[:60]!r}")
    assert not bad, "\n".join(bad)


def test_a_seeded_untranslated_message_is_caught(tmp_path, monkeypatch):
    """The completeness check fails on a message that is in the code but not in the catalog."""
    probe = tmp_path / "probe.py"
    probe.write_text('from helpers.i18n import _\nprint(_("A sentence nobody translated."))\n', encoding="utf-8")
    with open(probe, "rb") as handle:
        ids = [m for _, _, m, _ in extract.extract_python(handle, keywords={"_": None}, comment_tags=(), options={})]
    assert ids == ["A sentence nobody translated."]
    catalog = _read(CATALOGS[0])
    assert catalog.get(ids[0]) is None


def test_set_language_switches_and_falls_back(capsys):
    with i18n.using("zh-CN"):
        assert i18n.language() == "zh_CN"
        # A message with no translation falls back to English, its placeholders filled.
        assert i18n._("No such message {x} here.", x=3) == "No such message 3 here."
    assert i18n.language() == "en"
    with pytest.raises(ValueError, match="zh-CN"):
        i18n.set_language("fr")
    assert i18n.language() == "en"


def test_placeholders_are_read_by_name():
    assert i18n.placeholders("{name}: {mark:g} and {mean:.2f}, {{literal}}") == {"name", "mark", "mean"}


def test_the_plot_font_has_every_chinese_character_used():
    from matplotlib.ft2font import FT2Font

    have = {chr(code) for code in FT2Font(str(i18n.FONT)).get_charmap()}
    missing = sorted(catalogs.characters_used() - have)
    assert not missing, (f"{len(missing)} characters missing from {i18n.FONT.name} ({''.join(missing[:50])}): "
                         "run `python -m helpers.catalogs font NotoSansSC-Regular.otf`")


def test_sentences_joined_by_the_kit_read_as_chinese():
    joined = "更新改动了整行。 依据：两个回合之后， Q[0, 1] 是 3.150。 Use np.max. It works."
    with i18n.using("zh-CN"):
        assert i18n.tidy(joined) == "更新改动了整行。依据：两个回合之后，Q[0, 1] 是 3.150。Use np.max. It works."
        assert i18n.wrap("注意。 " * 3, initial_indent="   ") == "   注意。注意。注意。"
        from helpers.errors import HubPushError
        assert str(HubPushError("上传失败。 " + "你的模型保存在 hub_exports/ 。")) == "上传失败。你的模型保存在 hub_exports/ 。"
    assert i18n.tidy(joined) == joined  # English keeps its spaces
    assert len(i18n.wrap("word " * 40).splitlines()[0]) <= 110
