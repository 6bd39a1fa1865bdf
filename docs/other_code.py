"""The tables of the notation page's map of names: this book's quantities (their LaTeX and keys
from :mod:`derivations`) beside the names other code gives them. What PyTorch's and CS231n's
arrays hold, in which order and orientation, is read from the table that the converters of
:mod:`rnnlstm.layouts` use, so that the page and the converters cannot disagree; the other names
are facts about those code bases, written here."""

from __future__ import annotations

from derivations import lstm, notation, rnn
from rnnlstm.layouts import COURSE, LAYOUTS, key_shapes

CHAPTERS = {"rnn": rnn, "lstm": lstm}
GATE = {letter: gate for gate, (_, _, letter, _) in lstm.GATES.items()}  # the course's letter → code name: "u" → "it"
BLOCK = ("W_a", "W_x", "b")  # what a layout's key holds: the weights on a, on x, the bias


def tex(quantity):
    return f"${notation.latex(quantity)}$"


def cell_key(chapter, quantity):
    """The key of the cell result that is the gradient of ``quantity``."""
    return next(key for key, wrt in chapter.WRT.items() if wrt == quantity)


def gradient(chapter, quantity):
    """``$dX$ `key```: the gradient of ``quantity`` in one cell, as printed and as keyed."""
    key = cell_key(chapter, quantity)
    return f"{tex(chapter.CELL[key].lhs)} `{key}`"


def block(cell, letter):
    """The course's weight on a, weight on x and bias of one block (gate), as quantities."""
    on_a, on_x, bias = COURSE[cell].blocks[letter]
    parameters = CHAPTERS[cell].PARAMETERS
    if on_a == on_x:  # one weight on [a; x]: its two column blocks
        return lstm.W_a[GATE[letter]], lstm.W_x[GATE[letter]], parameters[bias]
    return parameters[on_a], parameters[on_x], parameters[bias]


def shape(dims):
    """``"4*n_a n_x"`` → ``$(4 n_a, n_x)$``; one dimension keeps its comma, as numpy prints it."""
    parts = [d.replace("*", " ") for d in dims.split()]
    return f"$({', '.join(parts)}{',' if len(parts) == 1 else ''})$"


def parameters_table(layout, cell):
    """Rows (key, shape, what it holds) of a layout's arrays for ``cell``."""
    spec = LAYOUTS[layout]
    shapes = {**key_shapes(layout, cell)[0], **key_shapes(layout, cell)[1]}
    biases = [key for key, held in spec.keys.items() if held == "b"]
    output = dict(zip(("W_y", "b_y"), (CHAPTERS[cell].PARAMETERS[k] for k in COURSE[cell].output)))
    rows = []
    for key, held in (spec.keys | spec.output).items():
        if held == "b" and key != biases[0]:
            holds = f"zero from `to_{layout}`; `from_{layout}` adds it to `{biases[0]}`"
        else:
            parts = [block(cell, letter)[BLOCK.index(held)] for letter, _ in spec.order[cell]] if held in BLOCK else [output[held]]
            holds = ", ".join(tex(p.T if spec.row_major and p.shape[1] != 1 else p) for p in parts)
            if len(parts) > 1:
                holds += ", one after the other" if held == "b" else ", side by side" if spec.row_major else ", stacked"
            if held == "b" and len(biases) > 1:
                holds += f"; the course's bias is the sum with `{biases[1]}`"
        rows.append((f"`{key}`", shape(shapes[key]), holds))
    return rows


def gate_names(layout):
    """The LSTM's gates in a layout's order: ``$\\Gamma_u^{...}$ (`i`), ...``."""
    return ", ".join(f"{tex(lstm.gate[GATE[letter]])} (`{name}`)" for letter, name in LAYOUTS[layout].order["lstm"])


def course_rows():
    """This book | the 2021 notebook | versions 2 and 3, where they differ."""
    u = GATE["u"]
    rows = [
        ("$\\odot$ (elementwise product)", "`*`", "`*`"),
        (
            f"{tex(lstm.gate[u])}, {tex(lstm.W[u])}, {tex(lstm.b[u])}: `{lstm.gate[u].name}`, `{lstm.W[u].name}`, `{lstm.b[u].name}`",
            r"$\Gamma_i^{\langle t \rangle}$, $W_i$, $b_i$ in the forward pass; $\Gamma_u^{\langle t \rangle}$, "
            r"$dW_u$, $db_u$ in the backward pass",
            r"$\Gamma_u^{\langle t \rangle}$, $W_u$, $dW_u$, $db_u$",
        ),
        (f"{gradient(rnn, rnn.z)} (the RNN)", "`dtanh`", "`dtanh`"),
    ]
    written = {  # how each notebook writes the gradient of the pre-activation of a gate, coded d + the gate's name
        "ft": (r"d\gamma_f", r"d\Gamma_f"),
        "it": (r"d\gamma_u", r"d\Gamma_u"),
        "cct": (r"dp\widetilde{c}", r"d\tilde{c}"),
        "ot": (r"d\gamma_o", r"d\Gamma_o"),
    }
    step = r"^{\langle t \rangle}"
    for g, (in_2021, earlier) in written.items():
        rows.append((gradient(lstm, lstm.z[g]), f"${in_2021}{step}$ `d{g}`", f"${earlier}{step}$ `d{g}`"))
    values = [cell_key(lstm, lstm.gate[g]) for g in lstm.GATES]
    rows.append((
        ", ".join(tex(lstm.CELL[k].lhs) for k in values) + ": " + ", ".join(f"`{k}`" for k in values),
        "not computed",
        "not computed",
    ))  # fmt: skip
    rows.append((gradient(lstm, lstm.c_next), "not named", "not named"))
    return rows


def cs231n_rows():
    """This book | CS231n's ``rnn_layers.py``, besides the parameters."""
    order = dict(LAYOUTS["cs231n"].order["lstm"])
    return [
        (f"{tex(lstm.xt)} `xt` $(n_x, m)$", "`x[:, t, :]` $(N, D)$; its `x` $(N, T, D)$ is `x.transpose(1, 2, 0)`"),
        (f"{tex(lstm.a_prev)}, {tex(lstm.a_next)}: `a_prev`, `a_next`", "`prev_h`, `next_h` $(N, H)$; `h` $(N, T, H)$; `h0` is `a0.T`"),
        (f"{tex(lstm.c_prev)}, {tex(lstm.c_next)}: `c_prev`, `c_next`", "`prev_c`, `next_c`; the first is zero in both"),
        (
            ", ".join(tex(lstm.gate[g]) for g in lstm.GATES),
            ", ".join(f"`{order[lstm.GATES[g][2]]}`" for g in lstm.GATES),
        ),
        (
            ", ".join(tex(lstm.z[g]) for g in lstm.GATES),
            ", ".join(f"$a_{order[lstm.GATES[g][2]]}$" for g in lstm.GATES)
            + ": the blocks of its `a` $(N, 4H)$, not a hidden state",
        ),
        (f"{tex(lstm.da_next)} `da_next`", "`dnext_h`, whole: `rnn_backward` adds the output's share and the next step's"),
        (f"{tex(lstm.dc_next)} `dc_next`", "`dnext_c`"),
        (f"{tex(lstm.CELL['da_prev'].lhs)} `da_prev`, {tex(lstm.CELL['dc_prev'].lhs)} `dc_prev`", "`dprev_h`, `dprev_c`"),
        (f"{tex(lstm.CELL['dxt'].lhs)} `dxt`, {tex(lstm.BPTT['da0'].lhs)} `da0`", "`dx` of the step, `dh0`"),
        (f"{tex(lstm.dzy)} `dzy`", "`dx[:, t, :]` of `temporal_softmax_loss`: the same $(\\hat{y} - y)/m$"),
        (f"{tex(lstm.TOTAL['dWf'])}, ...", "the blocks of `dWx`, `dWh`, `db`, laid out as `Wx`, `Wh`, `b`"),
    ]


# d2l's names of the LSTM's gates and of their parameters' subscripts, by the course's letter
D2L_GATES = {"f": ("F", r"\mathbf{F}_t"), "u": ("I", r"\mathbf{I}_t"), "c": ("C_tilda", r"\tilde{\mathbf{C}}_t"), "o": ("O", r"\mathbf{O}_t")}
D2L_SUBSCRIPT = {"f": "f", "u": "i", "c": "c", "o": "o"}


def d2l_rows():
    """This book | d2l's LSTM and RNN written from scratch."""
    P = rnn.PARAMETERS
    rows = [
        (f"{tex(lstm.xt)} `xt` $(n_x, m)$", "`X` $(n, d)$, a step of `inputs` $(T, n, d)$, which is `x.transpose(2, 1, 0)`"),
        (f"{tex(lstm.a_next)}, {tex(lstm.c_next)}", "`H`, `C` $(n, h)$"),
        (
            ", ".join(tex(lstm.gate[GATE[letter]]) for letter in D2L_GATES),
            ", ".join(f"`{code}` ${latex}$" for code, latex in D2L_GATES.values()),
        ),
        (f"{tex(P['Wax'])}, {tex(P['Waa'])}, {tex(P['ba'])} (the RNN)", f"`W_xh` = {tex(P['Wax'].T)}, `W_hh` = {tex(P['Waa'].T)}, `b_h`"),
    ]
    for letter, sub in D2L_SUBSCRIPT.items():
        g = GATE[letter]
        rows.append((
            f"{tex(lstm.W_x[g])}, {tex(lstm.W_a[g])}, {tex(lstm.b[g])}",
            f"`W_x{sub}` = {tex(lstm.W_x[g].T)}, `W_h{sub}` = {tex(lstm.W_a[g].T)}, `b_{sub}`",
        ))  # fmt: skip
    rows += [
        (f"{tex(lstm.PARAMETERS['Wy'])}, {tex(lstm.PARAMETERS['by'])}", f"`W_hq` = {tex(lstm.PARAMETERS['Wy'].T)}, `b_q` (flat)"),
        (f"{tex(lstm.zy)} `zy`", "`Y`: the softmax is in the loss"),
        ("every gradient", "autograd: the `.grad` of each parameter, none named"),
    ]
    return rows


def pytorch_rows():
    """This book | PyTorch's ``nn.RNN``/``nn.LSTM`` and ``nn.Linear``, besides the parameters."""
    order = dict(LAYOUTS["pytorch"].order["lstm"])
    return [
        ("`x` $(n_x, m, T_x)$", "`input` $(L, N, H_{in})$ is `x.transpose(2, 1, 0)`; with `batch_first=True`, $(N, L, H_{in})$, `x.transpose(1, 2, 0)`"),
        (f"${notation.Quantity('a', time='0').latex()}$ `a0`", "`h_0` $(1, N, H)$ is `a0.T[None]`, and `c_0` zero"),
        ("`a` $(n_a, m, T_x)$", "`output` $(L, N, H)$ is `a.transpose(2, 1, 0)`; `h_n` and `c_n` are the last step's"),
        (
            ", ".join(tex(lstm.gate[g]) for g in lstm.GATES),
            ", ".join(f"${order[lstm.GATES[g][2]]}_t$" for g in lstm.GATES),
        ),
        (f"{tex(lstm.TOTAL['dWf'])}, ..., {tex(lstm.TOTAL['dbf'])}, ...", "after `backward()`, the blocks of `weight_ih_l0.grad`, `weight_hh_l0.grad`, and `bias_ih_l0.grad` (equal to `bias_hh_l0.grad`)"),
        (f"`dx`, {tex(lstm.BPTT['da0'].lhs)} `da0`", "the `.grad` of `input` and `h_0`, where they require it"),
        (f"{tex(lstm.da_next)}, {tex(lstm.z['ft'])}, ... in each step", "not kept: autograd's intermediates"),
    ]
