"""Shared fixtures: random RNN problems, a strict build of the book, tools that CI must have."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

import derivations
from rnnlstm import problems

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"

# Hypothesis: in CI the same examples every run (derandomized: the seed comes from each test's own
# code), so a green run on one machine is green on another; locally each run explores new ones from
# a seed printed in the header and after a failure (replay: pytest --hypothesis-seed=N). Either way
# a failure prints its falsifying example and a @reproduce_failure blob.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile("ci" if IN_CI else "explore")


@pytest.hookimpl(tryfirst=True)  # before hypothesis' own plugin reads the option
def pytest_configure(config):
    if not IN_CI and config.getoption("hypothesis_seed", None) is None:
        config.option.hypothesis_seed = str(random.randrange(2**32))


def _seed_line(config):
    seed = config.getoption("hypothesis_seed", None)
    return "hypothesis: derandomized (CI)" if seed is None else f"hypothesis seed: {seed} (replay: pytest --hypothesis-seed={seed})"


def pytest_report_header(config):
    return _seed_line(config)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if exitstatus != 0:
        terminalreporter.write_line(_seed_line(config))


def require(available: bool, what: str):
    """Skip when ``what`` is missing locally; in CI a missing tool is a failure, never a skip."""
    if not available:
        if IN_CI:
            pytest.fail(f"{what} is missing in CI; scripts/test.sh should have installed it")
        pytest.skip(f"{what} is not installed")


random_problem = partial(problems.random_problem, "rnn")  # (n_x, n_a, n_y, m, T_x, seed, dtype, scale)
random_lstm = partial(problems.random_problem, "lstm")


def steps(a):
    """(n, m, T_x) → the list of T_x matrices (n, m) that the derivations take."""
    return [a[:, :, t] for t in range(a.shape[2])]


def derived_gradients(model, x, y, a0, parameters):
    """The gradients of the derived equations (``loss_gradients``) in the library's layout."""
    res = derivations.chapter(model).loss_gradients(steps(x), steps(y), a0, parameters)
    return {k: np.stack(v, axis=2) if isinstance(v, list) else v for k, v in res.items() if k != "steps"}


def assert_same(a, b):
    """``a`` and ``b`` hold the same arrays (same values, same dtype) in the same structure."""
    if isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            assert_same(u, v)
    else:
        assert a == b


SHAPES = [  # (n_x, n_a, n_y, m, T_x), including m = 1 and T_x = 1
    (3, 5, 4, 6, 4),
    (1, 1, 2, 1, 1),
    (2, 3, 3, 1, 5),
    (4, 2, 5, 7, 1),
]


def sphinx_build(source_root: Path, outdir: Path, cache: Path, *extra: str, strict: bool = True):
    """Run the README's strict build of the book at ``source_root`` (``extra``: more options, such
    as ``-j auto``; ``strict=False`` for a part of the book, whose links to the rest cannot
    resolve); return the completed process."""
    require(shutil.which("npm") is not None or (ROOT / ".cache/mathjax").exists(), "MathJax (npm)")
    env = {**os.environ, "RNNLSTM_CACHE": str(cache)}
    env.setdefault("RNNLSTM_MATHJAX", str(ROOT / ".cache/mathjax/node_modules/mathjax/es5"))
    cmd = [sys.executable, "-m", "sphinx", *(["-nW", "--keep-going"] if strict else []), "-c", ".", "docs", str(outdir), *extra]
    return subprocess.run(cmd, cwd=source_root, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The book built from this checkout into a temporary folder, with a fresh execution cache,
    in parallel (the cache must be created before the workers fork, conf.py): ``(html, cache)``."""
    try:
        import myst_nb  # noqa: F401
        import sphinx_book_theme  # noqa: F401
    except ImportError:
        require(False, "the docs toolchain (pip install -e '.[docs]')")
    base = tmp_path_factory.mktemp("site")
    result = sphinx_build(ROOT, base / "html", base / "cache", "-j", "auto")
    (base / "build.log").write_text(result.stdout + result.stderr, encoding="utf-8")  # what ran, and where
    assert result.returncode == 0, f"strict docs build failed:\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
    return base / "html", base / "cache"


@pytest.fixture(scope="session")
def built_site(built_book):
    """The folder of the book's HTML, built as :func:`built_book` builds it."""
    return built_book[0]


def part_of_the_book(*pages: str) -> list[str]:
    """Options that build only ``pages`` (and the index) of the book: the tests of the cache's
    keys need a few pages, not every page executed again."""
    left_out = sorted(p.stem + ".md" for p in (ROOT / "docs").glob("*.md") if p.stem not in {"index", *pages})
    return ["-D", "exclude_patterns=" + ",".join(["_build", "**.ipynb_checkpoints", *left_out])]


def seeded_cache(built_book, folder: Path) -> Path:
    """A copy of the built book's execution cache at ``folder``: a build of an identical checkout
    with it executes nothing, since a page's key is its code and the digest of the sources' paths
    and contents, wherever the checkout lies."""
    shutil.copytree(built_book[1], folder)
    return folder
