"""Save and resume: a run saved on day 60 and resumed gives the time series of the run straight
through, bit for bit; arms forked from one saved day are paired; a state that belongs to another
scenario, disease or package version, or was changed, is refused before any day is run."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import DEMO, config
from sim import ConfigError, RouteModel, load_scenario, run_config, simulate
from sim.config import SCENARIO_DIR
from sim.state import observe

SAVED_ON, DAYS = 60, 100


def saved_on_day(folder, day: int, *overrides, scenario=SCENARIO_DIR / "demo.yaml") -> RouteModel:
    model = RouteModel(load_scenario(scenario), run_config(config(*DEMO, f"days={DAYS}", *overrides)))
    for _ in range(day):
        model.step()
    model.save(folder)
    return model


def result(*overrides):
    return simulate(config(*DEMO, f"days={DAYS}", "compare_to_baseline=false", *overrides))


def same_run(resumed, straight) -> None:
    """The tidy tables equal exactly, and every figure of the summaries but the runtime and where
    the run started from."""
    pd.testing.assert_frame_equal(resumed.timeseries, straight.timeseries, check_exact=True)
    skip = {"runtime_seconds", "resumed_from"}
    assert {k: v for k, v in resumed.summary.items() if k not in skip} == \
           {k: v for k, v in straight.summary.items() if k not in skip}


IMPORTED = {"tuberculosis": {"latent": 0.3, "symptomatic": 0.02}, "cholera": 0.05}


def demo_with(write_scenario, disease: str):
    """The demo with the disease among arrivals (it has no TB or cholera), so that courses are
    under way and the water holds vibrios on day 60."""
    data = yaml.safe_load((SCENARIO_DIR / "demo.yaml").read_text())
    for origin in data["origins"].values():
        origin["infected"][disease] = IMPORTED[disease]
    return write_scenario(data, f"demo_{disease}.yaml")


@pytest.mark.parametrize("disease, policy, metric", [("measles", "combined", "doses"),
                                                     ("tuberculosis", "tb_screening", "treatment_started"),
                                                     ("cholera", "ring_vaccination", "site_vaccinated")])
def test_a_resumed_run_is_the_run_straight_through(tmp_path, write_scenario, disease, policy, metric):
    """Every programme kind's state (isolation places, courses, stocks, campaigns, teams), the
    people, the recorder so far, the hosts and the water carry over."""
    scenario = demo_with(write_scenario, disease) if disease in IMPORTED else SCENARIO_DIR / "demo.yaml"
    overrides = [f"disease={disease}", f"policy={policy}", f"scenario.file={scenario}"]
    saved_on_day(tmp_path / "day60", SAVED_ON, *overrides, scenario=scenario)
    straight = result(*overrides)
    resumed = result(*overrides, f"resume_from={tmp_path / 'day60'}")
    assert resumed.summary["resumed_from"] == str(tmp_path / "day60")
    same_run(resumed, straight)
    before = straight.timeseries.query("metric == @metric and day < @SAVED_ON")["value"].sum()
    after = straight.timeseries.query("metric == @metric and day >= @SAVED_ON")["value"].sum()
    assert before > 0, f"{policy} acts before the save, so it has state to carry ({metric}: {before})"
    assert after > 0 or disease == "cholera", f"{policy} acts after the save ({metric}: {after})"


def test_a_resumed_run_may_be_longer(tmp_path):
    """Saved from a 100-day run, continued to day 130: the same as a 130-day run."""
    saved_on_day(tmp_path / "day60", SAVED_ON, "policy=screen_at_borders")
    straight = simulate(config(*DEMO, "days=130", "compare_to_baseline=false", "policy=screen_at_borders"))
    resumed = simulate(config(*DEMO, "days=130", "compare_to_baseline=false", "policy=screen_at_borders",
                              f"resume_from={tmp_path / 'day60'}"))
    same_run(resumed, straight)


@pytest.mark.parametrize("policy", ["screen_at_borders", "vaccinate_at_entry"])
def test_arms_forked_from_one_day_are_paired(tmp_path, policy):
    """Baseline saved on day 60, resumed under a policy: exactly the run of that policy starting on
    day 60 (start_day=60), the programme new from the fork, its person columns set as on arrival;
    and resumed under baseline, exactly baseline. Same random numbers after the fork."""
    saved_on_day(tmp_path / "baseline60", SAVED_ON)
    kind, name = {"screen_at_borders": ("screening", "borders"), "vaccinate_at_entry": ("vaccination", "at_entry")}[policy]
    forked = result(f"policy={policy}", f"resume_from={tmp_path / 'baseline60'}")
    from_day_60 = result(f"policy={policy}", f"policy.{kind}.{name}.start_day={SAVED_ON}")
    pd.testing.assert_frame_equal(forked.timeseries, from_day_60.timeseries, check_exact=True)
    baseline_arm = result(f"resume_from={tmp_path / 'baseline60'}")
    same_run(baseline_arm, result())
    acted = from_day_60.timeseries.query("metric in ['screened', 'doses'] and day >= @SAVED_ON")["value"].sum()
    assert acted > 0, "the policy acts after the fork, or the test shows nothing"


def test_a_state_of_another_disease_or_scenario_is_refused(tmp_path, write_scenario):
    saved_on_day(tmp_path / "measles", 5)
    with pytest.raises(ConfigError) as caught:
        result("disease=covid19", f"resume_from={tmp_path / 'measles'}")
    assert "resume_from (disease)" in str(caught.value) and "measles" in str(caught.value)
    assert "covid19" in str(caught.value)
    data = yaml.safe_load((SCENARIO_DIR / "demo.yaml").read_text())
    data["arrivals"]["per_day"] = 30
    other = write_scenario(data, "demo_busier.yaml")
    with pytest.raises(ConfigError) as caught:
        result(f"scenario.file={other}", f"resume_from={tmp_path / 'measles'}")
    assert "resume_from (scenario)" in str(caught.value)


def test_a_state_of_another_package_version_is_refused(tmp_path, monkeypatch):
    saved_on_day(tmp_path / "day5", 5)
    import sim.results
    monkeypatch.setattr(sim.results, "package_version", lambda: "0.0.0-other")
    with pytest.raises(ConfigError) as caught:
        result(f"resume_from={tmp_path / 'day5'}")
    assert "resume_from (package version)" in str(caught.value) and "0.0.0-other" in str(caught.value)


def test_a_changed_or_incomplete_state_is_refused(tmp_path):
    saved_on_day(tmp_path / "day5", 5)
    arrays = tmp_path / "day5" / "state.npz"
    arrays.write_bytes(arrays.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ConfigError) as caught:
        result(f"resume_from={tmp_path / 'day5'}")
    assert "state.npz" in str(caught.value) and "changed since it was saved" in str(caught.value)
    (tmp_path / "day5" / "manifest.json").unlink()
    with pytest.raises(ConfigError) as caught:
        result(f"resume_from={tmp_path / 'day5'}")
    assert "resume_from" in str(caught.value) and "a folder written by RouteModel.save" in str(caught.value)


def test_a_state_past_the_run_is_refused(tmp_path):
    saved_on_day(tmp_path / "day60", SAVED_ON)
    with pytest.raises(ConfigError) as caught:
        simulate(config(*DEMO, "days=50", f"resume_from={tmp_path / 'day60'}"))
    assert "days" in str(caught.value) and "more than the saved state's day 60" in str(caught.value)


def test_saving_refuses_state_it_cannot_write(tmp_path):
    """A programme attribute of an unknown type is an error on saving, never silently left out."""
    model = RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"), run_config(config(*DEMO, "days=10",
                                                                                      "policy=screen_at_borders")))
    model.step()
    next(p for p in model.programmes.running if p.kind == "screening").unsaveable = {1, 2}
    with pytest.raises(TypeError, match=r"cannot save programmes.screening.borders.unsaveable: a builtins.set"):
        model.save(tmp_path / "state")
    assert not (tmp_path / "state" / "manifest.json").exists()


def test_the_manifest_says_what_the_state_is(tmp_path):
    saved_on_day(tmp_path / "day60", SAVED_ON, "policy=combined")
    manifest = json.loads((tmp_path / "day60" / "manifest.json").read_text())
    assert manifest["day"] == SAVED_ON and manifest["policy"] == "combined"
    assert manifest["belongs_to"]["scenario"]["name"] == "demo" and manifest["belongs_to"]["disease"]["name"] == "measles"
    with np.load(tmp_path / "day60" / "state.npz") as arrays:
        recorded = arrays[manifest["parts"]["recorder"]["object"]["migrants"]["array"]]
    assert recorded[:SAVED_ON].any() and not recorded[SAVED_ON:].any(), "the recorder so far, nothing after"


OBSERVED = """node,origin,state,people,vaccinated
transit_camp,SYR,susceptible,200,100
transit_camp,SYR,symptomatic,3,0
transit_camp,AFG,recovered,50,0
roadside,AFG,exposed,5,0
roadside,AFG,susceptible,40,0
"""


def observed_state(tmp_path, text: str = OBSERVED):
    (tmp_path / "observed.csv").write_text(text)
    model = RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"), run_config(config(*DEMO, f"days={DAYS}")))
    observe(model, tmp_path / "observed.csv")
    return model


def test_a_run_starts_from_the_people_observed_at_the_sites(tmp_path):
    """Instead of the scenario's initial group (150 at the transit camp, 2 infected), the people
    of the file are at their sites on day 0, in their states, with their vaccine protection."""
    model = observed_state(tmp_path)
    model.save(tmp_path / "observed")
    run = result(f"resume_from={tmp_path / 'observed'}")
    migrants = run.timeseries.query("population == 'migrants' and day == 0").pivot_table(
        index="node", columns="metric", values="value", observed=True)
    arrived_at_entry = migrants.loc["border_post", "arrivals"]  # the day's flow, as in any run
    assert migrants.loc["transit_camp", "arrivals"] == 253 and migrants.loc["roadside", "arrivals"] == 45
    assert migrants["arrivals"].sum() == 253 + 45 + arrived_at_entry
    assert migrants.loc["transit_camp", "imported_infections"] == 3 and migrants.loc["roadside", "imported_infections"] == 5
    assert run.summary["resumed_from"] == str(tmp_path / "observed")
    scenario_start = result()
    assert scenario_start.timeseries.query("day == 0 and node == 'transit_camp' and metric == 'arrivals'")["value"].sum() == 150
    day0 = RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"),
                      run_config(config(*DEMO, f"days={DAYS}", f"resume_from={tmp_path / 'observed'}")))
    day0.step()
    people, camp = day0.people, day0.routes.index("transit_camp")
    at_camp = (people.node[: people.count] == camp) & (people.arrival_day[: people.count] == 0)
    assert np.count_nonzero(people.protection[: people.count][at_camp] > 0) == 100


@pytest.mark.parametrize("text, expect", [
    ("node,origin,state,people\ncamp,SYR,susceptible,5\n", ["row 2, column node", "'camp'", "transit_camp"]),
    ("node,origin,state,people\ntransit_camp,SYR,dead,5\n", ["row 2, column state", "'dead'", "susceptible"]),
    ("node,origin,state,people\ntransit_camp,SYR,susceptible,-5\n", ["row 2, column people", "'-5'", "0 or more"]),
    ("node,origin,state,people,vaccinated\ntransit_camp,SYR,susceptible,5,7\n",
     ["row 2, column vaccinated", "7", "at most the row's people (5)"]),
    ("node,origin,state,people\ntransit_camp,SYR,susceptible,5\nroadside,XYZ,susceptible,2.5\n",
     ["row 3, column origin", "'XYZ'", "row 3, column people", "'2.5'"]),
    ("node,state,people\ntransit_camp,susceptible,5\n", ["header", "missing: origin"]),
])
def test_a_bad_observation_names_the_file_row_and_column(tmp_path, text, expect):
    with pytest.raises(ConfigError) as caught:
        observed_state(tmp_path, text)
    message = str(caught.value)
    assert str(tmp_path / "observed.csv") in message
    for fragment in expect:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


def test_a_state_of_another_version_of_the_model_is_refused(tmp_path):
    """Saved by code that recorded other metrics under the same package version (a checkout)."""
    saved_on_day(tmp_path / "day5", 5)
    manifest_path = tmp_path / "day5" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["metrics"] = manifest["metrics"][:-1]
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ConfigError) as caught:
        result(f"resume_from={tmp_path / 'day5'}")
    assert "resume_from (metrics)" in str(caught.value) and "saved by another version" in str(caught.value)


def test_another_seed_draws_anew_from_the_saved_day(tmp_path):
    """Seeds over one observed state: the people observed are the same, the arrivals and every
    draw after it differ (the saved seed is not carried into the run)."""
    model = observed_state(tmp_path)
    model.save(tmp_path / "observed")
    runs = [result(f"seed={seed}", f"resume_from={tmp_path / 'observed'}") for seed in (0, 1)]
    arrivals = [run.timeseries.query("metric == 'arrivals' and node == 'border_post'")["value"].to_numpy() for run in runs]
    assert not np.array_equal(*arrivals)
    day0 = [run.timeseries.query("day == 0 and node == 'transit_camp' and metric == 'arrivals'")["value"].sum() for run in runs]
    assert day0 == [253, 253]
