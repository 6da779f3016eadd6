#!/usr/bin/env bash
# Both ends of the library's dependency ranges, each in a fresh venv. Not part of .ci/run (it downloads
# other releases); the GitHub workflow runs both weekly.
#
#   bash tools/test_releases.sh floors   exactly the floors pyproject.toml promises (numpy>=1.26 -> numpy==1.26,
#                                        ..., torch>=2.1 -> torch==2.1): the unit tests and vae_lib's docstring
#                                        examples. Not the notebooks: their stored outputs are the pinned versions'.
#   bash tools/test_releases.sh newest   the newest releases the ranges allow, what a Colab reader meets:
#                                        the whole suite, notebooks included.
#
# The venv's interpreter is PYTHON (default python3); run floors with the lowest Python pyproject.toml allows.
#
# Only the library's dependencies move; the test and book tools stay pinned as in requirements.txt
# (tools/pins.py writes the variant). torch comes from TORCH_INDEX, default PyTorch's CPU wheel index:
# PyPI's Linux wheels are CUDA builds of several GB. Where that index cannot be reached, `floors` takes its
# torch from the default index (a CUDA build on Linux) and `newest` keeps the pinned torch; the log says so.
set -euo pipefail
cd "$(dirname "$0")/.."

ends=${1:-}
case "$ends" in
  floors) paths=(tests vae_lib) ;;
  newest) paths=() ;;
  *) echo "usage: bash tools/test_releases.sh floors|newest" >&2; exit 2 ;;
esac
python=${PYTHON:-python3}
torch_index=${TORCH_INDEX:-https://download.pytorch.org/whl/cpu}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 tools/pins.py "$ends" > "$work/requirements.txt"
"$python" -m venv "$work/venv"
# shellcheck disable=SC1091
source "$work/venv/bin/activate"

torch=$(grep -E '^torch[=<>!~]' "$work/requirements.txt")
if python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=30)' "$torch_index/torch/" 2>/dev/null; then
  echo "== $torch from $torch_index"
  pip install -q "$torch" --index-url "$torch_index"
elif [ "$ends" = floors ]; then
  echo "== $torch_index unreachable: $torch from the default index (on Linux a CUDA build of several GB)"
  pip install -q "$torch"
else
  torch=$(grep -E '^torch==' requirements.txt)
  echo "== $torch_index unreachable: the NEWEST TORCH IS NOT TESTED; keeping the pinned $torch"
  pip install -q "$torch"
fi

echo "== pip install -r requirements.txt with the library's dependencies at their $ends"
pip install -q -r "$work/requirements.txt"
python - <<'EOF'
import platform
from importlib.metadata import version

names = ["torch", "numpy", "scipy", "scikit-learn", "matplotlib", "tqdm", "threadpoolctl"]
print("== under test: Python", platform.python_version(), *(f"{n}=={version(n)}" for n in names))
EOF

echo "== pytest ${paths[*]}"
pytest "${paths[@]}"
