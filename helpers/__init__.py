"""Helpers for the Deep RL course kit.

One concern per module:
  envs        make environments by their course ids (Taxi-v3 on every Gymnasium, Pixelcopter-PLE-v0)
  scoring     pass marks and the local pass/fail check
  exercises   the checks that run right after each TODO cell
  qlearning   unit 2 reference implementations (Q-table, policies, training, evaluation)
  defaults    the hyperparameters the notebooks and the benchmark share
  plots       training curves and pictures of learned policies
  video       record a replay and show it inline
  hub         push agents to the Hugging Face Hub and load them back safely
  pixelcopter the Pixelcopter game as a Gymnasium environment
  reinforce   unit 4 reference implementations (Policy, reinforce, evaluation)

Importing the package registers the kit's environment ids with Gymnasium; nothing heavy (torch,
matplotlib, huggingface_hub) is imported until a module that needs it is.
"""
from helpers import envs as _envs

_envs.register_kit_envs()
