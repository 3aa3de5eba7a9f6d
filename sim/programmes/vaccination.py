"""Vaccination at sites: schedules, uptake and hesitancy, supply, reactive campaigns,
post-exposure doses.

Responsible for: offering the next dose of a schedule to eligible people present at the sites of
the programme (age group, fewer doses than the schedule, the interval since the last dose passed),
who accept with probability uptake x (1 - hesitancy of their origin), within each site's daily
supply, first come first served. The schedule, the efficacy after each dose (as configured, never
interpolated), the delay to protection and the mode (leaky, or all or nothing) are the disease's
vaccine's (sim.schema.Vaccine) unless the programme gives its own. A later dose is given only where
the person is when it is due and a site there offers it; people who move on before then keep the
doses they had. Protection takes effect `delay_days` after a dose; a dose given within the
vaccine's post-exposure window of infection (measles: 72 hours) may stop the infection. A dose
whose protection would start only after the person leaves the route is counted
(`doses_protecting_after_exit`, at the destination). A reactive programme is offered at a site
only while a campaign runs there: from the day reported cases at the site over `window_days` reach
`threshold`, for `duration_days`.
Reads: where, node, age_group, origin, state, state_day, doses, last_dose_day. Writes: doses,
last_dose_day, protection; state, state_day, state_timer of infections a dose stops. Owns the
columns doses and last_dose_day (people vaccinated at origin count as having had a complete
schedule long ago).
One step: update the campaigns, select who takes a dose (in parallel), give doses within supply,
start the protection of doses given `delay_days` ago. Later the same day other programmes may
`give` doses of it to people they reach (ring vaccination of a case's contacts and site), from the
supply left; a programme with `routine: false` gives doses only that way. Draws: acceptance per
person and dose number (so a refusal is the person's, not the day's), whether a dose takes (all or
nothing: one per person), whether a post-exposure dose stops the infection.
"""
from typing import Literal, NamedTuple, Optional

import numba as nb
import numpy as np
from pydantic import Field, model_validator

from sim.errors import Problem
from sim.fields import AGE_GROUPS, Count, Days, Probability, Strict, integer
from sim.schema import non_decreasing_problem
from sim.population import AT_NODE, ON_EDGE, Column
from sim.programme import Programme, ProgrammeConfig, Stage
from sim.programmes.money import Money
from sim.programmes.sites import SiteSelector
from sim.rng import uniform_at, uniforms
from sim.selection import first_come_first_served

LONG_AGO = -30000  # last-dose day of people vaccinated before they set off (a complete schedule)


class Reactive(Strict):
    threshold: integer(ge=1)
    window_days: integer(ge=1) = 7
    duration_days: integer(ge=1) = 14


class VaccinationConfig(ProgrammeConfig):
    """The schedule, its efficacy per dose, the delay to protection and the mode are the
    disease's vaccine's (disease.vaccine: sim.schema.Vaccine) unless given here; a run fills them
    in (for_disease), so its config.json says what was given."""

    where: SiteSelector
    eligible_ages: list[Literal[AGE_GROUPS]] = list(AGE_GROUPS)
    doses: Optional[integer(ge=1, le=5)] = None  # None: the disease's schedule
    interval_days: Optional[Days] = None
    efficacy: Optional[list[Probability]] = Field(None, description="after each dose, as given (never interpolated); "
                                                                    "None: the disease's vaccine's")
    delay_days: Optional[Days] = None
    mode: Optional[Literal["leaky", "all_or_nothing"]] = None
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
        if self.efficacy is not None:
            if self.doses is not None and len(self.efficacy) != self.doses:
                raise ValueError(f"efficacy: give one value per dose ({self.doses}), not {len(self.efficacy)}")
            problem = non_decreasing_problem(self.efficacy)
            if problem:
                raise ValueError(problem)
        return self

    def of_vaccine(self, vaccine) -> "VaccinationConfig":
        """Filled in from the disease's vaccine (sim.schema.Vaccine): what this config leaves out.
        A shorter or longer schedule than the vaccine's needs its own efficacy."""
        doses = self.doses or (len(self.efficacy) if self.efficacy else len(vaccine.efficacy_by_dose))
        given = {"doses": doses, "efficacy": self.efficacy or vaccine.efficacy_by_dose[:doses],
                 "interval_days": vaccine.interval_days, "delay_days": vaccine.delay_days, "mode": vaccine.mode}
        return self.model_copy(update={key: value for key, value in given.items() if getattr(self, key) is None})

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


class Response(NamedTuple):
    """How doses protect (the protection kernel reads it by name)."""

    all_or_nothing: bool
    level_by_dose: np.ndarray  # leaky: the ProtectionLevels index of each dose's efficacy
    efficacy_by_dose: np.ndarray  # all or nothing: the share a dose protects, after it and those before
    full: np.uint8  # the ProtectionLevels index of full protection
    key: np.uint64  # all or nothing: each person's one draw of whether a dose takes


@nb.njit(cache=True, parallel=True)
def protect(people, doses, last_dose_day, day, delay, response):
    """Protection from a dose starts `delay` days after it (never lowering what a person has).
    Leaky: the dose's efficacy. All or nothing: full protection if the person's one uniform is
    below the dose's efficacy, so a later dose with a higher efficacy protects everyone an
    earlier one did and some more (nearly all who do not respond to a first measles dose respond
    to the second)."""
    uid, where, protection = people.uid, people.where, people.protection
    all_or_nothing, level_by_dose, efficacy_by_dose = response.all_or_nothing, response.level_by_dose, response.efficacy_by_dose
    full, key = response.full, response.key
    for i in nb.prange(people.count):
        if (where[i] == AT_NODE or where[i] == ON_EDGE) and doses[i] > 0 and day - last_dose_day[i] == delay:
            dose = min(doses[i], level_by_dose.shape[0]) - 1
            if all_or_nothing:
                gained = full if uniform_at(key, uid[i]) < efficacy_by_dose[dose] else np.uint8(0)
            else:
                gained = level_by_dose[dose]
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
    metrics = ("doses", "completed_schedules", "post_exposure_protected", "doses_protecting_after_exit")
    cost_items = {"doses": "dose"}

    def __init__(self, model, name: str, config: VaccinationConfig):
        super().__init__(model, name, config)
        routes = model.routes
        self.where = config.where.mask(routes.node_ids, routes.kind)
        self.campaign_until = np.full(routes.node_count, -1)  # last day of each site's reactive campaign
        codes = model.arrivals.traits.codes
        self.offer = Offer(
            offered=self.where, eligible_age=np.isin(AGE_GROUPS, config.eligible_ages), schedule_doses=config.doses,
            interval=config.interval_days, acceptance=config.acceptance_by_origin(codes),
            # acceptance is the person's, per dose, not the day's: one key per dose number
            accept_keys=np.array([self.key("accept", dose) for dose in range(config.doses)], dtype=np.uint64))
        efficacy = np.asarray(config.efficacy, dtype=np.float64)
        self.response = Response(config.mode == "all_or_nothing", model.protection.level(efficacy), efficacy,
                                 model.protection.level(1.0), self.key("response", 0))
        self.post_exposure = model.config.disease.vaccine.post_exposure if model.config.disease.vaccine else None
        self.offer_today = self.offer
        self.cost_per_dose = (config.cost_per_dose if config.cost_per_dose is not None
                              else model.config.policy.dose_costs[model.config.disease.name])
        self.doses_today = np.zeros(routes.node_count, dtype=np.int64)
        self.supply_today = np.zeros(routes.node_count, dtype=np.int64)

    @classmethod
    def at_zero_strength(cls, config):
        return config.model_copy(update={"uptake": 0.0})

    @classmethod
    def for_disease(cls, config, disease):
        return config.of_vaccine(disease.vaccine) if disease.vaccine is not None else config

    @classmethod
    def run_problems(cls, path, config, policy, disease, states) -> list:
        problems = []
        left = [key for key in ("doses", "efficacy", "interval_days", "delay_days", "mode") if getattr(config, key) is None]
        if disease.vaccine is None and left:
            problems.append(Problem(f"{path}.{left[0]}", None, f"{disease.name} has no vaccine (disease.vaccine in "
                                                               f"conf/disease/{disease.name}.yaml): give {', '.join(left)} "
                                                               f"here, or leave vaccination out"))
        elif disease.vaccine is not None and config.efficacy is None and config.doses is not None \
                and config.doses > len(disease.vaccine.efficacy_by_dose):
            problems.append(Problem(f"{path}.doses", config.doses, f"at most the {len(disease.vaccine.efficacy_by_dose)} "
                                                                   f"doses {disease.name}'s vaccine has efficacies for, "
                                                                   f"or give their efficacy"))
        if config.cost_per_dose is None and disease.name not in policy.dose_costs:
            problems.append(Problem(f"policy.dose_costs.{disease.name}", "(missing)", f"a cost per dose of the "
                                    f"{disease.name} vaccine (used by {path}), or {path}.cost_per_dose"))
        return problems

    @classmethod
    def protections(cls, config, disease_efficacy: float) -> tuple[float, ...]:
        """Leaky: each dose's efficacy; all or nothing: full protection. Full protection too for
        people a dose saves after exposure."""
        return (*(config.efficacy if config.mode == "leaky" else ()), 1.0)

    def sites(self) -> np.ndarray:
        return self.where

    def on_arrival(self, people, rows: np.ndarray, vaccinated: np.ndarray) -> None:
        people.doses[rows[vaccinated]] = self.config.doses  # vaccinated at origin: a complete schedule
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
        protect(people.view(), people.doses, people.last_dose_day, day, cfg.delay_days, self.response)

    def step_off(self, day: int, tally) -> None:
        """Outside its window: offered nowhere (so no other programme gives its doses either),
        while the protection of doses given before it ended still starts on time."""
        nodes = self.model.routes.node_count
        self.offer_today = self.offer._replace(offered=np.zeros(nodes, dtype=np.bool_))
        self.supply_today, self.doses_today = np.zeros(nodes, dtype=np.int64), np.zeros(nodes, dtype=np.int64)
        protect(self.model.people.view(), self.model.people.doses, self.model.people.last_dose_day, day,
                self.config.delay_days, self.response)

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
        self.stop_infections(given, day, tally)
        return given

    def stop_infections(self, given: np.ndarray, day: int, tally) -> None:
        """Post-exposure vaccination: a dose given within `post_exposure.within_days` of
        infection stops it with the vaccine's post-exposure efficacy (the person is then immune:
        full protection); later, it protects only against the next exposure."""
        if self.post_exposure is None:
            return
        people, disease = self.model.people, self.model.disease
        soon = given[(people.state[given] == disease.exposed)
                     & (day - people.state_day[given].astype(np.int64) <= self.post_exposure.within_days)]
        u = uniforms(self.key("post_exposure", day), people.uid[soon].astype(np.int64))
        stopped = soon[u < self.post_exposure.efficacy]
        people.state[stopped] = disease.susceptible
        people.state_day[stopped] = day
        people.state_timer[stopped] = 0
        people.protection[stopped] = self.response.full
        tally.count("post_exposure_protected", people.node[stopped])

    def before_exit(self, rows: np.ndarray, day: int, counts) -> None:
        """Doses whose protection cannot start before the person leaves the route: the last dose,
        given fewer than `delay_days` before the day they leave (counted at the destination, once
        for the kind: its columns are shared by its programmes)."""
        if self is not next(p for p in self.model.programmes.running if p.kind == self.kind):
            return
        people = self.model.people
        last = people.last_dose_day[rows].astype(np.int64)
        late = rows[(people.doses[rows] > 0) & (last != LONG_AGO) & (last + self.config.delay_days >= day)]
        counts.count("doses_protecting_after_exit", people.node[late])

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
