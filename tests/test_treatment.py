"""Natural histories a clinician recognises: TB treatment courses that cure, relapse, and are
lost when a patient crosses a border unless a referral carries them; preventive therapy of
latent TB after an IGRA; cholera in care, with oral rehydration, killing fewer than 1%."""

import numpy as np
import pytest

from conftest import NO_CARE, config, one_site
from sim import RouteModel, load_scenario, run_config, simulate
from sim.disease import natural_history
from sim.outcomes import branches

NO_BARRIERS = [f"policy.care.interventions.{name}=1" for name in
               ("interpreters", "free_care", "firewall", "information", "community_engagement")]
SEEN_AND_DIAGNOSED = [*NO_BARRIERS, "policy.care.diagnosis_probability=1"]


def two_countries(stay: float, closed: bool = False) -> dict:
    """Arrivals with clinical TB at a reception centre in country AAA (with a medical team), then an
    informal site across the border in BBB (no care there), then a destination; `closed`: nobody
    leaves the centre."""
    node = lambda node_id, kind, country, lat, dwell: {
        "id": node_id, "kind": kind, "name": node_id, "country": country, "lat": lat, "lon": 20.0,
        "capacity": 10_000, "host_population": 0, "dwell": {"mean": dwell, "shape": 8}}
    return {
        "name": "two_countries", "start_date": "2023-01-01",
        "nodes": [node("here", "reception_centre", "AAA", 40.0, stay), node("there", "informal_site", "BBB", 41.0, 400),
                  node("away", "destination", "CCC", 42.0, 1)],
        "edges": [{"from": "here", "to": "there", "travel_days": 0}, {"from": "there", "to": "away", "travel_days": 0}],
        "arrivals": {"per_day": 20, "entry": {"here": 1.0}, "origins": {"AAA": 1.0}},
        "origins": {"AAA": {"name": "A", "age": {"18-59": 1.0}, "infected": {"tuberculosis": {"symptomatic": 0.5}}}},
        "events": [{"name": "closed", "type": "close_edge", "from": "here", "to": "there", "day": 0}] if closed else [],
    }


def model_with_tb(write_scenario, *overrides, stay=10.0, days=60, closed=False):
    path = write_scenario(two_countries(stay, closed))
    cfg = run_config(config(f"scenario.file={path}", "disease=tuberculosis", f"days={days}", *SEEN_AND_DIAGNOSED,
                            *overrides))
    return RouteModel(load_scenario(path), cfg)


def run(model):
    model.run()
    return model


def in_states(model, node_id, *states):
    people, names = model.people, model.disease.names
    codes = [names.index(state) for state in states]
    rows = np.flatnonzero(np.isin(people.state[: people.count], codes) & (people.node[: people.count] == model.routes.index(node_id)))
    return rows


def test_a_patient_who_crosses_a_border_is_lost_to_follow_up_unless_referred(write_scenario):
    lost = run(model_with_tb(write_scenario, "policy.treatment.continued_if_not_referred=0"))
    s = lost.programmes.summary()
    assert s["treatment_started"] > 50
    assert s["treatment_lost"] > 20 and s["treatment_referred"] == 0
    assert in_states(lost, "there", "treatment_intensive", "treatment_continuation").size == 0
    assert in_states(lost, "there", "treatment_interrupted").size > 0
    carried = run(model_with_tb(write_scenario, "policy.treatment.cross_border_referral=1",
                                "policy.treatment.continued_if_referred=1"))
    s = carried.programmes.summary()
    assert s["treatment_lost"] == 0 and s["treatment_referred"] > 20
    assert in_states(carried, "there", "treatment_intensive", "treatment_continuation").size > 20
    assert s["costs"]["treatment_referrals"] == s["treatment_referred"] * 100.0


def test_a_patient_who_stays_completes_the_course_and_is_cured(write_scenario):
    """Nobody leaves the centre: the patients on treatment on day 40 have all finished 183 days
    later, cured (recovered, or relapsing for 4%) unless they died on treatment (6%) or defaulted
    while staying (about 5.5% of the rest). Four standard errors."""
    model = model_with_tb(write_scenario, closed=True, days=240)
    model.people.reserve(20_000)  # no compaction: the dead stay in the arrays
    names = model.disease.names
    while model.day <= 40:
        model.step()
    people = model.people
    on_day_40 = people.uid[: people.count][people.state[: people.count] == names.index("treatment_intensive")].copy()
    run(model)
    rows = np.searchsorted(people.uid[: people.count], on_day_40)
    cured = np.isin(people.state[rows], [names.index("recovered"), names.index("relapsing")]).mean()
    disease = natural_history(model.config.disease)
    expected = dict(branches(disease, names.index("treatment_intensive")))[names.index("treatment_continuation")]
    assert on_day_40.size > 100
    assert abs(cured - expected) < 4 * np.sqrt(expected * (1 - expected) / on_day_40.size), (cured, expected)


def test_the_course_is_the_configured_regimen():
    disease = natural_history(run_config(config("disease=tuberculosis")).disease)
    names = disease.names
    intensive, continuation = names.index("treatment_intensive"), names.index("treatment_continuation")
    assert disease.mean_days[intensive] == 61 and disease.mean_days[continuation] == 122
    assert dict(branches(disease, intensive))[names.index("dead")] == pytest.approx(0.06)
    assert dict(branches(disease, continuation)) == pytest.approx({names.index("recovered"): 0.96,
                                                                    names.index("relapsing"): 0.04})
    assert disease.infectiousness[intensive] == pytest.approx(0.5 * 14 / 61)
    assert disease.infectiousness[continuation] == 0.0


def test_treatment_is_inert_for_a_disease_without_a_course():
    s = simulate(config("scenario=demo", "disease=covid19", "days=30"), compare_to_baseline=False).summary
    assert s["treatment_started"] == 0 and s["costs"]["treatment"] == 0


def test_preventive_therapy_follows_an_igra_and_clears_latent_infection():
    s = simulate(config("scenario=western_balkans", "disease=tuberculosis", "days=200", "policy=tb_screening"),
                 compare_to_baseline=False).summary
    assert s["preventive_therapy_started"] > 1000
    baseline = simulate(config("scenario=western_balkans", "disease=tuberculosis", "days=200"),
                        compare_to_baseline=False).summary
    assert s["exported_latent"] < baseline["exported_latent"]
    history = natural_history(run_config(config("disease=tuberculosis")).disease)
    therapy = history.names.index("preventive_therapy")
    assert dict(branches(history, therapy))[history.names.index("recovered")] == pytest.approx(0.77 * 0.7)


@pytest.mark.parametrize("cared_for", [True, False])
def test_cholera_in_care_kills_fewer_than_one_in_a_hundred(write_scenario, cared_for):
    """Everyone with symptoms seen at once (no barriers, ample consultations): deaths per case
    0.5% (care_case_fatality); with no care, the untreated 10%. Four standard errors."""
    path = write_scenario(one_site(people=20_000, infected=200))
    care = [*SEEN_AND_DIAGNOSED, "policy.care.seek_delay_days=0.01",
            "policy.care.consultations_per_day={reception_centre: 100000}"] if cared_for else NO_CARE
    s = simulate(config(f"scenario.file={path}", "disease=cholera", "disease.r0=3", "days=150", *care),
                 compare_to_baseline=False).summary
    cases, fatality = s["cases_migrants"], (0.005 if cared_for else 0.1)
    assert cases > 1000
    assert abs(s["deaths_migrants"] / cases - fatality) < 4 * np.sqrt(fatality * (1 - fatality) / cases)
