"""The publishing configurations build with the README's command."""

from __future__ import annotations

from conftest import ROOT


def test_read_the_docs_and_pages_use_the_readme_build_command():
    readme = (ROOT / "README.md").read_text()
    command = "bash scripts/docs.sh"
    assert readme.splitlines()[3].startswith(command)
    for config in (".readthedocs.yaml", ".github/workflows/pages.yml"):
        assert f"- {command}" in (ROOT / config).read_text() or f"run: {command}" in (ROOT / config).read_text(), config


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/test.sh" in readme.splitlines()[4]
    assert "bash scripts/test.sh" in (ROOT / ".ci/run").read_text()
