"""A self-contained report of a run or a sweep for planners who will never open a notebook: one
HTML file (figures embedded as PNG, the comparison table) and the PNGs beside it."""

import base64
import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import matplotlib.pyplot as plt
import networkx as nx
import pandas as pd

from analysis import figures
from analysis.comparison import OUTCOMES, compare
from analysis.runs import find_runs, load, load_summaries, scenario_graph

# The metrics the report's figures read from the time series (the rest is not loaded).
METRICS = ["new_infections", "present", "entries"]


@dataclass
class Inputs:
    """What the figures are drawn from."""

    data: pd.DataFrame          # tidy time series (METRICS only)
    summaries: pd.DataFrame
    comparison: pd.DataFrame
    graph: nx.DiGraph
    baseline: str


@dataclass
class Figure:
    """One figure of the report, in report order."""

    name: str      # file name, without .png
    title: str     # heading in the report
    caption: str   # what it shows, for a reader
    draw: Callable[[Inputs, plt.Axes], plt.Axes]
    size: tuple[float, float] = (8, 5)


FIGURES = (
    Figure("epidemic_curves", "Epidemic curves",
           "New infections a day among migrants and host communities: the line is the median over seeds, "
           "the band holds 95% of seeds.",
           lambda i, ax: figures.epidemic_curves(i.data, ax=ax, baseline=i.baseline)),
    Figure("forest_plot", "Infections averted",
           "Infections averted against the baseline run on the same seed (the same people, arrivals and "
           "chance events), median and 95% interval over seeds.",
           lambda i, ax: figures.forest_plot(i.comparison, ax=ax, baseline=i.baseline)),
    Figure("cost_effectiveness", "Cost-effectiveness plane",
           "Each point is one seed: infections averted against the baseline on that seed, and what the "
           "policy cost above the baseline. Lower right is better.",
           lambda i, ax: figures.cost_effectiveness(i.summaries, ax=ax, baseline=i.baseline)),
    Figure("route_map", "Where infections happen",
           "Sites at their location, coloured by infections there and sized by the migrants "
           "passing through them (people reaching the site).",
           lambda i, ax: figures.infection_map(i.data, i.graph, ax=ax, baseline=i.baseline), (9, 7)),
    Figure("heatmap", "New infections by site and day", "New infections among migrants at each site, day by day.",
           lambda i, ax: figures.heatmap(i.data, ax=ax, baseline=i.baseline), (10, 5)),
    Figure("capacity_use", "Capacity use per site",
           "People present as a share of each site's capacity; above 100% crowding raises transmission.",
           lambda i, ax: figures.capacity_use(i.data, i.graph, ax=ax, baseline=i.baseline), (10, 5)),
    Figure("time_to_care", "Time to care", "Days from symptom onset to a consultation, pooled over seeds.",
           lambda i, ax: figures.time_to_care(i.summaries, ax=ax, baseline=i.baseline)),
)

STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:0.9em}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}img{max-width:100%}figure{margin:2em 0}
figcaption{color:#444;max-width:60em}.note{color:#555;font-size:0.9em;max-width:60em}"""


def write_report(path, out=None, baseline: str = "baseline") -> list[Path]:
    """Write `report.html` and one PNG per figure into `out` (default: `<path>/report`) for the
    run or sweep at `path`; return the files written."""
    runs = find_runs(path)
    out = Path(out) if out else runs.root / "report"
    out.mkdir(parents=True, exist_ok=True)
    summaries = load_summaries(runs)
    inputs = Inputs(load(runs, metrics=METRICS), summaries, compare(summaries, baseline),
                    scenario_graph(runs.folders[0]), baseline)
    written = []
    for figure in FIGURES:
        fig, ax = plt.subplots(figsize=figure.size, layout="constrained")
        figure.draw(inputs, ax)
        written.append(out / f"{figure.name}.png")
        fig.savefig(written[-1], dpi=150, bbox_inches="tight")
        plt.close(fig)
    page = out / "report.html"
    page.write_text(render(summaries, inputs.comparison, written, runs.root), encoding="utf-8")
    return [page, *written]


def comparison_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison as a reader sees it: one row per outcome, one column per arm, each cell
    'median (lower to upper)' rounded to whole people or euros; cost per infection averted also
    says on how many seeds it is defined."""
    seeds = comparison.groupby("arm", observed=True)["n"].max()

    def cell(row) -> str:
        if row["n"] == 0:
            return "-"
        text = f"{row['median']:,.0f} ({row['lower']:,.0f} to {row['upper']:,.0f})"
        if row["outcome"] == "cost_per_infection_averted":
            text += f", {row['n']} of {seeds[row['arm']]} seeds"
        return text

    cells = comparison.assign(cell=comparison.apply(cell, axis=1))
    table = cells.pivot(index="outcome", columns="arm", values="cell")
    table.index = [OUTCOMES[outcome] for outcome in table.index]
    table.columns = table.columns.astype(str).rename(None)
    return table


def render(summaries: pd.DataFrame, comparison: pd.DataFrame, pngs: list[Path], source: Path) -> str:
    """The HTML page: what was run, the comparison table, how to read it, then the figures."""
    def values(column) -> str:
        return ", ".join(str(v) for v in pd.unique(summaries[column].astype(str)))

    seeds = summaries["seed"].nunique()
    heading = f"Policy comparison: {values('scenario')}, {values('disease')}"
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(heading)}</title>"
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(heading)}</h1>",
        f"<p>{len(summaries)} runs: policies {html.escape(values('policy'))}; {seeds} seed(s); "
        f"{html.escape(values('days'))} days. From <code>{html.escape(str(source))}</code>, "
        f"{datetime.now():%Y-%m-%d %H:%M}.</p>",
        "<h2>Comparison</h2>",
        comparison_table(comparison).to_html(border=0, escape=True),
        "<p class='note'>Median over seeds, with the 2.5th to 97.5th percentile in brackets (with few "
        "seeds, close to the lowest and highest seed). Each policy run is paired with the baseline "
        "run on the same seed and settings, so infections averted and cost above baseline are "
        "differences within a pair. Cost per infection averted "
        "is the cost above baseline divided by infections averted on each seed, summarised over the "
        "seeds where infections were averted (elsewhere it is undefined); with few such seeds it is "
        "uncertain. Costs in EUR.</p>",
    ]
    for figure, png in zip(FIGURES, pngs):
        image = base64.b64encode(png.read_bytes()).decode("ascii")
        parts.append(f"<figure id='{figure.name}'><h2>{html.escape(figure.title)}</h2>"
                     f"<img src='data:image/png;base64,{image}' alt='{html.escape(figure.title)}'>"
                     f"<figcaption>{html.escape(figure.caption)}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts)
