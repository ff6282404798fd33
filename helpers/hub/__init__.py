"""Push agents to the Hugging Face Hub and load them back, safely, on huggingface_hub 0.30 to 2.x.

    push_to_hub("you/q-Taxi-v3", model, env, video_fps=1)                       # unit 2: a Q-learning dict
    push_to_hub("you/Reinforce-CartPole-v1", policy, hyperparameters, eval_env,  # unit 4: a policy
                video_fps=30)
    model = load_from_hub("ThomasSimonini/q-Taxi-v3", "q-learning.pkl")         # a dict, decoded, never unpickled
    policy = load_from_hub("you/Reinforce-CartPole-v1", "model.safetensors")    # a policy, no pickle at all
    env = make_env_from_model(model); mean, std = evaluate_model(model, env)

A push evaluates the agent once, records one replay, writes the repo's files (model, results.json, README.md
card, replay.mp4) into ``hub_exports/<repo name>/`` (or ``local_dir``) before any network step, then uploads
them in one commit. A failed upload raises ``HubPushError``, which says what to do;
``retry_push(folder, repo_id)`` uploads the saved folder later. Loading never trusts the file, and only the
kit's errors leave these paths.

Where things live, one question each:
  models   what a model is: the model dict, FrozenLake's settings, checks on downloaded data, its env
  push     publishing: push_to_hub (push_qlearning, push_policy), the upload, retry_push
  folder   the export folder: regular files only, read and written through the folder opened once
  card     what the model card says
  load     loading: load_from_hub / load_model_file (with the file checks: size cap, Git LFS pointer), and
           find_models (a search by tags)
  errors   every error and its message, the repo-id check
  client   the one Hub client: endpoint, offline mode, what an error means, time budget, capped reads, card reader
  progress where a learner stands in the course, read the way the course's certificate checker reads it
"""
from helpers.hub.card import card_metadata
from helpers.hub.errors import HubLoadError, HubPushError, InvalidRepoIdError, check_repo_id
from helpers.hub.load import find_models, load_from_hub, load_model_file
from helpers.hub.models import (COURSE_ENV_IDS, COURSE_MODEL_KEYS, POLICY_FILE, QLEARNING_FILE, course_env_name,
                                env_kwargs_of, evaluate_model, lake_settings, make_env_from_model, qlearning_model)
from helpers.hub.folder import KIT_FILES
from helpers.hub.push import EXPORT_ROOT, PushResult, push_policy, push_qlearning, push_to_hub, retry_push

__all__ = ["HubPushError", "HubLoadError", "InvalidRepoIdError", "PushResult", "check_repo_id",
           "course_env_name", "env_kwargs_of", "lake_settings", "qlearning_model", "make_env_from_model",
           "evaluate_model", "push_to_hub", "push_qlearning", "push_policy", "retry_push", "load_from_hub",
           "load_model_file", "find_models", "card_metadata", "QLEARNING_FILE", "POLICY_FILE", "EXPORT_ROOT",
           "KIT_FILES", "COURSE_MODEL_KEYS", "COURSE_ENV_IDS"]
