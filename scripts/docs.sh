#!/usr/bin/env bash
# Build the book into _build/html (strict: any warning or notebook error fails the build).
# Pages are read in parallel; a failing page is named, and its traceback is in the log file
# Sphinx names. Add -j 1 to read them one by one and see the traceback in the terminal.
EXTRAS=docs
source "$(dirname "$0")/setup.sh"
.venv/bin/sphinx-build -nW --keep-going -j auto -c . docs _build/html "$@"
echo
echo "The book is in _build/html. Open _build/html/index.html in a browser, or serve it:"
echo "    .venv/bin/python -m http.server --directory _build/html 8000   # then http://localhost:8000"
