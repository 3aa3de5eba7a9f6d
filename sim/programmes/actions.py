"""What programmes do to the people they reach, in the terms the core's rules read: isolate them
(movement waits, isolation cuts infectiousness), keep them in a separate area (the same, with the
separate area's smaller cut), refer them to care (they leave the next day towards a clinic or
hospital, under care), and mark them detected (surveillance reports them). Isolation places at
each site are shared by every programme that isolates people, first come first served.

`Positives` is what a site does with the people a test finds, as health authorities do at points
of entry (WHO 2020, Management of ill travellers at points of entry: detection, interview,
reporting, then "isolation, initial case management, and referral"): isolate them where a place
is free; when none is, the programme's `when_full` choice:
- `refer` (the default, WHO's): transfer to a clinic or hospital the site has a route to, where
  they are under care (IN_CARE: care's cut in infectiousness and in deaths); a site with no such
  route keeps them in its separate area instead;
- `separate_area`: kept apart at the site, in a tent or room that is not an isolation room, for
  the isolation days, with the policy's `isolation.separate_area_effect` cut in infectiousness;
- `release`: let go with advice to self-isolate, which people on the move cannot follow: no cut
  in infectiousness (the lower end of the 0-0.4 assumed for advice alone).
"""

from typing import Literal

import numba as nb
import numpy as np

from sim.population import AT_NODE, IN_CARE, ISOLATED, NOT_SEPARATED, REFERRED, SEPARATED, WAS_DETECTED
from sim.chunks import chunk_count, chunk_rows
from sim.selection import first_come_first_served

WHEN_FULL = ("refer", "separate_area", "release")
WhenFull = Literal[WHEN_FULL]
POSITIVE_METRICS = ("isolations", "isolation_full", "referrals", "separated", "released")
POSITIVE_COSTS = {"referrals": "referral", "separate_area": "person-day"}  # the programme's cost items they use
UNINFECTED = ("susceptible", "recovered", "dead")


def isolate(people, rows: np.ndarray, days: int) -> None:
    people.flags[rows] |= ISOLATED
    people.hold_timer[rows] = days


def separate(people, rows: np.ndarray, days: int) -> None:
    people.flags[rows] |= SEPARATED
    people.hold_timer[rows] = days


def refer(people, rows: np.ndarray, day: int) -> None:
    people.flags[rows] |= REFERRED
    people.leave_day[rows] = day + 1


def detect(people, rows: np.ndarray) -> np.ndarray:
    """Mark people detected; return those detected for the first time (each case is reported once)."""
    new = rows[(people.flags[rows] & WAS_DETECTED) == 0]
    people.flags[new] |= WAS_DETECTED
    return new


def infected_states(state_names: tuple[str, ...]) -> np.ndarray:
    """Bool per state code: people in it are infected."""
    return ~np.isin(np.array(state_names), UNINFECTED)


def refers_to_care(routes) -> np.ndarray:
    """Bool per node: the site has an edge to a clinic or hospital, where referrals go."""
    return np.array([routes.is_care[routes.edge_target[routes.out_start[n]:routes.out_start[n + 1]]].any()
                     for n in range(routes.node_count)])


@nb.njit(cache=True, parallel=True)
def isolated_at(people, node_count):
    """People in isolation at each node now (isolation places taken)."""
    count, where, node, flags = people.count, people.where, people.node, people.flags
    chunks = chunk_count(count)
    per_chunk = np.zeros((chunks, node_count), dtype=np.int64)
    for chunk in nb.prange(chunks):
        start, stop = chunk_rows(chunk, count)
        for i in range(start, stop):
            if where[i] == AT_NODE and flags[i] & ISOLATED:
                per_chunk[chunk, node[i]] += 1
    return per_chunk.sum(axis=0)


@nb.njit(cache=True, parallel=True)
def end_separations(people):
    """People whose hold in a separate area is over (or who left the site) rejoin the crowd.
    Movement ends an isolation with the hold; the separate area's bit is cleared here, the same
    day and before anyone is infected, so it lasts exactly as long."""
    where, flags, hold_timer = people.where, people.flags, people.hold_timer
    for i in nb.prange(people.count):
        if flags[i] & SEPARATED and (hold_timer[i] == 0 or where[i] != AT_NODE):
            flags[i] &= NOT_SEPARATED


class IsolationPlaces:
    """Who holds the isolation places at each site today: counted once a day, when a programme
    first asks, then kept up to date as programmes isolate more people."""

    def __init__(self, model):
        self.model = model
        self.day = -1
        self.taken = np.zeros(model.routes.node_count, dtype=np.int64)
        self.separating = False  # has anyone been put in a separate area yet

    def occupied(self, day: int) -> np.ndarray:
        if day != self.day:
            self.taken = isolated_at(self.model.people.view(), self.model.routes.node_count)
            self.day = day
        return self.taken

    def admit(self, rows: np.ndarray, places: np.ndarray, days: int, day: int) -> np.ndarray:
        """Isolate `rows` (in person order) for `days` while `places` (per node) are free; return
        which of them got a place (bool per row)."""
        people = self.model.people
        free = np.maximum(places - self.occupied(day), 0)
        placed = first_come_first_served(rows, people.node, free)
        isolate(people, rows[placed], days)
        self.taken += np.bincount(people.node[rows[placed]], minlength=self.taken.shape[0])
        return placed

    def separate(self, rows: np.ndarray, days: int) -> None:
        separate(self.model.people, rows, days)
        self.separating = self.separating or rows.shape[0] > 0

    def start_of_day(self) -> None:
        """End the separate-area holds that are over (before the day's programmes act)."""
        if self.separating:
            end_separations(self.model.people.view())


class Positives:
    """What a programme does with the people its test finds at a site (see the module's notes):
    isolation while places last, then `when_full`. Counts each outcome by node, and costs
    referrals and days in the separate area to the programme (isolation days are the policy's)."""

    def __init__(self, programme, places: np.ndarray, isolation_days: int, when_full: str):
        self.programme = programme
        self.model = model = programme.model
        self.places = places
        self.isolation_days = isolation_days
        self.when_full = when_full
        self.can_refer = refers_to_care(model.routes)
        self.infected = infected_states(model.disease.names)

    def isolate(self, rows: np.ndarray, day: int, tally) -> None:
        """Isolate `rows` (in person order) where places are free; the rest as `when_full` says."""
        node = self.model.people.node
        placed = self.model.programmes.isolation.admit(rows, self.places, self.isolation_days, day)
        tally.count("isolations", node[rows[placed]])
        tally.count("isolation_full", node[rows[~placed]])
        self.overflow(rows[~placed], day, tally)

    def overflow(self, rows: np.ndarray, day: int, tally) -> None:
        if self.when_full == "refer":
            self.refer(rows, day, tally)
        elif self.when_full == "separate_area":
            self.separate(rows, day, tally)
        else:
            tally.count("released", self.model.people.node[rows])

    def refer(self, rows: np.ndarray, day: int, tally) -> None:
        """To a clinic or hospital the site has a route to, under care (the infected); where there
        is none, into the site's separate area."""
        people = self.model.people
        to_care = self.can_refer[people.node[rows]]
        referred = rows[to_care]
        refer(people, referred, day)
        people.flags[referred[self.infected[people.state[referred]]]] |= IN_CARE
        tally.count("referrals", people.node[referred])
        self.programme.spend("referrals", day, self.per_node(referred), self.model.config.policy.isolation.cost_per_referral)
        self.separate(rows[~to_care], day, tally)

    def separate(self, rows: np.ndarray, day: int, tally) -> None:
        """Into the separate area for the isolation days (costed for them all at once)."""
        self.model.programmes.isolation.separate(rows, self.isolation_days)
        tally.count("separated", self.model.people.node[rows])
        self.programme.spend("separate_area", day, self.per_node(rows) * self.isolation_days,
                             self.model.config.policy.isolation.separate_area_cost_per_day)

    def per_node(self, rows: np.ndarray) -> np.ndarray:
        return np.bincount(self.model.people.node[rows], minlength=self.model.routes.node_count)
