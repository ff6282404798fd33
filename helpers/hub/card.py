"""The model card (README.md): the course's YAML metadata, our text, and the evaluation section.

A push writes a fresh card; when the repo already has one, its text is kept, its metadata updated, and
only the kit's evaluation section (between the ``kit:results`` markers) is replaced.
"""
from __future__ import annotations

import re
from pathlib import Path

from helpers.hub.models import POLICY_FILE, QLEARNING_FILE
from helpers.i18n import _

RESULTS_START, RESULTS_END = "<!-- kit:results -->", "<!-- /kit:results -->"
_SECTION = re.compile(re.escape(RESULTS_START) + ".*?" + re.escape(RESULTS_END), re.S)


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
    from helpers.location import GITHUB_REPO

    return f"https://github.com/{GITHUB_REPO}"


def results_section(results: dict) -> str:
    """The card's evaluation section: the pass line, the protocol that was used, and who trained it."""
    from helpers.i18n import using
    from helpers.provenance import describe
    from helpers.scoring import pass_line

    ev = results["evaluation"]
    if ev.get("seeding") == "one reset seed per episode":
        seeds = "the course's fixed reset seeds"
    elif ev.get("seeds"):
        seeds = f"the first reset seeded with {ev['seeds'][0]}"
    else:
        seeds = "unseeded resets"
    with using("en"):  # the card on the Hub is in English, whatever the notebook's language
        who = describe(results.get("trained_with"))
        line = pass_line(results["env_name"], results["mean_reward"], results["std_reward"],
                         results.get("trained_with"))
    who = f" The agent was {who}." if who else ""
    return (f"{RESULTS_START}\n## Evaluation\n\n`{line}`"
            f"\n\nMean reward {results['mean_reward']:.2f} +/- {results['std_reward']:.2f} over "
            f"{results['n_eval_episodes']} episodes ({ev['policy']} actions, at most {ev['max_steps']} steps, "
            f"{seeds}), evaluated {results['eval_datetime']}. The score is mean - std.{who}\n{RESULTS_END}")


def _usage(kind: str, repo_id: str, results: dict) -> str:
    """The card's code: first plain libraries only (no kit, no pickle), then the kit ("# Or with the kit")."""
    if kind == "q-learning":
        return ("# With NumPy alone: the Q-table is also a plain .npy file, loaded without unpickling anything\n"
                "import numpy as np\nfrom huggingface_hub import hf_hub_download\n\n"
                f'qtable = np.load(hf_hub_download("{repo_id}", "qtable.npy"), allow_pickle=False)\n'
                "action = int(np.argmax(qtable[0]))  # the greedy action in state 0 (one row per state)\n\n"
                "# Or with the kit, which also rebuilds the env and evaluates the agent as the course does\n"
                "from helpers.hub import load_from_hub, make_env_from_model, evaluate_model\n\n"
                f'model = load_from_hub(repo_id="{repo_id}", filename="{QLEARNING_FILE}")\n'
                "env = make_env_from_model(model)  # the same env: map, slipperiness...\n"
                "mean_reward, std_reward = evaluate_model(model, env)\n"
                'print(f"{mean_reward:.2f} +/- {std_reward:.2f}")')
    from helpers.features import OBS_FEATURES, plain_source

    ev = results["evaluation"]
    env_args = "".join(f", {k}={v!r}" for k, v in results["env_kwargs"].items())
    seed = f", seed={ev['seeds'][0]}" if ev.get("seeds") else ""
    transform = results.get("obs_features")
    inputs = (f'# The input transform saved with the policy (arch["obs_features"] == "{transform}")\n'
              f"{plain_source(transform)}\n\n" if transform else "")
    x = f"{OBS_FEATURES[transform].__name__}(x)" if transform else "x"
    return ("# With plain PyTorch and safetensors: the architecture is JSON in the file's metadata\n"
            "import json, torch\nfrom huggingface_hub import hf_hub_download\nfrom safetensors import safe_open\n\n"
            f'with safe_open(hf_hub_download("{repo_id}", "{POLICY_FILE}"), "pt") as f:\n'
            '    arch = json.loads(f.metadata()["architecture"])  # layer sizes, activation, input transform\n'
            "    w = {k: f.get_tensor(k).float() for k in f.keys()}\n"
            'act = getattr(torch.nn.functional, arch["activation"])\n'
            'layers = sorted({k.rsplit(".", 1)[0] for k in w if k.startswith("net.")}, key=lambda k: int(k.split(".")[1]))\n\n'
            + inputs +
            "def action_probabilities(observation):\n"
            "    x = torch.as_tensor(observation, dtype=torch.float32)\n"
            f'    x = {x} / w["obs_scale"]\n'
            "    for i, layer in enumerate(layers):\n"
            '        x = x @ w[layer + ".weight"].T + w[layer + ".bias"]\n'
            "        x = act(x) if i < len(layers) - 1 else torch.softmax(x, dim=-1)\n"
            "    return x\n\n"
            "# Or with the kit, which rebuilds the policy and evaluates it as the course does\n"
            "from helpers import reinforce\nfrom helpers.envs import make_env\nfrom helpers.hub import load_from_hub\n\n"
            f'policy = load_from_hub(repo_id="{repo_id}", filename="{POLICY_FILE}")\n'
            f'env = make_env("{results["env_id"]}"{env_args})\n'
            f"mean_reward, std_reward = reinforce.evaluate_agent(env, {ev['max_steps']}, "
            f"{results['n_eval_episodes']}, policy, greedy={ev['policy'] == 'greedy'}{seed})\n"
            'print(f"{mean_reward:.2f} +/- {std_reward:.2f}")')


def card_body(kind: str, repo_id: str, results: dict, video: bool = True) -> str:
    """The card's Markdown under the metadata: what the agent is, its evaluation, how to use it."""
    env_name = results["env_name"]
    if kind == "q-learning":
        title = f"Q-learning agent playing {env_name}"
        about = (f"A tabular Q-learning agent for **{env_name}**, trained with the "
                 f"[Deep RL course kit]({_kit_url()}) (Hugging Face Deep RL course, unit 2).")
        files = ("`q-learning.pkl` (the course's model dict: hyperparameters, env arguments and Q-table), "
                 "`qtable.npy` (the Q-table alone, for NumPy)")
    else:
        title = f"REINFORCE agent playing {env_name}"
        about = (f"A policy-gradient (REINFORCE) agent for **{env_name}**, trained with the "
                 f"[Deep RL course kit]({_kit_url()}) (Hugging Face Deep RL course, unit 4).")
        files = (f"`{POLICY_FILE}` (weights; the architecture as JSON in its metadata; no pickle), "
                 "`hyperparameters.json`")
    return (f"\n# {title}\n\n{about}\n\n{results_section(results)}\n\n## Usage\n\n"
            f"```python\n{_usage(kind, repo_id, results)}\n```\n\n"
            f"`load_from_hub` comes from the kit; it loads the model without running code from the file.\n\n"
            f"Files: {files}, `results.json` (the evaluation)"
            + (", `replay.mp4` (one episode).\n" if video else ".\n"))


def write_card(path: Path, metadata: dict, body: str | None, existing: str | None = None) -> None:
    """Write README.md: ``existing`` keeps its text (only the kit's results section is refreshed) and the
    learner's own metadata; its tags naming an env or a kit model kind and its model-index are the kit's (a
    re-push of another env to the same repo leaves no stale env tag); otherwise ``body`` under ``metadata``."""
    from huggingface_hub import metadata_save

    from helpers.hub.client import parse_card
    from helpers.hub.models import COURSE_ENV_IDS

    if existing is None:
        path.write_text(body or "", encoding="utf-8")
        metadata_save(path, metadata)
        return
    path.write_text(existing, encoding="utf-8")
    card = parse_card(existing)
    if card.error:  # broken YAML (or not a mapping) at the top of the card: repair it, keep the text
        print(_("The repo's model card has a metadata block (the YAML between the '---' lines at the top) that "
                "cannot be read ({error}); the kit replaced that block with fresh metadata and kept the card's "
                "text.", error=card.error))
    merged = dict(card.metadata or {})
    old_tags = merged.get("tags")
    old_tags = [old_tags] if isinstance(old_tags, str) else old_tags if isinstance(old_tags, list) else []
    stale = lambda tag: str(tag).startswith(tuple(COURSE_ENV_IDS)) or tag in ("q-learning", "reinforce")
    merged["tags"] = list(metadata["tags"]) + [t for t in old_tags if t not in metadata["tags"] and not stale(t)]
    merged["model-index"] = metadata["model-index"]
    metadata_save(path, merged)
    if body is not None:
        text = path.read_text(encoding="utf-8")
        new_section, old_section = _SECTION.search(body), _SECTION.search(text)
        if new_section and old_section:
            path.write_text(text[:old_section.start()] + new_section.group(0) + text[old_section.end():],
                            encoding="utf-8")
