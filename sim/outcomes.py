"""Health outcomes on one scale: hospitalisations and disability-adjusted life years (DALYs).

DALYs = years lived with disability (YLD) + years of life lost (YLL), as the Global Burden of
Disease (GBD) study counts them, undiscounted and without age weights:
- YLD: every day a person spends in a natural-history state carries that state's disability
  weight (`outcomes.disability_weights` of the disease config, from GBD health states): the
  person-days in each state the run recorded (migrants on the route, sim.tally's stocks) x the
  weight / 365;
- YLL: each death x the remaining life expectancy at the age of death (the GBD 2019 reference
  life table, at a representative age of each age group);
- hospitalisations: each case (the first symptomatic state entered) x the share of cases of its
  age group admitted (`outcomes.hospitalised`).
An acute infection that leaves the route, or is under way when the run ends, runs its course
(`outcomes.course_after_exit`): the days left in its current state and the expected course after
it (the state table's branches and mean durations) are counted too, with the expected deaths
and admissions. TB's course after the route takes years and depends on the destination's care,
so it is not followed: exported TB is counted by state instead (sim.programmes.watch).
Host communities (one chain per node and age group: sim.hosts) count the expected burden of each
host infection over the disease's course at the adult (18-59) figures, deaths included: each
node's infections times the chance an infection there ends in death (its country's case
fatality), rather than the few deaths drawn, which differ between two arms by chance once their
epidemics differ and, at 59 years of life each, would swamp what a policy averts. Latent TB's
course is not followed: its host deaths are those of the run.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np

from sim.errors import Problem
from sim.fields import AGE_GROUPS, Probability, Strict

# GBD 2019 reference life table (theoretical minimum risk life expectancy, both sexes): remaining
# life expectancy e(x) at age x (IHME, GBD 2019 Reference Life Table, GHDx; as read from public
# copies of the table, research notes for issue 13, section 4.3).
LIFE_TABLE_AGES = np.array([0, 1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95])
LIFE_EXPECTANCY = np.array([88.87, 88.00, 84.03, 79.05, 74.07, 69.11, 64.15, 59.20, 54.25, 49.32, 44.43, 39.63,
                            34.91, 30.25, 25.68, 21.29, 17.10, 13.24, 9.99, 7.62, 5.92])
# the age at which each age group's deaths are valued: the middle of the younger groups; 30 for
# 18-59 (adults on these routes are mostly 18-40; YLL ranges 34.9-69.1 across the group); 67 for 60+
REPRESENTATIVE_AGE = {"0-4": 2.0, "5-17": 11.0, "18-59": 30.0, "60+": 67.0}
HOST_AGE_GROUP = "18-59"  # host communities have no age structure: adults' figures
DAYS_PER_YEAR = 365.0


def life_years_lost(age: float) -> float:
    """Remaining life expectancy at `age` (linear between the life table's ages)."""
    return float(np.interp(age, LIFE_TABLE_AGES, LIFE_EXPECTANCY))


YLL_BY_AGE_GROUP = np.array([life_years_lost(REPRESENTATIVE_AGE[group]) for group in AGE_GROUPS])


class Outcomes(Strict):
    """A disease's health outcomes: disability weights of its states, and hospital admissions."""

    disability_weights: dict[str, Probability]  # per day in each state (states not listed: 0)
    hospitalised: dict[Literal[AGE_GROUPS], Probability]  # share of cases admitted, by age group
    course_after_exit: bool = True  # count the rest of an infection's course after the route or the run
    sources: dict[str, str] = {}


def outcome_problems(disease, states: tuple[str, ...]) -> list[Problem]:
    """Disability weights only for states the disease has."""
    if disease.outcomes is None:
        return []
    return [Problem(f"disease.outcomes.disability_weights.{state}", state, f"a state of {disease.name}: {list(states)}")
            for state in disease.outcomes.disability_weights if state not in states]


@dataclass(frozen=True)
class Course:
    """Expected outcomes of an infection from the start of each natural-history state onwards,
    following the state table's branches and mean durations: disability-weighted days, the chance
    of dying, and the chance of becoming a case (entering `case_state`) later."""

    history: object  # sim.disease.NaturalHistory
    case_state: int
    weighted_days: np.ndarray  # per state: weight x mean days over this state and those after it
    death: np.ndarray  # per state: probability of dying from its start on
    becomes_case: np.ndarray  # per state: probability of entering the case state after its start

    @classmethod
    def of(cls, history, weights: np.ndarray, case_state: int) -> "Course":
        n = len(history.names)
        weighted, death, case = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)

        def follow(state: int) -> None:
            if not np.isnan(weighted[state]):
                return
            weighted[state], death[state], case[state] = 0.0, float(state == history.dead), 0.0  # absorbing
            if history.duration_table[state, 0] == 0:
                return
            days, dying, becoming = weights[state] * history.mean_days[state], 0.0, 0.0
            for target, share in branches(history, state):
                follow(target)
                days += share * weighted[target]
                dying += share * death[target]
                becoming += share * (1.0 if target == case_state else case[target])
            weighted[state], death[state], case[state] = days, dying, becoming

        for state in range(n):
            follow(state)
        return cls(history, case_state, weighted, death, case)

    def after(self, state: int) -> tuple[float, float, float]:
        """Expected weighted days, the chance of dying and of becoming a case, after `state` ends."""
        days = dying = becoming = 0.0
        for target, share in branches(self.history, state):
            days += share * self.weighted_days[target]
            dying += share * self.death[target]
            becoming += share * (1.0 if target == self.case_state else self.becomes_case[target])
        return days, dying, becoming


def branches(history, state: int) -> list[tuple[int, float]]:
    """(next state, probability) of a state, from the cumulative branch table."""
    found, previous = [], 0.0
    for target, cumulative in zip(history.next_state[state], history.next_cumulative[state]):
        if cumulative > previous:
            found.append((int(target), float(cumulative - previous)))
            previous = cumulative
    return found


@dataclass(frozen=True)
class Tallies:
    """What a run counted, for its burden (sim.programmes.watch counts the by-age figures)."""

    person_days: np.ndarray  # [state] days spent in each state on the route
    cases: np.ndarray  # [age group] cases on the route
    deaths: np.ndarray  # [age group] deaths on the route
    leaving: np.ndarray  # [state, age group] people infected as they left the route or when the run ended
    days_left: np.ndarray  # [state] the days those had left in their state
    host_infections: int
    host_deaths: float  # valued at their expectation where the course is followed (see burden)


def burden(history, outcomes: Outcomes, counted: Tallies) -> dict:
    """Hospitalisations and DALYs of a run (see the module's notes), with their parts."""
    weights = np.array([outcomes.disability_weights.get(name, 0.0) for name in history.names])
    admitted = np.array([outcomes.hospitalised.get(group, 0.0) for group in AGE_GROUPS])
    course = Course.of(history, weights, history.onset)
    parts = {
        "yld_on_route": float(counted.person_days @ weights) / DAYS_PER_YEAR,
        "yll_on_route": float(counted.deaths @ YLL_BY_AGE_GROUP),
        "yld_after_route": 0.0,
        "yll_after_route": 0.0,
    }
    hospitalisations = float(counted.cases @ admitted)
    if outcomes.course_after_exit:
        after = np.array([course.after(state) for state in range(len(history.names))])  # [state, (days, death, case)]
        leaving = counted.leaving.sum(axis=1)
        parts["yld_after_route"] = float(weights @ counted.days_left + leaving @ after[:, 0]) / DAYS_PER_YEAR
        parts["yll_after_route"] = float(after[:, 1] @ counted.leaving @ YLL_BY_AGE_GROUP)
        hospitalisations += float(after[:, 2] @ counted.leaving @ admitted)
    host = AGE_GROUPS.index(HOST_AGE_GROUP)
    exposed = history.exposed
    parts["yld_hosts"] = counted.host_infections * float(course.weighted_days[exposed]) / DAYS_PER_YEAR
    parts["yll_hosts"] = counted.host_deaths * float(YLL_BY_AGE_GROUP[host])
    hospitalisations += counted.host_infections * float(course.becomes_case[exposed]) * float(admitted[host])
    migrants = sum(value for key, value in parts.items() if not key.endswith("_hosts"))
    hosts = parts["yld_hosts"] + parts["yll_hosts"]
    return {
        "cases_migrants": int(counted.cases.sum()),
        "hospitalisations": hospitalisations,
        "dalys": migrants + hosts,
        "dalys_migrants": migrants,
        "dalys_hosts": hosts,
        "daly_breakdown": parts,
    }
