"""Push agents to the Hugging Face Hub and load them back, safely, on huggingface_hub 0.2x to 2.x.

    push_to_hub("you/q-Taxi-v3", model, env, video_fps=1)                       # unit 2: a Q-learning dict
    push_to_hub("you/Reinforce-CartPole-v1", policy, hyperparameters, eval_env,  # unit 4: a policy
                video_fps=30)
    model = load_from_hub("ThomasSimonini/q-Taxi-v3", "q-learning.pkl")         # a dict, unpickled safely
    env = make_env_from_model(model); mean, std = evaluate_model(model, env)

What a push does, in this order:
  1. checks the repo id, evaluates the agent once, records one replay;
  2. writes every file of the repo (model, results.json, README.md card, replay.mp4, ...) into a fresh
     temporary folder, then into ``hub_exports/<repo name>/`` (or ``local_dir``), with ``.kit-export.json``
     listing what it wrote: the model is saved before any network step, and a ``local_dir`` holding files
     the kit did not write is refused rather than overwritten;
  3. with a token, creates the repo if needed (keeps an existing card's text, updates its metadata; if the
     card cannot be read, stops before uploading anything) and uploads the listed files in one commit.
     Files already in the repo that the kit does not write are kept.
If step 3 fails (no token, read-only token, offline, server error), ``HubPushError`` says what to do,
and ``retry_push(folder, repo_id)`` uploads the saved folder later without retraining.

Loading never trusts the file: pickles go through ``helpers.safe_pickle`` (no code, no crash, bounded
size), ``model.pt`` is checked (size, zip, layer sizes) before torch opens it, and a model's env id, env
arguments, evaluation counts and Q-table are checked before they choose an env or a loop.

Where things live:
  models   the model dict, FrozenLake's settings, rebuilding and evaluating a model's env
  push     push_to_hub and its two course shapes (push_qlearning, push_policy), local export
  card     the model card: metadata, text, the evaluation section
  upload   the upload itself, retry_push, and the messages for every failure
  load     load_from_hub / load_model_file (safe_pickle for .pkl, weights-only torch for .pt)
  errors   the errors and repo-id checking
"""
from helpers.hub.card import card_metadata
from helpers.hub.errors import HubLoadError, HubPushError, InvalidRepoIdError, check_repo_id
from helpers.hub.load import load_from_hub, load_model_file
from helpers.hub.models import (COURSE_MODEL_KEYS, POLICY_FILE, POLICY_FORMAT, QLEARNING_FILE, course_env_name,
                                env_kwargs_of, evaluate_model, lake_settings, make_env_from_model, qlearning_model)
from helpers.hub.push import EXPORT_ROOT, PushResult, push_policy, push_qlearning, push_to_hub
from helpers.hub.upload import KIT_FILES, retry_push

__all__ = ["HubPushError", "HubLoadError", "InvalidRepoIdError", "PushResult", "check_repo_id",
           "course_env_name", "env_kwargs_of", "lake_settings", "qlearning_model", "make_env_from_model",
           "evaluate_model", "push_to_hub", "push_qlearning", "push_policy", "retry_push", "load_from_hub",
           "load_model_file", "card_metadata", "QLEARNING_FILE", "POLICY_FILE", "POLICY_FORMAT", "EXPORT_ROOT",
           "KIT_FILES", "COURSE_MODEL_KEYS"]
