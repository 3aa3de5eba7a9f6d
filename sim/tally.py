"""The day's counts per node, as one array the kernels add to, with a column per metric.

`tally.array[thread, node, metric]`: kernels add into their thread's row (no atomics), and the
day's counts are the sum over threads. The columns are the core's flows (at the fixed places the
kernels compile in: sim.kernels.CORE_FLOWS), the core's stocks, the stocks by natural-history
state, then the metrics the run's programmes declared (sim.programme.Programme.metrics); code
outside the kernels finds a column by name.
"""

import numpy as np

from sim.kernels import CORE_FLOWS, CORE_STOCKS, NEW_INFECTIONS, Holdings


def metric_names(state_names: tuple[str, ...], programme_metrics: tuple[str, ...]) -> tuple[str, ...]:
    """Every column, in order; a metric several programmes declare (or the core has) is one column."""
    names = CORE_FLOWS + CORE_STOCKS + tuple(state_names)
    return names + tuple(dict.fromkeys(name for name in programme_metrics if name not in names))


class Tally:
    def __init__(self, threads: int, node_count: int, state_names: tuple[str, ...], programme_metrics: tuple[str, ...]):
        self.names = metric_names(state_names, programme_metrics)
        self.column = {name: i for i, name in enumerate(self.names)}
        self.state_names = tuple(state_names)
        self.array = np.zeros((threads, node_count, len(self.names)), dtype=np.int64)

    def clear(self) -> None:
        self.array[:] = 0

    def add(self, name: str, counts: np.ndarray) -> None:
        """Add counts per node to a metric."""
        self.array[0, :, self.column[name]] += counts

    def count(self, name: str, nodes: np.ndarray, weights=None) -> None:
        """Add one to a metric at each node listed (or `weights`, whole numbers, at each)."""
        counted = np.bincount(nodes, weights=weights, minlength=self.array.shape[1])
        self.add(name, np.rint(counted).astype(np.int64) if weights is not None else counted)

    def today(self, name: str) -> np.ndarray:
        """A metric's counts so far today, per node."""
        return self.array[:, :, self.column[name]].sum(axis=0)

    def add_stocks(self, held: Holdings) -> None:
        """The day's stocks, from what progression counted."""
        self.add("present", held.present)
        self.add("in_transit", held.in_transit)
        self.add("isolated", held.isolated)
        first = self.column[self.state_names[0]]
        self.array[0, :, first: first + len(self.state_names)] += held.by_state

    def move_new_infections(self, susceptible: str, exposed: str) -> None:
        """Move the day's new infections from the susceptible to the exposed stock, at their node
        (progression counted the stocks before transmission)."""
        new = self.array[:, :, NEW_INFECTIONS].sum(axis=0)
        self.add(susceptible, -new)
        self.add(exposed, new)

    def totals(self) -> np.ndarray:
        """The day's counts, summed over threads: [node, metric]."""
        return self.array.sum(axis=0)
