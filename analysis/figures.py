"""Standard figures, drawn with matplotlib: titled, units on every axis, one colour per policy
(analysis.palette). Route maps are in analysis.maps.

Figures of one panel draw on `ax` (a new figure when none is given) and return the Axes; figures
of several panels (small multiples, dose-response) draw on `fig` and return the Figure. Figures of
time series take the tidy frame of `analysis.load`; figures of totals take the frame of
`analysis.load_summaries` (or the comparison of `analysis.compare`). Where a figure shows one
policy arm (heatmap, capacity), it is the baseline unless `arm` names another.
"""

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter, ScalarFormatter

from analysis.comparison import (
    HEALTH_OUTCOMES, arm_labels, arm_order, outcome_labels, paired, policy_settings, run_arms, short_arm,
)
from analysis.palette import DIVERGING, SEQUENTIAL, arm_colours, group_colours, policy_colour
from analysis.tables import days_to_care
from sim.kernels import CORE_FLOWS
from sim.programmes.policy import PolicyConfig

BAND = 0.2  # opacity of the 95% bands
FLOWS = CORE_FLOWS + PolicyConfig.metric_names() + ("reported_cases", "cost")  # counts per day, not stocks


def unit(metric: str) -> str:
    """The unit of a time-series metric, for axis and colour-bar labels."""
    if metric == "cost":
        return "EUR per day"
    if metric == "days_to_care":
        return "days waited, summed over consultations"
    return "people per day" if metric in FLOWS else "people"


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


def panels(fig, count: int, columns: int = 3, size=(4.2, 3.2), **shared):
    """`count` axes in a grid on `fig` (a new figure sized for them when None), spare cells removed."""
    columns = min(columns, count)
    rows = -(-count // columns)
    if fig is None:
        fig = plt.figure(figsize=(size[0] * columns, size[1] * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False, **shared)).ravel()
    for spare in axes[count:]:
        spare.remove()
    return fig, axes[:count]


def daily_totals(data: pd.DataFrame, metric: str, population: str | None = None) -> pd.DataFrame:
    """One row per run, one column per day: a metric summed over nodes (and populations)."""
    rows = data[data["metric"] == metric]
    if population:
        rows = rows[rows["population"] == population]
    return rows.groupby(["run", "day"], observed=True)["value"].sum().unstack("day", fill_value=0.0)


def band(ax, days, curves: pd.DataFrame, colour: str, label: str, zorder: int = 2, **line):
    """The median curve over runs, and (with several runs) the band holding 95% of them."""
    low, mid, high = np.percentile(curves.to_numpy(), [2.5, 50, 97.5], axis=0)
    if len(curves) > 1:
        ax.fill_between(days, low, high, color=colour, alpha=BAND, linewidth=0, zorder=zorder)
    ax.plot(days, mid, label=label, zorder=zorder + 1, **({"linewidth": 1.8, "color": colour} | line))


def epidemic_curves(data: pd.DataFrame, fig=None, population: str | None = None, baseline: str = "baseline",
                    columns: int = 3):
    """Daily new infections: one panel per policy arm, each against the baseline (dashed black), the
    median over seeds with a band holding 95% of them; shared axes, so panels compare at a glance.
    `population`: 'migrants' or 'hosts' (default: both together). Returns the Figure."""
    daily = daily_totals(data, "new_infections", population)
    arms = run_arms(data).reindex(daily.index)
    order = arm_order(arms, baseline)
    colours = arm_colours(order)
    others = [arm for arm in order if arm != baseline] or order
    fig, axes = panels(fig, len(others), columns, sharex=True, sharey=True)
    reference = daily[arms == baseline]
    for ax, arm in zip(axes, others):
        band(ax, daily.columns, daily[arms == arm], colours[arm], f"{short_arm(arm)} ({seeds(int((arms == arm).sum()))})", 2)
        if not reference.empty and arm != baseline:  # on top, dashed: visible where the policy changes nothing
            band(ax, daily.columns, reference, "#777777", f"{baseline} ({seeds(len(reference))})", 4,
                 color="black", linewidth=1.1, linestyle=(0, (4, 2)))
        ax.set_title(short_arm(arm), fontsize=9)
        ax.set_ylim(bottom=0)
        ax.set_xlim(daily.columns.min(), daily.columns.max())
        ax.legend(frameon=False, fontsize=7, loc="upper right")
        tidy(ax)
    for ax in axes:
        if ax.get_subplotspec().is_last_row() or ax is axes[-1]:
            ax.set_xlabel("day of simulation (days)")
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel("new infections (people per day)")
    who = population or "migrants and hosts"
    spread = "median and 95% range over seeds" if len(daily) > len(set(arms)) else "one run each"
    fig.suptitle(f"Daily new infections among {who}: each policy against {baseline} ({spread})")
    return fig


def overview(timeseries: pd.DataFrame, metrics=("new_infections", "present", "new_deaths", "reported_cases"),
             by: str = "population", fig=None, title: str = ""):
    """One run at a glance (sim.Result.plot): a panel per metric, summed over nodes, one line per
    value of `by` ('population', 'kind', 'node', or any column), against the date (or day).
    Split by anything but population, stocks such as `present` count migrants only."""
    time = "date" if "date" in timeseries.columns else "day"
    fig, axes = panels(fig, len(metrics), columns=2, size=(6, 3.4), sharex=True)
    for ax, metric in zip(axes, metrics):
        rows = timeseries[timeseries["metric"] == metric]
        heading = metric.replace("_", " ")
        if by != "population" and metric not in FLOWS:  # people present: hosts would swamp migrants
            rows = rows[rows["population"] == "migrants"]
            heading += " (migrants)"
        lines = rows.groupby([by, time], observed=True)["value"].sum().unstack(by, fill_value=0.0)
        lines = lines.loc[:, lines.sum() > 0] if lines.shape[1] > 1 else lines
        colours = group_colours(by, lines.columns)
        for group in lines.columns:
            ax.plot(lines.index, lines[group], color=colours[str(group)], linewidth=1.5, label=str(group).replace("_", " "))
        ax.set_title(heading, fontsize=10)
        ax.set_ylabel(unit(metric))
        ax.set_ylim(bottom=0)
        if len(lines.columns):
            ax.legend(frameon=False, fontsize=7, ncol=2 if len(lines.columns) > 4 else 1)
        tidy(ax)
    for ax in axes[-2:]:
        ax.set_xlabel("date" if time == "date" else "day of simulation (days)")
        if time == "date":
            ax.tick_params(axis="x", labelrotation=30)
    fig.suptitle(title or "One run")
    return fig


def dose_parameters(runs: pd.DataFrame) -> list[str]:
    """The numeric parameters a sweep varies (two values or more), other than the seed."""
    names = [column for column in runs.attrs.get("parameters", []) if column != "seed"]
    numeric = [column for column in names if pd.api.types.is_numeric_dtype(pd.to_numeric(runs[column], errors="coerce"))
               and runs[column].notna().any()]
    return [column for column in numeric if pd.to_numeric(runs[column], errors="coerce").nunique() > 1]


def dose_response(summaries: pd.DataFrame, parameter: str, fig=None, baseline: str = "baseline",
                  outcome: str = "infections"):
    """Outcome averted and cost above baseline (each paired with baseline on the same seed)
    against a swept numeric parameter: median and 95% interval over seeds, one line per arm that
    the parameter does not itself define. Returns the Figure."""
    runs = paired(summaries, baseline)
    runs = runs[runs["arm"] != baseline].copy()
    runs["x"] = pd.to_numeric(runs[parameter], errors="coerce")
    runs = runs[runs["x"].notna()]
    runs["series"] = arm_labels(runs, leave_out=(parameter,)) if parameter in policy_settings(runs) else runs["arm"]
    if fig is None:
        fig = plt.figure(figsize=(11, 4.5), layout="constrained")
    left, right = fig.subplots(1, 2)
    health = HEALTH_OUTCOMES[outcome]
    for ax, column, label in ((left, f"{outcome}_averted", f"{health.many} averted vs baseline, same seed"),
                              (right, "incremental_cost", "cost above baseline, same seed (EUR)")):
        for series, rows in runs.groupby("series", sort=False):
            stats = rows.groupby("x")[column].describe(percentiles=[0.025, 0.5, 0.975])
            colour = policy_colour(series.split(" (")[0])
            ax.fill_between(stats.index, stats["2.5%"], stats["97.5%"], color=colour, alpha=BAND, linewidth=0)
            ax.plot(stats.index, stats["50%"], "o-", color=colour, linewidth=1.8, markersize=5, label=series)
        ax.axhline(0, color="#555555", linewidth=0.8, linestyle="--")
        ax.set_xlabel(parameter.removeprefix("policy."))
        ax.set_ylabel(label)
        ax.legend(frameon=False, fontsize=8)
        tidy(ax)
    per_point = runs.groupby(["series", "x"]).size().min() if not runs.empty else 0
    fig.suptitle(f"Dose-response: {parameter.removeprefix('policy.')} against {baseline}\n"
                 f"median and 95% interval over {seeds(per_point)} per point")
    return fig


def node_day(data: pd.DataFrame, metric: str, population: str, statistic: str = "median") -> pd.DataFrame:
    """A [node, day] grid of one metric over the runs in `data`: their median, or (statistic
    'worst') the run with the largest total."""
    rows = data[(data["metric"] == metric) & (data["population"] == population)]
    if statistic == "worst":
        worst = rows.groupby("run", observed=True)["value"].sum().idxmax()
        rows = rows[rows["run"] == worst]
    grid = rows.groupby(["node", "day"], observed=True)["value"].median().unstack("day")
    return grid.reindex(columns=range(int(rows["day"].max()) + 1))


def one_arm(data: pd.DataFrame, arm: str | None, baseline: str = "baseline") -> tuple[pd.DataFrame, str, int]:
    """The rows of one arm (default: the baseline, else the first arm), its name and its number
    of runs."""
    arms = run_arms(data)
    arm = arm or arm_order(arms, baseline)[0]
    runs = arms.index[arms == arm]
    if runs.empty:
        raise ValueError(f"no run of arm {arm!r}; arms: {sorted(set(arms))}")
    return data[data["run"].isin(runs)], arm, len(runs)


def heatmap(data: pd.DataFrame, metric: str = "new_infections", population: str = "migrants", ax=None,
            arm: str | None = None, baseline: str = "baseline", statistic: str = "auto"):
    """A node x day heatmap of any metric of the time series for one arm: the median over its
    seeds, or (statistic 'worst') its seed with the largest total; 'auto' shows the worst seed
    where the medians are nearly all zero (an epidemic that takes off on some seeds only)."""
    ax = new_axes(ax, (10, 5))
    rows, arm, runs = one_arm(data, arm, baseline)
    grid = node_day(rows, metric, population)
    if statistic == "auto":
        statistic = "worst" if runs > 1 and np.count_nonzero(np.nan_to_num(grid.to_numpy())) < 0.05 * grid.size else "median"
    if statistic == "worst":
        grid = node_day(rows, metric, population, "worst")
    image = ax.imshow(grid.to_numpy(), aspect="auto", interpolation="nearest", cmap=SEQUENTIAL,
                      extent=(-0.5, grid.shape[1] - 0.5, grid.shape[0] - 0.5, -0.5))
    ax.figure.colorbar(image, ax=ax, label=f"{metric.replace('_', ' ')} ({unit(metric)})")
    ax.set_yticks(range(len(grid)), grid.index, fontsize=7)
    ax.set_xlabel("day of simulation (days)")
    ax.set_ylabel("site (node id)")
    shown = {"median": f"median over {seeds(runs)}", "worst": f"the seed with the most, of {seeds(runs)}"}[statistic]
    ax.set_title(f"{metric.replace('_', ' ').capitalize()} among {population} by site and day\n"
                 f"{arm}, {'one run' if runs == 1 else shown}")
    return ax


def percent_ticks(peak: float) -> list[float]:
    """Colour-bar ticks for capacity use: 0 to 100% by 25, then round steps up to the peak."""
    above = [] if peak <= 100 else list(np.arange(100, peak + 1, max(50, 10 ** np.floor(np.log10(peak)) / 2))[1:])
    return [0, 25, 50, 75, 100] + [float(t) for t in above]


def capacity_use(data: pd.DataFrame, graph: nx.DiGraph, ax=None, arm: str | None = None, baseline: str = "baseline"):
    """People present at each site as a share of its capacity, day by day (median over one arm's
    seeds); red above 100%, where living units hold more people than built for. Destinations are left out."""
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
    bar = ax.figure.colorbar(image, ax=ax, label="people present / capacity (%)", ticks=percent_ticks(peak))
    bar.ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    labels = [f"{n} (capacity {capacity[n]:,}, peak {use.loc[n].max():.0f}%)" for n in use.index]
    ax.set_yticks(range(len(use)), labels, fontsize=7)
    ax.set_xlabel("day of simulation (days)")
    over = "one run" if runs == 1 else f"median over {seeds(runs)}"
    ax.set_title(f"Capacity use per site: people present as % of capacity\n{arm}, {over}")
    return ax


def forest_plot(comparison: pd.DataFrame, outcome: str = "infections_averted", ax=None, baseline: str = "baseline"):
    """Median and 95% interval across seeds of one outcome of `analysis.compare`, per arm
    (the baseline arm, zero by construction, left out)."""
    ax = new_axes(ax, (8, 4))
    labels = outcome_labels()
    rows = comparison[(comparison["outcome"] == outcome) & (comparison["arm"] != baseline) & (comparison["n"] > 0)]
    colours = arm_colours(arm_order(comparison["arm"].astype(str), baseline))
    title = f"{labels[outcome].split(' (')[0].capitalize()}, by policy\nmedian and 95% interval over seeds"
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
    ax.set_yticks(y, [short_arm(str(arm)) for arm in rows["arm"]])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.margins(x=0.25)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(labels[outcome] + " (people)" if "(" not in labels[outcome] else labels[outcome])
    ax.set_title(title)
    return tidy(ax)


def cost_effectiveness(summaries: pd.DataFrame, ax=None, baseline: str = "baseline", outcome: str = "infections",
                       decision=None):
    """The cost-effectiveness plane: cost above baseline against outcome averted, one point per
    seed and arm (each run paired with the baseline run on the same seed); with `decision`
    (analysis.decision.decide), each arm's mean as a large marker and the efficiency frontier."""
    ax = new_axes(ax, (8, 6))
    runs = paired(summaries, baseline)
    colours = arm_colours(arm_order(runs["arm"], baseline))
    averted = f"{outcome}_averted"
    runs = runs[(runs["arm"] != baseline) & runs[averted].notna()]
    title = "Cost-effectiveness plane: one point per seed"
    if runs.empty:
        return say(ax, f"no policy to compare with {baseline!r}", title)
    for arm, points in runs.groupby("arm", sort=False):
        ax.scatter(points[averted], points["incremental_cost"], s=30, color=colours[arm], alpha=0.6,
                   edgecolors="white", linewidths=0.5, label=short_arm(arm))
    if decision is not None:
        table = decision.table.set_index("arm")
        ax.scatter(table["averted"], table["cost"], s=110, c=[colours[a] for a in table.index], marker="D",
                   edgecolors="black", linewidths=0.8, zorder=5)
        line = table[table["status"].isin(["reference", "frontier"])].sort_values("cost")
        ax.plot(line["averted"], line["cost"], color="black", linewidth=1.2, zorder=4, label="efficiency frontier (means)")
        title += "; diamonds: means over seeds"
    ax.axhline(0, color="#555555", linewidth=0.8)
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    health = HEALTH_OUTCOMES[outcome]
    ax.set_xlabel(f"{health.many} averted vs baseline, same seed")
    ax.set_ylabel("cost above baseline, same seed (EUR)")
    ax.set_title(title + f"\nright: {health.many} averted; up: costs more than baseline")
    ax.legend(frameon=False, fontsize=8)
    return tidy(ax)


def acceptability(decision, ax=None):
    """The cost-effectiveness acceptability curve: for each willingness to pay per outcome
    averted, the share of seeds on which each arm has the highest net monetary benefit."""
    ax = new_axes(ax, (8, 5))
    curve = decision.acceptability
    arms = decision.table["arm"].tolist()
    colours = arm_colours(arms)
    for arm in arms:
        rows = curve[curve["arm"] == arm]
        ax.plot(rows["threshold"], 100 * rows["probability"], color=colours[arm], linewidth=1.8, label=short_arm(arm))
    for threshold in decision.thresholds:
        ax.axvline(threshold, color="#777777", linestyle=":", linewidth=1)
        ax.annotate(f"{threshold:,.0f} EUR", (threshold, 1), xytext=(3, 0), textcoords="offset points", ha="left",
                    va="bottom", fontsize=7, color="#555555")
    health = HEALTH_OUTCOMES[decision.outcome]
    ax.set_xlabel(f"willingness to pay per {health.one} averted (EUR)")
    ax.set_ylabel("probability most cost-effective (% of seeds)")
    ax.set_ylim(0, 100)
    ax.set_xlim(0, curve["threshold"].max())
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_title(f"Cost-effectiveness acceptability curve over {seeds(decision.draws)}\n"
                 "dotted: the thresholds of the decision table")
    ax.legend(frameon=False, fontsize=8)
    return tidy(ax)


def time_to_care(summaries: pd.DataFrame, ax=None, baseline: str = "baseline"):
    """Days from symptom onset to a consultation, pooled over each arm's seeds (the last bin
    holds 60 days or more), with the mean days to care per arm in the legend."""
    ax = new_axes(ax)
    title = "Time from symptom onset to care, by policy"
    delays = days_to_care(summaries)
    if delays["people"].sum() == 0:
        return say(ax, "no consultations recorded", title)
    arms = arm_labels(summaries)
    delays["arm"] = arms.reindex(delays["row"]).to_numpy()
    pooled = delays.groupby(["arm", "days_waited"], sort=False)["people"].sum().unstack("days_waited", fill_value=0)
    waited = summaries["mean_days_to_care"].astype(float).fillna(0) * summaries["consultations"]
    mean = waited.groupby(arms).sum() / summaries["consultations"].groupby(arms).sum().clip(lower=1)
    width = pooled.shape[1]
    last = int(np.flatnonzero(pooled.sum().to_numpy()).max())
    for arm, colour in arm_colours(arm_order(pooled.index, baseline)).items():
        counts = pooled.loc[arm].to_numpy()
        if counts.sum() == 0:
            continue
        ax.step(np.arange(width), 100 * counts / counts.sum(), where="mid", color=colour, linewidth=1.6,
                label=f"{short_arm(arm)}: mean {mean[arm]:.1f} days, {int(counts.sum()):,} people seen")
    ax.set_xlim(-0.5, max(last, 10) + 0.5)
    if last == width - 1:
        ticks = [t for t in ax.get_xticks() if 0 <= t < width - 3] + [width - 1]
        ax.set_xticks(ticks, [f"{t:.0f}" for t in ticks[:-1]] + [f"{width - 1}+"])
    ax.set_xlabel("days from symptom onset to consultation (days)")
    ax.set_ylabel("share of people seen (%)")
    ax.set_title(title + ("\none run" if len(summaries) == 1 else "\npooled over seeds"))
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=8)
    return tidy(ax)
