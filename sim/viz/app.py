"""The browser page for planners: Mesa's SolaraViz over the route model.

    migration-sim view            # or: python -m sim.viz; serves http://127.0.0.1:8765 offline

The sidebar holds Mesa's controls (Reset, play, Step, speed) and the page's choices: scenario,
disease, one or two policy bundles and their main settings, each checked as the command line
checks it (a bad value shows the command line's message; the map keeps running the last good
choices until Reset). The first tab shows the route on a map, the clicked site's counters and
the epidemic curves (Mesa's plot components over the model's DataCollector), and the run's
outputs to download; the second compares the chosen bundles with baseline over paired seeds in
the background and shows the report's decision table and figures.

State is per browser session: Solara keeps each reactive variable below per session, and each
session builds its own model (Page).
"""

import html
import os
import threading
from pathlib import Path

import altair as alt
import solara
import solara.lab
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.utils import update_counter

from sim.collector import CollectingRouteModel
from sim.viz.choices import (BASELINE, CHECKED_ERRORS, INTERVENTIONS, Choices, check, optional_events, options,
                             problem_text)
from sim.viz.comparison import Comparison, comparison_folder, plan, run_comparison
from sim.viz.outputs import run_outputs
from sim.viz.route_map import COLOUR_BY, EMBED, KEY, map_spec, site_days

# solara.FigureAltair (Mesa's plot components draw with it) switches Altair's renderer to
# "mimetype" and back around each chart, for the whole process: two sessions drawing at once
# could switch it back under each other (KeyError: 0). With "mimetype" already on, it stays on.
alt.renderers.enable("mimetype")

OUTPUTS = Path(os.environ.get("MIGRATION_SIM_VIEW_OUTPUTS", "outputs/view"))  # where comparisons are saved
PLAY_INTERVAL_MS = 1    # Mesa's default (100 ms) would cap the page at ten days a second
RENDER_INTERVAL = 7     # days stepped between redraws and by Step: a week (benchmarks/page_speed.py: the speed)
NONE = "none"

choices = solara.reactive(Choices())             # the controls, as typed
setup = solara.reactive(None)                    # the last choices that passed every check (a Setup)
problem = solara.reactive(None)                  # the message of the last check that failed
selected_site = solara.reactive(None)            # node id clicked on the map
colour_by = solara.reactive("prevalence")
seeds_text = solara.reactive("10")               # paired seeds of a comparison


class PageModel(CollectingRouteModel):
    """The model of the page's choices. Mesa's Reset builds the next one with the same argument:
    `setup`, a Setup or the page's reactive variable holding the last good one.

    Mesa's play loop steps in a thread of its own and asks for a redraw after each batch of
    days. While a click is being handled, the page is drawn in the click's thread, and a redraw
    asked for during every pass of it would keep that drawing from ever finishing (Solara stops
    it: "Too many renders triggered"). So a step first waits, up to a second, until the page has
    drawn the last redraw asked for (FrameDrawn tells it)."""

    def __init__(self, setup):
        self.setup = getattr(setup, "value", setup)
        super().__init__(self.setup.graph, self.setup.config)
        self.frame_drawn = threading.Condition()
        self.frames_drawn = update_counter.value

    def drawn(self, frame: int) -> None:
        with self.frame_drawn:
            self.frames_drawn = max(self.frames_drawn, frame)
            self.frame_drawn.notify_all()

    def step(self) -> None:
        with self.frame_drawn:
            self.frame_drawn.wait_for(lambda: self.frames_drawn >= update_counter.value, timeout=1.0)
        super().step()


@solara.component
def FrameDrawn(model: solara.Reactive):
    """Tells the model each redraw the page has finished (an effect runs once a pass is done)."""
    frame = update_counter.value
    solara.use_effect(lambda: model.value.drawn(frame), [frame, model.value])


# ---------------------------------------------------------------- the choices (sidebar)


def choose(**values) -> None:
    """Change controls and check the result; a failing check keeps the last good setup."""
    changed = choices.value.changed(**values)
    choices.set(changed)
    try:
        setup.set(check(changed))
        problem.set(None)
    except CHECKED_ERRORS as error:
        problem.set(problem_text(error))


def field(label: str, name: str, hint: str = ""):
    """A text control; when the last check failed on its key, the failing lines under it."""
    solara.InputText(label, value=getattr(choices.value, name), on_value=lambda text: choose(**{name: text}),
                     placeholder=hint, error=culprit(name) or False)


KEYS = {"r0": "disease.r0:", "flow": "arrivals.", "uptake": ".uptake:", "sensitivity": ".sensitivity:",
        "scenario_file": "scenario.file:", "seed": "- seed:", "days": "- days:"}


def culprit(name: str) -> str:
    """The lines of the failing check's message about this control's key (none: '')."""
    key = KEYS.get(name, f"interventions.{name}:")
    return "; ".join(line.strip(" -") for line in (problem.value or "").splitlines() if key in line)


@solara.component
def ChoicesPanel(model: solara.Reactive):
    current = choices.value
    policies = options("policy")
    with solara.Card("Scenario, disease, policies", margin=0):
        solara.Select("scenario", values=options("scenario"), value=current.scenario,
                      on_value=lambda value: choose(scenario=value))
        field("or a scenario file (path)", "scenario_file", "path/to/route.yaml")
        events = optional_events(setup.value.graph) if setup.value is not None else []
        if events:
            solara.SelectMultiple("scenario events (optional)", values=[e for e in current.events.split(",") if e],
                                  all_values=events, on_value=lambda chosen: choose(events=",".join(chosen)))
        solara.Select("disease", values=options("disease"), value=current.disease,
                      on_value=lambda value: choose(disease=value))
        solara.Select("policy on the map", values=policies, value=current.policy,
                      on_value=lambda value: choose(policy=value))
        solara.Select("second policy to compare", values=[NONE, *(p for p in policies if p != BASELINE)],
                      value=current.second_policy or NONE,
                      on_value=lambda value: choose(second_policy="" if value == NONE else value))
        with solara.Row():
            field("seed", "seed")
            field("days", "days")
        solara.Text("Blank: as the scenario, disease or bundle says.", style="font-size: 0.8em; color: #555")
        field("r0 (secondary infections)", "r0", "the disease's")
        field("flow (people arriving a day)", "flow", "the scenario's")
        field("vaccine uptake (0 to 1)", "uptake", "the bundle's")
        field("screening sensitivity (0 to 1)", "sensitivity", "the method's")
        with solara.Details("Barrier interventions: share of each barrier's effect removed (0 to 1)",
                            expand=any(getattr(current, name) for name in INTERVENTIONS)):
            for name in INTERVENTIONS:
                field(name.replace("_", " "), name, "the bundle's")
        if problem.value:
            solara.Error(children=[solara.HTML(tag="pre", unsafe_innerHTML=html.escape(problem.value),
                                               style="white-space: pre-wrap; margin: 0; font-family: inherit")],
                         classes=["config-problem"])
        elif setup.value is not None and model.value.setup is not setup.value:
            solara.Info("Changed: press Reset to run these choices.", dense=True)
        for note in (setup.value.notes if setup.value is not None else ()):
            solara.Warning(note, dense=True)


# ---------------------------------------------------------------- the route tab


def RouteMap(model):
    """The map (route_map); a click on a site selects it for SiteCounters."""
    update_counter.get()

    def clicked(datum):
        if isinstance(datum, dict) and "node_id" in datum:
            selected_site.set(datum["node_id"])

    with model.lock:  # the model may be stepping in Mesa's play thread
        spec = map_spec(model, colour_by.value, selected_site.value)
    with solara.Column(style="padding: 4px; gap: 2px"):
        with solara.Row(style="align-items: center"):
            solara.ToggleButtonsSingle(value=colour_by, values=list(COLOUR_BY), dense=True)
            solara.Text(KEY, style="font-size: 0.75em; color: #555; line-height: 1.2")
        solara.widgets.VegaLite.element(spec=spec, on_click=clicked, listen_to_click=True)


COUNTERS = (
    ("present", "migrants present (people)"),
    ("infectious", "infectious migrants (people)"),
    ("new_infections", "new infections among migrants (people)"),
    ("host_new_infections", "new infections in the host community (people)"),
    ("isolated", "isolated (people)"),
    ("consultations", "consultations (that day)"),
    ("doses", "vaccine doses (that day)"),
)


def SiteCounters(model):
    """The day's counters at the clicked site."""
    update_counter.get()
    with model.lock:
        site = next((s for s in site_days(model) if s.node_id == selected_site.value), None)
        day = model.day
    with solara.Column(style="padding: 8px"):
        if site is None:
            solara.Text("Click a site on the map to see its counters for the day.")
            return
        solara.HTML(tag="h3", unsafe_innerHTML=html.escape(f"{site.name}"), style="margin: 0")
        solara.Text(f"{site.kind.replace('_', ' ')}, {site.country}; day {day} of {model.run_days}")
        rows = "".join(f"<tr><td>{html.escape(label)}</td><td class='count'>{getattr(site, key):,}</td></tr>"
                       for key, label in COUNTERS)
        solara.HTML(tag="table", unsafe_innerHTML=rows, classes=["site-counters"])


def curves(title: str, unit: str, measures: dict[str, tuple[str, str]]):
    """One of Mesa's plot components (Altair) over the DataCollector, titled and labelled."""
    def style(chart):
        labels = " : ".join(f"datum.label == '{key}' ? '{label}'" for key, (label, _) in measures.items())
        return chart.encode(
            x=alt.X("Step:Q", title="day of simulation"),
            y=alt.Y("Value:Q", title=unit),
            color=alt.Color("Measure:N", scale=alt.Scale(domain=list(measures), range=[c for _, c in measures.values()]),
                            legend=alt.Legend(title=None, orient="top", labelExpr=f"{labels} : datum.label")),
        ).properties(title=title, width=430, height=230, usermeta=EMBED)

    return make_plot_component({key: colour for key, (_, colour) in measures.items()}, post_process=style,
                               backend="altair")


EPIDEMIC_CURVES = curves("Epidemic curves: new infections a day", "new infections (people per day)", {
    "migrants_new_infections": ("migrants", "#000000"), "hosts_new_infections": ("host communities", "#999999")})


def RunOutputs(model):
    """What the run has given so far, and its outputs to download."""
    update_counter.get()
    with model.lock:
        totals, day = model.datacollector.get_model_vars_dataframe(), model.day
    chosen = model.setup.choices
    with solara.Column(style="padding: 8px"):
        solara.Text(f"{model.graph.graph['name']} / {model.setup.config.disease.name} / {chosen.policy} / "
                    f"seed {model.setup.config.seed}: day {day} of {model.run_days}", classes=["run-day"])
        if len(totals):
            solara.Text(f"infections so far: {int(totals['migrants_new_infections'].sum()):,} among migrants, "
                        f"{int(totals['hosts_new_infections'].sum()):,} in host communities; "
                        f"deaths {int(totals['deaths'].sum()):,}")
        solara.FileDownload(lambda: run_outputs(model.setup, day), filename=f"run_day{day}.zip",
                            label="Download the outputs so far (time series, summary, config)")


# ---------------------------------------------------------------- the comparison tab


@solara.lab.task
def comparison_task(comparison: Comparison) -> Comparison:
    def progress(done: Comparison):
        comparison_task.progress = 100.0 * done.done / done.total
    return run_comparison(comparison, progress)


@solara.component
def Compare(model):
    """Run the chosen bundles against baseline over paired seeds; show the decision table and
    the report's figures."""
    current = setup.value
    arms = ", ".join(current.arms)

    def start():
        comparison_task(Comparison(plan(current, int(seeds_text.value), comparison_folder(OUTPUTS, current))))

    with solara.Column(style="padding: 8px; width: 100%"):
        solara.Text(f"Compares {arms} on {current.graph.graph['name']} / {current.config.disease.name}, "
                    f"{current.config.days} days, seeds from {current.config.seed}.")
        seeds_ok = seeds_text.value.isdigit() and 1 <= int(seeds_text.value) <= 200
        with solara.Row():
            solara.InputText("paired seeds", value=seeds_text, continuous_update=True,
                             error=not seeds_ok, message=None if seeds_ok else "a whole number from 1 to 200")
            solara.Button("Run comparison", on_click=start, color="primary",
                          disabled=comparison_task.pending or not seeds_ok or len(current.arms) < 2)
        if len(current.arms) < 2:
            solara.Info("Choose a policy other than baseline (or a second policy) to compare.")
        if comparison_task.pending:
            solara.ProgressLinear(comparison_task.progress or True)
            solara.Text(f"running: {comparison_task.progress or 0:.0f}% of the runs done")
        result = comparison_task.value if comparison_task.finished else None
        if result is not None:
            ComparisonResult(result)


@solara.component
def ComparisonResult(result: Comparison):
    """The decision table, then the report itself (analysis.write_report's page, figures and
    all), as planners get it from `python -m analysis report`."""
    if result.error:
        solara.Error(f"The comparison failed: {result.error}")
        return
    solara.Text(f"{result.total} runs in {result.plan.root}")
    solara.HTML(tag="div", unsafe_innerHTML=result.table.to_html(border=0, escape=True), classes=["decision-table"])
    page = result.report[0]
    solara.FileDownload(page.read_bytes(), filename=page.name, label="Download the report (HTML)")
    solara.HTML(tag="iframe", attributes={"srcdoc": page.read_text(encoding="utf-8"), "title": "the report"},
                classes=["report"])


# ---------------------------------------------------------------- the page


STYLE = """
/* Mesa's Model Parameters card stays empty (the page's own, checked choices stand in for it) */
.v-card:has(> .v-card__text > .v-sheet:empty) { display: none }
.site-counters td { padding: 2px 10px 2px 0 } .site-counters .count { text-align: right; font-weight: bold }
.decision-table table { border-collapse: collapse; font-size: 0.85em }
.decision-table th, .decision-table td { border: 1px solid #ccc; padding: 3px 6px; text-align: right }
.decision-table th:first-child, .decision-table td:first-child { text-align: left }
iframe.report { width: 100%; height: 1400px; border: 1px solid #ddd }
"""


@solara.component
def Page():
    """One browser session: its own model, built from the default choices on first load."""
    def first_model():
        if setup.value is None:
            setup.set(check(choices.value))
        return PageModel(setup)

    initial = solara.use_memo(first_model, [])
    model = solara.use_reactive(initial)
    solara.Style(STYLE)
    SolaraViz(
        model,
        components=[(RouteMap, 0), (SiteCounters, 0), EPIDEMIC_CURVES,
                    (RunOutputs, 0), (Compare, 1)],
        model_params={"setup": setup},
        name="Migration health: a route, day by day",
        play_interval=PLAY_INTERVAL_MS,
        render_interval=RENDER_INTERVAL,
    )
    ChoicesSidebar(model)


@solara.component
def ChoicesSidebar(model: solara.Reactive):
    """The choices in the sidebar, under Mesa's controls: Solara orders sidebar parts by how deep
    in the page they are made, so this one is made a level deeper than SolaraViz's."""
    with solara.Column():
        with solara.Sidebar():
            ChoicesPanel(model)
            FrameDrawn(model)
