"""Each numba kernel agrees with a plain-Python reading of the same rule (tests/reference.py)."""

import dataclasses

import numba as nb
import numpy as np
import pytest

import reference
from sim import kernels
from sim.chunks import CHUNK
from sim.disease import natural_history
from sim.fields import AGE_GROUPS, MAX_COUNT
from sim.population import (
    AT_NODE, CORE_COLUMNS, DEAD, EXITED, IN_CARE, ISOLATED, ON_EDGE, REDUCES_INFECTIOUSNESS, SEPARATED, People,
)
from sim.programmes.policy import kept_table
from sim.rng import Stream, day_key, uniform_at, uniforms
from sim.routes import RouteChoice, compile_routes
from sim.scenario import load_scenario
from sim.config import SCENARIO_DIR, run_config
from conftest import config

THREADS = nb.config.NUMBA_NUM_THREADS


@pytest.fixture(scope="module")
def disease():
    return natural_history(run_config(config("disease=covid19")).disease)


@pytest.fixture(scope="module")
def routes():
    return compile_routes(load_scenario(SCENARIO_DIR / "demo.yaml"))


PROTECTION_VALUES = np.array([0.0, 0.5], dtype=np.float32)  # the protection levels of these tests


def random_people(rng, n, node_count, edge_count, disease, group_sizes):
    """People in every `where`, with the engine's dtypes (so the kernels compiled are the engine's)."""
    where = rng.choice([AT_NODE, ON_EDGE, EXITED, DEAD], size=n, p=[0.6, 0.3, 0.05, 0.05])
    people = {
        "uid": np.arange(1000, 1000 + n),  # keys differ from rows, as after compaction
        "where": where,
        "node": rng.integers(0, node_count, n),
        "edge": np.where(where == ON_EDGE, rng.integers(0, edge_count, n), -1),
        "leave_day": rng.integers(2, 7, n),  # day 4 in the movement test: gone by, today, or to come
        "state": rng.integers(0, len(disease.names) - 1, n),
        "state_timer": rng.integers(1, 4, n),
        "protection": rng.integers(0, len(PROTECTION_VALUES), n),
        "group": np.repeat(np.arange(len(group_sizes)), group_sizes),
        "hold_timer": np.where(rng.random(n) < 0.2, rng.integers(1, 3, n), 0),
        "flags": rng.integers(0, 32, n),
        "arrival_day": np.zeros(n),
        "state_day": np.zeros(n),
    }
    dtypes = {column.name: column.dtype for column in CORE_COLUMNS}
    return {name: values.astype(dtypes[name]) for name, values in people.items()}


def view(p) -> People:
    """The arrays as the kernels take them; columns a kernel does not read are zeros."""
    n = len(p["where"])
    return People(n, **{name: p.get(name, np.zeros(n, dtype=column.dtype))
                        for name, column in ((c.name, c) for c in CORE_COLUMNS)})


def group_table(sizes):
    firsts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int32)
    return firsts, np.asarray(sizes, dtype=np.int32)


def copy(p):
    return {k: v.copy() for k, v in p.items()}


def test_hash_matches_a_python_reading():
    for seed, stream, day in [(0, 1, 0), (7, 5, 364), (2**40 + 3, 11, 10_000)]:
        key = day_key(seed, stream, day)
        assert int(key) == reference.day_key(seed, stream, day)
        for person in [0, 1, 12345, 2**31 - 1]:
            assert uniform_at(key, person) == reference.uniform(key, person)


def test_uniforms_are_uniform():
    """Mean and variance of 10^6 draws within 5 standard errors of 1/2 and 1/12."""
    u = uniforms(day_key(3, 1, 0), np.arange(1_000_000, dtype=np.int64))
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / u.size)
    assert abs(u.var() - 1 / 12) < 5 * np.sqrt(1 / 180 / u.size)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_move_agrees(routes, disease, seed):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 4, 60)
    p = random_people(rng, int(sizes.sum()), routes.node_count, len(routes.edge_target), disease, sizes)
    p["node"][p["where"] == ON_EDGE] = routes.edge_target[p["edge"][p["where"] == ON_EDGE]]
    edge_open = rng.random(len(routes.edge_target)) < 0.7
    route_key, dwell_key = day_key(seed, Stream.ROUTE, 4), day_key(seed, Stream.DWELL, 4)
    infectious = disease.infectiousness > 0
    expected = copy(p)
    table = {"node_count": routes.node_count, **{k: getattr(routes, k) for k in (
        "dwell_table", "is_destination", "is_care", "out_start", "edge_weight", "edge_target", "edge_travel")}}
    entries, exits, exits_infectious = reference.move(expected, table, edge_open, route_key, dwell_key, infectious, day=4)
    tally = np.zeros((THREADS, routes.node_count, 20), dtype=np.int64)
    choice = RouteChoice.of(routes, edge_open)
    keys = kernels.DayKeys.of(seed, 4)
    assert (keys.route, keys.dwell) == (route_key, dwell_key)
    kernels.move(view(p), routes.arrays, choice, disease.table, 4, keys, tally)
    for name in ("where", "node", "edge", "leave_day", "hold_timer", "flags", "arrival_day"):
        np.testing.assert_array_equal(p[name], expected[name], err_msg=name)
    np.testing.assert_array_equal(tally.sum(0)[:, kernels.ENTRIES], entries)
    np.testing.assert_array_equal(tally.sum(0)[:, kernels.EXITS], exits)
    np.testing.assert_array_equal(tally.sum(0)[:, kernels.EXITS_INFECTIOUS], exits_infectious)


@pytest.mark.parametrize("seed", [4, 5])
def test_move_agrees_when_sites_are_over_capacity_full_or_closed(routes, disease, seed):
    """Route choice weighing full sites (sim.routes.Routes.site_factor) against the plain reading
    of the rule (reference.site_weight): random people at each node, some sites over capacity,
    one holding its full_at, one closed."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 4, 80)
    p = random_people(rng, int(sizes.sum()), routes.node_count, len(routes.edge_target), disease, sizes)
    p["node"][p["where"] == ON_EDGE] = routes.edge_target[p["edge"][p["where"] == ON_EDGE]]
    occupancy = rng.integers(0, 2 * routes.capacity.max() + 10, routes.node_count)
    full_at = np.full(routes.node_count, MAX_COUNT + 1)
    full_at[1] = occupancy[1]  # transit_camp holds exactly its full_at: turns people away
    closed = np.zeros(routes.node_count, dtype=np.bool_)
    closed[2] = True  # roadside
    weighed = dataclasses.replace(routes, capacity_aversion=1.5, full_at=full_at, closed_site=closed)
    edge_open = rng.random(len(routes.edge_target)) < 0.8
    factor = [reference.site_weight(routes.capacity[n], occupancy[n], 1.5, closed[n], full_at[n]) for n in range(routes.node_count)]
    assert 0 < min(f for f in factor if f > 0) < 1, "some site should be over capacity, or the slope is untested"
    weight = routes.edge_weight * np.array(factor)[routes.edge_target]
    keys = kernels.DayKeys.of(seed, 4)
    expected = copy(p)
    table = {"node_count": routes.node_count, **{k: getattr(routes, k) for k in (
        "dwell_table", "is_destination", "is_care", "out_start", "edge_weight", "edge_target", "edge_travel")}}
    entries, exits, _ = reference.move(expected, table, edge_open, keys.route, keys.dwell, disease.infectiousness > 0,
                                       day=4, weight=weight)
    tally = np.zeros((THREADS, routes.node_count, 20), dtype=np.int64)
    before = copy(p)
    choice = RouteChoice.of(weighed, edge_open, weighed.site_factor(occupancy)[routes.edge_target])
    kernels.move(view(p), routes.arrays, choice, disease.table, 4, keys, tally)
    for name in ("where", "node", "edge", "leave_day", "hold_timer", "flags", "arrival_day"):
        np.testing.assert_array_equal(p[name], expected[name], err_msg=name)
    np.testing.assert_array_equal(tally.sum(0)[:, kernels.ENTRIES], entries)
    chose = (before["where"] == AT_NODE) & (p["node"] != before["node"])
    assert chose.sum() > 10, "people should leave today, or the choice is untested"
    assert not np.isin(p["node"][chose], [1, 2]).any(), "nobody sets out for a full or closed site"


KEPT = kept_table({ISOLATED: 0.9, IN_CARE: 0.7, SEPARATED: 0.5})  # isolation, care, a separate area keep part
KEPT_FIXED = np.round(KEPT * 65536).astype(np.int64)


@pytest.fixture(scope="module")
def deadly_disease():
    """covid19 with half the symptomatic dying, so a small random day has deaths to count."""
    return natural_history(run_config(config("disease=covid19", "disease.case_fatality=0.5")).disease)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_progress_agrees(deadly_disease, seed):
    disease = deadly_disease
    rng = np.random.default_rng(seed)
    sizes = np.ones(300, dtype=np.int64)
    p = random_people(rng, 300, 4, 3, disease, sizes)
    p["state_timer"][:] = rng.integers(1, 3, 300)
    p["age_group"] = rng.integers(0, len(AGE_GROUPS), 300).astype(np.int8)
    state_before = p["state"].copy()
    keys = day_key(seed, Stream.BRANCH, 9), day_key(seed, Stream.DURATION, 9), day_key(seed, Stream.CARE_SURVIVAL, 9)
    expected = copy(p)
    deaths = reference.progress(expected, disease, *keys, node_count=4, day=9, treatment_effect=0.5)
    tally = np.zeros((THREADS, 4, len(kernels.CORE_FLOWS)), dtype=np.int64)
    holdings = kernels.holdings_array(THREADS, 4, len(disease.names))
    kernels.progress(view(p), disease.table, 9, 0.5, kernels.DayKeys.of(seed, 9), holdings, tally)
    held = kernels.holdings_of(holdings, kernels.infectiousness_kept(disease.infectiousness_fixed, KEPT), disease.susceptible)
    for name in ("where", "state", "state_timer", "state_day", "flags"):
        np.testing.assert_array_equal(p[name], expected[name], err_msg=name)
    counts = tally.sum(0)
    np.testing.assert_array_equal(counts[:, kernels.NEW_DEATHS], deaths)
    in_system = np.isin(expected["where"], [AT_NODE, ON_EDGE])
    assert deaths.sum() > 0, "someone should die today, or leaving the stocks at death is untested"
    for node in range(4):  # what each node holds after progression
        here = expected["node"] == node
        at_node = here & (expected["where"] == AT_NODE)
        weights = (disease.infectiousness_fixed[expected["state"][at_node]] * KEPT_FIXED[expected["flags"][at_node] & REDUCES_INFECTIOUSNESS]) >> 16
        assert held.present[node] == at_node.sum()
        assert held.infectious_fixed[node] == weights.sum()
        assert held.in_transit[node] == np.sum(here & (expected["where"] == ON_EDGE))
        assert held.isolated[node] == np.sum(here & in_system & (expected["flags"] & 1 > 0))
        for s in range(len(disease.names)):
            assert held.by_state[node, s] == np.sum(here & in_system & (expected["state"] == s))
        assert held.present_susceptible[node] == np.sum(at_node & (expected["state"] == disease.susceptible))
        ages = expected["age_group"][at_node]
        for age in range(len(AGE_GROUPS)):
            assert held.present_by_age[node, age] == np.sum(ages == age)
            assert held.infectious_fixed_by_age[node, age] == weights[ages == age].sum()
        today = here & (expected["state_day"] == 9) & (expected["age_group"] == np.arange(len(AGE_GROUPS))[:, None])
        became_ill = (expected["state"] == disease.onset) & (state_before != disease.onset)
        np.testing.assert_array_equal(held.new_cases[node], np.sum(today & in_system & became_ill, axis=1))
        np.testing.assert_array_equal(held.new_deaths[node], np.sum(today & (expected["where"] == DEAD), axis=1))
    assert held.new_cases.sum() > 0 and held.new_deaths.sum() == deaths.sum()


def sizes_for(case, rng):
    """Travel group sizes: small mixed groups; or groups straddling the first parallel chunk
    boundary (a group whose rows two threads visit), among singletons."""
    if case == "small groups":
        return rng.integers(1, 5, 80)
    return np.concatenate((np.ones(CHUNK - 2, dtype=np.int64), [4], rng.integers(1, 4, 60)))


@pytest.mark.parametrize("case", ["small groups", "across a chunk boundary"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_infect_agrees(disease, seed, case):
    rng = np.random.default_rng(seed)
    sizes = sizes_for(case, rng)
    n = int(sizes.sum())
    p = random_people(rng, n, 3, 2, disease, sizes)
    firsts, group_sizes = group_table(sizes)
    p["age_group"] = rng.integers(0, 4, n).astype(np.int8)
    exposure = kernels.Exposure(site_rate=rng.random((3, 4)) * 0.5, host_rate=rng.random(3) * 0.3,
                                host_share=np.array([0.0, 0.1, 0.2]), family_rate=rng.random(3) * 0.5,
                                stranger_rate=rng.random(3) * 0.1, mates=np.array([0.0, 1.5, 5.0]), edge_rate=0.4)
    infection_key, latent_key = day_key(seed, Stream.INFECTION, 2), day_key(seed, Stream.LATENT, 2)
    kept = KEPT
    expected = copy(p)
    new = reference.infect(expected, list(zip(firsts, group_sizes)), disease, PROTECTION_VALUES, kept, exposure,
                           infection_key, latent_key, day=2)
    tally = np.zeros((THREADS, 3, 20), dtype=np.int64)
    keys = kernels.DayKeys.of(seed, 2)
    assert (keys.infection, keys.latent) == (infection_key, latent_key)
    kernels.infect(view(p), disease.table, PROTECTION_VALUES, kept, exposure, 2, keys, tally)
    assert new.sum() > 0, "the inputs should infect someone, or the comparison is empty"
    for name in ("state", "state_timer", "state_day"):
        np.testing.assert_array_equal(p[name], expected[name], err_msg=name)
    np.testing.assert_array_equal(tally.sum(0)[:, kernels.NEW_INFECTIONS], new)


def test_sample_days_reads_the_quantile_slice():
    table = np.array([1, 2, 2, 5], dtype=np.int32)
    for u, days in [(0.0, 1), (0.249, 1), (0.25, 2), (0.7, 2), (0.75, 5), (0.999, 5)]:
        assert kernels.sample_days(table[None, :], 0, u) == days == reference.days_from(table, u)
