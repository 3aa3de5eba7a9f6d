"""Policies: each moves its outcomes the right way; at zero strength each reproduces baseline
exactly (common random numbers); screening finds what it should; doses and capacities obey their
rules."""

import numpy as np
import pytest

from conftest import DEMO, bundle_disease, config
from sim import RouteModel, load_scenario, run_config, simulate
from sim.config import CONFIG_DIR, SCENARIO_DIR
from sim.population import AT_NODE
from sim.fields import NODE_KINDS

BASE = (*DEMO, "disease=covid19", "disease.r0=8", "days=200")  # an outbreak large enough to move


def run(*overrides, compare=False):
    return simulate(config(*BASE, *overrides), compare_to_baseline=compare)


@pytest.fixture(scope="module")
def baseline():
    return run("policy=baseline")


BUNDLES = sorted(path.stem for path in (CONFIG_DIR / "policy").glob("*.yaml") if path.stem != "baseline")


@pytest.mark.parametrize("policy", BUNDLES)
def test_zero_strength_reproduces_baseline(baseline, policy):
    """Each shipped bundle with every programme at zero strength (each programme kind says what
    that is: sim.programme.Programme.at_zero_strength) gives the baseline's time series exactly,
    but the cost (an idle mobile team still costs its days)."""
    disease = bundle_disease(policy, "covid19")
    cfg = run_config(config(*BASE, f"disease={disease}", f"policy={policy}"))
    weak = simulate(cfg.model_copy(update={"policy": cfg.policy.at_zero_strength()}), compare_to_baseline=False)
    same = baseline if disease == "covid19" else run("policy=baseline", f"disease={disease}")
    outcomes = lambda result: result.timeseries.query("metric != 'cost'").value.to_numpy()
    np.testing.assert_array_equal(outcomes(weak), outcomes(same))


def total(result, metric, node=None):
    rows = result.timeseries.query("population == 'migrants' and metric == @metric")
    if node is not None:
        rows = rows[rows.node == node]
    return rows.value.sum()


def infections(result):
    return result.summary["infections_migrants"] + result.summary["infections_hosts"]


def test_vaccination_gives_doses_and_averts_infections(baseline):
    vaccinated = run("policy=vaccinate_at_entry")
    assert vaccinated.summary["doses"] > 1000
    assert vaccinated.summary["completed_schedules"] > 0
    assert infections(vaccinated) < infections(baseline)


def test_screening_detects_and_isolates(baseline):
    screened = run("policy=screen_at_borders", "policy.screening.borders.method=rapid_antigen")
    assert screened.summary["screened"] > 0.8 * screened.summary["arrivals"]
    assert screened.summary["true_positives"] > 0 and screened.summary["isolations"] > 0
    assert screened.summary["detected"] > baseline.summary["detected"]
    assert infections(screened) <= infections(baseline)


def test_lower_barriers_bring_care_sooner(baseline):
    lowered = run("policy=lower_barriers")
    assert lowered.summary["consultations"] > baseline.summary["consultations"]
    assert lowered.summary["mean_days_to_care"] < baseline.summary["mean_days_to_care"]
    assert infections(lowered) <= infections(baseline)


def test_mobile_team_brings_care_to_the_informal_site(baseline):
    assert total(baseline, "consultations", "roadside") == 0  # no medical team there
    teams = run("policy=mobile_teams", "policy.care.interventions.information=1")
    assert total(teams, "consultations", "roadside") > 0
    assert teams.summary["costs"]["mobile_teams"] == pytest.approx(3 * 200 / 7 * 700, rel=0.02)


def test_comparison_against_baseline_on_the_same_seed(baseline):
    result = run("policy=vaccinate_at_entry", compare=True)
    assert result.summary["baseline_infections"] == infections(baseline)
    assert result.summary["infections_averted"] == infections(baseline) - infections(result)
    assert result.summary["cost_per_infection_averted"] == pytest.approx(
        result.summary["incremental_cost"] / result.summary["infections_averted"])


def test_perfect_screening_at_the_only_entry_catches_every_detectable_arrival():
    """Sensitivity 1 for every infected state, full coverage, no capacity limit, at the one entry
    node: each arrival is screened on arrival, every infected one is found, and with specificity 1
    nobody else is."""
    result = run("policy=screen_at_borders", "policy.screening.borders.where.kinds=[]",
                 "policy.screening.borders.where.ids=[border_post]", "policy.screening.borders.method=pcr",
                 "policy.screening.borders.sensitivity=1",
                 "policy.screening.borders.specificity=1", "policy.screening.borders.coverage=1",
                 "policy.screening.borders.confirm_with=null",
                 "policy.screening.borders.capacity_per_day=100000", "policy.screening.borders.on_positive=none")
    arrived_at_border = total(result, "arrivals", "border_post")
    assert total(result, "screened", "border_post") == arrived_at_border
    assert total(result, "true_positives", "border_post") == total(result, "imported_infections", "border_post") > 0
    assert result.summary["false_positives"] == 0


def model_for(*overrides):
    return RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"), run_config(config(*BASE, *overrides)))


def test_a_programme_that_is_not_routine_gives_doses_only_when_brought_people():
    """`routine: false`: nobody present is offered a dose by the programme itself (it keeps its
    supply for people other programmes bring, such as a case's contacts)."""
    assert run("policy=vaccinate_at_entry").summary["doses"] > 0
    assert run("policy=vaccinate_at_entry", "policy.vaccination.at_entry.routine=false").summary["doses"] == 0


def test_second_dose_only_where_a_site_offers_it():
    """Vaccination at the transit camp only, 28 days between doses and a mean stay of 7 days:
    every dose, first or second, is given to someone present at the camp that day."""
    model = model_for("disease=measles", "policy=vaccinate_at_entry", "policy.vaccination.at_entry.where.kinds=[]",
                      "policy.vaccination.at_entry.where.ids=[transit_camp]")  # a two-dose schedule
    camp = model.routes.index("transit_camp")
    second_doses = 0
    while model.running:
        people = model.people
        before = dict(zip(people.uid[: people.count].tolist(), people.doses[: people.count].tolist()))
        model.step()
        people = model.people
        rows = np.arange(people.count)  # today's arrivals (vaccinated at origin or not) are left out
        earlier = np.array([before.get(uid, 127) for uid in people.uid[: people.count].tolist()])
        given = rows[people.doses[: people.count] > earlier]
        assert np.all(people.where[given] == AT_NODE) and np.all(people.node[given] == camp)
        second_doses += int(np.sum(people.doses[given] == 2))
    assert second_doses > 0, "someone should stay long enough, or the rule is not exercised"
    completed = model.recorder.metric("migrants", "completed_schedules").sum()
    first_doses = model.recorder.metric("migrants", "doses").sum() - completed
    assert first_doses > 2 * completed, "most leave before the second dose is due"


def test_capacities_are_never_exceeded():
    model = model_for("policy=combined", "policy.screening.borders.capacity_per_day=5",
                      "policy.screening.borders.isolation_places=2", "policy.screening.borders.method=rapid_antigen",
                      "policy.vaccination.at_entry.supply_per_day=3",
                      "policy.care.consultations_per_day={transit_centre: 1, reception_centre: 1, clinic: 1, hospital: 1}",
                      "policy.care.interventions.information=1")
    model.run()
    metric = lambda name: model.recorder.metric("migrants", name)
    border = model.routes.index("border_post")
    assert metric("screened")[:, border].max() == 5, "the limit binds, or the test shows nothing"
    assert np.all(metric("screened")[:, border] <= 5)
    assert np.all(metric("isolated")[:, border] <= 2)
    informal = model.routes.kind == NODE_KINDS.index("informal_site")
    assert np.all(metric("doses") <= 3 + 50 * informal[None, :])  # the mobile team brings 50 doses a day
    on_site = np.array([model.sites[i].kind in ("transit_centre", "clinic") for i in range(model.routes.node_count)])
    assert np.all(metric("consultations")[:, on_site] <= 1)
    assert metric("turned_away").sum() > 0


def test_reactive_campaign_starts_where_reported_cases_reach_the_threshold():
    """A reactive programme is offered at a site only from the day its reported cases over the
    window reach the threshold, for the campaign's duration."""
    model = model_for("policy=vaccinate_at_entry", "policy.vaccination.at_entry.where.kinds=[transit_centre]",
                      "policy.vaccination.at_entry.reactive={threshold: 3, window_days: 7, duration_days: 10}",
                      "policy.care.interventions.information=1")
    model.run()
    camp = model.routes.index("transit_camp")
    reported = model.recorder.reported(model.config.policy.surveillance.reporting_delay_days)[:, camp]
    doses = model.recorder.metric("migrants", "doses")[:, camp]
    window = np.array([reported[max(0, d - 6): d + 1].sum() for d in range(doses.shape[0])])
    first_trigger = int(np.argmax(window >= 3))
    assert window.max() >= 3, "the outbreak should be reported, or the campaign is not exercised"
    assert doses[:first_trigger].sum() == 0 and doses[first_trigger: first_trigger + 10].sum() > 0


def test_reported_cases_follow_detection_after_the_delay():
    result = run("policy=lower_barriers", "policy.surveillance.reporting_delay_days=4")
    migrants = result.timeseries.query("population == 'migrants'")
    detected = migrants.query("metric == 'detected'").groupby("day").value.sum().to_numpy()
    reported = migrants.query("metric == 'reported_cases'").groupby("day").value.sum().to_numpy()
    assert detected.sum() > 0
    np.testing.assert_array_equal(reported[4:], detected[:-4])
    assert reported[:4].sum() == 0


def test_mobile_team_testing_at_the_informal_site():
    result = run("policy=combined", "policy.mobile_teams.informal_sites.testing=borders",
                 "policy.mobile_teams.informal_sites.tests_per_day=30", "policy.screening.borders.timing=all_present")
    assert total(result, "screened", "roadside") > 0


def test_protection_is_the_efficacy_of_the_last_dose_after_the_delay():
    """A person's protection is one byte, a level of the run's ProtectionLevels: reading it back
    gives exactly the efficacy of their last dose once `delay_days` have passed (the disease's for
    people vaccinated at origin), and the previous protection before that."""
    model = model_for("policy=vaccinate_at_entry", "policy.vaccination.at_entry.efficacy=[0.55,0.9]",
                      "policy.vaccination.at_entry.delay_days=3", "policy.vaccination.at_entry.interval_days=2")
    while model.running:
        model.step()
    people, last_day = model.people, model.day - 1
    on_route = people.where[: people.count] == AT_NODE
    doses, since = people.doses[: people.count], last_day - people.last_dose_day[: people.count].astype(np.int64)
    protection = model.protection.values[people.protection[: people.count]]
    at_origin = on_route & (doses > 0) & (people.last_dose_day[: people.count] < 0)
    here_effective = on_route & (doses > 0) & ~at_origin & (since >= 3)
    here_waiting = on_route & (doses == 1) & ~at_origin & (since < 3)
    assert at_origin.any() and here_effective.any() and here_waiting.any() and (here_effective & (doses == 2)).any()
    np.testing.assert_array_equal(protection[at_origin], np.float32(model.disease.vaccine_efficacy))
    np.testing.assert_array_equal(protection[here_effective], np.float32([0.55, 0.9])[doses[here_effective] - 1])
    np.testing.assert_array_equal(protection[here_waiting], 0.0)
