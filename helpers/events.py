"""What the algorithms tell the floors above them, without importing them (README.md draws the floors).

The kit's trainers and evaluators ``report`` what they did: ``report("trained", agent, trainer)`` and
``report("scored", agent, mean, std)``. ``helpers.provenance`` listens and keeps who trained each agent;
``import helpers`` starts it listening before any training can run.
"""
from __future__ import annotations

# The words a provenance record uses for whose code ran.
YOURS, KIT, KIT_TRAINER = "yours", "kit reference", "kit trainer"
LISTENERS: list = []


def report(event: str, *args, **kwargs) -> None:
    for listen in LISTENERS:
        listen(event, *args, **kwargs)


def unwrap(obj):
    """The learner's own object behind the kit's adapters (``__wrapped__``) and input wrappers (``.policy``)."""
    while True:
        if hasattr(obj, "__wrapped__"):
            obj = obj.__wrapped__
        elif type(obj).__name__ == "InputsPolicy" and hasattr(obj, "policy"):
            obj = obj.policy
        else:
            return obj
