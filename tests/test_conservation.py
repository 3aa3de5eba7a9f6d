"""Everyone who arrived is, on every day, at one node, on one edge, gone at a destination, or dead."""

import numpy as np
import pytest

from conftest import DEMO, config
from sim import run_config, simulate
from sim.disease import natural_history


@pytest.fixture(scope="module", params=["measles", "covid19"])
def demo_run(request):
    return simulate(config(*DEMO, f"disease={request.param}", "days=200", "scenario.events=[border_closure]"))


def per_day(series, population, metric):
    rows = series[(series.population == population) & (series.metric == metric)]
    return rows.groupby("day", observed=True).value.sum().to_numpy()


def test_people_are_conserved(demo_run):
    series = demo_run.timeseries
    arrived = np.cumsum(per_day(series, "migrants", "arrivals"))
    gone = np.cumsum(per_day(series, "migrants", "exits"))
    dead = np.cumsum(per_day(series, "migrants", "new_deaths"))
    in_system = per_day(series, "migrants", "present") + per_day(series, "migrants", "in_transit")
    np.testing.assert_array_equal(in_system + gone + dead, arrived)
    assert arrived[-1] > 3000  # 20 a day for 200 days, plus the initial group


def test_state_counts_add_up_to_people_in_the_system(demo_run):
    series = demo_run.timeseries
    in_system = per_day(series, "migrants", "present") + per_day(series, "migrants", "in_transit")
    disease = run_config(demo_run.config).disease
    states = [name for name in natural_history(disease).names if name != "dead"]
    assert ("prodrome" in states) == (disease.name == "measles")
    np.testing.assert_array_equal(sum(per_day(series, "migrants", s) for s in states), in_system)


def test_host_communities_are_conserved(demo_run):
    series = demo_run.timeseries
    hosts = series[series.population == "hosts"]
    alive = per_day(hosts, "hosts", "present")
    dead = np.cumsum(per_day(hosts, "hosts", "new_deaths"))
    compartments = sum(per_day(hosts, "hosts", m) for m in ("susceptible", "exposed", "infectious", "recovered"))
    np.testing.assert_array_equal(compartments, alive)
    np.testing.assert_array_equal(alive + dead, np.full_like(alive, 3000 + 2000 + 500 + 1000))


def test_no_negative_counts(demo_run):
    assert (demo_run.timeseries.value >= 0).all()


def test_summary_matches_the_time_series(demo_run):
    series, summary = demo_run.timeseries, demo_run.summary
    assert summary["arrivals"] == per_day(series, "migrants", "arrivals").sum()
    assert summary["infections_migrants"] == per_day(series, "migrants", "new_infections").sum()
    assert summary["infections_hosts"] == per_day(series, "hosts", "new_infections").sum()
    last = series.day.max()
    assert summary["still_in_transit"] == series[(series.day == last) & series.metric.isin(["present", "in_transit"])
                                                 & (series.population == "migrants")].value.sum()


@pytest.mark.parametrize("policy", ["baseline", "combined"])
def test_stocks_counted_in_progression_are_the_end_of_day_census(policy):
    """Progression counts the stocks, and infection is added to them; no later stage of the day
    (care seeking, recording) may move, isolate or change the state of anyone. A census of the
    arrays at the end of each day, taken here with numpy, must agree, under every policy."""
    from sim import RouteModel, load_scenario, run_config
    from sim.config import SCENARIO_DIR
    from sim.population import AT_NODE, ISOLATED, ON_EDGE

    isolating = ["policy.screening.borders.confirm_with=null", "policy.screening.borders.specificity=0.95"]  # some to isolate
    model = RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"),
                       run_config(config(*DEMO, "disease=measles", f"policy={policy}", "days=60",
                                         *(isolating if policy == "combined" else []))))
    nodes, states = model.routes.node_count, len(model.disease.names)
    isolated_days = 0
    while model.running:
        day = model.day
        model.step()
        p = model.people
        where, node, state = p.where[: p.count], p.node[: p.count], p.state[: p.count]
        isolated = (p.flags[: p.count] & ISOLATED) > 0
        recorded = lambda name: model.recorder.metric("migrants", name)[day]
        for name, rows in (("present", where == AT_NODE), ("in_transit", where == ON_EDGE),
                           ("isolated", np.isin(where, [AT_NODE, ON_EDGE]) & isolated)):
            np.testing.assert_array_equal(recorded(name), np.bincount(node[rows], minlength=nodes), err_msg=f"day {day}: {name}")
        in_system = np.isin(where, [AT_NODE, ON_EDGE])
        census = np.zeros((nodes, states), dtype=np.int64)
        np.add.at(census, (node[in_system], state[in_system]), 1)
        by_state = np.stack([recorded(name) for name in model.disease.names], axis=1)
        np.testing.assert_array_equal(by_state, census, err_msg=f"day {day}: states")
        isolated_days += int(recorded("isolated").sum())
    assert model.recorder.metric("migrants", "new_infections").sum() > 0
    if policy == "combined":
        assert isolated_days > 0, "screening should isolate someone, or the isolation stock is untested"
