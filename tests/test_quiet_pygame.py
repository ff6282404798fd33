"""Importing helpers silences pygame's noise on Colab-like machines (no sound card, older setuptools):
the ALSA lines pygame.init() prints and the pkg_resources deprecation warning (issue 15). Each check runs
in a fresh Python, since both only show on a first import."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pygame = pytest.importorskip("pygame", reason="pygame is not installed")


def _run(code: str, tmp_path, **env_changes) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_AUDIODRIVER", "PYTHONWARNINGS")}
    env.update(PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]), SDL_VIDEODRIVER="dummy", **env_changes)
    return subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, env=env,
                          timeout=120, cwd=tmp_path)


def test_pygame_init_prints_no_alsa_lines(tmp_path):
    result = _run("import helpers, os, pygame; pygame.init(); print(os.environ['SDL_AUDIODRIVER'])", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("dummy")
    assert "ALSA lib" not in result.stderr and "cannot find card" not in result.stderr, result.stderr


def test_a_chosen_audio_driver_is_kept(tmp_path):
    plain = _run("import gymnasium, os; print(os.environ['SDL_AUDIODRIVER'])", tmp_path, SDL_AUDIODRIVER="pulseaudio")
    if plain.stdout.strip() != "pulseaudio":  # Gymnasium < 1.2 sets "dsp" on import, whatever was there
        pytest.skip("this Gymnasium overwrites SDL_AUDIODRIVER when it is imported")
    result = _run("import helpers, os; print(os.environ['SDL_AUDIODRIVER'])", tmp_path, SDL_AUDIODRIVER="pulseaudio")
    assert result.stdout.strip() == "pulseaudio"


def test_pkg_resources_warning_is_silenced(tmp_path):
    # A stand-in for setuptools' pkg_resources (new setuptools no longer ships it) that warns as the real one does.
    (tmp_path / "pkg_resources.py").write_text(
        "import warnings\n"
        "warnings.warn('pkg_resources is deprecated as an API. See https://setuptools.pypa.io/en/latest/"
        "pkg_resources.html', UserWarning, stacklevel=2)\n"
        "def resource_stream(*a): raise OSError\n"
        "def resource_exists(*a): return False\n")
    quiet = _run("import helpers, pygame.pkgdata", tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert "pkg_resources is deprecated" not in quiet.stderr, quiet.stderr
    loud = _run("import pygame.pkgdata", tmp_path)  # the stand-in does warn without the kit's filter
    assert "pkg_resources is deprecated" in loud.stderr, loud.stderr
