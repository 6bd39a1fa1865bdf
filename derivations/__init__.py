"""SymPy derivations of backpropagation through time, in the notation of *Sequence Models*.

Each chapter module of a cell (:mod:`derivations.rnn`, :mod:`derivations.lstm`,
:mod:`derivations.gru`) holds groups of
:class:`~derivations.calculus.Derived` results: ``FORWARD`` (definitions), ``CELL``, ``OUTPUT`` and
``BPTT``. The chapter of stacked layers, :mod:`derivations.deep`, holds one group per cell
(``RESULTS``); that of bidirectional networks, :mod:`derivations.bidirectional`, the same groups
for every cell (``RESULTS``: ``forward`` and ``bptt``). A result is reachable by its key
``chapter.group.name``, e.g. ``get("rnn.bptt.dWax")``, ``get("deep.lstm.da_next")``.
"""

from __future__ import annotations

from . import bidirectional, deep, gru, lstm, rnn, torch_gru
from .calculus import Derived

CHAPTERS = {"rnn": rnn, "lstm": lstm, "gru": gru, "torch_gru": torch_gru, "deep": deep, "bidirectional": bidirectional}
GROUPS = ("forward", "cell", "output", "bptt")  # of a cell's chapter


def groups(chapter: str) -> dict[str, dict[str, Derived]]:
    """A chapter's results by group, in the order the book presents them."""
    module = CHAPTERS[chapter]
    if hasattr(module, "RESULTS"):  # the stack's (a group per cell) and the bidirectional network's
        return module.RESULTS
    return {group: getattr(module, group.upper()) for group in GROUPS}


def results(chapter: str | None = None) -> dict[str, Derived]:
    """Every result, by key, in the order the book presents them."""
    out = {}
    for name in CHAPTERS:
        if chapter in (None, name):
            for group, derived in groups(name).items():
                for key, d in derived.items():
                    out[f"{name}.{group}.{key}"] = d
    return out


def get(key: str) -> Derived:
    """The result called ``key`` (``chapter.group.name``); a ``KeyError`` lists the keys."""
    everything = results()
    if key not in everything:
        raise KeyError(f"no derived result {key!r}; known: {', '.join(everything)}")
    return everything[key]
