"""What a user installs: a wheel of the package rnnlstm alone, numpy its only dependency."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser

import pytest
from conftest import ROOT, require

import rnnlstm

NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", ".cache", "_build", "build", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "node_modules"
)


def setuptools_major():
    try:
        return int(importlib.metadata.version("setuptools").split(".")[0])
    except importlib.metadata.PackageNotFoundError:
        return 0


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel built from a copy of this checkout with the installed setuptools."""
    require(setuptools_major() >= 77, "setuptools >= 77 (pip install -e '.[test]')")
    base = tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, base / "source", ignore=NOT_SOURCES)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", str(base / "source"), "-w", str(base / "dist")]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = (base / "dist").glob("*.whl")
    return path


DIST_INFO = f"rnnlstm-{rnnlstm.__version__}.dist-info/"


def test_the_wheel_holds_the_package_rnnlstm_its_type_marker_and_the_licence(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    package = sorted(n for n in names if n.startswith("rnnlstm/"))
    sources = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "rnnlstm").rglob("*.py") if "__pycache__" not in p.parts)
    assert package == sorted([*sources, "rnnlstm/py.typed"])
    meta = sorted(n.removeprefix(DIST_INFO) for n in names if n.startswith(DIST_INFO))
    assert meta == ["METADATA", "RECORD", "WHEEL", "licenses/LICENSE", "top_level.txt"]
    assert sorted(package + [DIST_INFO + m for m in meta]) == sorted(names)  # nothing else: no derivations
    assert zipfile.ZipFile(wheel).read(DIST_INFO + "licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()


def test_the_metadata_require_numpy_alone_and_give_the_licence_and_the_version(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    metadata = Parser().parsestr(zipfile.ZipFile(wheel).read(DIST_INFO + "METADATA").decode())
    always = [r for r in metadata.get_all("Requires-Dist") if "extra ==" not in r]
    assert [r.split(">")[0].split("=")[0].strip() for r in always] == ["numpy"]
    assert metadata["Version"] == rnnlstm.__version__
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert "Typing :: Typed" in metadata.get_all("Classifier")


NO_SYMPY = """
import sys
sys.modules["sympy"] = sys.modules["mpmath"] = None  # any import of them raises ImportError
import rnnlstm, rnnlstm.fused
from rnnlstm.problems import random_problem
assert rnnlstm.__file__.startswith(sys.argv[1]), rnnlstm.__file__
for model in ("rnn", "lstm"):
    x, y, a0, parameters = random_problem(model, 3, 4, 2, 3, 5)
    for module in (rnnlstm, rnnlstm.fused):
        J, gradients = getattr(module, model + "_loss")(x, y, a0, parameters)
        assert J > 0 and gradients["dx"].shape == x.shape
assert "derivations" not in sys.modules
"""


def test_the_installed_package_imports_and_computes_without_sympy(wheel, tmp_path):
    """The wheel's files alone on the path (not this checkout), SymPy made unimportable."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    result = subprocess.run([sys.executable, "-c", NO_SYMPY, str(site)], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(site)},
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_the_version_is_written_once():
    """pyproject.toml reads rnnlstm.__version__ (dynamic), and writes no version of its own."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "rnnlstm.__version__"}
