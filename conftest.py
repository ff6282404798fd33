"""Test set-up shared by the whole suite: the notebook copies that nbval executes.

nbval runs every notebook twice, from copies built here under ``build/nbtest`` before collection:
  shipped/  each notebook exactly as committed (TODOs unfilled): every cell must run;
  solved/   each TODO-EXERCISE cell replaced by the reference from ``helpers``, in strict mode: every check passes.
Each copy gets one extra first cell, the test preamble, that sets the environment the kernel runs in: quick
training for the long unit 4 runs, no Hub token, Hub downloads served from an offline cache.
Cells marked ``# NBVAL_CHECK_OUTPUT`` are compared with ``tests/expected_outputs.json`` (keyed by cell id),
because the notebooks themselves are committed without outputs.
"""
from __future__ import annotations

import importlib
import json
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

# pytest expands `testpaths` right after loading this file, before any hook runs: the folder must exist
# by then (in a fresh clone it does not), or the notebook copies built below would never be collected.
(BUILD / "shipped").mkdir(parents=True, exist_ok=True)

# Exercise name -> where its reference lives. Names that are not functions are handled in solution_source.
EXERCISE_MODULES = ("helpers.qlearning", "helpers.reinforce")


def solution_source(name: str) -> str:
    """The code a learner who solved exercise ``name`` would have in the TODO cell."""
    from helpers.exercises import solution_cell

    if name == "spaces":  # notebook 02's warm-up: two assignments, not a function
        return "state_space = env.observation_space.n\naction_space = env.action_space.n\n"
    for module_name in EXERCISE_MODULES:
        module = importlib.import_module(module_name)
        if hasattr(module, name):
            return solution_cell(getattr(module, name))
    raise LookupError(f"No reference solution for exercise {name!r} in {EXERCISE_MODULES}")


def preamble(strict: bool, hub_cache: str) -> str:
    lines = [
        "# Test preamble (added by conftest.py, not part of the notebook)",
        "import os",
        "os.environ['KIT_QUICK'] = '1'",
        f"os.environ['KIT_STRICT'] = '{int(strict)}'",
        "os.environ['SDL_VIDEODRIVER'] = 'dummy'",
        "os.environ['MPLBACKEND'] = 'Agg'",
        "os.environ.pop('HF_TOKEN', None)",
        f"os.environ['HF_HOME'] = {hub_cache!r}",
        f"os.environ['HF_HUB_CACHE'] = {os.path.join(hub_cache, 'hub')!r}",
        "os.environ['HF_HUB_OFFLINE'] = '1'",
        "os.environ['HF_HUB_DISABLE_TELEMETRY'] = '1'",
    ]
    return "\n".join(lines)


def exercise_name(cell) -> str | None:
    first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
    return first[len(TODO_MARK):].strip() if first.startswith(TODO_MARK) else None


def build_copies(hub_cache: str) -> None:
    expected = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {}
    shutil.rmtree(BUILD, ignore_errors=True)
    for variant in ("shipped", "solved"):
        (BUILD / variant).mkdir(parents=True)
        for path in sorted(NOTEBOOKS.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            wanted = expected.get(path.name, {})
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                name = exercise_name(cell)
                if variant == "solved" and name:
                    cell.source = f"{TODO_MARK} {name} (solved by the test harness)\n" + solution_source(name)
                if "NBVAL_CHECK_OUTPUT" in cell.source and cell.get("id") in wanted:
                    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=wanted[cell["id"]])]
                    cell.execution_count = 1  # nbval ignores outputs of cells marked as never run
            first = nbformat.v4.new_code_cell(preamble(variant == "solved", hub_cache))
            first["id"] = "test-preamble"
            nb.cells.insert(0, first)
            nbformat.write(nb, BUILD / variant / path.name)


def pytest_configure(config):
    # Skip the build when only unit tests were asked for (e.g. `pytest tests/test_qlearning.py`).
    args = [str(a) for a in config.args] or ["."]
    if all(Path(a.split("::")[0]).resolve().is_relative_to(ROOT / "tests") for a in args):
        return
    config._kit_notebooks_built = True
    hub_cache = tempfile.mkdtemp(prefix="kit-hub-cache-")
    config._kit_hub_cache = hub_cache
    from tests.hub_double import prepare_offline_hub_cache

    prepare_offline_hub_cache(hub_cache)  # notebook 03 loads its models from this cache, offline
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
