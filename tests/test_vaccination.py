"""Vaccination as delivered: efficacy per dose as the disease's vaccine gives it (never
interpolated), leaky or all or nothing, a dose soon after exposure stopping the infection, ring
vaccination of a case's group and site, and doses whose protection starts only after exit."""

import numpy as np
import pytest

from conftest import DEMO, NO_CARE, config, one_site
from sim import ConfigError, RouteModel, load_scenario, run_config, simulate
from sim.config import SCENARIO_DIR
from sim.population import EXITED
from sim.programmes.vaccination import LONG_AGO

AT_ENTRY = "policy.vaccination.at_entry"


def refused(*overrides) -> str:
    with pytest.raises(ConfigError) as caught:
        run_config(config(*DEMO, *overrides))
    return str(caught.value)


def test_the_schedule_is_the_diseases_vaccine():
    measles = run_config(config("disease=measles", "policy=vaccinate_at_entry")).policy.vaccination["at_entry"]
    assert (measles.doses, measles.efficacy, measles.mode) == (2, [0.93, 0.97], "all_or_nothing")
    covid = run_config(config("disease=covid19", "policy=vaccinate_at_entry")).policy.vaccination["at_entry"]
    assert (covid.doses, covid.efficacy, covid.mode) == (1, [0.54], "leaky")


def test_efficacies_that_fall_from_dose_to_dose_are_refused():
    message = refused("disease=measles", "policy=vaccinate_at_entry", f"{AT_ENTRY}.efficacy=[0.9,0.6]")
    assert f"{AT_ENTRY}" in message and "must not decrease" in message and "dose 2 (0.6) after dose 1 (0.9)" in message
    assert "disease.vaccine" in refused("disease=measles", "disease.vaccine.efficacy_by_dose=[0.97,0.93]")


def test_a_disease_without_a_vaccine_needs_the_programme_to_say_what_it_gives():
    message = refused("disease=tuberculosis", "policy=vaccinate_at_entry")
    assert f"{AT_ENTRY}.doses" in message and "tuberculosis has no vaccine" in message
    assert "at most the 1 doses" in refused("disease=covid19", "policy=vaccinate_at_entry", f"{AT_ENTRY}.doses=2")


def vaccinated_site(write_scenario, disease, *overrides, people=20_000):
    """A closed site with nobody infected, everyone offered one dose on day 0, protection after a day."""
    path = write_scenario(one_site(people=people, infected=0))
    cfg = run_config(config(f"scenario.file={path}", f"disease={disease}", "days=3", "policy=vaccinate_at_entry",
                            f"{AT_ENTRY}.where.kinds=[reception_centre]", f"{AT_ENTRY}.uptake=1",
                            f"{AT_ENTRY}.supply_per_day={people}", f"{AT_ENTRY}.delay_days=1", *NO_CARE, *overrides))
    model = RouteModel(load_scenario(path), cfg)
    model.run()
    return model, model.protection.values[model.people.protection[:people]]


def test_a_first_measles_dose_protects_as_configured_all_or_nothing(write_scenario):
    """All or nothing: after one dose, a share 0.93 fully protected (four standard errors), the
    rest not at all; linear build-up used to give everyone 0.485."""
    model, protection = vaccinated_site(write_scenario, "measles")
    assert set(np.unique(protection)) == {0.0, 1.0}
    share, n = np.mean(protection == 1.0), protection.shape[0]
    assert abs(share - 0.93) < 4 * np.sqrt(0.93 * 0.07 / n), share


def test_leaky_doses_protect_by_the_configured_efficacy(write_scenario):
    model, protection = vaccinated_site(write_scenario, "cholera")
    np.testing.assert_array_equal(protection, np.float32(0.40))  # dose 1 of the oral cholera vaccine


def test_a_second_all_or_nothing_dose_protects_everyone_the_first_did(write_scenario):
    model, first = vaccinated_site(write_scenario, "measles", f"{AT_ENTRY}.interval_days=1", "days=6")
    assert np.all(model.people.doses[: first.shape[0]] == 2)
    share = np.mean(first == 1.0)
    assert abs(share - 0.97) < 4 * np.sqrt(0.97 * 0.03 / first.shape[0]), share


def test_a_dose_within_three_days_of_measles_exposure_stops_the_infection(write_scenario):
    """Contacts exposed 2 days before their dose: 0.83 of them stop being infected (four
    standard errors); exposed 5 days before: none."""
    path = write_scenario(one_site(people=8000, infected=0))
    cfg = run_config(config(f"scenario.file={path}", "disease=measles", "days=10", "policy=vaccinate_at_entry",
                            f"{AT_ENTRY}.where.kinds=[reception_centre]", f"{AT_ENTRY}.uptake=1",
                            f"{AT_ENTRY}.supply_per_day=8000", f"{AT_ENTRY}.routine=false", *NO_CARE))
    model = RouteModel(load_scenario(path), cfg)
    for _ in range(6):
        model.step()
    people, day, exposed = model.people, model.day, model.disease.exposed
    recent, late = np.arange(0, 4000), np.arange(4000, 8000)
    people.state[:8000] = exposed
    people.state_timer[:8000] = 8
    people.state_day[recent], people.state_day[late] = day - 2, day - 5
    programme = next(p for p in model.programmes.running if p.kind == "vaccination")
    programme.step(day, model.tally)
    programme.give(np.arange(8000), day, model.tally)
    stopped_recent = np.mean(people.state[recent] == model.disease.susceptible)
    assert abs(stopped_recent - 0.83) < 4 * np.sqrt(0.83 * 0.17 / 4000), stopped_recent
    assert np.all(people.state[late] == exposed)
    assert np.all(model.protection.values[people.protection[recent][people.state[recent] == model.disease.susceptible]] == 1.0)
    assert model.tally.today("post_exposure_protected").sum() == np.count_nonzero(people.state[recent] != exposed)


def test_ring_vaccination_reaches_the_cases_site_beyond_its_group():
    s = simulate(config(*DEMO, "disease=covid19", "disease.r0=8", "days=120", "policy=ring_vaccination",
                        "policy.care.interventions.information=1"), compare_to_baseline=False).summary
    assert s["site_vaccinated"] > 0 and s["doses"] == s["contacts_vaccinated"] + s["site_vaccinated"]
    assert "ring_site" in refused("policy=ring_vaccination", "policy.contact_investigation.travel_groups.vaccination=null")


def test_doses_whose_protection_starts_after_exit_are_counted():
    """Each person leaving the route whose last dose was given on the route fewer than
    delay_days before, followed in the arrays (no compaction)."""
    model = RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"),
                       run_config(config(*DEMO, "disease=measles", "days=100", "policy=vaccinate_at_entry",
                                         f"{AT_ENTRY}.where.kinds=[border]")))
    model.people.reserve(10_000)
    delay, late = model.config.policy.vaccination["at_entry"].delay_days, 0
    while model.running:
        people = model.people
        on_route = people.where[: people.count] != EXITED
        last_dose = people.last_dose_day[: people.count].copy()
        doses = people.doses[: people.count].copy()
        model.step()
        left = on_route & (people.where[: on_route.shape[0]] == EXITED)
        late += np.count_nonzero(left & (doses > 0) & (last_dose != LONG_AGO) & (last_dose + delay >= model.day - 1))
    counted = model.recorder.metric("migrants", "doses_protecting_after_exit").sum()
    assert counted == late > 100  # the exit post is a border: doses there are given on the way out
    assert model.recorder.metric("migrants", "doses_protecting_after_exit")[:, model.routes.index("city")].sum() == counted
