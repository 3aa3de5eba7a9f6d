"""Validation of the core's inputs: the scenario file format, and the disease, transmission and
scenario choice of a run (sim.runconfig adds the policy, whose fields the programmes declare).

Pydantic models with `extra="forbid"`, so a misspelled key is an error, not a silent default.
`parse_scenario` returns a typed scenario or raises `ConfigError` listing every bad value at once,
each with its key path, the value and what is allowed (`problems_from`).
"""

from datetime import date
from typing import Annotated, Literal, Optional, Union

import numpy as np
from pydantic import BeforeValidator, Field, ValidationError, model_validator

from sim.diagnostics import METHOD_NAMES, TestFigures
from sim.errors import ConfigError, Problem
from sim.outcomes import Outcomes
from sim.fields import (
    AGE_GROUPS, MAX_COUNT, MAX_DAYS, MAX_EDGES, MAX_NODES, NODE_KINDS, Count, DayOrDate, Days, Identifier, Name,
    NonNegative, Positive, Probability, Shape, Strict, Text, integer, number, unwrap_sourced,
)


# ---------------------------------------------------------------- scenario files


MAX_RELATIVE_INFECTIOUSNESS = 1000  # x 2**16 fixed point x 2**31 people stays below 2**63
MAX_ORIGINS = 127  # a person's origin is an int8
MAX_LIST = 10_000  # initial groups, events, languages: far more than any route has
MAX_DWELL_WORK = 5_000  # dwell tables are tabulated once per distinct (mean, shape), at a cost growing with shape
Source = Optional[Text]


class ByAge(Strict):
    """One value per age group (sim.fields.AGE_GROUPS), with its source."""

    age_0_4: Probability = Field(alias="0-4")
    age_5_17: Probability = Field(alias="5-17")
    age_18_59: Probability = Field(alias="18-59")
    age_60_plus: Probability = Field(alias="60+")
    source: Optional[str] = None

    def array(self) -> np.ndarray:
        return np.array([self.age_0_4, self.age_5_17, self.age_18_59, self.age_60_plus])


def by_age(value) -> np.ndarray:
    """A value per age group from one number or a ByAge."""
    return value.array() if isinstance(value, ByAge) else np.full(len(AGE_GROUPS), float(value))


class Dwell(Strict):
    mean: number(gt=0, le=3650)
    shape: Shape = 1
    source: Source = None


class Node(Strict):
    id: Identifier
    kind: Literal[NODE_KINDS]
    name: Name
    country: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    lat: number(ge=-90, le=90)
    lon: number(ge=-180, le=180)
    capacity: Count  # beds or places the site is built for; 0: none built (border strip, informal site)
    unit_size: Optional[number(ge=2, le=1000)] = None  # people per living unit; None: the kind's
    host_population: Count  # the people of the town who mix with the site, not the whole town
    isolation_places: Count = 0
    # route choice (sim.routes.RouteChoice): a closed site turns everyone away; a site holding
    # `full_at` people or more (present and on the way to it) turns newcomers away
    closed: bool = False
    full_at: Optional[Count] = None
    dwell: Dwell
    source: Source = None


class Country(Strict):
    """The host communities of a country: who they are, how immune, what reaches them from outside."""

    name: str
    age: ByAge  # age shares of the population
    immune: dict[str, Union[Probability, ByAge]] = {}  # by disease: share immune, overall or by age
    background: dict[str, NonNegative] = {}  # by disease: infections per susceptible a year from outside the route
    case_fatality: dict[str, Probability] = {}  # by disease: deaths per symptomatic case; default the disease's
    unsafe_water: Probability = 0.0  # exposure to a water-borne reservoir relative to a camp without WASH
    source: Optional[str] = None

    @model_validator(mode="after")
    def _some_age(self):
        if self.age.array().sum() <= 0:
            raise ValueError("age shares must not all be zero")
        return self


class Edge(Strict):
    from_: Identifier = Field(alias="from")
    to: Identifier
    travel_days: Days
    weight: Positive = 1.0
    source: Source = None


class GroupSize(Strict):
    mean: number(ge=1, le=1000)
    source: Source = None


class SeriesFile(Strict):
    """Dated arrivals (sim.series): a CSV file, by path relative to the scenario file, and what its
    counts count: people, or registrations (a person registered in several countries counts in
    each; turned into people as registrations_per_year is, sim.flows)."""

    file: Annotated[str, Field(min_length=1, max_length=4096)]
    counts: Literal["people", "registrations"]
    source: Source = None


class Arrivals(Strict):
    per_year: Optional[NonNegative] = None  # people
    per_day: Optional[NonNegative] = None
    # or: registrations a year and the chance a person entering each country is registered there
    # (sim.flows turns them into people, from the route's probabilities)
    registrations_per_year: Optional[NonNegative] = None
    registration: dict[Annotated[str, Field(pattern=r"^[A-Z]{3}$")], Probability] = {}
    entry: Annotated[dict[Identifier, Positive], Field(min_length=1, max_length=MAX_NODES)]
    origins: Annotated[dict[Identifier, Positive], Field(min_length=1, max_length=MAX_ORIGINS)]
    origins_by_entry: dict[Identifier, Annotated[dict[Identifier, Positive], Field(min_length=1, max_length=MAX_ORIGINS)]] = {}  # an entry's own origin mix, where it differs
    group_size: GroupSize = GroupSize(mean=1)
    seasonality: Optional[Annotated[list[NonNegative], BeforeValidator(unwrap_sourced), Field(min_length=12, max_length=12)]] = None
    # dated arrivals by entry and origin: replace the yearly figure x seasonality at the entries
    # and on the days they cover (sim.series)
    series: Optional[SeriesFile] = None
    source: Source = None

    @model_validator(mode="after")
    def _one_rate(self):
        if sum(rate is not None for rate in (self.per_year, self.per_day, self.registrations_per_year)) != 1:
            raise ValueError("give exactly one of per_year, per_day or registrations_per_year")
        if self.registrations_per_year is not None and not any(self.registration.values()):
            raise ValueError("registrations_per_year needs registration: the chance a person entering a country "
                             "is registered there, for at least one country")
        if self.seasonality is not None and sum(self.seasonality) <= 0:
            raise ValueError("seasonality factors must not all be zero")
        if self.series is not None and self.series.counts == "registrations" and not any(self.registration.values()):
            raise ValueError("a series of registrations needs registration: the chance a person entering a country "
                             "is registered there, for at least one country (to turn registrations into people)")
        return self

    @property
    def peak_factor(self) -> float:
        """People a day in the busiest month, over the year's mean."""
        season = self.seasonality or [1.0] * 12
        return max(season) / (sum(season) / 12)


class Immunity(Strict):
    vaccinated: Probability = 0.0  # documented doses at origin (vaccine protection unless by_age is given)
    immune: Probability = 0.0  # immune by past infection, among the not vaccinated
    by_age: Optional[ByAge] = None  # measured immunity (serosurveys) by age: replaces both for protection
    source: Source = None

    @model_validator(mode="after")
    def _at_most_everyone(self):
        if self.vaccinated + self.immune > 1:
            raise ValueError("vaccinated + immune must be at most 1")
        return self


class Origin(Strict):
    name: Name
    age: Annotated[dict[Literal[AGE_GROUPS], NonNegative], Field(min_length=1)]
    languages: Annotated[list[Name], Field(max_length=MAX_LIST)] = []
    tb_incidence_per_100k: Optional[number(ge=0, le=100_000)] = None
    immunity: dict[Identifier, Immunity] = {}
    # per disease: the share arriving infected (entering the first infected state), or shares per
    # natural-history state, e.g. tuberculosis: {latent: 0.2, symptomatic: 0.002}
    infected: dict[Identifier, Union[Probability, dict[Identifier, Probability]]] = {}
    source: Source = None

    @model_validator(mode="after")
    def _infected_at_most_everyone(self):
        for disease, shares in self.infected.items():
            if isinstance(shares, dict) and sum(shares.values()) > 1:
                raise ValueError(f"infected.{disease}: the shares must add up to at most 1")
        return self

    @model_validator(mode="after")
    def _some_age(self):
        if sum(self.age.values()) <= 0:
            raise ValueError("age shares must not all be zero")
        return self


class InitialGroup(Strict):
    node: Identifier
    people: integer(ge=1)
    infected: Count = 0
    immune: Count = 0
    origin: Identifier
    source: Source = None

    @model_validator(mode="after")
    def _within_people(self):
        if self.infected + self.immune > self.people:
            raise ValueError("infected + immune must be at most people")
        return self


EVENT_KEYS = {  # what each type of event needs besides name, type, day (and until, optional, source)
    "close_edge": ("from", "to"),  # nobody sets off along the edge from `day` until `until`
    "close_site": ("node",),  # every edge into the node closed: a site opening on a date is closed until then
    "change_capacity": ("node", "capacity"),  # the site's capacity from `day` (until `until`, then as built)
}


class Event(Strict):
    """Something that happens on the route from `day` (a day of the run or a date) until `until`
    (the first day it no longer holds; None: to the end). Events of the scenario run in every run;
    an `optional` one only when named in `scenario.events`."""

    name: Identifier
    type: Literal[tuple(EVENT_KEYS)]
    from_: Optional[Identifier] = Field(None, alias="from")
    to: Optional[Identifier] = None
    node: Optional[Identifier] = None
    capacity: Optional[Count] = None
    day: DayOrDate
    until: Optional[DayOrDate] = None
    optional: bool = False
    source: Source = None

    @model_validator(mode="after")
    def _keys_of_its_type(self):
        needs = EVENT_KEYS[self.type]
        given = {"from": self.from_, "to": self.to, "node": self.node, "capacity": self.capacity}
        missing = [key for key in needs if given[key] is None]
        extra = [key for key, value in given.items() if value is not None and key not in needs]
        if missing or extra:
            raise ValueError(f"an event of type {self.type} needs {', '.join(needs)}"
                             + (f" (missing: {', '.join(missing)})" if missing else "")
                             + (f" and takes no {', '.join(extra)}" if extra else ""))
        return self


class Scenario(Strict):
    name: Identifier
    description: Text = ""
    start_date: date
    nodes: Annotated[list[Node], Field(min_length=1, max_length=MAX_NODES)]
    edges: Annotated[list[Edge], Field(max_length=MAX_EDGES)] = []
    arrivals: Optional[Arrivals] = None
    origins: Annotated[dict[Identifier, Origin], Field(max_length=MAX_ORIGINS)] = {}
    countries: dict[Annotated[str, Field(pattern=r"^[A-Z]{3}$")], Country] = {}
    initial: Annotated[list[InitialGroup], Field(max_length=MAX_LIST)] = []
    events: Annotated[list[Event], Field(max_length=MAX_LIST)] = []
    source: Source = None

    @model_validator(mode="after")
    def _dwell_tables_in_reason(self):
        distinct = {(node.dwell.mean, node.dwell.shape) for node in self.nodes}
        work = sum(shape for _, shape in distinct)
        if work > MAX_DWELL_WORK:
            raise ValueError(f"nodes: {len(distinct):,} different dwell distributions whose shapes add up to "
                             f"{work:,}; at most {MAX_DWELL_WORK:,} (each is tabulated once: share distributions "
                             "between nodes, or round their means)")
        return self

    @model_validator(mode="after")
    def _people_fit(self):
        people = sum(group.people for group in self.initial)
        if people > MAX_COUNT:
            raise ValueError(f"initial: {people:,} people in all; at most {MAX_COUNT:,} (people are numbered in int32)")
        return self


# ---------------------------------------------------------------- run configuration


class Stage(Strict):
    """A stage's duration in days: Erlang with this mean and integer shape; mean 0 skips it."""

    mean: NonNegative
    shape: Shape = 1


RelativeValue = number(ge=0, le=MAX_RELATIVE_INFECTIOUSNESS)


class RelativeInfectiousness(Strict):
    presymptomatic: RelativeValue = 1.0
    prodrome: RelativeValue = 1.0
    asymptomatic: RelativeValue = 1.0
    symptomatic: RelativeValue = 1.0


class LatentInfection(Strict):
    """A long latent state (tuberculosis): a share of infections wait there; each year a share
    reactivates (and goes on as an early infection would) and a share leaves latency for good
    (cleared, or dead of other causes: counted as recovered)."""

    fraction: Probability
    reactivation_per_year: number(gt=0, le=1)
    clearance_per_year: number(ge=0, le=1)

    @model_validator(mode="after")
    def _finite_stay(self):
        least = 365.0 / (MAX_DAYS * 1e6)
        if self.reactivation_per_year + self.clearance_per_year < least:
            raise ValueError(f"reactivation_per_year + clearance_per_year must be at least {least:.2g} "
                             f"(a mean stay in latency of at most {MAX_DAYS * 1e6:.2g} days)")
        return self


class Environment(Strict):
    """A water-borne reservoir at each node (cholera): infectious people shed into it, it decays,
    and it infects in proportion to exposure (`unsafe_water`) and its load, in the linear regime
    well below the infectious dose (Codeco 2001, BMC Infect Dis 1:1)."""

    r0: NonNegative  # secondary infections through the reservoir per infection, at exposure 1
    decay_per_day: number(gt=0, le=1)


def non_decreasing_problem(efficacy: list[float]) -> str | None:
    """A dose schedule's efficacies must not fall from one dose to the next (a later dose adds to
    the protection of the earlier ones; waning is not a dose's efficacy)."""
    falls = [f"dose {k + 2} ({efficacy[k + 1]}) after dose {k + 1} ({efficacy[k]})"
             for k in range(len(efficacy) - 1) if efficacy[k + 1] < efficacy[k]]
    return f"efficacy per dose must not decrease: {', '.join(falls)}" if falls else None


class PostExposure(Strict):
    """A dose given soon after infection can stop it (measles vaccine within 72 hours)."""

    within_days: Days  # of infection
    efficacy: Probability  # the chance that a dose given by then stops the infection


class Vaccine(Strict):
    """A disease's vaccine as delivered: efficacy after each dose of its schedule (no
    interpolation), the days between doses and until protection starts, and how it protects:
    `leaky` (each exposure's risk times 1 - efficacy) or `all_or_nothing` (a share equal to the
    efficacy is fully protected, the rest not at all: primary vaccine failure)."""

    efficacy_by_dose: Annotated[list[Probability], Field(min_length=1, max_length=5)]
    interval_days: Days = 28
    delay_days: Days = 14
    mode: Literal["leaky", "all_or_nothing"] = "leaky"
    post_exposure: Optional[PostExposure] = None
    sources: dict[str, str] = {}

    @model_validator(mode="after")
    def _non_decreasing(self):
        problem = non_decreasing_problem(self.efficacy_by_dose)
        if problem:
            raise ValueError(problem)
        return self


class TreatmentCourse(Strict):
    """A course of treatment of the active disease (drug-susceptible TB: 2 months of four drugs,
    4 of two): its phases, how infectious a patient stays, deaths, defaults while staying in one
    place, and relapse after cure. A programme starts it (sim.programmes.treatment); the states
    are the natural history's (sim.disease)."""

    days: integer(ge=2, le=MAX_DAYS)  # the whole course
    intensive_days: integer(ge=1, le=MAX_DAYS)  # the first phase (disability continues through it)
    infectious_days: Days  # from the start until no longer infectious
    case_fatality: Probability  # deaths during the course
    default_per_month: Probability  # stopping treatment while staying in one place
    interrupted_days: Stage  # after a default, until the disease is back
    relapse: Probability  # after completing it
    relapse_days: Stage  # from completion to the relapse
    sources: dict[str, str] = {}

    @model_validator(mode="after")
    def _phases(self):
        if not self.infectious_days <= self.intensive_days < self.days:
            raise ValueError("need infectious_days <= intensive_days < days")
        return self


class PreventiveTherapy(Strict):
    """Treatment of a latent infection (TB preventive therapy): its length, the share who
    complete it, and the share of completers whose infection it clears."""

    days: integer(ge=1, le=MAX_DAYS)
    completion: Probability
    efficacy: Probability
    sources: dict[str, str] = {}


class DiseaseParams(Strict):
    name: Identifier
    r0: Positive
    latent: Stage
    latent_infection: Optional[LatentInfection] = None
    presymptomatic: Stage
    # a symptomatic illness before the main one (measles' febrile prodrome before the rash):
    # visible to symptom checks and to care, as the main illness is
    prodrome: Optional[Stage] = None
    asymptomatic: Stage
    symptomatic: Stage
    symptomatic_fraction: Probability
    case_fatality: Probability
    relative_infectiousness: RelativeInfectiousness = RelativeInfectiousness()
    environment: Optional[Environment] = None
    vaccine_efficacy: Probability  # of a complete schedule, for people vaccinated at origin (leaky)
    vaccine: Optional[Vaccine] = None  # the vaccine programmes give on the route
    # case fatality of cases in care (cholera with oral rehydration: below 1%); None: care's
    # treatment_effect applies
    care_case_fatality: Optional[Probability] = None
    treatment: Optional[TreatmentCourse] = None  # of active disease (TB)
    preventive_therapy: Optional[PreventiveTherapy] = None  # of latent infection (TB)
    # the accuracy of each diagnostic test for this disease (a method not listed cannot be used)
    tests: dict[Literal[METHOD_NAMES], TestFigures] = {}
    # disability weights of its states and hospital admissions (sim.outcomes): DALYs
    outcomes: Optional[Outcomes] = None
    sources: dict[str, str] = {}

    @model_validator(mode="after")
    def _infectious_somewhere(self):
        if self.latent.mean <= 0:
            raise ValueError("latent.mean must be > 0 (a day at least passes between infection and infectiousness)")
        if self.symptomatic_fraction > 0 and self.symptomatic.mean <= 0:
            raise ValueError("symptomatic.mean must be > 0 when symptomatic_fraction > 0")
        if self.symptomatic_fraction < 1 and self.asymptomatic.mean <= 0:
            raise ValueError("asymptomatic.mean must be > 0 when symptomatic_fraction < 1")
        if self.prodrome is not None and self.prodrome.mean <= 0:
            raise ValueError("prodrome.mean must be > 0 (leave prodrome out for a disease without one)")
        if self.preventive_therapy is not None and self.latent_infection is None:
            raise ValueError("preventive_therapy needs a latent_infection to treat")
        if self.care_case_fatality is not None and self.care_case_fatality > self.case_fatality:
            raise ValueError("care_case_fatality must be at most case_fatality (care does not kill)")
        return self


class ContactMatrix(Strict):
    """Daily contacts by age: row = the person's age group, column = the age group of whom they
    meet (AGE_GROUPS order), in the population surveyed, whose age shares are `population`."""

    contacts: Annotated[list[Annotated[list[NonNegative], Field(min_length=4, max_length=4)]], Field(min_length=4, max_length=4)]
    population: Annotated[list[Positive], Field(min_length=4, max_length=4)]
    source: str

    def who_meets_whom(self, present: np.ndarray) -> np.ndarray:
        """[..., age, age]: the share of a person's contacts with each age group among people of
        the age mix `present` (counts by age, [..., age]: one mix or one per node): the survey's
        contacts, each column weighted by how many of that age are present relative to the
        surveyed population. Rows sum to 1 (0 where nobody is present), so mixing decides who is
        met, not how much: every age keeps the contact rate r0 is defined with."""
        present = np.asarray(present, dtype=float)
        everyone = present.sum(axis=-1, keepdims=True)
        shares = np.divide(present, everyone, out=np.zeros(present.shape), where=everyone > 0)
        weighted = np.asarray(self.contacts) * (shares / np.asarray(self.population))[..., None, :]
        total = weighted.sum(axis=-1, keepdims=True)
        return np.divide(weighted, total, out=np.zeros_like(weighted), where=total > 0)


def per_kind(value_type):
    """A value for every kind of site (sim.fields.NODE_KINDS)."""
    return Annotated[dict[Literal[NODE_KINDS], value_type], Field(min_length=len(NODE_KINDS))]


class Transmission(Strict):
    """Where a migrant's daily contacts are: with the people of their living unit (their travel
    group first, then others sharing it), across the site, and with the host community; each
    value's source is in `sources`."""

    unit_contact_share: Probability  # share of contacts within the living unit at its nominal occupancy
    unit_size: per_kind(number(ge=2, le=1000))  # people per living unit at nominal occupancy
    host_contact_share: per_kind(Probability)  # share of contacts with the host community
    host_pool_share: Probability  # share of a host's contacts, besides migrants, with others of the pool
    site_mixing: ContactMatrix  # who meets whom across a site (contacts away from home)
    host_mixing: ContactMatrix  # who meets whom in a host community (all contacts)
    unsafe_water: per_kind(Probability)  # exposure to a water-borne reservoir, relative to a camp without WASH
    sources: dict[str, str] = {}

    @model_validator(mode="after")
    def _shares(self):
        worst = max(self.host_contact_share.values())
        if self.unit_contact_share + worst > 1:
            raise ValueError(f"unit_contact_share + host_contact_share must be at most 1 at every kind of site "
                             f"(largest host share {worst})")
        return self


class Movement(Strict):
    """How people leaving a site weigh its open out-edges (sim.routes.RouteChoice): each edge's
    base weight (the scenario's `weight`) x (1 + travel_days) ** -distance_power x, where the next
    site holds more people than its capacity, (capacity / people there) ** capacity_aversion; a
    site marked `closed`, or holding its `full_at`, gets weight 0. People counted at a site are
    those present and on the way to it at the end of the day before (every choice of a day sees
    the same counts). With every way out at weight 0, people wait and choose again the next day."""

    distance_power: number(ge=0, le=4)
    capacity_aversion: number(ge=0, le=10)
    sources: dict[str, str] = {}


class ScenarioChoice(Strict):
    file: str
    events: list[str] = []


# ---------------------------------------------------------------- parsing


def _key_path(loc: tuple, data) -> str:
    """`nodes.3.capacity` -> `nodes[3] (id camp).capacity`, so the user finds the line."""
    parts, here = [], data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(here, list) and item < len(here):
                here = here[item]
                if isinstance(here, dict) and "id" in here:
                    label += f" (id {here['id']})"
            parts.append(label)
        else:
            if item in ("function-after", "function-before") or "[" in str(item):
                continue  # pydantic's internal wrapper names, not keys of the file
            here = here.get(item) if isinstance(here, dict) else None
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def problems_from(error: ValidationError, data) -> list[Problem]:
    problems = []
    for err in error.errors():
        loc = tuple(err["loc"])
        value = err.get("input")
        if err["type"] == "missing":
            value, allowed = "(missing)", "this key is required"
        elif err["type"] == "extra_forbidden":
            allowed = "unknown key (misspelled?); see the format in scenarios/README.md or the config docs"
            value = loc[-1] if loc else value
        else:
            allowed = err["msg"].removeprefix("Value error, ")
        if err["type"] == "value_error" and isinstance(value, dict):
            value = None  # a model's own rule across its keys
        elif isinstance(value, (dict, list)):
            value = type(value).__name__
        problems.append(Problem(_key_path(loc, data), value, allowed))
    return problems


def parse_scenario(data, source: str) -> Scenario:
    if not isinstance(data, dict):
        raise ConfigError(source, [Problem("(top level)", type(data).__name__, "a scenario file must be a mapping of keys")])
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ConfigError(source, problems_from(error, data)) from None
