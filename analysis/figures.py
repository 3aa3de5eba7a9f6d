"""Standard figures, drawn with matplotlib (colour-blind-safe palette, titled, with units)."""

import matplotlib

matplotlib.use("Agg")  # files, not windows: works on a server and in CI
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np

# Okabe and Ito (2008) colour-blind-safe palette, one colour per node kind
KIND_COLOURS = {
    "origin": "#000000",
    "border": "#D55E00",
    "transit_centre": "#E69F00",
    "reception_centre": "#0072B2",
    "informal_site": "#CC79A7",
    "clinic": "#009E73",
    "hospital": "#56B4E9",
    "destination": "#F0E442",
}


def route_map(graph: nx.DiGraph, ax=None, node_size=None, title: str | None = None):
    """The route graph at its nodes' longitude and latitude, coloured by kind, sized by capacity
    (or by `node_size`, a mapping node -> size). Returns the matplotlib Axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 7))
    position = {node: (data["lon"], data["lat"]) for node, data in graph.nodes(data=True)}
    if node_size is None:
        capacity = np.array([max(graph.nodes[n]["capacity"], 1) for n in graph.nodes])
        node_size = dict(zip(graph.nodes, 20 + 280 * np.sqrt(capacity / capacity.max())))
    nx.draw_networkx_edges(graph, position, ax=ax, edge_color="#999999", arrows=True, arrowsize=8,
                           width=0.8, connectionstyle="arc3,rad=0.08", node_size=[node_size[n] for n in graph.nodes])
    for kind, colour in KIND_COLOURS.items():
        nodes = [n for n, k in graph.nodes(data="kind") if k == kind]
        if nodes:
            nx.draw_networkx_nodes(graph, position, nodelist=nodes, ax=ax, node_color=colour, edgecolors="#333333",
                                   linewidths=0.6, node_size=[node_size[n] for n in nodes], label=kind.replace("_", " "))
    for node, (x, y) in position.items():
        ax.annotate(node, (x, y), fontsize=6, xytext=(4, 3), textcoords="offset points")
    ax.set_xlabel("longitude (degrees east)")
    ax.set_ylabel("latitude (degrees north)")
    ax.set_title(title or f"{graph.graph['name']}: route graph, {graph.number_of_nodes()} nodes (area by capacity, labels are node ids)")
    ax.legend(loc="best", fontsize=7, markerscale=0.5, frameon=False)
    ax.tick_params(labelbottom=True, labelleft=True)
    ax.set_aspect(1 / np.cos(np.radians(np.mean([y for _, y in position.values()]))))
    return ax
