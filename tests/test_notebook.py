"""The notebooks in analysis/notebooks execute from top to bottom, so they never rot."""

import json
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT

KERNEL = "migration-health-sim-tests"
WIDGET = "application/vnd.jupyter.widget-view+json"


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


def execute(name: str, kernel: str, work) -> nbformat.NotebookNode:
    notebook = nbformat.read(ROOT / "analysis" / "notebooks" / name, as_version=4)
    work.mkdir()  # the notebook writes under its working folder
    NotebookClient(notebook, kernel_name=kernel, timeout=600, resources={"metadata": {"path": str(work)}}).execute()
    return notebook


def outputs(notebook, kind: str) -> int:
    return sum(kind in output.get("data", {}) for cell in notebook.cells for output in cell.get("outputs", []))


@pytest.mark.slow
def test_the_policy_comparison_notebook_runs_and_draws_its_figures(kernel, tmp_path):
    notebook = execute("policy_comparison.ipynb", kernel, tmp_path / "work")
    assert outputs(notebook, "image/png") == 6
    assert outputs(notebook, "text/html") >= 3  # the summaries, comparison and decision tables
    assert (tmp_path / "work" / "multirun" / "policy_comparison_notebook" / "report" / "report.html").exists()


@pytest.mark.slow
def test_the_analyst_tasks_notebook_runs_with_a_progress_bar_widget(kernel, tmp_path):
    notebook = execute("analyst_tasks.ipynb", kernel, tmp_path / "work")
    assert outputs(notebook, "image/png") == 3  # curve by node, outcomes by policy, exported cases
    assert outputs(notebook, WIDGET) >= 1  # tqdm.auto drew a Jupyter widget (ipywidgets installed)
    journey = notebook.cells[-1].outputs[-1]["data"]["text/plain"]
    assert "arrived at" in journey


@pytest.mark.slow
def test_the_sensitivity_notebook_draws_the_indices_and_where_the_ranking_flips(kernel, tmp_path):
    notebook = execute("sensitivity.ipynb", kernel, tmp_path / "work")
    assert outputs(notebook, "image/png") == 2
    assert outputs(notebook, "text/html") >= 2  # the point outcomes and the flip summary
    assert (tmp_path / "work" / "multirun" / "sensitivity_notebook" / "design.json").exists()
