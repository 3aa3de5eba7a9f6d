"""Scenario files -> a validated networkx route graph.

`load_scenario(path)` reads the file through `sim.inputs` (plain YAML data, its hash recorded in
the graph's `inputs`, so a run's identity covers the file's content), checks it against
`sim.schema.Scenario`, checks references and graph sanity, and returns a `networkx.DiGraph`: the
route graph users inspect and edit. Node and edge attributes are the file's fields; the graph's own
attributes hold the rest (arrivals, origins, initial, events) as validated objects.
"""

import logging
from datetime import date
from pathlib import Path

import networkx as nx

from sim.errors import ConfigError, Problem
from sim.fields import MAX_DAYS, day_of
from sim.inputs import InputFile, read_input
from sim.schema import Scenario, parse_scenario
from sim.series import read_series

log = logging.getLogger(__name__)


def load_scenario(path) -> nx.DiGraph:
    """Read, validate and return the route graph of a scenario file."""
    data, file = read_input(Path(path))
    return checked_graph(data, str(path), inputs=(file,), folder=Path(path).parent)


def validate_graph(graph: nx.DiGraph) -> nx.DiGraph:
    """Validate a route graph that may have been edited after loading, by the same rules as a file.
    Returns a freshly built graph from the validated data."""
    folder = graph.graph.get("folder")
    return checked_graph(graph_data(graph), f"{graph.graph.get('file', 'graph')} (as edited)",
                         folder=Path(folder) if folder is not None else None)


def checked_graph(data, source: str, inputs: tuple[InputFile, ...] = (), folder: Path | None = None) -> nx.DiGraph:
    """The validated graph; `inputs` are the files it was read from (none for an edited graph,
    whose content the run's identity hashes instead); `folder`: where the files it names (a
    series of arrivals) are found, by default the working folder."""
    scenario = parse_scenario(data, source)
    problems = reference_problems(scenario)
    if problems:
        raise ConfigError(source, problems)
    graph = to_graph(scenario, source)
    graph.graph["inputs"] = list(inputs)
    graph.graph["from_file"] = bool(inputs)  # False: built or edited in Python (identity hashes the content)
    graph.graph["folder"] = str(folder) if folder is not None else None
    graph.graph["series"] = None
    if scenario.arrivals is not None and scenario.arrivals.series is not None:
        named = scenario.arrivals.series
        path = Path(named.file) if Path(named.file).is_absolute() else (folder or Path.cwd()) / named.file
        series, record = read_series(path, named.counts, scenario.start_date, list(scenario.arrivals.entry),
                                     list(scenario.origins))
        graph.graph["series"] = series
        graph.graph["inputs"].append(record)
    problems = reachability_problems(graph)
    if problems:
        raise ConfigError(source, problems)
    for node in unreached_nodes(graph):
        log.warning("%s: node %s can be reached by no arrival or initial group", source, node)
    return graph


def graph_data(graph: nx.DiGraph) -> dict:
    """A route graph back to scenario-file data (the inverse of `to_graph`)."""
    dump = lambda item: item.model_dump(by_alias=True)
    arrivals = graph.graph.get("arrivals")
    return {
        "name": graph.graph.get("name"),
        "description": graph.graph.get("description", ""),
        "source": graph.graph.get("source"),
        "start_date": graph.graph.get("start_date"),
        "nodes": [{"id": node, **attrs} for node, attrs in graph.nodes(data=True)],
        "edges": [{"from": u, "to": v, **attrs} for u, v, attrs in graph.edges(data=True)],
        "arrivals": arrivals_data(graph) if arrivals is not None else None,
        "origins": {code: dump(origin) for code, origin in graph.graph.get("origins", {}).items()},
        "countries": {code: dump(country) for code, country in graph.graph.get("countries", {}).items()},
        "initial": [dump(group) for group in graph.graph.get("initial", [])],
        "events": [dump(event) for event in graph.graph.get("events", [])],
    }


def arrivals_data(graph: nx.DiGraph) -> dict:
    """The arrivals block as data, a series named by the absolute path of the file read (so the
    data can be checked again from any folder)."""
    data = graph.graph["arrivals"].model_dump(by_alias=True)
    series = graph.graph.get("series")
    if data.get("series") is not None and series is not None:
        data["series"]["file"] = str(Path(series.file).resolve())
    return data


def reference_problems(scenario: Scenario) -> list[Problem]:
    """Every id a scenario refers to exists; ids are unique."""
    problems = []
    ids = [node.id for node in scenario.nodes]
    known = set(ids)
    allowed_nodes = "one of the node ids: " + ", ".join(sorted(known)[:12]) + (" ..." if len(known) > 12 else "")
    first = {}
    for i, node_id in enumerate(ids):
        if first.setdefault(node_id, i) != i:
            problems.append(Problem(f"nodes[{i}].id", node_id, "node ids must be unique"))
    seen_edges = set()
    for i, edge in enumerate(scenario.edges):
        for key, node_id in (("from", edge.from_), ("to", edge.to)):
            if node_id not in known:
                problems.append(Problem(f"edges[{i}].{key}", node_id, allowed_nodes))
        if (edge.from_, edge.to) in seen_edges:
            problems.append(Problem(f"edges[{i}]", f"{edge.from_} -> {edge.to}", "each edge at most once"))
        if edge.from_ == edge.to:
            problems.append(Problem(f"edges[{i}]", f"{edge.from_} -> {edge.to}", "an edge must join two different nodes"))
        seen_edges.add((edge.from_, edge.to))
    origins = set(scenario.origins)
    if scenario.arrivals is not None:
        for node_id in scenario.arrivals.entry:
            if node_id not in known:
                problems.append(Problem(f"arrivals.entry.{node_id}", node_id, allowed_nodes))
        for code in scenario.arrivals.origins:
            if code not in origins:
                problems.append(Problem(f"arrivals.origins.{code}", code, f"an origin defined under origins: {sorted(origins)}"))
        for node_id, mix in scenario.arrivals.origins_by_entry.items():
            if node_id not in scenario.arrivals.entry:
                problems.append(Problem(f"arrivals.origins_by_entry.{node_id}", node_id, f"an entry node listed under arrivals.entry: {sorted(scenario.arrivals.entry)}"))
            for code in mix:
                if code not in origins:
                    problems.append(Problem(f"arrivals.origins_by_entry.{node_id}.{code}", code, f"an origin defined under origins: {sorted(origins)}"))
        for code in scenario.arrivals.registration:
            if code not in {node.country for node in scenario.nodes}:
                problems.append(Problem(f"arrivals.registration.{code}", code, "the country of a node of the scenario"))
    for i, node in enumerate(scenario.nodes):
        if node.host_population > 0 and node.country not in scenario.countries:
            problems.append(Problem(f"nodes[{i}] (id {node.id}).country", node.country,
                                    "a country described under countries (its host communities' ages, immunity, "
                                    f"background infection): {sorted(scenario.countries)}"))
    for i, group in enumerate(scenario.initial):
        if group.node not in known:
            problems.append(Problem(f"initial[{i}].node", group.node, allowed_nodes))
        if group.origin not in origins:
            problems.append(Problem(f"initial[{i}].origin", group.origin, f"an origin defined under origins: {sorted(origins)}"))
    for i, event in enumerate(scenario.events):
        if event.type == "close_edge" and (event.from_, event.to) not in seen_edges:
            problems.append(Problem(f"events[{i}]", f"{event.from_} -> {event.to}", "an edge listed under edges"))
        if event.node is not None and event.node not in known:
            problems.append(Problem(f"events[{i}].node", event.node, allowed_nodes))
        problems += event_date_problems(f"events[{i}]", event, scenario.start_date)
    return problems


def event_date_problems(path: str, event, start_date) -> list[Problem]:
    """An event's dates from the scenario's start_date on, its until after its day."""
    dated = [Problem(f"{path}.{key}", when.isoformat(), f"a date from the scenario's start_date {start_date.isoformat()} "
                                                        f"on (at most {MAX_DAYS:,} days after it)")
             for key, when in (("day", event.day), ("until", event.until))
             if isinstance(when, date) and not 0 <= day_of(when, start_date) <= MAX_DAYS]
    if dated:
        return dated
    first, until = day_of(event.day, start_date), day_of(event.until, start_date)
    if until is not None and until <= first:
        value = event.until.isoformat() if isinstance(event.until, date) else event.until
        return [Problem(f"{path}.until", value, f"a day after day {first} (until is the first day it no longer holds)")]
    return []


def to_graph(scenario: Scenario, source: str) -> nx.DiGraph:
    graph = nx.DiGraph(
        name=scenario.name,
        source=scenario.source,
        description=scenario.description,
        start_date=scenario.start_date,
        arrivals=scenario.arrivals,
        origins=scenario.origins,
        countries=scenario.countries,
        initial=scenario.initial,
        events=scenario.events,
        file=source,
    )
    for node in scenario.nodes:
        graph.add_node(node.id, **node.model_dump(exclude={"id"}))
    for edge in scenario.edges:
        graph.add_edge(edge.from_, edge.to, **edge.model_dump(exclude={"from_", "to"}))
    return graph


def entry_nodes(graph: nx.DiGraph) -> list[str]:
    """Nodes where people first appear: arrival entries and initial groups."""
    arrivals = graph.graph["arrivals"]
    entries = list(arrivals.entry) if arrivals is not None else []
    return entries + [group.node for group in graph.graph["initial"] if group.node not in entries]


def reachability_problems(graph: nx.DiGraph) -> list[Problem]:
    """Nobody can be stuck and no destination is cut off: every node people can reach (from an
    entry or an initial group) has a way on to a destination, and every destination can be
    reached. A node without outgoing edges and a cycle without a way out are both traps."""
    problems = []
    closed = {n for n, is_closed in graph.nodes(data="closed") if is_closed}
    edges_of = graph.out_degree  # as written (a node whose ways on are all closed is caught below)
    if closed:  # a closed site turns everyone away: no way leads through it
        graph = graph.copy()
        graph.remove_edges_from([(u, v) for u, v in list(graph.edges) if v in closed])
    destinations = {n for n, kind in graph.nodes(data="kind") if kind == "destination"}
    if not destinations:
        problems.append(Problem("nodes", "(no destination)", "at least one node of kind destination"))
        return problems
    for node, kind in graph.nodes(data="kind"):
        if kind != "destination" and edges_of(node) == 0:
            problems.append(Problem(f"nodes (id {node})", node, "a node that is not a destination needs an outgoing edge"))
    finishing = set(destinations).union(*(nx.ancestors(graph, node) for node in destinations))
    entries = entry_nodes(graph)
    for node in entries:
        if node not in finishing:
            problems.append(Problem(f"entry or initial node {node}", node, "a node from which some destination can be reached"
                                    + (" without passing a closed site" if closed else "")))
    reached = set(graph.nodes) - set(unreached_nodes(graph))
    for node in sorted(reached - finishing - set(entries)):
        if edges_of(node) > 0:
            problems.append(Problem(f"nodes (id {node})", node, "people reach this node but can never reach a destination "
                                    "from it (its edges lead only round a cycle, into a dead end or to closed sites)"))
    unreached = set(graph.nodes) - reached
    for node in sorted(destinations & unreached):
        problems.append(Problem(f"nodes (id {node})", node, "a destination that some entry or initial node can reach (check edge directions)"))
    return problems


def unreached_nodes(graph: nx.DiGraph) -> list[str]:
    reached = set()
    for node in entry_nodes(graph):
        reached |= nx.descendants(graph, node) | {node}
    return [node for node in graph.nodes if node not in reached]
