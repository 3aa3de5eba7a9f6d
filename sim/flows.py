"""Flows as people: registrations, counted country by country along the route, turned into the
people who make them, and counted again in a run.

A published flow such as "163,521 apprehensions/registrations in the Western Balkans in 2023"
counts a person once in each country that registers them. Given the chance that a person entering
each country is registered there (`arrivals.registration`), the route's edge weights say how
often a person enters each country on average (an absorbing Markov chain from the entry nodes to
the destinations, all edges open), hence how many registrations a person makes, hence how many
people make the published total. A run counts the entries into each country (`country_entries`,
at the node entered) and so the registrations it implies, to compare with what was published.
"""

import networkx as nx
import numpy as np

from sim.errors import ConfigError, Problem


def entries_per_person(graph: nx.DiGraph, distance_power: float = 0.0) -> dict[str, float]:
    """Expected entries into each country per person entering the route (entering the route at
    an entry node counts as entering its country), with each edge weighed as route choice weighs
    it before any site is full: weight x (1 + travel_days) ** -distance_power (sim.schema.Movement)."""
    arrivals = graph.graph["arrivals"]
    nodes = list(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    country = [graph.nodes[node]["country"] for node in nodes]
    moves = np.zeros((len(nodes), len(nodes)))
    for node in nodes:
        if graph.nodes[node]["kind"] == "destination":
            continue
        out = [(target, data["weight"] * (1.0 + data["travel_days"]) ** -distance_power if distance_power else data["weight"])
               for _, target, data in graph.out_edges(node, data=True)]
        total = sum(weight for _, weight in out)
        for target, weight in out:
            moves[index[node], index[target]] = weight / total
    start = np.zeros(len(nodes))
    total_entry = sum(arrivals.entry.values())
    for node, share in arrivals.entry.items():
        start[index[node]] = share / total_entry
    visits = np.linalg.solve((np.eye(len(nodes)) - moves).T, start)  # expected visits to each node
    entries = dict.fromkeys(sorted(set(country)), 0.0)
    for i in range(len(nodes)):
        entries[country[i]] += start[i]
        for j in np.flatnonzero(moves[i]):
            if country[j] != country[i]:
                entries[country[j]] += visits[i] * moves[i, j]
    return entries


def people_per_year(graph: nx.DiGraph, distance_power: float = 0.0) -> float:
    """People entering the route a year: as given, or from the registrations they make."""
    arrivals = graph.graph["arrivals"]
    if arrivals.per_year is not None:
        return arrivals.per_year
    if arrivals.per_day is not None:
        return arrivals.per_day * 365.0
    per_person = registrations_per_person(graph, distance_power)
    if per_person <= 0:
        raise ConfigError(str(graph.graph["file"]), [Problem(
            "arrivals.registration", dict(arrivals.registration),
            "a chance of registration in at least one country the route's people enter")])
    return arrivals.registrations_per_year / per_person


def registrations_per_person(graph: nx.DiGraph, distance_power: float = 0.0) -> float:
    registration = graph.graph["arrivals"].registration
    return sum(registration.get(code, 0.0) * entries for code, entries in entries_per_person(graph, distance_power).items())


def registrations(graph: nx.DiGraph, node_ids: tuple[str, ...], country_entries: np.ndarray) -> dict:
    """What a run's entries into each country (`country_entries` summed over days, per node)
    imply: registrations by country and in all, at each country's chance of registration."""
    registration = graph.graph["arrivals"].registration if graph.graph.get("arrivals") is not None else {}
    by_country = {}
    for node_id, entered in zip(node_ids, country_entries):
        code = graph.nodes[node_id]["country"]
        if code in registration:
            by_country[code] = by_country.get(code, 0.0) + float(entered) * registration[code]
    return {"registrations": round(sum(by_country.values()), 1),
            "registrations_by_country": {code: round(value, 1) for code, value in sorted(by_country.items())}}
