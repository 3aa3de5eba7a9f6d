"""People as a struct of arrays: one row a person, preallocated, grown in chunks, and compacted.

Rows past `count` are not yet in use (future arrivals). Each person keeps a `uid` (their arrival
number) and each travel group a group uid: random numbers are keyed by these, never by row, so
compaction (dropping the rows of people who left the route or died, keeping order) changes no
result, and memory stays flat on long runs. Travel groups (families) are contiguous rows with the
same group uid, so a kernel finds a person's group by looking at the neighbouring rows, without a
group table. 32 bytes a person.
"""

from dataclasses import dataclass

import numpy as np

# Codes compiled into cached numba kernels in other files. Numba's cache does not notice a change
# here, so never renumber them: add new ones.
# where a person is
ABSENT, AT_NODE, ON_EDGE, EXITED, DEAD = 0, 1, 2, 3, 4
# bits of Population.flags
ISOLATED, IN_CARE, WAS_DETECTED, REFERRED = np.uint8(1), np.uint8(2), np.uint8(4), np.uint8(8)
NOT_ISOLATED, NOT_IN_CARE, NOT_REFERRED = np.uint8(0xFF ^ 1), np.uint8(0xFF ^ 2), np.uint8(0xFF ^ 8)

PERSON_DTYPES = {
    "uid": np.int32,  # arrival number: the person's key for random numbers
    "where": np.int8,
    "node": np.int16,  # current node; while travelling, the node the edge leads to
    "edge": np.int16,  # edge being travelled, -1 otherwise
    "leave_day": np.int16,  # day the stay at the node, or the journey on the edge, ends
    "state": np.int8,  # natural-history state code
    "state_timer": np.int16,  # days left in that state (durations are stored up to MAX_DAYS)
    "protection": np.uint8,  # vaccine protection level (sim.policies.vaccination.ProtectionLevels)
    "group": np.int32,  # travel group uid: the group's key for random numbers
    "origin": np.int8,
    "age_group": np.int8,
    "arrival_day": np.int16,  # day of arrival at the current node
    "state_day": np.int16,  # day the current natural-history state began
    "hold_timer": np.int16,  # days left in isolation or held by a policy (no travel meanwhile)
    "flags": np.uint8,  # ISOLATED | IN_CARE | WAS_DETECTED | REFERRED
    "barriers": np.uint8,  # one bit per access-to-care barrier (sim.policies.care.BARRIERS)
    "doses": np.int8,  # vaccine doses received
    "last_dose_day": np.int16,
}


def span(rows: np.ndarray) -> slice:
    """Consecutive rows (as `add_groups` returns them) as a slice: writing through a slice is a
    block copy, through an index array a scatter, several times slower on millions of rows."""
    return slice(int(rows[0]), int(rows[-1]) + 1) if rows.shape[0] else slice(0, 0)


def _grown(array: np.ndarray, size: int, fill) -> np.ndarray:
    bigger = np.full(size, fill, dtype=array.dtype)
    bigger[: array.shape[0]] = array
    return bigger


@dataclass
class Population:
    uid: np.ndarray
    where: np.ndarray
    node: np.ndarray
    edge: np.ndarray
    leave_day: np.ndarray
    state: np.ndarray
    state_timer: np.ndarray
    protection: np.ndarray
    group: np.ndarray
    origin: np.ndarray
    age_group: np.ndarray
    arrival_day: np.ndarray
    state_day: np.ndarray
    hold_timer: np.ndarray
    flags: np.ndarray
    barriers: np.ndarray
    doses: np.ndarray
    last_dose_day: np.ndarray
    count: int = 0
    arrived: int = 0  # people ever added: the next uid
    groups_arrived: int = 0  # travel groups ever added: the next group uid

    @classmethod
    def empty(cls, people: int) -> "Population":
        people = max(int(people), 16)
        arrays = {name: np.zeros(people, dtype=dtype) for name, dtype in PERSON_DTYPES.items()}
        arrays["edge"][:] = -1
        return cls(**arrays)

    @property
    def capacity(self) -> int:
        return self.where.shape[0]

    def reserve(self, people: int) -> None:
        """Make room for `people` more rows: first by dropping the rows of people no longer on the
        route, if that frees a quarter of the arrays, else by growing by at least half."""
        if self.count + people > self.capacity:
            gone = self.count - int(np.count_nonzero((self.where[: self.count] == AT_NODE) | (self.where[: self.count] == ON_EDGE)))
            if gone >= self.capacity // 4:
                self.compact()
        if self.count + people > self.capacity:
            size = max(self.count + people, int(self.capacity * 1.5))
            for name in PERSON_DTYPES:
                setattr(self, name, _grown(getattr(self, name), size, -1 if name == "edge" else 0))

    def compact(self) -> None:
        """Drop the rows of people who left the route or died, keeping everyone else in order."""
        rows = self.where[: self.count]
        keep = np.flatnonzero((rows == AT_NODE) | (rows == ON_EDGE))
        for name in PERSON_DTYPES:
            array = getattr(self, name)
            array[: keep.shape[0]] = array[keep]
            array[keep.shape[0]: self.count] = -1 if name == "edge" else 0
        self.count = keep.shape[0]

    def add_groups(self, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Append groups of the given sizes; return the new rows, their uids and group uids."""
        sizes = np.asarray(sizes, dtype=np.int64)
        people, groups = int(sizes.sum()), sizes.shape[0]
        self.reserve(people)
        rows = np.arange(self.count, self.count + people, dtype=np.int64)
        uids = np.arange(self.arrived, self.arrived + people, dtype=np.int64)
        group_uids = np.repeat(np.arange(self.groups_arrived, self.groups_arrived + groups, dtype=np.int64), sizes)
        self.uid[span(rows)] = uids
        self.group[span(rows)] = group_uids
        self.count += people
        self.arrived += people
        self.groups_arrived += groups
        return rows, uids, group_uids

    def row_of(self, uid: int) -> int | None:
        """The row of a person still on the route (rows keep arrival order), or None."""
        row = int(np.searchsorted(self.uid[: self.count], uid))
        return row if row < self.count and self.uid[row] == uid else None

    @staticmethod
    def bytes_per_person() -> int:
        return sum(np.dtype(dtype).itemsize for dtype in PERSON_DTYPES.values())
