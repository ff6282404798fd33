"""Helpers for the Deep RL course kit.

One concern per module:
  envs              make environments by their course ids (Taxi-v3 on every Gymnasium, the PLE games)
  defaults          the hyperparameters the notebooks and the benchmark share
  scoring           the pass line, and the registry of pass marks and advice that each unit fills
  unit2, unit4      each unit's line in the registries (pass marks, advice, how a replay plays its agents)
  events            what the algorithms report (trained, scored) without importing the floors above
  qlearning         unit 2 reference solutions (Q-table, policies, training, evaluation)
  reinforce         unit 4 reference solutions (Policy, returns, loss, the loop), the rollout and the batched
                    trainer, evaluation
  policies          how a trained policy is saved and rebuilt without code (PolicyNetwork, with_inputs)
  features          fixed input transforms a policy can be built with, by name (Pixelcopter's)
  checks/           the exercise checks that run right after each TODO cell (exercises: the framework;
                    qlearning, reinforce: the checks of units 2 and 4)
  provenance        whose code trained an agent: the learner's ("yours") or the kit's reference
  pixelcopter       the Pixelcopter game as a Gymnasium environment (single and vectorised)
  pong              the Pong game as a Gymnasium environment (single and vectorised)
  ple               what the two PLE games share (seeding, checks, rendering)
  plots             training curves and pictures of learned policies
  video             record a replay as mp4 and show it inline (the units register how each agent plays)
  hub/              push agents to the Hugging Face Hub and load them back (see its __init__ for its modules)
  safe_pickle       the restricted unpickler that loads course models without running their code
  runtime           Colab / Kaggle detection, the Kaggle token, a virtual display when one is needed
  location          the kit's GitHub location, set in one place
  i18n              the language of every message (English, Simplified Chinese): set_language, _()
  catalogs          for maintainers: extract and compile the message catalogs, cut the plots' Chinese font

Importing the package registers the kit's environment ids with Gymnasium, starts provenance listening to the
algorithms (``events``) and lets each unit (``unit2``, ``unit4``) fill the registries of ``scoring`` and ``video``;
nothing heavy (torch, matplotlib, huggingface_hub) is imported until a module that needs it is.
"""
from helpers import envs as _envs
from helpers import provenance, unit2, unit4  # noqa: F401  (records start; each unit fills the registries)
from helpers.i18n import set_language  # noqa: F401  (the setup cell's one call: helpers.set_language("zh-CN"))

_envs.register_kit_envs()

# pygame (the Gymnasium renderers, Pixelcopter) prints noise on Colab and in containers; silence it once:
#  * pygame.init() opens an audio device; with no sound card ALSA prints "ALSA lib ... cannot find card '0'"
#    (seven lines) under every render. The kit plays no sound: SDL's dummy audio driver opens nothing. Set
#    before pygame initialises (SDL reads it then); a value you set yourself is kept, except "dsp", which
#    Gymnasium < 1.2 writes over any value when it is imported.
#  * pygame 2.6 imports pkg_resources, which setuptools >= 67 warns about on every first import.
import os as _os
import warnings as _warnings

if _os.environ.get("SDL_AUDIODRIVER") in (None, "", "dsp"):
    _os.environ["SDL_AUDIODRIVER"] = "dummy"
_warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=Warning)
