"""The training command (python -m rnnlstm.train): the first loss is ln of the vocabulary's size,
training lowers it, a resumed run is the uninterrupted one, checkpoints are written whole, and bad
input is refused before anything is written."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from rnnlstm import train

NAMES = ROOT / "data" / "names.txt"
QUICK = ["--hidden", "8", "--batch", "4", "--length", "10", "--save-every", "5", "--sample-every", "5"]


def run(tmp_path, *args, check=True):
    result = subprocess.run([sys.executable, "-m", "rnnlstm.train", *map(str, args)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def arrays(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_first_loss_is_ln_of_the_vocabulary_and_training_lowers_it(cell):
    text = NAMES.read_text()
    symbols = "".join(sorted(set(text)))
    settings = train.Settings(cell, 16, symbols, 0, 8, 12, 0.02, 5.0)
    parameters = train.initial_parameters(cell, len(symbols), 16, 0)
    losses = [loss for _, loss, *_ in train.steps(train._codes(text, symbols), settings, parameters, None, 0, 60)]
    assert losses[0] == pytest.approx(math.log(27), rel=1e-12)  # the output layer starts at 0: uniform
    assert np.mean(losses[-10:]) < 0.85 * math.log(27)


def test_a_resumed_run_is_the_uninterrupted_one(tmp_path):
    run(tmp_path, NAMES, "--cell", "gru", *QUICK, "--steps", "10", "--checkpoint", "whole.npz")
    run(tmp_path, NAMES, "--cell", "gru", *QUICK, "--steps", "5", "--checkpoint", "parts.npz")
    first = arrays(tmp_path / "parts.npz")
    assert int(first["step"]) == 5
    run(tmp_path, NAMES, "--cell", "gru", *QUICK, "--steps", "10", "--checkpoint", "parts.npz", "--resume")
    whole, parts = arrays(tmp_path / "whole.npz"), arrays(tmp_path / "parts.npz")
    assert whole.keys() == parts.keys() and int(parts["step"]) == 10
    for k in whole:
        np.testing.assert_array_equal(whole[k], parts[k], err_msg=k)
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())


def test_the_command_shows_its_progress_and_samples(tmp_path):
    result = run(tmp_path, NAMES, "--cell", "rnn", *QUICK, "--steps", "10")
    assert "first loss per character ln 27 = 3.296" in result.stdout
    assert result.stdout.count("a sample:") == 2 and "saved names.txt.rnn.npz" in result.stdout
    settings, step, parameters, state = train.load(tmp_path / "names.txt.rnn.npz")
    assert (settings.cell, settings.hidden, step, state["t"]) == ("rnn", 8, 10, 10)
    assert set(parameters) == {"Wax", "Waa", "Wya", "ba", "by"}


def test_an_interrupted_save_leaves_the_last_checkpoint_whole(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    settings = train.Settings("rnn", 4, "ab\n", 0, 2, 3, 0.01, 5.0)
    parameters = train.initial_parameters("rnn", 3, 4, 0)
    state = {"t": 1, "m": {k: v * 0 for k, v in parameters.items()}, "v": {k: v * 0 for k, v in parameters.items()}}
    train.save(path, settings, 1, parameters, state)
    before = path.read_bytes()

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # as if the run were stopped while writing

    monkeypatch.setattr(np, "savez", killed)
    with pytest.raises(KeyboardInterrupt):
        train.save(path, settings, 2, parameters, state)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
    assert train.load(path)[1] == 1


@pytest.mark.parametrize(
    "make, args, message",
    [
        (lambda d: (d / "empty.txt").write_text(""), ["empty.txt"], "is empty: there is nothing to learn from"),
        (lambda d: (d / "x.bin").write_bytes(b"ab\0cd"), ["x.bin"], "holds NUL bytes: a binary file, not text"),
        (lambda d: (d / "x.txt").write_bytes(b"caf\xe9 au lait"), ["x.txt"], "is not UTF-8 text (byte 3 cannot be decoded)"),
        (lambda d: (d / "x.txt").write_text("aaaa"), ["x.txt"], "has a single symbol, 'a'"),
        (lambda d: None, ["missing.txt"], "FILE missing.txt does not exist or is not a file"),
        (lambda d: (d / "x.txt").write_text("abc" * 20), ["x.txt", "--resume"], "--resume: no checkpoint at x.txt.lstm.npz"),
        (lambda d: (d / "x.txt").write_text("ab"), ["x.txt", "--length", "5"], "has 2 characters; a window needs --length + 1 = 6"),
    ],
    ids=["empty", "binary", "not UTF-8", "one symbol", "missing", "no checkpoint", "too short"],
)
def test_bad_input_is_refused_with_its_name(tmp_path, make, args, message):
    make(tmp_path)
    result = run(tmp_path, *args, check=False)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not list(tmp_path.glob("*.npz"))


def test_a_checkpoint_of_another_run_is_refused_and_left_alone(tmp_path):
    run(tmp_path, NAMES, "--cell", "lstm", *QUICK, "--steps", "5", "--checkpoint", "m.npz")
    before = (tmp_path / "m.npz").read_bytes()
    other = run(tmp_path, NAMES, "--cell", "gru", *QUICK, "--steps", "10", "--checkpoint", "m.npz", "--resume", check=False)
    assert other.returncode == 2 and "m.npz is of another run: cell 'lstm' there, 'gru' here" in other.stderr
    wider = [*QUICK[:1], "9", *QUICK[2:]]
    other = run(tmp_path, NAMES, "--cell", "lstm", *wider, "--steps", "10", "--checkpoint", "m.npz", "--resume", check=False)
    assert other.returncode == 2 and "hidden 8 there, 9 here" in other.stderr
    fresh = run(tmp_path, NAMES, "--cell", "lstm", *QUICK, "--steps", "10", "--checkpoint", "m.npz", check=False)
    assert fresh.returncode == 2 and "m.npz exists: pass --resume" in fresh.stderr
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    junk = run(tmp_path, NAMES, *QUICK, "--steps", "10", "--checkpoint", "junk.npz", "--resume", check=False)
    assert junk.returncode == 2 and "junk.npz is not a checkpoint of this command" in junk.stderr
    assert (tmp_path / "m.npz").read_bytes() == before
