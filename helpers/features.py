"""Fixed input transforms a policy can see its observation through, by name (Pixelcopter's).

The name is saved with a pushed policy's weights, so a reloaded policy computes the same inputs and loading
never runs code from a downloaded file.
"""
from __future__ import annotations

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
