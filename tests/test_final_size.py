"""A single closed, well-mixed site matches the SEIR final-size relation.

With everyone present from day 0, no host community, no travel groups and no care, the fraction z of the
N people ever infected solves 1 - z = (S0 / N) exp(-R0 z). The stochastic final size of a major
outbreak is asymptotically normal with standard deviation sigma / sqrt(N), where
sigma^2 = z (1 - z) [1 + cv^2 R0^2 (1 - z)] / [1 - R0 (1 - z)]^2 and cv is the coefficient of
variation of the infectious period (Andersson and Britton 2000, Stochastic Epidemic Models and
Their Statistical Analysis, Theorem 4.2). The tolerance is 4 sigma / sqrt(N).
"""

import math

import pytest

from conftest import NO_CARE, QUICK_DISEASE, config, one_site
from sim import simulate
from sim.disease import natural_history
from sim.config import run_config

PEOPLE, SEEDED = 20_000, 20


def final_size(r0: float, susceptible_share: float) -> float:
    z = 0.9
    for _ in range(200):
        z = 1.0 - susceptible_share * math.exp(-r0 * z)
    return z


def tolerance(r0: float, z: float, cv: float, people: int) -> float:
    """Four standard deviations of the final size of a major outbreak (see the module docstring)."""
    sigma = math.sqrt(z * (1 - z) * (1 + cv**2 * r0**2 * (1 - z))) / (1 - r0 * (1 - z))
    return 4 * sigma / math.sqrt(people)


def infectious_period_cv(cfg) -> float:
    disease = natural_history(run_config(cfg).disease)
    days = disease.duration_table[disease.names.index("symptomatic")]
    return float(days.std() / days.mean())


@pytest.mark.parametrize("r0", [1.5, 2.5, 4.0])
def test_final_size_relation(write_scenario, r0):
    path = write_scenario(one_site(people=PEOPLE, infected=SEEDED))
    cfg = config(f"scenario.file={path}", "disease=covid19", f"disease.r0={r0}", "days=400", *QUICK_DISEASE, *NO_CARE)
    result = simulate(cfg)
    z = final_size(r0, (PEOPLE - SEEDED) / PEOPLE)
    observed = (result.summary["infections_migrants"] + SEEDED) / PEOPLE
    assert abs(observed - z) < tolerance(r0, z, infectious_period_cv(cfg), PEOPLE), (observed, z)
    series = result.timeseries
    still_infected = series[(series.day == 399) & series.metric.isin(["exposed", "symptomatic"])].value.sum()
    assert still_infected == 0, "the epidemic must be over, or the final size is not final"


def test_units_above_capacity_hold_more_people_and_spread_more(write_scenario):
    """The same closed site built for a tenth of its people: each living unit holds ten times its
    nominal people, so each person meets ten times the unit-mates, and the unit's share of
    contacts (`unit_contact_share`) grows with them; the rest of the site's contacts stay
    frequency-dependent. Without travel groups unit-mates are people of the site, so the site
    is well mixed with r0 x (1 - share + share x mates / (unit size - 1))."""
    people, seeded, r0, unit, share = 5000, 20, 1.5, 5, 0.25
    for capacity in (1_000_000, people // 10):
        path = write_scenario(one_site(people=people, infected=seeded, capacity=capacity, unit_size=unit), f"c{capacity}.yaml")
        cfg = config(f"scenario.file={path}", "disease=covid19", f"disease.r0={r0}", "days=300",
                     f"transmission.unit_contact_share={share}", *QUICK_DISEASE, *NO_CARE)
        mates = unit * max(1.0, people / capacity) - 1  # nearly everyone is there through the outbreak
        effective_r0 = r0 * (1 - share + share * mates / (unit - 1))
        observed = (simulate(cfg).summary["infections_migrants"] + seeded) / people
        z = final_size(effective_r0, (people - seeded) / people)
        assert abs(observed - z) < tolerance(effective_r0, z, infectious_period_cv(cfg), people), (capacity, observed, z)
