"""Where the notebook runs (Colab, Kaggle or elsewhere) and the few things that differ there.

* Colab: the Hugging Face library reads the ``HF_TOKEN`` secret (key icon, left bar) by itself.
* Kaggle: secrets are only reachable through ``kaggle_secrets``; ``load_kaggle_token()`` copies the
  ``HF_TOKEN`` secret (Add-ons > Secrets) into ``os.environ`` so the library finds it.
* No virtual display is needed to record videos (envs render to arrays); ``start_virtual_display()``
  exists for the rare env that opens a real window, and does nothing when a display is already there.
"""
from __future__ import annotations

import os
import shutil
import sys

from helpers.i18n import _

__all__ = ["in_colab", "in_kaggle", "platform_name", "load_kaggle_token", "login_hint", "start_virtual_display"]


def in_colab() -> bool:
    return "google.colab" in sys.modules


def in_kaggle() -> bool:
    return "KAGGLE_KERNEL_RUN_TYPE" in os.environ


def platform_name() -> str:
    """``"colab"``, ``"kaggle"`` or ``"local"``."""
    return "colab" if in_colab() else "kaggle" if in_kaggle() else "local"


def load_kaggle_token(secret_name: str = "HF_TOKEN") -> bool:
    """On Kaggle, copy the ``HF_TOKEN`` secret into ``os.environ["HF_TOKEN"]``.

    Returns True when ``HF_TOKEN`` is set afterwards. Elsewhere, or when the secret is missing or not
    attached to this notebook, returns whether ``HF_TOKEN`` was already set; never raises.
    """
    if os.environ.get("HF_TOKEN"):
        return True
    if not in_kaggle():
        return False
    try:
        from kaggle_secrets import UserSecretsClient

        value = UserSecretsClient().get_secret(secret_name)
    except Exception:  # no such secret, or it is not attached to this notebook
        return False
    if value:
        os.environ["HF_TOKEN"] = value.strip()
        return True
    return False


def login_hint() -> str:
    """What to do to log in, for the platform the notebook runs on."""
    tokens = "https://huggingface.co/settings/tokens"
    platform = platform_name()
    if platform == "colab":
        return _("On Colab: add a secret named HF_TOKEN (key icon in the left bar) holding a token with WRITE "
                 "access from {tokens}, allow this notebook to read it, or run notebook_login().", tokens=tokens)
    if platform == "kaggle":
        return _("On Kaggle: Add-ons > Secrets > add HF_TOKEN holding a token with WRITE access from {tokens}, "
                 "tick it for this notebook, then run this cell again.", tokens=tokens)
    return _("Create a token with WRITE access at {tokens}, then run notebook_login() in the notebook (or "
             "`hf auth login` in a terminal, or set the HF_TOKEN environment variable).", tokens=tokens)


def start_virtual_display(size=(1400, 900)):
    """Start an Xvfb virtual display if (and only if) there is none; return it, or None when not needed.

    Only envs that open a window need this: ``render_mode="rgb_array"`` works without any display.
    Needs the ``xvfb`` system package and the ``pyvirtualdisplay`` Python package.
    """
    if os.environ.get("DISPLAY") or sys.platform != "linux":
        return None
    if shutil.which("Xvfb") is None:
        raise RuntimeError(_("No display and no Xvfb: install it with `apt-get install -y xvfb` (Colab has it), "
                             "or use render_mode='rgb_array', which needs no display."))
    try:
        from pyvirtualdisplay import Display
    except ImportError:
        raise RuntimeError(_("pip install pyvirtualdisplay to start a virtual display.")) from None
    display = Display(visible=False, size=size)
    display.start()
    return display
