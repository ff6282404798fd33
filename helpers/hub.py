"""Push agents to the Hugging Face Hub and load them back, safely, on huggingface_hub 0.2x to 2.x.

    push_to_hub("you/q-Taxi-v3", model, env, video_fps=1)                       # unit 2: a Q-learning dict
    push_to_hub("you/Reinforce-CartPole-v1", policy, hyperparameters, eval_env,  # unit 4: a policy
                video_fps=30)
    model = load_from_hub("ThomasSimonini/q-Taxi-v3", "q-learning.pkl")         # a dict, unpickled safely
    env = make_env_from_model(model); mean, std = evaluate_model(model, env)

What a push does, in this order:
  1. checks the repo id, evaluates the agent once, records one replay;
  2. writes every file of the repo (model, results.json, README.md card, replay.mp4, ...) into a fresh
     temporary folder, then into ``hub_exports/<repo name>/``: the model is saved before any network step;
  3. with a token, creates the repo if needed (keeps an existing card's text, updates its metadata) and
     uploads that folder in one commit. Files already in the repo that the kit does not write are kept.
If step 3 fails (no token, read-only token, offline, server error), ``HubPushError`` says what to do,
and ``retry_push(folder, repo_id)`` uploads the saved folder later without retraining.
``dry_run=True`` or ``local_dir=...`` stops after step 2: no network at all.

Loading never runs code from a file: Q-learning pickles go through ``helpers.safe_pickle`` and policy
weights through ``torch.load(weights_only=True)``.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["HubPushError", "HubLoadError", "InvalidRepoIdError", "PushResult", "check_repo_id",
           "course_env_name", "env_kwargs_of", "qlearning_model", "make_env_from_model", "evaluate_model",
           "push_to_hub", "retry_push", "load_from_hub", "load_model_file", "card_metadata",
           "QLEARNING_FILE", "POLICY_FILE", "EXPORT_ROOT"]

QLEARNING_FILE = "q-learning.pkl"
POLICY_FILE = "model.pt"
EXPORT_ROOT = "hub_exports"
# Every file a push writes; uploads are limited to these, so nothing else in a folder is ever sent.
KIT_FILES = (QLEARNING_FILE, POLICY_FILE, "hyperparameters.json", "results.json", "README.md", "replay.mp4")
TOKENS_URL = "https://huggingface.co/settings/tokens"
POLICY_FORMAT = "deep-rl-kit/policy-v1"

# The keys of the course's Q-learning model dict (everything else in a model describes its env).
COURSE_MODEL_KEYS = ("env_id", "max_steps", "n_training_episodes", "n_eval_episodes", "eval_seed",
                     "learning_rate", "gamma", "max_epsilon", "min_epsilon", "decay_rate", "qtable")


class HubPushError(RuntimeError):
    """A push that could not finish. The message says why and what to do; the files are in ``folder``."""

    def __init__(self, message: str, *, repo_id: str | None = None, folder: Path | None = None,
                 status: int | None = None, cause: BaseException | None = None):
        super().__init__(message)
        self.repo_id, self.folder, self.status, self.cause = repo_id, folder, status, cause


class HubLoadError(RuntimeError):
    """A model that could not be downloaded or loaded; the message says why."""


class InvalidRepoIdError(ValueError):
    """A repo id that is not ``user/name``; raised before any network call."""


@dataclass
class PushResult:
    repo_id: str
    folder: Path
    mean_reward: float
    std_reward: float
    env_name: str
    pushed: bool
    url: str | None = None
    files: list = field(default_factory=list)

    def __str__(self) -> str:
        where = f"pushed to {self.url}" if self.pushed else f"saved in {self.folder} (not uploaded)"
        return f"{self.repo_id}: {self.mean_reward:.2f} +/- {self.std_reward:.2f} on {self.env_name}, {where}"


# ---- names -------------------------------------------------------------------------------------------
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?"
_REPO_ID_RE = re.compile(rf"^{_NAME}/{_NAME}$")


def check_repo_id(repo_id) -> str:
    """Return ``repo_id`` if it looks like ``user/name``; raise ``InvalidRepoIdError`` otherwise."""
    if (not isinstance(repo_id, str) or not _REPO_ID_RE.match(repo_id) or len(repo_id.split("/")[1]) > 96
            or ".." in repo_id or "--" in repo_id):
        raise InvalidRepoIdError(
            f"{repo_id!r} is not a Hub repo id. Write it as 'username/repo-name', e.g. "
            "'your-username/q-Taxi-v3': letters, digits, '-', '_' and '.', one '/', no spaces "
            "(your username is shown at https://huggingface.co/settings/profile).")
    return repo_id


def course_env_name(env_id: str, **env_kwargs) -> str:
    """The env name the course's model cards use, e.g. ``FrozenLake-v1-4x4-no_slippery`` or ``Taxi-v3``.

    FrozenLake gets its map size and, when not slippery, ``-no_slippery``; like Gymnasium, a FrozenLake
    made without ``is_slippery`` is slippery. Other envs keep their id.
    """
    if env_id.startswith("FrozenLake"):
        desc = env_kwargs.get("desc")
        if desc is not None:
            size = f"{len(desc)}x{len(desc[0])}"
        else:
            size = env_kwargs.get("map_name") or "4x4"
        slippery = env_kwargs.get("is_slippery", env_kwargs.get("slippery", True))
        return f"{env_id}-{size}" + ("" if slippery else "-no_slippery")
    return env_id


def env_kwargs_of(env) -> dict:
    """The keyword arguments that rebuild ``env`` (render options left out).

    FrozenLake always states ``map_name`` (or ``desc``) and ``is_slippery``, so a reloaded model never
    depends on Gymnasium's defaults. For other envs, only arguments that differ from the registered
    defaults are kept (Taxi: none).
    """
    import gymnasium as gym

    spec = getattr(env, "spec", None)
    if spec is None:
        return {}
    kwargs = {k: v for k, v in (spec.kwargs or {}).items() if not k.startswith("render")}
    if spec.id.startswith("FrozenLake"):
        out = {"map_name": kwargs.get("map_name", "4x4") if kwargs.get("desc") is None else None,
               "is_slippery": bool(kwargs.get("is_slippery", True))}
        if kwargs.get("desc") is not None:
            out["desc"] = ["".join(row) if not isinstance(row, str) else row for row in kwargs["desc"]]
        return {k: v for k, v in out.items() if v is not None}
    try:
        registered = gym.spec(spec.id).kwargs or {}
    except gym.error.Error:
        registered = {}
    return {k: v for k, v in kwargs.items() if k not in registered or registered[k] != v}


# ---- Q-learning models -------------------------------------------------------------------------------
def qlearning_model(config, qtable) -> dict:
    """The course's model dict from a ``helpers.defaults.QLearningConfig`` and a trained Q-table.

    Besides the course's keys it stores every env argument (``map_name``, ``is_slippery`` and the
    course's own ``slippery``, ``desc`` for a custom map) so ``make_env_from_model`` rebuilds the same env.
    """
    model = {
        "env_id": config.env_id,
        "max_steps": config.max_steps,
        "n_training_episodes": config.n_training_episodes,
        "n_eval_episodes": config.n_eval_episodes,
        "eval_seed": list(config.eval_seed),
        "learning_rate": config.learning_rate,
        "gamma": config.gamma,
        "max_epsilon": config.max_epsilon,
        "min_epsilon": config.min_epsilon,
        "decay_rate": config.decay_rate,
        "qtable": np.asarray(qtable),
    }
    model.update(_model_env_keys(config.env_id, dict(config.env_kwargs)))
    return model


def _model_env_keys(env_id: str, env_kwargs: dict) -> dict:
    """Env arguments as the model dict stores them: top-level keys, plus the course's ``slippery``."""
    keys = {k: v for k, v in env_kwargs.items() if not k.startswith("render")}
    if env_id.startswith("FrozenLake"):
        if "desc" not in keys:
            keys.setdefault("map_name", "4x4")
        keys.setdefault("is_slippery", True)  # what gym.make did with these kwargs
        keys["slippery"] = keys["is_slippery"]
    if keys and not env_id.startswith("FrozenLake"):
        keys["env_kwargs"] = dict(keys)
    return keys


def _stated_env_kwargs(model: Mapping) -> dict:
    """The env arguments a model dict states (course keys, the kit's keys, or an ``env_kwargs`` dict)."""
    kwargs = dict(model.get("env_kwargs") or {})
    for key in ("map_name", "desc", "is_slippery"):
        if key in model:
            kwargs[key] = model[key]
    if "is_slippery" not in kwargs and "slippery" in model:  # the course's spelling
        kwargs["is_slippery"] = model["slippery"]
    if "is_slippery" in kwargs and kwargs["is_slippery"] is not None:
        kwargs["is_slippery"] = bool(kwargs["is_slippery"])
    return kwargs


def make_env_from_model(model: Mapping, **extra):
    """Build the env a Q-learning model dict was trained on; ``extra`` adds or overrides arguments
    (e.g. ``render_mode="rgb_array"``).

    FrozenLake: the map comes from ``map_name``/``desc`` (or, for old models without either, from the
    Q-table's size: 16 states = 4x4, 64 = 8x8). Slipperiness comes from ``is_slippery`` or the course's
    ``slippery``. A FrozenLake model that states neither is refused rather than rebuilt with Gymnasium's
    default (slippery): a non-slippery agent on a slippery lake scores near 0 with no hint why. Pass
    ``is_slippery=...`` yourself for such a model.
    """
    from helpers.envs import make_env

    if "env_id" not in model:
        raise HubLoadError("This model dict has no 'env_id', so the kit cannot tell which env it is for.")
    env_id = model["env_id"]
    kwargs = _stated_env_kwargs(model)
    kwargs.update(extra)
    if env_id.startswith("FrozenLake"):
        if kwargs.get("is_slippery") is None:
            raise HubLoadError(
                f"This {env_id} model does not say whether its lake is slippery (no 'is_slippery' or "
                "'slippery' key). Gymnasium's default is slippery, which would quietly change the task. "
                "Pass it yourself: make_env_from_model(model, is_slippery=False) (or True).")
        if kwargs.get("map_name") is None and kwargs.get("desc") is None:
            states = np.asarray(model["qtable"]).shape[0] if "qtable" in model else None
            sizes = {16: "4x4", 64: "8x8"}
            if states not in sizes:
                raise HubLoadError(f"This {env_id} model names no map ('map_name' or 'desc'); pass map_name=... .")
            kwargs["map_name"] = sizes[states]
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
    return make_env(env_id, **kwargs)


def evaluate_model(model: Mapping, env=None) -> tuple[float, float]:
    """Evaluate a Q-learning model dict as the course does: greedy, its ``max_steps``,
    ``n_eval_episodes`` and ``eval_seed`` (one reset seed per episode). Returns (mean, std)."""
    from helpers import qlearning

    env = env if env is not None else make_env_from_model(model)
    seeds = list(model.get("eval_seed") or []) or None
    return qlearning.evaluate_agent(env, int(model["max_steps"]), int(model["n_eval_episodes"]),
                                    np.asarray(model["qtable"]), seeds)


# ---- the card ----------------------------------------------------------------------------------------
_RESULTS_START, _RESULTS_END = "<!-- kit:results -->", "<!-- /kit:results -->"


def card_metadata(env_name: str, kind: str, repo_name: str, mean_reward: float, std_reward: float) -> dict:
    """The model card's YAML metadata, as the course writes it (tags + a model-index entry)."""
    from huggingface_hub import metadata_eval_result

    tags = [env_name, kind, "reinforcement-learning", "custom-implementation"]
    if kind == "reinforce":
        tags.append("deep-rl-class")
    metadata = {"tags": tags}
    metadata.update(metadata_eval_result(
        model_pretty_name=repo_name,
        task_pretty_name="reinforcement-learning",
        task_id="reinforcement-learning",
        metrics_pretty_name="mean_reward",
        metrics_id="mean_reward",
        metrics_value=f"{mean_reward:.2f} +/- {std_reward:.2f}",
        dataset_pretty_name=env_name,
        dataset_id=env_name,
    ))
    return metadata


def _kit_url() -> str:
    try:
        from helpers.location import GITHUB_REPO
    except ImportError:  # pragma: no cover - the location module is part of the kit
        GITHUB_REPO = "deep-rl-kit/deep-rl-course-kit"
    return f"https://github.com/{GITHUB_REPO}"


def _results_section(results: dict) -> str:
    from helpers.provenance import describe
    from helpers.scoring import pass_line

    ev = results["evaluation"]
    if ev.get("seeding") == "one reset seed per episode":
        seeds = "the course's fixed reset seeds"
    elif ev.get("seeds"):
        seeds = f"the first reset seeded with {ev['seeds'][0]}"
    else:
        seeds = "unseeded resets"
    who = describe(results.get("trained_with"))
    who = f" The agent was {who}." if who else ""
    return (f"{_RESULTS_START}\n## Evaluation\n\n"
            f"`{pass_line(results['env_name'], results['mean_reward'], results['std_reward'], results.get('trained_with'))}`"
            f"\n\nMean reward {results['mean_reward']:.2f} +/- {results['std_reward']:.2f} over "
            f"{results['n_eval_episodes']} episodes ({ev['policy']} actions, at most {ev['max_steps']} steps, "
            f"{seeds}), evaluated {results['eval_datetime']}. The score is mean - std.{who}\n{_RESULTS_END}")


def _card_body(kind: str, repo_id: str, results: dict, hyperparameters: dict | None, video: bool = True) -> str:
    env_name, env_id = results["env_name"], results["env_id"]
    if kind == "q-learning":
        title = f"Q-learning agent playing {env_name}"
        about = (f"A tabular Q-learning agent for **{env_name}**, trained with the "
                 f"[Deep RL course kit]({_kit_url()}) (Hugging Face Deep RL course, unit 2).")
        usage = (
            "from helpers.hub import load_from_hub, make_env_from_model, evaluate_model\n\n"
            f'model = load_from_hub(repo_id="{repo_id}", filename="{QLEARNING_FILE}")\n'
            "env = make_env_from_model(model)  # the same env: map, slipperiness...\n"
            "mean_reward, std_reward = evaluate_model(model, env)\n"
            'print(f"{mean_reward:.2f} +/- {std_reward:.2f}")')
    else:
        title = f"REINFORCE agent playing {env_name}"
        about = (f"A policy-gradient (REINFORCE) agent for **{env_name}**, trained with the "
                 f"[Deep RL course kit]({_kit_url()}) (Hugging Face Deep RL course, unit 4).")
        ev = results["evaluation"]
        usage = (
            "from helpers import reinforce\nfrom helpers.envs import make_env\n"
            "from helpers.hub import load_from_hub\n\n"
            f'policy = load_from_hub(repo_id="{repo_id}", filename="{POLICY_FILE}")\n'
            f'env = make_env("{env_id}"{"".join(f", {k}={v!r}" for k, v in results["env_kwargs"].items())})\n'
            f"mean_reward, std_reward = reinforce.evaluate_agent(env, {ev['max_steps']}, "
            f"{results['n_eval_episodes']}, policy, greedy={ev['policy'] == 'greedy'}"
            + (f", seed={ev['seeds'][0]})\n" if ev.get("seeds") else ")\n")
            + 'print(f"{mean_reward:.2f} +/- {std_reward:.2f}")')
    files = ("`q-learning.pkl` (the course's model dict: hyperparameters, env arguments and Q-table)"
             if kind == "q-learning" else
             "`model.pt` (weights and layer sizes, loadable with `torch.load(weights_only=True)`), "
             "`hyperparameters.json`")
    return (f"\n# {title}\n\n{about}\n\n{_results_section(results)}\n\n## Usage\n\n```python\n{usage}\n```\n\n"
            f"`load_from_hub` comes from the kit; it loads the model without running code from the file.\n\n"
            f"Files: {files}, `results.json` (the evaluation)"
            + (", `replay.mp4` (one episode).\n" if video else ".\n"))


def _write_card(path: Path, metadata: dict, body: str | None, existing: str | None) -> None:
    """Write README.md: ``existing`` keeps its text (only the kit's results section is refreshed)
    and gets its metadata updated; otherwise ``body`` under ``metadata``."""
    from huggingface_hub import metadata_load, metadata_save

    if existing is None:
        path.write_text(body or "", encoding="utf-8")
        metadata_save(path, metadata)
        return
    path.write_text(existing, encoding="utf-8")
    old = metadata_load(path) or {}
    merged = dict(old)
    merged["tags"] = list(metadata["tags"]) + [t for t in (old.get("tags") or []) if t not in metadata["tags"]]
    merged["model-index"] = metadata["model-index"]
    metadata_save(path, merged)
    if body is not None:
        text = path.read_text(encoding="utf-8")
        new_section = re.search(re.escape(_RESULTS_START) + ".*?" + re.escape(_RESULTS_END), body, re.S)
        old_section = re.search(re.escape(_RESULTS_START) + ".*?" + re.escape(_RESULTS_END), text, re.S)
        if new_section and old_section:
            text = text[:old_section.start()] + new_section.group(0) + text[old_section.end():]
            path.write_text(text, encoding="utf-8")


# ---- push ----------------------------------------------------------------------------------------------
def _is_policy(model) -> bool:
    return not isinstance(model, Mapping) and hasattr(model, "state_dict")


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def _render_env(env_id: str, env_kwargs: dict):
    from helpers.envs import make_env

    return make_env(env_id, **{**env_kwargs, "render_mode": "rgb_array"})


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def push_to_hub(repo_id: str, model, env=None, eval_env=None, video_fps: int | None = None, *,
                hyperparameters: Mapping | None = None, token: str | None = None, endpoint: str | None = None,
                private: bool | None = None, dry_run: bool = False, local_dir=None, export_root=EXPORT_ROOT,
                record: bool = True, greedy: bool | None = None, eval_seed=None, trained_with: Mapping | None = None,
                commit_message: str | None = None, local_repo_path=None) -> PushResult:
    """Evaluate ``model`` once, save its repo files locally, and upload them to ``repo_id``.

    Course call shapes (positional or keyword):
      * ``push_to_hub(repo_id, model, env, video_fps=1)``: ``model`` is the Q-learning dict (see
        ``qlearning_model``); ``env`` the env it is evaluated on (built from the dict when omitted).
      * ``push_to_hub(repo_id, policy, hyperparameters, eval_env, video_fps=30)``: a REINFORCE policy,
        the course's hyperparameter dict (``env_id``, ``max_t``, ``n_evaluation_episodes``...) and the
        evaluation env. ``greedy``/``eval_seed`` choose the evaluation protocol (default: greedy). Any
        policy built from ``nn.Linear`` layers with ReLU between them is saved as a ``PolicyNetwork``.

    ``trained_with`` (from ``helpers.provenance.trained_with``) says whose code trained the agent; it goes
    into ``results.json``, the pass line and the card.

    The files go to ``export_root/<repo name>/`` before any network step. ``dry_run=True`` or
    ``local_dir=FOLDER`` writes the folder (to ``local_dir`` if given) and uploads nothing: a way to see
    the card without an account. ``token`` defaults to the saved login / ``HF_TOKEN`` (on Kaggle, the
    ``HF_TOKEN`` secret); ``endpoint`` to ``HF_ENDPOINT`` or huggingface.co. ``record=False`` skips the
    video. Returns a ``PushResult``; raises ``HubPushError`` (with what to do) when the upload fails.
    """
    check_repo_id(repo_id)
    del local_repo_path  # the course's argument: the kit never keeps a git clone
    if isinstance(env, Mapping) and hyperparameters is None:  # push_to_hub(repo, policy, hyperparameters, ...)
        hyperparameters, env = env, None
    if isinstance(eval_env, (int, float)) and video_fps is None:  # push_to_hub(repo, model, env, 1)
        video_fps, eval_env = eval_env, None
    env = env if env is not None else eval_env
    repo_name = repo_id.split("/")[1]

    with tempfile.TemporaryDirectory(prefix="hub-push-") as tmp:
        staging = Path(tmp)
        if _is_policy(model):
            kind, results, hp = "reinforce", *_stage_policy(staging, model, hyperparameters, env, greedy, eval_seed)
            fps = video_fps or 30
        elif isinstance(model, Mapping):
            kind, hp = "q-learning", None
            results = _stage_qlearning(staging, model, env)
            fps = video_fps or 1
        else:
            raise TypeError(f"push_to_hub expects the Q-learning model dict or a torch policy, got {type(model).__name__}.")
        results["repo_id"] = repo_id
        if trained_with is not None:
            results["trained_with"] = dict(trained_with)
        video = results.pop("_video")
        (staging / "results.json").write_text(json.dumps(results, indent=2, default=_json_default) + "\n")
        if record:
            _record_replay(staging / "replay.mp4", model, results, video, fps)
        metadata = card_metadata(results["env_name"], kind, repo_name, results["mean_reward"], results["std_reward"])
        body = _card_body(kind, repo_id, results, hp, video=(staging / "replay.mp4").exists())
        _write_card(staging / "README.md", metadata, body, None)

        folder = Path(local_dir) if local_dir is not None else Path(export_root) / repo_name
        _replace_kit_files(staging, folder)
    files = sorted(p.name for p in folder.iterdir() if p.name in KIT_FILES)
    result = PushResult(repo_id, folder, results["mean_reward"], results["std_reward"], results["env_name"],
                        pushed=False, files=files)
    from helpers.scoring import pass_line

    print(pass_line(results["env_name"], results["mean_reward"], results["std_reward"], results.get("trained_with")))
    if dry_run or local_dir is not None:
        print(f"Dry run: the repo's files are in {folder}/ ({', '.join(files)}); nothing was uploaded.")
        return result
    print(f"Saved the repo's files in {folder}/ (kept even if the upload fails).")
    result.url = _upload(folder, repo_id, metadata=metadata, body=(folder / "README.md").read_text(encoding="utf-8"),
                         token=token, endpoint=endpoint, private=private, commit_message=commit_message)
    result.pushed = True
    return result


def _stage_qlearning(staging: Path, model: Mapping, env) -> dict:
    import pickle

    from helpers import qlearning

    missing = [k for k in ("env_id", "max_steps", "n_eval_episodes", "qtable") if k not in model]
    if missing:
        raise ValueError(f"The Q-learning model dict lacks {missing}: build it with "
                         "helpers.hub.qlearning_model(config, qtable) or add the course's keys.")
    model = dict(model)
    model["qtable"] = np.asarray(model["qtable"])
    stated = _stated_env_kwargs(model)
    if env is not None:
        actual = env_kwargs_of(env)
        spec_id = getattr(getattr(env, "spec", None), "id", model["env_id"])
        if spec_id != model["env_id"]:
            raise ValueError(f"The model says env_id={model['env_id']!r} but the env is {spec_id!r}.")
        clash = {k: (stated[k], v) for k, v in actual.items() if k in stated and stated[k] != v}
        if clash:
            raise ValueError(f"The model dict and the env disagree on {clash} (model, env): the card would "
                             "describe another env than the one evaluated. Fix the dict or pass the right env.")
        model.update(_model_env_keys(model["env_id"], {**stated, **actual}))
    else:
        env = make_env_from_model(model)
        model.update(_model_env_keys(model["env_id"], env_kwargs_of(env)))
    env_kwargs = env_kwargs_of(env)
    seeds = list(model.get("eval_seed") or []) or None
    mean, std = qlearning.evaluate_agent(env, int(model["max_steps"]), int(model["n_eval_episodes"]),
                                         model["qtable"], seeds)
    with open(staging / QLEARNING_FILE, "wb") as f:
        pickle.dump(model, f, protocol=4)  # the course's format; protocol 4 loads on every Python 3.8+
    return _results(model["env_id"], env_kwargs, mean, std, int(model["n_eval_episodes"]),
                    {"policy": "greedy", "max_steps": int(model["max_steps"]), "seeds": seeds,
                     "seeding": "one reset seed per episode" if seeds else "none"},
                    video={"env_kwargs": env_kwargs, "qtable": True, "seed": seeds[0] if seeds else None})


def _stage_policy(staging: Path, policy, hyperparameters, env, greedy, eval_seed):
    import torch

    from helpers import reinforce

    hp = dict(hyperparameters or {})
    env_id = hp.get("env_id") or getattr(getattr(env, "spec", None), "id", None)
    if env_id is None:
        raise ValueError("Pass the evaluation env (eval_env=...) or put 'env_id' in the hyperparameters.")
    hp.setdefault("env_id", env_id)
    if env is None:
        from helpers.envs import make_env

        env = make_env(env_id)
    max_steps = int(hp.get("max_t", hp.get("max_steps", 1000)))
    n_eval = int(hp.get("n_evaluation_episodes", hp.get("n_eval_episodes", 10)))
    net = reinforce.export_network(policy)  # the one saved format: anyone can rebuild it without code
    greedy_used = True if greedy is None else bool(greedy)
    mean, std = reinforce.evaluate_agent(env, max_steps, n_eval, net, greedy=greedy_used,
                                         seed=None if eval_seed is None else int(eval_seed))
    state = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
    torch.save({"format": POLICY_FORMAT, "architecture": net.architecture, "state_dict": state}, staging / POLICY_FILE)
    (staging / "hyperparameters.json").write_text(json.dumps(hp, indent=2, default=_json_default) + "\n")
    env_kwargs = env_kwargs_of(env)
    results = _results(env_id, env_kwargs, mean, std, n_eval,
                       {"policy": "greedy" if greedy_used else "sampling", "max_steps": max_steps,
                        "seeds": [int(eval_seed)] if eval_seed is not None else None,
                        "seeding": "first reset and action sampling seeded" if eval_seed is not None else "none"},
                       video={"env_kwargs": env_kwargs, "greedy": greedy_used, "seed": eval_seed})
    return results, hp


def _results(env_id, env_kwargs, mean, std, n_eval, evaluation, video) -> dict:
    from helpers.scoring import PASS_MARKS

    env_name = course_env_name(env_id, **env_kwargs)
    mark = PASS_MARKS.get(env_name)
    result = float(mean) - float(std)
    return {"env_id": env_id, "env_name": env_name, "env_kwargs": env_kwargs,
            "mean_reward": float(mean), "std_reward": float(std), "result": result,
            "n_eval_episodes": n_eval, "eval_datetime": _now(), "evaluation": evaluation,
            "pass_mark": mark, "passed": None if mark is None else bool(result >= mark),
            "_video": video}


def _record_replay(path: Path, model, results: dict, video: dict, fps: int) -> None:
    from helpers.video import record_video

    try:
        env = _render_env(results["env_id"], video["env_kwargs"])
        if isinstance(model, Mapping):
            policy = np.asarray(model["qtable"])
            max_steps = results["evaluation"]["max_steps"]
        else:
            from helpers.reinforce import choose_action

            def policy(state, _p=model):  # the action the evaluation protocol plays
                return choose_action(_p, state, greedy=video["greedy"])
            max_steps = None
        record_video(env, policy, path, fps=fps, max_steps=max_steps, seed=video["seed"])
        env.close()
    except Exception as err:  # a missing video must not cost the learner the push
        path.unlink(missing_ok=True)
        warnings.warn(f"Could not record replay.mp4 ({type(err).__name__}: {err}); the push goes on without it.",
                      stacklevel=3)


def _replace_kit_files(staging: Path, folder: Path) -> None:
    """Put the staged files in ``folder``: the kit's files from an earlier export are replaced, anything
    else there is left alone (and never uploaded)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in KIT_FILES:
        (folder / name).unlink(missing_ok=True)
    for item in staging.iterdir():
        if item.name in KIT_FILES:
            shutil.copy2(item, folder / item.name)


def _endpoint(endpoint: str | None) -> str | None:
    # HF_ENDPOINT is read at call time too, so setting it in a running notebook takes effect.
    return endpoint or os.environ.get("HF_ENDPOINT") or None


def _resolve_token(token: str | None) -> str | None:
    from huggingface_hub import get_token

    from helpers import runtime

    if token:
        return token
    runtime.load_kaggle_token()
    return get_token()


def _offline() -> bool:
    from huggingface_hub import constants

    check = getattr(constants, "is_offline_mode", None)
    return bool(check() if check else getattr(constants, "HF_HUB_OFFLINE", False))


def retry_push(folder, repo_id: str, *, token: str | None = None, endpoint: str | None = None,
               private: bool | None = None, commit_message: str | None = None) -> str:
    """Upload a folder that an earlier ``push_to_hub`` saved (no retraining, no re-evaluation).
    Returns the repo's URL; raises ``HubPushError`` like ``push_to_hub``."""
    check_repo_id(repo_id)
    folder = Path(folder)
    if not (folder / "README.md").exists():
        raise HubPushError(f"{folder} holds no README.md: it is not a folder written by push_to_hub.",
                           repo_id=repo_id, folder=folder)
    from huggingface_hub import metadata_load

    metadata = metadata_load(folder / "README.md") or {}
    return _upload(folder, repo_id, metadata=metadata, body=(folder / "README.md").read_text(encoding="utf-8"),
                   token=token, endpoint=endpoint, private=private, commit_message=commit_message)


def _upload(folder: Path, repo_id: str, *, metadata: dict, body: str, token, endpoint, private, commit_message) -> str:
    from huggingface_hub import HfApi, hf_hub_download

    retry = f"retry_push({str(folder)!r}, {repo_id!r})"
    kept = f"Your model is saved in {folder}/ ; once fixed, upload it without retraining: {retry}."
    if _offline():
        raise HubPushError(f"Offline mode is on (HF_HUB_OFFLINE=1), so nothing was uploaded. Unset it "
                           f"(os.environ.pop('HF_HUB_OFFLINE') and restart the kernel) when you are online. {kept}",
                           repo_id=repo_id, folder=folder)
    token = _resolve_token(token)
    if not token:
        from helpers import runtime

        raise HubPushError("You are not logged in to the Hugging Face Hub, so nothing was uploaded. "
                           f"{runtime.login_hint()} {kept}", repo_id=repo_id, folder=folder)
    endpoint = _endpoint(endpoint)
    api = HfApi(endpoint=endpoint, token=token)
    files = [p.name for p in folder.iterdir() if p.name in KIT_FILES]
    try:
        url = str(api.create_repo(repo_id, exist_ok=True, private=private))
        # An existing card keeps its text: fetch it into a temporary folder (never the Hub cache).
        with tempfile.TemporaryDirectory(prefix="hub-card-") as tmp:
            try:
                existing = Path(hf_hub_download(repo_id, "README.md", local_dir=tmp, token=token,
                                                endpoint=endpoint)).read_text(encoding="utf-8")
            except Exception as err:  # no card yet: EntryNotFoundError (its name varies across versions)
                if _status(err) != 404 and "EntryNotFound" not in type(err).__name__:
                    raise
                existing = None
        if existing is not None and existing != body:
            staged_body = body if _RESULTS_START in body else None
            _write_card(folder / "README.md", metadata, staged_body, existing)
        api.upload_folder(repo_id=repo_id, folder_path=str(folder), allow_patterns=files,
                          commit_message=commit_message or "Upload agent with the Deep RL course kit")
    except Exception as err:
        raise _push_error(err, repo_id, folder, kept, api) from (None if _known(err) else err)
    url = url if url.startswith("http") else f"{endpoint or 'https://huggingface.co'}/{repo_id}"
    print(f"Pushed to {url}")
    return url


def _status(err) -> int | None:
    response = getattr(err, "response", None)
    return getattr(response, "status_code", None)


def _known(err) -> bool:
    name = type(err).__name__
    return _status(err) is not None or "Offline" in name or "Connect" in name or "Timeout" in name or isinstance(err, OSError)


def _push_error(err, repo_id: str, folder: Path, kept: str, api) -> HubPushError:
    status = _status(err)
    name = type(err).__name__
    user = repo_id.split("/")[0]
    if "Offline" in name:
        why = "Offline mode is on (HF_HUB_OFFLINE=1), so nothing was uploaded."
    elif status == 401:
        why = (f"The Hub refused your token (401 Unauthorized): it is missing, mistyped, expired or revoked. "
               f"Create a token with WRITE access at {TOKENS_URL} and log in again (notebook_login(), "
               "`hf auth login`, or the HF_TOKEN secret).")
    elif status == 403:
        who = ""
        try:
            info = api.whoami()
            role = (info.get("auth", {}).get("accessToken", {}) or {}).get("role")
            who = f" You are logged in as {info.get('name')!r}" + (f" with a {role!r} token." if role else ".")
        except Exception:
            pass
        why = (f"The Hub refused to let this token write to {repo_id} (403 Forbidden).{who} Pushing needs a "
               f"token with WRITE access (a 'read' token is refused): create one at {TOKENS_URL}. Also check "
               f"that {user!r} is your username (or an organisation you may write to).")
    elif status == 404:
        why = f"The Hub answered 404 Not Found for {repo_id}: check the username part of the repo id."
    elif status is not None and (status >= 500 or status == 429):
        why = f"The Hub had a problem ({status}); this is not your fault. Wait a minute and try again."
    elif status is not None:
        why = f"The Hub refused the upload ({status}): {err}"
    elif "Connect" in name or "Timeout" in name or isinstance(err, OSError):
        why = ("Could not reach the Hub (no internet connection?). On Kaggle, switch Internet on in the "
               "notebook's settings.")
    else:
        why = f"The upload failed: {name}: {err}"
    return HubPushError(f"{why} {kept}", repo_id=repo_id, folder=folder, status=status, cause=err)


# ---- load ----------------------------------------------------------------------------------------------
def load_from_hub(repo_id: str, filename: str = QLEARNING_FILE, *, revision: str | None = None,
                  token: str | None = None, endpoint: str | None = None, cache_dir=None,
                  local_files_only: bool = False, policy_class=None):
    """Download ``filename`` from ``repo_id`` and load it without running code from it.

    * ``*.pkl``: a course Q-learning model dict, unpickled by ``helpers.safe_pickle`` (only numbers,
      strings, containers and NumPy arrays; anything else is refused by name). Old course models
      (NumPy 1.x pickles) load unchanged.
    * ``*.pt``: a policy pushed by the kit, loaded weights-only and rebuilt as ``policy_class``
      (default ``helpers.reinforce.PolicyNetwork``), ready to evaluate.
    * ``*.json``: the parsed JSON.
    The download goes through the library's cache (``HF_HUB_CACHE``); offline (``HF_HUB_OFFLINE=1``) it
    is served from there.
    """
    check_repo_id(repo_id)
    from huggingface_hub import hf_hub_download

    try:
        path = hf_hub_download(repo_id, filename, revision=revision, token=token, endpoint=_endpoint(endpoint),
                               cache_dir=cache_dir, local_files_only=local_files_only)
    except Exception as err:
        raise _load_error(err, repo_id, filename) from (None if _known(err) or "NotFound" in type(err).__name__ else err)
    return load_model_file(path, policy_class=policy_class)


def _load_error(err, repo_id: str, filename: str) -> HubLoadError:
    name, status = type(err).__name__, _status(err)
    if "LocalEntryNotFound" in name or "Offline" in name:
        why = (f"{filename!r} of {repo_id!r} is not in the local Hub cache and the Hub cannot be reached "
               "(offline mode or no internet). Connect, or unset HF_HUB_OFFLINE, and try again.")
    elif "RepositoryNotFound" in name or (status in (401, 404) and "Entry" not in name and "Revision" not in name):
        why = (f"There is no model repo {repo_id!r} on the Hub (or it is private or gated): check the spelling, "
               "e.g. 'ThomasSimonini/q-Taxi-v3'.")
    elif "EntryNotFound" in name:
        why = f"The repo {repo_id!r} has no file {filename!r}: check the file name on the repo's 'Files' tab."
    elif "RevisionNotFound" in name:
        why = f"The repo {repo_id!r} has no such revision."
    elif status is not None:
        why = f"The Hub answered {status} for {repo_id}/{filename}: {err}"
    else:
        why = f"Could not download {filename!r} from {repo_id!r}: {name}: {err}"
    return HubLoadError(why)


def load_model_file(path, *, policy_class=None):
    """Load a model file that is already on disk, by its extension (see ``load_from_hub``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".pkl", ".pickle"):
        from helpers.safe_pickle import safe_load

        with open(path, "rb") as f:
            model = safe_load(f, source=path.name)
        if isinstance(model, dict) and "qtable" in model:
            model["qtable"] = np.asarray(model["qtable"])
        return model
    if suffix in (".pt", ".pth"):
        return _load_policy(path, policy_class)
    if suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))
    raise HubLoadError(f"Don't know how to load {path.name!r} safely: the kit loads .pkl (Q-learning models), "
                       ".pt (policies pushed by the kit) and .json files.")


def _load_policy(path: Path, policy_class=None):
    import pickle

    import torch

    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, AttributeError, TypeError) as err:
        raise HubLoadError(
            f"{path.name} is not a weights-only file. The course's unit 4 saved the whole module "
            "(torch.save(model)); loading that would run code from the file, so the kit refuses it. Ask the "
            "author to re-push with the kit, or, if you trust the file, load it yourself with "
            f"torch.load(path, weights_only=False). ({type(err).__name__})") from None
    if isinstance(saved, Mapping) and "state_dict" in saved and "architecture" in saved:
        arch, state = dict(saved["architecture"]), saved["state_dict"]
    else:
        raise HubLoadError(f"{path.name} holds no layer sizes ('architecture'): it was not pushed by the kit. "
                           "Build your Policy yourself and use policy.load_state_dict(torch.load(path, "
                           "weights_only=True)).")
    if policy_class is None:
        from helpers.reinforce import PolicyNetwork as policy_class
    policy = policy_class(**arch)
    policy.load_state_dict(state)
    policy.eval()
    return policy
