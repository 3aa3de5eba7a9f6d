"""People as a struct of arrays: one row a person, preallocated, grown in chunks, and compacted.

Each person-level property is declared once, by its owner, as a `Column` (name, dtype, fill):
the core declares `CORE_COLUMNS`; a programme declares its own (sim.programme.Programme.columns),
and `Population` is built from the declarations of the run (LASER's `add_scalar_property`,
Starsim's `define_states`). Programmes may also claim flag bits by name (`FlagBits`).

Rows past `count` are not yet in use (future arrivals). Each person keeps a `uid` (their arrival
number) and each travel group a group uid: random numbers are keyed by these, never by row, so
compaction (dropping the rows of people who left the route or died, keeping order) changes no
result, and memory stays flat on long runs. Travel groups (families) are contiguous rows with the
same group uid, so a kernel finds a person's group by looking at the neighbouring rows, without a
group table.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

# Codes compiled into cached numba kernels in other files. Numba's cache does not notice a change
# here, so never renumber them: add new ones.
# where a person is
ABSENT, AT_NODE, ON_EDGE, EXITED, DEAD = 0, 1, 2, 3, 4
# the core's bits of the `flags` column: what programmes can do to a person that the core's rules
# read (movement holds and refers, isolation, care and a separate area cut infectiousness, care
# averts deaths, detection feeds surveillance). Programmes claim the other bits by name (FlagBits).
ISOLATED, IN_CARE, WAS_DETECTED, REFERRED = np.uint8(1), np.uint8(2), np.uint8(4), np.uint8(8)
SEPARATED = np.uint8(16)  # held in a site's separate area (apart from the crowd, not in an isolation room)
NOT_ISOLATED, NOT_IN_CARE, NOT_REFERRED = np.uint8(0xFF ^ 1), np.uint8(0xFF ^ 2), np.uint8(0xFF ^ 8)
NOT_SEPARATED = np.uint8(0xFF ^ 16)
CORE_FLAGS = ISOLATED | IN_CARE | WAS_DETECTED | REFERRED | SEPARATED
# the bits that cut a person's infectiousness: tables of what is kept are indexed by flags & this
# (a Python int: tables have REDUCES_INFECTIOUSNESS + 1 entries, and sizes computed from it in
# uint8 would overflow)
REDUCES_INFECTIOUSNESS = int(ISOLATED | IN_CARE | SEPARATED)


@dataclass(frozen=True)
class Column:
    """One person-level property: its name, numpy dtype, the value of an unused row, and who owns
    it (the core, or the programme kind that declared it)."""

    name: str
    dtype: type
    fill: int = 0
    owner: str = "core"
    doc: str = ""


CORE_COLUMNS = (
    Column("uid", np.int32, doc="arrival number: the person's key for random numbers"),
    Column("where", np.int8, doc="ABSENT, AT_NODE, ON_EDGE, EXITED or DEAD"),
    Column("node", np.int16, doc="current node; while travelling, the node the edge leads to"),
    Column("edge", np.int16, -1, doc="edge being travelled, -1 otherwise"),
    Column("leave_day", np.int16, doc="day the stay at the node, or the journey on the edge, ends"),
    Column("state", np.int8, doc="natural-history state code"),
    Column("state_timer", np.int16, doc="days left in that state (durations are stored up to MAX_DAYS)"),
    Column("protection", np.uint8, doc="vaccine protection level (sim.protection.ProtectionLevels)"),
    Column("group", np.int32, doc="travel group uid: the group's key for random numbers"),
    Column("origin", np.int8, doc="origin code (index into the scenario's origins)"),
    Column("age_group", np.int8, doc="index into sim.fields.AGE_GROUPS"),
    Column("arrival_day", np.int16, doc="day of arrival at the current node"),
    Column("state_day", np.int16, doc="day the current natural-history state began"),
    Column("hold_timer", np.int16, doc="days left in isolation or held by a programme (no travel meanwhile)"),
    Column("flags", np.uint8, doc="the core's bits (ISOLATED, IN_CARE, WAS_DETECTED, REFERRED, SEPARATED) and programmes' bits"),
)


class People(NamedTuple):
    """The core columns of the rows in use, as the kernels take them (one argument, read by name,
    so two arrays of the same type cannot be swapped without notice)."""

    count: int
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


class FlagBits:
    """The free bits of the `flags` column, handed out to programmes by name."""

    def __init__(self, names: tuple[str, ...]):
        free = [np.uint8(1 << bit) for bit in range(8) if not CORE_FLAGS & (1 << bit)]
        if len(names) > len(free):
            raise ValueError(f"programmes claim {len(names)} flag bits ({', '.join(names)}); {len(free)} are free")
        if len(set(names)) != len(names):
            raise ValueError(f"a flag bit is claimed twice: {sorted(names)}")
        self.bits = dict(zip(names, free))

    def __getitem__(self, name: str) -> np.uint8:
        return self.bits[name]


def span(rows: np.ndarray) -> slice:
    """Consecutive rows (as `add_groups` returns them) as a slice: writing through a slice is a
    block copy, through an index array a scatter, several times slower on millions of rows."""
    return slice(int(rows[0]), int(rows[-1]) + 1) if rows.shape[0] else slice(0, 0)


class Population:
    """The arrays of every declared column (as attributes: `people.node`), `count` rows in use."""

    def __init__(self, rows: int, columns: tuple[Column, ...] = CORE_COLUMNS, flags: tuple[str, ...] = ()):
        names = [column.name for column in columns]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"person columns declared twice: {duplicated}")
        self.columns = tuple(columns)
        self.flag_bits = FlagBits(tuple(flags))
        rows = max(int(rows), 16)
        for column in self.columns:
            setattr(self, column.name, np.full(rows, column.fill, dtype=column.dtype))
        self.count = 0
        self.arrived = 0  # people ever added: the next uid
        self.groups_arrived = 0  # travel groups ever added: the next group uid

    @classmethod
    def empty(cls, rows: int, like: "Population | None" = None) -> "Population":
        """No one yet, room for `rows`; with the columns and flag bits of `like` if given."""
        if like is None:
            return cls(rows)
        return cls(rows, like.columns, tuple(like.flag_bits.bits))

    @property
    def capacity(self) -> int:
        return self.where.shape[0]

    def view(self) -> People:
        """The core columns of the rows in use, for the kernels."""
        return People(self.count, *(getattr(self, name) for name in People._fields[1:]))

    def reserve(self, people: int) -> None:
        """Make room for `people` more rows: first by dropping the rows of people no longer on the
        route, if that frees a quarter of the arrays, else by growing by at least half."""
        if self.count + people > self.capacity:
            gone = self.count - int(np.count_nonzero((self.where[: self.count] == AT_NODE) | (self.where[: self.count] == ON_EDGE)))
            if gone >= self.capacity // 4:
                self.compact()
        if self.count + people > self.capacity:
            size = max(self.count + people, int(self.capacity * 1.5))
            for column in self.columns:
                array = getattr(self, column.name)
                bigger = np.full(size, column.fill, dtype=column.dtype)
                bigger[: array.shape[0]] = array
                setattr(self, column.name, bigger)

    def compact(self) -> None:
        """Drop the rows of people who left the route or died, keeping everyone else in order."""
        rows = self.where[: self.count]
        keep = np.flatnonzero((rows == AT_NODE) | (rows == ON_EDGE))
        for column in self.columns:
            array = getattr(self, column.name)
            array[: keep.shape[0]] = array[keep]
            array[keep.shape[0]: self.count] = column.fill
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

    def bytes_per_person(self) -> int:
        return sum(np.dtype(column.dtype).itemsize for column in self.columns)
