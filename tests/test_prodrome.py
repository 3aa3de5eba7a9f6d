"""Measles' febrile prodrome: symptomatic (seen by symptom checks and care) for about three days
before the rash, after about a day of infectiousness nobody can see."""

import numpy as np
import pytest

from conftest import config, one_site
from sim import RouteModel, load_scenario, run_config
from sim.disease import natural_history
from sim.population import IN_CARE

NO_BARRIERS = [f"policy.care.interventions.{name}=1" for name in
               ("interpreters", "free_care", "firewall", "information", "community_engagement")]


def test_measles_is_febrile_before_the_rash():
    disease = natural_history(run_config(config("disease=measles")).disease)
    names = list(disease.names)
    prodrome, rash, before = names.index("prodrome"), names.index("symptomatic"), names.index("presymptomatic")
    assert disease.symptomatic[prodrome] and disease.symptomatic[rash] and not disease.symptomatic[before]
    assert disease.mean_days[prodrome] == pytest.approx(3.0, abs=0.05)
    assert disease.mean_days[before] == pytest.approx(1.0, abs=0.1)
    # every case goes through the prodrome, then the rash: 4 infectious days before the rash in all
    assert disease.visit_probability[prodrome] == disease.visit_probability[rash] == 1.0
    assert disease.mean_days[before] + disease.mean_days[prodrome] == pytest.approx(4.0, abs=0.1)


def test_a_measles_case_seeks_care_in_the_prodrome(write_scenario):
    """At a reception centre with a medical team and no barrier to care, people seek care a mean
    of 2 days after their symptoms start (care.seek_delay_days; a daily chance of 1 - exp(-1 / 2)), so most are seen in the 3-day
    prodrome, before the rash: 1 - exp(-3 / 2) = 0.78 of them."""
    path = write_scenario(one_site(people=2000, infected=200))
    cfg = run_config(config(f"scenario.file={path}", "disease=measles", "days=30", *NO_BARRIERS,
                            "policy.care.consultations_per_day={reception_centre: 10000}"))
    model = RouteModel(load_scenario(path), cfg)
    prodrome = model.disease.names.index("prodrome")
    in_prodrome, seen = 0, 0
    while model.running:
        before = model.people.flags[: model.people.count] & IN_CARE
        model.step()
        people = model.people
        newly = np.flatnonzero((people.flags[: before.shape[0]] & IN_CARE) & ~before)
        seen += newly.shape[0]
        in_prodrome += int(np.count_nonzero(people.state[newly] == prodrome))
    assert seen > 500
    share, expected = in_prodrome / seen, 1 - np.exp(-3 / 2)
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / seen), share
