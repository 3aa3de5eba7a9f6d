"""Calibration (analysis.calibration, analysis.calibrated): a parameter hidden in synthetic
observations made by the model is recovered within the estimate's interval, calibration files
are checked like any input and applied to runs, the validation report marks the targets fitted
as in-sample, and policies are compared over posterior draws, paired."""

import numpy as np
import pytest
import yaml

from analysis import calibrated, calibration, validation
from analysis.batch import Space
from analysis.comparison import compare
from sim import ConfigError, simulate
from sim.config import SCENARIO_DIR

HIDDEN = 30  # arrivals a day behind the synthetic observations (the file's value is 20)
DAYS = 40
CAMP_ENTRIES = {"name": "camp_entries", "description": "people reaching the transit camp", "source": "synthetic",
                "calibration": True, "tolerance": {"relative": 0.01, "why": "synthetic, made by the model"},
                "model": {"metric": "entries", "nodes": ["transit_camp"], "statistic": "total"}}


@pytest.fixture(scope="module")
def ranged_demo(tmp_path_factory):
    """The demo route with a range on its arrivals, and targets observed at HIDDEN arrivals a day
    (one run on a seed the fit does not use)."""
    folder = tmp_path_factory.mktemp("calibration")
    data = yaml.safe_load((SCENARIO_DIR / "demo.yaml").read_text())
    data["arrivals"]["per_day"] = {"value": 20, "range": [5, 50], "source": "test: a range to calibrate"}
    (folder / "demo.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    overrides = (f"scenario.file={folder / 'demo.yaml'}",)
    targets = [validation.Target(**CAMP_ENTRIES, observed=1)]
    space = Space("demo", "covid19", ["baseline"], DAYS, overrides)
    observed = space.run({"arrivals.per_day": HIDDEN}, [("baseline", 99)], calibration.TargetValues(targets))[0]
    (folder / "targets.yaml").write_text(yaml.safe_dump(
        {"scenario": "demo", "targets": [CAMP_ENTRIES | {"observed": observed["camp_entries"]}]}, sort_keys=False))
    return folder, overrides


@pytest.mark.slow
def test_optuna_recovers_a_hidden_parameter_within_its_interval(ranged_demo):
    folder, overrides = ranged_demo
    path, fit = calibration.calibrate("demo", "covid19", ["arrivals.per_day"], targets_path=folder / "targets.yaml",
                                      seeds=3, days=DAYS, trials=30, overrides=overrides, out=folder / "fitted.yaml",
                                      work=folder / "optuna", progress=False)
    low, high = fit["intervals"]["arrivals.per_day"]
    assert low <= HIDDEN <= high and low <= fit["estimate"]["arrivals.per_day"] <= high
    assert high - low < 15, "the interval says something: a fraction of the range 5 to 50"
    saved = calibrated.load_calibration(path)
    assert saved.targets == ["camp_entries"] and saved.parameters == fit["estimate"] and saved.seeds == 3
    again = calibration.calibrate("demo", "covid19", ["arrivals.per_day"], targets_path=folder / "targets.yaml",
                                  seeds=3, days=DAYS, trials=30, overrides=overrides, out=folder / "fitted.yaml",
                                  work=folder / "optuna", progress=False)[1]
    assert len(again["trials"]) == 30, "a rerun resumes the stored study instead of starting over"
    with pytest.raises(ValueError, match="another calibration"):
        calibration.calibrate("demo", "covid19", ["arrivals.per_day"], targets_path=folder / "targets.yaml", seeds=2,
                              days=DAYS, trials=30, overrides=overrides, work=folder / "optuna", progress=False)


def test_the_likelihood_peaks_at_the_observed_count_and_widens_with_the_spread():
    target = validation.Target(**CAMP_ENTRIES, observed=100)
    at = lambda values: calibration.log_likelihood(target, values)
    assert at([99, 100, 101]) > at([89, 90, 91]) > at([79, 80, 81])
    assert at([60, 80, 100]) > at([79, 80, 81]), "a model that varies more over seeds is less sure of missing"
    rate = validation.Target(**{**CAMP_ENTRIES, "model": {**CAMP_ENTRIES["model"], "statistic": "per_arrival"}},
                             observed=0.5)
    assert not calibration.is_count(rate) and np.isfinite(calibration.log_likelihood(rate, [0.4, 0.5, 0.6]))
    assert np.isfinite(at([0, 0, 0])), "a model of zeros scores low, not minus infinity"


def write_calibration(path, **change):
    data = {"scenario": "demo", "disease": "covid19", "date": "2026-12-01", "method": "test", "likelihood": "test",
            "targets": ["camp_entries"], "days": DAYS, "seeds": 3,
            "parameters": {"transmission.unit_contact_share": 0.3}, **change}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize("change, fragments", [
    ({"parameters": {"transmission.unit_contact_sahre": 0.3}},
     ["parameters.transmission.unit_contact_sahre", "a ranged number", "transmission.unit_contact_share"]),
    ({"parameters": {"transmission.unit_contact_share": 0.9}},
     ["parameters.transmission.unit_contact_share", "0.9", "within its declared range [0.18, 0.4]"]),
    ({"scenario": "western_balkans"}, ["scenario", "western_balkans", "'demo'"]),
    ({"draws": {"transmission.host_pool_share": [0.3]}}, ["draws name parameters that are not calibrated"]),
    ({"seeds": "three"}, ["seeds", "'three'"]),
])
def test_a_bad_calibration_file_is_refused_naming_file_key_and_value(tmp_path, change, fragments):
    path = write_calibration(tmp_path / "demo.yaml", **change)
    with pytest.raises(ConfigError) as caught:
        Space("demo", "covid19", ["baseline"], 5, calibration=path)
    message = str(caught.value)
    assert str(path) in message and all(fragment in message for fragment in fragments), message


def test_a_calibration_sets_the_runs_defaults_and_the_report_marks_its_targets_in_sample(tmp_path, monkeypatch):
    monkeypatch.setattr(calibrated, "CALIBRATION_DIR", tmp_path / "calibration")
    (tmp_path / "calibration").mkdir()
    write_calibration(tmp_path / "calibration" / "demo.yaml")
    config, graph = calibrated.calibrated_setting(validation.plain_config(["scenario=demo", "days=5"]))
    assert config["transmission"]["unit_contact_share"]["value"] == 0.3
    assert simulate(config, scenario=graph).config["transmission"]["unit_contact_share"] == 0.3
    targets_path = tmp_path / "targets.yaml"
    targets_path.write_text(yaml.safe_dump({"scenario": "demo", "targets": [
        CAMP_ENTRIES | {"range": [1, 1e6], "tolerance": None},
        CAMP_ENTRIES | {"name": "camp_share", "range": [0, 10], "tolerance": None, "calibration": False,
                        "model": {**CAMP_ENTRIES["model"], "statistic": "per_arrival"}}]}))
    table = validation.evaluate(validation.load_targets(targets_path), seeds=1, days=10).set_index("target")
    assert table.loc["camp_entries", "sample"] == "in-sample" and table.loc["camp_share", "sample"] == "out-of-sample"
    assert "unit_contact_share = 0.3" in validation.calibration_note("demo")


@pytest.mark.slow
def test_policies_are_compared_over_posterior_draws_each_draw_paired(tmp_path):
    shares = [0.2, 0.25, 0.3, 0.35]
    path = write_calibration(tmp_path / "demo.yaml", parameters={"transmission.unit_contact_share": 0.28},
                             draws={"transmission.unit_contact_share": shares}, days=30)
    runs = calibration.compare_over_draws(path, ["baseline", "vaccinate_at_entry"], None, tmp_path / "runs")
    assert sorted(runs["draw"].unique()) == [0, 1, 2, 3] and len(runs) == 8
    assert (runs.groupby("draw")["seed"].nunique() == 1).all(), "one seed per draw, under both policies"
    assert runs.groupby("draw")["seed"].first().nunique() == 4, "each draw a world of its own"
    table = compare(runs).set_index(["arm", "outcome"])
    assert table.loc[("vaccinate_at_entry", "infections_averted"), "n"] == 4


@pytest.mark.slow
def test_abc_smc_gives_a_posterior_holding_the_hidden_value(ranged_demo):
    pytest.importorskip("pyabc")
    folder, overrides = ranged_demo
    path, fit = calibration.calibrate("demo", "covid19", ["arrivals.per_day"], method="abc",
                                      targets_path=folder / "targets.yaml", days=DAYS, population=40, generations=3,
                                      overrides=overrides, out=folder / "abc.yaml", work=folder / "abc")
    low, high = fit["intervals"]["arrivals.per_day"]
    assert low <= HIDDEN <= high and high - low < 25
    saved = calibrated.load_calibration(path)
    assert len(saved.draw_points()) == 200 and all(5 <= p["arrivals.per_day"] <= 50 for p in saved.draw_points())
