"""Vaccination at sites: schedules, uptake and hesitancy, supply, reactive campaigns.

Responsible for: offering the next dose of a schedule to eligible people present at the sites of
the programme (age group, fewer doses than the schedule, the interval since the last dose passed),
who accept with probability uptake x (1 - hesitancy of their origin), within each site's daily
supply, first come first served. A later dose is given only where the person is when it is due and
a site there offers it; people who move on before then keep the doses they had. Protection (leaky)
takes effect `delay_days` after a dose. A reactive programme is offered at a site only while a
campaign runs there: from the day reported cases at the site over `window_days` reach `threshold`,
for `duration_days`.
Reads: where, node, age_group, origin, doses, last_dose_day. Writes: doses, last_dose_day,
protection. Owns the columns doses and last_dose_day (people vaccinated at origin count as having
had a complete two-dose schedule long ago).
One step: update the campaigns, select who takes a dose (in parallel), give doses within supply,
start the protection of doses given `delay_days` ago. Later the same day other programmes may
`give` doses of it to people they reach (ring vaccination of a case's contacts), from the supply
left; a programme with `routine: false` gives doses only that way. Draws: acceptance per person and dose number (so a refusal is the person's, not the day's).
"""

from typing import Literal, NamedTuple, Optional

import numba as nb
import numpy as np
from pydantic import Field, model_validator

from sim.errors import Problem
from sim.fields import AGE_GROUPS, Count, Days, Probability, Strict, integer
from sim.population import AT_NODE, ON_EDGE, Column
from sim.programme import Programme, Stage
from sim.programmes.money import Money
from sim.programmes.sites import SiteSelector
from sim.rng import uniform_at
from sim.selection import first_come_first_served

PRIOR_DOSES = 2  # people vaccinated at origin count as having had a complete two-dose schedule
LONG_AGO = -30000  # last-dose day of people vaccinated before they set off


class Reactive(Strict):
    threshold: integer(ge=1)
    window_days: integer(ge=1) = 7
    duration_days: integer(ge=1) = 14


class VaccinationConfig(Strict):
    where: SiteSelector
    eligible_ages: list[Literal[AGE_GROUPS]] = list(AGE_GROUPS)
    doses: integer(ge=1, le=5) = 2
    interval_days: Days = 28
    efficacy: Optional[list[Probability]] = None  # after each dose; None: the disease's, built up linearly
    delay_days: Days = 14
    uptake: Probability = 0.8
    hesitancy: dict[str, Probability] = {}  # extra refusal by origin code
    supply_per_day: Count = 1_000_000  # doses per site per day
    reactive: Optional[Reactive] = None
    routine: bool = Field(True, description="false: doses only for the people another programme brings (the "
                                            "contacts of a case: ring vaccination), not for everyone present")
    cost_per_dose: Optional[Money] = Field(None, description="None: the policy's dose_costs for the run's disease "
                                                             "(vaccine and delivery)")
    sources: dict[str, str] = {}

    @model_validator(mode="after")
    def _efficacy_per_dose(self):
        if self.efficacy is not None and len(self.efficacy) != self.doses:
            raise ValueError(f"efficacy: give one value per dose ({self.doses}), not {len(self.efficacy)}")
        return self

    def efficacy_by_dose(self, disease_efficacy: float) -> np.ndarray:
        if self.efficacy is not None:
            return np.asarray(self.efficacy, dtype=np.float64)
        return disease_efficacy * np.arange(1, self.doses + 1) / self.doses

    def acceptance_by_origin(self, origin_codes: tuple[str, ...]) -> np.ndarray:
        return np.array([self.uptake * (1.0 - self.hesitancy.get(code, 0.0)) for code in origin_codes] or [self.uptake])


class Offer(NamedTuple):
    """Who the selection kernel looks for today."""

    offered: np.ndarray  # bool per node
    eligible_age: np.ndarray  # bool per age group
    schedule_doses: int
    interval: int
    acceptance: np.ndarray  # per origin
    accept_keys: np.ndarray  # uint64 per dose number


@nb.njit(cache=True, parallel=True)
def mark_willing(mask, people, doses, last_dose_day, day, offer):
    """In parallel: who takes a dose today if supply lasts (present where the programme is offered,
    of an eligible age, the next dose due, and accepting it)."""
    uid, where, node, age_group, origin = people.uid, people.where, people.node, people.age_group, people.origin
    offered, eligible_age, schedule_doses, interval = offer.offered, offer.eligible_age, offer.schedule_doses, offer.interval
    acceptance, accept_keys = offer.acceptance, offer.accept_keys
    for i in nb.prange(people.count):
        given = doses[i]  # most people are either done or not yet due: the cheapest test first
        mask[i] = (given < schedule_doses and (given == 0 or day - last_dose_day[i] >= interval)
                   and where[i] == AT_NODE and offered[node[i]] and eligible_age[age_group[i]]
                   and uniform_at(accept_keys[given], uid[i]) < acceptance[origin[i]])


@nb.njit(cache=True, parallel=True)
def protect(people, doses, last_dose_day, day, delay, level_by_dose):
    """Protection from a dose starts `delay` days after it (never lowering what a person has).
    `level_by_dose`: the ProtectionLevels index of each dose's efficacy."""
    where, protection = people.where, people.protection
    for i in nb.prange(people.count):
        if (where[i] == AT_NODE or where[i] == ON_EDGE) and doses[i] > 0 and day - last_dose_day[i] == delay:
            gained = level_by_dose[min(doses[i], level_by_dose.shape[0]) - 1]
            if gained > protection[i]:
                protection[i] = gained


class Vaccination(Programme):
    """One vaccination programme: its sites, schedule, uptake, supply and campaigns."""

    kind = "vaccination"
    Config = VaccinationConfig
    stage = Stage.SITES_ACT
    rank = 30
    columns = (
        Column("doses", np.int8, owner="vaccination", doc="vaccine doses received"),
        Column("last_dose_day", np.int16, owner="vaccination", doc="day of the last dose (LONG_AGO: at origin)"),
    )
    metrics = ("doses", "completed_schedules")
    cost_items = {"doses": "dose"}

    def __init__(self, model, name: str, config: VaccinationConfig):
        super().__init__(model, name, config)
        routes, seed = model.routes, model.config.seed
        self.where = config.where.mask(routes.node_ids, routes.kind)
        self.campaign_until = np.full(routes.node_count, -1)  # last day of each site's reactive campaign
        codes = model.arrivals.traits.codes
        self.offer = Offer(
            offered=self.where, eligible_age=np.isin(AGE_GROUPS, config.eligible_ages), schedule_doses=config.doses,
            interval=config.interval_days, acceptance=config.acceptance_by_origin(codes),
            # acceptance is the person's, per dose, not the day's: one key per dose number
            accept_keys=np.array([self.key("accept", dose) for dose in range(config.doses)], dtype=np.uint64))
        self.level_by_dose = model.protection.level(config.efficacy_by_dose(model.disease.vaccine_efficacy))
        self.offer_today = self.offer
        self.cost_per_dose = (config.cost_per_dose if config.cost_per_dose is not None
                              else model.config.policy.dose_costs[model.config.disease.name])
        self.doses_today = np.zeros(routes.node_count, dtype=np.int64)
        self.supply_today = np.zeros(routes.node_count, dtype=np.int64)

    @classmethod
    def at_zero_strength(cls, config):
        return config.model_copy(update={"uptake": 0.0})

    @classmethod
    def run_problems(cls, path, config, policy, disease, states) -> list:
        if config.cost_per_dose is None and disease.name not in policy.dose_costs:
            return [Problem(f"policy.dose_costs.{disease.name}", "(missing)",
                            f"a cost per dose of the {disease.name} vaccine (used by {path}), or {path}.cost_per_dose")]
        return []

    @classmethod
    def protections(cls, config, disease_efficacy: float) -> tuple[float, ...]:
        return tuple(config.efficacy_by_dose(disease_efficacy))

    def sites(self) -> np.ndarray:
        return self.where

    def on_arrival(self, people, rows: np.ndarray, vaccinated: np.ndarray) -> None:
        people.doses[rows[vaccinated]] = PRIOR_DOSES
        people.last_dose_day[rows[vaccinated]] = LONG_AGO

    def step(self, day: int, tally) -> None:
        model, people, cfg = self.model, self.model.people, self.config
        where = self.where
        if cfg.reactive:
            self.update_campaigns(day)
            where = where & (self.campaign_until >= day)
        offered, self.supply_today = model.programmes.offer(self.kind, self.name, where, cfg.supply_per_day)
        self.offer_today = self.offer._replace(offered=offered)
        self.doses_today = np.zeros(model.routes.node_count, dtype=np.int64)
        if cfg.routine:
            self.vaccinate(self.willing(day), day, tally)
        protect(people.view(), people.doses, people.last_dose_day, day, cfg.delay_days, self.level_by_dose)

    def give(self, rows: np.ndarray, day: int, tally) -> np.ndarray:
        """The next dose to those of `rows` (in person order) this programme would vaccinate today
        (present where it is offered today, eligible, due, accepting), from the supply it has
        left today; returns who got one. For programmes that run after it in the day."""
        willing = self.willing(day)
        return self.vaccinate(willing[np.isin(willing, rows)], day, tally)

    def willing(self, day: int) -> np.ndarray:
        """Everyone who would take a dose today if supply lasted, in person order."""
        people, selection = self.model.people, self.model.selection
        mark_willing(selection.mask(people), people.view(), people.doses, people.last_dose_day, day, self.offer_today)
        return selection.rows()

    def vaccinate(self, willing: np.ndarray, day: int, tally) -> np.ndarray:
        """Doses to `willing` while today's supply lasts at each site, first come first served."""
        people, cfg = self.model.people, self.config
        given = willing[first_come_first_served(willing, people.node, self.supply_today - self.doses_today)]
        people.doses[given] += 1
        people.last_dose_day[given] = day
        tally.count("doses", people.node[given])
        tally.count("completed_schedules", people.node[given[people.doses[given] == cfg.doses]])
        counted = np.bincount(people.node[given], minlength=self.model.routes.node_count)
        self.doses_today += counted
        self.spend("doses", day, counted, self.cost_per_dose)
        return given

    def update_campaigns(self, day: int) -> None:
        """Each site starts a reactive campaign when its reported cases over the window reach the
        threshold (reports arrive `reporting_delay_days` after detection)."""
        reactive = self.config.reactive
        last = day - self.model.config.policy.surveillance.reporting_delay_days  # detections reported by today
        if last < 0:
            return
        detected = self.model.recorder.metric("migrants", "detected")
        reported = detected[max(0, last - reactive.window_days + 1): last + 1].sum(axis=0)
        starts = self.where & (reported >= reactive.threshold) & (self.campaign_until < day)
        self.campaign_until[starts] = day + reactive.duration_days - 1

    def describe(self, row: int) -> dict:
        return {"vaccine_doses": int(self.model.people.doses[row])}

    def problems(self, day: int) -> list[str]:
        over = np.flatnonzero(self.doses_today > self.supply_today)
        return [f"vaccination.{self.name}: {self.doses_today[n]} doses at node {n}, supply {self.supply_today[n]}"
                for n in over]
