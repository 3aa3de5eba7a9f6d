"""Invariants on random valid route graphs, flows and policies (hypothesis, derandomised):
people are conserved, no count is negative, capacities hold, and a run repeats exactly."""

import functools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import config
from sim import RouteModel, run_config
from sim.scenario import checked_graph

KINDS = ["border", "transit_centre", "reception_centre", "informal_site", "clinic"]
POLICIES = ["baseline", "vaccinate_at_entry", "screen_at_borders", "pre_departure_checks", "lower_barriers", "combined"]


@st.composite
def scenarios(draw):
    """A chain of sites from an entry to a destination, with random shortcuts and detours, so
    every node reaches the destination."""
    sites = draw(st.integers(2, 6))
    nodes = [{"id": f"n{i}", "kind": "border" if i == 0 else draw(st.sampled_from(KINDS)), "name": f"site {i}",
              "country": "AAA", "lat": 40.0 + i, "lon": 20.0, "capacity": draw(st.integers(0, 300)),
              "host_population": draw(st.sampled_from([0, 500, 5000])), "isolation_places": draw(st.integers(0, 5)),
              "dwell": {"mean": draw(st.floats(1, 12)), "shape": draw(st.integers(1, 4))}} for i in range(sites)]
    nodes.append({"id": "end", "kind": "destination", "name": "end", "country": "BBB", "lat": 50.0, "lon": 20.0,
                  "capacity": 0, "host_population": 0, "dwell": {"mean": 1}})
    edges = [{"from": f"n{i}", "to": f"n{i + 1}" if i + 1 < sites else "end",
              "travel_days": draw(st.integers(0, 3)), "weight": 1.0} for i in range(sites)]
    for i in range(sites):
        for j in range(i + 2, sites):
            if draw(st.booleans()):
                edges.append({"from": f"n{i}", "to": f"n{j}", "travel_days": draw(st.integers(0, 2)),
                              "weight": draw(st.floats(0.1, 2))})
    return {
        "name": "random_route", "start_date": "2023-01-01", "nodes": nodes, "edges": edges,
        "arrivals": {"per_day": draw(st.floats(1, 60)), "entry": {"n0": 1.0}, "origins": {"AAA": 1.0},
                     "group_size": {"mean": draw(st.floats(1, 3))}},
        "countries": {code: {"name": code, "age": {"0-4": 0.05, "5-17": 0.15, "18-59": 0.55, "60+": 0.25},
                             "immune": {"covid19": draw(st.floats(0, 0.6))}, "background": {"covid19": draw(st.floats(0, 0.5))}}
                      for code in ("AAA", "BBB")},
        "origins": {"AAA": {"name": "A", "age": {"0-4": 0.1, "18-59": 0.9},
                            "immunity": {"covid19": {"vaccinated": draw(st.floats(0, 0.5)), "immune": 0.1}},
                            "infected": {"covid19": draw(st.floats(0, 0.05))}}},
        "initial": [{"node": "n0", "people": draw(st.integers(1, 100)), "infected": 1, "origin": "AAA"}],
    }


@functools.cache
def policy_config(policy):
    return run_config(config("scenario=demo", "disease=covid19", "disease.r0=6", "days=60", f"policy={policy}",
                             *(["policy.mobile_teams.informal_sites.where.kinds=[border,informal_site]"]
                               if policy == "combined" else [])))


def run(data, policy, seed, check=False):
    """A run; with `check`, every day's invariants are verified as it goes (sim.checks)."""
    graph = checked_graph(data, "random scenario")
    model = RouteModel(graph, policy_config(policy).model_copy(update={"seed": seed, "check": check}))
    model.run()
    return model


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios(), policy=st.sampled_from(POLICIES), seed=st.integers(0, 1000))
def test_invariants_on_random_routes(data, policy, seed):
    model = run(data, policy, seed, check=True)
    metric = lambda name: model.recorder.metric("migrants", name)
    assert (model.recorder.migrants >= 0).all() and (model.recorder.hosts >= 0).all()
    arrived = np.cumsum(metric("arrivals").sum(axis=1))
    left = np.cumsum(metric("exits").sum(axis=1)) + np.cumsum(metric("new_deaths").sum(axis=1))
    on_route = metric("present").sum(axis=1) + metric("in_transit").sum(axis=1)
    np.testing.assert_array_equal(on_route + left, arrived)
    states = sum(metric(name) for name in model.disease.names if name != "dead")
    np.testing.assert_array_equal(states.sum(axis=1), on_route)
    places = [p.positives.places for p in model.programmes.running if p.kind == "screening"]  # each site's own limit
    limit = np.max(places, axis=0) if places else np.zeros(model.routes.node_count, dtype=np.int64)
    assert (metric("isolated") <= limit[None, :]).all()
    care = next(p for p in model.programmes.running if p.kind == "care")
    consultations = np.where(care.on_site, care.per_site, 0)
    for team in (p.team for p in model.programmes.running if p.kind == "mobile_teams" and p.team is not None):
        for site in team.sites:
            consultations[site.index] += team.config.consultations_per_day
    assert (metric("consultations") <= consultations[None, :]).all()
    again = run(data, policy, seed)
    np.testing.assert_array_equal(again.recorder.migrants, model.recorder.migrants)
