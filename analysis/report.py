"""A self-contained report of a run or a sweep for planners who will never open a notebook: one
HTML file (figures embedded as PNG, the comparison and decision tables) and the PNGs beside it.

A sweep of several policy arms gets the comparison (median and interval over seeds, paired with
baseline), the decision section (analysis.decision) and, where the sweep varies a numeric
parameter, a dose-response figure; a single run gets its own outcomes and figures, and says so.
"""

import base64
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import matplotlib.pyplot as plt
import networkx as nx
import pandas as pd

from analysis import figures, maps
from analysis.comparison import (
    arm_labels, check_baseline, check_outcome, compare, health_outcomes, outcome_labels, paired, short_arm,
)
from analysis.decision import THRESHOLD_SOURCES, THRESHOLDS, Decision, decide
from analysis.report_tables import comparison_table, decision_table, single_run_table
from analysis.runs import find_runs, load, load_summaries, scenario_graph

# The metrics the report's figures read from the time series (the rest is not loaded).
METRICS = ["new_infections", "present", "entries"]


@dataclass
class Inputs:
    """What the figures are drawn from."""

    data: pd.DataFrame          # tidy time series (METRICS only)
    summaries: pd.DataFrame
    graph: nx.DiGraph
    baseline: str
    outcome: str
    comparison: pd.DataFrame | None = None  # None for a single arm
    decision: Decision | None = None
    arms: list[str] = field(default_factory=list)


@dataclass
class Figure:
    """One figure of the report, in report order."""

    name: str      # file name, without .png
    title: str     # heading in the report
    caption: str   # what it shows, for a reader
    draw: Callable[[Inputs, plt.Figure], object]
    size: tuple[float, float] = (8, 5)


def one_panel(draw: Callable[[Inputs, plt.Axes], object]) -> Callable[[Inputs, plt.Figure], object]:
    return lambda inputs, fig: draw(inputs, fig.subplots())


def comparison_figures(inputs: Inputs) -> list[Figure]:
    """The figures of a comparison of policies: curves against baseline, effects, decision, doses."""
    others = max(len(inputs.arms) - 1, 1)
    rows = -(-others // 3)
    found = [
        Figure("epidemic_curves", "Epidemic curves, each policy against baseline",
               f"New infections a day among migrants and host communities. One panel per policy, each with "
               f"{inputs.baseline} in black; the line is the median over seeds, the band holds 95% of seeds.",
               lambda i, fig: figures.epidemic_curves(i.data, fig=fig, baseline=i.baseline),
               (4.2 * min(others, 3), 3.2 * rows + 0.8)),
        Figure("forest_plot", f"{outcome_labels(inputs.outcome)[f'{inputs.outcome}_averted'].capitalize()}",
               "Against the baseline run on the same seed (the same people, arrivals and chance events), "
               "median and 95% interval over seeds.",
               one_panel(lambda i, ax: figures.forest_plot(i.comparison, f"{i.outcome}_averted", ax=ax,
                                                           baseline=i.baseline)), (8, 1.6 + 0.5 * others)),
        Figure("cost_effectiveness", "Cost-effectiveness plane",
               "Each small point is one seed: the outcome averted against the baseline on that seed, and what the "
               "policy cost above the baseline. Diamonds are means over seeds; the black line joins the options "
               "on the efficiency frontier. Lower right is better.",
               one_panel(lambda i, ax: figures.cost_effectiveness(i.summaries, ax=ax, baseline=i.baseline,
                                                                  outcome=i.outcome, decision=i.decision)), (8, 6)),
        Figure("acceptability", "Cost-effectiveness acceptability curve",
               "For each willingness to pay per outcome averted, the share of seeds on which each policy has the "
               "highest net monetary benefit (the probability it is the most cost-effective).",
               one_panel(lambda i, ax: figures.acceptability(i.decision, ax=ax))),
    ]
    for parameter in figures.dose_parameters(inputs.summaries):
        found.append(Figure(
            f"dose_response_{parameter.replace('.', '_')}", f"Dose-response: {parameter.removeprefix('policy.')}",
            "Outcome averted and cost above baseline (paired by seed) against the swept value, median and 95% "
            "interval over seeds.",
            lambda i, fig, p=parameter: figures.dose_response(i.summaries, p, fig=fig, baseline=i.baseline,
                                                              outcome=i.outcome), (11, 4.5)))
    return found


def place_figures(inputs: Inputs) -> list[Figure]:
    """Figures of one arm (the baseline): where infections happen, when, crowding, delays."""
    single = len(inputs.summaries) == 1
    over_seeds = "" if single else (": the median over seeds, or the seed with the most infections where the median "
                                    "is nearly all zero (the title says which)")
    return [
        Figure("route_map", "Where infections happen",
               "Sites at their location over country borders, coloured by infections there and sized by the "
               "migrants passing through them (people reaching the site).",
               one_panel(lambda i, ax: maps.infection_map(i.data, i.graph, ax=ax, baseline=i.baseline)), (9, 7)),
        Figure("heatmap", "New infections by site and day",
               f"New infections among migrants at each site, day by day{over_seeds}.",
               one_panel(lambda i, ax: figures.heatmap(i.data, ax=ax, baseline=i.baseline)), (10, 5)),
        Figure("capacity_use", "Capacity use per site",
               "People present as a share of each site's capacity; above 100% each living unit holds more people, who all meet.",
               one_panel(lambda i, ax: figures.capacity_use(i.data, i.graph, ax=ax, baseline=i.baseline)), (10, 5)),
        Figure("time_to_care", "Time to care",
               "Days from symptom onset to a consultation" + ("." if single else ", pooled over seeds."),
               one_panel(lambda i, ax: figures.time_to_care(i.summaries, ax=ax, baseline=i.baseline))),
    ]


def single_run_figures(inputs: Inputs) -> list[Figure]:
    return [Figure("epidemic_curves", "Epidemic curve", "New infections a day among migrants and host communities.",
                   lambda i, fig: figures.epidemic_curves(i.data, fig=fig, baseline=i.baseline), (8, 4.5)),
            *place_figures(inputs)]


STYLE = """body{font-family:system-ui,sans-serif;max-width:1240px;margin:2em auto;padding:0 1em;color:#222}
.wide{overflow-x:auto}table{border-collapse:collapse;font-size:0.85em}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}tbody th{min-width:16em;font-weight:normal}
th:first-child,td:first-child{text-align:left}img{max-width:100%}figure{margin:2em 0}
figcaption{color:#444;max-width:60em}.note{color:#555;font-size:0.9em;max-width:60em}"""


def write_report(path, out=None, baseline: str = "baseline", outcome: str = "infections",
                 thresholds: tuple[float, ...] | None = None) -> list[Path]:
    """Write `report.html` and one PNG per figure into `out` (default: `<path>/report`) for the
    run or sweep at `path`; return the files written. `baseline`: the arm the others are compared
    with (it must be one of them); `outcome`: the health outcome of the cost-effectiveness
    analysis (HEALTH_OUTCOMES: infections, deaths, exported_infectious, dalys where the runs carry
    them); `thresholds`: willingness to pay per outcome averted, EUR (default:
    analysis.decision.THRESHOLDS)."""
    runs = find_runs(path)
    summaries = load_summaries(runs)
    arms = list(pd.unique(arm_labels(summaries)))
    check_baseline(arms, baseline)
    inputs = Inputs(load(runs, metrics=METRICS), summaries, scenario_graph(runs.folders[0]), baseline, outcome,
                    arms=arms)
    if len(arms) > 1:
        check_outcome(outcome, health_outcomes(paired(summaries, baseline)))
        inputs.comparison = compare(summaries, baseline, outcome)
        inputs.decision = decide(paired(summaries, baseline), baseline, outcome, thresholds)
        chosen = comparison_figures(inputs) + place_figures(inputs)
    else:
        chosen = single_run_figures(inputs) if len(summaries) == 1 else place_figures(inputs)
    out = Path(out) if out else runs.root / "report"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for figure in chosen:
        fig = plt.figure(figsize=figure.size, layout="constrained")
        figure.draw(inputs, fig)
        written.append(out / f"{figure.name}.png")
        fig.savefig(written[-1], dpi=150, bbox_inches="tight")
        plt.close(fig)
    page = out / "report.html"
    page.write_text(render(inputs, chosen, written, runs.root), encoding="utf-8")
    return [page, *written]


def render(inputs: Inputs, chosen: list[Figure], pngs: list[Path], source: Path) -> str:
    """The HTML page: what was run, the comparison and decision (or the single run's outcomes),
    how to read them, then the figures."""
    summaries = inputs.summaries

    def values(column) -> str:
        return ", ".join(str(v) for v in pd.unique(summaries[column].astype(str)))

    if len(summaries) == 1:
        heading = (f"Single run: {values('scenario')}, {values('disease')}, policy {values('policy')}, "
                   f"seed {values('seed')}")
        what = f"<p>One run of {html.escape(values('days'))} days: no other seed or policy to compare with.</p>"
    else:
        heading = (f"{'Policy comparison' if inputs.comparison is not None else 'Runs of one policy'}: "
                   f"{values('scenario')}, {values('disease')}")
        what = (f"<p>{len(summaries)} runs: arms {html.escape(', '.join(map(short_arm, inputs.arms)))}; "
                f"{summaries['seed'].nunique()} seed(s); {html.escape(values('days'))} days.</p>")
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(heading)}</title>"
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(heading)}</h1>", what,
        f"<p class='note'>From <code>{html.escape(str(source))}</code>, {datetime.now():%Y-%m-%d %H:%M}.</p>",
        *(comparison_section(inputs) if inputs.comparison is not None else outcomes_section(inputs)),
    ]
    for figure, png in zip(chosen, pngs):
        image = base64.b64encode(png.read_bytes()).decode("ascii")
        parts.append(f"<figure id='{figure.name}'><h2>{html.escape(figure.title)}</h2>"
                     f"<img src='data:image/png;base64,{image}' alt='{html.escape(figure.title)}'>"
                     f"<figcaption>{html.escape(figure.caption)}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts)


def outcomes_section(inputs: Inputs) -> list[str]:
    title = "Outcomes of this run" if len(inputs.summaries) == 1 else "Outcomes, median and 95% interval over seeds"
    return [f"<section id='outcomes'><h2>{title}</h2>",
            single_run_table(inputs.summaries).to_html(border=0, escape=True), "</section>"]


def comparison_section(inputs: Inputs) -> list[str]:
    decision = inputs.decision
    health_many = outcome_labels(inputs.outcome)[f"{inputs.outcome}_averted"].split(" averted")[0]
    offer = (" DALYs are in these runs: <code>--outcome dalys</code> analyses them instead."
             if "dalys" in inputs.summaries.columns and inputs.outcome != "dalys" else "")
    return [
        "<section id='comparison'><h2>Comparison</h2>",
        "<div class='wide'>", comparison_table(inputs.comparison).to_html(border=0, escape=True), "</div>",
        "<p class='note'>Median over seeds, with the 2.5th to 97.5th percentile in brackets (with few "
        "seeds, close to the lowest and highest seed). Each policy run is paired with the baseline "
        f"run ({html.escape(inputs.baseline)}) on the same seed and settings, so outcomes averted and cost above "
        "baseline are differences within a pair. The cost per outcome averted is the median cost above "
        "baseline divided by the median outcome averted, given only where the median seed averts something "
        "at a cost; a policy that does harm on the median seed gets no favourable ratio. Costs in EUR.</p>",
        "</section>",
        "<section id='decision'><h2>Decision</h2>",
        "<div class='wide'>", decision_table(decision).to_html(border=0, escape=True, index=False), "</div>",
        f"<p class='note'>Health outcome: {html.escape(health_many)} averted.{offer} Means over "
        f"{decision.draws} paired seed(s), as cost-effectiveness analysis decides on expected values. "
        "Options are sorted by cost; one that costs more and averts no more than another is dominated, one "
        "whose incremental cost-effectiveness ratio (ICER) exceeds that of the next dearer option is "
        "extendedly dominated (a mix of its neighbours would do better). Each option left on the efficiency "
        "frontier has its ICER against the next-best option on it. Net monetary benefit (NMB) = willingness "
        "to pay x outcome averted - cost above baseline; policies are ranked by NMB at the first threshold. "
        "'Most cost-effective' is the share of seeds on which the policy has the highest NMB. Thresholds "
        f"(EUR per outcome averted): {', '.join(f'{t:,.0f}' for t in decision.thresholds)}; "
        f"{html.escape(threshold_source(decision))}. Reported after CHEERS 2022 (Husereau et al., "
        "BMJ 2022;376:e067975).</p>",
        "</section>",
    ]


def threshold_source(decision: Decision) -> str:
    if decision.thresholds == THRESHOLDS[decision.outcome]:
        return THRESHOLD_SOURCES[decision.outcome]
    return "set for this report"
