"""Route maps: sites at their longitude and latitude over the countries they lie in (Natural
Earth borders shipped in the package), routes as arrows, site names placed clear of each other
and of the sites (textalloc), colours from analysis.palette."""

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
import textalloc

from analysis import borders
from analysis.comparison import arm_order, run_arms
from analysis.palette import KIND_COLOURS, SEQUENTIAL

LABEL_SIZE = 7  # points


def extent(graph: nx.DiGraph, margin: float = 0.12) -> tuple[float, float, float, float]:
    """The map's lon_min, lat_min, lon_max, lat_max: the sites with a margin (at least half a degree)."""
    lon = np.array([data["lon"] for _, data in graph.nodes(data=True)])
    lat = np.array([data["lat"] for _, data in graph.nodes(data=True)])
    pad = max(margin * max(np.ptp(lon), np.ptp(lat)), 0.5)
    return lon.min() - pad, lat.min() - pad, lon.max() + pad, lat.max() + pad


def route_map(graph: nx.DiGraph, ax=None, node_size=None, title: str | None = None, node_colour=None,
              colour_label: str = ""):
    """The route graph at its nodes' longitude and latitude over country borders, coloured by
    kind, sized by capacity (or by `node_size`, a mapping node -> marker area in points squared),
    each site labelled with its name. With `node_colour` (a mapping node -> number), nodes are
    coloured by that value instead, with a colour bar labelled `colour_label`. Returns the Axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 7), layout="constrained")
    position = {node: (data["lon"], data["lat"]) for node, data in graph.nodes(data=True)}
    if node_size is None:
        capacity = np.array([max(graph.nodes[n]["capacity"], 1) for n in graph.nodes])
        node_size = dict(zip(graph.nodes, 20 + 280 * np.sqrt(capacity / capacity.max())))
    west, south, east, north = extent(graph)
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(1 / np.cos(np.radians((south + north) / 2)))
    borders.draw(ax, (west, south, east, north))
    nx.draw_networkx_edges(graph, position, ax=ax, edge_color="#888888", arrows=True, arrowsize=8,
                           width=0.8, connectionstyle="arc3,rad=0.08", node_size=[node_size[n] for n in graph.nodes])
    if node_colour is None:
        for kind, colour in KIND_COLOURS.items():
            nodes = [n for n, k in graph.nodes(data="kind") if k == kind]
            if nodes:
                nx.draw_networkx_nodes(graph, position, nodelist=nodes, ax=ax, node_color=colour, edgecolors="#333333",
                                       linewidths=0.6, node_size=[node_size[n] for n in nodes], label=kind.replace("_", " "))
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7, markerscale=0.5, frameon=False)  # off the map
    else:
        nodes = list(graph.nodes)
        drawn = nx.draw_networkx_nodes(graph, position, nodelist=nodes, ax=ax, node_color=[node_colour[n] for n in nodes],
                                       cmap=SEQUENTIAL, vmin=0, vmax=max(max(node_colour.values()), 1),
                                       edgecolors="#333333", linewidths=0.6, node_size=[node_size[n] for n in nodes])
        ax.figure.colorbar(drawn, ax=ax, label=colour_label, shrink=0.8)
    ax.set_xlim(west, east)  # networkx rescales the view to the nodes
    ax.set_ylim(south, north)
    label_sites(ax, graph, position)
    ax.set_xlabel("longitude (degrees east)")
    ax.set_ylabel("latitude (degrees north)")
    ax.set_title(title or f"{graph.graph['name']}: route graph, {graph.number_of_nodes()} sites (area by capacity)")
    ax.tick_params(labelbottom=True, labelleft=True)
    return ax


def label_sites(ax, graph: nx.DiGraph, position: dict) -> list:
    """Each site's name (short_name) beside it, placed by textalloc clear of the other names, the sites and
    the routes, with a leader line where it had to move away; returns the Text objects."""
    ax.figure.canvas.draw()  # settle the layout first: textalloc measures text in display space
    nodes = list(graph.nodes)
    x = np.array([position[n][0] for n in nodes])
    y = np.array([position[n][1] for n in nodes])
    edges = list(graph.edges)
    before = set(ax.texts)
    textalloc.allocate(ax, x, y, [short_name(graph.nodes[n]["name"]) for n in nodes], x_scatter=x, y_scatter=y,
                       x_lines=[np.array([position[a][0], position[b][0]]) for a, b in edges],
                       y_lines=[np.array([position[a][1], position[b][1]]) for a, b in edges],
                       textsize=LABEL_SIZE, linecolor="#777777", linewidth=0.5, margin=0.004, min_distance=0.012,
                       max_distance=0.25, nbr_candidates=400, draw_all=True)
    return [text for text in ax.texts if text not in before]


def short_name(name: str) -> str:
    """A site's name without its bracketed detail: 'TRC Lipa (Bihac, Una-Sana Canton)' -> 'TRC Lipa'."""
    return name.split(" (", 1)[0]


def infection_map(data: pd.DataFrame, graph: nx.DiGraph, ax=None, arm: str | None = None, baseline: str = "baseline"):
    """The route map with each site coloured by infections there (migrants and hosts) and sized
    by the migrants passing through it (people reaching the site). Medians over one arm's seeds."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 7), layout="constrained")
    arms = run_arms(data)
    arm = arm or arm_order(arms, baseline)[0]
    rows = data[data["run"].isin(arms.index[arms == arm])]
    runs = rows["run"].nunique()
    totals = rows[rows["metric"].isin(["entries", "new_infections"])].groupby(
        ["run", "node", "population", "metric"], observed=True)["value"].sum()
    passing = totals.xs(("migrants", "entries"), level=["population", "metric"]).groupby("node", observed=True).median()
    infections = totals.xs("new_infections", level="metric").groupby(["run", "node"], observed=True).sum()
    infections = infections.groupby("node", observed=True).median()
    passing = {n: float(passing.get(n, 0.0)) for n in graph.nodes}
    largest = max(max(passing.values()), 1.0)
    area = {n: 15 + 600 * passing[n] / largest for n in graph.nodes}
    over = "one run" if runs == 1 else f"median over {runs} seeds"
    route_map(graph, ax=ax, node_size=area, node_colour={n: float(infections.get(n, 0.0)) for n in graph.nodes},
              colour_label="infections at the site (people, migrants and hosts)",
              title=f"{graph.graph['name']}: where infections happen ({arm}, {over})\n"
                    "colour: infections; area: migrants passing through the site")
    for amount in nice_steps(largest):
        ax.scatter([], [], s=15 + 600 * amount / largest, color="#bbbbbb", edgecolors="#333333",
                   label=f"{amount:,.0f} people")
    ax.legend(title="migrants passing", loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=7,
              title_fontsize=8, frameon=False, borderpad=1.2)  # below the map, clear of the site names
    return ax


def nice_steps(largest: float) -> list[float]:
    """Up to three round numbers below `largest`, for a size legend."""
    top = 10 ** np.floor(np.log10(largest))
    top = max(step * top for step in (1, 2, 5) if step * top <= largest)
    return sorted({top / 4, top / 2, top} if top >= 4 else {top})
