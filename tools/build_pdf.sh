#!/usr/bin/env bash
# The book's PDF, with everything it needs: `bash tools/build_pdf.sh` -> _build/pdf/vae-intro.pdf
#
# Installs the Debian packages below when one is missing (apt-get, as root or through
# sudo), then builds the PDF from the stored notebook outputs and checks it
# (tools/build_pdf.py; its options pass through, e.g. --language ko). Run it in the
# Python environment of the book (pip install -r requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

# XeLaTeX with the LaTeX packages Sphinx's writer uses; Korean typesetting (xetexko)
# and its font; Sphinx's default text fonts (FreeSerif/FreeSans); the code font;
# latexmk; pdfinfo, pdftotext and pdfimages for the checks.
packages=(
  texlive-xetex texlive-latex-extra texlive-fonts-recommended texlive-lang-korean
  fonts-noto-cjk fonts-freefont-otf fonts-dejavu-core latexmk poppler-utils
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "== installing ${missing[*]}"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python tools/build_pdf.py "$@"
