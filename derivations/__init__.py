"""SymPy derivations of backpropagation through time, in the notation of *Sequence Models*.

Each chapter module (:mod:`derivations.rnn`, :mod:`derivations.lstm`, :mod:`derivations.gru`) holds groups of :class:`~derivations.calculus.Derived`
results: ``FORWARD`` (definitions), ``CELL``, ``OUTPUT`` and ``BPTT``. A result is reachable by its
key ``chapter.group.name``, e.g. ``get("rnn.bptt.dWax")``.
"""

from __future__ import annotations

from . import gru, lstm, rnn
from .calculus import Derived

CHAPTERS = {"rnn": rnn, "lstm": lstm, "gru": gru}
GROUPS = ("forward", "cell", "output", "bptt")


def results(chapter: str | None = None) -> dict[str, Derived]:
    """Every result, by key, in the order the book presents them."""
    out = {}
    for name, module in CHAPTERS.items():
        if chapter in (None, name):
            for group in GROUPS:
                for key, derived in getattr(module, group.upper()).items():
                    out[f"{name}.{group}.{key}"] = derived
    return out


def get(key: str) -> Derived:
    """The result called ``key`` (``chapter.group.name``); a ``KeyError`` lists the keys."""
    everything = results()
    if key not in everything:
        raise KeyError(f"no derived result {key!r}; known: {', '.join(everything)}")
    return everything[key]
