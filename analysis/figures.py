"""Standard figures, drawn with matplotlib (colour-blind-safe palette, titled, with units).

Each function draws on `ax` (a new figure when none is given) and returns the Axes. Figures of
time series take the tidy frame of `analysis.load`; figures of totals take the frame of
`analysis.load_summaries` (or the comparison of `analysis.compare`). Where a figure shows one
policy arm (map, heatmap, capacity), it is the baseline unless `arm` names another, and the
value shown is the median over that arm's seeds.
"""

import itertools

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.ticker import FuncFormatter, MaxNLocator, ScalarFormatter

from analysis.comparison import OUTCOMES, arm_labels, arm_order, paired, run_arms
from sim.kernels import CORE_FLOWS
from sim.programmes.policy import PolicyConfig

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
# The same palette for policy arms, baseline first in black; yellow last (faint on white).
ARM_COLOURS = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442")
SEQUENTIAL = "viridis"  # perceptually uniform and readable with any colour vision
DIVERGING = "RdBu_r"    # ColorBrewer's colour-blind-safe diverging scheme, red above the centre


def arm_colours(arms, baseline: str = "baseline") -> dict[str, str]:
    """A colour per arm, in the order figures show them (see arm_order): black for the baseline,
    the others in turn (cycling past seven)."""
    others = itertools.cycle(ARM_COLOURS[1:])
    return {arm: ARM_COLOURS[0] if arm == baseline else next(others) for arm in arm_order(arms, baseline)}


def unit(metric: str) -> str:
    """The unit of a time-series metric, for axis and colour-bar labels."""
    if metric == "cost":
        return "EUR per day"
    if metric == "days_to_care":
        return "days waited, summed over consultations"
    return "people per day" if metric in CORE_FLOWS + PolicyConfig.metric_names() + ("reported_cases",) else "people"


def seeds(n: int) -> str:
    return f"{n} seed" if n == 1 else f"{n} seeds"


def new_axes(ax, size=(8, 5)):
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def tidy(ax):
    """Light grid, no top and right spines, thousands separated on numeric axes."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(alpha=0.3, linewidth=0.6)
    for axis in (ax.xaxis, ax.yaxis):
        if isinstance(axis.get_major_formatter(), ScalarFormatter):
            axis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}" if abs(x) >= 1000 else f"{x:g}"))
    return ax


def say(ax, text: str, title: str):
    """An empty figure that says why it is empty (a report still shows every figure)."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=11, color="#555555")
    ax.set_title(title)
    ax.set_axis_off()
    return ax


def route_map(graph: nx.DiGraph, ax=None, node_size=None, title: str | None = None, node_colour=None,
              colour_label: str = ""):
    """The route graph at its nodes' longitude and latitude, coloured by kind, sized by capacity
    (or by `node_size`, a mapping node -> marker area in points squared). With `node_colour`
    (a mapping node -> number), nodes are coloured by that value instead, with a colour bar
    labelled `colour_label`. Returns the matplotlib Axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 7))
    position = {node: (data["lon"], data["lat"]) for node, data in graph.nodes(data=True)}
    if node_size is None:
        capacity = np.array([max(graph.nodes[n]["capacity"], 1) for n in graph.nodes])
        node_size = dict(zip(graph.nodes, 20 + 280 * np.sqrt(capacity / capacity.max())))
    nx.draw_networkx_edges(graph, position, ax=ax, edge_color="#999999", arrows=True, arrowsize=8,
                           width=0.8, connectionstyle="arc3,rad=0.08", node_size=[node_size[n] for n in graph.nodes])
    if node_colour is None:
        for kind, colour in KIND_COLOURS.items():
            nodes = [n for n, k in graph.nodes(data="kind") if k == kind]
            if nodes:
                nx.draw_networkx_nodes(graph, position, nodelist=nodes, ax=ax, node_color=colour, edgecolors="#333333",
                                       linewidths=0.6, node_size=[node_size[n] for n in nodes], label=kind.replace("_", " "))
        ax.legend(loc="best", fontsize=7, markerscale=0.5, frameon=False)
    else:
        nodes = list(graph.nodes)
        drawn = nx.draw_networkx_nodes(graph, position, nodelist=nodes, ax=ax, node_color=[node_colour[n] for n in nodes],
                                       cmap=SEQUENTIAL, vmin=0, vmax=max(max(node_colour.values()), 1),
                                       edgecolors="#333333", linewidths=0.6, node_size=[node_size[n] for n in nodes])
        ax.figure.colorbar(drawn, ax=ax, label=colour_label, shrink=0.8)
    for node, (x, y) in position.items():
        ax.annotate(node, (x, y), fontsize=6, xytext=(4, 3), textcoords="offset points")
    ax.set_xlabel("longitude (degrees east)")
    ax.set_ylabel("latitude (degrees north)")
    ax.set_title(title or f"{graph.graph['name']}: route graph, {graph.number_of_nodes()} nodes (area by capacity, labels are node ids)")
    ax.tick_params(labelbottom=True, labelleft=True)
    ax.set_aspect(1 / np.cos(np.radians(np.mean([y for _, y in position.values()]))))
    return ax


def one_arm(data: pd.DataFrame, arm: str | None, baseline: str = "baseline") -> tuple[pd.DataFrame, str, int]:
    """The rows of one arm (default: the baseline, else the first arm), its name and its number
    of runs."""
    arms = run_arms(data)
    arm = arm or arm_order(arms, baseline)[0]
    runs = arms.index[arms == arm]
    if runs.empty:
        raise ValueError(f"no run of arm {arm!r}; arms: {sorted(set(arms))}")
    return data[data["run"].isin(runs)], arm, len(runs)


def node_day(data: pd.DataFrame, metric: str, population: str) -> pd.DataFrame:
    """A [node, day] grid of one metric, the median over the runs in `data`."""
    rows = data[(data["metric"] == metric) & (data["population"] == population)]
    grid = rows.groupby(["node", "day"], observed=True)["value"].median().unstack("day")
    return grid.reindex(columns=range(int(rows["day"].max()) + 1))


def epidemic_curves(data: pd.DataFrame, ax=None, population: str | None = None, baseline: str = "baseline"):
    """Daily new infections by arm: the median over seeds and a band from the 2.5th to the
    97.5th percentile. `population`: 'migrants' or 'hosts' (default: both together)."""
    ax = new_axes(ax)
    rows = data[data["metric"] == "new_infections"]
    if population:
        rows = rows[rows["population"] == population]
    daily = rows.groupby(["run", "day"], observed=True)["value"].sum().unstack("day", fill_value=0.0)
    arms = run_arms(data).reindex(daily.index)
    for arm, colour in arm_colours(arms, baseline).items():
        curves = daily[arms == arm]
        low, mid, high = np.percentile(curves.to_numpy(), [2.5, 50, 97.5], axis=0)
        ax.fill_between(daily.columns, low, high, color=colour, alpha=0.18, linewidth=0)
        ax.plot(daily.columns, mid, color=colour, linewidth=1.8, label=f"{arm} ({seeds(len(curves))})")
    ax.set_xlabel("day of simulation (days)")
    ax.set_ylabel("new infections (people per day)")
    who = population or "migrants and hosts"
    ax.set_title(f"Daily new infections among {who}, by policy\nmedian and 95% range over seeds")
    ax.set_ylim(bottom=0)
    ax.set_xlim(daily.columns.min(), daily.columns.max())
    ax.legend(frameon=False, fontsize=8)
    return tidy(ax)


def infection_map(data: pd.DataFrame, graph: nx.DiGraph, ax=None, arm: str | None = None, baseline: str = "baseline"):
    """The route map with each site coloured by infections there (migrants and hosts) and sized
    by the migrants passing through it (people reaching the site). Medians over one arm's seeds."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 7), layout="constrained")
    rows, arm, runs = one_arm(data, arm, baseline)
    totals = rows[rows["metric"].isin(["entries", "new_infections"])].groupby(
        ["run", "node", "population", "metric"], observed=True)["value"].sum()
    passing = totals.xs(("migrants", "entries"), level=["population", "metric"]).groupby("node", observed=True).median()
    infections = totals.xs("new_infections", level="metric").groupby(["run", "node"], observed=True).sum()
    infections = infections.groupby("node", observed=True).median()
    passing = {n: float(passing.get(n, 0.0)) for n in graph.nodes}
    largest = max(max(passing.values()), 1.0)
    area = {n: 15 + 600 * passing[n] / largest for n in graph.nodes}
    route_map(graph, ax=ax, node_size=area, node_colour={n: float(infections.get(n, 0.0)) for n in graph.nodes},
              colour_label="infections at the site (people, migrants and hosts)",
              title=f"{graph.graph['name']}: where infections happen ({arm}, median over {seeds(runs)})\n"
                    "colour: infections; area: migrants passing through the site")
    for amount in nice_steps(largest):
        ax.scatter([], [], s=15 + 600 * amount / largest, color="#bbbbbb", edgecolors="#333333",
                   label=f"{amount:,.0f} people")
    ax.legend(title="migrants passing", loc="best", fontsize=7, title_fontsize=8, frameon=False, labelspacing=1.2)
    return ax


def nice_steps(largest: float) -> list[float]:
    """Up to three round numbers below `largest`, for a size legend."""
    top = 10 ** np.floor(np.log10(largest))
    top = max(step * top for step in (1, 2, 5) if step * top <= largest)
    return sorted({top / 4, top / 2, top} if top >= 4 else {top})


def heatmap(data: pd.DataFrame, metric: str = "new_infections", population: str = "migrants", ax=None,
            arm: str | None = None, baseline: str = "baseline"):
    """A node x day heatmap of any metric of the time series (median over one arm's seeds)."""
    ax = new_axes(ax, (10, 5))
    rows, arm, runs = one_arm(data, arm, baseline)
    grid = node_day(rows, metric, population)
    image = ax.imshow(grid.to_numpy(), aspect="auto", interpolation="nearest", cmap=SEQUENTIAL,
                      extent=(-0.5, grid.shape[1] - 0.5, grid.shape[0] - 0.5, -0.5))
    ax.figure.colorbar(image, ax=ax, label=f"{metric.replace('_', ' ')} ({unit(metric)})")
    ax.set_yticks(range(len(grid)), grid.index, fontsize=7)
    ax.set_xlabel("day of simulation (days)")
    ax.set_ylabel("site (node id)")
    ax.set_title(f"{metric.replace('_', ' ').capitalize()} among {population} by site and day\n"
                 f"{arm}, median over {seeds(runs)}")
    return ax


def capacity_use(data: pd.DataFrame, graph: nx.DiGraph, ax=None, arm: str | None = None, baseline: str = "baseline"):
    """People present at each site as a share of its capacity, day by day (median over one arm's
    seeds); red above 100%, where crowding raises transmission. Destinations are left out."""
    ax = new_axes(ax, (10, 5))
    rows, arm, runs = one_arm(data, arm, baseline)
    capacity = pd.Series({n: d["capacity"] for n, d in graph.nodes(data=True)
                          if d["kind"] != "destination" and d["capacity"] > 0})
    grid = node_day(rows, "present", "migrants")
    grid = grid.loc[[n for n in grid.index if n in capacity.index]]
    use = 100 * grid.div(capacity.reindex(grid.index), axis=0)
    peak = max(float(np.nanmax(use.to_numpy())), 200.0)
    image = ax.imshow(use.to_numpy(), aspect="auto", interpolation="nearest", cmap=DIVERGING,
                      norm=TwoSlopeNorm(vcenter=100, vmin=0, vmax=peak),
                      extent=(-0.5, use.shape[1] - 0.5, use.shape[0] - 0.5, -0.5))
    ax.figure.colorbar(image, ax=ax, label="people present / capacity (%)")
    labels = [f"{n} (capacity {capacity[n]:,}, peak {use.loc[n].max():.0f}%)" for n in use.index]
    ax.set_yticks(range(len(use)), labels, fontsize=7)
    ax.set_xlabel("day of simulation (days)")
    ax.set_title(f"Capacity use per site: people present as % of capacity\n{arm}, median over {seeds(runs)}")
    return ax


def forest_plot(comparison: pd.DataFrame, outcome: str = "infections_averted", ax=None, baseline: str = "baseline"):
    """Median and 95% interval across seeds of one outcome of `analysis.compare`, per arm
    (the baseline arm, zero by construction, left out)."""
    ax = new_axes(ax, (8, 4))
    colours = arm_colours(comparison["arm"].astype(str), baseline)
    rows = comparison[(comparison["outcome"] == outcome) & (comparison["arm"] != baseline) & (comparison["n"] > 0)]
    title = f"{OUTCOMES[outcome].split(' (')[0].capitalize()}, by policy\nmedian and 95% interval over seeds"
    if rows.empty:
        return say(ax, f"no policy to compare with {baseline!r}", title)
    y = np.arange(len(rows))[::-1]
    for position, (_, row) in zip(y, rows.iterrows()):
        colour = colours[str(row["arm"])]
        ax.errorbar(row["median"], position, xerr=[[row["median"] - row["lower"]], [row["upper"] - row["median"]]],
                    fmt="o", color=colour, ecolor=colour, elinewidth=2, capsize=4, markersize=7)
        ax.annotate(f"{row['median']:,.0f}  [{row['lower']:,.0f}, {row['upper']:,.0f}]  {seeds(row['n'])}",
                    (row["upper"], position), xytext=(8, 0), textcoords="offset points", va="center", fontsize=8)
    ax.axvline(0, color="#555555", linestyle="--", linewidth=1)
    ax.set_yticks(y, rows["arm"].astype(str))
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.margins(x=0.25)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(OUTCOMES[outcome])
    ax.set_title(title)
    return tidy(ax)


def cost_effectiveness(summaries: pd.DataFrame, ax=None, baseline: str = "baseline"):
    """The cost-effectiveness plane: cost above baseline against infections averted, one point
    per seed and arm (each run paired with the baseline run on the same seed)."""
    ax = new_axes(ax, (8, 6))
    runs = paired(summaries, baseline)
    colours = arm_colours(runs["arm"], baseline)
    runs = runs[(runs["arm"] != baseline) & runs["infections_averted"].notna()]
    title = "Cost-effectiveness plane: one point per seed"
    if runs.empty:
        return say(ax, f"no policy to compare with {baseline!r}", title)
    for arm, points in runs.groupby("arm", sort=False):
        ax.scatter(points["infections_averted"], points["incremental_cost"], s=36, color=colours[arm], alpha=0.8,
                   edgecolors="white", linewidths=0.5, label=arm)
    ax.axhline(0, color="#555555", linewidth=0.8)
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(OUTCOMES["infections_averted"])
    ax.set_ylabel(OUTCOMES["incremental_cost"])
    ax.set_title(title + "\nright: infections averted; up: costs more than baseline")
    ax.legend(frameon=False, fontsize=8)
    return tidy(ax)


def time_to_care(summaries: pd.DataFrame, ax=None, baseline: str = "baseline"):
    """Days from symptom onset to a consultation, pooled over each arm's seeds (the last bin
    holds 60 days or more), with the mean days to care per arm in the legend."""
    ax = new_axes(ax)
    arms = arm_labels(summaries)
    title = "Time from symptom onset to care, by policy"
    histograms = summaries["days_to_care_histogram"].map(lambda counts: np.asarray(counts or [0], dtype=float))
    width = max(len(counts) for counts in histograms)
    counts = pd.DataFrame([np.pad(h, (0, width - len(h))) for h in histograms], index=summaries.index)
    if counts.to_numpy().sum() == 0:
        return say(ax, "no consultations recorded", title)
    last = int(np.flatnonzero(counts.sum().to_numpy()).max())
    for arm, colour in arm_colours(arms, baseline).items():
        mine = arms == arm
        pooled = counts[mine].sum().to_numpy()
        if pooled.sum() == 0:
            continue
        seen = summaries.loc[mine, "consultations"]
        mean = (summaries.loc[mine, "mean_days_to_care"].astype(float).fillna(0) * seen).sum() / max(seen.sum(), 1)
        ax.step(np.arange(width), 100 * pooled / pooled.sum(), where="mid", color=colour, linewidth=1.6,
                label=f"{arm}: mean {mean:.1f} days, {int(pooled.sum()):,} people seen")
    ax.set_xlim(-0.5, max(last, 10) + 0.5)
    if last == width - 1:
        ticks = [t for t in ax.get_xticks() if 0 <= t < width - 3] + [width - 1]
        ax.set_xticks(ticks, [f"{t:.0f}" for t in ticks[:-1]] + [f"{width - 1}+"])
    ax.set_xlabel("days from symptom onset to consultation (days)")
    ax.set_ylabel("share of people seen (%)")
    ax.set_title(title + "\npooled over seeds")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=8)
    return tidy(ax)
