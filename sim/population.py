"""People as a struct of arrays: one row a person, preallocated and grown in chunks.

Rows past `count` are not yet in use (future arrivals). Travel groups (families) are contiguous
rows, described by `group_first` and `group_size`, so a kernel can visit a group's members without
an index. 37 bytes a person, plus 8 a group.
"""

from dataclasses import dataclass, fields

import numpy as np

# Codes compiled into cached numba kernels in other files. Numba's cache does not notice a change
# here, so never renumber them: add new ones.
# where a person is
ABSENT, AT_NODE, ON_EDGE, EXITED, DEAD = 0, 1, 2, 3, 4
# bits of Population.flags
ISOLATED, IN_CARE, WAS_DETECTED, REFERRED = np.uint8(1), np.uint8(2), np.uint8(4), np.uint8(8)
NOT_ISOLATED, NOT_IN_CARE, NOT_REFERRED = np.uint8(0xFF ^ 1), np.uint8(0xFF ^ 2), np.uint8(0xFF ^ 8)

PERSON_DTYPES = {
    "where": np.int8,
    "node": np.int32,  # current node; while travelling, the node the edge leads to
    "edge": np.int32,  # edge being travelled, -1 otherwise
    "move_timer": np.int16,  # days left at the node or on the edge
    "state": np.int8,  # natural-history state code
    "state_timer": np.int32,  # days left in that state
    "protection": np.float32,  # vaccine protection: susceptibility is multiplied by 1 - protection
    "group": np.int32,
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
GROUP_DTYPES = {"group_first": np.int32, "group_size": np.int32}


def _grown(array: np.ndarray, size: int, fill) -> np.ndarray:
    bigger = np.full(size, fill, dtype=array.dtype)
    bigger[: array.shape[0]] = array
    return bigger


@dataclass
class Population:
    where: np.ndarray
    node: np.ndarray
    edge: np.ndarray
    move_timer: np.ndarray
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
    group_first: np.ndarray
    group_size: np.ndarray
    count: int = 0
    group_count: int = 0

    @classmethod
    def empty(cls, people: int, groups: int) -> "Population":
        people, groups = max(int(people), 16), max(int(groups), 16)
        arrays = {name: np.zeros(people, dtype=dtype) for name, dtype in PERSON_DTYPES.items()}
        arrays["edge"][:] = -1
        arrays.update({name: np.zeros(groups, dtype=dtype) for name, dtype in GROUP_DTYPES.items()})
        return cls(**arrays)

    @property
    def capacity(self) -> int:
        return self.where.shape[0]

    def reserve(self, people: int, groups: int) -> None:
        """Make room for `people` more rows and `groups` more groups, growing by at least half."""
        if self.count + people > self.capacity:
            size = max(self.count + people, int(self.capacity * 1.5))
            for name in PERSON_DTYPES:
                setattr(self, name, _grown(getattr(self, name), size, -1 if name == "edge" else 0))
        if self.group_count + groups > self.group_first.shape[0]:
            size = max(self.group_count + groups, int(self.group_first.shape[0] * 1.5))
            for name in GROUP_DTYPES:
                setattr(self, name, _grown(getattr(self, name), size, 0))

    def add_groups(self, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Append groups of the given sizes; return the new person ids and their group ids."""
        sizes = np.asarray(sizes, dtype=np.int64)
        people, groups = int(sizes.sum()), sizes.shape[0]
        self.reserve(people, groups)
        group_ids = np.arange(self.group_count, self.group_count + groups, dtype=np.int32)
        firsts = self.count + np.concatenate(([0], np.cumsum(sizes)[:-1])) if groups else np.zeros(0, np.int64)
        self.group_first[group_ids] = firsts
        self.group_size[group_ids] = sizes
        person_ids = np.arange(self.count, self.count + people, dtype=np.int64)
        self.group[person_ids] = np.repeat(group_ids, sizes)
        self.count += people
        self.group_count += groups
        return person_ids, np.repeat(group_ids, sizes)

    def bytes_per_person(self) -> float:
        person = sum(np.dtype(dtype).itemsize for dtype in PERSON_DTYPES.values())
        group = sum(np.dtype(dtype).itemsize for dtype in GROUP_DTYPES.values())
        return person + group * self.group_count / max(self.count, 1)

    def view(self, names=None) -> dict:
        names = names or [f.name for f in fields(self) if f.name in PERSON_DTYPES]
        return {name: getattr(self, name)[: self.count] for name in names}
