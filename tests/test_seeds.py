"""One command-line run over paired seeds (analysis.seeds): medians and 95% intervals, not one
seed's difference."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ["scenario=demo", "disease=covid19", "policy=combined", "days=40", "progress=false"]


def run(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run.py", *arguments], cwd=ROOT, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def three_seeds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seeds") / "run"
    done = run(*RUN, "seeds=3", "seed=5", f"hydra.run.dir={folder}")
    assert done.returncode == 0, done.stderr
    return folder, done.stdout


def summaries(folder: Path) -> dict[tuple[str, int], dict]:
    return {(s["policy"], s["seed"]): s for s in
            (json.loads(path.read_text()) for path in (folder / "seeds").glob("*/summary.json"))}


def test_each_policy_runs_with_baseline_on_every_seed(three_seeds):
    folder, printed = three_seeds
    assert set(summaries(folder)) == {(policy, seed) for policy in ("baseline", "combined") for seed in (5, 6, 7)}
    assert not (folder / "summary.json").exists()  # no single seed stands for the run
    assert "3 paired seeds (5-7): median [95% interval]" in printed


def test_the_intervals_are_the_medians_and_percentiles_of_the_paired_differences(three_seeds):
    folder, printed = three_seeds
    runs = summaries(folder)
    infections = lambda s: s["infections_migrants"] + s["infections_hosts"]
    averted = np.array([infections(runs["baseline", seed]) - infections(runs["combined", seed]) for seed in (5, 6, 7)])
    stored = json.loads((folder / "intervals.json").read_text())
    row = next(r for r in stored["rows"] if r["arm"] == "combined" and r["outcome"] == "infections_averted")
    assert row["median"] == np.median(averted)
    assert row["lower"] == pytest.approx(np.percentile(averted, 2.5))
    assert row["upper"] == pytest.approx(np.percentile(averted, 97.5))
    assert row["n"] == 3 and stored["seeds"] == [5, 6, 7] and stored["cost_outcome"] == "dalys"
    line = next(line for line in printed.splitlines() if "infections averted against baseline" in line)
    assert line.split()[-3:] == [f"{np.median(averted):,.0f}", f"[{np.percentile(averted, 2.5):,.0f},",
                                 f"{np.percentile(averted, 97.5):,.0f}]"]
    assert "cost per DALY averted (EUR)" in printed


def test_running_it_again_reuses_the_seeds_already_done(three_seeds):
    folder, _ = three_seeds
    written = {path: path.stat().st_mtime_ns for path in (folder / "seeds").glob("*/summary.json")}
    (folder / "intervals.json").unlink()
    done = run(*RUN, "seeds=3", "seed=5", f"hydra.run.dir={folder}")
    assert done.returncode == 0, done.stderr
    assert {path: path.stat().st_mtime_ns for path in written} == written
    assert (folder / "intervals.json").exists()


def test_one_seed_is_the_single_run(tmp_path):
    done = run(*RUN, "seeds=1", f"hydra.run.dir={tmp_path}")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "summary.json").exists() and not (tmp_path / "seeds").exists()
    assert "seed 0, 40 days" in done.stdout


def test_a_sweep_names_its_seeds(tmp_path):
    done = run("-m", *RUN, "seed=0,1", "seeds=3", f"hydra.sweep.dir={tmp_path}")
    assert done.returncode == 2
    assert "seeds" in done.stderr and "seed='range(10)'" in done.stderr
