"""Screening at border crossings, points of entry, and before departure.

Responsible for: testing people at the sites that screen, on the day they arrive there
(`on_arrival`), two days before they leave (`before_departure`: pre-embarkation checks 24 to 72
hours before travel; people staying a single day are checked on arrival, a day before they
leave), or everyone present that day (`all_present`: a mobile team's testing day), within each
site's daily capacity, first come first served; confirming the positives with a second test if
configured; then acting on positives (sim.programmes.actions.Positives): isolation at the site
while places last, for `isolation_days` during which travel waits (pre-departure checks so
both delay travel and separate the person), then `when_full` (referral to care by default, a
separate area, or release), or referral to care straight away.
Reads: where, node, state, flags, hold_timer, arrival_day, leave_day. Writes: flags (ISOLATED,
SEPARATED, IN_CARE, WAS_DETECTED, REFERRED), hold_timer, leave_day (referrals leave the next day).
One step: select who is due (in parallel), serve them within capacity, test them, act on the
positives. Draws: coverage, test and confirmation result per person and day.
"""

from enum import Enum
from typing import Literal, NamedTuple, Optional

import numba as nb
import numpy as np
from pydantic import Field

from sim.errors import Problem
from sim.fields import MAX_DAYS, Count, Probability, integer
from sim.population import AT_NODE, Column
from sim.programme import Programme, ProgrammeConfig, Stage
from sim.programmes.actions import POSITIVE_COSTS, POSITIVE_METRICS, Positives, WhenFull
from sim.programmes.money import Money
from sim.programmes.sites import SiteSelector
from sim.programmes.testing import MethodChoice, SensitivityOverride, Test, method_for, test_problems
from sim.rng import uniform_at, uniforms
from sim.selection import first_come_first_served


class Action(Enum):
    """What happens to a positive."""

    ISOLATE = "isolate"  # where places are free; the rest as when_full says
    REFER = "refer"  # to a clinic or hospital the site has a route to, under care
    NONE = "none"  # only counted (and detected)


class Timing(Enum):
    """When in a stay people are screened (the codes the selection kernel compiles in)."""

    ON_ARRIVAL = 0
    BEFORE_DEPARTURE = 1
    ALL_PRESENT = 2


DAYS_BEFORE_DEPARTURE = 2  # screened on day leave_day - 2: two days (48 h) before leaving


class ScreeningConfig(ProgrammeConfig):
    where: SiteSelector
    timing: Literal["on_arrival", "before_departure", "all_present"] = "on_arrival"
    method: MethodChoice = Field(description="a test with figures for the run's disease (disease.tests), or one per "
                                             "disease: {covid19: rapid_antigen, measles: pcr}")
    sensitivity: SensitivityOverride = None  # overrides the disease's figures for the method
    specificity: Optional[Probability] = None
    confirm_with: Optional[MethodChoice] = Field(
        None, description="a second test for the first test's positives; only those positive on both are acted on "
                          "(a symptom check, then a test for the disease); per disease, those not listed are not "
                          "confirmed")
    coverage: Probability = 1.0
    once: bool = Field(False, description="each person screened once by this programme, at the first of its sites "
                                          "they reach (registration screening), not at every site")
    capacity_per_day: Count = 1_000_000
    on_positive: Literal[tuple(action.value for action in Action)] = "isolate"
    isolation_days: integer(ge=1, le=MAX_DAYS) = 10  # in isolation or the separate area: travel waits
    isolation_places: Optional[Count] = None  # per site; None: the scenario's isolation_places
    when_full: WhenFull = Field("refer", description="when no isolation place is free: refer (to care; a site "
                                                     "without a route to care keeps them in its separate area), "
                                                     "separate_area, or release (sim/programmes/actions.py)")
    cost_per_test: Optional[Money] = Field(None, description="None: the policy's test_costs for the method")
    sources: dict[str, str] = {}


def confirmation_for(config: ScreeningConfig, disease: str) -> Optional[str]:
    """The confirmatory test for this disease, if any (a disease a mapping leaves out has none)."""
    return None if config.confirm_with is None else method_for(config.confirm_with, disease)


def test_cost(policy, method: str, given: Optional[float]) -> Optional[float]:
    """A test's unit cost: the programme's own, or the policy's for the method (None: neither)."""
    return given if given is not None else policy.test_costs.get(method)


def cost_problems(path: str, policy, method: Optional[str], given: Optional[float]) -> list[Problem]:
    if method is None or test_cost(policy, method, given) is not None:
        return []
    return [Problem(f"policy.test_costs.{method}", "(missing)", f"a cost per {method} test (used by {path}), or "
                                                              f"{path}.cost_per_test")]


class Due(NamedTuple):
    """Who the selection kernel looks for today."""

    offered: np.ndarray  # bool per node
    timing: int  # Timing code
    coverage: float
    coverage_key: np.uint64
    once: np.uint8  # the programme's bit of the `screenings` column if it screens each person once, else 0


@nb.njit(cache=True, parallel=True)
def mark_due(mask, people, screenings, day, due):
    """In parallel: who is due a test today if capacity lasts (present where the programme is
    offered, not held, at the programme's moment of the stay, reached by its coverage, and not
    screened by it before if it screens once)."""
    uid, where, node, hold_timer = people.uid, people.where, people.node, people.hold_timer
    arrival_day, leave_day = people.arrival_day, people.leave_day
    offered, timing, coverage, coverage_key, once = due.offered, due.timing, due.coverage, due.coverage_key, due.once
    for i in nb.prange(people.count):
        chosen = not screenings[i] & once  # the rarest condition first
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
    columns = (Column("screenings", np.uint8, owner="screening",
                      doc="a bit for each screening programme (in the policy's order) that screens once and has screened the person"),)
    metrics = ("screened", "confirmation_tests", "true_positives", "false_positives", "screening_capacity_reached",
               *POSITIVE_METRICS)
    cost_items = {"tests": "test", **POSITIVE_COSTS}

    def __init__(self, model, name: str, config: ScreeningConfig):
        super().__init__(model, name, config)
        routes, disease, policy = model.routes, model.config.disease, model.config.policy
        self.where = config.where.mask(routes.node_ids, routes.kind)
        self.test = Test.of(config.method, config.sensitivity, config.specificity, disease, model.disease.names)
        self.unit_cost = test_cost(policy, self.test.method, config.cost_per_test)
        confirm = confirmation_for(config, disease.name)
        self.confirmation = Test.of(confirm, None, None, disease, model.disease.names) if confirm is not None else None
        self.confirmation_cost = test_cost(policy, self.confirmation.method, None) if self.confirmation else 0.0
        places = (routes.isolation_places if config.isolation_places is None
                  else np.full_like(routes.isolation_places, config.isolation_places))
        self.positives = Positives(self, places, config.isolation_days, config.when_full)
        position = list(model.config.policy.screening).index(name)
        self.once = np.uint8(1 << position if config.once else 0)
        self.tests_today = np.zeros(routes.node_count, dtype=np.int64)
        self.capacity_today = np.zeros(routes.node_count, dtype=np.int64)

    @classmethod
    def at_zero_strength(cls, config):
        return config.model_copy(update={"coverage": 0.0})

    @classmethod
    def policy_problems(cls, policy) -> list[str]:
        """A person's `screenings` byte has a bit per programme."""
        return [f"screening: at most 8 programmes ({len(policy.screening)} given)"] if len(policy.screening) > 8 else []

    @classmethod
    def run_problems(cls, path, config, policy, disease, states) -> list:
        confirm = confirmation_for(config, disease.name)
        problems = test_problems(path, config.method, config.sensitivity, disease, states)
        if confirm is not None:
            problems += test_problems(f"{path}.confirm_with", confirm, None, disease, states)
        if not problems:
            problems += cost_problems(path, policy, method_for(config.method, disease.name), config.cost_per_test)
            problems += cost_problems(path, policy, confirm, None)
        return problems

    def sites(self) -> np.ndarray:
        return self.where

    def step(self, day: int, tally) -> None:
        model, people, cfg = self.model, self.model.people, self.config
        offered, capacity = model.programmes.offer(self.kind, self.name, self.where, cfg.capacity_per_day)
        mark_due(model.selection.mask(people), people.view(), people.screenings, day,
                 Due(offered, Timing[cfg.timing.upper()].value, cfg.coverage, self.key("coverage", day), self.once))
        due = model.selection.rows()
        served = first_come_first_served(due, people.node, capacity)
        tested, node = due[served], people.node
        tally.count("screening_capacity_reached", node[due[~served]])
        tally.count("screened", node[tested])
        people.screenings[tested] |= self.once
        positives = tested[self.test.positive(people.state[tested], self.draws("test", day, tested))]
        if self.confirmation is not None:
            tally.count("confirmation_tests", node[positives])
            self.spend("tests", day, np.bincount(node[positives], minlength=model.routes.node_count), self.confirmation_cost)
            positives = positives[self.confirmation.positive(people.state[positives], self.draws("confirm", day, positives))]
        infected = self.test.infected[people.state[positives]]
        tally.count("true_positives", node[positives[infected]])
        tally.count("false_positives", node[positives[~infected]])
        tally.count("detected", node[model.programmes.diagnose(positives[infected])])
        self.act_on(positives, day, tally)
        self.tests_today = np.bincount(node[tested], minlength=model.routes.node_count)
        self.capacity_today = capacity
        self.spend("tests", day, self.tests_today, self.unit_cost)

    def draws(self, decision: str, day: int, rows: np.ndarray) -> np.ndarray:
        return uniforms(self.key(decision, day), self.model.people.uid[rows].astype(np.int64))

    def act_on(self, positives: np.ndarray, day: int, tally) -> None:
        """Isolate or refer the positives, as configured."""
        action = Action(self.config.on_positive)
        if action is Action.ISOLATE:
            self.positives.isolate(positives, day, tally)
        elif action is Action.REFER:
            self.positives.refer(positives, day, tally)

    def problems(self, day: int) -> list[str]:
        over = np.flatnonzero(self.tests_today > self.capacity_today)
        return [f"screening.{self.name}: {self.tests_today[n]} tests at node {n}, capacity {self.capacity_today[n]}"
                for n in over]
