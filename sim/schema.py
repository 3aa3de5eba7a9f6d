"""Validation in one place: the scenario file format and the composed run configuration.

Pydantic models with `extra="forbid"`, so a misspelled key is an error, not a silent default.
`parse_scenario` and `parse_run_config` return typed objects or raise `ConfigError` listing every
bad value at once, each with its key path, the value and what is allowed.
"""

from datetime import date
from typing import Annotated, Literal, Optional, Union

from pydantic import BeforeValidator, Field, ValidationError, model_validator

from sim.errors import ConfigError, Problem
from sim.fields import (
    AGE_GROUPS, MAX_COUNT, MAX_DAYS, MAX_EDGES, MAX_NODES, MAX_SHAPE, NODE_KINDS, Count, Days, Identifier, Name,
    NonNegative, Positive, Probability, Shape, Strict, Text, integer, number, unwrap_sourced,
)
from sim.policies.care import CareConfig, Interventions
from sim.policies.costs import CostConfig
from sim.policies.mobile_teams import MobileTeamConfig
from sim.policies.screening import ScreeningConfig
from sim.policies.vaccination import VaccinationConfig


# ---------------------------------------------------------------- scenario files


MAX_RELATIVE_INFECTIOUSNESS = 1000  # x 2**16 fixed point x 2**31 people stays below 2**63
MAX_ORIGINS = 127  # a person's origin is an int8
MAX_LIST = 10_000  # initial groups, events, languages: far more than any route has
MAX_DWELL_WORK = 5_000  # dwell tables are tabulated once per distinct (mean, shape), at a cost growing with shape
Source = Optional[Text]


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
    capacity: Count
    host_population: Count
    host_immune: dict[Identifier, Probability] = {}
    isolation_places: Count = 0
    dwell: Dwell
    source: Source = None


class Edge(Strict):
    from_: Identifier = Field(alias="from")
    to: Identifier
    travel_days: Days
    weight: Positive = 1.0
    source: Source = None


class GroupSize(Strict):
    mean: number(ge=1, le=1000)
    source: Source = None


class Arrivals(Strict):
    per_year: Optional[NonNegative] = None
    per_day: Optional[NonNegative] = None
    entry: Annotated[dict[Identifier, Positive], Field(min_length=1, max_length=MAX_NODES)]
    origins: Annotated[dict[Identifier, Positive], Field(min_length=1, max_length=MAX_ORIGINS)]
    origins_by_entry: dict[Identifier, Annotated[dict[Identifier, Positive], Field(min_length=1, max_length=MAX_ORIGINS)]] = {}  # an entry's own origin mix, where it differs
    group_size: GroupSize = GroupSize(mean=1)
    seasonality: Optional[Annotated[list[NonNegative], BeforeValidator(unwrap_sourced), Field(min_length=12, max_length=12)]] = None
    source: Source = None

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

    @property
    def busiest_day(self) -> float:
        """People a day in the busiest month."""
        season = self.seasonality or [1.0] * 12
        return self.people_per_day * max(season) / (sum(season) / 12)


class Immunity(Strict):
    vaccinated: Probability = 0.0
    immune: Probability = 0.0
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


class Event(Strict):
    name: Identifier
    type: Literal["close_edge"]
    from_: Identifier = Field(alias="from")
    to: Identifier
    day: Days
    until: Optional[Days] = None
    optional: bool = False
    source: Source = None


class Scenario(Strict):
    name: Identifier
    description: Text = ""
    start_date: date
    nodes: Annotated[list[Node], Field(min_length=1, max_length=MAX_NODES)]
    edges: Annotated[list[Edge], Field(max_length=MAX_EDGES)] = []
    arrivals: Optional[Arrivals] = None
    origins: Annotated[dict[Identifier, Origin], Field(max_length=MAX_ORIGINS)] = {}
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
    shape: integer(ge=1) = 1


class RelativeInfectiousness(Strict):
    presymptomatic: NonNegative = 1.0
    asymptomatic: NonNegative = 1.0
    symptomatic: NonNegative = 1.0


class LatentInfection(Strict):
    """A long latent state (tuberculosis): a share of infections wait there; each year a share
    reactivates (and goes on as an early infection would) and a share leaves latency for good
    (cleared, or dead of other causes: counted as recovered)."""

    fraction: Probability
    reactivation_per_year: number(gt=0, le=1)
    clearance_per_year: number(ge=0, le=1)


class DiseaseParams(Strict):
    name: Identifier
    r0: Positive
    latent: Stage
    latent_infection: Optional[LatentInfection] = None
    presymptomatic: Stage
    asymptomatic: Stage
    symptomatic: Stage
    symptomatic_fraction: Probability
    case_fatality: Probability
    relative_infectiousness: RelativeInfectiousness = RelativeInfectiousness()
    vaccine_efficacy: Probability
    sources: dict[str, str] = {}

    @model_validator(mode="after")
    def _infectious_somewhere(self):
        if self.latent.mean <= 0:
            raise ValueError("latent.mean must be > 0 (a day at least passes between infection and infectiousness)")
        if self.symptomatic_fraction > 0 and self.symptomatic.mean <= 0:
            raise ValueError("symptomatic.mean must be > 0 when symptomatic_fraction > 0")
        if self.symptomatic_fraction < 1 and self.asymptomatic.mean <= 0:
            raise ValueError("asymptomatic.mean must be > 0 when symptomatic_fraction < 1")
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


class SurveillanceConfig(Strict):
    reporting_delay_days: Count
    source: str = ""


class PolicyConfig(Strict):
    """A bundle of policies. Programmes are named, so one can be changed from the command line:
    policy.screening.borders.sensitivity=0.9"""

    name: Identifier
    vaccination: dict[Identifier, VaccinationConfig] = {}
    screening: dict[Identifier, ScreeningConfig] = {}
    care: CareConfig
    mobile_teams: dict[Identifier, MobileTeamConfig] = {}
    surveillance: SurveillanceConfig
    isolation_effect: Probability
    costs: CostConfig
    sources: dict[str, str] = {}

    @model_validator(mode="after")
    def _programmes_fit(self):
        for name, team in self.mobile_teams.items():
            if team.vaccination is not None and team.vaccination not in self.vaccination:
                raise ValueError(f"mobile_teams.{name}.vaccination: {team.vaccination!r} is not a vaccination programme of this policy")
            if team.testing is not None and team.testing not in self.screening:
                raise ValueError(f"mobile_teams.{name}.testing: {team.testing!r} is not a screening programme of this policy")
        return self

    def baseline(self) -> "PolicyConfig":
        """The same world with no intervention: no programmes, barriers at full strength."""
        return self.model_copy(update={
            "name": "baseline", "vaccination": {}, "screening": {}, "mobile_teams": {},
            "care": self.care.model_copy(update={"interventions": Interventions()}),
        })


class RunConfig(Strict):
    scenario: ScenarioChoice
    disease: DiseaseParams
    policy: PolicyConfig
    transmission: Transmission
    seed: integer(ge=0, lt=2**63)
    days: integer(ge=1, le=MAX_DAYS)
    progress: bool = True
    threads: Optional[integer(ge=1)] = None
    parallel_from_rows: Count = 50_000  # fewer rows of people: the day runs on one thread
    debug: bool = False
    compare_to_baseline: bool = True

    @model_validator(mode="after")
    def _fits_the_model(self):
        """Limits across sections that the disease and policy models leave open: Erlang shapes
        that can be tabulated, infectiousness whose fixed-point sums over every person fit int64,
        a latent stay that is finite, and reports that fall within the run."""
        problems = []
        for stage in ("latent", "presymptomatic", "asymptomatic", "symptomatic"):
            shape = getattr(self.disease, stage).shape
            if shape > MAX_SHAPE:
                problems.append(f"disease.{stage}.shape: {shape} is more than {MAX_SHAPE}")
        for state, value in self.disease.relative_infectiousness:
            if value > MAX_RELATIVE_INFECTIOUSNESS:
                problems.append(f"disease.relative_infectiousness.{state}: {value} is more than {MAX_RELATIVE_INFECTIOUSNESS}")
        latency = self.disease.latent_infection
        if latency is not None and 365.0 / (latency.reactivation_per_year + latency.clearance_per_year) > MAX_DAYS * 1e6:
            problems.append("disease.latent_infection: reactivation_per_year + clearance_per_year must be at least "
                            f"{365.0 / (MAX_DAYS * 1e6):.2g} (a mean stay in latency of at most {MAX_DAYS * 1e6:.2g} days)")
        delay = self.policy.surveillance.reporting_delay_days
        if delay > self.days:
            problems.append(f"policy.surveillance.reporting_delay_days: {delay} is longer than the run (days={self.days})")
        if problems:
            raise ValueError("; ".join(problems))
        return self


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


def parse_run_config(data: dict, source: str = "config") -> RunConfig:
    try:
        return RunConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(source, problems_from(error, data)) from None
