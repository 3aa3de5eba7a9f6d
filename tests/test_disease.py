"""Natural history compiled from the disease configs: calibration and the course of infection."""

import numpy as np
import pytest

from conftest import NO_CARE, config, one_site
from sim import RouteModel, load_scenario, run_config
from sim.disease import natural_history


@pytest.mark.parametrize("name", ["measles", "covid19"])
def test_beta_is_calibrated_to_r0(name):
    params = run_config(config(f"disease={name}")).disease
    disease = natural_history(params)
    assert disease.beta * disease.infectious_days == pytest.approx(params.r0)
    assert disease.visit_probability[disease.dead] == pytest.approx(params.symptomatic_fraction * params.case_fatality)
    for stage in ("latent", "presymptomatic", "symptomatic"):
        configured = getattr(params, stage).mean
        if configured >= 3:  # whole-day rounding and the 1-day minimum matter only for short stages
            state = disease.names.index("exposed" if stage == "latent" else stage)
            assert disease.mean_days[state] == pytest.approx(configured, rel=0.02)


def test_observed_latent_period_and_symptomatic_fraction(write_scenario):
    """Follow a closed site's infections: the mean time from infection to infectiousness matches
    the compiled latent mean, and the share passing through symptoms matches its parameter, each
    within 4 standard errors."""
    path = write_scenario(one_site(people=4000, infected=4000))
    cfg = run_config(config(f"scenario.file={path}", "disease=covid19", "days=60", "disease.latent.mean=5",
                            "disease.latent.shape=2", "disease.symptomatic_fraction=0.3", *NO_CARE))
    model = RouteModel(load_scenario(path), cfg)
    disease = model.disease
    first_infectious_day = np.full(4000, -1)
    symptomatic_ever = np.zeros(4000, dtype=bool)
    while model.running:
        model.step()
        states = model.people.state[:4000]
        newly = (first_infectious_day < 0) & (disease.infectiousness[states] > 0)
        first_infectious_day[newly] = model.day
        symptomatic_ever |= states == disease.names.index("symptomatic")
    # infected people enter on day 0 and their latent timer counts down from day 0's progression
    latent = first_infectious_day[first_infectious_day > 0]
    days = disease.duration_table[disease.exposed]
    expected_mean = days.mean()
    standard_error = days.std() / np.sqrt(latent.size)
    assert latent.size == 4000
    assert abs(latent.mean() - expected_mean) < 4 * standard_error
    assert abs(symptomatic_ever.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / 4000)


def test_vaccinated_are_infected_at_one_minus_efficacy_the_rate(write_scenario):
    """Half the people of a closed site vaccinated with a leaky vaccine of efficacy 0.6: over the
    first days (while susceptibles are barely depleted) the vaccinated are infected at 0.4 times
    the rate of the unvaccinated in the same place. The tolerance is four standard errors of the
    log rate ratio, sqrt(1/a + 1/b) for a and b infections."""
    people = 40_000
    path = write_scenario(one_site(people=people, infected=400))
    cfg = run_config(config(f"scenario.file={path}", "disease=covid19", "days=6", "disease.vaccine_efficacy=0.6",
                            "disease.r0=3", *NO_CARE))
    model = RouteModel(load_scenario(path), cfg)
    model.step()  # day 0 admits everyone; vaccinate every other person still susceptible after it
    at_risk = model.people.state[:people] == model.disease.susceptible
    vaccinated = at_risk & (np.arange(people) % 2 == 0)
    model.people.protection[:people] = model.protection.level(np.where(vaccinated, 0.6, 0.0))
    while model.running:
        model.step()
    infected = at_risk & (model.people.state[:people] != model.disease.susceptible)
    a, b = infected[vaccinated].sum(), infected[at_risk & ~vaccinated].sum()
    ratio = (a / vaccinated.sum()) / (b / (at_risk & ~vaccinated).sum())
    assert a > 100 and b > 100
    assert abs(np.log(ratio) - np.log(0.4)) < 4 * np.sqrt(1 / a + 1 / b), ratio
