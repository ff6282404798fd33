"""How the kit saves a trained policy so that anyone can rebuild it without running code.

``PolicyNetwork`` is the one saved format: Linear layers with one named activation between them (ReLU,
tanh, ELU...: ``ACTIVATIONS``) and a softmax, with its layer sizes stated (``architecture``).
``export_network`` turns any policy built like the exercises' ``Policy`` into one; ``with_inputs`` puts a
fixed, named input transform (``helpers.features``) in front of a policy, and that transform is saved with
it. ``save_policy`` writes ``model.safetensors`` (weights, and the architecture as JSON in its metadata),
which ``helpers.hub`` pushes and loads back with no pickle involved.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical

from helpers import features as _features

# The activations a saved policy may name: torch.nn.functional's function of that name, default arguments.
ACTIVATIONS = ("relu", "tanh", "elu", "leaky_relu", "gelu", "silu", "sigmoid", "softplus", "selu")
POLICY_FORMAT = "deep-rl-kit/policy-v2"


class InputsPolicy(nn.Module):
    """``policy`` looking at its observation through a fixed, named transform and a scale (see ``with_inputs``)."""

    def __init__(self, policy, obs_features=None, obs_scale=None):
        super().__init__()
        self.policy = policy
        self.obs_features = _features.check_name(obs_features)
        linears = [m for m in policy.modules() if isinstance(m, nn.Linear)]
        self.s_size = linears[0].in_features if linears else None
        scale = torch.ones(self.s_size or 1) if obs_scale is None else torch.as_tensor(obs_scale, dtype=torch.float32)
        self.register_buffer("obs_scale", scale.detach().clone())  # a buffer: saved and moved with the weights

    def inputs(self, x):
        return _features.network_inputs(x, self.obs_features, self.obs_scale)

    def forward(self, x):
        return self.policy(self.inputs(x))

    def act(self, state):
        x = torch.as_tensor(np.asarray(state), dtype=torch.float32, device=self.obs_scale.device)
        return self.policy.act(self.inputs(x).cpu().numpy())


def with_inputs(policy, obs_features=None, obs_scale=None):
    """``policy`` seeing the observation through ``obs_features`` (a name from ``features.OBS_FEATURES``) and
    divided by ``obs_scale``. Both are saved with a pushed policy, so it reloads as it was trained."""
    return InputsPolicy(policy, obs_features, obs_scale)


class _Activation(nn.Module):
    def __init__(self, name: str):
        super().__init__()
        if name not in ACTIVATIONS:
            raise ValueError(f"Unknown activation {name!r}; the kit saves {', '.join(ACTIVATIONS)}.")
        self.name, self.fn = name, getattr(F, name)

    def forward(self, x):
        return self.fn(x)


class PolicyNetwork(nn.Module):
    """The one format the kit saves and reloads policies in: Linear + ``activation`` per hidden layer, then a
    softmax.

    ``h_size`` is one hidden width (CartPole: ``16``) or a tuple of widths (Pixelcopter: ``(64, 64)``).
    ``obs_scale`` divides each observation feature and ``obs_features`` names a fixed transform applied
    first; both are saved with the weights. ``PolicyNetwork(**net.architecture)`` rebuilds an identical,
    untrained network. ``export_network`` turns the exercises' policies into one.
    """

    def __init__(self, s_size, a_size, h_size, obs_scale=None, obs_features=None, activation="relu"):
        super().__init__()
        self.obs_features = _features.check_name(obs_features)
        self.activation = activation
        hidden = [h_size] if isinstance(h_size, int) else list(h_size)
        self.s_size, self.a_size = int(s_size), int(a_size)
        self.h_size = h_size if isinstance(h_size, int) else tuple(hidden)
        layers, width = [], self.s_size
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU() if activation == "relu" else _Activation(activation)]
            width = h
        layers.append(nn.Linear(width, self.a_size))
        self.net = nn.Sequential(*layers)
        scale = torch.ones(self.s_size) if obs_scale is None else torch.as_tensor(obs_scale, dtype=torch.float32)
        if scale.shape != (self.s_size,):
            raise ValueError(f"obs_scale needs one value per observation feature ({self.s_size}), "
                             f"got shape {tuple(scale.shape)}")
        self.register_buffer("obs_scale", scale.detach().clone())

    @property
    def architecture(self) -> dict:
        """The constructor arguments, JSON-friendly: ``PolicyNetwork(**net.architecture)`` rebuilds it."""
        arch = dict(s_size=self.s_size, a_size=self.a_size,
                    h_size=self.h_size if isinstance(self.h_size, int) else list(self.h_size))
        if not torch.all(self.obs_scale == 1):
            arch["obs_scale"] = [float(v) for v in self.obs_scale.cpu()]
        if self.obs_features:
            arch["obs_features"] = self.obs_features
        if self.activation != "relu":
            arch["activation"] = self.activation
        return arch

    def inputs(self, x):
        return _features.network_inputs(x, self.obs_features, self.obs_scale)

    def forward(self, x):
        if x.shape[-1] != self.s_size:
            raise ValueError(f"Policy expects observations with {self.s_size} values, got shape {tuple(x.shape)}")
        return F.softmax(self.net(self.inputs(x)), dim=-1)

    def act(self, state):
        state = torch.as_tensor(np.asarray(state), dtype=torch.float32, device=self.obs_scale.device).unsqueeze(0)
        m = Categorical(self.forward(state))
        action = m.sample()
        return action.item(), m.log_prob(action)


def export_network(policy) -> PolicyNetwork:
    """A ``PolicyNetwork`` that computes exactly ``policy``'s probabilities, for saving without code.

    Works for any policy built as the exercises build them: ``nn.Linear`` layers in the order they run, one
    of ``ACTIVATIONS`` between them (as a module or a function call), softmax at the end (optionally inside
    ``with_inputs``). Anything else raises a ValueError that says so: the kit then cannot save it in a form
    others can load safely.
    """
    if isinstance(policy, PolicyNetwork):
        return policy
    inner, obs_features, obs_scale = policy, None, None
    if isinstance(policy, InputsPolicy):
        inner, obs_features, obs_scale = policy.policy, policy.obs_features, policy.obs_scale
    linears = [m for m in inner.modules() if isinstance(m, nn.Linear)]
    chained = all(a.out_features == b.in_features for a, b in zip(linears, linears[1:]))
    if not linears or not chained:
        raise ValueError("The kit saves a policy as a stack of nn.Linear layers (an activation such as ReLU between "
                         "them, softmax at the end), but this policy's layers do not chain into one: build it like "
                         "the notebook's Policy.")
    hidden = [m.out_features for m in linears[:-1]]
    dev = linears[0].weight.device
    probe = torch.randn(64, linears[0].in_features, generator=torch.Generator().manual_seed(0)).to(dev) * 4
    with torch.no_grad():
        expected = policy(probe)
    for activation in ACTIVATIONS:  # the one whose network computes what the policy computes
        net = PolicyNetwork(linears[0].in_features, linears[-1].out_features,
                            hidden[0] if len(hidden) == 1 else tuple(hidden),
                            obs_scale=None if obs_scale is None else obs_scale.cpu(), obs_features=obs_features,
                            activation=activation).to(dev)
        with torch.no_grad():
            for mine, theirs in zip([m for m in net.net if isinstance(m, nn.Linear)], linears):
                mine.weight.copy_(theirs.weight)
                mine.bias.copy_(theirs.bias) if theirs.bias is not None else mine.bias.zero_()
            if expected.shape == (64, net.a_size) and torch.allclose(net(probe), expected, atol=1e-5):
                net.train(policy.training)
                return net
        if not hidden:
            break
    raise ValueError(f"The kit saves a policy as nn.Linear layers with one activation between them ({', '.join(ACTIVATIONS)}) "
                     "and a softmax at the end, so that anyone can reload it without running code; this policy "
                     "computes something else (another activation or its own arguments, or the layers used in another "
                     "order). Push a policy built like the notebook's Policy, or save yours with "
                     "safetensors.torch.save_file(policy.state_dict(), path).")


def save_policy(net: PolicyNetwork, path) -> None:
    """Write ``net`` as ``model.safetensors``: its weights, and its architecture (activation included) as JSON in
    the file's metadata. No pickle: anyone can read it with ``safetensors`` and plain PyTorch."""
    import json

    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous().clone() for k, v in net.state_dict().items()}
    architecture = {"activation": net.activation} | net.architecture
    save_file(state, str(path), metadata={"format": POLICY_FORMAT, "architecture": json.dumps(architecture)})
