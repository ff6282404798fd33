"""A pytest plugin for tests/platforms.sh: on a platform run without torch, tests that need torch are
reported as skipped, with the reason, instead of failing on ``import torch``; and a run can build and
execute only some notebooks.

The platform venvs get no torch where this machine has no CPU wheel for their Python (PyPI's build is a
multi-GB CUDA one). A test module that imports torch at the top is skipped whole; a test (or fixture) that
imports it inside is skipped when it does. Anything else that fails still fails.

``KIT_PLATFORM_NOTEBOOKS=01_qlearning.ipynb`` makes conftest.py build its test copies of that notebook
only (it reads the notebooks from ``conftest.NOTEBOOKS``, pointed here at a folder holding just those).

Loaded only by platforms.sh (``-p platform_plugin``); the normal test run never uses it.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REASON = ("torch is not installed in this platform run (no CPU wheel for this Python on this machine; PyPI's "
          "torch is a multi-GB CUDA build): tests/platforms.sh skips what needs it")


def _is_missing_torch(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] == "torch":
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class _TorchOptionalModule(pytest.Module):
    def _getobj(self):
        try:
            return super()._getobj()
        except self.CollectError as err:
            if "No module named 'torch'" in str(err):
                raise pytest.skip.Exception(f"{self.path.name} imports torch: {REASON}", allow_module_level=True) \
                    from None
            raise


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path, parent):
    if module_path.name.startswith("test_") and module_path.suffix == ".py":
        return _TorchOptionalModule.from_parent(parent, path=module_path)
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and report.failed and _is_missing_torch(call.excinfo.value):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {REASON}")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    wanted = [name for name in os.environ.get("KIT_PLATFORM_NOTEBOOKS", "").split(",") if name]
    if not wanted:
        return
    conftest = next((p for p in config.pluginmanager.get_plugins() if hasattr(p, "build_copies")
                     and hasattr(p, "NOTEBOOKS")), None)
    if conftest is None:
        raise pytest.UsageError("KIT_PLATFORM_NOTEBOOKS is set but the repo's conftest.py was not loaded")
    folder = Path(tempfile.mkdtemp(prefix="kit-platform-notebooks-"))
    for name in wanted:
        shutil.copy2(Path(conftest.NOTEBOOKS) / name, folder / name)
    config._kit_platform_notebooks = folder
    conftest.NOTEBOOKS = folder
    print(f"platform_plugin: building {', '.join(wanted)} only")


def pytest_unconfigure(config):
    folder = getattr(config, "_kit_platform_notebooks", None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
