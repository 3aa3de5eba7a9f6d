"""Health outcomes on one scale (sim/outcomes.py, counted by sim/programmes/watch.py): cases,
deaths and exits by state and age, hospitalisations and DALYs from what the run recorded, and
what a policy averts of them."""

import numpy as np
import pytest

from conftest import DEMO, NO_CARE, QUICK_DISEASE, config, one_site
from sim import RouteModel, load_scenario, run_config, simulate
from sim.config import SCENARIO_DIR
from sim.disease import natural_history
from sim.fields import AGE_GROUPS
from sim.outcomes import HOST_AGE_GROUP, YLL_BY_AGE_GROUP, Course, life_years_lost
from sim.population import EXITED
from sim.state import observe

BASE = (*DEMO, "disease=covid19", "disease.r0=8", "days=120")


def test_years_of_life_lost_follow_the_gbd_reference_life_table():
    assert life_years_lost(0) == 88.87 and life_years_lost(30) == 59.20
    assert life_years_lost(67) == pytest.approx(25.68 + (21.29 - 25.68) * 2 / 5)
    assert dict(zip(AGE_GROUPS, YLL_BY_AGE_GROUP))["18-59"] == 59.20


def test_an_incubating_measles_infection_is_expected_to_become_a_case():
    params = run_config(config("disease=measles")).disease
    history = natural_history(params)
    weights = np.array([params.outcomes.disability_weights.get(name, 0.0) for name in history.names])
    course = Course.of(history, weights, history.onset)
    exposed, prodrome, rash = history.exposed, history.names.index("prodrome"), history.names.index("symptomatic")
    sick_days = history.mean_days[prodrome] + history.mean_days[rash]
    assert course.weighted_days[exposed] == pytest.approx(0.115 * sick_days)
    assert course.death[exposed] == pytest.approx(params.case_fatality)
    assert course.becomes_case[exposed] == 1.0 and course.becomes_case[rash] == 0.0
    assert course.after(rash) == (0.0, pytest.approx(params.case_fatality), 0.0)


def exits_by_reading(model):
    """Step the model, seeing who left the route each day and in which state."""
    names = model.disease.names
    seen = []
    while model.running:
        people = model.people
        before = {int(u): int(s) for u, s, w in zip(people.uid[: people.count], people.state[: people.count],
                                                    people.where[: people.count]) if w != EXITED}
        model.step()
        people = model.people
        gone = [before[int(u)] for u, w in zip(people.uid[: people.count], people.where[: people.count])
                if w == EXITED and int(u) in before]
        seen.append(np.bincount(gone, minlength=len(names)))
    return np.array(seen)  # [day, state]


def test_exits_are_counted_by_state_on_the_day_they_happen():
    """Compaction is off (room for everyone), so every exit can be followed in the arrays."""
    model = RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"), run_config(config(*BASE)))
    model.people.reserve(20_000)
    by_state = exits_by_reading(model)
    names = model.disease.names
    metric = lambda name: model.recorder.metric("migrants", name).sum(axis=1)
    np.testing.assert_array_equal(by_state.sum(axis=1), metric("exits"))
    np.testing.assert_array_equal(by_state[:, names.index("exposed")], metric("exits_incubating"))
    summary = model.programmes.summary()
    infected = [s for s, name in enumerate(names) if name not in ("susceptible", "recovered", "dead")]
    exported = {name: sum(at.get(name, 0) for at in summary["exported_by_state"].values()) for name in names}
    for s in infected:
        assert exported[names[s]] == by_state[:, s].sum(), names[s]
    infectious = model.disease.infectiousness > 0
    assert summary["exported_infections"] == by_state[:, infected].sum() > summary["exported_incubating"] > 0
    assert by_state[:, infectious].sum() == metric("exits_infectious").sum()


def test_every_measles_infection_of_a_closed_site_becomes_a_case(write_scenario):
    path = write_scenario(one_site(people=3000, infected=30))
    s = simulate(config(f"scenario.file={path}", "disease=measles", "disease.case_fatality=0", "days=200", *NO_CARE),
                 compare_to_baseline=False).summary
    assert s["infections_migrants"] > 1000
    assert s["cases_migrants"] == s["infections_migrants"] + 30  # the initial infected too


def test_people_arriving_ill_are_cases_of_their_arrival_day(tmp_path):
    """People observed ill at a site enter on day 0 in the onset state: each is a case that day,
    also when their symptomatic stage ends that same day (a one-day stage, most of them here)."""
    (tmp_path / "observed.csv").write_text("node,origin,state,people,vaccinated\ntransit_camp,SYR,symptomatic,40,0\n")
    model = RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"),
                       run_config(config(*DEMO, "disease=covid19", "disease.symptomatic.mean=1", "days=5", *NO_CARE)))
    observe(model, tmp_path / "observed.csv")
    model.step()
    camp = model.routes.index("transit_camp")
    at_camp = model.people.state[: model.people.count][model.people.node[: model.people.count] == camp]
    assert np.count_nonzero(at_camp != model.disease.onset) > 20, "most were ill for that one day only"
    assert model.recorder.metric("migrants", "cases")[0, camp] == 40


def test_dalys_are_the_recorded_days_ill_and_deaths(write_scenario):
    """A closed site of adults, covid19 with a quick course and many deaths, run to its end:
    YLD = symptomatic person-days x 0.051 / 365, YLL = deaths x 59.2 (everyone is 18-59)."""
    path = write_scenario(one_site(people=3000, infected=30))
    result = simulate(config(f"scenario.file={path}", "disease=covid19", *QUICK_DISEASE, "disease.case_fatality=0.2",
                             "days=150", *NO_CARE), compare_to_baseline=False)
    s, series = result.summary, result.timeseries
    sick_days = series.query("population == 'migrants' and metric == 'symptomatic'").value.sum()
    parts = s["daly_breakdown"]
    assert parts["yld_on_route"] == pytest.approx(sick_days * 0.051 / 365)
    assert parts["yll_on_route"] == pytest.approx(s["deaths_migrants"] * 59.2) and s["deaths_migrants"] > 100
    assert parts["yld_after_route"] == parts["yll_after_route"] == 0  # nobody left or is still ill
    assert s["dalys"] == pytest.approx(sum(parts.values()))
    assert s["hospitalisations"] == pytest.approx(s["cases_migrants"] * 0.005)


def test_a_policy_reports_dalys_averted_and_their_cost(write_scenario):
    result = simulate(config(*BASE, "policy=vaccinate_at_entry"), compare_to_baseline=True)
    s = result.summary
    assert s["dalys_averted"] == pytest.approx(s["baseline_dalys"] - s["dalys"]) and s["dalys_averted"] > 0
    assert s["cost_per_daly_averted"] == pytest.approx(s["incremental_cost"] / s["dalys_averted"])


def test_latent_tb_is_told_apart_on_arrival_and_exit_and_not_followed_after():
    s = simulate(config("scenario=western_balkans", "disease=tuberculosis", "days=60"), compare_to_baseline=False).summary
    assert s["imported_latent"] == s["imported_by_state"]["latent"] > 0
    assert s["exported_latent"] > 0 and s["exported_infections"] >= s["exported_latent"] + s["exported_incubating"]
    assert s["daly_breakdown"]["yld_after_route"] == s["daly_breakdown"]["yll_after_route"] == 0.0


@pytest.mark.slow
def test_host_deaths_in_dalys_are_the_expected_deaths_of_the_host_infections():
    """Each node's host infections times the chance one ends in death there: over seeds, the
    deaths drawn average to it (Poisson: the mean of 20 runs of about 6 deaths lies within
    3 standard errors, 3 * sqrt(6 / 20) = 1.6, of the expectation), and two arms whose drawn
    deaths differ by chance no longer differ in DALYs by 59 years a death."""
    yll = float(YLL_BY_AGE_GROUP[AGE_GROUPS.index(HOST_AGE_GROUP)])
    drawn, expected = [], []
    for seed in range(20):
        s = simulate(config("scenario=western_balkans", "disease=covid19", "days=365", f"seed={seed}")).summary
        drawn.append(s["deaths_hosts"])
        expected.append(s["daly_breakdown"]["yll_hosts"] / yll)
    assert abs(np.mean(drawn) - np.mean(expected)) < 3 * np.sqrt(np.mean(expected) / 20)
    assert np.std(expected) < np.std(drawn) / 3  # the expectation moves with the infections only
