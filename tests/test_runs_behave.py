"""Runs that behave: outputs others can read, a log that holds the run, a help page of this
project, folders named safely, incomplete runs skipped by analysis, a cold numba cache announced."""

import os
import stat
import subprocess
import sys

import pytest

from conftest import DEMO, ROOT, config
from sim import simulate
from sim.config import folder_name, scenario_stem


def run(*args, env=None, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=600)


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_outputs_are_readable_as_the_umask_allows(tmp_path, umask):
    result = simulate(config(*DEMO, "days=5"))
    before = os.umask(umask)
    try:
        result.save(tmp_path)
    finally:
        os.umask(before)
    for name in ("summary.json", "config.json", "manifest.json", "timeseries.parquet"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask, name


def test_run_log_holds_the_run_and_scenario_files_are_filed_under_their_name(tmp_path):
    route = tmp_path / "my_route.yaml"
    route.write_text((ROOT / "scenarios" / "demo.yaml").read_text())
    done = run(f"scenario.file={route}", "days=5", "seeds=1", "progress=false", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (folder,) = (tmp_path / "outputs" / "my_route" / "measles").iterdir()
    log = (folder / "run.log").read_text()
    assert "people entering the route" in log and "seed 0, 5 days" in log and str(route) not in str(folder)


def test_help_shows_this_projects_groups_options_and_examples():
    for flag in ("help", "--help"):
        done = run(flag)
        assert done.returncode == 0, done.stderr
        for text in ("policy: baseline, combined", "scenario: central_asia, demo", "scenario.file=FILE",
                     "days=365", "python run.py -m +sweep=policy_comparison"):
            assert text in done.stdout, text


@pytest.mark.parametrize("overrides", ["scenario.file=/tmp/route.yaml", "scenario.file=../../../etc/x.yaml,seed=1",
                                       "x=" + "y" * 400, "..", "."])
def test_a_sweep_folder_name_is_one_safe_level(overrides):
    name = folder_name(overrides)
    assert "/" not in name and name not in (".", "..") and len(name.encode()) <= 200
    assert folder_name(overrides) == name  # the same run finds its folder again


def test_plain_override_folder_names_are_unchanged():
    assert folder_name("days=10,policy=baseline,seed=0") == "days=10,policy=baseline,seed=0"
    assert folder_name("policy.vaccination.at_entry.where.ids=[],seed=1") == "policy.vaccination.at_entry.where.ids=[],seed=1"
    assert scenario_stem("path/to/my_route.yaml") == "my_route"


def test_analysis_skips_interrupted_and_half_copied_runs(tmp_path):
    from analysis.runs import find_runs
    from analysis.sweep import run_sweep

    run_sweep(tmp_path, {"seed": [0, 1]}, base=[*DEMO, "days=5"])
    first, second = sorted(tmp_path.iterdir())
    (second / "timeseries.parquet").unlink()  # copied in part
    (tmp_path / "interrupted" / ".hydra").mkdir(parents=True)  # what Hydra leaves of a killed run
    with pytest.warns(UserWarning, match="skipped 2 incomplete"):
        found = find_runs(tmp_path)
    assert found.names == [first.name]


@pytest.mark.slow
def test_a_cold_numba_cache_is_announced_before_the_first_progress_bar(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    done = run("scenario=demo", "days=3", f"hydra.run.dir={tmp_path / 'run'}", env=env)
    assert done.returncode == 0, done.stderr
    assert "compiling kernels (first run, about 20 s)" in done.stderr
    again = run("scenario=demo", "days=3", f"hydra.run.dir={tmp_path / 'again'}", env=env)
    assert "compiling kernels" not in again.stderr


def test_a_bad_rerun_into_a_folder_keeps_the_run_already_there(tmp_path):
    folder = tmp_path / "run"
    assert run("scenario=demo", "days=5", "seeds=1", "progress=false", f"hydra.run.dir={folder}").returncode == 0
    written = (folder / "summary.json").read_bytes()
    done = run("scenario=demo", "days=5", "seeds=1", "disease.r0=-1", f"hydra.run.dir={folder}")
    assert done.returncode == 2 and (folder / "summary.json").read_bytes() == written
