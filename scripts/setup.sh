# Sourced by docs.sh and test.sh: idempotent set-up of everything the project needs.
#   EXTRAS   the pip extras to install ("docs" or "docs,test")
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MATHJAX_VERSION=3.2.2

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {  # apt_install PACKAGE...: install Debian packages, updating the lists once
    if [ -z "${APT_UPDATED:-}" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# Python: a virtual environment at .venv with the project (editable) and the extras.
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
fi
stamp=".venv/.rnnlstm-installed-$EXTRAS-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -e "$stamp" ]; then
    echo "setup: installing rnnlstm[$EXTRAS] into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[$EXTRAS]"
    touch "$stamp"
fi

# MathJax 3, from npm, served by the site itself (never committed).
if [ ! -f .cache/mathjax/node_modules/mathjax/es5/tex-chtml.js ]; then
    command -v npm >/dev/null || { echo "setup: installing npm (Debian)"; apt_install nodejs npm; }
    echo "setup: installing mathjax@$MATHJAX_VERSION from npm into .cache/mathjax"
    mkdir -p .cache/mathjax
    npm install --prefix .cache/mathjax --no-audit --no-fund --silent "mathjax@$MATHJAX_VERSION"
fi
