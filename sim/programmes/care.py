"""Access to care: barriers, care seeking, consultations, and the interventions that lower barriers.

Responsible for: symptomatic people deciding, each day, whether to seek care, with a daily
probability set by their barriers; being seen at a site that offers care where they are (sites of
the kinds with an on-site medical team, and wherever a mobile team is that day), within its daily
consultations, first come first served, or turned away to try again; care keeping part of their
infectiousness (`isolation_effect`), lowering their chance of dying (`treatment_effect`) and
diagnosing them (`diagnosis_probability`, into surveillance).
Barriers (one bit each per person, drawn on arrival from their origin): language, cost (or no
insurance), legal status and fear of enforcement, awareness of rights and services, stigma. Each
present barrier multiplies the daily seeking rate by (1 - effect x (1 - intervention)), where the
intervention lowering it is interpreters, free care, a firewall between care and immigration
enforcement, information campaigns, or community engagement.
Reads: where, node, state, state_day, flags, barriers. Writes: flags (IN_CARE, WAS_DETECTED).
Owns the column barriers. Care is part of the world without intervention too: the baseline keeps
it, with every intervention at 0.
One step (after transmission): select who seeks care today (in parallel), see them within each
site's consultations, diagnose. Draws: barriers per person, seeking per person and day, diagnosis.
"""

from typing import Literal, NamedTuple

import numba as nb
import numpy as np

from sim.errors import Problem
from sim.fields import NODE_KINDS, Count, Positive, Probability, Strict
from sim.population import AT_NODE, IN_CARE, Column
from sim.programme import Programme, ProgrammeConfig, Stage
from sim.programmes.money import Money
from sim.rng import uniform_at, uniforms
from sim.selection import first_come_first_served

BARRIERS = ("language", "cost", "legal_status", "awareness", "stigma")
INTERVENTIONS = {  # intervention -> the barrier it lowers
    "interpreters": "language",
    "free_care": "cost",
    "firewall": "legal_status",
    "information": "awareness",
    "community_engagement": "stigma",
}
# What an intervention's unit cost is paid per: a consultation of someone facing its barrier, a
# person reached on arrival, a day of a site offering care. The volume is scaled by the
# intervention's level (the share of the barrier's effect removed): the share of those
# consultations interpreted or paid for, of arrivals reached, of a full-time presence at a site.
PAID_PER = {
    "interpreters": "consultation",
    "free_care": "consultation",
    "firewall": "site-day",
    "information": "person reached",
    "community_engagement": "site-day",
}
DELAY_BINS = 61  # time to care histogram: 0..59 days, and 60 or more


class Barrier(Strict):
    prevalence: Probability  # share of people who face it
    effect: Probability  # how much it lowers the daily rate of seeking care
    by_origin: dict[str, Probability] = {}  # prevalence by origin code, where it differs
    source: str


class InterventionCost(Strict):
    unit_cost: Money  # per unit of PAID_PER
    source: str


class Interventions(Strict):
    """Share of each barrier's effect removed (0: none, 1: the barrier no longer matters)."""

    interpreters: Probability = 0.0
    free_care: Probability = 0.0
    firewall: Probability = 0.0
    information: Probability = 0.0
    community_engagement: Probability = 0.0


class CareConfig(ProgrammeConfig):
    """Defaults, with their sources, are in conf/policy/baseline.yaml (care is part of the world
    without intervention)."""

    seek_delay_days: Positive  # mean days from symptoms to seeking care, with no barrier
    barriers: dict[Literal[BARRIERS], Barrier]
    interventions: Interventions = Interventions()
    on_site_kinds: list[Literal[NODE_KINDS]]  # kinds of site with an on-site medical team
    consultations_per_day: dict[Literal[NODE_KINDS], Count]
    isolation_effect: Probability  # share of infectiousness removed while in care
    treatment_effect: Probability  # share of deaths averted by care (unless the disease gives its care_case_fatality)
    diagnosis_probability: Probability
    cost_per_consultation: Money
    intervention_costs: dict[Literal[tuple(INTERVENTIONS)], InterventionCost] = {}  # per unit of PAID_PER
    sources: dict[str, str] = {}

    def daily_seek_probability(self) -> np.ndarray:
        """Probability of seeking care on a day, for each combination of barrier bits."""
        rate = np.full(1 << len(BARRIERS), 1.0 / self.seek_delay_days)
        lowered = {barrier: getattr(self.interventions, name) for name, barrier in INTERVENTIONS.items()}
        for bit, name in enumerate(BARRIERS):
            barrier = self.barriers.get(name)
            if barrier is None:
                continue
            factor = 1.0 - barrier.effect * (1.0 - lowered[name])
            has = (np.arange(rate.shape[0]) >> bit) & 1 == 1
            rate[has] *= factor
        return -np.expm1(-rate)

    def prevalence(self, origin_codes: tuple[str, ...]) -> np.ndarray:
        """[origin, barrier] share of arrivals who face each barrier."""
        table = np.zeros((max(len(origin_codes), 1), len(BARRIERS)))
        for bit, name in enumerate(BARRIERS):
            barrier = self.barriers.get(name)
            if barrier is not None:
                table[:, bit] = [barrier.by_origin.get(code, barrier.prevalence) for code in origin_codes] or barrier.prevalence
        return table


class Seeking(NamedTuple):
    """Who the selection kernel looks for today."""

    symptomatic: np.ndarray  # bool per state
    seek_probability: np.ndarray  # per combination of barrier bits
    capacity: np.ndarray  # consultations per node today
    seek_key: np.uint64


@nb.njit(cache=True, parallel=True)
def mark_seekers(mask, people, barriers, seeking):
    """In parallel: who seeks care today at a site that offers it (symptomatic, not in care yet,
    and their barriers let them go today)."""
    uid, where, node, state, flags = people.uid, people.where, people.node, people.state, people.flags
    symptomatic, seek_probability, capacity, seek_key = seeking.symptomatic, seeking.seek_probability, seeking.capacity, seeking.seek_key
    for i in nb.prange(people.count):
        mask[i] = (symptomatic[state[i]] and where[i] == AT_NODE and not flags[i] & IN_CARE and capacity[node[i]] > 0
                   and uniform_at(seek_key, uid[i]) < seek_probability[barriers[i]])


class Care(Programme):
    """Care seeking and consultations at the sites with a medical team, against each person's barriers."""

    kind = "care"
    Config = CareConfig
    named = False
    stage = Stage.CARE_SEEKING
    rank = 50
    columns = (Column("barriers", np.uint8, owner="care", doc="one bit per access-to-care barrier (BARRIERS)"),)
    metrics = ("consultations", "turned_away", "days_to_care")
    untotalled = ("days_to_care",)
    cost_items = {"consultations": "consultation", **PAID_PER}

    def __init__(self, model, name: str, config: CareConfig):
        super().__init__(model, name, config)
        routes = model.routes
        self.on_site = np.isin(routes.kind, [NODE_KINDS.index(kind) for kind in config.on_site_kinds])
        self.per_site = np.array([config.consultations_per_day.get(kind, 0) for kind in NODE_KINDS])[routes.kind]
        self.barrier_prevalence = config.prevalence(model.arrivals.traits.codes)
        self.symptomatic = model.disease.symptomatic.copy()
        self.seek_probability = config.daily_seek_probability()
        self.delay_histogram = np.zeros(DELAY_BINS, dtype=np.int64)
        self.seen_today = np.zeros(routes.node_count, dtype=np.int64)
        self.capacity_today = np.zeros(routes.node_count, dtype=np.int64)

    @classmethod
    def baseline(cls, config):
        return config.model_copy(update={"interventions": Interventions()})

    @classmethod
    def at_zero_strength(cls, config):
        return cls.baseline(config)

    @classmethod
    def run_problems(cls, path, config, policy, disease, states) -> list:
        """An intervention in use needs its unit cost."""
        return [Problem(f"{path}.intervention_costs.{name}", "(missing)", f"a unit cost per {PAID_PER[name]} for "
                                                                          f"{name}, which this policy uses")
                for name, level in config.interventions if level > 0 and name not in config.intervention_costs]

    def sites(self) -> np.ndarray:
        return self.on_site

    def on_arrival(self, people, rows: np.ndarray, vaccinated: np.ndarray) -> None:
        """One bit per barrier, drawn per person from their origin's prevalence."""
        bits = np.zeros(rows.shape[0], dtype=np.uint8)
        uids, origins = people.uid[rows].astype(np.int64), people.origin[rows]
        for bit in range(self.barrier_prevalence.shape[1]):
            u = uniforms(self.key("barriers", bit), uids)
            bits |= ((u < self.barrier_prevalence[origins, bit]).astype(np.uint8) << bit)
        people.barriers[rows] = bits
        if self.acts_on(self.model.day):  # the information campaign reaches arrivals within care's window
            self.pay_for("information", self.model.day, np.bincount(people.node[rows], minlength=self.model.routes.node_count))

    def pay_for(self, intervention: str, day: int, volume: np.ndarray) -> None:
        """An intervention's cost for `volume` units of what it is paid per, scaled by its level."""
        level = getattr(self.config.interventions, intervention)
        if level > 0:
            self.spend(intervention, day, volume * level, self.config.intervention_costs[intervention].unit_cost)

    def step(self, day: int, tally) -> None:
        model, people, cfg = self.model, self.model.people, self.config
        _, capacity = model.programmes.offer(self.kind, self.name, self.on_site, self.per_site)
        self.seen_today[:], self.capacity_today = 0, capacity
        if not capacity.any():  # no site offers care today: nobody can be seen, and no draw is used
            return
        mark_seekers(model.selection.mask(people), people.view(), people.barriers,
                     Seeking(self.symptomatic, self.seek_probability, capacity, self.key("seek", day)))
        seekers = model.selection.rows()
        served = first_come_first_served(seekers, people.node, capacity)
        seen, node = seekers[served], people.node
        tally.count("turned_away", node[seekers[~served]])
        people.flags[seen] |= IN_CARE
        tally.count("consultations", node[seen])
        delay = day - people.state_day[seen].astype(np.int64)
        tally.count("days_to_care", node[seen], weights=delay)
        self.delay_histogram += np.bincount(np.minimum(delay, DELAY_BINS - 1), minlength=DELAY_BINS)
        draws = uniforms(self.key("diagnosis", day), people.uid[seen].astype(np.int64))
        tally.count("detected", node[model.programmes.diagnose(seen[draws < cfg.diagnosis_probability])])
        self.seen_today = np.bincount(node[seen], minlength=model.routes.node_count)
        self.spend("consultations", day, self.seen_today, cfg.cost_per_consultation)
        self.pay_for_the_day(day, seen, capacity > 0)

    def pay_for_the_day(self, day: int, seen: np.ndarray, open_sites: np.ndarray) -> None:
        """The day's interventions: per consultation of someone facing the barrier they lower,
        and per site offering care."""
        people, nodes = self.model.people, self.model.routes.node_count
        for name in ("interpreters", "free_care"):
            facing = (people.barriers[seen] >> BARRIERS.index(INTERVENTIONS[name])) & 1
            self.pay_for(name, day, np.bincount(people.node[seen], weights=facing, minlength=nodes))
        for name in ("firewall", "community_engagement"):
            self.pay_for(name, day, open_sites.astype(np.float64))

    def removes_infectiousness(self) -> dict[int, float]:
        return {int(IN_CARE): self.config.isolation_effect}

    def averts_deaths(self) -> float:
        """The disease's case fatality in care, where its config gives one (cholera with oral
        rehydration), else care's treatment effect."""
        disease = self.model.config.disease
        if disease.care_case_fatality is None:
            return self.config.treatment_effect
        return 1.0 - disease.care_case_fatality / disease.case_fatality if disease.case_fatality > 0 else 0.0

    def summary(self) -> dict:
        recorder = self.model.recorder
        seen = recorder.metric("migrants", "consultations").sum()
        return {
            "mean_days_to_care": float(recorder.metric("migrants", "days_to_care").sum() / seen) if seen else None,
            "days_to_care_histogram": self.delay_histogram.tolist(),
        }

    def describe(self, row: int) -> dict:
        bits = int(self.model.people.barriers[row])
        return {"barriers": [name for bit, name in enumerate(BARRIERS) if bits >> bit & 1]}

    def problems(self, day: int) -> list[str]:
        over = np.flatnonzero(self.seen_today > self.capacity_today)
        return [f"care: {self.seen_today[n]} consultations at node {n}, capacity {self.capacity_today[n]}" for n in over]
