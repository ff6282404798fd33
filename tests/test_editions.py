"""The English and Simplified Chinese editions do not drift apart (see tests/editions.py), and the Chinese text
keeps to the glossary (TERMINOLOGY.md)."""
from __future__ import annotations

import copy
import json

import pytest

from helpers import i18n
from tests import editions

ENGLISH = editions.english_notebooks()


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_english_notebook_has_a_chinese_twin():
    missing = [p.name for p in ENGLISH if not editions.twin(p).exists()]
    assert not missing, f"no Chinese edition of {missing}"
    assert len(list(editions.NOTEBOOKS.glob("*.ipynb"))) == 2 * len(ENGLISH)


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.stem)
def test_the_chinese_notebook_matches_the_english_one(english):
    problems = editions.differences(_load(english), _load(editions.twin(english)))
    assert not problems, "\n".join(problems)


# ---- the drift tests can fail: each seeded drift is caught --------------------------------------------------------
@pytest.fixture
def pair():
    english = next(p for p in ENGLISH if editions.twin(p).exists())
    return _load(english), _load(editions.twin(english))


def _first(nb, kind, containing=""):
    return next(c for c in nb["cells"] if c["cell_type"] == kind and containing in "".join(c["source"]))


def test_a_changed_english_cell_is_caught(pair):
    english, chinese = pair
    cell = _first(english, "markdown")
    cell["source"] = "".join(cell["source"]) + "\nOne more English sentence."
    assert any("changed after it was translated" in p for p in editions.differences(english, chinese))


def test_changed_code_is_caught_but_comments_and_prose_are_not(pair):
    english, chinese = pair
    zh_setup = _first(chinese, "code", "set_language")
    ok = copy.deepcopy(chinese)
    _first(ok, "code", "set_language")["source"] = "".join(zh_setup["source"]) + "\n# 又一条注释"
    assert editions.differences(english, ok) == []
    bad = copy.deepcopy(chinese)
    _first(bad, "code", "set_language")["source"] = "".join(zh_setup["source"]) + "\nx = 1"
    assert any("the code differs" in p for p in editions.differences(english, bad))


def test_a_moved_removed_or_retyped_cell_is_caught(pair):
    english, chinese = pair
    moved = copy.deepcopy(chinese)
    moved["cells"][1], moved["cells"][2] = moved["cells"][2], moved["cells"][1]
    assert any("must agree" in p for p in editions.differences(english, moved))
    removed = copy.deepcopy(chinese)
    del removed["cells"][-1]
    assert any("must agree" in p for p in editions.differences(english, removed))


def test_an_untranslated_markdown_cell_is_caught(pair):
    english, chinese = pair
    cell = next(c for c in english["cells"] if c["cell_type"] == "markdown")
    index = english["cells"].index(cell)
    untranslated = copy.deepcopy(chinese)
    untranslated["cells"][index]["source"] = cell["source"]
    assert any("not translated" in p for p in editions.differences(english, untranslated))


def test_the_chinese_notebook_must_choose_chinese(pair):
    english, chinese = pair
    wrong = copy.deepcopy(chinese)
    cell = _first(wrong, "code", "set_language")
    cell["source"] = "".join(cell["source"]).replace('set_language("zh-CN")', 'set_language("en")')
    assert any('set_language("zh-CN")' in p for p in editions.differences(english, wrong))


# ---- the glossary ------------------------------------------------------------------------------------------------
def test_the_glossary_names_the_core_terms():
    rows = {row["english"].split(" (")[0].lower(): row["chinese"] for row in editions.glossary()}
    for term in ("agent", "episode", "q-learning", "policy", "reward", "return"):
        assert term in rows, f"TERMINOLOGY.md has no row for {term!r}"
    assert rows["agent"].startswith("智能体")


def _chinese_texts():
    for english in ENGLISH:
        for cell in _load(editions.twin(english))["cells"]:
            yield editions.twin(english).name + ":" + cell.get("id", "?"), "".join(cell["source"])
    from babel.messages import pofile

    for po in i18n.LOCALE_DIR.glob("*/LC_MESSAGES/*.po"):
        with open(po, "rb") as handle:
            for message in pofile.read_po(handle):
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                for text in strings:
                    if text:
                        yield f"{po.name}: {str(message.id)[:40]!r}", text


def test_chinese_text_uses_one_word_per_glossary_term():
    pytest.importorskip("babel")
    rows = editions.glossary()
    bad = [f"{where}: {', '.join(words)}" for where, text in _chinese_texts()
           if (words := editions.avoided_words(text, rows))]
    assert not bad, "words the glossary avoids:\n" + "\n".join(bad[:40])


def test_an_avoided_word_is_caught():
    rows = [{"english": "agent", "chinese": "智能体", "avoid": ["代理"]}]
    assert editions.avoided_words("训练一个代理", rows) == ["'代理' (glossary: agent = 智能体)"]
    assert editions.avoided_words("训练一个智能体", rows) == []


def test_english_sentences_are_found_in_chinese_output():
    out = ("✅ greedy_policy：全部检查通过。\n"
           "Taxi-v3: 7.56 +/- 2.71 -> 成绩4.85 >= 4.5 通过（用你的代码训练）\n"
           "❌ act：`act` 崩溃了（PyTorch：mat1 and mat2 shapes cannot be multiplied）\n"
           "已保存在 hub_exports/q-Taxi-v3/ 里\n"
           "The notebook carries on with the kit's reference.\n")
    assert editions.english_sentences(out) == ["The notebook carries on with the kit's reference."]


def test_different_cell_metadata_is_caught(pair):
    english, chinese = pair
    changed = copy.deepcopy(chinese)
    changed["cells"][1]["metadata"]["jupyter"] = {"source_hidden": False}
    assert any("metadata" in p for p in editions.differences(english, changed))
