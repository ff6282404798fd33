#!/usr/bin/env bash
# Installs what the notebooks need on Colab or Kaggle (the notebooks' first cell runs it after cloning
# the kit). It installs only what is missing, pins nothing that Colab already ships (numpy, torch,
# huggingface_hub), and needs no virtual display, apt package or runtime restart.
set -euo pipefail
cd "$(dirname "$0")"
export PIP_DISABLE_PIP_VERSION_CHECK=1
if ! python -m pip install -q -r requirements.txt; then
  echo "ERROR: installing the kit's requirements failed (see pip's message above)." >&2
  echo "Check that the runtime has internet (Kaggle: Settings > Internet on), then run the setup cell again." >&2
  exit 1
fi
python - <<'PY'
import gymnasium, numpy
print(f"Kit ready: gymnasium {gymnasium.__version__}, numpy {numpy.__version__}")
PY
