#!/usr/bin/env bash
# Build the book into _build/html (strict: any warning or notebook error fails the build).
# Add -j auto to read the pages in parallel: faster, but a failing page's traceback then goes to
# a log file instead of the terminal.
EXTRAS=docs
source "$(dirname "$0")/setup.sh"
.venv/bin/sphinx-build -nW --keep-going -c . docs _build/html "$@"
echo
echo "The book is in _build/html. Open _build/html/index.html in a browser, or serve it:"
echo "    .venv/bin/python -m http.server --directory _build/html 8000   # then http://localhost:8000"
