"""The notebooks' first cell, run as Colab, Kaggle and local Jupyter would run it."""
import os
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SETUP = nbformat.read(ROOT / "notebooks" / "01_qlearning.ipynb", as_version=4).cells[1].source

# Runs the cell as a notebook would; the prelude stands in for the platform (and its network).
RUNNER = """
import socket, sys
{prelude}
code = open(sys.argv[1]).read()
try:
    exec(compile(code, "setup-cell", "exec"), {{"__name__": "__main__"}})
except SystemExit as exc:
    print("SystemExit:", exc)
else:
    print("KIT_ROOT ok")
"""


def run_cell(tmp_path, cwd, prelude="", env_extra=None):
    cell, runner = tmp_path / "cell.py", tmp_path / "runner.py"
    cell.write_text(SETUP)
    runner.write_text(RUNNER.format(prelude=prelude))
    env = {k: v for k, v in os.environ.items() if k not in ("KAGGLE_KERNEL_RUN_TYPE", "PYTHONPATH")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, str(runner), str(cell)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120).stdout


def test_setup_cell_finds_the_kit_locally(tmp_path):
    assert "KIT_ROOT ok" in run_cell(tmp_path, ROOT / "notebooks")


def test_setup_cell_explains_when_the_kit_is_not_found(tmp_path):
    out = run_cell(tmp_path, tmp_path)
    assert "Cannot find the kit" in out


def test_setup_cell_explains_kaggle_without_internet(tmp_path):
    offline = ("def _refuse(*a, **k):\n    raise OSError('network is unreachable')\n"
               "socket.create_connection = _refuse")
    out = run_cell(tmp_path, tmp_path, prelude=offline, env_extra={"KAGGLE_KERNEL_RUN_TYPE": "Interactive"})
    assert "No internet" in out and "Settings" in out and "Internet" in out
    assert not (tmp_path / "deep-rl-course-kit").exists()


def test_the_setup_cell_is_collapsed_on_colab_kaggle_and_jupyter():
    """Colab folds a cell whose first line is a `# @title` form; Jupyter and Kaggle read the cell's metadata."""
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cell = nbformat.read(path, as_version=4).cells[1]
        assert cell.cell_type == "code" and cell.source.startswith("# @title "), path.name
        assert '{ display-mode: "form" }' in cell.source.splitlines()[0], path.name
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, path.name
