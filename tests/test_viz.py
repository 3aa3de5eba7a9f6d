"""The browser page's parts that run without a browser (sim/viz): choices checked as the command
line checks them, the map of a running model, the outputs offered for download, the comparison
run in a worker, and the offline assets the server is started with."""

import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("solara", reason="the viz extra is not installed")

from sim.viz.choices import CHECKED_ERRORS, Choices, check, optional_events, problem_text  # noqa: E402
from sim.viz.comparison import Comparison, plan, run_comparison  # noqa: E402
from sim.viz.outputs import run_outputs  # noqa: E402
from sim.viz.route_map import map_spec  # noqa: E402
from sim.viz.serve import VERSION_RANGES, offline_assets, server_environment  # noqa: E402
from sim.collector import CollectingRouteModel  # noqa: E402

DEMO = Choices(scenario="demo", disease="covid19")


def problem(choices: Choices) -> str:
    with pytest.raises(CHECKED_ERRORS) as error:
        check(choices)
    return problem_text(error.value)


@pytest.mark.parametrize("control, text, message", [
    ("r0", "-5", "disease.r0: -5 is not allowed: Input should be greater than 0"),
    ("r0", "fast", "disease.r0: 'fast' is not allowed: Input should be a valid number"),
    ("days", "0", "days: 0 is not allowed: Input should be greater than or equal to 1"),
    ("seed", "-1", "seed: -1 is not allowed: Input should be greater than or equal to 0"),
    ("flow", "-20", "arrivals.per_day: -20 is not allowed: Input should be greater than or equal to 0"),
    ("uptake", "1.5", "policy.vaccination.at_entry.uptake: 1.5 is not allowed: Input should be less than or equal to 1"),
    ("sensitivity", "2", "policy.screening.borders.sensitivity: 2 is not allowed"),
    ("firewall", "-0.1", "policy.care.interventions.firewall: -0.1 is not allowed"),
    ("scenario_file", "no/such/route.yaml", "scenario.file: 'no/such/route.yaml' is not allowed: an existing scenario file"),
])
def test_a_bad_control_gives_the_command_lines_message(control, text, message):
    assert message in problem(DEMO.changed(policy="combined", **{control: text}))


def test_a_value_hydra_cannot_read_gives_hydras_message_without_the_search_path():
    text = problem(DEMO.changed(r0="1,2"))
    assert "Ambiguous value for argument 'disease.r0=1,2'" in text and "Config search path" not in text


def test_policy_controls_change_the_chosen_bundles_never_baseline():
    setup = check(DEMO.changed(policy="vaccinate_at_entry", second_policy="combined", uptake="0.4",
                               sensitivity="0.9", interpreters="0.7"))
    assert list(setup.arms) == ["baseline", "vaccinate_at_entry", "combined"]
    assert setup.arms["baseline"] == ["scenario=demo", "disease=covid19", "seed=0", "days=365", "policy=baseline"]
    assert "policy.vaccination.at_entry.uptake=0.4" in setup.arms["vaccinate_at_entry"]
    assert not any("sensitivity" in o for o in setup.arms["vaccinate_at_entry"])  # it screens nobody
    assert {"policy.screening.borders.sensitivity=0.9", "policy.screening.pre_departure.sensitivity=0.9",
            "policy.care.interventions.interpreters=0.7"} <= set(setup.arms["combined"])
    assert setup.config.policy.name == "vaccinate_at_entry"
    assert setup.config.policy.vaccination["at_entry"].uptake == 0.4
    assert setup.config.policy.care.interventions.interpreters == 0.7


def test_controls_no_bundle_uses_are_noted():
    assert check(DEMO.changed(uptake="0.5")).notes == ("uptake: no chosen bundle has a programme it applies to",)
    assert check(DEMO.changed(policy="lower_barriers", free_care="0.5")).notes == ()


def test_flow_and_events_reach_the_route():
    setup = check(Choices(scenario="western_balkans", events="corridor_closure", flow="120"))
    assert setup.graph.graph["arrivals"].per_day == 120
    assert setup.config.scenario.events == ["corridor_closure"]
    assert optional_events(setup.graph) == ["corridor_closure"]
    assert Choices(scenario="western_balkans", events="corridor_closure").changed(scenario="demo").events == ""
    assert "scenario.events: 'no_such_event' is not allowed" in problem(DEMO.changed(events="no_such_event"))


def test_the_map_shows_each_site_on_the_day_just_simulated():
    setup = check(DEMO)
    model = CollectingRouteModel(setup.graph, setup.config)
    for _ in range(20):
        model.step()
    spec = map_spec(model, "prevalence", selected="transit_camp")
    recorder = model.recorder
    sites = pd.DataFrame(spec["datasets"]["sites"]).set_index("node_id").loc[list(recorder.node_ids)]
    np.testing.assert_array_equal(sites["present"], recorder.metric("migrants", "present")[19])
    infectious = sum(recorder.metric("migrants", s)[19] for s in ("presymptomatic", "asymptomatic", "symptomatic"))
    np.testing.assert_array_equal(sites["infectious"], infectious)
    assert sites["present"].sum() > 0 and sites["infectious"].sum() > 0
    assert sites.loc["transit_camp", "selected"] and sites["selected"].sum() == 1
    assert sites.loc["transit_camp", "lon"] == setup.graph.nodes["transit_camp"]["lon"]
    points = next(layer for layer in spec["layer"] if layer.get("name") == "sites")
    assert points["encoding"]["color"]["scale"]["domain"] == [0, max(sites["prevalence"].max(), 0.01)]
    assert spec["title"]["text"] == "demo: day 20 of 365"
    assert list(pd.DataFrame(spec["datasets"]["sites"])["present"]) == sorted(sites["present"], reverse=True)
    json.dumps(spec)  # what the browser is sent


def test_the_map_draws_closed_edges_closed_and_teams_where_they_are():
    setup = check(Choices(scenario="western_balkans", events="corridor_closure", policy="mobile_teams"))
    closures = {f"{e.from_} -> {e.to}" for e in setup.graph.graph["events"] if e.name == "corridor_closure"}
    assert len(closures) >= 4 and all(e.day == 60 for e in setup.graph.graph["events"])
    model = CollectingRouteModel(setup.graph, setup.config)
    closed_by_day, teams_by_day = [], []
    for _ in range(61):
        model.step()
        spec = map_spec(model)
        edges = pd.DataFrame(spec["datasets"]["edges"])
        closed_by_day.append(set(edges.loc[edges["status"] == "closed", "route"]))
        teams_by_day.append(spec["datasets"]["teams"])
    assert closed_by_day[59] == set() and closed_by_day[60] == closures  # closed from day 60
    informal = {setup.graph.nodes[n]["name"] for n, kind in setup.graph.nodes(data="kind") if kind == "informal_site"}
    working = [day for day, teams in enumerate(teams_by_day) if teams]
    assert working[0] == 0 and all(day % 7 in (0, 2, 4) for day in working)  # on its three working days a week
    on_road = int(model.recorder.metric("migrants", "team_days_on_road")[:61].sum())
    assert on_road > 0 and len(working) + on_road <= 61, "driving between the informal sites, it is shown at none"
    assert all(team["at"] in informal for teams in teams_by_day for team in teams)


def test_download_holds_the_runs_outputs_up_to_the_day_shown():
    setup = check(DEMO.changed(policy="combined"))
    model = CollectingRouteModel(setup.graph, setup.config)
    for _ in range(25):
        model.step()
    with zipfile.ZipFile(io.BytesIO(run_outputs(setup, model.day))) as archive:
        assert sorted(archive.namelist()) == ["config.json", "manifest.json", "summary.json", "timeseries.csv", "timeseries.parquet"]
        summary = json.loads(archive.read("summary.json"))
        series = pd.read_parquet(io.BytesIO(archive.read("timeseries.parquet")))
        assert len(pd.read_csv(archive.open("timeseries.csv"))) == len(series)
    assert summary["days"] == 25 and summary["policy"] == "combined" and "infections_averted" in summary
    infections = series.query("population == 'migrants' and metric == 'new_infections'").pivot(
        index="day", columns="node", values="value")[list(model.recorder.node_ids)]
    np.testing.assert_array_equal(infections.to_numpy(), model.recorder.metric("migrants", "new_infections")[:25])


@pytest.mark.slow
def test_a_comparison_pairs_seeds_and_gives_the_reports_table_and_figures(tmp_path):
    setup = check(DEMO.changed(policy="combined", days="40", flow="30"))
    comparison = Comparison(plan(setup, seeds=2, root=tmp_path / "compare"))
    assert [(run.folder.name, run.seed) for run in comparison.plan.runs] == [
        ("baseline", 0), ("combined", 0), ("baseline", 1), ("combined", 1)]
    seen = []
    run_comparison(comparison, on_progress=lambda c: seen.append(c.done))
    assert comparison.error is None and seen[:4] == [1, 2, 3, 4]
    for run in comparison.plan.runs:
        config = json.loads((run.folder / f"seed={run.seed}" / "config.json").read_text())
        assert config["seed"] == run.seed and config["days"] == 40
        assert config["scenario"]["file"] == str(tmp_path / "compare" / "scenario.yaml")  # the page's flow
    assert list(comparison.table.columns) == ["baseline", "combined"]
    assert comparison.table.loc["infections averted vs baseline, same seed", "baseline"].split()[0] == "0"
    page, *figures = comparison.report
    assert page.name == "report.html" and len(figures) >= 5 and all(f.suffix == ".png" for f in figures)


def test_migration_sim_view_is_the_pages_command():
    shown = subprocess.run([sys.executable, "-c", "import sys; sys.argv = ['migration-sim', 'view', '--help']; "
                            "from sim.cli import entry; entry()"], capture_output=True, text=True, check=True)
    assert "usage: migration-sim view" in shown.stdout and "--port" in shown.stdout


def test_the_server_is_given_offline_assets_and_no_telemetry(tmp_path):
    environment = server_environment(tmp_path)
    assert environment["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assets = tmp_path / "assets"
    assert environment["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(assets)
    for wanted in VERSION_RANGES:
        name = wanted.split("@")[0]
        assert (assets / wanted / "build" / f"{name}.min.js").is_file()
    assert (assets / "requirejs@2.3.6" / "require.js").is_file()
    offline_assets(assets)  # made again on the next start, over the last one
    assert (assets / "vega@5" / "build" / "vega.min.js").is_file()
