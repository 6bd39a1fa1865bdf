"""The benchmark scripts run and print their tables (no timing is asserted: the bars are in the
scripts' output, measured side by side)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_the_recurrent_benchmark_runs_and_prints_every_row():
    result = subprocess.run(
        [sys.executable, "benchmarks/recurrent.py", "--quick", "--repeats", "1", "--no-memory"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("numpy ") and "BLAS:" in lines[0]
    rows = [line for line in lines if line.startswith(("rnn ", "lstm "))]
    assert len(rows) == 4  # RNN and LSTM, float64 and float32, at the smallest size
    assert all("(16, 32, 8, 20)" in row for row in rows)
