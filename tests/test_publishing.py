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


def test_the_publishing_builds_install_pytorch_and_build_the_pdf_before_the_site():
    """The published verification tables show all four checks, and the published site links the PDF:
    PyTorch is installed before any page executes, the PDF is built before the site."""
    for config in (".readthedocs.yaml", ".github/workflows/pages.yml"):
        text = (ROOT / config).read_text()
        torch, pdf, site = (text.index(s) for s in ('"torch==2.13.0"', "bash scripts/pdf.sh", "bash scripts/docs.sh"))
        assert torch < pdf < site, config
