"""Test set-up shared by the whole suite: the notebook copies that nbval executes.

nbval runs every notebook three times, from copies built here under ``build/nbtest`` before collection. Each copy
sits alone in its own fresh folder (``build/nbtest/<variant>/<notebook>/``), as Colab gives every notebook its own
machine: nothing one notebook writes can help another.
  shipped/  each notebook exactly as committed (TODOs unfilled): every cell runs, and the agents it grades
            and pushes say they were trained by the kit's reference;
  solved/   each TODO-EXERCISE cell replaced by the reference from ``helpers``, defined in the notebook as a
            learner would, in strict mode: every check passes and every graded agent was trained by that code;
  course/   the TODO cells filled with code written the course's way (``tests/course_solutions.py``): it must
            be accepted and train the agents just the same.
  accepted/ (English notebooks with such an exercise) the solved copy with each wrong answer that a check accepts
            with a note typed in (``ACCEPTED_MISTAKES``): the notebook still runs to the end.
The Chinese twins (``NAME.zh-CN.ipynb``) run the same three ways; their copies also record what the kernel
prints and end with a cell that fails on any untranslated English sentence in it (``tests/editions.py``).
The test switches live here, never in a learner's cell: a first cell (the test preamble) sets the kernel's
environment (strict mode, no Hub token, Hub downloads from an offline cache), cells after the hyperparameter
cells shorten the long unit 4 runs, and a last cell checks whose code trained the pushed agents. Cells tagged
``nbval-check-output`` are compared with ``tests/expected_outputs.json`` (keyed by cell id), because the
notebooks themselves are committed without outputs.
"""
from __future__ import annotations

import json
import lzma
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "build" / "nbtest"
EXPECTED = ROOT / "tests" / "expected_outputs.json"
TODO_MARK = "# TODO-EXERCISE:"
CHECK_OUTPUT_TAG = "nbval-check-output"
VARIANTS = ("shipped", "solved", "course", "accepted")


@pytest.fixture
def lake():
    """FrozenLake 4x4, not slippery: the lake most unit 2 tests train on."""
    import gymnasium as gym

    env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False)
    yield env
    env.close()


@pytest.fixture
def double():
    """The loopback Hub (tests/hub_double.py) with the learner "learner" and their tokens."""
    from tests.hub_double import HubDouble

    with HubDouble(user="learner") as hub_double:
        yield hub_double


@pytest.fixture(scope="module")
def frozenlake_model():
    """A trained course model dict (FrozenLake 4x4, not slippery) to push and load."""
    from helpers import defaults, hub, qlearning

    qtable, _ = qlearning.train_from_config(defaults.FROZENLAKE, seed=0, progress=False)
    return hub.qlearning_model(defaults.FROZENLAKE, qtable)


def traces(game: str) -> list[dict]:
    """The original PLE game's reference traces, kept in the repository: ``tests/data/GAME_traces.json.xz`` is
    the xz-compressed ``shared/GAME/traces.json`` the game's re-implementation was built against."""
    return json.loads(lzma.decompress((ROOT / "tests" / "data" / f"{game}_traces.json.xz").read_bytes()))["traces"]

# Injected after the cell with this id: shorter training, so the whole suite runs in minutes on 2 cores.
QUICK = {
    "03_reinforce.ipynb": {
        "code-22": 'cartpole_hyperparameters["n_training_episodes"] = 300  # test run: shorter training',
        "code-34": 'pixelcopter_hyperparameters["n_training_episodes"] = 2048  # test run: shorter training',
        "pong-code-04": 'pong_hyperparameters["n_training_episodes"] = 256  # test run: shorter training',
    },
}

# The Hub repos each notebook pushes (dry runs, into hub_exports/): whose code trained them is checked.
PUSHED = {
    "01_qlearning.ipynb": ["q-FrozenLake-v1-4x4-noSlippery", "q-Taxi-v3"],
    "03_reinforce.ipynb": ["Reinforce-CartPole-v1", "Reinforce-Pixelcopter-PLE-v0", "Reinforce-Pong-PLE-v0"],
}

from tests.editions import ZH_SUFFIX  # noqa: E402  (NAME.zh-CN.ipynb: the Chinese twin)


def base_name(path: Path) -> str:
    """The English notebook's file name, for both editions (``01_qlearning.zh-CN.ipynb`` -> ``01_qlearning.ipynb``)."""
    return path.name.replace(ZH_SUFFIX, "")


# pytest expands `testpaths` right after loading this file, before any hook runs: the folder must exist
# by then (in a fresh clone it does not), or the notebook copies built below would never be collected.
(BUILD / "shipped").mkdir(parents=True, exist_ok=True)


def solution_source(name: str) -> str:
    """The code a learner who solved exercise ``name`` would have in the TODO cell (the kit's reference)."""
    import inspect

    import importlib

    from helpers.checks import qlearning as qlearning_checks
    from helpers.checks.exercises import solution_cell, teaching_version

    if name in qlearning_checks.SOLUTIONS:  # lines of code rather than functions
        return qlearning_checks.SOLUTIONS[name]
    if name == "act":  # the debugging exercise: the method, fixed
        return solution_cell(importlib.import_module("helpers.reinforce").Policy.act)
    for module in ("helpers.qlearning", "helpers.reinforce"):  # unit 4's only when needed: it imports torch
        obj = getattr(importlib.import_module(module), name, None)
        if obj is not None and (inspect.isfunction(obj) or inspect.isclass(obj)):
            return solution_cell(teaching_version(obj))  # the plain version a learner writes, where there is one
    raise LookupError(f"No reference solution for exercise {name!r}")


def course_source(name: str) -> str:
    from tests.course_solutions import COURSE

    return COURSE[name]


def accepted_source(name: str) -> str:
    from tests.course_solutions import ACCEPTED_MISTAKES

    return ACCEPTED_MISTAKES.get(name) or solution_source(name)


def has_accepted_mistake(nb) -> bool:
    from tests.course_solutions import ACCEPTED_MISTAKES

    return any(exercise_name(c) in ACCEPTED_MISTAKES for c in nb.cells if c.cell_type == "code")


def preamble(strict: bool, hub_cache: str, chinese: bool = False) -> str:
    lines = [
        "# Test preamble (added by conftest.py, not part of the notebook)",
        "import os",
        f"os.environ['KIT_STRICT'] = '{int(strict)}'",
        "os.environ['SDL_VIDEODRIVER'] = 'dummy'",
        "os.environ['MPLBACKEND'] = 'Agg'",
        "os.environ.pop('HF_TOKEN', None)",
        f"os.environ['HF_HOME'] = {hub_cache!r}",
        f"os.environ['HF_HUB_CACHE'] = {os.path.join(hub_cache, 'hub')!r}",
        "os.environ['HF_HUB_OFFLINE'] = '1'",
        "os.environ['HF_HUB_DISABLE_TELEMETRY'] = '1'",
    ]
    if chinese:  # keep a copy of everything printed, for the language check at the end
        lines += [
            "import sys",
            "class _KitTee:",
            "    def __init__(self, stream):",
            "        self._stream, self.seen = stream, []",
            "    def write(self, text):",
            "        self.seen.append(text)",
            "        return self._stream.write(text)",
            "    def __getattr__(self, name):",
            "        return getattr(self._stream, name)",
            "sys.stdout = _kit_printed = _KitTee(sys.stdout)",
        ]
    return "\n".join(lines)


def language_check() -> str:
    """A last cell for the Chinese copies: nothing the notebook printed is an untranslated English sentence."""
    return "\n".join([
        "# Test check (added by conftest.py): a Chinese learner reads no English sentence",
        "from tests.editions import english_sentences",
        "_english = english_sentences(''.join(_kit_printed.seen))",
        "assert not _english, 'untranslated output:\\n' + '\\n'.join(_english[:30])",
        "print(len(''.join(_kit_printed.seen)), 'characters printed, all in Chinese')",
    ])


def provenance_check(repos: list[str], expected: str) -> str:
    """A last cell: the agents this notebook pushed were trained by ``expected`` code ("yours" or "kit
    reference") for every exercise; the kit's batched trainer ("kit trainer") may run either's pieces."""
    return "\n".join([
        "# Test check (added by conftest.py): whose code trained the pushed agents",
        "import json, pathlib",
        f"for repo in {repos!r}:",
        "    results = json.loads((pathlib.Path('hub_exports') / repo / 'results.json').read_text())",
        "    trained_with = results.get('trained_with') or {}",
        "    exercises = {who for who in trained_with.values() if who != 'kit trainer'}",
        f"    assert exercises == {{{expected!r}}}, (repo, trained_with)",
        "    print(repo, trained_with)",
    ])


def exercise_name(cell) -> str | None:
    first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
    return first[len(TODO_MARK):].strip() if first.startswith(TODO_MARK) else None


def checks_output(cell) -> bool:
    return CHECK_OUTPUT_TAG in cell.get("metadata", {}).get("tags", [])


def build_copies(hub_cache: str) -> None:
    expected = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {}
    shutil.rmtree(BUILD, ignore_errors=True)
    for variant in VARIANTS:
        for path in sorted(NOTEBOOKS.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            if variant == "course" and not any(exercise_name(c) for c in nb.cells if c.cell_type == "code"):
                continue  # nothing to type in
            if variant == "accepted" and (ZH_SUFFIX in path.name or not has_accepted_mistake(nb)):
                continue
            base = base_name(path)
            chinese = path.name != base
            wanted = expected.get(path.name, {})
            cells = []
            for cell in nb.cells:
                cells.append(cell)
                if cell.cell_type != "code":
                    continue
                name = exercise_name(cell)
                if name and variant != "shipped":
                    source = {"solved": solution_source, "course": course_source,
                              "accepted": accepted_source}[variant](name)
                    cell.source = f"{TODO_MARK} {name} (filled in by the test harness)\n" + source
                if checks_output(cell) and cell.get("id") in wanted:
                    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=wanted[cell["id"]])]
                    cell.execution_count = 1  # nbval ignores outputs of cells marked as never run
                if cell.get("id") in QUICK.get(base, {}):
                    quick = nbformat.v4.new_code_cell(QUICK[base][cell["id"]])
                    quick["id"] = f"test-quick-{cell['id']}"
                    cells.append(quick)
            first = nbformat.v4.new_code_cell(preamble(variant != "shipped", hub_cache, chinese))
            first["id"] = "test-preamble"
            cells.insert(0, first)
            if base in PUSHED:
                last = nbformat.v4.new_code_cell(provenance_check(PUSHED[base],
                                                                  "kit reference" if variant == "shipped" else "yours"))
                last["id"] = "test-provenance"
                cells.append(last)
            if chinese:
                last = nbformat.v4.new_code_cell(language_check())
                last["id"] = "test-language"
                cells.append(last)
            nb.cells = cells
            folder = BUILD / variant / path.stem.replace(".", "_")  # alone in a fresh folder, as on Colab
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / path.name)


def pytest_configure(config):
    # Skip the build when only unit tests were asked for (e.g. `pytest tests/test_qlearning.py` or `pytest research`).
    args = [str(a) for a in config.args] or ["."]
    if all(any(Path(a.split("::")[0]).resolve().is_relative_to(ROOT / folder) for folder in ("tests", "research"))
           for a in args):
        return
    config._kit_notebooks_built = True
    hub_cache = tempfile.mkdtemp(prefix="kit-hub-cache-")
    config._kit_hub_cache = hub_cache
    from tests.hub_double import prepare_offline_hub_cache

    prepare_offline_hub_cache(hub_cache)  # notebook 02 loads its models from this cache, offline
    build_copies(hub_cache)


def pytest_unconfigure(config):
    shutil.rmtree(getattr(config, "_kit_hub_cache", ""), ignore_errors=True)


def pytest_collection_modifyitems(session, config, items):
    # A run that built the notebook copies must also execute them: never let the notebooks drop out silently.
    if getattr(config, "_kit_notebooks_built", False) and not any(str(BUILD) in str(i.path) for i in items):
        names = [str(a) for a in config.args]
        if not names or any(Path(a.split("::")[0]).resolve() in (ROOT, ROOT / "build", BUILD) for a in names):
            raise pytest.UsageError(f"No notebook was collected from {BUILD}: the notebook tests did not run.")
    # Compared cells are compared on stdout only: stderr carries progress bars and library warnings.
    for item in items:
        parent = getattr(item, "parent", None)
        if parent is not None and hasattr(parent, "skip_compare") and "stderr" not in parent.skip_compare:
            parent.skip_compare = tuple(parent.skip_compare) + ("stderr", "text/html")
