"""Forward + backward of a recurrent layer: readable, fused, PyTorch and the GEMM floor, side by side.

    bash scripts/bench.sh            # set up, then every size, both models, both dtypes (~5 min)
    bash scripts/bench.sh --quick    # the smallest size only

For each (n_x, n_a, m, T_x), model (RNN, LSTM) and dtype (float64, float32) it times, interleaved
and repeated, the median of:

- readable: ``rnnlstm.{model}_forward`` then ``rnnlstm.{model}_backward(da)``;
- fused: the same through :mod:`rnnlstm.fused`;
- torch: ``torch.nn.RNN`` / ``torch.nn.LSTM`` with the same weights, ``backward(da)`` through
  autograd, with as many threads as numpy's BLAS (only when PyTorch is installed);
- GEMM floor: the fused path's GEMMs alone, with the same shapes in the same order.

Each size runs in its own process. Peak memory is the growth of the process's maximum resident
set while one forward + backward runs, each implementation in a fresh process. It records which
BLAS numpy uses (threadpoolctl) and the OpenBLAS variables that change its kernels.
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


def implementations(model, size, dtype, with_torch, check=True):
    """name → a function running one forward + backward (and a check of its result)."""
    import rnnlstm
    from rnnlstm import fused

    n_x, n_a, m, T_x = size
    x, a0, p, da = problem(model, *size, dtype)
    runs = {
        "readable": lambda: getattr(rnnlstm, f"{model}_backward")(da, getattr(rnnlstm, f"{model}_forward")(x, a0, p)[-1]),
        "fused": lambda: getattr(fused, f"{model}_backward")(da, getattr(fused, f"{model}_forward")(x, a0, p)[-1]),
        "gemm floor": gemm_floor(model, size, dtype),
    }
    if with_torch:
        runs["torch"] = torch_run(model, x, a0, p, da, check)
    return runs


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
    n_x, m, T = x.shape
    n_a = a0.shape[0]
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
    ours = (fused.rnn_forward if model == "rnn" else fused.lstm_forward)(x, a0, p)[0]
    tolerance = 1e-10 if x.dtype == np.float64 else 1e-4
    difference = float(np.max(np.abs(out.detach().numpy().transpose(2, 1, 0) - ours)))
    assert difference < tolerance, f"torch computes another layer: max difference {difference:.1e}"
    return run


def flops(model, size):
    """Multiply-adds × 2 of the fused path's GEMMs: forward, recurrent backward, dW and dx."""
    n_x, n_a, m, T = size
    g = 4 * n_a if model == "lstm" else n_a
    return 2 * g * m * T * (n_x + n_a + n_a + n_a + n_x + n_x)


def time_size(size, repeats, with_torch):
    """One process: every model, dtype and implementation at ``size``, interleaved."""
    rows = []
    for model in MODELS:
        for dtype in DTYPES:
            runs = implementations(model, size, dtype, with_torch)
            for run in runs.values():
                run()  # warm up: page in, allocate scratch, load kernels
            times = {name: [] for name in runs}
            for _ in range(repeats):
                for name, run in runs.items():
                    start = time.perf_counter()
                    run()
                    times[name].append(time.perf_counter() - start)
            rows.append({"model": model, "dtype": dtype, "size": size, **{k: float(np.median(v)) for k, v in times.items()}})
    return rows


def peak_memory(model, size, dtype, name):
    """MiB by which the maximum resident set grows during one forward + backward."""
    run = implementations(model, size, dtype, name == "torch", check=False)[name]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024


def blas():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl is not installed: pip install -e '.[bench]')", {}

    info = [f"{i['internal_api']} {i['version']} ({i.get('architecture', '?')}, {i['num_threads']} threads)" for i in threadpool_info() if i["user_api"] == "blas"]
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS") if k in os.environ}
    return "; ".join(info), env


def child(args):
    """Run in a subprocess: print one JSON result."""
    try:
        import torch
    except ImportError:
        with_torch = False
    else:  # as many threads as numpy's BLAS uses
        with_torch = True
        try:
            from threadpoolctl import threadpool_info

            torch.set_num_threads(next(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"))
        except ImportError:
            torch.set_num_threads(os.cpu_count() or 1)
    size = SIZES[args.size]
    if args.memory:
        model, dtype, name = args.memory.split(",")
        print(json.dumps(peak_memory(model, size, dtype, name)))
    else:
        print(json.dumps({"rows": time_size(size, args.repeats, with_torch), "torch": with_torch, "blas": blas()}))


def run_child(*extra):
    out = subprocess.run([sys.executable, __file__, *extra], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the smallest size only")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory processes")
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--memory", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.size is not None:
        return child(args)

    sizes = range(1 if args.quick else len(SIZES))
    results = [run_child("--size", str(i), "--repeats", str(args.repeats)) for i in sizes]
    measured = ("readable", "fused", *(["torch"] if results[0]["torch"] else []))
    memory = {}
    if not args.no_memory:
        for i in sizes:
            for model in MODELS:
                for dtype in DTYPES:
                    for name in measured:
                        memory[i, model, dtype, name] = run_child("--size", str(i), "--memory", f"{model},{dtype},{name}")
    blas_info, env = results[0]["blas"]
    print(f"numpy {np.__version__}; BLAS: {blas_info}; OpenBLAS variables: {env or 'none set'}")
    print(f"{'model':<5} {'dtype':<8} {'(n_x, n_a, m, T_x)':<20} {'readable':>9} {'fused':>8} {'torch':>8} {'floor':>8}"
          f" {'fused/torch':>11} {'readable/fused':>14} {'GFLOP/s':>8} {'% floor':>8}  peak MiB (readable/fused/torch)")  # fmt: skip
    for i, result in zip(sizes, results):
        for row in result["rows"]:
            model, dtype, size = row["model"], row["dtype"], tuple(row["size"])
            torch_t = row.get("torch")
            mem = "/".join(f"{memory[i, model, dtype, n]:.0f}" if (i, model, dtype, n) in memory else "—" for n in ("readable", "fused", "torch"))
            torch_ms = f"{torch_t * 1e3:6.2f}ms" if torch_t else "—"
            versus = f"{row['fused'] / torch_t:.2f}" if torch_t else "—"
            print(
                f"{model:<5} {dtype:<8} {str(size):<20} {row['readable'] * 1e3:8.2f}ms {row['fused'] * 1e3:6.2f}ms "
                f"{torch_ms:>8} {row['gemm floor'] * 1e3:6.2f}ms {versus:>11} {row['readable'] / row['fused']:14.1f} "
                f"{flops(model, size) / row['fused'] / 1e9:8.1f} {100 * row['gemm floor'] / row['fused']:7.0f}%  {mem}"
            )
    print("\nTimes are medians of", args.repeats, "interleaved runs of forward + backward; each size in its own process.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
