"""What keeps the two editions of each notebook together: the English notebook and its Chinese twin
(``NAME.zh-CN.ipynb``) have the same cells (ids, order, kinds) and the same code, apart from comments, prose
that the learner reads in string literals, and the language chosen in the setup cell. Each Chinese cell records
the English source it was translated from (``metadata.translation.source_sha1``), so a change to an English cell
shows up until its translation follows. Used by ``tests/test_editions.py``.
"""
from __future__ import annotations

import hashlib
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
ZH_SUFFIX = ".zh-CN"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
PROSE = "<prose>"


def english_notebooks() -> list[Path]:
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb") if ZH_SUFFIX not in p.stem)


def twin(english: Path) -> Path:
    return english.with_name(english.stem + ZH_SUFFIX + english.suffix)


def source_sha1(source: str) -> str:
    return hashlib.sha1(source.encode("utf-8")).hexdigest()


def _is_prose(text: str) -> bool:
    """A string a person reads: Chinese, or at least two words with a space between them."""
    return bool(CJK.search(text)) or bool(re.search(r"[A-Za-z]{2,}[^\S\n]+[A-Za-z(`'\"]", text))


def code_skeleton(source: str) -> list[tuple[str, str]]:
    """The cell's code as tokens, without comments, blank lines, learner-read prose in strings, and the
    language given to ``set_language``: what must be equal in both editions."""
    if any(line.lstrip().startswith(("%", "!")) for line in source.splitlines()):
        lines = [line.split("#", 1)[0].rstrip() for line in source.splitlines()]
        return [("LINE", line) for line in lines if line]
    tokens = []
    previous = []
    for tok in tokenize.generate_tokens(io.StringIO(source.rstrip() + "\n").readline):
        kind = tokenize.tok_name[tok.type]
        if kind in ("COMMENT", "NL", "ENCODING", "ENDMARKER"):
            continue
        text = tok.string
        if kind in ("STRING", "FSTRING_MIDDLE") and _is_prose(text):
            text = PROSE
        if kind == "STRING" and previous[-2:] == [("NAME", "set_language"), ("OP", "(")]:
            text = "<language>"
        if kind == "STRING" and tokens and tokens[-1] == ("STRING", PROSE) and text == PROSE:
            continue  # adjacent literals of one sentence: a translation may wrap it onto more or fewer lines
        tokens.append((kind, text))
        previous.append((kind, tok.string))
    return tokens


def same_code(english: str, chinese: str) -> bool:
    """Token for token the same code; a string may differ where either side is prose (a label such as
    ``"keys:"`` becomes ``"键："``)."""
    a, b = code_skeleton(english), code_skeleton(chinese)
    strings = ("STRING", "FSTRING_MIDDLE")
    return len(a) == len(b) and all(x == y or (x[0] == y[0] and x[0] in strings and PROSE in (x[1], y[1]))
                                    for x, y in zip(a, b))


def differences(english: dict, chinese: dict) -> list[str]:
    """Every way ``chinese`` (a notebook as JSON) drifted from ``english``; empty when they agree."""
    problems = []
    en_cells, zh_cells = english["cells"], chinese["cells"]
    en_shape = [(c.get("id"), c["cell_type"]) for c in en_cells]
    zh_shape = [(c.get("id"), c["cell_type"]) for c in zh_cells]
    if en_shape != zh_shape:
        for i, (a, b) in enumerate(zip(en_shape + [None] * len(zh_shape), zh_shape + [None] * len(en_shape))):
            if a != b:
                problems.append(f"cell {i}: English has {a}, Chinese has {b} (ids, order and kinds must agree)")
                break
        return problems
    for en, zh in zip(en_cells, zh_cells):
        en_source, zh_source = "".join(en["source"]), "".join(zh["source"])
        cell = en.get("id")
        recorded = zh.get("metadata", {}).get("translation", {}).get("source_sha1")
        zh_metadata = {k: v for k, v in zh.get("metadata", {}).items() if k != "translation"}
        if zh_metadata != en.get("metadata", {}):
            problems.append(f"cell {cell}: its metadata (tags, collapsed...) differs from the English cell's")
        if recorded != source_sha1(en_source):
            problems.append(f"cell {cell}: the English cell changed after it was translated "
                            "(metadata.translation.source_sha1 differs): update the translation")
        if en["cell_type"] == "code":
            try:
                same = same_code(en_source, zh_source)
            except (tokenize.TokenError, SyntaxError, IndentationError) as err:
                problems.append(f"cell {cell}: cannot read the code ({err})")
                continue
            if not same:
                problems.append(f"cell {cell}: the code differs (only comments, prose in strings and the language "
                                "may)")
            if "set_language(" in en_source and 'set_language("zh-CN")' not in zh_source:
                problems.append(f"cell {cell}: the Chinese setup cell must call helpers.set_language(\"zh-CN\")")
        elif re.search(r"[A-Za-z]{3,}", en_source) and not CJK.search(zh_source):
            problems.append(f"cell {cell}: the markdown is not translated")
    return problems


# ---- the glossary ------------------------------------------------------------------------------------------------
GLOSSARY = ROOT / "TERMINOLOGY.md"


def glossary() -> list[dict[str, object]]:
    """The rows of TERMINOLOGY.md's table: English, the Chinese term, and the words not to use instead."""
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.lstrip().startswith("|") or len(cells) < 3 or set(cells[0]) <= set("-: "):
            continue
        if cells[0].lower() in ("english", "英文"):
            continue
        avoid = [w.strip() for w in re.split(r"[,，、]", cells[2]) if w.strip() and w.strip() not in ("-", "—")]
        rows.append({"english": cells[0], "chinese": cells[1], "avoid": avoid})
    return rows


def avoided_words(text: str, rows: list[dict]) -> list[str]:
    """The glossary's avoided words that ``text`` uses, each with the term it should have been."""
    found = []
    for row in rows:
        for word in row["avoid"]:
            if word and word in text and word not in row["chinese"]:
                found.append(f"{word!r} (glossary: {row['english']} = {row['chinese']})")
    return found


# ---- what a Chinese learner reads at run time ----------------------------------------------------------------------
_CODE_SPANS = re.compile(
    r"`[^`\n]*`|https?://\S+|\b[\w.-]+/[\w./-]+\b"
    # A library's own message, quoted as evidence: (PyTorch: ...), AttributeError: ... (the kit cannot translate it)
    r"|(?:PyTorch|NumPy|Python|Gymnasium|huggingface_hub)\s*[:：][^）)\n]*|\b\w+(?:Error|Exception|Warning)\b\s*[:：][^）)\n]*")
_ENGLISH_RUN = re.compile(r"\b[A-Za-z][A-Za-z']+(?:[ ,;:]+[A-Za-z][A-Za-z']*){3,}")


def english_sentences(text: str) -> list[str]:
    """Lines of ``text`` holding a run of four or more English words outside code spans, paths and links:
    an untranslated sentence in Chinese output."""
    found = []
    for line in text.splitlines():
        bare = _CODE_SPANS.sub(" ", line)
        if _ENGLISH_RUN.search(bare):
            found.append(line.strip())
    return found


# ---- for maintainers: after translating a changed English cell -----------------------------------------------------
def mark_translated(english: Path, cell_ids: list[str]) -> list[str]:
    """Record in the Chinese twin that cells ``cell_ids`` now translate the current English source."""
    import nbformat

    en = {c.get("id"): c for c in nbformat.read(english, as_version=4).cells}
    zh_path = twin(english)
    zh = nbformat.read(zh_path, as_version=4)
    done = []
    for cell in zh.cells:
        if cell.get("id") in cell_ids:
            cell.metadata.setdefault("translation", {})["source_sha1"] = source_sha1(en[cell.id].source)
            done.append(cell.id)
    nbformat.write(zh, zh_path)
    return done


if __name__ == "__main__":
    import sys

    usage = ("usage: python -m tests.editions status            (what drifted, per notebook)\n"
             "       python -m tests.editions mark NAME.ipynb CELL_ID...   (after updating those Chinese cells)")
    if sys.argv[1:2] == ["status"]:
        for path in english_notebooks():
            import json

            found = differences(json.loads(path.read_text(encoding="utf-8")),
                                json.loads(twin(path).read_text(encoding="utf-8"))) if twin(path).exists() \
                else [f"no {twin(path).name}"]
            print(f"{path.name}: {'in step' if not found else ''}")
            for line in found:
                print("  " + line)
    elif sys.argv[1:2] == ["mark"] and len(sys.argv) > 3:
        print("marked:", mark_translated(NOTEBOOKS / sys.argv[2], sys.argv[3:]))
    else:
        raise SystemExit(usage)
