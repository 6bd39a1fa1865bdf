"""What a reader takes away: a page's executed notebook with its MyST resolved (bookexport.py)."""

from __future__ import annotations

import pytest

import bookexport

GLUE = {
    "eq-key": {"data": {"text/latex": r"$\displaystyle dz = da \odot (1 - a^{2})$", "text/plain": "<Math>"}},
    "size": {"data": {"text/latex": "$10^{-40}$"}},
    "sizes": {"data": {"text/markdown": "$n_x = 1$, $m = 2$"}},
    "words": {"data": {"text/plain": "'three'"}},
}


def context(**overrides):
    fields = dict(
        glue=lambda key: GLUE[key.rpartition("::")[2]],
        equation=lambda label: {"rnn-cell-dz": "7"}.get(label),
        title=lambda doc: {"notation": "Notation"}[doc],
        label=lambda label: {"bad-input": "Bad input"}[label],
        citation=lambda key: {"ng2018sequence": "Ng 2018", "werbos1990bptt": "Werbos 1990"}[key],
        include=lambda argument, options: (f"def {options['pyobject']}():\n    pass\n", options.get("language", "")),
    )
    return bookexport.Context(**{**fields, **overrides})


@pytest.mark.parametrize(
    "myst, plain",
    [
        ("```{glue:math} eq-key\n:label: rnn-cell-dz\n```", "$$\ndz = da \\odot (1 - a^{2}) \\tag{7}\n$$"),
        ("```{glue:math} eq-key\n```", "$$\ndz = da \\odot (1 - a^{2})\n$$"),
        ("below {glue}`size`.", "below $10^{-40}$."),
        ("sizes {glue:md}`sizes:myst` and {glue:md}`sizes`", "sizes $n_x = 1$, $m = 2$ and $n_x = 1$, $m = 2$"),
        ("took {glue}`words`", "took 'three'"),
        ("see {eq}`rnn-cell-dz` and {eq}`nowhere`", "see (7) and (nowhere)"),
        ("in {doc}`notation`", "in [Notation](notation.ipynb)"),
        ("see {ref}`bad-input`", "see Bad input"),
        ("BPTT {cite}`werbos1990bptt, ng2018sequence`", "BPTT (Werbos 1990; Ng 2018)"),
        ("{func}`rnnlstm.rnn_loss` and {func}`~rnnlstm.fused.lstm_loss`", "`rnnlstm.rnn_loss` and `rnnlstm.fused.lstm_loss`"),
        ("```{literalinclude} ../rnnlstm/rnn.py\n:language: python\n:pyobject: _backward\n```",
         "```python\ndef _backward():\n    pass\n```"),
        ("```{eval-rst}\n.. autofunction:: rnnlstm.rnn_forward\n.. autofunction:: rnnlstm.rnn_loss\n```",
         "- `rnnlstm.rnn_forward`\n- `rnnlstm.rnn_loss`"),
        ("1. *Rule.* Why:\n\n   ```{glue:math} eq-key\n   ```\n", "1. *Rule.* Why:\n\n   $$\n   dz = da \\odot (1 - a^{2})\n   $$\n"),
        ("(node-linear)=\n## The linear map", "## The linear map"),
        ("```python\nx = {'a': 1}\n```", "```python\nx = {'a': 1}\n```"),  # plain code: untouched
        (":::{dropdown} Solution\n:open:\nBy {eq}`rnn-cell-dz`:\n\n```{glue:math} eq-key\n```\n:::",
         "<details>\n<summary>Solution</summary>\n\nBy (7):\n\n$$\ndz = da \\odot (1 - a^{2})\n$$\n\n</details>"),
        ("{unknown}`thing`", "{unknown}`thing`"),  # not the book's MyST: untouched
    ],
)
def test_myst_becomes_plain_markdown(myst, plain):
    assert bookexport.resolve(myst, context()) == plain


def test_the_digest_cell_goes_and_everything_else_stays():
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["In {doc}`notation`", "."], "metadata": {}},
            {"cell_type": "code", "source": "x = 1", "outputs": [{"output_type": "stream", "text": "1"}], "metadata": {}},
            {"cell_type": "code", "source": "# The sources this page's code uses have the digest ab12", "outputs": [], "metadata": {}},
        ],
        "metadata": {},
    }
    out = bookexport.reader_notebook(notebook, context())
    assert [c["cell_type"] for c in out["cells"]] == ["markdown", "code"]
    assert out["cells"][0]["source"] == "In [Notation](notation.ipynb)."
    assert out["cells"][1] == notebook["cells"][1]
    assert len(notebook["cells"]) == 3 and notebook["cells"][0]["source"] == ["In {doc}`notation`", "."]  # input untouched
