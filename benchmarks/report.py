"""Build the README's benchmark tables from the measured runs in ``benchmarks/results/``.

    python benchmarks/certify.py taxi --seeds 10 --save   # adds a run to benchmarks/results/taxi.json
    python benchmarks/report.py --write                    # rewrites the tables in README.md

Each table sits between ``<!-- results:UNIT -->`` and ``<!-- /results -->`` in the README; nothing else is
touched. ``tests/test_repo.py`` fails when a table differs from what this script builds, so a figure in the
README always comes from a results file, and a results file always reaches the README.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from certify import BENCHMARKS, RESULTS_DIR  # noqa: E402

from helpers.defaults import QLearningConfig  # noqa: E402

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"(<!-- results:(\w+) -->\n)(.*?)(<!-- /results -->)", re.S)
HEADER = ("| benchmark | hyperparameters | seeds passing | median result | median time / seed | measured |\n"
          "|---|---|---|---|---|---|\n")


def unit_of(name: str) -> str:
    if isinstance(BENCHMARKS[name].config, QLearningConfig):
        return "unit2"
    return "pong" if name.startswith("pong") else "unit4"


def load_runs(results_dir: Path = RESULTS_DIR) -> dict[str, list[dict]]:
    """Every saved run by benchmark name, newest first; a results file for an unknown benchmark is an error."""
    runs = {}
    for path in sorted(results_dir.glob("*.json")):
        data = json.loads(path.read_text())
        if data["benchmark"] not in BENCHMARKS:
            raise ValueError(f"{path.name}: no benchmark {data['benchmark']!r} in certify.py")
        order = sorted(enumerate(data["runs"]), key=lambda ir: (ir[1]["date"] or "", ir[0]), reverse=True)
        runs[data["benchmark"]] = [run for _, run in order]  # newest first; the same day: the later run first
    return runs


def _seconds(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.2f} s"
    return f"{seconds:.1f} s" + (f" ({seconds / 60:.1f} min)" if seconds >= 120 else "")


def _seeds(seeds: list[int]) -> str:
    contiguous = seeds == list(range(seeds[0], seeds[0] + len(seeds)))
    return f"seeds {seeds[0]}-{seeds[-1]}" if contiguous and len(seeds) > 1 else f"seeds {', '.join(map(str, seeds))}"


def row(name: str, run: dict, latest: bool) -> str:
    bench = BENCHMARKS[name]
    results = run["results"]
    passed = sum(r >= bench.pass_mark for r in results)
    verdict = f"{passed}/{len(results)}"
    if passed == len(results):
        verdict = f"**{verdict}**"
    verdict += f" at {bench.pass_mark:g}"
    fails = [r for r in results if r < bench.pass_mark]
    if fails and len(fails) <= 3:
        verdict += " (fails: " + ", ".join(f"{r:g}" for r in fails) + ")"
    digits = 2 if unit_of(name) == "unit2" else 1
    median = f"{statistics.median(results):.{digits}f}"
    seconds = statistics.median(run["seconds"]) if run.get("seconds") else run["median_seconds"]
    about = bench.about if latest else f"the same, {run['note'].split(';')[0]}"
    when = f"{run['date']}, {_seeds(run['seeds'])}"
    return f"| `{name}` | {about} | {verdict} | {median} | {_seconds(seconds)} | {when} |\n"


def table(unit: str, runs: dict[str, list[dict]]) -> str:
    rows = []
    for name in BENCHMARKS:
        if unit_of(name) == unit:
            rows += [row(name, run, i == 0) for i, run in enumerate(runs.get(name, []))]
    return HEADER + "".join(rows)


def render(text: str, runs: dict[str, list[dict]]) -> str:
    """``text`` with every results block rebuilt."""
    return _BLOCK.sub(lambda m: m.group(1) + table(m.group(2), runs) + m.group(4), text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite README.md (default: print what differs)")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    new = render(text, load_runs())
    if args.write:
        README.write_text(new, encoding="utf-8")
        print("README.md tables rebuilt" if new != text else "README.md tables already up to date")
        return 0
    if new != text:
        print("README.md's tables differ from benchmarks/results/: run python benchmarks/report.py --write")
        return 1
    print("README.md's tables match benchmarks/results/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
