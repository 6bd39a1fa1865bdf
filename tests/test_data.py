"""The committed data (data/README.md says where each file comes from and how it was made)."""

from __future__ import annotations

import string

from conftest import ROOT

NAMES = ROOT / "data" / "names.txt"


def test_names_are_the_cleaned_census_list():
    text = NAMES.read_text(encoding="ascii")
    names = text.split("\n")
    assert names.pop() == ""  # every name ends with a newline, the last too
    assert len(names) == 5163
    assert names == sorted(set(names))  # sorted, each once (LC_ALL=C order: plain a–z)
    assert set(text) == set(string.ascii_lowercase) | {"\n"}  # 27 symbols
    assert {"mary", "james", "jean", "yvonne"} <= set(names)  # the lists' first and names of both
    assert min(map(len, names)) >= 2 and max(map(len, names)) == 11
