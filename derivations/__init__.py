"""SymPy derivations of backpropagation through time, in the notation of *Sequence Models*.

Each chapter module of a cell (:mod:`derivations.rnn`, :mod:`derivations.lstm`,
:mod:`derivations.gru`) holds groups of
:class:`~derivations.calculus.Derived` results: ``FORWARD`` (definitions), ``CELL``, ``OUTPUT`` and
``BPTT``. The chapter of stacked layers, :mod:`derivations.deep`, holds one group per cell
(``RESULTS``); that of bidirectional networks, :mod:`derivations.bidirectional`, the same groups
for every cell (``RESULTS``: ``forward`` and ``bptt``). A result is reachable by its key
``chapter.group.name``, e.g. ``get("rnn.bptt.dWax")``, ``get("deep.lstm.da_next")``.

A chapter derives its results when it is first imported (about a second for the GRU's), so
``import derivations`` imports none of them: :func:`chapter`, ``derivations.lstm`` or ``from
derivations import lstm`` imports the one asked for, and the functions below those they need.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from .calculus import Derived

CHAPTERS = ("rnn", "lstm", "gru", "torch_gru", "deep", "bidirectional")  # in the book's order
GROUPS = ("forward", "cell", "output", "bptt")  # of a cell's chapter


def chapter(name: str) -> ModuleType:
    """The chapter module ``name`` (one of :data:`CHAPTERS`), derived when first asked for."""
    if name not in CHAPTERS:
        raise KeyError(f"no chapter {name!r}; the chapters are {', '.join(CHAPTERS)}")
    return import_module(f"derivations.{name}")  # a literal prefix: the book sees which package a page depends on


def __getattr__(name: str) -> ModuleType:  # derivations.lstm without importing it first
    if name in CHAPTERS:
        return chapter(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def groups(name: str) -> dict[str, dict[str, Derived]]:
    """A chapter's results by group, in the order the book presents them."""
    module = chapter(name)
    if hasattr(module, "RESULTS"):  # the stack's (a group per cell) and the bidirectional network's
        return module.RESULTS
    return {group: getattr(module, group.upper()) for group in GROUPS}


def results(of: str | None = None) -> dict[str, Derived]:
    """Every result (or every result of the chapter ``of``), by key, in the order the book presents
    them."""
    out = {}
    for name in CHAPTERS:
        if of in (None, name):
            for group, derived in groups(name).items():
                for key, d in derived.items():
                    out[f"{name}.{group}.{key}"] = d
    return out


def get(key: str) -> Derived:
    """The result called ``key`` (``chapter.group.name``); a ``KeyError`` lists the keys."""
    found = results(key.split(".")[0])  # derives that chapter alone ({} for no chapter)
    if key not in found:
        raise KeyError(f"no derived result {key!r}; known: {', '.join(results())}")
    return found[key]
