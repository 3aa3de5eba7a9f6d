"""What programmes do to the people they reach, in the terms the core's rules read: isolate or
hold them (movement waits, isolation cuts infectiousness), refer them to care (they leave the next
day towards a clinic or hospital), and mark them detected (surveillance reports them). Isolation
places at each site are shared by every programme that isolates people, first come first served.
"""

import numba as nb
import numpy as np

from sim.population import AT_NODE, ISOLATED, REFERRED, WAS_DETECTED
from sim.selection import CHUNK, first_come_first_served


def isolate(people, rows: np.ndarray, days: int) -> None:
    people.flags[rows] |= ISOLATED
    people.hold_timer[rows] = days


def hold(people, rows: np.ndarray, days: int) -> None:
    people.hold_timer[rows] = days


def refer(people, rows: np.ndarray, day: int) -> None:
    people.flags[rows] |= REFERRED
    people.leave_day[rows] = day + 1


def detect(people, rows: np.ndarray) -> np.ndarray:
    """Mark people detected; return those detected for the first time (each case is reported once)."""
    new = rows[(people.flags[rows] & WAS_DETECTED) == 0]
    people.flags[new] |= WAS_DETECTED
    return new


@nb.njit(cache=True, parallel=True)
def isolated_at(people, node_count):
    """People in isolation at each node now (isolation places taken)."""
    count, where, node, flags = people.count, people.where, people.node, people.flags
    chunks = (count + CHUNK - 1) // CHUNK
    per_chunk = np.zeros((chunks, node_count), dtype=np.int64)
    for chunk in nb.prange(chunks):
        for i in range(chunk * CHUNK, min(count, (chunk + 1) * CHUNK)):
            if where[i] == AT_NODE and flags[i] & ISOLATED:
                per_chunk[chunk, node[i]] += 1
    return per_chunk.sum(axis=0)


class IsolationPlaces:
    """Who holds the isolation places at each site today: counted once a day, when a programme
    first asks, then kept up to date as programmes isolate more people."""

    def __init__(self, model):
        self.model = model
        self.day = -1
        self.taken = np.zeros(model.routes.node_count, dtype=np.int64)

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
