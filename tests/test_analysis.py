"""Analysis: loading runs and sweeps with their parameters, the paired policy comparison, and the
report command writing every figure."""

import os
import shutil
from pathlib import Path
import subprocess
import sys

import pandas as pd
import pytest

import analysis
from analysis.__main__ import main
from conftest import ROOT

GRID = {"policy": ["baseline", "vaccinate_at_entry"], "seed": [0, 1]}
BASE = ["scenario=demo", "disease=covid19", "disease.r0=8", "days=60"]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """Two policies on two seeds, saved as `python run.py -m` saves them."""
    return analysis.run_sweep(tmp_path_factory.mktemp("sweep"), GRID, BASE)


@pytest.fixture
def copy_of(tmp_path):
    def copy(folder):
        return shutil.copytree(folder, tmp_path / folder.name)
    return copy


def test_running_a_sweep_again_skips_the_complete_runs(sweep):
    written = {p: (p / "summary.json").stat().st_mtime_ns for p in sweep.iterdir()}
    analysis.run_sweep(sweep, GRID, BASE)
    assert {p: (p / "summary.json").stat().st_mtime_ns for p in sweep.iterdir()} == written


def test_load_gives_every_row_of_every_run_with_its_parameters(sweep):
    data = analysis.load(sweep)
    assert data.attrs["parameters"] == ["scenario", "disease", "disease.r0", "days", "policy", "seed"]
    assert list(data.columns) == ["day", "date", "node", "kind", "country", "population", "metric", "value",
                                  *data.attrs["parameters"], "run"]
    runs = sorted(p.name for p in sweep.iterdir())
    assert sorted(data["run"].unique()) == runs
    for run, rows in data.groupby("run", observed=True):
        own = pd.read_parquet(sweep / run / "timeseries.parquet")
        assert len(rows) == len(own)
        assert rows["value"].tolist() == own["value"].tolist()
        assert rows["node"].astype(str).tolist() == own["node"].astype(str).tolist()
        assert (rows["date"] == pd.Timestamp("2023-01-01") + pd.to_timedelta(rows["day"], unit="D")).all()
        assert dict(zip(rows["node"], rows["kind"]))["transit_camp"] == "transit_centre"
        settings = rows[data.attrs["parameters"]].drop_duplicates()
        assert len(settings) == 1
        assert run == f"policy={settings['policy'].iloc[0]},seed={settings['seed'].iloc[0]}"
        assert settings[["scenario", "disease", "disease.r0", "days"]].iloc[0].tolist() == ["demo", "covid19", 8, 60]
    per_run_and_metric = data.groupby(["run", "population", "metric"], observed=True).size()
    assert per_run_and_metric.nunique() == 1  # every run has every metric on every day and node
    assert analysis.load(sweep, metrics=["present"])["metric"].unique().tolist() == ["present"]


def test_load_summaries_gives_one_row_per_run(sweep):
    summaries = analysis.load_summaries(sweep)
    assert len(summaries) == 4
    assert {"costs.total", "costs.doses", "infections_migrants", "days_to_care_histogram"} <= set(summaries.columns)
    assert summaries.attrs["parameters"] == analysis.load(sweep).attrs["parameters"]
    assert set(zip(summaries["policy"], summaries["seed"])) == {(p, s) for p in GRID["policy"] for s in GRID["seed"]}


def test_a_run_without_overrides_takes_its_parameters_from_its_config(sweep, copy_of):
    run = copy_of(sweep / "policy=vaccinate_at_entry,seed=1")
    shutil.rmtree(run / ".hydra")
    data = analysis.load(run)
    assert data.attrs["parameters"] == ["scenario", "disease", "policy", "seed"]
    assert data[["scenario", "disease", "policy", "seed", "run"]].drop_duplicates().values.tolist() == [
        ["demo", "covid19", "vaccinate_at_entry", 1, run.name]]


def test_incomplete_runs_are_skipped_with_a_warning(sweep, copy_of):
    folder = copy_of(sweep)
    (folder / "policy=baseline,seed=1" / "summary.json").unlink()  # as if killed before finishing
    with pytest.warns(UserWarning, match="skipped 1 incomplete"):
        data = analysis.load(folder)
    assert "policy=baseline,seed=1" not in set(data["run"])
    assert data["run"].nunique() == 3


def test_sweep_parquet_is_read_while_it_matches_the_runs(sweep, copy_of):
    folder = copy_of(sweep)
    gathered = analysis.load(folder, metrics=["new_infections"])
    gathered.to_parquet(folder / "sweep.parquet", index=False)
    assert analysis.load(folder)["metric"].unique().tolist() == ["new_infections"]  # the gathered file
    later = (folder / "sweep.parquet").stat().st_mtime + 10
    os.utime(folder / "policy=baseline,seed=0" / "summary.json", (later, later))  # a run redone since
    with pytest.warns(UserWarning, match="out of date"):
        assert analysis.load(folder)["metric"].nunique() > 1


def test_a_sweep_made_by_run_py_loads_with_its_overrides(tmp_path):
    done = subprocess.run([sys.executable, "run.py", "-m", "scenario=demo", "days=10", "policy=baseline,vaccinate_at_entry",
                           "seed=0", f"hydra.sweep.dir={tmp_path}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    summaries = analysis.load_summaries(tmp_path)
    assert {"scenario", "days", "policy", "seed", "disease"} <= set(summaries.attrs["parameters"])
    assert sorted(summaries["policy"]) == ["baseline", "vaccinate_at_entry"]


def test_a_policy_compared_with_itself_averts_nothing_with_a_zero_width_interval(sweep):
    summaries = analysis.load_summaries(sweep)
    for baseline in GRID["policy"]:
        comparison = analysis.compare(summaries, baseline=baseline)
        own = comparison[(comparison["arm"] == baseline) & (comparison["outcome"] == "infections_averted")].iloc[0]
        assert (own["median"], own["lower"], own["upper"], own["n"]) == (0, 0, 0, 2)
        cost = comparison[(comparison["arm"] == baseline) & (comparison["outcome"] == "cost_per_outcome_averted")]
        assert cost["note"].item() == "comparator" and pd.isna(cost["median"].item())


def test_infections_averted_are_paired_by_seed(sweep):
    summaries = analysis.load_summaries(sweep)
    runs = analysis.paired(summaries).set_index(["policy", "seed"])
    infections = summaries.set_index(["policy", "seed"])[["infections_migrants", "infections_hosts"]].sum(axis=1)
    for seed in GRID["seed"]:
        expected = infections[("baseline", seed)] - infections[("vaccinate_at_entry", seed)]
        assert runs.loc[("vaccinate_at_entry", seed), "infections_averted"] == expected
    comparison = analysis.compare(summaries)
    assert list(comparison["arm"].unique()) == ["baseline", "vaccinate_at_entry"]
    doses = comparison[(comparison["arm"] == "vaccinate_at_entry") & (comparison["outcome"] == "doses")].iloc[0]
    assert doses["median"] > 0 and doses["lower"] <= doses["median"] <= doses["upper"]


def test_the_comparison_reads_the_same_from_the_time_series(sweep):
    """Every outcome the time series holds (DALYs and doses protecting only after exit are
    computed for the summary only)."""
    from_summaries = analysis.compare(analysis.load_summaries(sweep))
    from_timeseries = analysis.compare(analysis.load(sweep))
    summary_only = from_summaries.outcome.isin(["dalys", "dalys_averted", "doses_protecting_after_exit"])
    assert from_summaries[summary_only]["n"].gt(0).any()
    assert not from_timeseries.outcome.isin(["dalys", "dalys_averted", "doses_protecting_after_exit"]).any()
    plain = lambda table: table.astype({"arm": str, "outcome": str}).reset_index(drop=True)
    pd.testing.assert_frame_equal(plain(from_summaries[~summary_only]), plain(from_timeseries), check_dtype=False)


def test_the_report_command_writes_every_figure(sweep, tmp_path, capsys):
    assert main(["report", str(sweep), "--out", str(tmp_path / "report")]) == 0
    page = (tmp_path / "report" / "report.html").read_text()
    pngs = [line for line in capsys.readouterr().out.splitlines() if line.endswith(".png")]
    names = {Path(png).stem for png in pngs}
    assert {"epidemic_curves", "forest_plot", "cost_effectiveness", "acceptability", "route_map", "heatmap",
            "capacity_use", "time_to_care"} <= names
    for name in names:
        assert (tmp_path / "report" / f"{name}.png").stat().st_size > 10_000
        assert f"<figure id='{name}'><h2>" in page
    assert "infections averted vs baseline, same seed" in page  # the comparison table
    assert "<section id='decision'>" in page


def test_the_report_works_on_a_single_run(sweep, copy_of):
    run = copy_of(sweep / "policy=baseline,seed=0")
    written = analysis.write_report(run)
    assert written[0].name == "report.html" and {"epidemic_curves.png", "route_map.png"} <= {p.name for p in written}
    assert all(p.parent == run / "report" and p.stat().st_size > 0 for p in written)


def test_the_maps_command_still_draws_every_scenario(tmp_path):
    assert main(["maps", str(tmp_path)]) == 0
    assert {p.stem for p in tmp_path.glob("*.png")} == {p.stem for p in (ROOT / "scenarios").glob("*.yaml")}


def test_a_missing_folder_is_reported_not_raised(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_policy_settings_that_differ_within_a_policy_become_parameters():
    from analysis.runs import varying_policy_settings

    configs = [{"policy": {"name": "baseline", "care": {"delay": 2}}},
               {"policy": {"name": "vaccinate_at_entry", "care": {"delay": 2}, "vaccination": {"at_entry": {"uptake": 0.2}}}},
               {"policy": {"name": "vaccinate_at_entry", "care": {"delay": 2}, "vaccination": {"at_entry": {"uptake": 0.8}}}}]
    settings = varying_policy_settings(configs)
    assert list(settings.columns) == ["policy.vaccination.at_entry.uptake"]
    assert settings.iloc[:, 0].tolist()[1:] == [0.2, 0.8] and pd.isna(settings.iloc[0, 0])


def test_a_run_repeated_and_an_interrupted_one_do_not_break_the_report(sweep, copy_of, tmp_path):
    folder = copy_of(sweep)
    shutil.copytree(folder / "policy=baseline,seed=0", folder / "again" / "policy=baseline,seed=0")
    (folder / "interrupted" / ".hydra").mkdir(parents=True)  # all an interrupted run leaves
    with pytest.warns(UserWarning) as warned:
        written = analysis.write_report(folder, tmp_path / "report")
    messages = " ".join(str(w.message) for w in warned)
    assert "skipped 1 incomplete or failed run(s): interrupted" in messages
    assert "1 run(s) repeat the parameters of a newer run and were left out" in messages
    assert written[0].exists()


def test_a_wrong_baseline_exits_2_listing_the_arms(sweep, tmp_path, capsys):
    assert main(["report", str(sweep), "--out", str(tmp_path), "--baseline", "vaccinate"]) == 2
    assert "baseline 'vaccinate' is not an arm of these runs; the arms are: baseline, vaccinate_at_entry" in (
        capsys.readouterr().err)
