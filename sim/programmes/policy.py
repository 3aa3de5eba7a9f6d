"""A policy: its configuration, generated from the programme kinds, and its programmes in a run.

`PolicyConfig` has the fields every policy has (name, currency, isolation, surveillance) and one
per programme kind of the registry: `policy.<kind>` maps names to that kind's config (or, for a
kind that is not `named`, is the config). So the baseline, the metric list, the summary's totals
and cost items, and the person columns of a run all follow from the programme classes.
"""

import numpy as np
from typing import Literal

from pydantic import create_model, model_validator

from sim.diagnostics import METHOD_NAMES
from sim.errors import ConfigError, Problem
from sim.fields import Count, Identifier, Probability, Strict, window_problems
from sim.kernels import FLAG_COMBINATIONS
from sim.population import ISOLATED, SEPARATED, Column
from sim.programme import Programme, Stage
from sim.programmes.actions import IsolationPlaces, detect
from sim.programmes.money import Currency, Money, foreign_costs
from sim.programmes.registry import programme_classes
from sim.programmes.sites import SiteSelector
from sim.programmes.watch import WATCH_METRICS, Watch


class IsolationConfig(Strict):
    """Isolation areas at the sites (their places are in the scenario, or a programme's own), and
    the separate area where positives wait when no place is free (sim.programmes.actions)."""

    effect: Probability  # share of infectiousness removed in a site's isolation area
    separate_area_effect: Probability  # share removed in a separate area (a tent or room apart, masks)
    cost_per_day: Money  # per person isolated, per day
    separate_area_cost_per_day: Money  # per person in a separate area, per day
    cost_per_referral: Money  # transport to a clinic or hospital and an assessment there
    sources: dict[str, str] = {}


class SurveillanceConfig(Strict):
    reporting_delay_days: Count
    source: str = ""


class PolicyBase(Strict):
    """A bundle of programmes and the world they act in. Programmes are named, so one can be
    changed from the command line: policy.screening.borders.sensitivity=0.9"""

    name: Identifier
    for_diseases: list[Identifier] = []  # the diseases a bundle is made for (TB screening); empty: any
    currency: Currency  # of every cost of the policy
    isolation: IsolationConfig
    surveillance: SurveillanceConfig
    test_costs: dict[Literal[METHOD_NAMES], Money] = {}  # per test of each method
    dose_costs: dict[Identifier, Money] = {}  # per dose of each disease's vaccine, delivered
    sources: dict[str, str] = {}

    @model_validator(mode="before")
    @classmethod
    def _costs_in_its_currency(cls, data):
        if isinstance(data, dict) and isinstance(data.get("currency"), str):
            foreign = foreign_costs({key: value for key, value in data.items() if key != "currency"}, data["currency"])
            if foreign:
                raise ValueError("; ".join(foreign))
        return data

    @model_validator(mode="after")
    def _programmes_fit(self):
        problems = [problem for cls in programme_classes() for problem in cls.policy_problems(self)]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def run_problems(self, disease, states: tuple[str, ...]) -> list[Problem]:
        """What stops this policy running for this disease: a bundle made for others, and each
        programme's (Programme.run_problems)."""
        if self.for_diseases and disease.name not in self.for_diseases:
            return [Problem("policy.for_diseases", disease.name, f"the diseases bundle {self.name} is made for: {self.for_diseases}")]
        return [problem for cls, name, config in self.programmes()
                for problem in cls.run_problems(path_of(cls, name), config, self, disease, states)]

    def for_disease(self, disease) -> "PolicyBase":
        """Every programme with what it leaves to the disease filled in (Programme.for_disease)."""
        def resolved(cls, value):
            if cls.named:
                return {name: cls.for_disease(config, disease) for name, config in value.items()}
            return cls.for_disease(value, disease)
        return self.model_copy(update={cls.kind: resolved(cls, getattr(self, cls.kind)) for cls in programme_classes()})

    def programmes(self) -> list[tuple[type[Programme], str, object]]:
        """(class, name, config) of each programme, in the order they run."""
        found = []
        for cls in programme_classes():
            value = getattr(self, cls.kind)
            found += [(cls, name, config) for name, config in value.items()] if cls.named else [(cls, cls.kind, value)]
        return found

    def baseline(self) -> "PolicyBase":
        """The same world with no intervention: each kind in its baseline form."""
        return self.model_copy(update={"name": "baseline", **{
            cls.kind: cls.baseline(getattr(self, cls.kind)) for cls in programme_classes()}})

    def at_zero_strength(self) -> "PolicyBase":
        """Every programme kept, doing nothing (for tests: this must reproduce the baseline)."""
        def zero(cls, value):
            return {name: cls.at_zero_strength(config) for name, config in value.items()} if cls.named else cls.at_zero_strength(value)
        return self.model_copy(update={cls.kind: zero(cls, getattr(self, cls.kind)) for cls in programme_classes()})

    def columns(self) -> tuple[Column, ...]:
        """The person columns of the kinds this policy runs."""
        kinds = dict.fromkeys(cls for cls, _, _ in self.programmes())
        return tuple(column for cls in kinds for column in cls.columns)

    def flags(self) -> tuple[str, ...]:
        kinds = dict.fromkeys(cls for cls, _, _ in self.programmes())
        return tuple(flag for cls in kinds for flag in cls.flags)

    def protections(self, disease_efficacy: float) -> list[float]:
        return [value for cls, _, config in self.programmes() for value in cls.protections(config, disease_efficacy)]

    @staticmethod
    def metric_names() -> tuple[str, ...]:
        """The metrics of every programme kind, in the order they run (a run records them all,
        so every summary has the same keys whatever the policy), and the day's end's (watch)."""
        return tuple(dict.fromkeys((*(name for cls in programme_classes() for name in cls.metrics), *WATCH_METRICS)))

    def build(self, model) -> "Programmes":
        return Programmes(model, self)


def kept_table(removed: dict[int, float]) -> np.ndarray:
    """Share of infectiousness kept for each value of flags & REDUCES_INFECTIOUSNESS, from the
    share each bit removes (several bits: the shares kept multiply)."""
    kept = np.ones(FLAG_COMBINATIONS)
    for combination in range(FLAG_COMBINATIONS):
        for bit, share in removed.items():
            if combination & bit:
                kept[combination] *= 1.0 - share
    return kept


def path_of(cls: type[Programme], name: str) -> str:
    """A programme's key in the run configuration: policy.screening.borders, policy.care."""
    return f"policy.{cls.kind}.{name}" if cls.named else f"policy.{cls.kind}"


def _policy_config() -> type[PolicyBase]:
    fields = {cls.kind: ((dict[Identifier, cls.Config], {}) if cls.named else (cls.Config, ...))
              for cls in programme_classes()}
    return create_model("PolicyConfig", __base__=PolicyBase, __module__=__name__, **fields)


PolicyConfig = _policy_config()


class Programmes:
    """The programmes of one run, in the order they run, the services they share (isolation
    places, what mobile teams bring), and what they add up to (costs, the summary's figures)."""

    def __init__(self, model, policy: PolicyBase):
        self.model = model
        self.policy = policy
        self.check(policy, model)
        self.isolation = IsolationPlaces(model)
        self.watch = Watch(model)
        self.diagnosed = []  # uids of the people diagnosed since the last sites' stage, per call of diagnose
        self.running = [cls(model, name, config) for cls, name, config in policy.programmes()]
        self.by_stage = {stage: [p for p in self.running if p.stage is stage] for stage in Stage}

    @staticmethod
    def check(policy: PolicyBase, model) -> None:
        """Every site a programme names is a node of the scenario, every programme's window lies
        in the run (its dates from the scenario's start_date on), and the policy can run for the
        disease (sim.runconfig checks that too, but a RunConfig may be built by hand)."""
        problems = policy.run_problems(model.config.disease, model.disease.names)
        if policy.for_disease(model.config.disease) != policy:
            problems.append(Problem("policy", None, "not filled in from the disease (a vaccination programme's schedule): "
                                                    "make the run configuration with sim.run_config"))
        start_date, days = model.graph.graph["start_date"], model.config.days
        for cls, name, config in policy.programmes():
            problems += [Problem(*problem) for problem in
                         window_problems(path_of(cls, name), config.start_day, config.end_day, start_date, days)]
            for key, value in config:
                if isinstance(value, SiteSelector):
                    problems += value.problems(f"{path_of(cls, name)}.{key}", model.routes.node_ids)
        if problems:
            raise ConfigError("config", problems)

    def run(self, stage: Stage, day: int, tally) -> None:
        """Each programme of the stage, in order (separate-area holds that are over end first)."""
        if stage is Stage.SITES_ACT:
            self.isolation.start_of_day()
        for programme in self.by_stage[stage]:
            if programme.acts_on(day):
                programme.step(day, tally)
            else:
                programme.step_off(day, tally)
        if stage is Stage.SITES_ACT:  # the programmes that start treatment have read them
            self.diagnosed = []
        if stage is Stage.CARE_SEEKING:  # the last stage that acts: the day's end
            self.watch.end_of_day(day, tally)

    def on_arrival(self, people, rows: np.ndarray, vaccinated: np.ndarray) -> None:
        self.watch.on_arrival(people, rows)
        for programme in self.running:
            programme.on_arrival(people, rows, vaccinated)

    def diagnose(self, rows: np.ndarray) -> np.ndarray:
        """Infected people a programme diagnosed (a positive test, a diagnosis in care): they are
        detected, for surveillance, and listed for the programmes that treat them, which read the
        list at the end of the next sites' stage (newly_diagnosed: in care yesterday, or by a test
        today). Returns those detected for the first time."""
        self.diagnosed.append(self.model.people.uid[rows].astype(np.int64))
        return detect(self.model.people, rows)

    def newly_diagnosed(self) -> np.ndarray:
        return np.unique(np.concatenate(self.diagnosed)) if self.diagnosed else np.zeros(0, dtype=np.int64)

    def care_offered_today(self) -> np.ndarray:
        """Bool per node: sites where care is offered today (its own sites and mobile teams)."""
        care = next((p for p in self.running if p.kind == "care"), None)
        if care is None or not care.acts_on(self.model.day):
            return np.zeros(self.model.routes.node_count, dtype=np.bool_)
        return self.offer(care.kind, care.name, care.on_site, care.per_site)[1] > 0

    def offer(self, kind: str, name: str, where: np.ndarray, per_site) -> tuple[np.ndarray, np.ndarray]:
        """Where programme `kind`.`name` is offered today and its capacity at each site: its own
        sites (`per_site` each), plus what other programmes bring (mobile teams)."""
        offered = where.copy()
        capacity = np.where(offered, per_site, 0).astype(np.int64)
        for programme in self.running:
            brought = programme.brings(kind, name) if programme.acts_on(self.model.day) else None
            if brought is not None:
                site, per_day = brought
                offered[site] = True
                capacity[site] += per_day
        return offered, capacity

    def kept_infectiousness(self) -> np.ndarray:
        """Share of infectiousness kept, by flags & REDUCES_INFECTIOUSNESS (isolated, separated, in care)."""
        removed = {int(ISOLATED): self.policy.isolation.effect, int(SEPARATED): self.policy.isolation.separate_area_effect}
        for programme in self.running:
            removed.update(programme.removes_infectiousness())
        return kept_table(removed)

    def death_averted_in_care(self) -> float:
        return max([programme.averts_deaths() for programme in self.running], default=0.0)

    def offered_at(self, node: int) -> list[str]:
        """The programmes offered at a node today ("screening.borders", "care")."""
        return [programme.kind if not programme.named else f"{programme.kind}.{programme.name}"
                for programme in self.running if programme.acts_on(self.model.day) and programme.sites()[node]]

    def problems(self, day: int) -> list[str]:
        return [problem for programme in self.running for problem in programme.problems(day)]

    def saved_by_key(self) -> dict:
        """The programmes by kind and name, as a saved state keeps them (sim.state): a resumed
        run finds its own there, whatever the other programmes of either policy."""
        return {f"{programme.kind}.{programme.name}": programme for programme in self.running}

    # ---------------------------------------------------------------- what they add up to

    def isolation_cost(self) -> np.ndarray:
        return self.model.recorder.metric("migrants", "isolated") * self.policy.isolation.cost_per_day

    def cost_by_day_and_node(self) -> np.ndarray:
        """[day, node] cost of every programme, and of isolation days."""
        return sum((programme.cost_by_day_and_node() for programme in self.running), self.isolation_cost())

    def costs(self) -> tuple[dict, dict]:
        """Cost by item, for every item any programme kind has (0 where none ran), with the
        total; and each item's volume and unit (tests, doses, site-days, person-days)."""
        units = {item: unit for cls in programme_classes() for item, unit in cls.cost_items.items()}
        items, volumes = dict.fromkeys(units, 0.0), dict.fromkeys(units, 0.0)
        for programme in self.running:
            for item, cost in programme.costs.items():
                items[item] += float(cost.sum())
                volumes[item] += programme.volumes[item]
        items["isolation"] = float(self.isolation_cost().sum())
        units["isolation"] = "person-day"
        volumes["isolation"] = float(self.model.recorder.metric("migrants", "isolated").sum())
        costs = {"currency": self.policy.currency, **items, "total": float(np.sum(list(items.values())))}
        return costs, {item: {"volume": volumes[item], "per": units[item]} for item in items}

    def summary(self) -> dict:
        """Totals of every programme kind's metrics, each programme's own figures, costs."""
        recorder = self.model.recorder
        totals = {name: int(recorder.metric("migrants", name).sum())
                  for cls in programme_classes() for name in cls.metrics if name not in cls.untotalled}
        for programme in self.running:
            totals.update(programme.summary())
        costs, volumes = self.costs()
        return {**totals, **self.watch.summary(), "isolation_days": int(recorder.metric("migrants", "isolated").sum()),
                "costs": costs, "cost_volumes": volumes}
