"""Faults of the machine, injected: a full disk, a killed worker, outputs corrupted after a sweep,
an input file edited between two runs of one sweep, a corrupt numba cache, Ctrl-C, a killed
parent. Each is survived; nothing stale is kept; the exit code and sweep.json tell the truth.

Faults inside sweep workers are injected through a `sitecustomize` module on PYTHONPATH (every
Python process, workers included, imports it first): it wraps pandas' Parquet writer, which each
run calls to save its time series, to fail the way a machine would for the runs named.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
import yaml

from analysis.callbacks import exit_code, gather
from conftest import ROOT
from sim.config import SCENARIO_DIR

SWEEP = ["scenario=demo", "days=10", "seed=0,1,2"]
FAULTS = """
import os, signal
import pandas

_write = pandas.DataFrame.to_parquet

def to_parquet(self, path, *args, **kwargs):
    target = str(path)
    if os.environ.get("FAULT_RUN", "\\0") in target:
        marker = os.environ.get("FAULT_ONCE")
        if marker is None or not os.path.exists(marker):
            if marker:
                open(marker, "w").close()
            {fault}
    return _write(self, path, *args, **kwargs)

pandas.DataFrame.to_parquet = to_parquet
"""
DISK_FULL = "raise OSError(28, 'No space left on device', target)"
KILLED = "os.kill(os.getpid(), signal.SIGKILL)"


def injected(tmp_path: Path, fault: str, run: str, once: bool = False) -> dict:
    """Environment for a subprocess whose runs with `run` in their folder name meet `fault`."""
    hooks = tmp_path / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "sitecustomize.py").write_text(textwrap.dedent(FAULTS).replace("{fault}", fault))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(hooks), os.environ.get("PYTHONPATH", "")]), FAULT_RUN=run)
    if once:
        env["FAULT_ONCE"] = str(tmp_path / "fault_done")
    return env


def sweep(folder: Path, *overrides: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run.py", "-m", *overrides, f"hydra.sweep.dir={folder}"],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)


def account(folder: Path) -> dict:
    return json.loads((folder / "sweep.json").read_text())


def leftovers(folder: Path) -> list[Path]:
    return list(folder.rglob("*.tmp"))


def test_a_full_disk_fails_one_run_in_one_line_and_the_sweep_goes_on(tmp_path):
    out = tmp_path / "sweep"
    done = sweep(out, *SWEEP, env=injected(tmp_path, DISK_FULL, "seed=1"))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("failed:")]
    assert len(lines) == 1 and "seed=1" in lines[0] and "No space left on device" in lines[0]
    assert "1 failed and 0 incomplete of 3 runs" in done.stderr
    truth = account(out)
    assert truth["complete"] == 2 and len(truth["failed"]) == 1 and truth["failed"][0]["kind"] == "fault"
    failed_run = out / truth["failed"][0]["run"]
    assert not (failed_run / "summary.json").exists() and not leftovers(out)


def test_a_worker_killed_once_is_run_again_and_the_sweep_completes(tmp_path):
    out = tmp_path / "sweep"
    done = sweep(out, *SWEEP, env=injected(tmp_path, KILLED, "seed=1", once=True))
    assert done.returncode == 0, done.stderr
    assert "worker died" in done.stderr and "Traceback" not in done.stderr
    assert account(out)["complete"] == 3 and not leftovers(out)


def test_a_run_that_kills_its_worker_every_time_is_recorded_as_failed(tmp_path):
    out = tmp_path / "sweep"
    done = sweep(out, *SWEEP, env=injected(tmp_path, KILLED, "seed=2"))
    assert done.returncode == 1, done.stderr
    truth = account(out)
    assert truth["complete"] == 2 and [f["error"] for f in truth["failed"]] == ["WorkerDied"]
    assert "seed=2" in truth["failed"][0]["run"] and not leftovers(out)


def test_outputs_corrupted_after_a_sweep_are_found_and_redone(tmp_path):
    out = tmp_path / "sweep"
    assert sweep(out, *SWEEP).returncode == 0
    runs = sorted(p for p in out.iterdir() if p.is_dir())
    summary, series = runs[0] / "summary.json", runs[1] / "timeseries.parquet"
    summary.write_text(summary.read_text()[:100])  # cut in half, as a full disk or a copy would
    series.write_bytes(series.read_bytes()[: series.stat().st_size // 2])
    edited = runs[2] / "config.json"
    edited.write_text(edited.read_text().replace('"days": 10', '"days": 11'))  # same size, other content
    truth = gather(out)
    assert truth["complete"] == 0 and len(truth["incomplete"]) == 3 and exit_code(truth) == 1
    reasons = {item["run"]: item["reason"] for item in truth["incomplete"]}
    assert "not valid JSON" in reasons[runs[0].name] and "cut short" in reasons[runs[1].name]
    assert "changed after it was written" in reasons[runs[2].name]
    again = sweep(out, *SWEEP)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("redoing") == 3 and "complete already" not in again.stdout
    assert account(out) == {"runs": 3, "complete": 3, "failed": [], "incomplete": []}


def test_an_input_edited_between_two_runs_of_a_sweep_is_not_kept(tmp_path):
    scenario = tmp_path / "route.yaml"
    scenario.write_text((SCENARIO_DIR / "demo.yaml").read_text())
    out = tmp_path / "sweep"
    overrides = [f"scenario.file={scenario}", "days=10", "seed=0,1"]
    assert sweep(out, *overrides).returncode == 0
    before = [json.loads(p.read_text())["arrivals"] for p in sorted(out.glob("*/summary.json"))]
    data = yaml.safe_load(scenario.read_text())
    data["arrivals"]["per_day"] = 2000
    scenario.write_text(yaml.safe_dump(data))
    again = sweep(out, *overrides)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("redoing") == 2 and "route.yaml changed since" in again.stdout
    after = [json.loads(p.read_text())["arrivals"] for p in sorted(out.glob("*/summary.json"))]
    assert all(a > 20 * b for a, b in zip(after, before))  # 2,000 a day, not 20


def test_a_corrupt_numba_cache_entry_is_rebuilt(tmp_path):
    from sim import kernels
    from sim.numba_cache import entries, is_intact

    data = [path for path in entries(kernels.move) if path.suffix == ".nbc"]
    assert data, "the kernels have been compiled and cached by the tests before this one"
    data[0].write_bytes(data[0].read_bytes()[:500])
    done = subprocess.run([sys.executable, "run.py", "scenario=demo", "days=5", "progress=false",
                           f"hydra.run.dir={tmp_path / 'run'}"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "was corrupt" in done.stderr
    assert all(is_intact(path) for path in entries(kernels.move))


def test_the_numba_cache_falls_back_to_a_writable_folder(monkeypatch):
    import numba

    from sim import numba_cache

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.delenv(numba_cache.CHOSEN, raising=False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)
    monkeypatch.setattr(numba_cache, "writable", lambda folder: False)
    numba_cache.choose_folder()
    chosen = os.environ.pop("NUMBA_CACHE_DIR")
    assert chosen == numba.config.CACHE_DIR and "migration-sim-numba" in chosen


def test_a_changed_source_never_loads_kernels_cached_from_the_old_one(tmp_path, monkeypatch):
    """numba checks a cached kernel against its own file only: a constant changed in another
    module (a flag bit in sim/population.py) would be served stale. The cache folder is named by
    the whole source, so any change starts an empty one."""
    import shutil

    import numba

    from sim import numba_cache

    copy = tmp_path / "sim"
    shutil.copytree(numba_cache.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert numba_cache.fingerprint(copy) == numba_cache.fingerprint()
    population = copy / "population.py"
    population.write_text(population.read_text().replace("np.uint8(1), np.uint8(2)", "np.uint8(16), np.uint8(2)", 1))
    assert numba_cache.fingerprint(copy) != numba_cache.fingerprint()
    assert Path(numba.config.CACHE_DIR).name == numba_cache.fingerprint()  # the folder this run uses
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))  # a user's own folder holds it too
    monkeypatch.delenv(numba_cache.CHOSEN, raising=False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)
    numba_cache.choose_folder()
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "mine" / numba_cache.fingerprint())


def wait_for(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_ctrl_c_stops_a_run_in_one_line_with_the_command_to_run_it_again(tmp_path):
    folder = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "run.py", "scenario=western_balkans", "days=30000", "seeds=1", "progress=false",
                                f"hydra.run.dir={folder}"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: (folder / "run.log").exists() and "config:" in (folder / "run.log").read_text())
    time.sleep(1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("interrupted: nothing saved. To run it again: python run.py")
    assert f"hydra.run.dir={folder}" in stderr
    assert not (folder / "summary.json").exists() and not leftovers(folder)


@pytest.mark.slow
def test_workers_die_with_their_parent(tmp_path):
    out = tmp_path / "sweep"
    process = subprocess.Popen([sys.executable, "run.py", "-m", "scenario=western_balkans", "days=30000", "seed=0,1",
                                f"hydra.sweep.dir={out}"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: len(list(out.glob("*/run.log"))) == 2)
    workers = psutil.Process(process.pid).children(recursive=True)
    assert workers
    process.kill()
    process.wait()
    gone, alive = psutil.wait_procs(workers, timeout=15)
    assert not [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not list(out.glob("*/summary.json"))


def test_a_run_whose_folder_cannot_be_made_fails_alone_and_is_counted(tmp_path):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "days=10,scenario=demo,seed=1").write_text("a file where the run's folder should be")
    done = sweep(out, *SWEEP)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "File exists" in done.stderr
    truth = account(out)
    assert truth["complete"] == 2 and truth["runs"] == 3 and truth["failed"][0]["error"] == "FileExistsError"


def test_ctrl_c_stops_a_sweep_in_one_line_with_the_command_that_resumes_it(tmp_path):
    out = tmp_path / "sweep"
    process = subprocess.Popen([sys.executable, "run.py", "-m", "scenario=western_balkans", "days=30000", "seed=0,1,2",
                                f"hydra.sweep.dir={out}"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: len(list(out.glob("*/run.log"))) >= 2)
    workers = psutil.Process(process.pid).children(recursive=True)
    time.sleep(1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines() == [
        f"interrupted: runs already complete are kept. To resume: python run.py -m scenario=western_balkans "
        f"days=30000 seed=0,1,2 hydra.sweep.dir={out}"]
    psutil.wait_procs(workers, timeout=15)
    assert not [p for p in workers if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not list(out.glob("*/summary.json")) and not leftovers(out)
