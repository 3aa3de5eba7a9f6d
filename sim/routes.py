"""The route graph compiled to arrays for the kernels, and Mesa's network space built from it.

`compile_routes(graph)` orders nodes as the graph lists them and edges grouped by their source
node (CSR: the out-edges of node n are `out_start[n]:out_start[n + 1]`). The scenario's events,
their days and dates as days of the run: closed edges and closed sites (every edge into them)
become a per-day open flag (`open_on`), changes of a site's capacity a per-day capacity
(`capacity_on`). Route choice (`Routes.choice_on`) weighs each open edge by its base weight, its
travel days and how full the site it leads to is against that day's capacity (sim.schema.Movement).
"""

import inspect
import logging
from dataclasses import dataclass, field
from typing import NamedTuple

import networkx as nx
import numba as nb
import numpy as np
from mesa.discrete_space import Network

from sim.disease import duration_table
from sim.errors import ConfigError, Problem
from sim.fields import MAX_COUNT, NODE_KINDS, day_of
from sim.schema import Stage

log = logging.getLogger(__name__)


class RouteArrays(NamedTuple):
    """What the movement kernel reads of the route (one argument, read by name)."""

    out_start: np.ndarray
    edge_target: np.ndarray
    edge_travel: np.ndarray
    edge_crosses: np.ndarray  # bool: the edge enters another country
    is_destination: np.ndarray
    dwell_table: np.ndarray


@dataclass(frozen=True)
class Routes:
    node_ids: tuple[str, ...]
    kind: np.ndarray  # int8 index into NODE_KINDS
    is_destination: np.ndarray  # bool
    is_care: np.ndarray  # bool: clinics and hospitals, where referrals go
    capacity: np.ndarray  # int64
    host_population: np.ndarray  # int64
    isolation_places: np.ndarray  # int64
    dwell_table: np.ndarray  # int32 [node, quantile]: whole days of a stay
    out_start: np.ndarray  # int64 [node + 1]
    edge_source: np.ndarray  # int32
    edge_target: np.ndarray  # int32
    edge_travel: np.ndarray  # int32 days
    edge_weight: np.ndarray  # float64
    edge_crosses: np.ndarray  # bool: the edge enters another country
    closures: tuple[tuple[int, int, int | None], ...]  # (edge, from day, until day or None)
    closed_site: np.ndarray  # bool [node]: turns everyone away
    full_at: np.ndarray  # int64 [node]: people at which the site turns newcomers away (MAX_COUNT + 1: never)
    capacity_changes: tuple[tuple[int, int, int | None, int], ...] = ()  # (node, from day, until day or None, capacity)
    distance_power: float = 0.0  # sim.schema.Movement
    capacity_aversion: float = 0.0
    _choices: dict = field(default_factory=dict, compare=False, repr=False)  # open pattern -> RouteChoice

    @property
    def node_count(self) -> int:
        return len(self.node_ids)

    @property
    def arrays(self) -> RouteArrays:
        return RouteArrays(self.out_start, self.edge_target, self.edge_travel, self.edge_crosses, self.is_destination,
                           self.dwell_table)

    def index(self, node_id: str) -> int:
        return self.node_ids.index(node_id)

    def open_on(self, day: int) -> np.ndarray:
        """Which edges are open on a day."""
        is_open = np.ones(self.edge_target.shape[0], dtype=np.bool_)
        for edge, start, until in self.closures:
            if day >= start and (until is None or day < until):
                is_open[edge] = False
        return is_open

    def capacity_on(self, day: int) -> np.ndarray:
        """Each site's capacity on a day: as built, or as the last change in effect that day says."""
        capacity = self.capacity
        for node, start, until, places in self.capacity_changes:
            if day >= start and (until is None or day < until):
                capacity = capacity.copy() if capacity is self.capacity else capacity
                capacity[node] = places
        return capacity

    @property
    def sees_occupancy(self) -> bool:
        """Whether route choice depends on how many people each site holds (then its tables are
        computed every day; otherwise once for each pattern of open edges)."""
        return bool(self.capacity_aversion > 0 and (self.capacity > 0).any()) or bool((self.full_at <= MAX_COUNT).any())

    def base_weight(self) -> np.ndarray:
        """[edge]: the scenario's weight x (1 + travel_days) ** -distance_power (exactly the weight
        when distance_power is 0)."""
        if self.distance_power == 0:
            return self.edge_weight
        return self.edge_weight * (1.0 + self.edge_travel) ** -self.distance_power

    def site_factor(self, occupancy: np.ndarray, capacity: np.ndarray | None = None) -> np.ndarray:
        """[node]: how much of its weight an edge into each site keeps, given the people each site
        holds and its capacity (default: as built; a day's from `capacity_on`): 1 up to its
        capacity (and always for a site built for nobody), then (capacity / people) **
        capacity_aversion; 0 if the site is closed or holds `full_at`."""
        occupancy = np.asarray(occupancy, dtype=np.float64)
        capacity = self.capacity if capacity is None else capacity
        over = (capacity > 0) & (occupancy > capacity)
        factor = np.ones(self.node_count)
        if self.capacity_aversion > 0 and over.any():
            factor[over] = (capacity[over] / occupancy[over]) ** self.capacity_aversion
        factor[self.closed_site | (occupancy >= self.full_at)] = 0.0
        return factor

    def choice_on(self, day: int, occupancy: np.ndarray | None = None) -> "RouteChoice":
        """The route choice tables of a day: from the open edges and, where route choice sees how
        full sites are, the people each site holds (`occupancy`, [node]; None: nobody anywhere)."""
        is_open = self.open_on(day)
        if self.sees_occupancy:
            held = np.zeros(self.node_count) if occupancy is None else occupancy
            return RouteChoice.of(self, is_open, self.site_factor(held, self.capacity_on(day))[self.edge_target])
        key = is_open.tobytes()
        if key not in self._choices:
            self._choices[key] = RouteChoice.of(self, is_open, self.site_factor(np.zeros(self.node_count))[self.edge_target])
        return self._choices[key]


class RouteChoice(NamedTuple):
    """How people leaving a node choose an out-edge, as tables for the movement kernel. Row 0: any
    open edge; row 1: open edges to care (clinics, hospitals), for people referred there. Per edge,
    the cumulative weight of the node's eligible out-edges up to it (an edge not eligible adds
    nothing); per node, their total and the last eligible edge (-1: none). A uniform u picks the
    first edge whose cumulative weight exceeds u x total, or the last one if rounding reaches the
    total."""

    cumulative: np.ndarray  # float64 [2, edge]
    total: np.ndarray  # float64 [2, node]
    last: np.ndarray  # int64 [2, node]

    @classmethod
    def of(cls, routes: Routes, is_open: np.ndarray, factor: np.ndarray | None = None) -> "RouteChoice":
        """The tables for the open edges, each weighed by its base weight x `factor` ([edge], what
        the site it leads to leaves of its weight; None: all 1). An edge of weight 0 (into a
        closed or full site) is not eligible: with none eligible people wait a day."""
        weight = routes.base_weight() if factor is None else routes.base_weight() * factor
        eligible = np.stack([is_open, is_open & routes.is_care[routes.edge_target]]) & (weight > 0)
        cumulative = np.zeros((2, weight.shape[0]))
        total = np.zeros((2, routes.node_count))
        last = np.full((2, routes.node_count), -1, dtype=np.int64)
        fill_tables(routes.out_start, weight, eligible, cumulative, total, last)
        return cls(cumulative, total, last)


@nb.njit(cache=True)
def fill_tables(out_start, weight, eligible, cumulative, total, last):
    """Running sums of eligible weights over each node's out-edges, left to right (the sums
    np.cumsum makes), their totals and each node's last eligible edge, for both rows."""
    for row in range(2):
        for node in range(out_start.shape[0] - 1):
            running = 0.0
            for e in range(out_start[node], out_start[node + 1]):
                if eligible[row, e]:
                    running += weight[e]
                    last[row, node] = e
                cumulative[row, e] = running
            if last[row, node] >= 0:
                total[row, node] = running


def chosen_events(graph: nx.DiGraph, enabled: list[str]) -> list:
    """The scenario's events that run: all that are not optional, plus the optional ones named."""
    events = graph.graph.get("events", [])
    known = {event.name for event in events if event.optional}
    unknown = [name for name in enabled if name not in known]
    if unknown:
        allowed = f"an optional event of this scenario: {sorted(known)}" if known else "this scenario has no optional events"
        raise ConfigError("config", [Problem("scenario.events", name, allowed) for name in unknown])
    return [event for event in events if not event.optional or event.name in enabled]


def event_problems(graph: nx.DiGraph, enabled: list[str], days: int) -> list[Problem]:
    """The optional events a run names must start within it (a scenario's own events may lie
    beyond a short run: they are logged, not refused)."""
    problems, start_date = [], graph.graph["start_date"]
    for event in chosen_events(graph, enabled):
        first = day_of(event.day, start_date)
        if first < days:
            continue
        if event.optional:
            problems.append(Problem("scenario.events", event.name, f"an event that starts within the run: {event.name} "
                                    f"starts on day {first} ({event.day}), the run's last day is {days - 1} (days={days})"))
        else:
            log.warning("%s: event %s starts on day %s, after this run's last day (%s)", graph.graph.get("file"),
                        event.name, first, days - 1)
    return list(dict.fromkeys(problems))


def compile_routes(graph: nx.DiGraph, enabled_events: list[str] = (), movement=None) -> Routes:
    """The route's arrays; `movement` (sim.schema.Movement) sets how route choice weighs travel
    days and full sites (None: by base weight and closed or full sites only)."""
    node_ids = tuple(graph.nodes)
    index = {node_id: i for i, node_id in enumerate(node_ids)}
    attrs = [graph.nodes[node_id] for node_id in node_ids]
    edges = sorted(graph.edges(data=True), key=lambda e: (index[e[0]], index[e[1]]))
    source = np.array([index[u] for u, _, _ in edges], dtype=np.int32)
    edge_index = {(u, v): e for e, (u, v, _) in enumerate(edges)}
    events, start_date = chosen_events(graph, list(enabled_events)), graph.graph["start_date"]
    window = lambda event: (day_of(event.day, start_date), day_of(event.until, start_date))
    closures = tuple(
        (edge, *window(event))
        for event in events if event.type in ("close_edge", "close_site")
        for edge in ([edge_index[(event.from_, event.to)]] if event.type == "close_edge"
                     else [edge_index[(u, event.node)] for u in graph.predecessors(event.node)])
    )
    capacity_changes = tuple((index[event.node], *window(event), event.capacity)
                             for event in events if event.type == "change_capacity")
    return Routes(
        node_ids=node_ids,
        kind=np.array([NODE_KINDS.index(a["kind"]) for a in attrs], dtype=np.int8),
        is_destination=np.array([a["kind"] == "destination" for a in attrs]),
        is_care=np.array([a["kind"] in ("clinic", "hospital") for a in attrs]),
        capacity=np.array([a["capacity"] for a in attrs], dtype=np.int64),
        host_population=np.array([a["host_population"] for a in attrs], dtype=np.int64),
        isolation_places=np.array([a.get("isolation_places", 0) for a in attrs], dtype=np.int64),
        dwell_table=np.stack([duration_table(Stage(mean=a["dwell"]["mean"], shape=a["dwell"]["shape"])) for a in attrs]),
        out_start=np.searchsorted(source, np.arange(len(node_ids) + 1)).astype(np.int64),
        edge_source=source,
        edge_target=np.array([index[v] for _, v, _ in edges], dtype=np.int32),
        edge_travel=np.array([d["travel_days"] for _, _, d in edges], dtype=np.int32),
        edge_weight=np.array([d["weight"] for _, _, d in edges], dtype=np.float64),
        edge_crosses=np.array([attrs[index[u]]["country"] != attrs[index[v]]["country"] for u, v, _ in edges], dtype=np.bool_),
        closures=closures,
        capacity_changes=capacity_changes,
        closed_site=np.array([bool(a.get("closed", False)) for a in attrs], dtype=np.bool_),
        full_at=np.array([MAX_COUNT + 1 if a.get("full_at") is None else a["full_at"] for a in attrs], dtype=np.int64),
        distance_power=float(movement.distance_power) if movement is not None else 0.0,
        capacity_aversion=float(movement.capacity_aversion) if movement is not None else 0.0,
    )


def network_space(graph: nx.DiGraph, random) -> Network:
    """Mesa's network space over the route graph, without Mesa 3.5's costly default layout."""
    options = {"random": random}
    if "layout" in inspect.signature(Network.__init__).parameters:
        options["layout"] = None
    return Network(graph, **options)
