"""rnnlstm: recurrent networks with every gradient derived, implemented in numpy and verified.

Course-compatible functions (shapes (n, m, T_x), parameter dicts) and full losses with gradients.
"""

from .activations import log_softmax, softmax
from .gradcheck import gradient_check, numerical_gradient, relative_error
from .rnn import rnn_backward, rnn_cell_backward, rnn_cell_forward, rnn_forward, rnn_loss

__all__ = [
    "gradient_check",
    "log_softmax",
    "numerical_gradient",
    "relative_error",
    "rnn_backward",
    "rnn_cell_backward",
    "rnn_cell_forward",
    "rnn_forward",
    "rnn_loss",
    "softmax",
]
__version__ = "0.1.0"
