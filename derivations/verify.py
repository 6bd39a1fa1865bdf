"""Every derived gradient, checked four ways: ``python -m derivations.verify``.

For each model, one row per derived partial derivative (the ``CELL``, ``OUTPUT`` and ``BPTT``
results of :mod:`derivations`), on one random problem in float64 where each quantity is compared
at every time step:

- **exact**: the brute-force cross-check of :mod:`derivations.bruteforce` (rationals written
  to 60 digits, exact entry-by-entry differentiation of the scalar loss);
- **numpy**: max abs(:mod:`rnnlstm` − the derived formula evaluated in float64);
- **finite differences**: the relative error of the derived value against central differences of
  the loss J, with the quantity perturbed at one step and every later value recomputed from the
  forward definitions (a local derivative such as tanh′ against differences of its function);
- **torch**: the relative error against PyTorch, when it is installed (``pip install
  torch==2.13.0``; otherwise the column says so): for the RNN, the LSTM and the course's GRU,
  autograd on an independent forward pass written here in PyTorch (no module of PyTorch computes
  the course's GRU: ``torch.nn.GRU`` is the frameworks' GRU); for the frameworks' GRU,
  ``torch.nn.GRU`` itself (:data:`REFERENCE`), which keeps its gates to itself, so the rows of
  the intermediates say "—".

:func:`step_sweep` measures the gradient check itself: its error against the finite-difference
step, in float64 and float32.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import sympy as sp

from rnnlstm import birnn_loss, gru, lstm, rnn, torch_gru
from rnnlstm.cells import CELLS
from rnnlstm.layouts import from_pytorch, to_pytorch
from rnnlstm.gradcheck import numerical_gradient, relative_error
from rnnlstm.output import output_layer
from rnnlstm.problems import random_bidirectional_problem, random_problem

from . import bruteforce, chapter, results
from .output import cross_entropy

MODELS = {"rnn": rnn, "lstm": lstm, "gru": gru, "torch_gru": torch_gru}
# what the torch column compares with: autograd on a forward pass written here, or PyTorch's module
REFERENCE = {"rnn": "PyTorch autograd", "lstm": "PyTorch autograd", "gru": "PyTorch autograd", "torch_gru": "torch.nn.GRU"}
SIZES = {"n_x": 3, "n_a": 4, "n_y": 3, "m": 3, "T_x": 3}
TOLERANCE = {"numpy": 1e-12, "finite_differences": 1e-6, "torch": 1e-12}


def _steps(array):
    return [array[:, :, t] for t in range(array.shape[2])]


def _keys(model):
    """The keys of every derived partial derivative of ``model``, in the book's order."""
    return [k for k in results(model) if ".forward." not in k]


def numpy_values(model, problem):
    """Every derived quantity as :mod:`rnnlstm` computes it: key → list of arrays, one per step
    (one in all for a total over the steps)."""
    lib, ch = MODELS[model], chapter(model)
    x, y, a0, parameters = problem
    forward = getattr(lib, f"{model}_forward")(x, a0, parameters)
    a, caches = forward[0], forward[-1]
    _, grads = getattr(lib, f"{model}_loss")(x, y, a0, parameters)
    carried = [grads["da_next"]] + ([grads["dc_next"]] if model == "lstm" else [])
    cell_backward = getattr(lib, f"{model}_cell_backward")
    cells = [cell_backward(*(g[:, :, t] for g in carried), cache) for t, cache in enumerate(caches[0])]
    W_y = parameters["Wya" if model == "rnn" else "Wy"]
    outputs = [output_layer(a[:, :, t : t + 1], y[:, :, t : t + 1], W_y, parameters["by"]) for t in range(x.shape[2])]
    values = {f"{model}.cell.{k}": [c[k] for c in cells] for k in ch.CELL}
    for i, k in enumerate(ch.OUTPUT, start=1):  # output_layer returns J, then dzy, dW, db, da_y: the OUTPUT order
        values[f"{model}.output.{k}"] = [o[i][:, :, 0] if o[i].ndim == 3 else o[i] for o in outputs]
    for k in ch.BPTT:
        values[f"{model}.bptt.{k}"] = _steps(grads[k]) if grads[k].ndim == 3 else [grads[k]]
    return values


def derived_values(model, problem):
    """Every derived quantity from the derived equations, evaluated in float64 step by step."""
    ch = chapter(model)
    x, y, a0, parameters = problem
    res = ch.loss_gradients(_steps(x), _steps(y), a0, parameters)
    values = {}
    for group in ("CELL", "OUTPUT"):
        for k, d in getattr(ch, group).items():
            values[f"{model}.{group.lower()}.{k}"] = [s[d.lhs] for s in res["steps"]]
    for k in ch.BPTT:
        values[f"{model}.bptt.{k}"] = res[k] if isinstance(res[k], list) else [res[k]]
    return values


@cache
def _numpy_function(f):
    v = sp.Dummy("v")
    return sp.lambdify(v, f(v), "numpy")


def finite_difference_values(model, problem, eps=1e-6):
    """Every derived quantity by central differences of the loss of the forward definitions."""
    ch = chapter(model)
    x, y, a0, P = problem
    xs, ys = _steps(x), _steps(y)
    clean = ch.forward(xs, a0, P)
    T = len(xs)
    state = [ch.xt, *(getattr(ch, s) for s in ("a_prev", "c_prev") if hasattr(ch, s))]  # what a step reads

    def after(t, values):
        """J from step t on, given step t's values: its loss and that of every later step."""
        carried = [values[ch.c_next]] if model == "lstm" else []
        return cross_entropy(values[ch.yt_pred], ys[t]) + ch.loss(xs[t + 1 :], ys[t + 1 :], values[ch.a_next], P, *carried)

    def earlier(t):
        return sum(cross_entropy(clean[s][ch.yt_pred], ys[s]) for s in range(t))

    def at_step(t, symbol):
        """∂J/∂symbol at step t: the step is recomputed from its inputs with symbol's value set."""
        inputs = {**ch.parameter_values(P), **{s: clean[t][s] for s in state}}
        return _difference(lambda X: earlier(t) + after(t, ch.cell_forward({**inputs, symbol: X})), clean[t][symbol], eps)

    def output_only(t, symbol):
        """∂(loss of step t)/∂symbol: the output layer alone."""
        inputs = {k: v for k, v in clean[t].items() if k not in (ch.zy, ch.yt_pred)}
        return _difference(lambda X: cross_entropy(ch.cell_forward({**inputs, symbol: X})[ch.yt_pred], ys[t]), clean[t][symbol], eps)

    def local(f, pre, t):
        g = _numpy_function(f)
        return _difference(lambda Z: float(np.sum(g(Z))), clean[t][pre], eps)

    values = {}
    for k in ch.CELL:
        if k in ch.LOCAL:
            f, pre, _ = ch.LOCAL[k]
            values[f"{model}.cell.{k}"] = [local(f, pre, t) for t in range(T)]
        else:
            values[f"{model}.cell.{k}"] = [at_step(t, ch.WRT[k]) for t in range(T)]
    for k in ch.OUTPUT:
        values[f"{model}.output.{k}"] = [output_only(t, ch.OUTPUT_WRT[k]) for t in range(T)]
    for k in ch.TOTAL:
        name = k[1:]
        values[f"{model}.bptt.{k}"] = [_difference(lambda X, name=name: ch.loss(xs, ys, a0, {**P, name: X}), P[name], eps)]
    values[f"{model}.bptt.dx"] = [
        _difference(lambda X, t=t: ch.loss([*xs[:t], X, *xs[t + 1 :]], ys, a0, P), xs[t], eps) for t in range(T)
    ]
    values[f"{model}.bptt.da0"] = [_difference(lambda X: ch.loss(xs, ys, X, P), a0, eps)]
    carried = next(s for s, d in ch.CARRIED.items() if d == ch.BPTT["da_next"].lhs)  # a⟨t⟩; the GRU's c⟨t⟩
    values[f"{model}.bptt.da_next"] = [at_step(t, carried) for t in range(T)]
    if model == "lstm":  # c⟨t⟩ as step t+1 uses it; nothing uses c⟨T_x⟩ after the last step
        values[f"{model}.bptt.dc_next"] = [at_step(t + 1, ch.c_prev) for t in range(T - 1)] + [np.zeros_like(a0)]
    return values


def _difference(f, at, eps):
    X = np.array(at, dtype=np.float64)
    return numerical_gradient(lambda: f(X), X, eps)


def torch_values(model, problem):
    """Every derived quantity by PyTorch autograd on its own forward pass, or ``None`` without
    PyTorch. Each step gets its own copy of the parameters (so their gradients are the step's
    share) and its own copy of a⟨t−1⟩, c⟨t−1⟩ and of a⟨t⟩ for the output (so their gradients are
    those of one use)."""
    try:
        import torch
    except ImportError:
        return None
    if model == "torch_gru":
        return _torch_gru_values(problem)
    ch = chapter(model)
    x, y, a0, P = problem
    T = x.shape[2]
    leaf = lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)  # noqa: E731
    a, c = leaf(a0), leaf(np.zeros(a0.shape))  # c⟨0⟩ = 0, a leaf so that its gradient shows
    xs, cells, outs, J = [leaf(v) for v in _steps(x)], [], [], 0
    for t in range(T):
        r = {k: leaf(v) for k, v in P.items()}
        r.update(xt=xs[t], a_prev=a.clone())
        if model == "rnn":
            r["z"] = r["Waa"] @ r["a_prev"] + r["Wax"] @ r["xt"] + r["ba"]
            r["a_next"] = torch.tanh(r["z"])
        elif model == "gru":
            r["c_prev"] = r.pop("a_prev")
            for g in ("ut", "rt", "cct"):
                w, bias, _, f = ch.GATES[g]
                state = r["rt"] * r["c_prev"] if g == "cct" else r["c_prev"]
                r[f"z{ch.GATES[g][2]}"] = r[w] @ torch.cat([state, r["xt"]]) + r[bias]
                r[g] = (torch.tanh if f is sp.tanh else torch.sigmoid)(r[f"z{ch.GATES[g][2]}"])
            r["c_next"] = r["a_next"] = r["ut"] * r["cct"] + (1 - r["ut"]) * r["c_prev"]
        else:
            r["c_prev"] = c.clone()
            r["concat"] = torch.cat([r["a_prev"], r["xt"]])
            for g, (w, bias, _, f) in ch.GATES.items():
                r[f"z{g[0]}"] = r[w] @ r["concat"] + r[bias]
                r[g] = (torch.tanh if f is sp.tanh else torch.sigmoid)(r[f"z{g[0]}"])
            r["c_next"] = r["ft"] * r["c_prev"] + r["it"] * r["cct"]
            r["a_next"] = r["ot"] * torch.tanh(r["c_next"])
            c = r["c_next"]
        o = {name: r.pop(name) for name in (s.name for s in ch.OUTPUT_WRT.values()) if name in P}  # W_y, b_y
        weight = next(name for name in o if name.startswith("W"))
        o["a_next"] = r["a_next"].clone()
        o["zy"] = o[weight] @ o["a_next"] + o["by"]
        J = J - (torch.tensor(y[:, :, t]) * torch.log_softmax(o["zy"], dim=0)).sum() / x.shape[1]
        a = r["a_next"]
        for v in [*r.values(), *o.values()]:
            if not v.is_leaf:
                v.retain_grad()
        cells.append(r)
        outs.append(o)
    J.backward()

    def grad(v):
        return np.zeros(tuple(v.shape)) if v.grad is None else v.grad.numpy().copy()

    def local(f, pre, t):
        z = cells[t][pre.name].detach().requires_grad_()
        (torch.tanh if f is sp.tanh else torch.sigmoid)(z).sum().backward()
        return z.grad.numpy()

    values = {}
    for k in ch.CELL:
        values[f"{model}.cell.{k}"] = [
            local(*ch.LOCAL[k][:2], t) if k in ch.LOCAL else grad(cells[t][ch.WRT[k].name]) for t in range(T)
        ]
    for k, symbol in ch.OUTPUT_WRT.items():
        values[f"{model}.output.{k}"] = [grad(outs[t][symbol.name]) for t in range(T)]
    for k in ch.TOTAL:
        values[f"{model}.bptt.{k}"] = [sum(grad((cells[t] | outs[t])[k[1:]]) for t in range(T))]
    values[f"{model}.bptt.dx"] = [grad(v) for v in xs]
    values[f"{model}.bptt.da0"] = [grad(cells[0]["c_prev" if model == "gru" else "a_prev"])]
    values[f"{model}.bptt.da_next"] = [grad(cells[t]["a_next"]) for t in range(T)]  # the GRU's a⟨t⟩ is c⟨t⟩
    if model == "lstm":
        values[f"{model}.bptt.dc_next"] = [grad(cells[t + 1]["c_prev"]) for t in range(T - 1)] + [np.zeros(a0.shape)]
    return values


def _torch_gru_values(problem):
    """The frameworks' GRU's quantities by ``torch.nn.GRU`` itself, loaded with
    :func:`rnnlstm.to_pytorch`, one step a call, each step with its own copy of the module and of
    the output layer (so that their gradients are the step's share) and of the state it reads.
    The parameters' gradients come back to the course's keys through :func:`rnnlstm.from_pytorch`,
    with the hidden biases of r and z, constants zero in ``to_pytorch``'s image, left out. The
    module keeps its gates to itself: their rows are ``None``."""
    import torch

    x, y, a0, P = problem
    (n_x, m, T), n_a, n_y = x.shape, a0.shape[0], P["Wy"].shape[0]
    state, head = to_pytorch(P, "torch_gru")
    leaf = lambda v: torch.tensor(np.ascontiguousarray(v), dtype=torch.float64, requires_grad=True)  # noqa: E731
    h0, xs = leaf(a0.T), [leaf(x[:, :, t].T) for t in range(T)]  # PyTorch's rows are the examples
    h, steps, J = h0, [], 0
    for t in range(T):
        module, linear = torch.nn.GRU(n_x, n_a).double(), torch.nn.Linear(n_a, n_y).double()
        module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
        linear.load_state_dict({k: torch.from_numpy(v) for k, v in head.items()})
        s = {"module": module, "linear": linear, "h_prev": h.clone()}
        s["h_next"] = module(xs[t][None], s["h_prev"][None])[1][0]
        s["a_out"] = s["h_next"].clone()  # the output layer's use of a⟨t⟩
        s["zy"] = linear(s["a_out"])
        J = J - (torch.tensor(y[:, :, t].T) * torch.log_softmax(s["zy"], dim=1)).sum() / m
        for k in ("h_prev", "h_next", "a_out", "zy"):
            s[k].retain_grad()
        steps.append(s)
        h = s["h_next"]
    J.backward()

    def course(s):
        """The step's gradients of the course's parameters."""
        grads = {k: p.grad.numpy().copy() for k, p in s["module"].named_parameters()}
        grads["bias_hh_l0"][: 2 * n_a] = 0  # r and z: no course parameter reaches them
        return from_pytorch(grads, "torch_gru", {k: p.grad.numpy() for k, p in s["linear"].named_parameters()})

    per_step = [course(s) for s in steps]
    values = {f"torch_gru.cell.{k}": [None] * T for k in chapter("torch_gru").CELL}
    for k in torch_gru.CELL_PARAMETERS:
        values[f"torch_gru.cell.d{k}"] = [g[k] for g in per_step]
    values["torch_gru.cell.da_prev"] = [s["h_prev"].grad.numpy().T for s in steps]
    values["torch_gru.cell.dxt"] = [v.grad.numpy().T for v in xs]
    for key, get in (("dzy", lambda s, g: s["zy"].grad.numpy().T), ("dWy", lambda s, g: g["Wy"]),
                     ("dby", lambda s, g: g["by"]), ("da_y", lambda s, g: s["a_out"].grad.numpy().T)):  # fmt: skip
        values[f"torch_gru.output.{key}"] = [get(s, g) for s, g in zip(steps, per_step)]
    for k in chapter("torch_gru").TOTAL:
        values[f"torch_gru.bptt.{k}"] = [sum(g[k[1:]] for g in per_step)]
    values["torch_gru.bptt.dx"] = values["torch_gru.cell.dxt"]
    values["torch_gru.bptt.da0"] = [h0.grad.numpy().T]
    values["torch_gru.bptt.da_next"] = [s["h_next"].grad.numpy().T for s in steps]
    return values


@dataclass(frozen=True)
class Row:
    """One derived partial derivative, checked: ``exact`` is the brute-force check's verdict
    (``None`` when not run), the others are the measured errors (``torch`` ``None`` without it, or
    where its ``reference`` cannot reach the quantity); ``reference`` is what the torch column
    compared with (:data:`REFERENCE`), ``None`` without PyTorch."""

    key: str
    exact: bool | None
    numpy: float
    finite_differences: float
    torch: float | None
    reference: str | None = None

    @property
    def passed(self):
        return (
            self.exact is not False
            and self.numpy <= TOLERANCE["numpy"]
            and self.finite_differences <= TOLERANCE["finite_differences"]
            and (self.torch is None or self.torch <= TOLERANCE["torch"])
        )


def _flat(arrays):
    return np.concatenate([np.asarray(a, np.float64).ravel() for a in arrays])


def table(model, exact=None, seed=0):
    """The rows of ``model`` (a key of ``MODELS``) on a random problem of the sizes ``SIZES``.

    ``exact`` is ``{key: bool}`` from the brute-force checks (see :func:`exact_checks`), or
    ``None`` to leave that column empty.
    """
    problem = random_problem(model, **SIZES, seed=seed)
    ours, derived, fd = numpy_values(model, problem), derived_values(model, problem), finite_difference_values(model, problem)
    reference = torch_values(model, problem)
    rows = []
    for key in _keys(model):
        d = _flat(derived[key])
        rows.append(
            Row(
                key,
                None if exact is None else exact[key],
                float(np.max(np.abs(_flat(ours[key]) - d))),
                relative_error(d, _flat(fd[key])),
                None if reference is None or reference[key][0] is None else relative_error(d, _flat(reference[key])),
                None if reference is None else REFERENCE[model],
            )
        )
    return rows


BIDIRECTIONAL_WIDTHS = (4, 2)  # n_a→ and n_a← of the bidirectional networks' rows


def bidirectional_table(cell, exact=None, seed=0):
    """The rows of the bidirectional network of ``cell``, one per result of
    :mod:`derivations.bidirectional`, on a random problem of the sizes ``SIZES`` with layers of
    :data:`BIDIRECTIONAL_WIDTHS`: :func:`rnnlstm.birnn_loss` against the derived equations
    (:func:`derivations.bidirectional.loss_gradients`), and the derived value against central
    differences of the loss of the forward definitions, with the state, the input or the output
    layer's block perturbed (:func:`derivations.bidirectional.loss_as_function_of`). ``exact`` is
    ``{key: bool}`` of the brute-force checks, which check every cell at once; PyTorch is not
    compared (its column ``None``)."""
    from . import bidirectional as bi  # derived when first needed (derivations/__init__.py)

    sizes = {k: v for k, v in SIZES.items() if k != "n_a"}
    x, y, a0, P = random_bidirectional_problem(cell, widths=BIDIRECTIONAL_WIDTHS, seed=seed, **sizes)
    xs, ys = _steps(x), _steps(y)
    _, grads = birnn_loss(x, y, a0, P, cell)
    derived = bi.loss_gradients(cell, xs, ys, a0, P)
    n = BIDIRECTIONAL_WIDTHS[0]

    def as_listed(g):  # by result: a list of each step's values, or the one total
        return {"da_f": g["da_next"][0], "da_b": g["da_next"][1], "dx": g["dx"],
                "dWy_f": [g["dWy"][:, :n]], "dWy_b": [g["dWy"][:, n:]], "dby": [g["dby"]]}  # fmt: skip

    ours = as_listed({**grads, "da_next": [_steps(a) for a in grads["da_next"]], "dx": _steps(grads["dx"])})
    theirs = as_listed(derived)
    rows = []
    for key in bi.BPTT:
        at_steps = range(len(xs)) if key in bi.PER_STEP else [0]
        fd = [_difference(*bi.loss_as_function_of(cell, key, t, xs, ys, a0, P), 1e-6) for t in at_steps]
        d = _flat(theirs[key])
        name = f"bidirectional.bptt.{key}"
        numpy = float(np.max(np.abs(_flat(ours[key]) - d)))
        rows.append(Row(name, None if exact is None else exact[name], numpy, relative_error(d, _flat(fd)), None))
    return rows


def exact_checks():
    """The brute-force verdict of every result, ``{key: bool}`` (about 10 s; in the book, read from
    the build's store of results when another page has computed them)."""
    return {c.key: c.agrees for chapter in [*MODELS, "bidirectional"] for c in bruteforce.checks(chapter)}


STEPS = np.logspace(0, -12, 25)  # the finite-difference steps of the sweep, two per decade


def step_sweep(model, dtype, steps=STEPS, seed=1):
    """The gradient check's relative error against the finite-difference step.

    The loss is computed by the library in ``dtype``; the analytic gradients (the reference)
    in float64. Returns ``[(step, relative error over every parameter)]``, up to the first step
    lost in rounding.
    """
    lib = MODELS[model]
    x, y, a0, parameters = random_problem(model, 3, 4, 3, 2, 3, seed=seed)
    _, grads = getattr(lib, f"{model}_loss")(x, y, a0, parameters)
    low_x, low_y, low_a0 = (v.astype(dtype) for v in (x, y, a0))
    p = {k: v.astype(dtype) for k, v in parameters.items()}
    forward, output = getattr(lib, f"{model}_forward"), CELLS[model].output

    def loss():  # the J of the library's loss, as it computes it, without the backward pass it also runs
        return output_layer(forward(low_x, low_a0, p)[0], low_y, p[output], p["by"])[0]

    analytic = _flat(grads["d" + k] for k in p)
    out = []
    for eps in steps:
        try:
            numeric = _flat(numerical_gradient(loss, v, eps) for v in p.values())
        except ValueError:  # θ ± eps rounds to θ: smaller steps are meaningless in this dtype
            break
        out.append((float(eps), relative_error(analytic, numeric)))
    return out


def format_table(rows):
    """The rows as aligned text."""
    lines = [f"{'result':<28} {'exact':>6} {'numpy−derived':>14} {'finite diff.':>13} {'torch':>14}  ok"]
    for r in rows:
        exact = "—" if r.exact is None else ("yes" if r.exact else "NO")
        torch = ("not installed" if r.reference is None else "—") if r.torch is None else f"{r.torch:.1e}"
        if r.key.startswith("bidirectional."):  # not compared: bidirectional_table has no PyTorch column
            torch = "—"
        lines.append(
            f"{r.key:<28} {exact:>6} {r.numpy:>14.1e} {r.finite_differences:>13.1e} {torch:>14}  {'ok' if r.passed else 'FAIL'}"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m derivations.verify", description=__doc__.split("\n")[0])
    parser.add_argument("--no-exact", action="store_true", help="skip the brute-force checks")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    verdicts = None if args.no_exact else exact_checks()
    tables = {model: table(model) for model in MODELS}
    tables |= {f"bidirectional {cell}": bidirectional_table(cell) for cell in chapter("bidirectional").CHAPTERS}
    failed = []
    for model, rows in tables.items():
        rows = [replace(r, exact=None if verdicts is None else verdicts[r.key]) for r in rows]
        sizes = SIZES if " " not in model else {**SIZES, "n_a": BIDIRECTIONAL_WIDTHS}
        torch = f"; torch: {REFERENCE[model]}" if rows[0].reference else ""
        print(f"\n{model.upper()} ({', '.join(f'{k} = {v}' for k, v in sizes.items())}, float64{torch})\n{format_table(rows)}")
        failed += [r.key for r in rows if not r.passed]
    print("\nThe gradient check against its step (relative error over every parameter):")
    for model in MODELS:
        for dtype in (np.float64, np.float32):
            eps, err = min(step_sweep(model, dtype), key=lambda s: s[1])
            print(f"  {model:<5} {np.dtype(dtype).name:<8} best step {eps:.0e}: relative error {err:.1e}")
    seconds = time.perf_counter() - start
    if failed:
        print(f"\nFAILED ({seconds:.0f} s): {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"\nEvery check passed ({seconds:.0f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
