"""Validation of the core's inputs: the scenario file format, and the disease, transmission and
scenario choice of a run (sim.runconfig adds the policy, whose fields the programmes declare).

Pydantic models with `extra="forbid"`, so a misspelled key is an error, not a silent default.
`parse_scenario` returns a typed scenario or raises `ConfigError` listing every bad value at once,
each with its key path, the value and what is allowed (`problems_from`).
"""

from datetime import date
from typing import Annotated, Literal, Optional, Union

from pydantic import BeforeValidator, Field, ValidationError, model_validator

from sim.diagnostics import METHOD_NAMES, TestFigures
from sim.errors import ConfigError, Problem
from sim.outcomes import Outcomes
from sim.fields import (
    AGE_GROUPS, MAX_DAYS, MAX_EDGES, MAX_NODES, NODE_KINDS, Count, Days, Identifier, NonNegative, Positive, Probability,
    Strict, integer, number, unwrap_sourced,
)


# ---------------------------------------------------------------- scenario files


class Dwell(Strict):
    mean: number(gt=0, le=3650)
    shape: integer(ge=1) = 1
    source: Optional[str] = None


class Node(Strict):
    id: Identifier
    kind: Literal[NODE_KINDS]
    name: str
    country: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    lat: number(ge=-90, le=90)
    lon: number(ge=-180, le=180)
    capacity: Count
    host_population: Count
    host_immune: dict[str, Probability] = {}
    isolation_places: Count = 0
    dwell: Dwell
    source: Optional[str] = None


class Edge(Strict):
    from_: str = Field(alias="from")
    to: str
    travel_days: Days
    weight: Positive = 1.0
    source: Optional[str] = None


class GroupSize(Strict):
    mean: number(ge=1)
    source: Optional[str] = None


class Arrivals(Strict):
    per_year: Optional[NonNegative] = None
    per_day: Optional[NonNegative] = None
    entry: dict[str, Positive]
    origins: dict[str, Positive]
    origins_by_entry: dict[str, dict[str, Positive]] = {}  # an entry's own origin mix, where it differs
    group_size: GroupSize = GroupSize(mean=1)
    seasonality: Optional[Annotated[list[NonNegative], BeforeValidator(unwrap_sourced), Field(min_length=12, max_length=12)]] = None
    source: Optional[str] = None

    @model_validator(mode="after")
    def _one_rate(self):
        if (self.per_year is None) == (self.per_day is None):
            raise ValueError("give exactly one of per_year or per_day")
        if self.seasonality is not None and sum(self.seasonality) <= 0:
            raise ValueError("seasonality factors must not all be zero")
        return self

    @property
    def people_per_day(self) -> float:
        return self.per_day if self.per_day is not None else self.per_year / 365.0


class Immunity(Strict):
    vaccinated: Probability = 0.0
    immune: Probability = 0.0
    source: Optional[str] = None

    @model_validator(mode="after")
    def _at_most_everyone(self):
        if self.vaccinated + self.immune > 1:
            raise ValueError("vaccinated + immune must be at most 1")
        return self


class Origin(Strict):
    name: str
    age: dict[Literal[AGE_GROUPS], NonNegative]
    languages: list[str] = []
    tb_incidence_per_100k: Optional[NonNegative] = None
    immunity: dict[str, Immunity] = {}
    # per disease: the share arriving infected (entering the first infected state), or shares per
    # natural-history state, e.g. tuberculosis: {latent: 0.2, symptomatic: 0.002}
    infected: dict[str, Union[Probability, dict[str, Probability]]] = {}
    source: Optional[str] = None

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
    node: str
    people: integer(ge=1)
    infected: Count = 0
    immune: Count = 0
    origin: str
    source: Optional[str] = None

    @model_validator(mode="after")
    def _within_people(self):
        if self.infected + self.immune > self.people:
            raise ValueError("infected + immune must be at most people")
        return self


class Event(Strict):
    name: Identifier
    type: Literal["close_edge"]
    from_: str = Field(alias="from")
    to: str
    day: Count
    until: Optional[Count] = None
    optional: bool = False
    source: Optional[str] = None


class Scenario(Strict):
    name: Identifier
    description: str = ""
    start_date: date
    nodes: Annotated[list[Node], Field(min_length=1, max_length=MAX_NODES)]
    edges: Annotated[list[Edge], Field(max_length=MAX_EDGES)] = []
    arrivals: Optional[Arrivals] = None
    origins: dict[str, Origin] = {}
    initial: list[InitialGroup] = []
    events: list[Event] = []
    source: Optional[str] = None


# ---------------------------------------------------------------- run configuration


class Stage(Strict):
    """A stage's duration in days: Erlang with this mean and integer shape; mean 0 skips it."""

    mean: NonNegative
    shape: integer(ge=1) = 1


class RelativeInfectiousness(Strict):
    presymptomatic: NonNegative = 1.0
    prodrome: NonNegative = 1.0
    asymptomatic: NonNegative = 1.0
    symptomatic: NonNegative = 1.0


class LatentInfection(Strict):
    """A long latent state (tuberculosis): a share of infections wait there; each year a share
    reactivates (and goes on as an early infection would) and a share leaves latency for good
    (cleared, or dead of other causes: counted as recovered)."""

    fraction: Probability
    reactivation_per_year: number(gt=0, le=1)
    clearance_per_year: number(ge=0, le=1)


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


class Transmission(Strict):
    group_contact_share: Probability
    host_contact_share: Probability
    crowding_exponent: number(ge=0, le=1)
    sources: dict[str, str] = {}

    @model_validator(mode="after")
    def _shares(self):
        if self.group_contact_share + self.host_contact_share > 1:
            raise ValueError("group_contact_share + host_contact_share must be at most 1")
        return self


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
