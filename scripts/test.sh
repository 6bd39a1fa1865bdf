#!/usr/bin/env bash
# Run the whole test suite: derivations, numerics, bad input, the docs build and the browser test.
EXTRAS=docs,test
source "$(dirname "$0")/setup.sh"
if ! command -v chromium >/dev/null; then
    echo "setup: installing chromium (Debian)"
    apt_install chromium
fi
.venv/bin/python -m pytest "$@"
