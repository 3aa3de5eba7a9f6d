"""Figures of a sensitivity analysis (analysis.sensitivity): the indices as bars, and where the
ranking of two policies flips. Titled, units on the axes, the policy's colour (analysis.palette)."""

import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from analysis.figures import panels, say, tidy
from analysis.palette import policy_colour, shade
from analysis.sensitivity import unit

TOTAL_INDEX = {"morris": "mu_star", "sobol": "ST"}
OTHER_INDEX = {"morris": "sigma", "sobol": "S1"}
INDEX_NAMES = {"mu_star": "mu* (mean absolute effect)", "sigma": "sigma (spread of effects)",
               "ST": "total index (with interactions)", "S1": "first-order index (alone)"}


def index_bars(indices: pd.DataFrame, arm: str, method: str, points: int, fig=None, top: int = 12):
    """One panel per outcome of `arm`: each parameter's total index (Sobol ST, Morris mu*) as a bar
    with its 95% interval, and beside it the first-order index (Sobol S1) or the spread of the
    elementary effects (Morris sigma); parameters ranked by the total, the `top` first."""
    total, other = TOTAL_INDEX[method], OTHER_INDEX[method]
    rows = indices[(indices["arm"] == arm) & indices["index"].isin([total, other])]
    outcomes = list(dict.fromkeys(rows["outcome"]))
    title = f"{method.capitalize()}: what drives each outcome under {arm}\n({points:,} points; bars with 95% intervals)"
    if not outcomes:
        fig, (ax,) = panels(fig, 1, size=(7, 3))
        say(ax, "no outcome varies across the points", title)
        return fig
    count = min(top, rows["parameter"].nunique())
    fig, axes = panels(fig, len(outcomes), columns=2, size=(6.4, 0.9 + 0.42 * count))
    colour = policy_colour(arm)
    for ax, outcome in zip(axes, outcomes):
        table = rows[rows["outcome"] == outcome].pivot(index="parameter", columns="index", values=["value", "lower", "upper"])
        table = table.sort_values(("value", total), ascending=False).head(top).iloc[::-1]
        y = np.arange(len(table))
        for offset, index, tone in ((0.2, total, colour), (-0.2, other, shade(colour, 0.55))):
            value = table[("value", index)].to_numpy()
            error = np.vstack([value - table[("lower", index)], table[("upper", index)] - value])
            ax.barh(y + offset, value, height=0.38, color=tone, label=INDEX_NAMES[index],
                    xerr=None if np.isnan(error).all() else np.nan_to_num(error), ecolor="#333333", capsize=2)
        ax.set_yticks(y, table.index, fontsize=8)
        ax.axvline(0, color="#555555", linewidth=0.8)
        ax.set_title(unit(outcome).split(" (")[0], fontsize=10)
        ax.set_xlabel("share of the outcome's variance (0 to 1)" if method == "sobol"
                      else f"change over the parameter's range\n{unit(outcome)}")
        ax.legend(frameon=False, fontsize=8, loc="lower right")
        tidy(ax)
    fig.suptitle(title)
    return fig


def ranking_flips(flips: pd.DataFrame, a: str, b: str, criterion: str, fig=None, top: int = 6):
    """One panel per parameter (the `top` along which the share swings most): the share of points
    where `a` beats `b` by `criterion`, by the parameter's value, with its 95% interval; the dashed
    line is one half, and a vertical line marks where the share crosses it (dotted where the flip
    is not clear of chance)."""
    rows = flips[(flips["a"] == a) & (flips["b"] == b) & (flips["criterion"] == criterion)]
    swing = rows.groupby("parameter", sort=False)["share"].agg(lambda s: s.iloc[-1] - s.iloc[0]).abs()
    chosen = list(swing.sort_values(ascending=False, kind="stable").index[:top])
    fig, axes = panels(fig, max(len(chosen), 1), columns=3, size=(4.4, 3.3))
    title = (f"Where the ranking flips: share of sampled worlds in which {a} beats {b}\n"
             f"by {criterion}, along each parameter (the others drawn over their ranges)")
    if not chosen:
        say(axes[0], "nothing to compare", title)
        return fig
    colour = policy_colour(a)
    for ax, parameter in zip(axes, chosen):
        part = rows[rows["parameter"] == parameter]
        ax.fill_between(part["value"], part["lower"], part["upper"], color=colour, alpha=0.2, linewidth=0)
        ax.plot(part["value"], part["share"], marker="o", color=colour)
        ax.axhline(0.5, color="#555555", linestyle="--", linewidth=1)
        threshold, clear = part["threshold"].iloc[0], bool(part["clear"].iloc[0])
        if np.isfinite(threshold):
            ax.axvline(threshold, color="#333333", linewidth=1, linestyle="-" if clear else ":")
            ax.annotate(f"flips at {threshold:.3g}" if clear else f"crosses at {threshold:.3g}\n(not clear of chance)",
                        (threshold, 0.04), xytext=(4, 0), textcoords="offset points", fontsize=8)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel(parameter, fontsize=9)
        ax.set_ylabel(f"worlds where {a} is ahead", fontsize=8)
        tidy(ax)
    fig.suptitle(title)
    return fig
