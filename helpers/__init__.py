"""Helpers for the Deep RL course kit.

One concern per module:
  envs              make environments by their course ids (Taxi-v3 on every Gymnasium, Pixelcopter-PLE-v0)
  defaults          the hyperparameters the notebooks and the benchmark share
  scoring           pass marks and the local pass/fail line
  exercises         the framework behind the checks that run right after each TODO cell (and carries a
                    learner's accepted unit 2 functions from notebook 01 to notebook 02)
  provenance        whose code trained an agent: the learner's ("yours") or the kit's reference
  qlearning         unit 2 reference solutions (Q-table, policies, training, evaluation)
  qlearning_checks  the unit 2 exercise checks
  reinforce         unit 4 reference solutions (Policy, returns, loss, the loop) and the fast batched trainer
  reinforce_checks  the unit 4 exercise checks
  features          fixed input transforms a policy can be built with, by name (Pixelcopter's)
  pixelcopter       the Pixelcopter game as a Gymnasium environment (single and vectorised)
  plots             training curves and pictures of learned policies
  video             record a replay as mp4 and show it inline
  hub               push agents to the Hugging Face Hub and load them back
  safe_pickle       the restricted unpickler that loads course models without running their code
  runtime           Colab / Kaggle detection, the Kaggle token, a virtual display when one is needed
  location          the kit's GitHub location, set in one place

Importing the package registers the kit's environment ids with Gymnasium; nothing heavy (torch,
matplotlib, huggingface_hub) is imported until a module that needs it is.
"""
from helpers import envs as _envs

_envs.register_kit_envs()
