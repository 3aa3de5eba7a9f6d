"""Screening at border crossings, points of entry, and before departure.

Responsible for: testing people at the sites that screen, on the day they arrive there
(`on_arrival`), two days before they leave (`before_departure`: pre-embarkation checks 24 to 72
hours before travel; people staying a single day are checked on arrival, a day before they
leave), or everyone present that day (`all_present`: a mobile team's testing day), within each
site's daily capacity, first come first served; then acting on positives: isolation at the site
while places last (`when_full`: hold the person without isolation, or release them), a hold on
travel, or referral (they leave the next day for a clinic or hospital the site has an edge to;
sites without one hold them instead).
Reads: where, node, state, flags, hold_timer, arrival_day, leave_day. Writes: flags (ISOLATED,
WAS_DETECTED, REFERRED), hold_timer, leave_day (referrals leave the next day).
One step: select who is due (in parallel), serve them within capacity, test them, act on the
positives. Draws: coverage and test result per person and day.
"""

from dataclasses import dataclass
from enum import Enum
from typing import Literal, NamedTuple, Optional, Union

import numba as nb
import numpy as np
from pydantic import Field

from sim.fields import MAX_DAYS, Count, NonNegative, Probability, Strict, integer
from sim.population import AT_NODE
from sim.programme import Programme, Stage
from sim.programmes import actions
from sim.programmes.sites import SiteSelector
from sim.rng import uniform_at, uniforms
from sim.selection import first_come_first_served


@dataclass(frozen=True)
class Method:
    sensitivity: dict[str, float]  # by natural-history state; states not listed are not detected
    specificity: float
    source: str
    cost: float  # per test, in the policy's currency
    cost_source: str


METHODS = {
    "symptom_check": Method(
        {"symptomatic": 0.7}, 0.95,
        "assumption informed by Bitar et al. 2009, Euro Surveill 14(6):19115 (entry fever screening "
        "detects a minority to most symptomatic travellers); nobody without symptoms is detected",
        2.0, "assumption: staff time for a symptom check"),
    "rapid_antigen": Method(
        {"presymptomatic": 0.547, "asymptomatic": 0.547, "symptomatic": 0.73}, 0.996,
        "Dinnes et al. 2022, Cochrane Database Syst Rev CD013705: sensitivity 73.0% symptomatic, "
        "54.7% asymptomatic, specificity 99.6% (SARS-CoV-2 antigen tests)",
        5.0, "assumption: an antigen test kit and staff (about 5 EUR in the EU, 2022)"),
    "pcr": Method(
        {"exposed": 0.33, "presymptomatic": 0.8, "asymptomatic": 0.9, "symptomatic": 0.95}, 0.998,
        "Kucirka et al. 2020, Ann Intern Med 173:262 (false-negative rate by day since exposure: "
        "about 67% on day 4, 38% on the day of onset, 20% three days later); specificity assumption",
        40.0, "assumption: laboratory PCR 30-60 EUR"),
    "chest_xray": Method(
        {"presymptomatic": 0.87, "symptomatic": 0.87}, 0.89,
        "WHO 2016, Chest radiography in tuberculosis detection (WHO/HTM/TB/2016.20): any abnormality "
        "suggestive of TB, sensitivity 87%, specificity 89%; latent infection is not detected",
        25.0, "assumption: a chest X-ray read in a district facility"),
}


class Action(Enum):
    """What happens to a positive."""

    ISOLATE = "isolate"
    HOLD = "hold"
    REFER = "refer"
    NONE = "none"


class Timing(Enum):
    """When in a stay people are screened (the codes the selection kernel compiles in)."""

    ON_ARRIVAL = 0
    BEFORE_DEPARTURE = 1
    ALL_PRESENT = 2


DAYS_BEFORE_DEPARTURE = 2  # screened on day leave_day - 2: two days (48 h) before leaving


class ScreeningConfig(Strict):
    where: SiteSelector
    timing: Literal["on_arrival", "before_departure", "all_present"] = "on_arrival"
    method: Literal[tuple(METHODS)]
    sensitivity: Optional[Union[Probability, dict[str, Probability]]] = None  # overrides the method's
    specificity: Optional[Probability] = None
    coverage: Probability = 1.0
    capacity_per_day: Count = 1_000_000
    on_positive: Literal[tuple(action.value for action in Action)] = "isolate"
    isolation_days: integer(ge=1, le=MAX_DAYS) = 10
    isolation_places: Optional[Count] = None  # per site; None: the scenario's isolation_places
    when_full: Literal["hold", "release"] = "hold"
    hold_days: integer(ge=1, le=MAX_DAYS) = 3
    cost_per_test: Optional[NonNegative] = Field(None, description="None: the method's (METHODS[method].cost)")
    sources: dict[str, str] = {}

    def sensitivity_by_state(self, state_names: tuple[str, ...]) -> np.ndarray:
        return sensitivity_by_state(self.method, self.sensitivity, state_names)

    @property
    def false_positive_rate(self) -> float:
        return 1.0 - (self.specificity if self.specificity is not None else METHODS[self.method].specificity)

    @property
    def unit_cost(self) -> float:
        return self.cost_per_test if self.cost_per_test is not None else METHODS[self.method].cost


def sensitivity_by_state(method: str, sensitivity, state_names: tuple[str, ...]) -> np.ndarray:
    """A test's sensitivity in each natural-history state: the method's, or one value for the
    states the method detects, or one per state as given."""
    given = sensitivity if sensitivity is not None else METHODS[method].sensitivity
    if isinstance(given, dict):
        return np.array([given.get(name, 0.0) for name in state_names])
    return np.array([given if name in METHODS[method].sensitivity else 0.0 for name in state_names])


class Due(NamedTuple):
    """Who the selection kernel looks for today."""

    offered: np.ndarray  # bool per node
    timing: int  # Timing code
    coverage: float
    coverage_key: np.uint64


@nb.njit(cache=True, parallel=True)
def mark_due(mask, people, day, due):
    """In parallel: who is due a test today if capacity lasts (present where the programme is
    offered, not held, at the programme's moment of the stay, and reached by its coverage)."""
    uid, where, node, hold_timer = people.uid, people.where, people.node, people.hold_timer
    arrival_day, leave_day = people.arrival_day, people.leave_day
    offered, timing, coverage, coverage_key = due.offered, due.timing, due.coverage, due.coverage_key
    for i in nb.prange(people.count):
        chosen = True  # the rarest condition first
        if timing == 0 and arrival_day[i] != day:
            chosen = False
        elif timing == 1:
            days_left = leave_day[i] - day
            if days_left != DAYS_BEFORE_DEPARTURE and not (days_left == 1 and arrival_day[i] == day):
                chosen = False  # two days before leaving, or on arrival for a one-day stay
        if chosen and (where[i] != AT_NODE or not offered[node[i]] or hold_timer[i] > 0):
            chosen = False
        mask[i] = chosen and uniform_at(coverage_key, uid[i]) < coverage


class Screening(Programme):
    """One screening programme: its sites, test, and what happens to positives."""

    kind = "screening"
    Config = ScreeningConfig
    stage = Stage.SITES_ACT
    rank = 20
    metrics = ("screened", "true_positives", "false_positives", "screening_capacity_reached", "isolations",
               "isolation_full", "held", "referrals")
    cost_items = ("tests",)

    def __init__(self, model, name: str, config: ScreeningConfig):
        super().__init__(model, name, config)
        routes = model.routes
        self.where = config.where.mask(routes.node_ids, routes.kind)
        self.sensitivity = config.sensitivity_by_state(model.disease.names)
        disease = model.disease
        self.uninfected = np.isin(np.arange(len(disease.names)), [disease.susceptible, disease.recovered, disease.dead])
        self.places = (routes.isolation_places if config.isolation_places is None
                       else np.full_like(routes.isolation_places, config.isolation_places))
        self.refers_to_care = np.array([routes.is_care[routes.edge_target[routes.out_start[n]:routes.out_start[n + 1]]].any()
                                        for n in range(routes.node_count)])
        self.tests_today = np.zeros(routes.node_count, dtype=np.int64)
        self.capacity_today = np.zeros(routes.node_count, dtype=np.int64)

    @classmethod
    def at_zero_strength(cls, config):
        return config.model_copy(update={"coverage": 0.0})

    def sites(self) -> np.ndarray:
        return self.where

    def step(self, day: int, tally) -> None:
        model, people, cfg = self.model, self.model.people, self.config
        offered, capacity = model.programmes.offer(self.kind, self.name, self.where, cfg.capacity_per_day)
        mark_due(model.selection.mask(people), people.view(), day,
                 Due(offered, Timing[cfg.timing.upper()].value, cfg.coverage, self.key("coverage", day)))
        due = model.selection.rows()
        served = first_come_first_served(due, people.node, capacity)
        tested, node = due[served], people.node
        tally.count("screening_capacity_reached", node[due[~served]])
        tally.count("screened", node[tested])
        state = people.state[tested]
        u = uniforms(self.key("test", day), people.uid[tested].astype(np.int64))
        infected = ~self.uninfected[state]
        positive = np.where(infected, u < self.sensitivity[state], u < cfg.false_positive_rate)
        tally.count("true_positives", node[tested[positive & infected]])
        tally.count("false_positives", node[tested[positive & ~infected]])
        tally.count("detected", node[actions.detect(people, tested[positive & infected])])
        self.act_on(tested[positive], day, tally)
        self.tests_today = np.bincount(node[tested], minlength=model.routes.node_count)
        self.capacity_today = capacity
        self.cost[day] += self.tests_today * cfg.unit_cost

    def act_on(self, positives: np.ndarray, day: int, tally) -> None:
        """Isolate, hold or refer the positives, as configured."""
        people, cfg, node = self.model.people, self.config, self.model.people.node
        action = Action(cfg.on_positive)
        if action is Action.NONE:
            return
        held = positives
        if action is Action.REFER:
            to_care = self.refers_to_care[node[positives]]
            actions.refer(people, positives[to_care], day)
            tally.count("referrals", node[positives[to_care]])
            held = positives[~to_care]  # no clinic or hospital to go to from here
        elif action is Action.ISOLATE:
            placed = self.model.programmes.isolation.admit(positives, self.places, cfg.isolation_days, day)
            tally.count("isolations", node[positives[placed]])
            tally.count("isolation_full", node[positives[~placed]])
            held = positives[~placed] if cfg.when_full == "hold" else positives[:0]
        actions.hold(people, held, cfg.hold_days)
        tally.count("held", node[held])

    def problems(self, day: int) -> list[str]:
        over = np.flatnonzero(self.tests_today > self.capacity_today)
        return [f"screening.{self.name}: {self.tests_today[n]} tests at node {n}, capacity {self.capacity_today[n]}"
                for n in over]
