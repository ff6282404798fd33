"""The repository's promises: clean notebooks, one location, one source of defaults, no unsafe loading."""
import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import conftest
from helpers import defaults, location

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_there_are_notebooks():
    english = ["01_qlearning.ipynb", "02_load_from_hub.ipynb", "03_reinforce.ipynb"]
    assert [p.name for p in NOTEBOOKS] == sorted(english + [n.replace(".ipynb", ".zh-CN.ipynb") for n in english])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    for cell in code_cells(path):
        assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: run `jupyter nbconvert " \
            "--clear-output --inplace notebooks/*.ipynb` before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_its_own_badges(path):
    first = nbformat.read(path, as_version=4).cells[0]
    rel = f"{location.GITHUB_REPO}/blob/{location.BRANCH}/notebooks/{path.name}"
    assert f"https://colab.research.google.com/github/{rel}" in first.source
    assert f"https://kaggle.com/kernels/welcome?src=https://github.com/{rel}" in first.source
    # Plain text links, not badge images: the images come from sites many learners cannot reach (test_pictures)
    assert "colab-badge.svg" not in first.source and "open-in-kaggle.svg" not in first.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_starts_with_the_same_setup_cell(path):
    """The same setup cell in every notebook of one edition (the Chinese one translates its comments and messages)."""
    edition = [p for p in NOTEBOOKS if (".zh-CN" in p.name) == (".zh-CN" in path.name)]
    reference = code_cells(edition[0])[0].source
    assert code_cells(path)[0].source == reference
    assert f'KIT_REPO, KIT_BRANCH = "{location.GITHUB_REPO}", "{location.BRANCH}"' in reference


def test_every_copy_of_the_location_agrees():
    texts = [p.read_text() for p in location.READMES] + [p.read_text() for p in NOTEBOOKS]
    found = [pair for text in texts for pair in location.copies(text)]
    assert len(found) >= 3 * len(NOTEBOOKS) and location.copies(location.READMES[1].read_text())
    assert set(found) == {(location.GITHUB_REPO, location.BRANCH)}


def test_set_location_rewrites_every_copy(tmp_path):
    for name in ["README.md", "README.zh-CN.md", "notebooks", "helpers"]:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    code = "import sys; sys.path.insert(0, '.'); from helpers.location import set_location; set_location('acme/rl-kit', 'dev')"
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True)
    texts = [(tmp_path / n).read_text() for n in ("README.md", "README.zh-CN.md")] + \
        [p.read_text() for p in (tmp_path / "notebooks").glob("*.ipynb")]
    assert {pair for t in texts for pair in location.copies(t)} == {("acme/rl-kit", "dev")}
    assert 'GITHUB_REPO = "acme/rl-kit"' in (tmp_path / "helpers" / "location.py").read_text()


def test_compared_cells_and_expected_outputs_match():
    expected = json.loads((ROOT / "tests" / "expected_outputs.json").read_text())
    for path in NOTEBOOKS:
        marked = {c.id for c in code_cells(path) if conftest.checks_output(c)}
        assert marked == set(expected.get(path.name, {})), f"{path.name}: tagged cells vs tests/expected_outputs.json"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_test_switch_shows_in_a_learners_cell(path):
    for cell in code_cells(path):
        for switch in ["KIT_QUICK", "quick(", "NBVAL", "KIT_STRICT", "except ImportError"]:
            assert switch not in cell.source, f"{path.name} cell {cell.id} shows the test switch {switch!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_has_a_check_a_reference_and_a_course_version(path):
    from helpers.checks.qlearning import SOLUTIONS
    from tests.course_solutions import COURSE

    cells = code_cells(path)
    for i, cell in enumerate(cells):
        name = conftest.exercise_name(cell)
        if name is None:
            continue
        ast.parse(cell.source)  # the unfilled TODO is valid Python
        assert "check_" in cells[i + 1].source, f"{path.name}: exercise {name} is not followed by its check"
        assert name in COURSE, f"{path.name}: exercise {name} has no course-style solution to type in"
        solution = conftest.solution_source(name)
        ast.parse(COURSE[name])
        if name not in SOLUTIONS:  # the solved cell must define the exercise on its own, as a learner's would
            from helpers.reinforce import Policy

            namespace = {"Policy": Policy}  # PixelcopterPolicy builds on the notebook's Policy
            exec(compile(solution, f"<solution of {name}>", "exec"), namespace)
            assert callable(namespace[name])


def _cell(path, cell_id, **names):
    """Run one notebook cell on its own (with ``names`` standing in for earlier cells); return its namespace."""
    cell = next(c for c in code_cells(ROOT / "notebooks" / path) if c.id == cell_id)
    namespace = dict(names)
    exec(compile(cell.source, f"{path}:{cell_id}", "exec"), namespace)
    return namespace


def test_notebooks_train_with_the_values_the_benchmark_certifies():
    from benchmarks.certify import BENCHMARKS

    for path, cell_id, bench in [("01_qlearning.ipynb", "01-19", "frozenlake"), ("01_qlearning.ipynb", "02-09", "taxi")]:
        ns = _cell(path, cell_id, defaults=defaults)
        config = BENCHMARKS[bench].config
        assert ns["env_id"] == config.env_id
        for name, value in config.train_kwargs().items():
            assert ns[name] == value, f"{path}: {name} = {ns[name]}, the benchmark certifies {value}"
        assert ns["n_eval_episodes"] == config.n_eval_episodes and list(ns["eval_seed"]) == list(config.eval_seed)
    import gymnasium as gym

    for cell_id, name, bench in [("code-22", "cartpole_hyperparameters", "cartpole"),
                                 ("code-34", "pixelcopter_hyperparameters", "pixelcopter"),
                                 ("pong-code-04", "pong_hyperparameters", "pong")]:
        notebook = _cell("03_reinforce.ipynb", cell_id, env_id="CartPole-v1", s_size=4, a_size=2, pc_s_size=7,
                         pc_a_size=2, pong_env=gym.make("Pong-PLE-v0"))[name]
        certified = BENCHMARKS[bench].config.hyperparameters()
        for key, value in notebook.items():
            assert certified[key] == value, f"notebook 03 {name}[{key!r}] = {value}, the benchmark: {certified[key]}"
        assert BENCHMARKS[bench].config.n_envs == notebook.get("n_envs", 1)
    assert _cell("03_reinforce.ipynb", "code-25", **{n: _Stub() for n in ["kit",
        "eval_env", "cartpole_hyperparameters", "cartpole_policy", "check_pass", "cartpole_trained"]})["eval_seed"] \
        == defaults.CARTPOLE.eval_seed == defaults.PIXELCOPTER.eval_seed


class _Stub:
    """Stands in for anything a cell only passes around."""

    def __getattr__(self, name):
        return lambda *a, **k: (0.0, 0.0)

    def __getitem__(self, key):
        return 1

    def __call__(self, *a, **k):
        return (0.0, 0.0)


@pytest.mark.parametrize("game, hp_cell, train_cells, name", [
    ("Pixelcopter", "code-34", ["code-35", "code-36"], "pixelcopter_hyperparameters"),
    ("Pong", "pong-code-04", ["pong-code-06", "pong-code-07"], "pong_hyperparameters"),
])
def test_notebook_trains_the_ple_games_with_every_setting_in_their_hyperparameters(game, hp_cell, train_cells, name):
    """Notebook 03 builds and trains these policies itself (to show it), so it must use every value of their
    hyperparameter dicts, as make_policy and train_and_evaluate use the config's."""
    import gymnasium as gym

    cells = {c.id: c.source for c in code_cells(ROOT / "notebooks" / "03_reinforce.ipynb")}
    hp = _cell("03_reinforce.ipynb", hp_cell, pc_s_size=7, pc_a_size=2, pong_env=gym.make("Pong-PLE-v0"))[name]
    used = "".join(cells[c] for c in train_cells)
    missing = [key for key in hp if f'hp["{key}"]' not in used and key != "env_id"]
    assert not missing, f"notebook 03's {game} cells do not use {missing}"
    assert "with_inputs(PixelcopterPolicy(" in used and "discounted_returns=discounted_returns" in used


def test_importing_helpers_stays_light():
    code = ("import sys, helpers, helpers.qlearning, helpers.scoring, helpers.checks.exercises; "
            "print(sorted(m for m in ('torch', 'matplotlib', 'huggingface_hub') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_unit_2_and_its_solutions_work_without_torch():
    """Colab's package set is tested without torch: unit 2's checks and plain solutions must not import it."""
    code = ("import sys, conftest; from helpers.checks import exercises, qlearning as checks; "
            "[conftest.solution_source(n) for n in ('initialize_q_table', 'greedy_policy', 'epsilon_greedy_policy', "
            "'train')]; exercises.show_solution(checks.qlearning.train); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False"


def test_nothing_unpickles_or_torch_loads_unsafely():
    """No pickle.load(s) or Unpickler anywhere in helpers (every subfolder), every torch.load passes
    weights_only=True, and the guard sees the kit's real load sites, so it can never pass empty."""
    safe_sites, files = [], sorted((ROOT / "helpers").rglob("*.py"))
    assert ROOT / "helpers" / "hub" / "load.py" in files
    for path in files:
        where = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("Unpickler", "_Unpickler"):
                raise AssertionError(f"{where}:{node.lineno} uses an unpickler")
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            owner = getattr(func.value, "id", None) if isinstance(func, ast.Attribute) else None
            assert not (owner == "pickle" and name in ("load", "loads")), f"{where}:{node.lineno} unpickles"
            if owner == "torch" and name == "load":
                flags = {k.arg: getattr(k.value, "value", None) for k in node.keywords}
                assert flags.get("weights_only") is True, f"{where}:{node.lineno} torch.load without weights_only"
                safe_sites.append(where)
            if name in ("safe_loads", "safe_load", "load_tensors"):
                safe_sites.append(where)
    assert Path("helpers/hub/load.py") in safe_sites, safe_sites  # the loader's own calls were seen


def test_colab_setup_script_is_valid_bash_and_installs_requirements():
    subprocess.run(["bash", "-n", str(ROOT / "colab_setup.sh")], check=True)
    assert "-r requirements.txt" in (ROOT / "colab_setup.sh").read_text()


def test_requirements_pin_nothing_colab_ships():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        name = re.split(r"[<>=!~\[ ]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")
        if name in {"numpy", "torch", "huggingface-hub"}:
            assert "==" not in line and "<" not in line, f"requirements.txt pins {line!r}"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "python -m pytest" in readme and "python -m pytest" in (ROOT / ".ci" / "run").read_text()


def test_readme_benchmark_tables_are_built_from_the_results_files():
    """Every figure in the README's benchmark tables comes from benchmarks/results/, and every result reaches it."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import report

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    runs = report.load_runs()
    assert {"cartpole", "pixelcopter", "taxi"} <= set(runs), "a benchmark the README cites has no results file"
    assert "<!-- results:unit2 -->" in text and "<!-- results:unit4 -->" in text
    assert report.render(text, runs) == text, "README tables are stale: run python benchmarks/report.py --write"


def _floors() -> dict[str, int]:
    """README.md's import drawing: module name (``hub/`` for a package and all inside it) -> its floor."""
    block = re.search(r"```text\n(floor \d.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    return {name: int(number) for number, names in re.findall(r"^floor (\d+) +\w+ +(.*)$", block, re.M)
            for name in names.split()}


def _module(path: Path) -> str:
    """``helpers/checks/qlearning.py`` -> ``checks.qlearning``; a package's ``__init__`` is the package."""
    parts = path.relative_to(ROOT / "helpers").with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "helpers"


def _imported(tree: ast.AST, module: str) -> set[str]:
    """The kit's modules a module imports anywhere (top level, inside functions, ``importlib`` with a literal)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"helpers: {module} imports relatively; spell it `from helpers... import`"
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == \
                "import_module" and node.args and isinstance(node.args[0], ast.Constant):
            names.add(str(node.args[0].value))
    kit = set()
    for name in names:
        parts = name.split(".")
        if parts[0] != "helpers":
            continue
        while len(parts) > 1 and not (ROOT / Path(*parts)).with_suffix(".py").exists() \
                and not (ROOT / Path(*parts)).is_dir():
            parts = parts[:-1]  # a name imported from a module, not a module
        kit.add(".".join(parts[1:]) or "helpers")
    return kit - {module}


def test_no_import_runs_up_a_floor():
    """Every module of helpers/ stands on one floor of README.md's drawing and imports nothing from a floor above."""
    floors = _floors()

    def floor(module):
        for name in (module, module.split(".")[0] + "/"):
            if name in floors:
                return floors[name]
        raise AssertionError(f"helpers: {module} is on no floor: add it to README.md's import drawing")

    modules = {_module(p): p for p in sorted((ROOT / "helpers").rglob("*.py"))}
    stale = [name for name in floors if name.rstrip("/") not in modules]
    assert not stale, f"README.md's import drawing names modules that are gone: {stale}"
    up = [f"{module} (floor {floor(module)}) imports {target} (floor {floor(target)})"
          for module, path in modules.items() for target in sorted(_imported(ast.parse(path.read_text()), module))
          if floor(target) > floor(module)]
    assert not up, "imports running up a floor:\n" + "\n".join(up)
    # The parser sees every way the kit imports: inside functions, names from a module, importlib.
    lazy = ast.parse("def f():\n    from helpers.qlearning import greedy_policy\n    import helpers.hub.push\n"
                     "from helpers import scoring, set_language\nimportlib.import_module('helpers.teaching')")
    assert _imported(lazy, "video") == {"qlearning", "hub.push", "scoring", "helpers", "teaching"}


def test_the_algorithms_report_to_events_and_import_no_provenance():
    """Provenance stands behind one seam: the trainers and evaluators only report what they did (helpers.events)."""
    for name in ("qlearning", "reinforce"):
        imported = _imported(ast.parse((ROOT / "helpers" / f"{name}.py").read_text()), name)
        assert "events" in imported and "provenance" not in imported and "checks" not in imported
