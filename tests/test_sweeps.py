"""Sweeps: parallel runs on this machine, resumption, failures that do not stop the others, and
the same command on submitit's local executor (the SLURM launcher's test double)."""

import json
import subprocess
import sys

import pytest

from conftest import ROOT

SWEEP = ["scenario=demo", "days=15", "policy=baseline,vaccinate_at_entry", "seed=0,1"]


def sweep(folder, *overrides):
    return subprocess.run([sys.executable, "run.py", "-m", *overrides, f"hydra.sweep.dir={folder}"],
                          cwd=ROOT, capture_output=True, text=True)


def run_folders(folder):
    return sorted(p for p in folder.iterdir() if p.is_dir())


def test_sweep_runs_every_combination_and_resumes(tmp_path):
    done = sweep(tmp_path, *SWEEP)
    assert done.returncode == 0, done.stderr
    folders = run_folders(tmp_path)
    assert len(folders) == 4
    summaries = [json.loads((f / "summary.json").read_text()) for f in folders]
    assert {(s["policy"], s["seed"]) for s in summaries} == {(p, s) for p in ("baseline", "vaccinate_at_entry") for s in (0, 1)}
    written = {f: (f / "summary.json").stat().st_mtime_ns for f in folders}
    (folders[0] / "summary.json").unlink()  # as if that run had been killed before finishing
    again = sweep(tmp_path, *SWEEP)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("complete already, skipped") == 3
    assert (folders[0] / "summary.json").exists()
    for folder in folders[1:]:
        assert (folder / "summary.json").stat().st_mtime_ns == written[folder]


def test_a_failed_run_is_reported_and_the_others_go_on(tmp_path):
    done = sweep(tmp_path, "scenario=demo", "days=10", "policy=vaccinate_at_entry",
                 "policy.vaccination.at_entry.where.ids=[],[no_such_site]")
    assert done.returncode == 2, done.stderr  # every failure was the input's
    assert "1 failed and 0 incomplete of 2 runs" in done.stderr and "Traceback" not in done.stderr
    failed = [f for f in run_folders(tmp_path) if (f / "failed.json").exists()]
    complete = [f for f in run_folders(tmp_path) if (f / "summary.json").exists()]
    assert len(failed) == 1 and len(complete) == 1
    failure = json.loads((failed[0] / "failed.json").read_text())
    assert "policy.vaccination.at_entry.where.ids=[no_such_site]" in failure["overrides"]
    assert "no_such_site" in failure["message"]


@pytest.mark.slow
def test_submitit_local_executor_runs_the_same_sweep(tmp_path):
    done = sweep(tmp_path, "hydra/launcher=submitit_local", "scenario=demo", "days=10", "seed=0,1")
    assert done.returncode == 0, done.stderr
    assert sum((f / "summary.json").exists() for f in run_folders(tmp_path)) == 2


def test_a_finished_sweep_is_gathered_into_one_file(tmp_path):
    done = sweep(tmp_path, "scenario=demo", "days=10", "policy=vaccinate_at_entry", "seed=0,1",
                 "policy.vaccination.at_entry.where.ids=[],[no_such_site]")
    assert done.returncode == 2, done.stderr
    import pandas as pd

    gathered = pd.read_parquet(tmp_path / "sweep.parquet")
    assert gathered["seed"].nunique() == 2 and gathered["run"].nunique() == 2
    account = json.loads((tmp_path / "sweep.json").read_text())
    assert account["complete"] == 2 and len(account["failed"]) == 2
    assert all("no_such_site" in failure["message"] for failure in account["failed"])
