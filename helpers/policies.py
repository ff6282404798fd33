"""How the kit saves a trained policy so that anyone can rebuild it without running code.

``PolicyNetwork`` is the one saved format: Linear layers with one named activation between them (ReLU,
tanh, ELU...: ``ACTIVATIONS``) and a softmax, with its layer sizes stated (``architecture``).
``export_network`` turns any policy built like the exercises' ``Policy`` into one; ``with_inputs`` puts a
fixed, named input transform (``helpers.features``) in front of a policy, and that transform is saved with
it. ``save_policy`` writes ``model.safetensors`` (weights, and the architecture as JSON in its metadata), and
``load_policy`` reads one back, checking the stated architecture before anything is built: the format's
writer and reader sit together, so a change to one is made beside the other. No pickle is involved.
"""
from __future__ import annotations

import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical

from helpers import features as _features
from helpers.arguments import count, module, path as check_path, scale, widths
from helpers.errors import HubLoadError, KitArgumentError
from helpers.i18n import _
from helpers.safe_pickle import short_repr

# The activations a saved policy may name: torch.nn.functional's function of that name, default arguments.
ACTIVATIONS = ("relu", "tanh", "elu", "leaky_relu", "gelu", "silu", "sigmoid", "softplus", "selu")
POLICY_FORMAT = "deep-rl-kit/policy-v2"
# What a policy file (downloaded, so not trusted) may state; checked before anything is built from it.
MAX_LAYER_WIDTH = 4096
MAX_HIDDEN_LAYERS = 8
MAX_PARAMETERS = 2_000_000       # 8 MB of float32 weights; a Pixelcopter policy has about 9,000
MAX_HEADER_BYTES = 2**20         # a safetensors header (the tensors' names, shapes and the architecture)


class InputsPolicy(nn.Module):
    """``policy`` looking at its observation through a fixed, named transform and a scale (see ``with_inputs``)."""

    def __init__(self, policy, obs_features=None, obs_scale=None):
        super().__init__()
        self.policy = module("policy", policy)
        self.obs_features = _features.check_name(obs_features)
        linears = [m for m in policy.modules() if isinstance(m, nn.Linear)]
        self.s_size = linears[0].in_features if linears else None
        obs_scale = scale("obs_scale", obs_scale, self.s_size or 1)
        self.register_buffer("obs_scale", obs_scale.detach().clone())  # a buffer: saved and moved with the weights

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
            raise KitArgumentError(_("Unknown activation {name!r}; the kit saves {names}.", name=name,
                                     names=", ".join(ACTIVATIONS)))
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
        hidden = widths("h_size", h_size)
        self.s_size, self.a_size = count("s_size", s_size), count("a_size", a_size)
        self.h_size = h_size if isinstance(h_size, int) else tuple(hidden)
        layers, width = [], self.s_size
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU() if activation == "relu" else _Activation(activation)]
            width = h
        layers.append(nn.Linear(width, self.a_size))
        self.net = nn.Sequential(*layers)
        self.register_buffer("obs_scale", scale("obs_scale", obs_scale, self.s_size).detach().clone())

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
            raise ValueError(_("Policy expects observations with {n} values, got shape {shape}.", n=self.s_size,
                               shape=tuple(x.shape)))
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
        raise ValueError(_("The kit saves a policy as a stack of nn.Linear layers (an activation such as ReLU "
                           "between them, softmax at the end), but this policy's layers do not chain into one: build "
                           "it like the notebook's Policy."))
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
    raise ValueError(_("The kit saves a policy as nn.Linear layers with one activation between them ({names}) and a "
                       "softmax at the end, so that anyone can reload it without running code; this policy computes "
                       "something else (another activation or its own arguments, or the layers used in another "
                       "order). Push a policy built like the notebook's Policy, or save yours with "
                       "safetensors.torch.save_file(policy.state_dict(), path).", names=", ".join(ACTIVATIONS)))


def save_policy(net: PolicyNetwork, path) -> None:
    """Write ``net`` as ``model.safetensors``: its weights, and its architecture (activation included) as JSON in
    the file's metadata. No pickle: anyone can read it with ``safetensors`` and plain PyTorch."""
    from safetensors.torch import save_file

    if not isinstance(net, PolicyNetwork):
        raise KitArgumentError(_("net is a {kind}: save_policy saves a PolicyNetwork; turn your policy into one "
                                 "with export_network(policy) first.", kind=type(net).__name__))
    check_path("path", path, "model.safetensors")
    state = {k: v.detach().cpu().contiguous().clone() for k, v in net.state_dict().items()}
    architecture = {"activation": net.activation} | net.architecture
    save_file(state, str(path), metadata={"format": POLICY_FORMAT, "architecture": json.dumps(architecture)})


# ---- reading it back: a downloaded file, so nothing is trusted -----------------------------------------------
def check_architecture(arch, source: str) -> dict:
    """A policy's stated architecture, if its layer sizes are whole numbers within the kit's bounds and its
    activation and input transform are ones the kit knows (checked before any layer is built: a few bytes
    could otherwise ask for billions of weights)."""
    def width(value) -> bool:
        return type(value) is int and 1 <= value <= MAX_LAYER_WIDTH

    problem = None
    if not isinstance(arch, dict):
        problem = _("Its architecture is not a dict of layer sizes.")
    else:
        unknown = set(arch) - {"s_size", "a_size", "h_size", "obs_scale", "obs_features", "activation"}
        hidden = arch.get("h_size")
        hidden = [hidden] if type(hidden) is int else hidden if type(hidden) is list else None
        if unknown:
            problem = _("Its architecture has keys the kit does not know: {keys}.", keys=short_repr(sorted(unknown)[:5]))
        elif not (width(arch.get("s_size")) and width(arch.get("a_size"))):
            problem = _("Its s_size and a_size must be whole numbers from 1 to {most}.", most=MAX_LAYER_WIDTH)
        elif hidden is None or not 1 <= len(hidden) <= MAX_HIDDEN_LAYERS or not all(width(h) for h in hidden):
            problem = _("Its h_size must be 1 to {layers} hidden widths, each a whole number from 1 to {most}.",
                        layers=MAX_HIDDEN_LAYERS, most=MAX_LAYER_WIDTH)
        else:
            widths = [arch["s_size"], *hidden, arch["a_size"]]
            params = sum((a + 1) * b for a, b in zip(widths, widths[1:]))
            scale = arch.get("obs_scale")
            if params > MAX_PARAMETERS:
                problem = _("Its layers would hold {params:,} weights, more than {most:,}.", params=params,
                            most=MAX_PARAMETERS)
            elif scale is not None and not (type(scale) is list and len(scale) == arch["s_size"] and
                                            all(type(v) in (int, float) for v in scale)):
                problem = _("Its obs_scale must be a list of numbers, one per observation feature.")
            elif scale is not None and _features.scale_problem(scale):
                problem = _features.scale_problem(scale)
            elif arch.get("obs_features") is not None and arch["obs_features"] not in _features.OBS_FEATURES:
                problem = _("Its obs_features must be one of {names}.", names=sorted(_features.OBS_FEATURES))
            elif arch.get("activation", "relu") not in ACTIVATIONS:
                problem = _("Its activation must be one of {names}.", names=", ".join(ACTIVATIONS))
    if problem:
        raise HubLoadError(_("{source} states a policy the kit will not build (got {got}): it was not written by "
                             "the kit, or it was altered.", source=source, got=short_repr(arch)) + " " + problem)
    return dict(arch)


def _expected_shapes(arch: dict) -> dict:
    """The tensors a ``PolicyNetwork`` of this architecture holds, by name (known before anything is built)."""
    hidden = [arch["h_size"]] if type(arch["h_size"]) is int else arch["h_size"]
    widths = [arch["s_size"], *hidden, arch["a_size"]]
    shapes = {"obs_scale": [arch["s_size"]]}
    for i, (a, b) in enumerate(zip(widths, widths[1:])):  # PolicyNetwork.net: Linear, activation, Linear...
        shapes[f"net.{2 * i}.weight"], shapes[f"net.{2 * i}.bias"] = [b, a], [b]
    return shapes


def _check_values(tensors: dict, source: str) -> None:
    """Refuse weights that are NaN or infinite (training diverged, or the file was altered) and an input scale
    that is not above 0, naming the tensors: such a policy would load and then act at random or crash."""
    problem = _features.scale_problem(tensors["obs_scale"])
    if problem:
        raise HubLoadError(_("{source} has an input scale (its obs_scale tensor) the kit will not use: {problem} "
                             "The file was not written by the kit, or it was altered.", source=source,
                             problem=problem))
    bad = {k: int((~torch.isfinite(v)).sum()) for k, v in sorted(tensors.items())}
    bad = {k: (n, tensors[k].numel()) for k, n in bad.items() if n}
    if bad:
        raise HubLoadError(_("{source} holds NaN or infinite values in {count} tensor(s): {details}. Training "
                             "diverged (try a smaller learning rate) or the file was altered; the kit will not load "
                             "it. Train the policy again and push it again.", source=source, count=len(bad),
                             details=", ".join(f"{k} ({n:,}/{total:,})" for k, (n, total) in bad.items())))


def load_policy(data: bytes, source: str = "model.safetensors", policy_class=None):
    """A policy from the bytes of a ``model.safetensors`` that ``save_policy`` wrote: the header and the stated
    architecture are checked before anything is built, then the weights are read (no pickle anywhere).
    ``HubLoadError`` says what is wrong with a file that is not one."""
    def damaged(why):
        return _("{source} is damaged or incomplete ({why}). Download it again (delete it from the Hub cache "
                 "first); if it is on the Hub like this, ask the author to re-push it.", source=source, why=why)

    size = int.from_bytes(data[:8], "little") if len(data) >= 8 else -1
    if not 2 <= size <= min(MAX_HEADER_BYTES, len(data) - 8):
        raise HubLoadError(damaged(_("its safetensors header is missing or has a wrong length")))
    try:
        header = json.loads(data[8:8 + size].decode("utf-8"))
        meta = header.pop("__metadata__", None) or {}
        text = meta["architecture"]
        if type(text) is not str or len(text) > 2**16:
            raise ValueError("no architecture text of a sane length")
        architecture = json.loads(text)
    except (ValueError, RecursionError, KeyError, TypeError, AttributeError):
        raise HubLoadError(_("{source} holds no readable architecture (the JSON in its metadata that states the "
                             "layer sizes): it was not pushed by the kit, or it is damaged. Download it again, or "
                             "build the policy yourself and load its weights with safetensors.torch.load_file.",
                             source=source)) from None
    architecture = check_architecture(architecture, source)
    expected = _expected_shapes(architecture)
    stated = {k: (v.get("dtype"), v.get("shape")) if isinstance(v, dict) else (None, None) for k, v in header.items()}
    wrong = sorted(set(stated) ^ set(expected)) or sorted(
        k for k, (dtype, shape) in stated.items() if dtype not in ("F32", "F16", "BF16", "F64") or shape != expected[k])
    if wrong:
        raise HubLoadError(_("{source}'s weights do not fit its stated architecture ({names}): the file is damaged "
                             "or was altered. Download it again.", source=source, names=short_repr(wrong[:3])))
    from safetensors.torch import load as load_tensors

    try:
        tensors = load_tensors(data)
    except Exception as err:  # safetensors' own checks: offsets, lengths
        raise HubLoadError(damaged(f"{type(err).__name__}: {str(err)[:120]}")) from None
    _check_values(tensors, source)
    policy = (policy_class or PolicyNetwork)(**architecture)
    try:
        policy.load_state_dict({k: v.to(torch.float32) for k, v in tensors.items()})
    except (RuntimeError, ValueError, TypeError, KeyError) as err:
        raise HubLoadError(_("{source}'s weights do not fit its stated layer sizes ({error}): the file is damaged "
                             "or was altered. Download it again.", source=source, error=str(err)[:200])) from None
    policy.eval()
    return policy
