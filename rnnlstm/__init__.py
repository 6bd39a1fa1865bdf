"""rnnlstm: recurrent networks with every gradient derived, implemented in numpy and verified.

Course-compatible functions (shapes (n, m, T_x), parameter dicts) and full losses with gradients;
the parameters converted to and from the layouts of PyTorch and of CS231n.
"""

from .activations import log_softmax, sigmoid, softmax
from .bidirectional import birnn_backward, birnn_forward, birnn_loss
from .clipping import clip, clip_by_norm
from .deep import deep_backward, deep_forward, deep_loss
from .flow import lag_jacobians, step_gradients, step_jacobians
from .gradcheck import gradient_check, numerical_gradient, relative_error
from .gru import gru_backward, gru_cell_backward, gru_cell_forward, gru_forward, gru_loss
from .layouts import from_cs231n, from_pytorch, to_cs231n, to_pytorch
from .lstm import lstm_backward, lstm_cell_backward, lstm_cell_forward, lstm_forward, lstm_loss
from .torch_gru import torch_gru_backward, torch_gru_cell_backward, torch_gru_cell_forward, torch_gru_forward, torch_gru_loss
from .rnn import rnn_backward, rnn_cell_backward, rnn_cell_forward, rnn_forward, rnn_loss
from .training import adam, sample, sgd
from .truncation import truncated_loss

__all__ = [
    "adam",
    "birnn_backward",
    "birnn_forward",
    "birnn_loss",
    "clip",
    "clip_by_norm",
    "deep_backward",
    "deep_forward",
    "deep_loss",
    "from_cs231n",
    "from_pytorch",
    "gradient_check",
    "gru_backward",
    "gru_cell_backward",
    "gru_cell_forward",
    "gru_forward",
    "gru_loss",
    "lag_jacobians",
    "log_softmax",
    "lstm_backward",
    "lstm_cell_backward",
    "lstm_cell_forward",
    "lstm_forward",
    "lstm_loss",
    "numerical_gradient",
    "relative_error",
    "rnn_backward",
    "rnn_cell_backward",
    "rnn_cell_forward",
    "rnn_forward",
    "rnn_loss",
    "sample",
    "sgd",
    "sigmoid",
    "softmax",
    "step_gradients",
    "step_jacobians",
    "to_cs231n",
    "to_pytorch",
    "torch_gru_backward",
    "torch_gru_cell_backward",
    "torch_gru_cell_forward",
    "torch_gru_forward",
    "torch_gru_loss",
    "truncated_loss",
]
__version__ = "0.1.0"
