#!/usr/bin/env bash
# Build the whole book as one PDF, _build/pdf/rnnlstm.pdf, with Sphinx's LaTeX builder and xelatex.
# Installs what it needs first: the project (as docs.sh does) and, when missing, TeX from Debian's
# packages (about 120 MB). The HTML build and the README's two commands never need TeX; run
# docs.sh after this one and the site links the PDF and serves it as rnnlstm.pdf.
EXTRAS=docs
source "$(dirname "$0")/setup.sh"
if ! command -v xelatex >/dev/null || ! command -v latexmk >/dev/null || ! fc-list | grep -q "DejaVu Sans Mono"; then
    echo "setup: installing TeX (xelatex, latexmk) and fonts (Debian)"
    apt_install --no-install-recommends latexmk texlive-xetex texlive-latex-recommended texlive-latex-extra \
        texlive-fonts-recommended tex-gyre fonts-freefont-otf fonts-dejavu-core
fi
.venv/bin/sphinx-build -M latexpdf docs _build -c . -W --keep-going "$@"
mkdir -p _build/pdf && cp _build/latex/rnnlstm.pdf _build/pdf/rnnlstm.pdf  # where conf.py looks for it
echo
echo "The book is in _build/pdf/rnnlstm.pdf; bash scripts/docs.sh now links it from the site."
