"""Forward + backward of a recurrent layer: readable, fused, PyTorch and the GEMM floor, side by side.

    bash scripts/bench.sh            # set up, then every size, both models, both dtypes (~5 min)
    bash scripts/bench.sh --quick    # the smallest size only

For each (n_x, n_a, m, T_x), model (RNN, LSTM) and dtype (float64, float32) it times, repeated,
the median of:

- readable: ``rnnlstm.{model}_forward`` then ``rnnlstm.{model}_backward(da)``;
- fused: the same through :mod:`rnnlstm.fused`;
- torch: ``torch.nn.RNN`` / ``torch.nn.LSTM`` with the same weights, ``backward(da)`` through
  autograd, with as many threads as numpy's BLAS (only when PyTorch is installed);
- GEMM floor: the fused path's GEMMs alone, with the same shapes in the same order. floor/torch
  is the best fused/torch that any implementation doing these GEMMs with this BLAS could reach.

The numpy implementations run interleaved in one process per size. PyTorch runs in processes of
its own, alternating with the numpy ones (``--rounds`` times each): after every call its OpenMP
threads keep spinning for a while, and in the same process they took the cores from OpenBLAS's
threads (numpy's times doubled at the smallest size, its GEMMs alone took 15× longer). Peak
memory is how far the resident set rises above its size at the start of one forward + backward,
each implementation in a fresh process. It records which BLAS numpy uses (threadpoolctl) and the
OpenBLAS variables that change its kernels.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

SIZES = [(16, 32, 8, 20), (64, 128, 32, 50), (128, 256, 64, 100), (256, 512, 64, 100)]
N_Y = 2  # the course's functions include an output layer; a small one keeps it out of the way
DTYPES = ("float64", "float32")
MODELS = ("rnn", "lstm")


def problem(model, n_x, n_a, m, T_x, dtype):
    """Weights of scale 1/√n_a, as initializations use: a contracting recursion, so that rounding
    differences do not grow over the steps and the results can be compared. (From
    rnnlstm.problems, which does not import SymPy: its memory would hide the peaks.)"""
    from rnnlstm.problems import random_problem

    x, _, a0, p = random_problem(model, n_x, n_a, N_Y, m, T_x, seed=0, dtype=np.dtype(dtype), scale=1 / np.sqrt(n_a))
    da = np.random.default_rng(1).normal(size=(n_a, m, T_x)).astype(dtype)
    return x, a0, p, da


NUMPY = ("readable", "fused", "gemm floor")


def implementations(model, size, dtype, names, check=True):
    """name → a function running one forward + backward, for each of ``names`` (NUMPY or torch)."""
    import rnnlstm
    from rnnlstm import fused

    x, a0, p, da = problem(model, *size, dtype)

    def forward_backward(module):
        forward, backward = getattr(module, f"{model}_forward"), getattr(module, f"{model}_backward")
        return lambda: backward(da, forward(x, a0, p)[-1])

    make = {
        "readable": lambda: forward_backward(rnnlstm),
        "fused": lambda: forward_backward(fused),
        "gemm floor": lambda: gemm_floor(model, size, dtype),
        "torch": lambda: torch_run(model, x, a0, p, da, check),
    }
    return {name: make[name]() for name in names}


def gemm_floor(model, size, dtype):
    """The GEMMs of the fused path alone: same shapes, same layout, same order, preallocated outputs."""
    n_x, n_a, m, T = size
    g = 4 * n_a if model == "lstm" else n_a
    rng = np.random.default_rng(2)
    Wx, Wa = rng.normal(size=(g, n_x)).astype(dtype), rng.normal(size=(g, n_a)).astype(dtype)
    inputs = rng.normal(size=(g, n_x + 1)).astype(dtype).T
    AX = rng.normal(size=((T + 1) * m, n_a + n_x + 1)).astype(dtype)  # rows [a⟨t⟩ | x⟨t+1⟩ | 1]
    G, rec, back = np.empty((T * m, g), dtype), np.empty((m, g), dtype), np.empty((m, n_a), dtype)
    dWb, dX = np.empty((g, n_a + n_x + 1), dtype), np.empty((T * m, n_x), dtype)

    def run():
        np.matmul(AX[: T * m, n_a:], inputs, out=G)  # the input projections and biases
        WaT = np.ascontiguousarray(Wa.T)
        for t in range(T):
            np.matmul(AX[t * m : (t + 1) * m, :n_a], WaT, out=rec)  # the recurrence, forward
        for t in reversed(range(T)):
            np.matmul(G[t * m : (t + 1) * m], Wa, out=back)  # the recurrence, backward
        np.matmul(G.T, AX[: T * m], out=dWb)  # [dW | db] over all steps
        np.matmul(G, Wx, out=dX)  # every step's dx

    return run


def torch_run(model, x, a0, p, da, check=True):
    """torch.nn.RNN / nn.LSTM with our weights; returns a function running forward + backward."""
    import torch

    from rnnlstm import fused

    dtype = torch.float64 if x.dtype == np.float64 else torch.float32
    n_x, n_a = x.shape[0], a0.shape[0]
    if model == "rnn":
        layer = torch.nn.RNN(n_x, n_a, nonlinearity="tanh")
        weights = {"weight_ih_l0": p["Wax"], "weight_hh_l0": p["Waa"], "bias_ih_l0": p["ba"][:, 0]}
    else:
        layer = torch.nn.LSTM(n_x, n_a)
        W, b = fused.stack_lstm(p)  # rows f, i, o, c; PyTorch's gates are i, f, g (= c), o
        order = np.concatenate([np.arange(n_a, 2 * n_a), np.arange(n_a), np.arange(3 * n_a, 4 * n_a), np.arange(2 * n_a, 3 * n_a)])
        weights = {"weight_ih_l0": W[order, n_a:], "weight_hh_l0": W[order, :n_a], "bias_ih_l0": b[order, 0]}
    layer = layer.to(dtype)
    with torch.no_grad():
        for name, value in weights.items():
            getattr(layer, name).copy_(torch.from_numpy(np.ascontiguousarray(value)))
        layer.bias_hh_l0.zero_()
    inputs = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 1, 0))).requires_grad_()  # (T_x, m, n_x)
    h0 = torch.from_numpy(np.ascontiguousarray(a0.T))[None].requires_grad_()
    upstream = torch.from_numpy(np.ascontiguousarray(da.transpose(2, 1, 0)))
    state = h0 if model == "rnn" else (h0, torch.zeros_like(h0))

    def run():
        layer.zero_grad()
        inputs.grad = h0.grad = None
        out, _ = layer(inputs, state)
        out.backward(upstream)
        return out

    if not check:
        return run
    out = run()  # same forward as ours, checked once (not when measuring memory: it would set the peak)
    ours = getattr(fused, f"{model}_forward")(x, a0, p)[0]
    tolerance = 1e-10 if x.dtype == np.float64 else 1e-4
    difference = float(np.max(np.abs(out.detach().numpy().transpose(2, 1, 0) - ours)))
    assert difference < tolerance, f"torch computes another layer: max difference {difference:.1e}"
    return run


# The bars of issue 5: (what, ratio, at most / at least, the rows it applies to)
BARS = [
    ("fused/torch ≤ 0.7 in float64, every size", "fused/torch", ("max", 0.7), lambda r: r["dtype"] == "float64"),
    ("fused/torch ≤ 1.0 in float32, every size", "fused/torch", ("max", 1.0), lambda r: r["dtype"] == "float32"),
    ("≥ 80% of the GEMM floor at the two large sizes", "% floor", ("min", 80), lambda r: r["size"] in SIZES[2:]),
    ("readable/fused ≥ 2 at the smallest size", "readable/fused", ("min", 2), lambda r: r["size"] == SIZES[0]),
]


def ratios(row):
    """The ratios the bars are about, for one row of times (None where PyTorch was not timed)."""
    torch_t = row.get("torch")
    return {
        "fused/torch": row["fused"] / torch_t if torch_t else None,
        "floor/torch": row["gemm floor"] / torch_t if torch_t else None,
        "% floor": 100 * row["gemm floor"] / row["fused"],
        "readable/fused": row["readable"] / row["fused"],
    }


def bars(rows):
    """One line per bar: met, not measured, or the rows that miss it; for a bar on fused/torch, a
    miss says what meeting it takes (:func:`_reach`)."""
    lines = []
    for what, ratio, (sense, bound), applies in BARS:
        values = [(row, ratios(row)) for row in rows if applies(row)]
        values = [(row, r) for row, r in values if r[ratio] is not None]
        misses = [(row, r) for row, r in values if (r[ratio] > bound if sense == "max" else r[ratio] < bound)]
        if not values:
            verdict = "not measured in this run"
        elif not misses:
            verdict = "met"
        else:
            verdict = "not met: " + "; ".join(
                f"{row['model']} {row['dtype']} {tuple(row['size'])} " + (f"{r[ratio]:.1f}%" if ratio == "% floor" else f"{r[ratio]:.2f}")
                + (_reach(r, bound) if ratio == "fused/torch" else "")
                for row, r in misses
            )
        lines.append(f"  {what}: {verdict}")
    return lines


def _reach(r, bound):
    """A fused/torch bar is out of reach where the GEMMs alone (floor/torch) already miss it; else
    it takes a share floor/torch ÷ bound of the GEMM floor, against the share the row reaches."""
    if r["floor/torch"] > bound:
        return f" (out of reach: floor/torch {r['floor/torch']:.2f})"
    return f" (needs {100 * r['floor/torch'] / bound:.0f}% of the GEMM floor, reaches {r['% floor']:.0f}%)"


def flops(model, size):
    """Multiply-adds × 2 of the fused path's GEMMs: forward, recurrent backward, dW and dx."""
    n_x, n_a, m, T = size
    g = 4 * n_a if model == "lstm" else n_a
    return 2 * g * m * T * (n_x + n_a + n_a + n_a + n_x + n_x)


def time_size(size, repeats, names):
    """One process: every model and dtype at ``size``, the implementations ``names`` interleaved;
    {"model,dtype": {name: [seconds, ...]}}."""
    times = {}
    for model in MODELS:
        for dtype in DTYPES:
            runs = implementations(model, size, dtype, names)
            for run in runs.values():
                run()  # warm up: page in, allocate scratch, load kernels
            times[f"{model},{dtype}"] = measured = {name: [] for name in runs}
            for _ in range(repeats):
                for name, run in runs.items():
                    start = time.perf_counter()
                    run()
                    measured[name].append(time.perf_counter() - start)
    return times


def peak_memory(model, size, dtype, name):
    """MiB by which the resident set peaks above its size at the start of one forward + backward.

    On Linux the process's peak (VmHWM) is reset to its current size first (/proc/self/clear_refs),
    so that the imports' and the inputs' own peaks do not hide the run's; elsewhere the growth of
    the maximum resident set, which they can hide (0)."""
    run = implementations(model, size, dtype, [name], check=False)[name]
    try:
        before, peak = _status_kib("VmRSS"), lambda: _status_kib("VmHWM")
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak resident set to the current one
    except OSError:
        before, peak = _max_rss_kib(), _max_rss_kib
    run()
    return (peak() - before) / 1024


def _max_rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _status_kib(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def _blas_pools():
    """threadpoolctl's records of the BLAS libraries loaded (ImportError without threadpoolctl)."""
    from threadpoolctl import threadpool_info

    return [i for i in threadpool_info() if i["user_api"] == "blas"]


def blas():
    try:
        pools = _blas_pools()
    except ImportError:
        return "unknown (threadpoolctl is not installed: pip install -e '.[bench]')", {}

    info = [f"{i['internal_api']} {i['version']} ({i.get('architecture', '?')}, {i['num_threads']} threads)" for i in pools]
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS") if k in os.environ}
    return "; ".join(info), env


def torch_installed():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def child(args):
    """Run in a subprocess: print one JSON result."""
    names = args.names.split(",")
    if "torch" in names:  # as many threads as numpy's BLAS uses
        import torch

        try:
            torch.set_num_threads(_blas_pools()[0]["num_threads"])
        except ImportError:
            torch.set_num_threads(os.cpu_count() or 1)
    size = SIZES[args.size]
    if args.memory:
        model, dtype = args.memory.split(",")
        print(json.dumps(peak_memory(model, size, dtype, *names)))
    else:
        print(json.dumps({"times": time_size(size, args.repeats, names), "blas": blas()}))


def run_child(*extra):
    out = subprocess.run([sys.executable, __file__, *extra], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the smallest size only")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each implementation per process")
    parser.add_argument("--rounds", type=int, default=3, help="processes per size and kind (numpy, PyTorch), alternating")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory processes")
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--names", help=argparse.SUPPRESS)
    parser.add_argument("--memory", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.size is not None:
        return child(args)

    sizes = range(1 if args.quick else len(SIZES))
    kinds = [",".join(NUMPY), *(["torch"] if torch_installed() else [])]
    rows = []
    for i in sizes:
        times = {}
        for _ in range(args.rounds):
            for names in kinds:
                out = run_child("--size", str(i), "--names", names, "--repeats", str(args.repeats))
                for key, measured in out["times"].items():
                    for name, seconds in measured.items():
                        times.setdefault(key, {}).setdefault(name, []).extend(seconds)
        for key, measured in times.items():
            model, dtype = key.split(",")
            rows.append({"model": model, "dtype": dtype, "size": SIZES[i], **{k: float(np.median(v)) for k, v in measured.items()}})
    memory = {}
    if not args.no_memory:
        for i in sizes:
            for model in MODELS:
                for dtype in DTYPES:
                    for name in ("readable", "fused", *kinds[1:]):
                        memory[SIZES[i], model, dtype, name] = run_child("--size", str(i), "--names", name, "--memory", f"{model},{dtype}")
    blas_info, env = out["blas"]  # the same in every process
    print(f"numpy {np.__version__}; BLAS: {blas_info}; OpenBLAS variables: {env or 'none set'}")
    print(f"{'model':<5} {'dtype':<8} {'(n_x, n_a, m, T_x)':<20} {'readable':>9} {'fused':>8} {'torch':>8} {'floor':>8}"
          f" {'fused/torch':>11} {'floor/torch':>11} {'readable/fused':>14} {'GFLOP/s':>8} {'% floor':>8}  peak MiB (readable/fused/torch)")  # fmt: skip
    for row in rows:
        model, dtype, size = row["model"], row["dtype"], row["size"]
        torch_t, r = row.get("torch"), ratios(row)
        mem = "/".join(f"{memory[size, model, dtype, n]:.0f}" if (size, model, dtype, n) in memory else "—" for n in ("readable", "fused", "torch"))
        torch_ms = f"{torch_t * 1e3:6.2f}ms" if torch_t else "—"
        versus, floor_versus = (f"{r[k]:.2f}" if torch_t else "—" for k in ("fused/torch", "floor/torch"))
        print(
            f"{model:<5} {dtype:<8} {size!s:<20} {row['readable'] * 1e3:8.2f}ms {row['fused'] * 1e3:6.2f}ms "
            f"{torch_ms:>8} {row['gemm floor'] * 1e3:6.2f}ms {versus:>11} {floor_versus:>11} {r['readable/fused']:14.1f} "
            f"{flops(model, size) / row['fused'] / 1e9:8.1f} {r['% floor']:7.0f}%  {mem}"
        )
    print(f"\nTimes are medians of {args.rounds} × {args.repeats} runs of forward + backward: the numpy ones interleaved in one process"
          f" per size, PyTorch in processes of its own, alternating ({args.rounds} of each kind).")  # fmt: skip
    measured_sizes = ", ".join(str(SIZES[i]) for i in sizes)
    print(f"\nThe bars, measured in this run at {measured_sizes}:", *bars(rows), sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
