"""The notebook API and the command line: compose, simulate, results, outputs on disk."""

import json
import subprocess
import sys

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from conftest import DEMO, ROOT, config
from sim import ConfigError, RouteModel, Site, load_scenario, run_config, simulate
from sim.config import SCENARIO_DIR
from sim.population import AT_NODE, EXITED, ON_EDGE


def test_load_scenario_gives_the_route_graph():
    graph = load_scenario(SCENARIO_DIR / "demo.yaml")
    assert isinstance(graph, nx.DiGraph)
    assert graph.number_of_nodes() == 6 and graph.number_of_edges() == 7
    assert graph.nodes["transit_camp"]["kind"] == "transit_centre"
    assert graph.edges["exit_post", "city"]["travel_days"] == 2
    assert graph.graph["arrivals"].per_day == 20


def test_simulate_returns_tidy_timeseries_and_summary(tmp_path):
    result = simulate(config(*DEMO, "disease=measles", "seed=7", "days=120"))
    series = result.timeseries
    assert list(series.columns) == ["day", "date", "node", "kind", "country", "population", "metric", "value"]
    assert series.day.min() == 0 and series.day.max() == 119
    first = series.iloc[0]
    assert (str(first.date.date()), first.node, first.kind, first.country) == ("2023-01-01", "border_post", "border", "AAA")
    assert str(series.date.max().date()) == "2023-04-30"  # day 119 of a run from 2023-01-01
    assert dict(zip(series.node, series.kind))["transit_camp"] == "transit_centre"
    assert set(series.population.unique()) == {"migrants", "hosts"}
    assert {"new_infections", "present", "susceptible", "arrivals"} <= set(series.metric.unique())
    summary = result.summary
    assert (summary["scenario"], summary["disease"], summary["policy"], summary["seed"]) == ("demo", "measles", "baseline", 7)
    for key in ("arrivals", "infections_migrants", "infections_hosts", "attack_rate_migrants", "deaths_migrants",
                "peak_day", "still_in_transit", "runtime_seconds"):
        assert key in summary
    folder = result.save(tmp_path / "run")
    saved = pd.read_parquet(folder / "timeseries.parquet")  # the tidy columns: analysis.load adds the rest
    pd.testing.assert_frame_equal(saved, series.drop(columns=["date", "kind", "country"]))
    assert json.loads((folder / "summary.json").read_text())["arrivals"] == summary["arrivals"]
    assert json.loads((folder / "config.json").read_text())["disease"]["name"] == "measles"
    assert not list(folder.glob("*.tmp"))


def test_an_edited_graph_can_be_simulated():
    graph = load_scenario(SCENARIO_DIR / "demo.yaml")
    graph.edges["transit_camp", "roadside"]["weight"] = 100.0
    edited = simulate(config(*DEMO, "days=60"), scenario=graph)
    plain = simulate(config(*DEMO, "days=60"))
    at_roadside = lambda r: r.timeseries.query("node == 'roadside' and metric == 'present' and population == 'migrants'").value.sum()
    # the roadside's share of people leaving the camp goes from 0.2 / 1.0 to 100 / 100.8: about 5 times
    assert at_roadside(edited) > 3 * at_roadside(plain)


def test_an_edited_graph_is_validated_too():
    graph = load_scenario(SCENARIO_DIR / "demo.yaml")
    graph.nodes["clinic"]["capacity"] = -1
    graph.add_edge("city", "nowhere", travel_days=1, weight=1.0)
    with pytest.raises(ConfigError) as caught:
        simulate(config(*DEMO, "days=10"), scenario=graph)
    assert "nodes[3] (id clinic).capacity" in str(caught.value)


def test_person_view():
    """The view of a person reads their row: where they are, on which edge, their state, the
    programmes' own columns (vaccine doses, barriers)."""
    model = RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"),
                       run_config(config(*DEMO, "days=10", "policy=vaccinate_at_entry")))
    model.run()
    first_initial = model.person(0)
    assert first_initial["origin"] == "SYR" and first_initial["group_size"] == 1
    p, node_ids = model.people, model.routes.node_ids
    at_node = int(np.flatnonzero(p.where[: p.count] == AT_NODE)[-1])
    on_edge = int(np.flatnonzero(p.where[: p.count] == ON_EDGE)[0])
    person = model.person(int(p.uid[at_node]))
    assert (person["where"], person["node"], person["edge"]) == ("at node", node_ids[p.node[at_node]], None)
    assert person["state"] == model.disease.names[p.state[at_node]]
    assert person["vaccine_doses"] == p.doses[at_node] and isinstance(person["barriers"], list)
    travelling = model.person(int(p.uid[on_edge]))
    edge = p.edge[on_edge]
    assert travelling["where"] == "on edge"
    assert travelling["edge"] == (node_ids[model.routes.edge_source[edge]], node_ids[model.routes.edge_target[edge]])
    gone = np.flatnonzero(p.where[: p.count] == EXITED)[0]  # a row kept until the arrays are compacted
    assert model.person(int(p.uid[gone]))["where"] == "left at destination"
    with pytest.raises(KeyError, match="has not arrived"):
        model.person(p.arrived)
    assert len([agent for agent in model.agents if isinstance(agent, Site)]) == 6  # one Site agent per node


def test_command_line_with_scenario_file_and_run_dir(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "run.py", f"scenario.file={SCENARIO_DIR / 'demo.yaml'}", "disease=covid19",
                           "seed=3", "seeds=1", "days=30", f"hydra.run.dir={out}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "people entering the route" in done.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["scenario"], summary["disease"], summary["seed"], summary["days"]) == ("demo", "covid19", 3, 30)
    assert (out / "timeseries.parquet").exists() and (out / ".hydra" / "config.yaml").exists()


def test_project_root_is_found_from_the_environment_or_the_working_folder(tmp_path, monkeypatch):
    from sim.config import project_root

    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "config.yaml").write_text("seed: 0\n")
    monkeypatch.setenv("MIGRATION_SIM_HOME", str(tmp_path))
    assert project_root() == tmp_path.resolve()
    monkeypatch.delenv("MIGRATION_SIM_HOME")
    assert (project_root() / "conf" / "config.yaml").is_file()  # beside the package, in this checkout


def test_the_tidy_table_is_built_only_when_read(monkeypatch):
    """An analysis that reads only the summary never pays for the table; a reader gets the same
    table as building it directly from the run's recorder."""
    from sim.results import Recorder

    built = []
    original = Recorder.timeseries
    monkeypatch.setattr(Recorder, "timeseries", lambda self, *a, **k: built.append(1) or original(self, *a, **k))
    result = simulate(config(*DEMO, "days=30"))
    assert result.summary["arrivals"] > 0 and built == []
    first = result.timeseries
    assert built == [1] and result.timeseries is first  # built once
    cells = first.groupby(["population", "metric"], observed=True).size()  # every day and node of each
    assert len(cells) > 40 and (cells == 30 * 6).all()


def test_a_run_whose_counts_do_not_add_up_is_refused(monkeypatch):
    """The output check reads the recorder: a person appearing from nowhere, or a NaN cost,
    stops the run with OutputError before any Result exists."""
    from sim import results
    from sim.results import OutputError

    checked = results.check_result

    def with_a_stray_person(recorder, cost, summary):
        recorder.migrants[10, 0, recorder.migrant_names.index("present")] += 1
        checked(recorder, cost, summary)

    monkeypatch.setattr("sim.api.check_result", with_a_stray_person)
    with pytest.raises(OutputError, match="people not conserved: on day 10"):
        simulate(config(*DEMO, "days=30"))

    def with_a_nan_cost(recorder, cost, summary):
        cost[3, 1] = np.nan
        checked(recorder, cost, summary)

    monkeypatch.setattr("sim.api.check_result", with_a_nan_cost)
    with pytest.raises(OutputError, match="costs: 1 values are NaN or infinite"):
        simulate(config(*DEMO, "days=30"))
