"""What sites do with the positives of a test (sim/programmes/actions.py): isolate them where a
place is free (pre-departure checks too, so travel waits and the person is apart); when none is,
refer them to care, keep them in a separate area with its stated cut in infectiousness, or
release them, as the programme says."""

import numpy as np
import pytest

from conftest import DEMO, config
from sim import RouteModel, load_scenario, run_config, simulate
from sim.config import SCENARIO_DIR
from sim.population import IN_CARE, ISOLATED, REDUCES_INFECTIOUSNESS, REFERRED, SEPARATED

BASE = (*DEMO, "disease=covid19", "disease.r0=8", "days=120")
PRE = "policy.screening.pre_departure"
BORDERS = "policy.screening.borders"


def model_for(*overrides):
    return RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"), run_config(config(*BASE, *overrides)))


def newly_positive(model, step_until):
    """Step the model until someone is isolated, separated or referred today; return the model
    and their rows with what was done."""
    while model.running and model.day < step_until:
        before = model.people.flags[: model.people.count].copy()
        model.step()
        flags = model.people.flags[: before.shape[0]]
        for bit in (ISOLATED, SEPARATED, REFERRED):
            rows = np.flatnonzero((flags & bit) & ~(before & bit))
            if rows.size:
                return bit, rows
    raise AssertionError("nobody was found positive")


def test_pre_departure_positives_are_isolated_where_a_place_is_free():
    """Pre-departure checks with free places: every positive is isolated, so their travel waits
    the isolation days and they are apart from the crowd (they used to be held at full
    infectiousness)."""
    s = simulate(config(*BASE, "policy=pre_departure_checks", f"{PRE}.isolation_places=100"),
                 compare_to_baseline=False).summary
    assert s["true_positives"] > 0
    assert s["isolations"] == s["true_positives"] + s["false_positives"]
    assert s["isolation_days"] > 0 and s["referrals"] == s["separated"] == s["released"] == 0


def test_an_isolated_positive_waits_the_isolation_days():
    model = model_for("policy=pre_departure_checks", f"{PRE}.isolation_places=100", f"{PRE}.isolation_days=6")
    bit, rows = newly_positive(model, 120)
    assert bit == ISOLATED
    people = model.people
    assert np.all(people.hold_timer[rows] == 6)
    uid = people.uid[rows[0]]
    for _ in range(6):
        model.step()
        row = people.row_of(uid)
        assert row is None or people.node[row] == model.routes.index("transit_camp")


def test_when_no_place_is_free_positives_are_referred_to_care():
    """The default: the transit camp has a route to the clinic, so positives without a place go
    there the next day, the infected under care."""
    model = model_for("policy=pre_departure_checks", f"{PRE}.isolation_places=0")
    bit, rows = newly_positive(model, 120)
    people = model.people
    assert bit == REFERRED and np.all(people.leave_day[rows] == model.day)
    infected = rows[~np.isin(np.array(model.disease.names)[people.state[rows]], ["susceptible", "recovered"])]
    assert np.all(people.flags[infected] & IN_CARE)
    uids = people.uid[rows]
    model.step()
    at = [people.node[people.row_of(uid)] for uid in uids if people.row_of(uid) is not None]
    assert at and set(at) == {model.routes.index("clinic")}


def test_a_site_without_a_route_to_care_keeps_them_in_its_separate_area():
    """The border post has no route to a clinic: referral falls back to the separate area."""
    s = simulate(config(*BASE, "policy=screen_at_borders", f"{BORDERS}.isolation_places=0",
                        f"{BORDERS}.method=rapid_antigen", f"{BORDERS}.confirm_with=null"), compare_to_baseline=False).summary
    assert s["separated"] == s["isolation_full"] == s["true_positives"] + s["false_positives"] > 0
    assert s["referrals"] == 0


def test_the_separate_area_cuts_infectiousness_by_its_stated_share_for_the_isolation_days():
    model = model_for("policy=pre_departure_checks", f"{PRE}.isolation_places=0", f"{PRE}.when_full=separate_area",
                      f"{PRE}.isolation_days=4", "policy.isolation.separate_area_effect=0.35")
    assert model.kept[SEPARATED & REDUCES_INFECTIOUSNESS] == pytest.approx(0.65)
    assert model.kept[ISOLATED] == pytest.approx(1 - model.config.policy.isolation.effect)
    bit, rows = newly_positive(model, 120)
    assert bit == SEPARATED
    people, uid = model.people, model.people.uid[rows[0]]
    for day in range(1, 6):
        model.step()
        row = people.row_of(uid)
        if row is None:
            break
        assert bool(people.flags[row] & SEPARATED) == (day < 4), day


def test_released_positives_go_on():
    s = simulate(config(*BASE, "policy=pre_departure_checks", f"{PRE}.isolation_places=0", f"{PRE}.when_full=release"),
                 compare_to_baseline=False).summary
    assert s["released"] == s["isolation_full"] > 0 and s["separated"] == s["referrals"] == 0
