"""Natural history: disease parameters compiled to a state table the kernels read.

A general staged model. Each state has a duration distribution (whole days), a relative
infectiousness, a symptomatic flag, and up to two next states with probabilities. The kernels know
nothing of any disease; a new pathogen is a new table, not new kernel code.

The compact parameter set (`sim.schema.DiseaseParams`: r0, stage durations, symptomatic fraction,
case fatality, vaccine efficacy) compiles to:

    susceptible -> exposed -> presymptomatic -> [prodrome ->] symptomatic -> recovered | dead
                           \\-> asymptomatic  -> recovered

A prodrome (measles' febrile days before the rash) is symptomatic: symptom checks and care see
it, as they see the main illness; case fatality applies at the end of the main illness.

A disease with a treatment course (TB) has its states, which only a programme enters
(sim.programmes.treatment):

    treatment_intensive -> dead | treatment_interrupted | treatment_continuation
    treatment_continuation -> recovered | relapsing;  treatment_interrupted, relapsing -> symptomatic

and with preventive therapy of latent infection: preventive_therapy -> recovered | latent.

The transmission rate is calibrated so that one infectious person in a large well-mixed,
fully susceptible crowd infects `r0` others: beta = r0 / (expected infectiousness-weighted days
infectious), with the expectation taken over the compiled, discretised durations.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from sim.fields import MAX_DAYS
from sim.schema import DiseaseParams, Stage

INFECTIOUSNESS_SHIFT = 16
INFECTIOUSNESS_SCALE = 1 << INFECTIOUSNESS_SHIFT  # fixed point, so sums of infectiousness are exact in any order
MAX_BRANCHES = 3
QUANTILES = 2048  # a duration is one of this many equally likely whole-day values


def erlang_cdf(x: np.ndarray, mean: float, shape: int) -> np.ndarray:
    rate_x = shape * np.maximum(x, 0.0) / mean
    term, total = np.ones_like(rate_x), np.ones_like(rate_x)
    for n in range(1, shape):
        term = term * rate_x / n
        total = total + term
    return 1.0 - np.exp(-rate_x) * total


def duration_table(stage: Stage) -> np.ndarray:
    """Whole-day durations at the midpoints of QUANTILES equal slices of probability: Erlang(mean,
    shape) rounded to whole days, at least one day (the model's time step) and at most MAX_DAYS
    (longer ends after any run; people's timers are int16). A draw picks one entry with a
    uniform, so sampling is one lookup, and the mean of the table is the exact mean of what the
    kernels draw (used to calibrate beta). Read-only: tables are shared between equal stages (a
    route's nodes mostly share a few dwell distributions)."""
    return _duration_table(float(stage.mean), int(stage.shape))


@lru_cache(maxsize=1024)
def _duration_table(mean: float, shape: int) -> np.ndarray:
    probability = (np.arange(QUANTILES) + 0.5) / QUANTILES
    low, high = np.zeros(QUANTILES), np.full(QUANTILES, mean * (10.0 + 50.0 / shape))
    for _ in range(80):  # bisection of the continuous quantile
        middle = (low + high) / 2
        below = erlang_cdf(middle, mean, shape) < probability
        low, high = np.where(below, middle, low), np.where(below, high, middle)
    table = np.clip(np.rint((low + high) / 2), 1, MAX_DAYS).astype(np.int32)
    table.flags.writeable = False
    return table


@dataclass(frozen=True)
class StateSpec:
    name: str
    duration: Stage | int | None = None  # days drawn from an Erlang, or a fixed number; None: absorbing
    infectiousness: float = 0.0
    symptomatic: bool = False
    next: tuple[tuple[str, float], ...] = ()


class StateTable(NamedTuple):
    """The state table as the kernels take it (one argument, read by name)."""

    next_state: np.ndarray
    next_cumulative: np.ndarray
    duration_table: np.ndarray
    infectiousness: np.ndarray
    susceptible: int
    exposed: int
    recovered: int
    dead: int
    onset: int  # the state whose start makes an infection a case
    beta: float


@dataclass(frozen=True)
class NaturalHistory:
    """The compiled state table (arrays indexed by state code)."""

    name: str
    names: tuple[str, ...]
    infectiousness: np.ndarray  # float64, relative to 1
    infectiousness_fixed: np.ndarray  # int64, infectiousness * INFECTIOUSNESS_SCALE
    symptomatic: np.ndarray  # bool
    next_state: np.ndarray  # int8 [state, branch]
    next_cumulative: np.ndarray  # float64 [state, branch]
    duration_table: np.ndarray  # int32 [state, quantile]: whole days; all 0 for absorbing states
    mean_days: np.ndarray  # float64: expected days in each state
    visit_probability: np.ndarray  # float64: probability an infection passes through each state
    beta: float
    vaccine_efficacy: float

    @property
    def susceptible(self) -> int:
        return self.names.index("susceptible")

    @property
    def exposed(self) -> int:
        return self.names.index("exposed")

    @property
    def recovered(self) -> int:
        return self.names.index("recovered")

    @property
    def dead(self) -> int:
        return self.names.index("dead")

    @property
    def onset(self) -> int:
        """The state whose start makes an infection a case: the first symptomatic one."""
        return self.names.index("prodrome" if "prodrome" in self.names else "symptomatic")

    @property
    def table(self) -> StateTable:
        return StateTable(self.next_state, self.next_cumulative, self.duration_table, self.infectiousness,
                          self.susceptible, self.exposed, self.recovered, self.dead, self.onset, float(self.beta))

    @property
    def infection_fatality(self) -> float:
        return float(self.visit_probability[self.dead])

    @property
    def infectious_days(self) -> float:
        """Expected infectiousness-weighted days infectious per infection (r0 / beta)."""
        return float(np.sum(self.visit_probability * self.mean_days * self.infectiousness))

    @property
    def latent_days(self) -> float:
        """Expected days from infection to the first infectious state."""
        return float(self.mean_days[self.exposed])


def stages_of(params: DiseaseParams) -> list[StateSpec]:
    """The compact parameter set as a list of states in the order infection passes through them."""
    p_sym = params.symptomatic_fraction
    rel = params.relative_infectiousness
    has_pre = params.presymptomatic.mean > 0
    illness = "prodrome" if params.prodrome is not None else "symptomatic"  # the first symptomatic state
    onset = (("presymptomatic" if has_pre else illness, p_sym), ("asymptomatic", 1.0 - p_sym))
    onset = tuple((name, p) for name, p in onset if p > 0)
    cfr = params.case_fatality
    after_symptoms = tuple((name, p) for name, p in (("dead", cfr), ("recovered", 1.0 - cfr)) if p > 0)
    latency = []
    after_exposed = onset
    if params.latent_infection is not None:
        waiting = params.latent_infection.fraction
        after_exposed = tuple((name, p) for name, p in (("latent", waiting),) + tuple(
            (name, p * (1.0 - waiting)) for name, p in onset) if p > 0)
        reactivation = params.latent_infection.reactivation_per_year
        leaving = reactivation + params.latent_infection.clearance_per_year
        stay = Stage(mean=365.0 / leaving, shape=1)
        share = reactivation / leaving
        ends = tuple((name, p * share) for name, p in onset) + ((("recovered", 1.0 - share),) if share < 1 else ())
        latency = [StateSpec("latent", stay, next=ends)]
    return [
        StateSpec("susceptible"),
        StateSpec("exposed", params.latent, next=after_exposed),
        *latency,
        StateSpec("presymptomatic", params.presymptomatic if has_pre else None, rel.presymptomatic,
                  next=((illness, 1.0),) if has_pre else ()),
        *([StateSpec("prodrome", params.prodrome, rel.prodrome, symptomatic=True, next=(("symptomatic", 1.0),))]
          if params.prodrome is not None else []),
        StateSpec("asymptomatic", params.asymptomatic if p_sym < 1 else None, rel.asymptomatic,
                  next=(("recovered", 1.0),) if p_sym < 1 else ()),
        StateSpec("symptomatic", params.symptomatic if p_sym > 0 else None, rel.symptomatic,
                  symptomatic=True, next=after_symptoms),
        *treatment_states(params),
        StateSpec("recovered"),
        StateSpec("dead"),
    ]


DAYS_PER_MONTH = 365.25 / 12


def treatment_states(params: DiseaseParams) -> list[StateSpec]:
    """The states of a treatment course and of preventive therapy, if the disease has them.
    The intensive phase keeps, on average over it, the infectiousness of a patient whose
    infectiousness falls linearly to nothing over `infectious_days`; defaults while staying are
    drawn at its end, for the whole course."""
    states = []
    course = params.treatment
    if course is not None:
        continuation = course.days - course.intensive_days
        infectious = params.relative_infectiousness.symptomatic * 0.5 * course.infectious_days / course.intensive_days
        defaulting = 1.0 - (1.0 - course.default_per_month) ** (course.days / DAYS_PER_MONTH)
        staying = (1.0 - course.case_fatality) * (1.0 - defaulting)
        states += [
            StateSpec("treatment_intensive", course.intensive_days, infectious,
                      next=positive((("dead", course.case_fatality),
                                     ("treatment_interrupted", (1.0 - course.case_fatality) * defaulting),
                                     ("treatment_continuation", staying)))),
            StateSpec("treatment_continuation", continuation,
                      next=positive((("recovered", 1.0 - course.relapse), ("relapsing", course.relapse)))),
            StateSpec("treatment_interrupted", course.interrupted_days, next=(("symptomatic", 1.0),)),
            StateSpec("relapsing", course.relapse_days, next=(("symptomatic", 1.0),)),
        ]
    therapy = params.preventive_therapy
    if therapy is not None:
        cleared = therapy.completion * therapy.efficacy
        states.append(StateSpec("preventive_therapy", therapy.days,
                                next=positive((("recovered", cleared), ("latent", 1.0 - cleared)))))
    return states


def positive(branches) -> tuple[tuple[str, float], ...]:
    """The branches with a chance of happening."""
    return tuple((name, p) for name, p in branches if p > 0)


def compile_states(name: str, states: list[StateSpec], r0: float, vaccine_efficacy: float) -> NaturalHistory:
    names = tuple(state.name for state in states)
    code = {state_name: i for i, state_name in enumerate(names)}
    n = len(states)
    durations = np.zeros((n, QUANTILES), dtype=np.int32)
    next_state = np.zeros((n, MAX_BRANCHES), dtype=np.int8)
    next_cumulative = np.ones((n, MAX_BRANCHES))
    for i, state in enumerate(states):
        if isinstance(state.duration, int):
            durations[i] = min(max(state.duration, 1), MAX_DAYS)
        elif state.duration is not None:
            durations[i] = duration_table(state.duration)
        if state.duration is not None and not state.next:
            raise ValueError(f"state {state.name} has a duration but no next state")
        if len(state.next) > MAX_BRANCHES:
            raise ValueError(f"state {state.name}: at most {MAX_BRANCHES} next states")
        total = 0.0
        for b, (target, probability) in enumerate(state.next):
            total += probability
            next_state[i, b] = code[target]
            next_cumulative[i, b] = total
        for b in range(len(state.next), MAX_BRANCHES):
            next_state[i, b] = next_state[i, max(0, len(state.next) - 1)]
        next_cumulative[i, max(0, len(state.next) - 1):] = 1.0
    mean_days = durations.mean(axis=1)
    visit = np.zeros(n)
    visit[code["exposed"]] = 1.0
    for i in range(n):  # states are listed in the order infection passes through them
        for target, probability in states[i].next:
            visit[code[target]] += visit[i] * probability
    infectiousness = np.array([state.infectiousness if state.duration is not None else 0.0 for state in states])
    infectious_days = float(np.sum(visit * mean_days * infectiousness))
    if infectious_days <= 0:
        raise ValueError(f"disease {name}: no infectious state is ever reached")
    return NaturalHistory(
        name=name,
        names=names,
        infectiousness=infectiousness,
        infectiousness_fixed=np.round(infectiousness * INFECTIOUSNESS_SCALE).astype(np.int64),
        symptomatic=np.array([state.symptomatic for state in states]),
        next_state=next_state,
        next_cumulative=next_cumulative,
        duration_table=durations,
        mean_days=mean_days,
        visit_probability=visit,
        beta=r0 / infectious_days,
        vaccine_efficacy=vaccine_efficacy,
    )


def natural_history(params: DiseaseParams) -> NaturalHistory:
    return compile_states(params.name, stages_of(params), params.r0, params.vaccine_efficacy)
