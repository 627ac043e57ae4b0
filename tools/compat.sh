#!/usr/bin/env bash
# make compat: the course outside CI's pinned environment. CI runs Python 3.11 with the pins of
# constraints.txt; Colab runs Python 3.12 with the newest releases. This builds a virtual environment per
# setting that is available here and runs the unit tests plus notebook 06 (a language model) in it, and notebook 03 too with the newest releases:
#   newest  Python 3.12 (COMPAT_PYTHON), torch 2.13.0 from PyPI, the newest transformers
#   floor   the declared lower bound of transformers (read from pyproject.toml), on the same Python
# Environments live in build/compat-*/ (git-ignored) and are reused; a missing Python is reported and skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${COMPAT_PYTHON:-}
if [ -z "$PY" ]; then  # python3.12 on PATH, else one that pyenv installed but does not put on PATH
  for candidate in python3.12 "$(pyenv root 2>/dev/null)"/versions/3.12*/bin/python3.12; do
    if "$candidate" -c "import venv" 2>/dev/null; then PY=$candidate; break; fi
  done
fi
PY=${PY:-python3.12}
if ! command -v "$PY" >/dev/null 2>&1 || ! "$PY" -c "import venv" 2>/dev/null; then
  echo "compat: $PY is not available here: skipped (set COMPAT_PYTHON to another interpreter)"
  exit 0
fi
floor=$(sed -n 's/^ *"transformers>=\([0-9.]*\)".*/\1/p' pyproject.toml)
settings=${COMPAT_SETTINGS:-newest floor}
status=0
for setting in $settings; do
  venv=build/compat-$setting
  if [ ! -x "$venv/bin/python" ]; then
    "$PY" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
  fi
  pin=()
  [ "$setting" = floor ] && pin=("transformers==$floor")
  "$venv/bin/python" -m pip install --quiet torch==2.13.0 -e ".[offline,dev]" "${pin[@]}" || { status=1; continue; }
  "$venv/bin/python" -m pip install --quiet --no-deps -r requirements-nodeps.txt || { status=1; continue; }
  versions=$("$venv/bin/python" -c "import sys, torch, transformers; print(f'Python {sys.version.split()[0]}, torch {torch.__version__}, transformers {transformers.__version__}')")
  echo "== compat ($setting): $versions"
  "$venv/bin/python" -m pytest -q -p no:randomly tests --ignore=tests/test_browser.py --ignore=tests/test_browser_nb04.py \
      -W "error:.*past_key_values.*" 2>&1 | tail -n 15
  unit=${PIPESTATUS[0]}
  notebooks=(notebooks/06_gpt.ipynb)
  [ "$setting" = newest ] && notebooks=(notebooks/03_subword_tokenizers.ipynb notebooks/06_gpt.ipynb)
  "$venv/bin/python" -m pytest -q "${notebooks[@]}" --nbval-lax --nbval-current-env \
      --nbval-sanitize-with tests/sanitize.cfg 2>&1 | tail -n 5
  nb=${PIPESTATUS[0]}
  echo "== compat ($setting): $versions: unit tests exit $unit, notebooks (${notebooks[*]}) exit $nb"
  [ "$unit" = 0 ] && [ "$nb" = 0 ] || status=1
done
exit $status
