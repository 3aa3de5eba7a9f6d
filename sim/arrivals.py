"""Who enters the route, where and when, and with which traits.

Arrivals: each day, travel groups arrive at each entry node from each origin, Poisson in number
with mean (people per day x monthly seasonality x entry share x origin share / mean group size);
a group has 1 + Poisson(mean - 1) people. At an entry and on the days a dated series covers
(sim.series, `arrivals.series`), the people per day of that entry and origin are the series' (a
series of registrations turned into people as the yearly registrations are, sim.flows), in place
of the yearly figure x seasonality x entry share. Traits come from the origin: age group, vaccine
protection, immunity from past infection, and infection on arrival. Initial groups from the
scenario's `initial` block are placed on day 0 with exact counts.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import networkx as nx
import numpy as np

from sim.disease import NaturalHistory
from sim.errors import ConfigError, Problem
from sim.fields import AGE_GROUPS, MAX_DAYS
from sim.flows import people_per_year, registrations_per_person
from sim.kernels import draw_days
from sim.population import AT_NODE, Population, span
from sim.rng import Stream, categories, day_key, generator, uniforms
from sim.routes import Routes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OriginTraits:
    codes: tuple[str, ...]
    age_cumulative: np.ndarray  # [origin, age group]
    vaccinated: np.ndarray  # [origin]
    immune: np.ndarray  # [origin]
    measured: np.ndarray  # [origin]: bool, immunity by age from serosurveys (immune_by_age)
    immune_by_age: np.ndarray  # [origin, age]
    infected_cumulative: np.ndarray  # [origin, state]: cumulative shares arriving in each state

    @classmethod
    def of(cls, graph: nx.DiGraph, disease: NaturalHistory) -> "OriginTraits":
        origins = graph.graph["origins"]
        codes = tuple(origins)
        ages = np.array([[origins[c].age.get(group, 0.0) for group in AGE_GROUPS] for c in codes]).reshape(len(codes), len(AGE_GROUPS))
        missing = [c for c in codes if disease.name not in origins[c].immunity]
        if missing:
            log.warning("%s: origins %s give no immunity figures for %s; they arrive with none",
                        graph.graph["file"], missing, disease.name)
        immunity = [origins[c].immunity.get(disease.name) for c in codes]
        infected = np.array([infected_shares(c, origins[c], disease, graph.graph["file"]) for c in codes]).reshape(len(codes), len(disease.names))
        return cls(
            codes=codes,
            age_cumulative=np.cumsum(ages / ages.sum(axis=1, keepdims=True), axis=1) if codes else ages,
            vaccinated=np.array([i.vaccinated if i else 0.0 for i in immunity]),
            immune=np.array([i.immune if i else 0.0 for i in immunity]),
            measured=np.array([bool(i and i.by_age is not None) for i in immunity], dtype=np.bool_),
            immune_by_age=np.array([i.by_age.array() if i and i.by_age is not None else np.zeros(len(AGE_GROUPS))
                                    for i in immunity]).reshape(len(codes), len(AGE_GROUPS)),
            infected_cumulative=np.cumsum(infected, axis=1),
        )


def infected_shares(code: str, origin, disease: NaturalHistory, source: str) -> np.ndarray:
    """An origin's shares arriving in each natural-history state of this disease."""
    shares = np.zeros(len(disease.names))
    given = origin.infected.get(disease.name)
    if given is None:
        return shares
    if not isinstance(given, dict):
        given = {disease.names[disease.exposed]: given}
    allowed = [name for i, name in enumerate(disease.names) if disease.duration_table[i].any()]
    problems = [Problem(f"origins.{code}.infected.{disease.name}.{state}", state, f"a state of {disease.name} with a duration: {allowed}")
                for state in given if state not in allowed]
    if problems:
        raise ConfigError(source, problems)
    for state, share in given.items():
        shares[disease.names.index(state)] = share
    return shares


class Arrivals:
    """Daily arrivals and the placement of new people (shared by arrivals and initial groups)."""

    def __init__(self, graph: nx.DiGraph, routes: Routes, disease: NaturalHistory, seed: int, vaccinated_level: int):
        self.routes = routes
        self.disease = disease
        self.seed = seed
        self.vaccinated_level = vaccinated_level  # protection level of people vaccinated at origin
        self.start_date: date = graph.graph["start_date"]
        self.traits = OriginTraits.of(graph, disease)
        self.infection_among_non_immune = self.among_non_immune()
        self.flow = graph.graph["arrivals"]
        self.on_arrival = None  # called with (people, rows, vaccinated) for what programmes set on arrival
        self.initial = graph.graph["initial"]
        # people observed at the sites, replacing the initial groups (sim.state.observe): arrays
        # node, origin, state, people, vaccinated by row of the observation
        self.observed: dict | None = None
        if self.flow is not None:
            entry_total = sum(self.flow.entry.values())
            self.entry_nodes = np.array([routes.index(n) for n in self.flow.entry], dtype=np.int32)
            self.entry_share = np.array(list(self.flow.entry.values())) / entry_total
            mixes = [self.flow.origins_by_entry.get(node_id, self.flow.origins) for node_id in self.flow.entry]
            self.origin_share = np.array([[mix.get(code, 0.0) for code in self.traits.codes] for mix in mixes])
            self.origin_share /= self.origin_share.sum(axis=1, keepdims=True)
            season = np.asarray(self.flow.seasonality if self.flow.seasonality else [1.0] * 12)
            self.season = season / season.mean()
            self.daily = people_per_year(graph, routes.distance_power) / 365.0
        self.series = graph.graph.get("series")
        if self.series is not None:
            per_person = registrations_per_person(graph, routes.distance_power) if self.series.counts == "registrations" else 1.0
            if per_person <= 0:
                raise ConfigError(str(graph.graph["file"]), [Problem(
                    "arrivals.registration", dict(self.flow.registration),
                    "a chance of registration in at least one country the route's people enter (the series counts registrations)")])
            self.series_people = self.series.daily / per_person  # [covered entry, origin + 1, day]: people a day
            self.series_entry = np.array([list(self.flow.entry).index(entry) for entry in self.series.entries], dtype=np.int64)

    def expected_people(self, days: int) -> float:
        initial = sum(group.people for group in self.initial)
        if self.flow is None:
            return initial
        if self.series is None:
            return initial + self.daily * days
        return initial + sum(float(self.people_by_cell(day).sum()) for day in range(days))

    def people_per_day(self, day: int) -> float:
        month = (self.start_date + timedelta(days=day)).month
        return self.daily * self.season[month - 1]

    def people_by_cell(self, day: int) -> np.ndarray:
        """[entry, origin]: the day's mean people arriving, from the yearly figure x seasonality,
        or at an entry a series covers that day, from the series (its `all` column shared out by
        the entry's origin mix)."""
        expected = self.people_per_day(day) * self.entry_share[:, None] * self.origin_share
        if self.series is not None:
            for k, entry in enumerate(self.series_entry):
                if self.series.covers(k, day):  # then day < the table's last day
                    on_day = self.series_people[k, :, day]
                    expected[entry] = on_day[:-1] + on_day[-1] * self.origin_share[entry]
        return expected

    def admit(self, people: Population, day: int, tally) -> None:
        """Today's arrivals enter at their entry nodes."""
        if self.flow is None:
            return
        rng = generator(self.seed, Stream.ARRIVALS, day)
        if self.series is None:
            mean_groups = self.people_per_day(day) / self.flow.group_size.mean
            expected = mean_groups * self.entry_share[:, None] * self.origin_share
        else:
            expected = self.people_by_cell(day) / self.flow.group_size.mean
        group_counts = rng.poisson(expected).ravel()
        groups = int(group_counts.sum())
        if groups == 0:
            return
        cell = np.repeat(np.arange(group_counts.shape[0]), group_counts)
        origin_count = self.origin_share.shape[1]
        group_nodes = self.entry_nodes[cell // origin_count]
        group_origins = (cell % origin_count).astype(np.int32)
        sizes = 1 + rng.poisson(self.flow.group_size.mean - 1.0, size=groups)
        rows, _, group_uids = people.add_groups(sizes)
        nodes = np.repeat(group_nodes, sizes)
        origins = np.repeat(group_origins, sizes)
        self._place(people, rows, group_uids, nodes, day)
        infected = self._draw_traits(people, rows, origins, day)
        tally.count("arrivals", nodes)
        tally.count("entries", nodes)
        tally.count("country_entries", nodes)  # entering the route is entering the entry node's country
        tally.count("imported_infections", nodes[infected])

    def admit_initial(self, people: Population, tally) -> None:
        """The scenario's initial groups enter on day 0 (each person travels alone); they count as
        day-0 arrivals, and their infected as imported infections. People observed at the sites
        (`observed`) enter instead, if given."""
        if self.observed is not None:
            self.admit_observed(people, tally)
            return
        for group in self.initial:
            rows, _, group_uids = people.add_groups(np.ones(group.people, dtype=np.int64))
            node = self.routes.index(group.node)
            self._place(people, rows, group_uids, np.full(group.people, node), day=0)
            origin = self.traits.codes.index(group.origin)
            origins = np.full(group.people, origin)
            people.origin[span(rows)] = origin
            people.age_group[span(rows)] = self._age_groups(people.uid[span(rows)], origins)
            people.state[rows[group.infected: group.infected + group.immune]] = self.disease.recovered
            infected = rows[: group.infected]
            self._infect(people, infected, np.full(infected.shape[0], self.disease.exposed), day=0)
            if self.on_arrival is not None:
                self.on_arrival(people, rows, np.zeros(rows.shape[0], dtype=np.bool_))
            counts = np.zeros(self.routes.node_count, dtype=np.int64)
            counts[node] = group.people
            tally.add("arrivals", counts)
            tally.add("entries", counts)
            counts[node] = group.infected
            tally.add("imported_infections", counts)

    def admit_observed(self, people: Population, tally) -> None:
        """The people observed at each site, by origin and natural-history state, enter on day 0 as
        the initial groups do (each travels alone, a stay drawn at the site, ages from the origin),
        each in the observed state with a whole stay in it drawn afresh (how long they had been in it
        is not observed); `vaccinated` of them had their origin's vaccine."""
        observed, disease = self.observed, self.disease
        for node, origin, state, count, vaccinated in zip(observed["node"], observed["origin"], observed["state"],
                                                          observed["people"], observed["vaccinated"]):
            rows, _, group_uids = people.add_groups(np.ones(int(count), dtype=np.int64))
            self._place(people, rows, group_uids, np.full(rows.shape[0], node), day=0)
            people.origin[span(rows)] = origin
            people.age_group[span(rows)] = self._age_groups(people.uid[span(rows)], np.full(rows.shape[0], origin))
            protected = np.arange(rows.shape[0]) < vaccinated
            people.protection[rows[protected]] = self.vaccinated_level
            infected = state not in (disease.susceptible, disease.recovered)
            if state == disease.recovered:
                people.state[span(rows)] = state
            elif infected:
                self._infect(people, rows, np.full(rows.shape[0], state), day=0)
            if self.on_arrival is not None:
                self.on_arrival(people, rows, protected)
            counts = np.zeros(self.routes.node_count, dtype=np.int64)
            counts[node] = count
            tally.add("arrivals", counts)
            tally.add("entries", counts)
            tally.add("imported_infections", counts * infected)

    def _place(self, people: Population, rows, group_uids, nodes, day: int) -> None:
        """Put new people at their first node with a dwell drawn per group (families stay together)."""
        draws = uniforms(day_key(self.seed, Stream.DWELL, day), group_uids)
        timers = draw_days(self.routes.dwell_table, np.asarray(nodes, dtype=np.int64), draws)
        block = span(rows)
        people.where[block] = AT_NODE
        people.node[block] = nodes
        people.edge[block] = -1
        people.arrival_day[block] = day
        people.state_day[block] = day
        people.leave_day[block] = np.minimum(day + timers, MAX_DAYS)
        people.state[block] = self.disease.susceptible
        people.protection[block] = 0

    def _age_groups(self, uids, origins) -> np.ndarray:
        drawn = categories(day_key(self.seed, Stream.AGE, 0), uids.astype(np.int64), self.traits.age_cumulative,
                           np.asarray(origins, dtype=np.int64))
        return drawn.clip(0, len(AGE_GROUPS) - 1).astype(np.int8)  # a share sum rounded below 1

    def _draw_traits(self, people: Population, rows, origins, day: int) -> np.ndarray:
        """Age, vaccine protection, past immunity and infection on arrival; returns who is infected.
        Where an origin's immunity was measured by age (serosurveys), the measured immune are
        immune whatever their doses, and doses given at origin protect nobody beyond them."""
        people.origin[span(rows)] = origins
        ages = self._age_groups(people.uid[span(rows)], origins)
        people.age_group[span(rows)] = ages
        uids = people.uid[span(rows)].astype(np.int64)
        u = uniforms(day_key(self.seed, Stream.IMMUNITY, 0), uids)
        vaccinated = u < self.traits.vaccinated[origins]
        immune = ~vaccinated & (u < self.traits.vaccinated[origins] + self.traits.immune[origins])
        measured = self.traits.measured[origins]
        if measured.any():
            seropositive = uniforms(day_key(self.seed, Stream.IMMUNITY, 1), uids) < self.traits.immune_by_age[origins, ages]
            immune = np.where(measured, seropositive, immune)
        people.protection[rows[vaccinated & ~measured]] = self.vaccinated_level
        people.state[rows[immune]] = self.disease.recovered
        states = categories(day_key(self.seed, Stream.IMPORTED, 0), uids, self.infection_among_non_immune,
                            np.asarray(origins, dtype=np.int64) * len(AGE_GROUPS) + ages)
        infected = ~immune & (states < len(self.disease.names))
        self._infect(people, rows[infected], states[infected], day)
        if self.on_arrival is not None:
            self.on_arrival(people, rows, vaccinated)
        return infected

    def among_non_immune(self) -> np.ndarray:
        """[origin x age, state]: cumulative shares of infection among arrivals who are not immune,
        so that an origin's `infected` share is a share of all its arrivals (nobody immune arrives
        infected): each share over the non-immune share of the origin and age, at most 1."""
        traits = self.traits
        immune = np.where(traits.measured[:, None], traits.immune_by_age, traits.immune[:, None])  # [origin, age]
        non_immune = np.clip(1.0 - immune, 1e-12, None)
        scaled = traits.infected_cumulative[:, None, :] / non_immune[:, :, None]
        return np.minimum(scaled, 1.0).reshape(-1, traits.infected_cumulative.shape[1])

    def _infect(self, people: Population, rows, states, day: int) -> None:
        """Put people in infected states with a fresh duration drawn for each."""
        draws = uniforms(day_key(self.seed, Stream.LATENT, day), people.uid[rows].astype(np.int64))
        people.state[rows] = states
        people.state_day[rows] = day
        people.state_timer[rows] = draw_days(self.disease.duration_table, np.asarray(states, dtype=np.int64), draws)
