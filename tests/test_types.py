"""The type hints of the public API: mypy accepts the package and a user's typed use of it."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

from conftest import ROOT, require


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_mypy_accepts_the_package_and_its_typed_use(tmp_path):
    """With the settings of pyproject.toml: every function of rnnlstm annotated, and the wrong
    uses in tests/typed_usage.py refused (else their ``type: ignore`` is unused, an error)."""
    require(importlib.util.find_spec("mypy") is not None, "mypy (pip install -e '.[test]')")
    result = run("-m", "mypy", "--cache-dir", str(tmp_path), "rnnlstm", "tests/typed_usage.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_typed_use_runs():
    """What mypy checks in tests/typed_usage.py is a use that works."""
    result = run("tests/typed_usage.py")
    assert result.returncode == 0, result.stderr


def test_the_package_is_marked_typed():
    assert (ROOT / "rnnlstm" / "py.typed").is_file()
