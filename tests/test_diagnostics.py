"""Test characteristics come from the run's disease (conf/disease/*.yaml `tests:`): a method with
no figures for a disease is refused before the run; screening and contact investigation use the
same figures; a confirmatory test acts only on those positive twice."""

import numpy as np
import pytest

from conftest import DEMO, config
from sim import ConfigError, RouteModel, load_scenario, run_config, simulate
from sim.config import SCENARIO_DIR
from sim.disease import natural_history
from sim.programmes.testing import Test

BORDERS = "policy.screening.borders"


def refused(*overrides) -> str:
    with pytest.raises(ConfigError) as caught:
        run_config(config(*DEMO, *overrides))
    return str(caught.value)


def test_a_method_without_figures_for_the_disease_is_refused():
    message = refused("disease=measles", "policy=screen_at_borders", f"{BORDERS}.method=rapid_antigen")
    for fragment in (f"{BORDERS}.method", "'rapid_antigen'", "conf/disease/measles.yaml", "['igm', 'pcr', 'symptom_check']"):
        assert fragment in message, message


def test_a_method_per_disease_must_name_the_runs_disease():
    message = refused("disease=influenza", "policy=pre_departure_checks",
                      "~policy.screening.pre_departure.method.influenza")
    assert "policy.screening.pre_departure.method" in message and "a method for influenza" in message


def test_contact_investigation_and_confirmation_are_checked_too():
    assert "policy.contact_investigation.travel_groups.method" in refused(
        "disease=tuberculosis", "policy=contact_investigation", "policy.contact_investigation.travel_groups.method=pcr")
    assert f"{BORDERS}.confirm_with.method" in refused(
        "disease=covid19", "policy=screen_at_borders", f"{BORDERS}.confirm_with=igra")


def test_a_sensitivity_for_a_state_the_disease_lacks_is_refused():
    message = refused("disease=covid19", "policy=screen_at_borders", f"{BORDERS}.method=pcr",
                      f"{BORDERS}.sensitivity={{rash: 0.9}}")
    assert f"{BORDERS}.sensitivity.rash" in message and "a state of covid19" in message


def test_a_method_without_a_cost_is_refused():
    message = refused("disease=covid19", "policy=screen_at_borders", "~policy.test_costs.symptom_check")
    assert "policy.test_costs.symptom_check" in message and f"{BORDERS}.cost_per_test" in message


@pytest.mark.parametrize("disease", ["covid19", "influenza", "measles", "cholera", "tuberculosis"])
def test_the_shipped_bundles_run_for_every_shipped_disease(disease):
    for policy in ("screen_at_borders", "pre_departure_checks", "contact_investigation"):
        run_config(config(*DEMO, f"disease={disease}", f"policy={policy}"))


def model_for(*overrides):
    return RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"), run_config(config(*DEMO, *overrides)))


def test_screening_uses_the_diseases_figures_by_state():
    model = model_for("disease=measles", "policy=screen_at_borders")
    borders = next(p for p in model.programmes.running if p.kind == "screening")
    figures = model.config.disease.tests["symptom_check"]
    by_state = dict(zip(model.disease.names, borders.test.sensitivity))
    assert by_state["prodrome"] == figures.sensitivity["prodrome"] == 0.6
    assert by_state["symptomatic"] == 0.85 and by_state["presymptomatic"] == by_state["exposed"] == 0.0
    assert borders.test.false_positive_rate == pytest.approx(1 - 0.998)


def test_contact_investigation_uses_the_same_figures_as_screening():
    model = model_for("disease=covid19", "policy=combined", "+policy.contact_investigation.ci={where: {kinds: "
                      "[transit_centre]}, method: rapid_antigen}")
    tests = {p.kind: p.test for p in model.programmes.running if p.kind in ("screening", "contact_investigation")
             and p.test.method == "rapid_antigen"}
    np.testing.assert_array_equal(tests["screening"].sensitivity, tests["contact_investigation"].sensitivity)
    assert tests["screening"].false_positive_rate == tests["contact_investigation"].false_positive_rate


def test_an_override_of_one_sensitivity_applies_to_the_states_the_method_detects():
    disease = run_config(config("disease=covid19")).disease
    names = natural_history(disease).names
    test = Test.of("rapid_antigen", 0.9, None, disease, names)
    assert dict(zip(names, test.sensitivity)) == {**dict.fromkeys(names, 0.0), "presymptomatic": 0.9,
                                                   "asymptomatic": 0.9, "symptomatic": 0.9}


SCREEN_EVERYONE = ("policy=screen_at_borders", f"{BORDERS}.on_positive=none", f"{BORDERS}.coverage=1",
                   f"{BORDERS}.capacity_per_day=100000", "days=150")


def test_false_positives_follow_the_diseases_specificity():
    """Nearly everyone screened at the border is uninfected: false positives over screened is
    1 - specificity of the measles symptom check (0.002), within four standard errors; the old
    one-size 0.95 would give 25 times as many."""
    s = simulate(config(*DEMO, "disease=measles", *SCREEN_EVERYONE, f"{BORDERS}.confirm_with=null"),
                 compare_to_baseline=False).summary
    rate, n = s["false_positives"] / s["screened"], s["screened"]
    assert n > 2500
    assert abs(rate - 0.002) < 4 * np.sqrt(0.002 * 0.998 / n), rate


def test_a_confirmation_test_acts_only_on_those_positive_on_both():
    """COVID-19 symptom check (1 - 0.99) then rapid antigen (1 - 0.989): each confirmation test
    is one of the first test's positives, and false positives fall to about 0.01 x 0.011 of those
    screened."""
    once = simulate(config(*DEMO, "disease=covid19", *SCREEN_EVERYONE, f"{BORDERS}.confirm_with=null"),
                    compare_to_baseline=False).summary
    twice = simulate(config(*DEMO, "disease=covid19", *SCREEN_EVERYONE), compare_to_baseline=False).summary
    assert twice["screened"] == once["screened"]
    assert twice["confirmation_tests"] == once["true_positives"] + once["false_positives"] > 20
    assert twice["false_positives"] <= once["false_positives"] * 0.05 + 3
    assert 0 < twice["true_positives"] <= once["true_positives"]
    assert twice["costs"]["tests"] == pytest.approx(once["costs"]["tests"] + twice["confirmation_tests"] * 5.0)
