"""What the end of a day shows that the core's counts do not, for the health outcomes
(sim.outcomes) and for what leaves the route: new cases and deaths by age group, and who leaves
the route at a destination at the start of tomorrow, in which natural-history state and age
group, with how many days they have left in that state; and the state people arrive infected in
(latent TB apart from the rest: `imported_latent`, `imported_by_state`).

Who leaves tomorrow follows from the movement rule (sim.kernels.move, the first stage of a day,
before anything else can change them): a person at a destination, not held, whose stay ends by
tomorrow leaves. They are seen at the end of today and counted on tomorrow's date; the programmes
see them first (sim.programme.Programme.before_exit: a course of treatment lost, a dose whose
protection starts only after). New cases are people who entered the disease's first symptomatic
state today, on the route (counted by progression as it moves them: sim.kernels.progress) or on
arriving in it; deaths are people who died today (counted by progression).
Metrics per node and day: `cases`, `exits_incubating` (infected, not yet infectious: exposed),
`exits_latent` (latent TB); `exits_infectious` is the core's. The summary gives every infected
state leaving at each destination (`exported_by_state`).
Reads: where, node, state, state_timer, hold_timer, leave_day, age_group. Writes nothing.
One pass over the people on the route on days with anyone at a destination.
"""

import math

import numba as nb
import numpy as np

from sim.fields import AGE_GROUPS
from sim.outcomes import Tallies, burden
from sim.population import AT_NODE, ON_EDGE
from sim.programmes.actions import infected_states
from sim.chunks import chunk_count, chunk_rows

WATCH_METRICS = ("cases", "exits_incubating", "exits_latent")


@nb.njit(cache=True, parallel=True)
def mark_leaving(mask, people, day, is_destination):
    """Marks who leaves the route tomorrow: at a destination, not held, their stay over by then."""
    where, node, hold_timer, leave_day = people.where, people.node, people.hold_timer, people.leave_day
    for chunk in nb.prange(chunk_count(people.count)):
        start, stop = chunk_rows(chunk, people.count)
        for i in range(start, stop):
            mask[i] = (where[i] == AT_NODE and is_destination[node[i]] and hold_timer[i] == 0
                       and leave_day[i] <= day + 1)


class Counts:
    """Counts per node for a later day's tally, by metric name (the tally's own columns)."""

    def __init__(self, tally):
        self.column = tally.column
        self.array = np.zeros((tally.array.shape[1], len(tally.names)), dtype=np.int64)

    def count(self, name: str, nodes: np.ndarray) -> None:
        self.array[:, self.column[name]] += np.bincount(nodes, minlength=self.array.shape[0])

    def into(self, tally) -> None:
        tally.array[0] += self.array
        self.array[:] = 0


class Watch:
    """The end-of-day counts of a run (see the module's notes), and its health outcomes."""

    def __init__(self, model):
        self.model = model
        history, routes = model.disease, model.routes
        states, ages = len(history.names), len(AGE_GROUPS)
        self.infected = infected_states(history.names)
        self.incubating = history.exposed
        self.latent = history.names.index("latent") if "latent" in history.names else -1
        self.tomorrow = Counts(model.tally)
        self.infected_columns = [model.tally.column[name] for name, ill in zip(history.names, self.infected) if ill]
        self.cases = np.zeros(ages, dtype=np.int64)
        self.deaths = np.zeros(ages, dtype=np.int64)
        self.exits = np.zeros((routes.node_count, states), dtype=np.int64)  # infected who left, by destination
        self.leaving = np.zeros((states, ages), dtype=np.int64)  # infected who left, or were at the end
        self.days_left = np.zeros(states, dtype=np.int64)
        self.imported = np.zeros(states, dtype=np.int64)  # people arriving infected, by their state on arrival
        self.arriving_ill = np.zeros((routes.node_count, ages), dtype=np.int64)  # today's arrivals in the onset state

    def on_arrival(self, people, rows: np.ndarray) -> None:
        """The states people arrive infected in; those arriving ill are cases of the day."""
        self.imported += np.bincount(people.state[rows][self.infected[people.state[rows]]], minlength=self.imported.shape[0])
        ill = rows[people.state[rows] == self.model.disease.onset]
        np.add.at(self.arriving_ill, (people.node[ill], people.age_group[ill]), 1)

    def end_of_day(self, day: int, tally) -> None:
        """Today's cases and deaths (counted by progression: sim.kernels.progress); tomorrow's
        exits, shown first to the programmes."""
        self.tomorrow.into(tally)  # the exits seen yesterday happened this morning
        model, people, held = self.model, self.model.people, self.model.held
        cases = held.new_cases + self.arriving_ill
        self.arriving_ill[:] = 0
        tally.add("cases", cases.sum(axis=1))
        self.cases += cases.sum(axis=0)
        self.deaths += held.new_deaths.sum(axis=0)
        present = tally.totals()[model.routes.is_destination, tally.column["present"]].sum()
        if not present or day + 1 >= model.config.days:
            return
        mark_leaving(model.selection.mask(people), people.view(), day, model.routes.is_destination)
        leaving = model.selection.rows()
        if leaving.size == 0:
            return
        for programme in model.programmes.running:
            programme.before_exit(leaving, day + 1, self.tomorrow)
        self.count_leaving(leaving)

    def count_leaving(self, rows: np.ndarray) -> None:
        people = self.model.people
        rows = rows[self.infected[people.state[rows]]]
        state, node = people.state[rows], people.node[rows]
        self.tomorrow.count("exits_incubating", node[state == self.incubating])
        self.tomorrow.count("exits_latent", node[state == self.latent])
        np.add.at(self.exits, (node, state), 1)
        leaving, days_left = self.leaving_of(rows)
        self.leaving += leaving
        self.days_left += days_left

    def host_deaths(self) -> float:
        """The host deaths DALYs count: each node's infections times the chance one ends in death
        there (sim.hosts), or the deaths of the run where the course is not followed (latent TB)."""
        recorder = self.model.recorder
        chance = None if self.model.config.disease.latent_infection is not None else self.model.hosts.death_chance()
        if chance is None:
            return float(recorder.metric("hosts", "new_deaths").sum())
        # exactly rounded, so the same on any numpy (a dot product's rounding depends on its build)
        return math.fsum(recorder.metric("hosts", "new_infections").sum(axis=0) * chance)

    def leaving_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[state, age group] counts of infected `rows`, and [state] the days they have left in it."""
        people = self.model.people
        state = people.state[rows]
        leaving, days_left = np.zeros_like(self.leaving), np.zeros_like(self.days_left)
        np.add.at(leaving, (state, people.age_group[rows]), 1)
        np.add.at(days_left, state, people.state_timer[rows].astype(np.int64))
        return leaving, days_left

    def summary(self) -> dict:
        """Exported infections by state and destination, and the health outcomes (sim.outcomes),
        with the infected still on the route at the end running their course."""
        model, people = self.model, self.model.people
        names, node_ids = model.disease.names, model.routes.node_ids
        exported = {node_ids[n]: {names[s]: int(self.exits[n, s]) for s in np.flatnonzero(self.exits[n])}
                    for n in np.flatnonzero(self.exits.sum(axis=1))}
        recorder = model.recorder
        found = {"imported_by_state": {names[s]: int(self.imported[s]) for s in np.flatnonzero(self.imported)},
                 "imported_latent": int(self.imported[self.latent]) if self.latent >= 0 else 0,
                 "exported_infections": int(self.exits.sum()),
                 "exported_incubating": int(recorder.metric("migrants", "exits_incubating").sum()),
                 "exported_latent": int(recorder.metric("migrants", "exits_latent").sum()),
                 "exported_by_state": exported}
        outcomes = model.config.disease.outcomes
        if outcomes is None:
            return {**found, "cases_migrants": int(self.cases.sum()), "hospitalisations": None, "dalys": None}
        on_route = np.flatnonzero((people.where[: people.count] == AT_NODE) | (people.where[: people.count] == ON_EDGE))
        at_end, days_left = self.leaving_of(on_route[self.infected[people.state[on_route]]])
        counted = Tallies(
            person_days=np.array([recorder.metric("migrants", name).sum() for name in names]),
            cases=self.cases, deaths=self.deaths, leaving=self.leaving + at_end, days_left=self.days_left + days_left,
            host_infections=int(recorder.metric("hosts", "new_infections").sum()),
            host_deaths=self.host_deaths())
        return {**found, **burden(model.disease, outcomes, counted)}
