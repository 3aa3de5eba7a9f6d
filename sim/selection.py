"""The two shared steps of every programme that picks people and serves them within capacity.

1. Selection, in parallel: a programme's own kernel marks, for every row in use, whether the
   person is due today (`mask[i] = ...`, in a plain `prange` loop); `Selection.rows()` gathers the
   marked rows in person order, in parallel chunks.
2. Spending, serially: `first_come_first_served` walks those rows in person order (arrival order)
   and says who gets the service while their node's capacity lasts.

Each programme then acts on the people served (vectorised over them, or in a small kernel of its
own). No programme repeats either skeleton.
"""

import numba as nb
import numpy as np

from sim.chunks import CHUNK, chunk_count, chunk_rows


@nb.njit(cache=True, parallel=True)
def marked_rows(mask, count, scratch):
    """The rows i < count with mask[i], in order. Each chunk writes its rows at its own offset of
    `scratch`, then the chunks are packed."""
    chunks = chunk_count(count)
    found = np.zeros(chunks, dtype=np.int64)
    for chunk in nb.prange(chunks):
        first, stop = chunk_rows(chunk, count)
        n = np.uint64(0)
        for i in range(first, stop):
            if mask[i]:
                scratch[first + n] = i
                n += np.uint64(1)
        found[chunk] = n
    starts = np.cumsum(found) - found
    rows = np.empty(found.sum(), dtype=np.int64)
    for chunk in nb.prange(chunks):
        rows[starts[chunk]: starts[chunk] + found[chunk]] = scratch[chunk * CHUNK: chunk * CHUNK + found[chunk]]
    return rows


@nb.njit(cache=True)
def first_come_first_served(rows, node, capacity):
    """Which of `rows` (in person order) are served within their node's `capacity`: a bool per
    row; the others are turned away."""
    used = np.zeros(capacity.shape[0], dtype=np.int64)
    served = np.zeros(rows.shape[0], dtype=np.bool_)
    for k in range(rows.shape[0]):
        here = node[rows[k]]
        if used[here] < capacity[here]:
            used[here] += 1
            served[k] = True
    return served


class Selection:
    """The scratch arrays of the day's selections, kept between days and grown with the people."""

    def __init__(self):
        self.mask_array = np.zeros(0, dtype=np.bool_)
        self.scratch = np.zeros(0, dtype=np.int32)
        self.count = 0

    def mask(self, people) -> np.ndarray:
        """A mask for a programme's kernel to mark, one entry per row of `people`."""
        if self.mask_array.shape[0] < people.count:
            self.mask_array = np.zeros(people.capacity, dtype=np.bool_)
            self.scratch = np.zeros(people.capacity, dtype=np.int32)
        self.count = people.count
        return self.mask_array

    def rows(self) -> np.ndarray:
        """The rows the last `mask` was marked with, in person order."""
        return marked_rows(self.mask_array, self.count, self.scratch)
