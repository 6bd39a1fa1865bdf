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
    bars = lines[next(i for i, line in enumerate(lines) if line.startswith("The bars")) + 1 :]
    assert len(bars) == 4
    assert all(line.endswith((": met", "not measured in this run")) or ": not met: " in line for line in bars)
    assert "GEMM floor at the two large sizes: not measured in this run" in bars[2]  # --quick: the smallest only


def test_the_bars_name_each_row_that_misses_them_and_what_is_out_of_reach():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from recurrent import SIZES, bars
    finally:
        sys.path.pop(0)

    def row(model, dtype, size, readable, fused, floor, torch=None):
        times = {"readable": readable, "fused": fused, "gemm floor": floor}
        return {"model": model, "dtype": dtype, "size": size, **times, **({"torch": torch} if torch else {})}

    rows = [
        row("rnn", "float64", SIZES[0], readable=3.0, fused=1.0, floor=0.5, torch=2.0),  # 0.5 of torch, ratio 3
        row("lstm", "float64", SIZES[3], readable=3.0, fused=9.0, floor=8.0, torch=10.0),  # 0.9, floor 0.8 > 0.7
        row("lstm", "float32", SIZES[3], readable=3.0, fused=9.0, floor=6.0, torch=10.0),  # 0.9 ≤ 1, 67% of floor
        row("rnn", "float64", SIZES[2], readable=3.0, fused=7.5, floor=6.0, torch=10.0),  # 0.75, floor 0.6: 86% needed
    ]
    f64, f32, floor, small = bars(rows)
    assert f64.endswith(
        "not met: lstm float64 (256, 512, 64, 100) 0.90 (out of reach: floor/torch 0.80); "
        "rnn float64 (128, 256, 64, 100) 0.75 (needs 86% of the GEMM floor, reaches 80%)"
    )
    assert f32.endswith(": met")
    assert floor.endswith("not met: lstm float32 (256, 512, 64, 100) 66.7%")
    assert small.endswith(": met")
    f64, f32, *_ = bars([{k: v for k, v in r.items() if k != "torch"} for r in rows])
    assert f64.endswith("not measured in this run") and f32.endswith("not measured in this run")  # no PyTorch
