"""Every bad input of the catalogue (docs/bad_inputs.py, shown on the API page) is refused before
any work, naming the argument, the expected and the actual, and leaves every input as it was."""

from __future__ import annotations

import copy
import sys

import pytest

from conftest import ROOT, assert_same
from rnnlstm import bidirectional, deep, gru, lstm, rnn, torch_gru

sys.path.insert(0, str(ROOT / "docs"))
import bad_inputs  # noqa: E402  (docs/bad_inputs.py, the catalogue the API page shows)

IDS = [f"{model}: {case.what}" for case, model in bad_inputs.CASES]
PROBLEMS = [bad_inputs.problem(model) for model in ("rnn", "lstm", "gru", "torch_gru")]  # computed (and cached) before work is switched off
STACKS = [bad_inputs.stack(model) for model in ("rnn", "lstm")]
BOTH_WAYS = [bad_inputs.both_ways(model) for model in ("rnn", "lstm", "gru")]
WORK = ["_forward", "_cell_forward", "_backward", "_cell_backward", "output_layer"]
DEEP_WORK = ["_forward", "_backward", "output_layer", "softmax"]  # a stack's cells run inside these


@pytest.fixture
def no_work(monkeypatch):
    """Every function that computes something fails the test if it is reached."""

    def started(*args, **kwargs):
        raise AssertionError("work started before the input was refused")

    for module in (rnn, lstm, gru, torch_gru):
        for name in WORK:
            monkeypatch.setattr(module, name, started)
    for module in (deep, bidirectional):
        for name in DEEP_WORK:
            monkeypatch.setattr(module, name, started)


@pytest.mark.parametrize(("case", "model"), bad_inputs.CASES, ids=IDS)
def test_refused_with_a_message_naming_the_argument(case, model, no_work):
    error = bad_inputs.raised(case, model)
    assert isinstance(error, case.error), f"{type(error).__name__}: {error}"
    for piece in case.message:
        assert piece in str(error)


@pytest.mark.parametrize(("case", "model"), bad_inputs.CASES, ids=IDS)
def test_refused_input_is_left_untouched(case, model):
    arguments = case.arguments(bad_inputs.problem(model))
    before = copy.deepcopy(arguments)
    with pytest.raises(case.error):
        getattr(__import__("rnnlstm"), case.function)(*arguments)
    assert_same(arguments, before)
