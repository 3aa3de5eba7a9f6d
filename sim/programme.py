"""What a programme is, as the core sees it: the protocol every policy programme follows.

A programme (a vaccination campaign, border screening, care, a mobile team, ...) is one subclass
of `Programme` in a module of `sim/programmes/`, found there by the registry
(sim.programmes.registry). The class declares, for the registry to build the rest from:

- `kind` (its key in a policy: `policy.<kind>.<name>`, or `policy.<kind>` if not `named`) and
  `Config` (a pydantic model of its settings, each with its source or range);
- `stage` (the stage of the day it runs in) and `rank` (its order within the stage);
- `columns` (person columns it owns) and `flags` (flag bits it owns, by name);
- `metrics` (daily counts per node it adds; summed into the run's summary unless listed in
  `untotalled`) and `cost_items` (the summary's cost items it pays for, each with the unit its
  volume is counted in: tests, doses, site-days), spent with `spend`;
- its form in the baseline (`baseline`: by default none at all) and at zero strength
  (`at_zero_strength`, for the test that a programme that does nothing changes nothing).

Every `Config` is a `ProgrammeConfig`, so every programme has a window in which it acts:
`start_day` and `end_day`, each a day of the run or a date (end: the first day without it). The
model calls `step` only on the days of the window and `step_off` on the others (by default
nothing: no draw, no cost); what a programme brings to others (`brings`) counts only on its days.

An instance is built once per run for each programme of the policy, and the model calls it:
`on_arrival` for new people, `step` once a day in its stage, and at the end `cost_by_day_and_node`
and `summary`. Its random numbers come from `keys`, streams keyed by its kind, name and decision,
so no list of streams is edited to add one. The core imports only this module from the policy
side; programmes import the core.
"""

from enum import Enum
from typing import ClassVar, Optional

import numpy as np
from pydantic import Field, model_validator

from sim.fields import DayOrDate, Strict, day_of
from sim.population import Column
from sim.rng import day_key, named_stream


class Stage(Enum):
    """The stages of a day in which programmes run (see sim.model.RouteModel.step)."""

    SITES_ACT = 3  # after arrivals, before progression: screening, vaccination, teams moving
    CARE_SEEKING = 6  # after transmission: symptomatic people seek care


class ProgrammeConfig(Strict):
    """What every programme's config has: the window in which it acts (the registry refuses a kind
    whose Config is not one of these)."""

    start_day: Optional[DayOrDate] = Field(None, description="the first day it acts: a day of the run (0: the "
                                                            "scenario's start_date) or a date; None: from the start")
    end_day: Optional[DayOrDate] = Field(None, description="the first day it no longer acts (as an event's until): "
                                                          "a day or a date; None: to the end of the run")

    @model_validator(mode="after")
    def _ends_after_it_starts(self):
        start, end = self.start_day, self.end_day
        if start is not None and end is not None and type(start) is type(end) and end <= start:
            raise ValueError(f"end_day: {end} is not after start_day {start} (end_day is the first day without it)")
        return self

    def window(self, start_date) -> tuple[int, int | None]:
        """[first day, first day without it) as days of the run (None: to the end)."""
        return day_of(self.start_day, start_date) or 0, day_of(self.end_day, start_date)


class Programme:
    """One programme of a policy, as it runs. Subclasses set the class attributes below."""

    kind: ClassVar[str]
    Config: ClassVar[type]
    named: ClassVar[bool] = True
    stage: ClassVar[Stage]
    rank: ClassVar[int] = 50
    columns: ClassVar[tuple[Column, ...]] = ()
    flags: ClassVar[tuple[str, ...]] = ()
    metrics: ClassVar[tuple[str, ...]] = ()
    untotalled: ClassVar[tuple[str, ...]] = ()  # metrics the summary does not sum
    cost_items: ClassVar[dict[str, str]] = {}  # cost item -> the unit of its volume ("test", "site-day")

    def __init__(self, model, name: str, config):
        self.model = model
        self.name = name
        self.config = config
        self.first_day, self.stop_day = config.window(model.graph.graph["start_date"])
        shape = (model.config.days, model.routes.node_count)
        self.costs = {item: np.zeros(shape) for item in self.cost_items}  # [day, node] per item
        self.volumes = dict.fromkeys(self.cost_items, 0.0)

    # ---------------------------------------------------------------- declared by the class

    @classmethod
    def baseline(cls, config):
        """This kind's part of the policy in the world without intervention: none of a named kind."""
        return {} if cls.named else config

    @classmethod
    def at_zero_strength(cls, config):
        """The same programme doing nothing (for the test that it then changes nothing)."""
        raise NotImplementedError(f"{cls.__name__} gives no zero-strength form")

    @classmethod
    def protections(cls, config, disease_efficacy: float) -> tuple[float, ...]:
        """Vaccine protections this programme can give (they become the run's protection levels)."""
        return ()

    @classmethod
    def policy_problems(cls, policy) -> list[str]:
        """Rules across programmes of a policy (a team delivering a programme the policy lacks)."""
        return []

    @classmethod
    def for_disease(cls, config, disease):
        """The config with what it leaves to the disease filled in from it (a vaccination
        programme's schedule and efficacy: sim.schema.Vaccine), so a run's config.json says what
        was run. Called once the policy has no run_problems."""
        return config

    @classmethod
    def run_problems(cls, path: str, config, policy, disease, states: tuple[str, ...]) -> list:
        """What stops this programme running for this disease (sim.schema.DiseaseParams, with
        natural-history states `states`): a test with no figures for it, a cost it lacks. Found
        before the run; `path` is the programme's key (policy.screening.borders)."""
        return []

    # ---------------------------------------------------------------- called by the model

    def spend(self, item: str, day: int, volume: np.ndarray, unit_cost: float) -> None:
        """Add `volume` units of a cost item (per node, on `day`) at `unit_cost` each."""
        self.costs[item][day] += volume * unit_cost
        self.volumes[item] += float(np.sum(volume))

    def stream(self, decision: str) -> int:
        return named_stream(f"{self.kind}.{self.name}.{decision}" if self.named else f"{self.kind}.{decision}")

    def key(self, decision: str, day: int) -> np.uint64:
        """The day key of one of this programme's decisions."""
        return day_key(self.model.config.seed, self.stream(decision), day)

    def acts_on(self, day: int) -> bool:
        """Whether `day` is in the programme's window (start_day to end_day)."""
        return self.first_day <= day and (self.stop_day is None or day < self.stop_day)

    def on_arrival(self, people, rows: np.ndarray, vaccinated: np.ndarray) -> None:
        """Set this programme's columns for new people (`rows`), after the core drew their traits
        (`vaccinated`: bool per row, vaccinated at origin)."""

    def step(self, day: int, tally) -> None:
        """One day of its window, in the programme's stage; add counts to `tally` (sim.kernels.Tally)."""

    def step_off(self, day: int, tally) -> None:
        """A day outside its window: by default nothing. A programme with obligations that outlast
        it (patients on a course, doses whose protection starts later) keeps them up here."""

    def before_exit(self, rows: np.ndarray, day: int, counts) -> None:
        """`rows` leave the route at a destination at the start of `day` (tomorrow; seen at the
        end of today, sim.programmes.watch): what this programme does or counts of it, with
        `counts.count(metric, nodes)` for that day."""

    def brings(self, kind: str, name: str) -> tuple[int, int] | None:
        """A site and daily capacity this programme adds today to programme `kind`.`name` (mobile
        teams bring consultations, tests and doses), or None."""
        return None

    def removes_infectiousness(self) -> dict[int, float]:
        """Shares of infectiousness removed from people with each core flag this programme sets
        ({IN_CARE: 0.7}): the core's tables of what infectiousness is kept are built from these."""
        return {}

    def averts_deaths(self) -> float:
        """The chance that a death of someone in care is averted (care's treatment effect)."""
        return 0.0

    def sites(self) -> np.ndarray:
        """Bool per node: where the programme is offered (for the sites' view)."""
        return np.zeros(self.model.routes.node_count, dtype=np.bool_)

    def cost_by_day_and_node(self) -> np.ndarray:
        return sum(self.costs.values(), np.zeros((self.model.config.days, self.model.routes.node_count)))

    def summary(self) -> dict:
        """Figures for the run's summary beyond the totals of `metrics` (care's delay to care)."""
        return {}

    def describe(self, row: int) -> dict:
        """This programme's view of one person (sim.model.RouteModel.person)."""
        return {}

    def problems(self, day: int) -> list[str]:
        """Invariants broken today (for `check=true`): capacities exceeded and the like."""
        return []
