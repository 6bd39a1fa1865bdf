#!/usr/bin/env bash
# Time forward + backward of the readable and the fused recurrent layers against PyTorch (when it
# is installed: .venv/bin/pip install torch==2.13.0) and against the same GEMMs alone.
EXTRAS=bench
source "$(dirname "$0")/setup.sh"
.venv/bin/python benchmarks/recurrent.py "$@"
