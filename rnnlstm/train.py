"""Train a character-level language model on a text file:

    python -m rnnlstm.train FILE --cell lstm --hidden 64 --steps 2000 --seed 0

Each step draws ``--batch`` windows of ``--length`` + 1 characters from the file, the network reads
the first ``--length`` and predicts each next one (the loss of the fused path for the RNN and the
LSTM, of the readable one for the GRU), the gradients are clipped to a global norm (``--clip``)
and Adam takes a step. A progress line shows the loss; samples are printed as training goes; the
parameters, Adam's state and the settings are saved to ``--checkpoint`` every ``--save-every`` steps
and at the end, each time whole (written beside and renamed over the old file), so that an
interrupted run loses only the steps since the last save, and ``--resume`` goes on from it. The
windows of step s depend only on ``--seed`` and s: a resumed run is the uninterrupted one.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import fused
from ._typing import Array, Parameters
from .cells import CELLS
from .clipping import clip_by_norm
from .gru import gru_loss
from .training import adam, sample

LOSSES: dict[str, Callable[..., tuple[float, dict[str, Array]]]] = {
    "rnn": fused.rnn_loss,
    "lstm": fused.lstm_loss,
    "gru": gru_loss,
}


@dataclass(frozen=True)
class Settings:
    """What a run is: the checkpoint keeps it, and ``--resume`` refuses a different one."""

    cell: str
    hidden: int
    symbols: str  # the vocabulary, sorted: symbol i is symbols[i]
    seed: int
    batch: int
    length: int
    learning_rate: float
    clip: float


def read_text(path: Path) -> str:
    """The file as text; an empty, binary or too short file is refused with its name."""
    if not path.is_file():
        raise ValueError(f"FILE {path} does not exist or is not a file")
    data = path.read_bytes()
    if not data:
        raise ValueError(f"FILE {path} is empty: there is nothing to learn from")
    if b"\0" in data:
        raise ValueError(f"FILE {path} holds NUL bytes: a binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"FILE {path} is not UTF-8 text (byte {error.start} cannot be decoded)") from None
    if len(set(text)) < 2:
        raise ValueError(f"FILE {path} has a single symbol, {text[0]!r}: there is nothing to predict")
    return text


def initial_parameters(cell: str, n_x: int, n_a: int, seed: int) -> Parameters:
    """Weights normal with variance 1/(the width they read), biases 0 (the LSTM's forget gate 1),
    and the output layer 0, so that the first prediction is uniform: J per character is ln n_y."""
    rng = np.random.default_rng(seed)
    widths = {"n_x": n_x, "n_a": n_a}
    parameters = {}
    for key, shape in CELLS[cell].parameters.items():
        rows, cols = (sum(widths[d] for d in dim.split("+")) if dim != "1" else 1 for dim in shape.split())
        parameters[key] = rng.normal(size=(rows, cols)) / math.sqrt(cols) if key[0] == "W" else np.zeros((rows, cols))
    if cell == "lstm":
        parameters["bf"] += 1.0
    parameters[CELLS[cell].output] = np.zeros((n_x, n_a))
    parameters["by"] = np.zeros((n_x, 1))
    return parameters


def windows(codes: Array, n_symbols: int, batch: int, length: int, rng: np.random.Generator) -> tuple[Array, Array]:
    """``batch`` random windows of the text: one-hot x (n, m, T_x) and the next characters, y."""
    starts = rng.integers(0, len(codes) - length, size=batch)
    taken = codes[starts[:, None] + np.arange(length + 1)]  # (m, T_x + 1)
    one_hot = np.eye(n_symbols)[:, taken]  # (n, m, T_x + 1)
    return one_hot[:, :, :-1], one_hot[:, :, 1:]


def lines_batch(lines: Sequence[str], symbols: str, start: str | None = None) -> tuple[Array, Array, Array]:
    """Lines of different lengths as one padded batch, each read after ``start`` (x⟨1⟩ = 0 when
    ``None``, the course's choice) and predicting its characters and a final newline.

    Parameters
    ----------
    lines : sequence of str
        Without newlines; every character in ``symbols``.
    symbols : str
        The vocabulary, holding ``"\n"``.
    start : str or None
        The symbol read first.

    Returns
    -------
    x, y : ndarray, shape (n, m, T_x)
        One-hot, n = len(symbols), m = len(lines), T_x the longest line's length + 1; zero after a
        line's end.
    mask : ndarray, shape (m, T_x)
        1 at each line's own steps.
    """
    index = {ch: i for i, ch in enumerate(symbols)}
    unknown = sorted({ch for line in lines for ch in line} - set(symbols) | ({"\n"} - set(symbols)))
    if unknown or not lines:
        raise ValueError(f"lines must be at least one, every character in symbols; not in symbols: {unknown!r}")
    T = max(len(line) for line in lines) + 1
    x, y, mask = np.zeros((len(symbols), len(lines), T)), np.zeros((len(symbols), len(lines), T)), np.zeros((len(lines), T))
    for i, line in enumerate(lines):
        read = [start, *line]  # x⟨t⟩ is the character before y⟨t⟩
        for t, ch in enumerate(line + "\n"):
            y[index[ch], i, t] = 1
            if read[t] is not None:
                x[index[read[t]], i, t] = 1
        mask[i, : len(line) + 1] = 1
    return x, y, mask


def steps(
    codes: Array, settings: Settings, parameters: Parameters, state: dict[str, Any] | None, first: int, last: int
) -> Iterator[tuple[int, float, Parameters, dict[str, Any]]]:
    """Steps ``first`` … ``last`` − 1 of training: ``(step, loss per character, parameters, state)``."""
    loss = LOSSES[settings.cell]
    n = len(settings.symbols)
    a0 = np.zeros((settings.hidden, settings.batch))
    for step in range(first, last):
        x, y = windows(codes, n, settings.batch, settings.length, np.random.default_rng([settings.seed, step]))
        J, grads = loss(x, y, a0, parameters)
        update = clip_by_norm({"d" + k: grads["d" + k] for k in parameters}, settings.clip)
        parameters, state = adam(parameters, update, state, learning_rate=settings.learning_rate)
        yield step, J / settings.length, parameters, state


def save(path: Path, settings: Settings, step: int, parameters: Parameters, state: dict[str, Any]) -> None:
    """Write the checkpoint whole: to a file beside ``path``, then renamed over it."""
    arrays: dict[str, Any] = {f"p_{k}": v for k, v in parameters.items()}
    arrays |= {f"m_{k}": v for k, v in state["m"].items()} | {f"v_{k}": v for k, v in state["v"].items()}
    arrays |= {f"s_{k}": np.array(v) for k, v in vars(settings).items()}
    arrays |= {"step": np.array(step), "t": np.array(state["t"])}
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(partial, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def load(path: Path) -> tuple[Settings, int, Parameters, dict[str, Any]]:
    """A checkpoint :func:`save` wrote: its settings, the steps done, the parameters, Adam's state."""
    if not path.is_file():
        raise ValueError(f"--resume: no checkpoint at {path}")
    try:
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
        values = {name: data[f"s_{name}"].item() for name in Settings.__dataclass_fields__}
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"--resume: {path} is not a checkpoint of this command ({error})") from None
    settings = Settings(**values)
    parameters = {k[2:]: v for k, v in data.items() if k.startswith("p_")}
    state = {"t": int(data["t"]), "m": {k[2:]: v for k, v in data.items() if k.startswith("m_")},
             "v": {k[2:]: v for k, v in data.items() if k.startswith("v_")}}  # fmt: skip
    return settings, int(data["step"]), parameters, state


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m rnnlstm.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, metavar="FILE", help="a UTF-8 text file")
    parser.add_argument("--cell", choices=sorted(LOSSES), default="lstm")
    parser.add_argument("--hidden", type=int, default=64, help="n_a (default 64)")
    parser.add_argument("--steps", type=int, default=2000, help="train until this many steps are done")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=16, help="m, windows per step (default 16)")
    parser.add_argument("--length", type=int, default=25, help="T_x, characters a window reads (default 25)")
    parser.add_argument("--learning-rate", type=float, default=0.01, help="Adam's (default 0.01)")
    parser.add_argument("--clip", type=float, default=5.0, help="the gradients' largest global norm (default 5)")
    parser.add_argument("--checkpoint", type=Path, help="the .npz file (default: FILE's name + .CELL.npz, here)")
    parser.add_argument("--save-every", type=int, default=200)
    parser.add_argument("--sample-every", type=int, default=500)
    parser.add_argument("--temperature", type=float, default=0.8, help="of the samples (default 0.8)")
    parser.add_argument("--resume", action="store_true", help="go on from the checkpoint")
    args = parser.parse_args(argv)
    for name in ("hidden", "steps", "batch", "length", "save_every", "sample_every"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    for name in ("learning_rate", "clip", "temperature"):
        if not (math.isfinite(getattr(args, name)) and getattr(args, name) > 0):
            parser.error(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    if args.checkpoint is None:
        args.checkpoint = Path(f"{args.file.name}.{args.cell}.npz")
    return args


def _progress(step: int, last: int, loss: float, started: float, first: int) -> str:
    done = step + 1 - first
    width = 30
    filled = width * (step + 1) // last
    rate = done / max(time.perf_counter() - started, 1e-9)
    return f"\r[{'#' * filled}{'.' * (width - filled)}] step {step + 1}/{last}  loss {loss:.3f}  {rate:.0f} steps/s"


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        text = read_text(args.file)
        symbols = "".join(sorted(set(text)))
        settings = Settings(args.cell, args.hidden, symbols, args.seed, args.batch, args.length, args.learning_rate, args.clip)
        if len(text) <= settings.length:
            raise ValueError(f"FILE {args.file} has {len(text)} characters; a window needs --length + 1 = {settings.length + 1}")
        if args.resume:
            saved, first, parameters, state = load(args.checkpoint)
            if saved != settings:
                different = [f"{k} {getattr(saved, k)!r} there, {getattr(settings, k)!r} here"
                             for k in Settings.__dataclass_fields__ if getattr(saved, k) != getattr(settings, k)]  # fmt: skip
                raise ValueError(f"--resume: {args.checkpoint} is of another run: " + "; ".join(different))
        else:
            if args.checkpoint.exists():
                raise ValueError(f"{args.checkpoint} exists: pass --resume to go on from it, or another --checkpoint")
            first, state = 0, None
            parameters = initial_parameters(settings.cell, len(symbols), settings.hidden, settings.seed)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    codes = _codes(text, symbols)
    if first >= args.steps:
        print(f"{args.checkpoint} has {first} steps done, --steps {args.steps}: nothing to do")
        return 0
    print(f"{settings.cell}, n_a = {settings.hidden}, {len(symbols)} symbols, {len(text)} characters; "
          f"steps {first + 1} to {args.steps}; first loss per character ln {len(symbols)} = {math.log(len(symbols)):.3f}")  # fmt: skip
    started, tty = time.perf_counter(), sys.stdout.isatty()
    for step, loss, parameters, state in steps(codes, settings, parameters, state, first, args.steps):
        if tty:
            print(_progress(step, args.steps, loss, started, first), end="", flush=True)
        done = step + 1
        if done % args.sample_every == 0 or done == args.steps:
            print(("\n" if tty else "") + f"step {done}, loss {loss:.3f}, a sample: {_sample(parameters, settings, done, args.temperature)!r}")
        if done % args.save_every == 0 or done == args.steps:
            save(args.checkpoint, settings, done, parameters, state)
    print(f"saved {args.checkpoint}")
    return 0


def _codes(text: str, symbols: str) -> Array:
    table = {ch: i for i, ch in enumerate(symbols)}
    return np.fromiter((table[ch] for ch in text), dtype=np.int64, count=len(text))


def _sample(parameters: Parameters, settings: Settings, step: int, temperature: float) -> str:
    stop = settings.symbols.index("\n") if "\n" in settings.symbols else 0
    drawn = sample(parameters, settings.cell, stop, max_length=80, temperature=temperature, seed=[settings.seed, step], start=stop)
    return "".join(settings.symbols[i] for i in drawn)


if __name__ == "__main__":
    sys.exit(main())
