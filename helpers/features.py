"""Fixed input transforms a policy can see its observation through, by name (Pixelcopter's).

The name is saved with a pushed policy's weights, so a reloaded policy computes the same inputs and loading
never runs code from a downloaded file.
"""
from __future__ import annotations

import inspect
import re

import torch

from helpers import pixelcopter as _pc  # the game's geometry
from helpers.errors import KitArgumentError
from helpers.i18n import _


def pixelcopter_relative(x: torch.Tensor) -> torch.Tensor:
    """Pixelcopter's 7 observation values re-expressed relative to the copter (still 7 values).

    The raw values are absolute screen heights, so "a block 5 px above me" looks different at every
    height and the network must learn the same dodge many times. These say it once: height above the
    middle of the band no terrain can reach (20.4-30 px), velocity, offset from the corridor's centre,
    the corridor centre's offset from the screen's middle, distance to the block, the block's centre
    relative to the copter, and how far off it is either way.
    """
    y, v, to_ceiling, _to_floor, gate_dist, gate_top, _gate_bottom = x.unbind(-1)
    corridor = y - to_ceiling + _pc.CORRIDOR_HALF  # centre height of the terrain segment under the copter
    block = gate_top + 0.5 - y  # the block's rows are [top - 4, top + 5): its centre is top + 0.5
    return torch.stack([y - 25.2, v, to_ceiling - _pc.CORRIDOR_HALF, corridor - _pc.TERRAIN_MID, gate_dist, block,
                        block.abs()], dim=-1)


OBS_FEATURES = {"pixelcopter-relative": pixelcopter_relative}


def check_name(name: str | None) -> str | None:
    """``name`` if the kit knows it (None means the raw observation); else a ValueError that lists the names."""
    if name is not None and name not in OBS_FEATURES:
        raise KitArgumentError(_("Unknown obs_features {name!r}; the kit knows {names} (or None: the raw "
                                 "observation).", name=name, names=sorted(OBS_FEATURES)))
    return name


def network_inputs(x: torch.Tensor, obs_features: str | None, obs_scale: torch.Tensor) -> torch.Tensor:
    """What a network's first layer sees: ``x`` through the named transform (if any), divided by ``obs_scale``."""
    if obs_features:
        x = OBS_FEATURES[obs_features](x)
    return x / obs_scale


def plain_source(name: str) -> str:
    """The transform ``name`` as plain PyTorch code for a model card: its source, without the docstring, with
    the game's constants written as numbers (so it runs without the kit)."""
    source = re.sub(r'\n    """.*?"""\n', "\n", inspect.getsource(OBS_FEATURES[name]), count=1, flags=re.S)
    return re.sub(r"\b_pc\.([A-Z_]+)", lambda m: repr(float(getattr(_pc, m.group(1)))), source).rstrip()


def scale_problem(scale: torch.Tensor) -> str | None:
    """Why ``scale`` cannot divide a policy's inputs (a value not finite, zero or negative), or None if it can."""
    scale = torch.as_tensor(scale, dtype=torch.float64)
    bad = int((~torch.isfinite(scale)).sum())
    if bad:
        return _("{bad} of its {n} obs_scale values are NaN or infinite; each must be a finite number above 0.",
                 bad=bad, n=scale.numel())
    bad = int((scale <= 0).sum())
    if bad:
        return _("{bad} of its {n} obs_scale values are zero or negative (smallest {low:g}); each input is divided "
                 "by its scale, which must be above 0.", bad=bad, n=scale.numel(), low=float(scale.min()))
    return None
