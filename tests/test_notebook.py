"""The notebooks in analysis/notebooks execute from top to bottom, so they never rot."""

import json
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT

KERNEL = "migration-health-sim-tests"


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    """A kernel spec for the Python running the tests (with the project installed), whatever
    kernels the machine has."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "migration-health-sim (tests)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return KERNEL


@pytest.mark.slow
def test_the_policy_comparison_notebook_runs_and_draws_its_figures(kernel, tmp_path):
    notebook = nbformat.read(ROOT / "analysis" / "notebooks" / "policy_comparison.ipynb", as_version=4)
    work = tmp_path / "work"  # the notebook writes its sweep under its working folder
    work.mkdir()
    NotebookClient(notebook, kernel_name=kernel, timeout=600, resources={"metadata": {"path": str(work)}}).execute()
    images = sum("image/png" in output.get("data", {}) for cell in notebook.cells for output in cell.get("outputs", []))
    assert images == 5
    assert (work / "multirun" / "policy_comparison_notebook" / "report" / "report.html").exists()
