#!/usr/bin/env bash
# Rebuild the book on every change and reload the browser: for writing.
EXTRAS=docs,dev
source "$(dirname "$0")/setup.sh"
.venv/bin/sphinx-autobuild -c . docs _build/html --watch derivations --watch rnnlstm --port 8000 "$@"
