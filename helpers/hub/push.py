"""``push_to_hub``: evaluate an agent once, save its repo files locally, then upload them.

The course calls it two ways, and each way has its own function here:

    push_to_hub(repo_id, model, env, video_fps=1)                          # unit 2 -> push_qlearning
    push_to_hub(repo_id, policy, hyperparameters, eval_env, video_fps=30)  # unit 4 -> push_policy

Both stage the agent's files (model, results.json, replay.mp4, README.md) in a temporary folder and
hand them to ``publish``, which copies them to ``hub_exports/<repo name>/`` (so the model is saved
before any network step) and uploads them in one commit; ``retry_push`` uploads such a folder later.
The export folder holds regular files only (``helpers.hub.folder``).
"""
from __future__ import annotations

import datetime as _dt
import json
import pickle
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helpers.arguments import mapping, module, number, path
from helpers.errors import KitArgumentError
from helpers.i18n import _

from helpers.hub.card import RESULTS_START, card_body, card_metadata, write_card
from helpers.hub import client as hub
from helpers.hub.errors import HubLoadError, HubPushError, card_error, check_repo_id, push_error
from helpers.hub.folder import MANIFEST, ExportFolder, export
from helpers.hub.models import (POLICY_FILE, QLEARNING_FILE, course_env_name, env_kwargs_of, eval_protocol,
                                make_env_from_model, model_env_keys, stated_env_kwargs)

EXPORT_ROOT = "hub_exports"


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
        values = dict(repo_id=self.repo_id, mean=self.mean_reward, std=self.std_reward, env_name=self.env_name)
        if self.pushed:
            return _("{repo_id}: {mean:.2f} +/- {std:.2f} on {env_name}, pushed to {url}", url=self.url, **values)
        return _("{repo_id}: {mean:.2f} +/- {std:.2f} on {env_name}, saved in {folder} (not uploaded)",
                 folder=self.folder, **values)


def push_to_hub(repo_id: str, model, *args, **kwargs) -> PushResult:
    """Push a trained agent: a Q-learning model dict goes to ``push_qlearning``, a torch policy to
    ``push_policy`` (see those for the arguments; both take ``publish``'s keyword options)."""
    if isinstance(model, Mapping):
        return push_qlearning(repo_id, model, *args, **kwargs)
    if hasattr(model, "state_dict"):
        return push_policy(repo_id, model, *args, **kwargs)
    raise KitArgumentError(_("model is a {type}: push_to_hub takes the Q-learning model dict or a torch policy.",
                             type=type(model).__name__))


def push_qlearning(repo_id: str, model: Mapping, env=None, video_fps: int = 1, local_repo_path=None,
                   **options) -> PushResult:
    """Push a course Q-learning model dict (see ``helpers.hub.qlearning_model``), evaluated greedily on
    ``env`` (built from the dict when omitted) with its own ``max_steps``, ``n_eval_episodes`` and
    ``eval_seed``. ``local_repo_path`` is the course's argument; the kit keeps no git clone."""
    from helpers import provenance, qlearning

    check_repo_id(repo_id), number("video_fps", video_fps, above=0)
    missing = [k for k in ("env_id", "max_steps", "n_eval_episodes", "qtable") if k not in model]
    if missing:
        raise ValueError(_("The Q-learning model dict lacks {missing}: build it with "
                           "helpers.hub.qlearning_model(config, qtable) or add the course's keys.", missing=missing))
    try:  # checked before anything runs: n_eval_episodes=0 would "evaluate" to NaN
        max_steps, n_eval, seeds = eval_protocol(model)
    except HubLoadError as err:
        raise ValueError(str(err)) from None
    model = dict(model) | {"qtable": np.asarray(model["qtable"])}
    env = _check_env_matches(model, env) if env is not None else make_env_from_model(model)
    env_kwargs = env_kwargs_of(env)
    model.update(model_env_keys(model["env_id"], stated_env_kwargs(model) | env_kwargs))
    options.setdefault("trained_with", provenance.recall(model["qtable"]))  # set when the learner's train made it
    mean, std = qlearning.evaluate_agent(env, max_steps, n_eval, model["qtable"], seeds)
    evaluation = {"policy": "greedy", "max_steps": max_steps, "seeds": seeds,
                  "seeding": "one reset seed per episode" if seeds else "none"}

    with tempfile.TemporaryDirectory(prefix="hub-push-") as tmp:
        staging = Path(tmp)
        with open(staging / QLEARNING_FILE, "wb") as f:
            pickle.dump(model, f, protocol=4)  # the course's format; protocol 4 loads on every Python 3.8+
        np.save(staging / "qtable.npy", np.asarray(model["qtable"], dtype=np.float64), allow_pickle=False)  # no pickle
        results = _results(repo_id, model["env_id"], env_kwargs, mean, std, n_eval, evaluation)
        replay = lambda path: _record_replay(path, results, model["qtable"], max_steps, seeds[0] if seeds else None,
                                             video_fps)
        return publish(staging, "q-learning", results, replay, **options)


def push_policy(repo_id: str, policy, hyperparameters: Mapping | None = None, eval_env=None,
                video_fps: int = 30, *, greedy: bool | None = True, eval_seed: int | None = None,
                **options) -> PushResult:
    """Push a REINFORCE policy with the course's hyperparameter dict (``env_id``, ``max_t``,
    ``n_evaluation_episodes``...), evaluated on ``eval_env`` (built from ``env_id`` when omitted).

    ``greedy``/``eval_seed`` are the evaluation protocol (``helpers.reinforce.evaluate_agent``'s); the
    replay plays the same protocol. Any policy built from ``nn.Linear`` layers with one activation between
    them (ReLU, tanh, ELU...) is saved as ``model.safetensors`` (weights, and the architecture as JSON).
    """
    from helpers import provenance, reinforce
    from helpers.policies import export_network, save_policy  # torch: imported only when a policy is pushed

    check_repo_id(repo_id), module("policy", policy), number("video_fps", video_fps, above=0)
    mapping("hyperparameters", hyperparameters)
    hp = dict(hyperparameters or {})
    env_id = hp.get("env_id") or getattr(getattr(eval_env, "spec", None), "id", None)
    if env_id is None:
        raise ValueError(_("Pass the evaluation env (eval_env=...) or put 'env_id' in the hyperparameters."))
    hp.setdefault("env_id", env_id)
    if eval_env is None:
        from helpers.envs import make_env

        eval_env = make_env(env_id)
    max_steps = int(hp.get("max_t", hp.get("max_steps", 1000)))
    n_eval = int(hp.get("n_evaluation_episodes", hp.get("n_eval_episodes", 10)))
    if n_eval < 1 or max_steps < 1:
        raise ValueError(_("Evaluating needs at least one episode of at least one step; the hyperparameters say "
                           "n_evaluation_episodes={n_eval}, max_t={max_steps}. Set them to positive numbers (the "
                           "course uses 10 episodes of 1000 steps for CartPole).", n_eval=n_eval, max_steps=max_steps))
    seed = None if eval_seed is None else int(eval_seed)
    greedy = True if greedy is None else bool(greedy)
    options.setdefault("trained_with", provenance.recall(policy))  # set when reinforce or train_batched trained it
    net = export_network(policy)  # the one saved format: anyone can rebuild it without code
    mean, std = reinforce.evaluate_agent(eval_env, max_steps, n_eval, net, greedy=greedy, seed=seed)
    evaluation = {"policy": "greedy" if greedy else "sampling", "max_steps": max_steps,
                  "seeds": None if seed is None else [seed],
                  "seeding": "first reset and action sampling seeded" if seed is not None else "none"}

    with tempfile.TemporaryDirectory(prefix="hub-push-") as tmp:
        staging = Path(tmp)
        save_policy(net, staging / POLICY_FILE)
        _write_json(staging / "hyperparameters.json", hp)
        results = _results(repo_id, env_id, env_kwargs_of(eval_env), mean, std, n_eval, evaluation)
        if net.obs_features:  # the input transform the card's plain-PyTorch code applies first
            results["obs_features"] = net.obs_features

        def policy_fn(state, _net=net):  # the action the evaluation protocol plays
            return reinforce.choose_action(_net, state, greedy=greedy)

        replay = lambda path: _record_replay(path, results, policy_fn, None, seed, video_fps)
        return publish(staging, "reinforce", results, replay, **options)


def publish(staging: Path, kind: str, results: dict, replay, *, token: str | None = None,
            endpoint: str | None = None, private: bool | None = None, dry_run: bool = False, local_dir=None,
            export_root=EXPORT_ROOT, record: bool = True, trained_with: Mapping | None = None,
            commit_message: str | None = None) -> PushResult:
    """Finish the staged repo (results.json, replay, card), save it locally, then upload it.

    ``trained_with`` (``helpers.provenance.trained_with``) says whose code trained the agent: it goes into
    results.json, the pass line and the card. The files go to ``export_root/<repo name>/`` (or
    ``local_dir``) before any network step; ``dry_run=True`` or ``local_dir`` stops there. ``token``
    defaults to the saved login / ``HF_TOKEN`` (on Kaggle, the ``HF_TOKEN`` secret); ``endpoint`` to
    ``HF_ENDPOINT`` or huggingface.co. ``record=False`` skips the video.
    """
    from helpers.hub.progress import checker_verdict
    from helpers.scoring import pass_line

    repo_id = results["repo_id"]
    if trained_with is not None:
        results["trained_with"] = dict(trained_with)
    _write_json(staging / "results.json", results)
    if record:
        replay(staging / "replay.mp4")
    metadata = card_metadata(results["env_name"], kind, repo_id.split("/")[1], results["mean_reward"],
                             results["std_reward"])
    write_card(staging / "README.md", metadata, card_body(kind, repo_id, results, video=(staging / "replay.mp4").exists()))
    folder = Path(local_dir) if local_dir is not None else Path(export_root) / repo_id.split("/")[1]
    box = export(staging, folder, repo_id, guard=local_dir is not None)  # kept open: the upload reads these files

    files = sorted(box.manifest() or [])
    result = PushResult(repo_id, folder, results["mean_reward"], results["std_reward"], results["env_name"],
                        pushed=False, files=files)
    print(pass_line(results["env_name"], results["mean_reward"], results["std_reward"], results.get("trained_with")))
    print(_("Saved in {folder}/: {files}, and the model card README.md.", folder=folder,
            files=", ".join(f for f in files if f != "README.md")))
    if dry_run or local_dir is not None:
        print(checker_verdict(box.read("README.md").decode("utf-8")))
        box.close()
        print(_("Dry run: nothing was uploaded."))
        return result
    result.url = upload(box, repo_id, token=token, endpoint=endpoint, private=private,
                        commit_message=commit_message)
    result.pushed = True
    return result


def _check_env_matches(model: dict, env):
    """The env passed with a Q-learning model must be the one the model describes."""
    spec_id = getattr(getattr(env, "spec", None), "id", model["env_id"])
    if spec_id != model["env_id"]:
        raise ValueError(_("The model says env_id={model_env!r} but the env is {env!r}.", model_env=model["env_id"],
                           env=spec_id))
    stated, actual = stated_env_kwargs(model), env_kwargs_of(env)
    clash = {k: (stated[k], v) for k, v in actual.items() if k in stated and stated[k] != v}
    if clash:
        raise ValueError(_("The model dict and the env disagree on {clash} (model, env): the card would "
                           "describe another env than the one evaluated. Fix the dict or pass the right env.",
                           clash=clash))
    return env


def _results(repo_id, env_id, env_kwargs, mean, std, n_eval, evaluation) -> dict:
    from helpers.scoring import PASS_MARKS, check_scores

    env_name = course_env_name(env_id, **env_kwargs)
    try:
        mean, std = check_scores(mean, std, _("Evaluating {repo_id} on {env_name}", repo_id=repo_id,
                                                                 env_name=env_name))
    except ValueError as err:
        raise ValueError(_("{error} Nothing was saved.", error=err)) from None
    mark = PASS_MARKS.get(env_name)
    result = float(mean) - float(std)
    return {"env_id": env_id, "env_name": env_name, "env_kwargs": env_kwargs,
            "mean_reward": float(mean), "std_reward": float(std), "result": result,
            "n_eval_episodes": n_eval, "eval_datetime": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "evaluation": evaluation, "pass_mark": mark, "passed": None if mark is None else bool(result >= mark),
            "repo_id": repo_id}


def _write_json(path: Path, data) -> None:
    def plain(obj):
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        return str(obj)

    path.write_text(json.dumps(data, indent=2, default=plain) + "\n")


def _record_replay(path: Path, results: dict, policy, max_steps, seed, fps: int) -> None:
    """One episode as the evaluation plays it; a failure costs the video, never the push."""
    from helpers.envs import make_env
    from helpers.video import record_video

    try:
        env = make_env(results["env_id"], **{**results["env_kwargs"], "render_mode": "rgb_array"})
        record_video(env, policy, path, fps=fps, max_steps=max_steps, seed=seed)
        env.close()
    except Exception as err:
        path.unlink(missing_ok=True)
        warnings.warn(_("Could not record replay.mp4 ({error}: {text}); the push goes on without it.",
                        error=type(err).__name__, text=err), stacklevel=3)


# ---- the upload ------------------------------------------------------------------------------------------------
def _resolve_token(token: str | None) -> str | None:
    from huggingface_hub import get_token

    from helpers import runtime

    if token:
        return token
    runtime.load_kaggle_token()
    return get_token()


def retry_push(folder, repo_id: str, *, token: str | None = None, endpoint: str | None = None,
               private: bool | None = None, commit_message: str | None = None) -> str:
    """Upload a folder that an earlier ``push_to_hub`` saved (no retraining, no re-evaluation): only the
    files its ``.kit-export.json`` lists. Returns the repo's URL; raises ``HubPushError`` like ``push_to_hub``."""
    check_repo_id(repo_id), path("folder", folder, "hub_exports/q-Taxi-v3")
    with ExportFolder.open(folder) as box:
        return upload(box, repo_id, token=token, endpoint=endpoint, private=private, commit_message=commit_message)


def upload(box: ExportFolder, repo_id: str, *, token=None, endpoint=None, private=None, commit_message=None) -> str:
    """Create the repo if needed and upload the kit's files in the open export folder ``box`` (those its manifest
    lists) in one commit; the card's metadata is read back from its README.md. Returns the URL."""
    from huggingface_hub import CommitOperationAdd, HfApi

    from helpers.hub.progress import checker_verdict

    folder = box.path
    retry = f"retry_push({str(folder)!r}, {repo_id!r})"
    kept = _("Your model is saved in {folder}/ ; once fixed, upload it without retraining: {retry}.",
             folder=folder, retry=retry)
    listed = box.manifest()
    if listed is None:
        raise HubPushError(_("{folder} holds no {manifest} (or not a readable, plain one): it is not a folder "
                             "written by push_to_hub (or it was written by an older kit), so nothing was uploaded. "
                             "Push the agent again with push_to_hub, which writes a fresh folder.", folder=folder,
                             manifest=MANIFEST), repo_id=repo_id, folder=folder)
    # every file is read here, through the folder opened once; the library only sees bytes
    files = {name: box.read(name) for name in listed if box.exists(name)}
    try:
        body = files["README.md"].decode("utf-8")
    except (OSError, KeyError) as err:
        raise HubPushError(_("{folder}/ no longer holds the plain files push_to_hub wrote ({error}: {text}); push "
                             "the agent again. Nothing was uploaded.", folder=folder, error=type(err).__name__,
                             text=str(err)[:100]), repo_id=repo_id, folder=folder) from None
    except UnicodeDecodeError:
        raise HubPushError(_("{folder}/README.md is not UTF-8 text: open it in an editor, save it as UTF-8, then "
                             "retry. Nothing was uploaded.", folder=folder), repo_id=repo_id, folder=folder) from None
    card = hub.parse_card(body)
    if card.error:  # the card was edited by hand and its YAML block no longer parses
        raise HubPushError(_("{folder}/README.md has a metadata block (the YAML between the '---' lines at the "
                             "top) that cannot be read ({text}); fix it, then retry. Nothing was uploaded.",
                             folder=folder, text=card.error), repo_id=repo_id, folder=folder)
    if card.metadata is None:
        raise HubPushError(_("{folder}/README.md has no metadata block (the YAML between the '---' lines at the "
                             "top): push the agent again with push_to_hub, which writes one. Nothing was uploaded.",
                             folder=folder), repo_id=repo_id, folder=folder)
    metadata = card.metadata
    if hub.offline():
        raise HubPushError(_("Offline mode is on (HF_HUB_OFFLINE=1), so nothing was uploaded. Unset it "
                             "(os.environ.pop('HF_HUB_OFFLINE') and restart the kernel) when you are online. {kept}",
                             kept=kept), repo_id=repo_id, folder=folder)
    token = _resolve_token(token)
    if not token:
        from helpers import runtime

        raise HubPushError(_("You are not logged in to the Hugging Face Hub, so nothing was uploaded. {hint} {kept}",
                             hint=runtime.login_hint(), kept=kept), repo_id=repo_id, folder=folder)
    endpoint = hub.endpoint(endpoint)
    api = HfApi(endpoint=endpoint, token=token)
    try:
        url = str(api.create_repo(repo_id, exist_ok=True, private=private))
        # An existing card keeps its text: fetch it into a temporary folder (never the Hub cache).
        with tempfile.TemporaryDirectory(prefix="hub-card-") as tmp:
            try:  # None: the repo has no card yet
                existing = hub.read_card(repo_id, token=token, endpoint_url=endpoint)
            except Exception as err:
                raise card_error(err, repo_id, folder, retry) from None
            if existing is not None and existing != body:
                merged = Path(tmp) / "merged.md"
                write_card(merged, metadata, body if RESULTS_START in body else None, existing)
                files["README.md"] = merged.read_bytes()
                box.write("README.md", files["README.md"])
        commit = api.create_commit(repo_id, [CommitOperationAdd(name, data) for name, data in files.items()],
                                   commit_message=commit_message or "Upload agent with the Deep RL course kit")
    except HubPushError:
        raise
    except Exception as err:
        raise push_error(err, repo_id, folder, kept, api) from None
    url = url if url.startswith("http") else f"{endpoint or 'https://huggingface.co'}/{repo_id}"
    print(_("Pushed to {url} (model card: {url}/blob/main/README.md)", url=url))
    print(_uploaded_verdict(repo_id, getattr(commit, "oid", None) or "main", token, endpoint, checker_verdict))
    return url


def _uploaded_verdict(repo_id, revision, token, endpoint, checker_verdict) -> str:
    """The course checker's verdict on the card as the Hub now serves it (read back after the upload)."""
    try:
        text = hub.read_card(repo_id, revision=revision, token=token, endpoint_url=endpoint)
    except Exception as err:  # noqa: BLE001 - any failure: say so, the upload itself went through
        text, why = None, f"{type(err).__name__}: {str(err)[:100]}"
    else:
        why = _("the Hub has no README.md")
    if text is None:
        return _("Course checker: the uploaded card could not be read back from the Hub ({why}), so no verdict; "
                 "open the repo's page to check its card.", why=why)
    return checker_verdict(text)
