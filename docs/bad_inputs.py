"""The catalogue of bad inputs that :mod:`rnnlstm` refuses: the API page runs every case when the
book is built and shows the message it raised; the tests run the same cases and check the type,
the message, that nothing ran before the refusal and that no input was modified."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace
from typing import Callable

import numpy as np

import rnnlstm
from rnnlstm.problems import random_bidirectional_problem, random_deep_problem, random_problem

SIZES = {"n_x": 3, "n_a": 5, "n_y": 4, "m": 6, "T_x": 7}


@dataclass(frozen=True)
class Case:
    """``function(*arguments(problem))`` must raise ``error`` with every piece of ``message``."""

    what: str
    function: str
    arguments: Callable
    error: type
    message: tuple[str, ...]


@cache
def problem(model):
    """A valid problem of :data:`SIZES`, its forward pass and the caches, as attributes (one per
    model, shared: the cases must not, and the tests check that they do not, modify it)."""
    x, y, a0, p = random_problem(model, **SIZES, seed=11)
    forward = getattr(rnnlstm, f"{model}_forward")(x, a0, p)
    cell = getattr(rnnlstm, f"{model}_cell_forward")(x[:, :, 0], a0, *([np.zeros_like(a0)] if model == "lstm" else []), p)
    return SimpleNamespace(x=x, y=y, a0=a0, p=p, a=forward[0], caches=forward[-1], cell_cache=cell[-1], a_next=cell[0])


def with_(p, **changes):
    return {**p, **changes}


def without(p, key):
    return {k: v for k, v in p.items() if k != key}


def nan_at(array, index):
    out = array.copy()
    out[index] = np.nan
    return out


n_x, n_a, n_y, m, T_x = SIZES.values()
RNN = [
    Case("x with 2 dimensions", "rnn_loss", lambda s: (s.x[:, :, 0], s.y, s.a0, s.p), ValueError,
         ("x must have shape (n_x, m, T_x) = (3, ?, ?)", "got (3, 6)")),
    Case("x inconsistent with W_ax", "rnn_loss", lambda s: (np.ones((4, m, T_x)), s.y, s.a0, s.p), ValueError,
         ("x must have shape (n_x, m, T_x) = (3, ?, ?)", "got (4, 6, 7)")),
    Case("a0 inconsistent with W_aa", "rnn_loss", lambda s: (s.x, s.y, np.ones((n_a + 1, m)), s.p), ValueError,
         ("a0 must have shape (n_a, m) = (5, 6)", "got (6, 6)")),
    Case("a0 with another m than x", "rnn_forward", lambda s: (s.x, np.ones((n_a, m + 1)), s.p), ValueError,
         ("a0 must have shape (n_a, m) = (5, 6)", "got (5, 7)")),
    Case("a0 of one column for m examples (it would broadcast)", "rnn_loss", lambda s: (s.x, s.y, s.a0[:, :1], s.p),
         ValueError, ("a0 must have shape (n_a, m) = (5, 6)", "got (5, 1)")),
    Case("a bias of shape (n_a,)", "rnn_loss", lambda s: (s.x, s.y, s.a0, with_(s.p, ba=s.p["ba"][:, 0])), ValueError,
         ('parameters["ba"] must have shape (n_a, 1) = (5, 1)', "got (5,)")),
    Case("W_ya inconsistent with W_aa", "rnn_loss", lambda s: (s.x, s.y, s.a0, with_(s.p, Wya=np.ones((n_y, n_a + 2)))),
         ValueError, ('parameters["Wya"] must have shape (n_y, n_a) = (4, 5)', "got (4, 7)")),
    Case("a missing key", "rnn_forward", lambda s: (s.x, s.a0, without(s.p, "Wya")), ValueError, ("missing Wya",)),
    Case("an extra key", "rnn_loss", lambda s: (s.x, s.y, s.a0, with_(s.p, Wy=s.p["Wya"])), ValueError, ("unknown Wy",)),
    Case("parameters as a list", "rnn_loss", lambda s: (s.x, s.y, s.a0, list(s.p.values())), TypeError,
         ("parameters must be a dict",)),
    Case("NaN in x", "rnn_loss", lambda s: (nan_at(s.x, (0, 1, 2)), s.y, s.a0, s.p), ValueError, ("x contains NaN or Inf",)),
    Case("Inf in W_aa", "rnn_forward", lambda s: (s.x, s.a0, with_(s.p, Waa=np.full((n_a, n_a), np.inf))), ValueError,
         ('parameters["Waa"] contains NaN or Inf',)),
    Case("an integer array", "rnn_loss", lambda s: (s.x.astype(int), s.y, s.a0, s.p), TypeError,
         ("x must be a float32 or float64 array, got dtype int64",)),
    Case("an object array", "rnn_loss", lambda s: (s.x, s.y, s.a0.astype(object), s.p), TypeError,
         ("a0 must be a float32 or float64 array, got dtype object",)),
    Case("a float16 array", "rnn_forward", lambda s: (s.x.astype(np.float16), s.a0, s.p), TypeError,
         ("x must be a float32 or float64 array, got dtype float16",)),
    Case("a list instead of an array", "rnn_forward", lambda s: (s.x.tolist(), s.a0, s.p), TypeError,
         ("x must be a numpy array of shape (n_x, m, T_x), got list",)),
    Case("an empty sequence, T_x = 0", "rnn_loss", lambda s: (s.x[:, :, :0], s.y[:, :, :0], s.a0, s.p), ValueError,
         ("x has T_x = 0",)),
    Case("y with another T_x than x", "rnn_loss", lambda s: (s.x, s.y[:, :, :4], s.a0, s.p), ValueError,
         ("y must have shape (n_y, m, T_x) = (4, 6, 7)", "got (4, 6, 4)")),
    Case("y whose columns are not distributions", "rnn_loss", lambda s: (s.x, 2 * s.y, s.a0, s.p), ValueError,
         ("y must hold one-hot",)),
    Case("x⟨t⟩ of the whole sequence to a cell", "rnn_cell_forward", lambda s: (s.x, s.a0, s.p), ValueError,
         ("xt must have shape (n_x, m) = (3, ?)", "got (3, 6, 7)")),
    Case("da_next with another m than the cache", "rnn_cell_backward", lambda s: (s.a_next[:, :1], s.cell_cache),
         ValueError, ("da_next must have shape (n_a, m) = (5, 6)", "got (5, 1)")),
    Case("a cache that is not the cell's", "rnn_cell_backward", lambda s: (s.a_next, list(s.cell_cache)), TypeError,
         ("expected the cache returned by rnn_cell_forward",)),
    Case("da with 4 steps for a sequence of 7", "rnn_backward", lambda s: (s.a[:, :, :4], s.caches), ValueError,
         ("da must have shape (n_a, m, T_x) = (5, 6, 7)", "got (5, 6, 4)")),
    Case("NaN in da", "rnn_backward", lambda s: (nan_at(s.a, (1, 1, 1)), s.caches), ValueError, ("da contains NaN or Inf",)),
    Case("caches of another function", "rnn_backward", lambda s: (s.a, s.caches[0]), TypeError,
         ("expected the cache returned by rnn_forward",)),
    Case("the LSTM's caches", "rnn_backward", lambda s: (s.a, problem("lstm").caches), TypeError,
         ("expected the caches returned by rnn_forward",)),
]  # fmt: skip

LSTM = [
    Case("one gate weight of another width", "lstm_loss", lambda s: (s.x, s.y, s.a0, with_(s.p, Wo=np.ones((n_a, n_a + n_x + 1)))),
         ValueError, ('parameters["Wo"] must have shape (n_a, n_a + n_x) = (5, 8)', "got (5, 9)")),
    Case("a gate bias of shape (n_a,)", "lstm_forward", lambda s: (s.x, s.a0, with_(s.p, bf=s.p["bf"][:, 0])), ValueError,
         ('parameters["bf"] must have shape (n_a, 1) = (5, 1)', "got (5,)")),
    Case("a missing gate", "lstm_loss", lambda s: (s.x, s.y, s.a0, without(s.p, "Wc")), ValueError, ("missing Wc",)),
    Case("a0 of one column for m examples (it would broadcast)", "lstm_loss", lambda s: (s.x, s.y, s.a0[:, :1], s.p),
         ValueError, ("a0 must have shape (n_a, m) = (5, 6)", "got (5, 1)")),
    Case("a0 of one column, to the forward pass", "lstm_forward", lambda s: (s.x, s.a0[:, :1], s.p), ValueError,
         ("a0 must have shape (n_a, m) = (5, 6)", "got (5, 1)")),
    Case("the RNN's parameters", "lstm_forward", lambda s: (s.x, s.a0, problem("rnn").p), ValueError,
         ("missing Wf", "unknown Wax")),
    Case("x inconsistent with the gate weights", "lstm_loss", lambda s: (np.ones((n_x + 1, m, T_x)), s.y, s.a0, s.p),
         ValueError, ("x must have shape (n_x, m, T_x) = (3, ?, ?)", "got (4, 6, 7)")),
    Case("dc_next with another shape", "lstm_cell_backward", lambda s: (s.a_next, s.a_next[:2], s.cell_cache), ValueError,
         ("dc_next must have shape (n_a, m) = (5, 6)", "got (2, 6)")),
    Case("the RNN's cell cache", "lstm_cell_backward", lambda s: (s.a_next, s.a_next, problem("rnn").cell_cache),
         TypeError, ("expected the cache returned by lstm_cell_forward",)),
    Case("da with 4 steps for a sequence of 7", "lstm_backward", lambda s: (s.a[:, :, :4], s.caches), ValueError,
         ("da must have shape (n_a, m, T_x) = (5, 6, 7)", "got (5, 6, 4)")),
    Case("an empty sequence, T_x = 0", "lstm_forward", lambda s: (s.x[:, :, :0], s.a0, s.p), ValueError, ("x has T_x = 0",)),
]  # fmt: skip

GRU = [
    Case("the LSTM's parameters", "gru_loss", lambda s: (s.x, s.y, s.a0, problem("lstm").p), ValueError,
         ("missing Wu", "unknown Wf")),
    Case("a reset gate weight of another width", "gru_forward", lambda s: (s.x, s.a0, with_(s.p, Wr=np.ones((n_a, n_a + n_x + 1)))),
         ValueError, ('parameters["Wr"] must have shape (n_a, n_a + n_x) = (5, 8)', "got (5, 9)")),
    Case("an update gate bias of shape (n_a,)", "gru_loss", lambda s: (s.x, s.y, s.a0, with_(s.p, bu=s.p["bu"][:, 0])),
         ValueError, ('parameters["bu"] must have shape (n_a, 1) = (5, 1)', "got (5,)")),
    Case("a0 of one column for m examples (it would broadcast)", "gru_loss", lambda s: (s.x, s.y, s.a0[:, :1], s.p),
         ValueError, ("a0 must have shape (n_a, m) = (5, 6)", "got (5, 1)")),
    Case("da_next with another m than the cache", "gru_cell_backward", lambda s: (s.a_next[:, :1], s.cell_cache),
         ValueError, ("da_next must have shape (n_a, m) = (5, 6)", "got (5, 1)")),
    Case("the LSTM's cell cache", "gru_cell_backward", lambda s: (s.a_next, problem("lstm").cell_cache), TypeError,
         ("expected the cache returned by gru_cell_forward",)),
    Case("da with 4 steps for a sequence of 7", "gru_backward", lambda s: (s.a[:, :, :4], s.caches), ValueError,
         ("da must have shape (n_a, m, T_x) = (5, 6, 7)", "got (5, 6, 4)")),
    Case("the RNN's caches", "gru_backward", lambda s: (s.a, problem("rnn").caches), TypeError,
         ("expected the caches returned by gru_forward",)),
]  # fmt: skip

TORCH_GRU = [
    Case("the course's GRU's parameters (no recurrent bias)", "torch_gru_loss",
         lambda s: (s.x, s.y, s.a0, problem("gru").p), ValueError, ("missing bcc",)),
    Case("a recurrent bias of shape (n_a,)", "torch_gru_forward", lambda s: (s.x, s.a0, with_(s.p, bcc=s.p["bcc"][:, 0])),
         ValueError, ('parameters["bcc"] must have shape (n_a, 1) = (5, 1)', "got (5,)")),
    Case("the LSTM's cell cache", "torch_gru_cell_backward", lambda s: (s.a_next, problem("lstm").cell_cache), TypeError,
         ("expected the cache returned by torch_gru_cell_forward",)),
    Case("da with 4 steps for a sequence of 7", "torch_gru_backward", lambda s: (s.a[:, :, :4], s.caches), ValueError,
         ("da must have shape (n_a, m, T_x) = (5, 6, 7)", "got (5, 6, 4)")),
]  # fmt: skip


WIDTHS = (5, 2, 3)  # the stacks' layers, n_a^{[1]}, n_a^{[2]}, n_a^{[3]}


@cache
def stack(model):
    """A valid stack of three layers of :data:`WIDTHS` for :func:`rnnlstm.deep_loss`, and its
    forward pass, as attributes (shared, like :func:`problem`)."""
    x, y, a0, p = random_deep_problem(model, n_x, WIDTHS, n_y, m, T_x, seed=12)
    a, _, caches = rnnlstm.deep_forward(x, a0, p, model)
    return SimpleNamespace(x=x, y=y, a0=a0, p=p, a=a, caches=caches)


def with_layer(p, layer, **changes):
    """The stack's parameters with layer ``layer``'s (from 1) changed."""
    return {**p, "layers": [with_(q, **changes) if i == layer else q for i, q in enumerate(p["layers"], 1)]}


def deep(model, **changes):
    """``deep_loss``'s arguments for the stack of ``model``, some of them changed."""
    s = stack(model)
    arguments = {"x": s.x, "y": s.y, "a0": s.a0, "parameters": s.p, "cell": model, **changes}
    return tuple(arguments.values())


n_1, n_2, n_3 = WIDTHS
DEEP = [  # (case, model)
    (Case("a0 for 2 layers of 3", "deep_loss", lambda s: deep("rnn", a0=stack("rnn").a0[:2]), ValueError,
          ("a0 must hold one (n_a[l], m) array per layer: 3 for 3 layers, got 2",)), "rnn"),
    (Case("a0 as one array", "deep_forward", lambda s: (stack("rnn").x, stack("rnn").a0[0], stack("rnn").p, "rnn"),
          TypeError, ("a0 must be a list of one (n_a[l], m) array per layer, got ndarray",)), "rnn"),
    (Case("a layer's a0 of the width of another", "deep_loss", lambda s: deep("lstm", a0=[*stack("lstm").a0[:1], np.ones((n_1, m)), *stack("lstm").a0[2:]]),
          ValueError, ("layer 2: a0[1] must have shape (n_a[2], m) = (2, 6)", "got (5, 6)")), "lstm"),
    (Case("a layer that does not read the width of the layer below", "deep_loss",
          lambda s: deep("rnn", parameters=with_layer(stack("rnn").p, 2, Wax=np.ones((n_2, n_1 + 1)))), ValueError,
          ('layer 2: parameters["layers"][1]["Wax"] must have shape (n_a[2], n_a[1]) = (2, 5)', "got (2, 6)")), "rnn"),
    (Case("an LSTM layer whose gates read another width", "deep_loss",
          lambda s: deep("lstm", parameters=with_layer(stack("lstm").p, 3, Wo=np.ones((n_3, n_3 + n_1)))), ValueError,
          ('layer 3: parameters["layers"][2]["Wo"] must have shape (n_a[3], n_a[3] + n_a[2]) = (3, 5)', "got (3, 8)")), "lstm"),
    (Case("a layer without W_aa", "deep_loss",
          lambda s: deep("rnn", parameters={**stack("rnn").p, "layers": [without(q, "Waa") if i == 1 else q for i, q in enumerate(stack("rnn").p["layers"])]}),
          ValueError, ('layer 2: parameters["layers"][1] must have exactly the keys Wax, Waa, ba; missing Waa',)), "rnn"),
    (Case("the output layer under the single RNN's name", "deep_loss",
          lambda s: deep("rnn", parameters={**without(stack("rnn").p, "Wy"), "Wya": stack("rnn").p["Wy"]}), ValueError,
          ("parameters must have exactly the keys layers, Wy, by", "missing Wy", "unknown Wya")), "rnn"),
    (Case("W_y of the first layer's width", "deep_loss", lambda s: deep("lstm", parameters=with_(stack("lstm").p, Wy=np.ones((n_y, n_1)))),
          ValueError, ('parameters["Wy"] must have shape (n_y, n_a[3]) = (4, 3)', "got (4, 5)")), "lstm"),
    (Case("no layers", "deep_loss", lambda s: deep("rnn", parameters=with_(stack("rnn").p, layers=[])), ValueError,
          ('parameters["layers"] must hold one dict per layer, at least one',)), "rnn"),
    (Case("a cell that is none of them", "deep_loss", lambda s: deep("rnn", cell="transformer"), ValueError,
          ("cell must be one of 'rnn', 'lstm', 'gru', 'torch_gru', got 'transformer'",)), "rnn"),
    (Case("da of a lower layer's width", "deep_backward", lambda s: (stack("rnn").a[0], stack("rnn").caches), ValueError,
          ("da must have shape (n_a, m, T_x) = (3, 6, 7)", "got (5, 6, 7)")), "rnn"),
    (Case("a single layer's caches", "deep_backward", lambda s: (stack("rnn").a[-1], problem("rnn").caches), TypeError,
          ("expected the caches returned by deep_forward",)), "rnn"),
]  # fmt: skip


BIDIRECTIONAL_WIDTHS = (5, 2)  # n_a→ and n_a←


@cache
def both_ways(model):
    """A valid bidirectional network of :data:`BIDIRECTIONAL_WIDTHS` for :func:`rnnlstm.birnn_loss`,
    and its forward pass, as attributes (shared, like :func:`problem`)."""
    x, y, a0, p = random_bidirectional_problem(model, n_x, BIDIRECTIONAL_WIDTHS, n_y, m, T_x, seed=13)
    a, _, caches = rnnlstm.birnn_forward(x, a0, p, model)
    return SimpleNamespace(x=x, y=y, a0=a0, p=p, a=a, caches=caches)


def birnn(model, **changes):
    """``birnn_loss``'s arguments for the bidirectional network of ``model``, some of them changed."""
    s = both_ways(model)
    arguments = {"x": s.x, "y": s.y, "a0": s.a0, "parameters": s.p, "cell": model, **changes}
    return tuple(arguments.values())


n_f, n_b = BIDIRECTIONAL_WIDTHS
BIDIRECTIONAL = [  # (case, model)
    (Case("a0 as one array", "birnn_loss", lambda s: birnn("rnn", a0=both_ways("rnn").a0[0]), TypeError,
          ("a0 must be a pair (a0_forward (n_a→, m), a0_backward (n_a←, m)), got ndarray",)), "rnn"),
    (Case("a0 with the two states swapped", "birnn_loss", lambda s: birnn("gru", a0=both_ways("gru").a0[::-1]),
          ValueError, ("a0[0] (a0_forward) must have shape (n_a→, m) = (5, 6)", "got (2, 6)")), "gru"),
    (Case("a backward layer that reads another input", "birnn_loss",
          lambda s: birnn("lstm", parameters={**both_ways("lstm").p, "backward": with_(both_ways("lstm").p["backward"], Wc=np.ones((n_b, n_b + n_x + 1)))}),
          ValueError, ('parameters["backward"]["Wc"] must have shape (n_a←, n_a← + n_x) = (2, 5)', "got (2, 6)")), "lstm"),
    (Case("W_y that reads the forward layer alone", "birnn_loss",
          lambda s: birnn("rnn", parameters=with_(both_ways("rnn").p, Wy=np.ones((n_y, n_f)))), ValueError,
          ('parameters["Wy"] must have shape (n_y, n_a→ + n_a←) = (4, 7)', "got (4, 5)")), "rnn"),
    (Case("a stack's parameters", "birnn_loss", lambda s: birnn("rnn", parameters=stack("rnn").p), ValueError,
          ("parameters must have exactly the keys forward, backward, Wy, by", "missing forward, backward", "unknown layers")), "rnn"),
    (Case("a layer with the output layer's weight", "birnn_loss",
          lambda s: birnn("rnn", parameters={**both_ways("rnn").p, "forward": with_(both_ways("rnn").p["forward"], Wya=np.ones((n_y, n_f)))}),
          ValueError, ('parameters["forward"] must have exactly the keys Wax, Waa, ba; unknown Wya',)), "rnn"),
    (Case("da as one array", "birnn_backward", lambda s: (both_ways("rnn").a[0], both_ways("rnn").caches), TypeError,
          ("da must be a pair (da_forward (n_a→, m, T_x), da_backward (n_a←, m, T_x)), got ndarray",)), "rnn"),
    (Case("da with the two layers' shares swapped", "birnn_backward",
          lambda s: (both_ways("lstm").a[::-1], both_ways("lstm").caches), ValueError,
          ("da[0] (da_forward) must have shape (n_a→, m, T_x) = (5, 6, 7)", "got (2, 6, 7)")), "lstm"),
    (Case("a stack's caches", "birnn_backward", lambda s: (both_ways("rnn").a, stack("rnn").caches), TypeError,
          ("expected the caches returned by birnn_forward",)), "rnn"),
]  # fmt: skip


def pytorch(model):
    """The state dict and the Linear's of the problem's parameters, in PyTorch's layout."""
    return rnnlstm.to_pytorch(problem(model).p, model)


def cs231n(model):
    return rnnlstm.to_cs231n(problem(model).p, model)


LAYOUTS = [  # (case, model)
    (Case("the course's GRU (PyTorch's nn.GRU is another function)", "to_pytorch", lambda s: (s.p, "gru"), ValueError,
          ("cell must be one of 'rnn', 'lstm', 'torch_gru', got 'gru'", "the course's GRU has no PyTorch layout",
           "the cell 'torch_gru' is the GRU that PyTorch computes")), "gru"),
    (Case("the frameworks' GRU to CS231n, which has none", "to_cs231n", lambda s: (s.p, "torch_gru"), ValueError,
          ("cell must be one of 'rnn', 'lstm', got 'torch_gru'",)), "torch_gru"),
    (Case("an LSTM's state dict as a GRU's", "from_pytorch", lambda s: (pytorch("lstm")[0], "torch_gru"), ValueError,
          ('state_dict["weight_ih_l0"] must have shape (3*n_a, n_x)',)), "torch_gru"),
    (Case("the RNN's parameters as an LSTM's", "to_cs231n", lambda s: (problem("rnn").p, "lstm"), ValueError,
          ("parameters must have exactly the keys Wf, bf", "missing Wf", "unknown Wax")), "lstm"),
    (Case("a stacked weight that is not four gates", "from_pytorch",
          lambda s: (with_(pytorch("lstm")[0], weight_ih_l0=pytorch("lstm")[0]["weight_ih_l0"][1:]), "lstm"), ValueError,
          ('state_dict["weight_ih_l0"] must have shape (4*n_a, n_x)', "got (19, 3): 19 is not a multiple of 4")), "lstm"),
    (Case("an LSTM's state dict as an RNN's", "from_pytorch", lambda s: (pytorch("lstm")[0], "rnn"), ValueError,
          ('state_dict["weight_hh_l0"] must have shape (n_a, n_a) = (20, 20)', "got (20, 5)")), "rnn"),
    (Case("a second layer's weights", "from_pytorch",
          lambda s: (with_(pytorch("rnn")[0], weight_ih_l1=s.p["Waa"]), "rnn"), ValueError, ("unknown weight_ih_l1",)), "rnn"),
    (Case("a missing bias", "from_pytorch", lambda s: (without(pytorch("lstm")[0], "bias_hh_l0"), "lstm"), ValueError,
          ("missing bias_hh_l0",)), "lstm"),
    (Case("a Linear of another n_a", "from_pytorch",
          lambda s: (pytorch("rnn")[0], "rnn", {"weight": np.ones((n_y, n_a + 1)), "bias": np.ones(n_y)}), ValueError,
          ('output["weight"] must have shape (n_y, n_a) = (4, 5)', "got (4, 6)")), "rnn"),
    (Case("a state dict as a list", "from_pytorch", lambda s: (list(pytorch("rnn")[0].values()), "rnn"), TypeError,
          ("state_dict must be a dict with keys weight_ih_l0",)), "rnn"),
    (Case("a CS231n bias of shape (n_a, 1)", "from_cs231n", lambda s: (with_(cs231n("rnn"), b=s.p["ba"]), "rnn"), ValueError,
          ('params["b"] must have shape (n_a,) = (5,)', "got (5, 1)")), "rnn"),
    (Case("CS231n's weight in the course's orientation", "from_cs231n",
          lambda s: (with_(cs231n("lstm"), Wh=cs231n("lstm")["Wh"].T), "lstm"), ValueError,
          ('params["Wh"] must have shape (n_a, 4*n_a) = (5, 20)', "got (20, 5)")), "lstm"),
    (Case("W_vocab without b_vocab", "from_cs231n", lambda s: (without(cs231n("rnn"), "b_vocab"), "rnn"), ValueError,
          ("missing b_vocab",)), "rnn"),
]  # fmt: skip

FLOW = [  # (case, model)
    (Case("an unknown cell", "step_jacobians", lambda s: ("lstmm", s.caches), ValueError,
          ("cell must be one of rnn, lstm, gru, got 'lstmm'",)), "rnn"),
    (Case("the GRU's caches as the LSTM's", "step_jacobians", lambda s: ("lstm", problem("gru").caches), TypeError,
          ("expected the caches returned by lstm_forward",)), "lstm"),
    (Case("an example beyond m", "step_jacobians", lambda s: ("rnn", s.caches, m), ValueError,
          ("i must be an example, 0 ≤ i < m = 6, got 6",)), "rnn"),
    (Case("one step's Jacobian, 2-D", "lag_jacobians", lambda s: (np.eye(n_a),), ValueError,
          ("jacobians must have shape (T_x, n, n), got (5, 5)",)), "rnn"),
    (Case("a parameter of the output layer", "step_gradients", lambda s: ("rnn", s.a, s.caches, "Wya"), ValueError,
          ("key must be one of Wax, Waa, ba for the rnn, got 'Wya'",)), "rnn"),
    (Case("da with 4 steps for a sequence of 7", "step_gradients", lambda s: ("gru", s.a[:, :, :4], s.caches, "Wu"),
          ValueError, ("da must have shape (n_a, m, T_x) = (5, 6, 7)", "got (5, 6, 4)")), "gru"),
]  # fmt: skip

CASES = [(c, "rnn") for c in RNN] + [(c, "lstm") for c in LSTM] + [(c, "gru") for c in GRU] + DEEP + BIDIRECTIONAL + LAYOUTS + FLOW
CASES += [(c, "torch_gru") for c in TORCH_GRU]


def raised(case, model):
    """The exception that ``case`` raises, or an ``AssertionError`` if it raises none."""
    try:
        getattr(rnnlstm, case.function)(*case.arguments(problem(model)))
    except Exception as error:  # noqa: BLE001 - the catalogue records whatever is raised
        return error
    raise AssertionError(f"{case.function} accepted {case.what}")
