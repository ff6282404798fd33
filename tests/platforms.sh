#!/usr/bin/env bash
# The kit on the package sets learners really have: build a venv on the platform's Python, install the
# platform's own packages first (as Colab/Kaggle ship them), then the kit's requirements-dev.txt, check
# that installing the kit replaced none of the platform's packages, and run the unit tests and notebook 01.
#
#   bash tests/platforms.sh colab    # Python 3.13, numpy 2.1.3, gymnasium 1.3.0, huggingface_hub 1.27, pygame 2.6.1, imageio 2.37
#   bash tests/platforms.sh kaggle   # Python 3.12, numpy 2.0.2, gymnasium 1.3.0, huggingface_hub 1.11
#   bash tests/platforms.sh newest   # Python 3.13, the newest release of everything
#   bash tests/platforms.sh floors   # Python 3.10, every package at the floor requirements*.txt declares
#
# The package sets are Colab's and Kaggle's published lists (shared/course/FACTS.md, section 5). Torch is
# installed only where this machine has a CPU wheel for that Python (PyPI's is a multi-GB CUDA build);
# without it the tests that need torch are reported as skipped, with the reason (tests/platform_plugin.py).
# Without pyenv or the wanted Python, it prints one "skipped: ..." line and exits 0.
# Exit status: 0 when everything passed, 1 when a test failed or installing the kit changed a platform package.
set -uo pipefail
cd "$(dirname "$0")/.."
root_dir="$(pwd)"
platform="${1:-}"

floors() {  # name==version for every "name>=version" the kit declares (torch aside: see above)
  sed -n 's/^\([A-Za-z0-9_.-]*\)>=\([0-9][0-9.]*\).*/\1==\2/p' requirements.txt requirements-dev.txt | grep -v '^torch=='
}

case "$platform" in
  colab)  want=3.13; pins=(numpy==2.1.3 gymnasium==1.3.0 'huggingface_hub==1.27.*' pygame==2.6.1 'imageio==2.37.*') ;;
  kaggle) want=3.12; pins=(numpy==2.0.2 gymnasium==1.3.0 'huggingface_hub==1.11.*') ;;
  newest) want=3.13; pins=() ;;
  floors) want=3.10; mapfile -t pins < <(floors) ;;
  *) echo "usage: bash tests/platforms.sh colab|kaggle|newest|floors" >&2; exit 2 ;;
esac

pyenv_root="$(pyenv root 2>/dev/null || true)"
if [ -z "$pyenv_root" ] && [ -d "${PYENV_ROOT:-$HOME/.pyenv}/versions" ]; then  # pyenv's folder, not on PATH
  pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
fi
if [ -z "$pyenv_root" ]; then
  echo "skipped: $platform: pyenv is not installed here (the $platform run needs Python $want from pyenv)"
  exit 0
fi
python_bin="$(ls -d "$pyenv_root"/versions/"$want".*/bin/python3 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$python_bin" ] || [ ! -x "$python_bin" ]; then
  echo "skipped: $platform: pyenv has no Python $want (pyenv install $want)"
  exit 0
fi

pip_install() {  # pip install, without the "Location ... is ignored" lines an unused extra index makes pip print
  python -m pip install "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

start=$SECONDS
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== $platform: $("$python_bin" --version) from pyenv; platform packages: ${pins[*]:-none (newest of everything)}"
"$python_bin" -m venv "$work/venv"
# shellcheck disable=SC1091
. "$work/venv/bin/activate"
export PIP_DISABLE_PIP_VERSION_CHECK=1
python -m pip install -q --upgrade pip >/dev/null 2>&1 || true

if [ "${#pins[@]}" -gt 0 ] && ! pip_install -q "${pins[@]}"; then
  echo "FAIL: $platform: could not install the platform's own packages (${pins[*]})" >&2
  exit 1
fi
python -m pip freeze --all > "$work/before.txt"

# The kit's requirements without torch, unless a CPU wheel for this Python is at hand (pip's find-links).
tag="cp${want/./}"
torch_wheel=""
for dir in ${PIP_FIND_LINKS:-} $(python -m pip config get global.find-links 2>/dev/null || true); do
  found="$(ls "$dir"/torch-*+cpu-"$tag"-*.whl 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$found" ] && torch_wheel="$found"
done
grep -v -E '^torch([<>=!~ ]|$)' requirements.txt > "$work/requirements.txt"
sed "s#^-r requirements.txt#-r $work/requirements.txt#" requirements-dev.txt > "$work/requirements-dev.txt"
if [ -n "$torch_wheel" ]; then
  pip_install -q "$torch_wheel" || { echo "FAIL: $platform: installing $torch_wheel failed" >&2; exit 1; }
  torch_note="torch from $torch_wheel"
else
  torch_note="no torch (no CPU wheel for $tag here): torch tests skipped"
fi
if [ "$platform" = newest ]; then
  install=(-q --upgrade -r "$work/requirements-dev.txt")
else
  install=(-q -r "$work/requirements-dev.txt")
fi
if ! pip_install "${install[@]}"; then
  echo "FAIL: $platform: installing the kit's requirements-dev.txt failed (see pip's message above)" >&2
  exit 1
fi
python -m pip freeze --all > "$work/after.txt"

# Did installing the kit replace a package the platform ships (what a learner would pay with a restart)?
version_of() {  # installed version of $1 in freeze file $2 (names compared as pip normalises them)
  local want_name
  want_name="$(echo "$1" | tr 'A-Z_.' 'a-z--')"
  while IFS= read -r line; do
    local name="${line%%==*}"
    if [ "$(echo "$name" | tr 'A-Z_.' 'a-z--')" = "$want_name" ]; then
      echo "${line#*==}"
      return
    fi
  done < "$2"
}
changed=()
for pin in "${pins[@]}"; do
  name="${pin%%[=<>!~]*}"
  before="$(version_of "$name" "$work/before.txt")"
  after="$(version_of "$name" "$work/after.txt")"
  [ "$before" != "$after" ] && changed+=("$name ${before:-absent} -> ${after:-absent}")
done
status=0
if [ "${#changed[@]}" -gt 0 ]; then
  echo "FAIL: $platform: installing the kit CHANGED the platform's own packages: ${changed[*]}" >&2
  echo "      (on $platform that forces a runtime restart or breaks the packages that need them)" >&2
  kit_changed="yes: ${changed[*]}"
  status=1
else
  kit_changed="no"
  echo "== $platform: installing the kit changed none of the platform's packages (${#pins[@]} checked)"
fi
python -c "import numpy, gymnasium, huggingface_hub as h, pygame; print('== versions: numpy', numpy.__version__, '| gymnasium', gymnasium.__version__, '| huggingface_hub', h.__version__, '| pygame', pygame.version.ver)" 2>&1 | grep -v -e '^pygame ' -e '^Hello from'
echo "== $platform: $torch_note"

export PYTHONPATH="$root_dir/tests${PYTHONPATH:+:$PYTHONPATH}"
export SDL_VIDEODRIVER=dummy MPLBACKEND=Agg HF_HUB_DISABLE_TELEMETRY=1
summary() {  # the counts from pytest's last line ("388 passed, 25 skipped in 49.15s", with or without ===)
  grep -E '[0-9]+ (passed|failed|errors?|skipped).* in [0-9.]+s' "$1" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//'
}
count() {  # N for word $2 in summary $1
  echo "$1" | grep -oE "[0-9]+ $2" | grep -oE '^[0-9]+' || echo 0
}

echo "== $platform: unit tests"
python -m pytest -q -p platform_plugin -rfEs tests > "$work/unit.txt" 2>&1
unit_rc=$?
sed -n '/short test summary info/,$p' "$work/unit.txt" | grep -v '^$' || tail -n 25 "$work/unit.txt"
if [ "$unit_rc" -ne 0 ]; then  # the failures themselves, not only their names
  sed -n '/^=* FAILURES =*$/,/short test summary info/p' "$work/unit.txt" | tail -n 200
fi
echo "== $platform: notebook 01, both editions, through nbval (shipped, solved and course copies)"
KIT_PLATFORM_NOTEBOOKS=01_qlearning.ipynb,01_qlearning.zh-CN.ipynb python -m pytest -q -p platform_plugin -rfE build/nbtest \
  > "$work/notebook.txt" 2>&1
nb_rc=$?
if [ "$nb_rc" -ne 0 ]; then tail -n 200 "$work/notebook.txt"; else tail -n 3 "$work/notebook.txt"; fi
[ "$unit_rc" -eq 0 ] && [ "$nb_rc" -eq 0 ] || status=1

unit="$(summary "$work/unit.txt")"
nb="$(summary "$work/notebook.txt")"
passed=$(( $(count "$unit" passed) + $(count "$nb" passed) ))
failed=$(( $(count "$unit" failed) + $(count "$nb" failed) + $(count "$unit" error) + $(count "$nb" error) ))
skipped=$(( $(count "$unit" skipped) + $(count "$nb" skipped) ))
echo "== $platform summary: kit changed platform packages: $kit_changed | unit tests: ${unit:-no summary (rc $unit_rc)}" \
     "| notebook 01: ${nb:-no summary (rc $nb_rc)} | $((SECONDS - start)) s"
echo "$platform: $passed passed, $failed failed, $skipped skipped"
exit $status
