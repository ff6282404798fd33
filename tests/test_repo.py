"""The repository's promises: clean notebooks, one location, one source of defaults, no unsafe loading."""
import ast
import dataclasses
import inspect
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
    assert [p.name for p in NOTEBOOKS][:2] == ["01_frozenlake.ipynb", "02_taxi.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    for cell in code_cells(path):
        assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: run `jupyter nbconvert " \
            "--clear-output --inplace notebooks/*.ipynb` before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_its_own_badges(path):
    first = nbformat.read(path, as_version=4).cells[0]
    rel = f"notebooks/{path.name}"
    assert location.colab_url(rel) in first.source and location.kaggle_url(rel) in first.source
    assert location.COLAB_BADGE in first.source and location.KAGGLE_BADGE in first.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_starts_with_the_same_setup_cell(path):
    reference = code_cells(NOTEBOOKS[0])[0].source
    assert code_cells(path)[0].source == reference
    assert f'KIT_REPO, KIT_BRANCH = "{location.GITHUB_REPO}", "{location.BRANCH}"' in reference


def test_every_copy_of_the_location_agrees():
    texts = [(ROOT / "README.md").read_text()] + [p.read_text() for p in NOTEBOOKS]
    found = [pair for text in texts for pair in location.copies(text)]
    assert len(found) >= 3 * len(NOTEBOOKS)
    assert set(found) == {(location.GITHUB_REPO, location.BRANCH)}


def test_badge_urls_have_the_documented_shape():
    url = location.colab_url("notebooks/x.ipynb", "org/repo", "main")
    assert url == "https://colab.research.google.com/github/org/repo/blob/main/notebooks/x.ipynb"
    assert location.kaggle_url("notebooks/x.ipynb", "org/repo", "main") == \
        "https://kaggle.com/kernels/welcome?src=https://github.com/org/repo/blob/main/notebooks/x.ipynb"


def test_set_location_rewrites_every_copy(tmp_path):
    for name in ["README.md", "notebooks", "helpers"]:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    code = "import sys; sys.path.insert(0, '.'); from helpers.location import set_location; set_location('acme/rl-kit', 'dev')"
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True)
    texts = [(tmp_path / "README.md").read_text()] + [p.read_text() for p in (tmp_path / "notebooks").glob("*.ipynb")]
    assert {pair for t in texts for pair in location.copies(t)} == {("acme/rl-kit", "dev")}
    assert 'GITHUB_REPO = "acme/rl-kit"' in (tmp_path / "helpers" / "location.py").read_text()


def test_compared_cells_and_expected_outputs_match():
    expected = json.loads((ROOT / "tests" / "expected_outputs.json").read_text())
    for path in NOTEBOOKS:
        marked = {c.id for c in code_cells(path) if "NBVAL_CHECK_OUTPUT" in c.source}
        assert marked == set(expected.get(path.name, {})), f"{path.name}: marked cells vs tests/expected_outputs.json"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_has_a_check_and_a_reference(path):
    cells = code_cells(path)
    for i, cell in enumerate(cells):
        name = conftest.exercise_name(cell)
        if name is None:
            continue
        ast.parse(cell.source)  # the unfilled TODO is valid Python
        assert "check_" in cells[i + 1].source, f"{path.name}: exercise {name} is not followed by its check"
        solution = conftest.solution_source(name)
        if name != "spaces":  # the solved cell must define the exercise on its own, as a learner's would
            namespace = {}
            exec(compile(solution, f"<solution of {name}>", "exec"), namespace)
            assert callable(namespace[name])


def test_notebooks_and_benchmark_share_the_defaults():
    from benchmarks.certify import BENCHMARKS

    sources = {p.name: p.read_text() for p in NOTEBOOKS}
    for bench, config_name, notebook in [("frozenlake", "FROZENLAKE", "01_frozenlake.ipynb"),
                                        ("frozenlake-8x8", "FROZENLAKE_8X8", "01_frozenlake.ipynb"),
                                        ("frozenlake-slippery", "FROZENLAKE_SLIPPERY", "01_frozenlake.ipynb"),
                                        ("taxi", "TAXI", "02_taxi.ipynb"),
                                        ("cartpole", "CARTPOLE", "04_reinforce.ipynb"),
                                        ("pixelcopter", "PIXELCOPTER", "04_reinforce.ipynb")]:
        assert BENCHMARKS[bench].config is getattr(defaults, config_name)
        assert re.search(rf"defaults\.{config_name}\b", sources[notebook]), f"{notebook} does not use defaults.{config_name}"


def test_notebook_trains_pixelcopter_with_every_setting_the_benchmark_uses():
    """Notebook 04 calls reinforce() itself (to show it), so it must pass each training field of the config."""
    source = (ROOT / "notebooks" / "04_reinforce.ipynb").read_text()
    from helpers import reinforce

    # The benchmark builds the policy with make_policy and trains it in train_and_evaluate.
    used_by_benchmark = inspect.getsource(reinforce.train_and_evaluate) + inspect.getsource(reinforce.make_policy)
    fields = [f.name for f in dataclasses.fields(defaults.ReinforceConfig) if f"config.{f.name}" in used_by_benchmark]
    assert {"value_steps", "value_batch_size", "lr", "gamma", "h_size", "obs_scale", "obs_features"} <= set(fields)
    # The baseline network is built by one shared helper (it reads value_h), in both places.
    assert "make_value_baseline(config, policy)" in used_by_benchmark
    assert "reinforce.make_value_baseline(pc_hp, pc_policy)" in source
    # eval_greedy: the notebook's evaluate_agent is greedy by default, and says so in its text.
    missing = [f for f in fields if f"pc_hp.{f}" not in source and f != "eval_greedy"]
    assert not missing, f"notebook 04's Pixelcopter cells do not use pc_hp.{missing}"


def test_importing_helpers_stays_light():
    code = ("import sys, helpers, helpers.qlearning, helpers.scoring, helpers.exercises; "
            "print(sorted(m for m in ('torch', 'matplotlib', 'huggingface_hub') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_nothing_unpickles_or_torch_loads_unsafely():
    """No call of pickle.load(s) anywhere in helpers, and every torch.load call passes weights_only=True."""
    for path in (ROOT / "helpers").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)):
                continue
            owner, name = node.func.value.id, node.func.attr
            assert not (owner == "pickle" and name in ("load", "loads")), f"{path.name}:{node.lineno} unpickles"
            if owner == "torch" and name == "load":
                flags = {k.arg: getattr(k.value, "value", None) for k in node.keywords}
                assert flags.get("weights_only") is True, f"{path.name}:{node.lineno} torch.load without weights_only"


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
