"""How long a learner's notebook takes to run, cell by cell, at the notebook's own settings (issue 30).

    python -m pytest --collect-only -q build          # builds the solved copies in build/nbtest/
    python benchmarks/notebook_time.py build/nbtest/solved/03_reinforce/03_reinforce.ipynb --until code-38

It runs the notebook in a fresh kernel in a folder of its own, without the tests' shorter-training cells
(``test-quick-*``), up to and including the cell ``--until`` (code-38: the Pixelcopter push), and prints the wall
time, the kernel's CPU time and the slowest cells as JSON.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def cell_seconds(cell) -> float | None:
    timing = cell.get("metadata", {}).get("execution", {})
    if "iopub.execute_input" not in timing or "shell.execute_reply" not in timing:
        return None
    start, end = (datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
                  for key in ("iopub.execute_input", "shell.execute_reply"))
    return (end - start).total_seconds()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--until", help="the id of the last cell to run (default: the whole notebook)")
    args = parser.parse_args(argv)
    nb = nbformat.read(args.notebook, as_version=4)
    cells = []
    for cell in nb.cells:
        if not cell.get("id", "").startswith("test-quick"):
            cells.append(cell)
        if args.until and cell.get("id") == args.until:
            break
    else:
        if args.until:
            sys.exit(f"no cell {args.until!r} in {args.notebook}")
    nb.cells = cells
    folder = Path(tempfile.mkdtemp(prefix="notebook-time-", dir=args.notebook.parent))  # finds helpers/ above
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        NotebookClient(nb, timeout=3600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    timed = [(cell.get("id"), cell_seconds(cell)) for cell in nb.cells if cell_seconds(cell) is not None]
    print(json.dumps({"notebook": str(args.notebook), "until": args.until, "wall_s": round(wall, 1),
                      "kernel_cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
                      "slowest_cells_s": [(i, round(s, 1)) for i, s in sorted(timed, key=lambda t: -t[1])[:6]]}))


if __name__ == "__main__":
    main()
