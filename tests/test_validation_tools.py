"""The tools that put observed figures next to the model: ranged assumptions found and moved
(sim.uncertainty), targets read and evaluated (analysis.validation)."""

import numpy as np
import pandas as pd
import pytest
import yaml
from omegaconf import OmegaConf

from conftest import DEMO, config
from sim import ConfigError, load_scenario, simulate
from sim.config import SCENARIO_DIR
from sim.uncertainty import uncertain, with_value
from analysis import validation


def plain_config(*overrides):
    data = OmegaConf.to_container(config(*overrides), resolve=True)
    data.pop("hydra", None)
    return data


def test_ranged_numbers_are_found_with_their_labels_and_moved_in_a_copy():
    data = plain_config(*DEMO)
    found = {p.label: p for p in uncertain(data, "config")}
    share = found["transmission.unit_contact_share"]
    assert (share.value, share.low, share.high) == (0.25, 0.18, 0.40) and "POLYMOD" in share.source
    moved = with_value(data, share, 0.4)
    assert moved["transmission"]["unit_contact_share"]["value"] == 0.4
    assert data["transmission"]["unit_contact_share"]["value"] == 0.25, "the original is left alone"
    simulate(moved | {"days": 5}, compare_to_baseline=False)  # a moved configuration still validates


def test_whole_numbers_stay_whole_and_scenario_labels_name_the_node():
    data = yaml.safe_load((SCENARIO_DIR / "demo.yaml").read_text())
    data["nodes"][1]["capacity"] = {"value": 300, "range": [100, 500], "source": "test"}
    parameter = next(p for p in uncertain(data, "scenario") if p.path[-1] == "capacity")
    assert parameter.label == "nodes[transit_camp].capacity" and parameter.whole
    assert with_value(data, parameter, 123.6)["nodes"][1]["capacity"]["value"] == 124


def write_targets(tmp_path, targets: list) -> validation.Targets:
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump({"scenario": "demo", "targets": targets}, sort_keys=False))
    return validation.load_targets(path)


TARGET = {"name": "camp_entries", "description": "people reaching the camp", "source": "test",
          "model": {"metric": "entries", "nodes": ["transit_camp"], "statistic": "total"}}


@pytest.mark.parametrize("change, fragments", [
    ({"observed": 100}, ["tolerance"]),
    ({"observed": 100, "range": [1, 2], "tolerance": {"relative": 0.1, "why": "x"}}, ["either observed", "range"]),
    ({"range": [5, 1]}, ["low above high"]),
    ({"range": [1, 5], "model": {"metric": "entries", "nodes": ["nowhere"]}}, ["targets[0].model.nodes", "'nowhere'"]),
    ({"range": [1, 5], "model": {"metric": "entries", "summary": "arrivals"}}, ["either metric", "summary"]),
])
def test_bad_targets_are_refused_with_file_key_and_value(tmp_path, change, fragments):
    with pytest.raises(ConfigError) as caught:
        write_targets(tmp_path, [TARGET | change])
    message = str(caught.value)
    assert "demo.yaml" in message and all(fragment in message for fragment in fragments), message


def test_model_values_read_the_run():
    result = simulate(config(*DEMO, "days=60", "disease=covid19"), compare_to_baseline=False)
    graph = load_scenario(SCENARIO_DIR / "demo.yaml")
    series = result.timeseries
    entries = series[(series.metric == "entries") & (series.node == "transit_camp")].value.sum()
    quantity = lambda **q: validation.model_value(validation.Quantity(**q), result, graph)
    assert quantity(metric="entries", nodes=["transit_camp"]) == entries > 0
    assert quantity(metric="entries", nodes=["transit_camp"], statistic="mean_daily") == pytest.approx(entries / 60)
    assert quantity(metric="entries", nodes=["transit_camp"], statistic="per_arrival") == pytest.approx(
        entries / result.summary["arrivals"])
    infections = series[(series.population == "hosts") & (series.metric == "new_infections")].value.sum()
    hosts = sum(graph.nodes[n]["host_population"] for n in graph.nodes)
    assert quantity(metric="new_infections", population="hosts", statistic="per_host") == pytest.approx(infections / hosts)
    assert quantity(summary="costs.total") == result.summary["costs"]["total"]


def test_a_target_is_inside_when_the_median_is_within_its_bounds(tmp_path):
    targets = write_targets(tmp_path, [TARGET | {"name": "wide", "range": [1, 1e9]},
                                       TARGET | {"name": "impossible", "range": [1e9, 2e9]},
                                       TARGET | {"name": "observed", "observed": 1e9,
                                                 "tolerance": {"relative": 0.5, "why": "test"}}])
    table = validation.evaluate(targets, seeds=2, days=30).set_index("target")
    assert bool(table.loc["wide", "inside"]) and not table.loc["impossible", "inside"]
    assert (table.loc["observed", "low"], table.loc["observed", "high"]) == (5e8, 1.5e9)
    assert table.loc["wide", "lower_95"] <= table.loc["wide", "median"] <= table.loc["wide", "upper_95"]


def test_one_at_a_time_moves_each_assumption_to_both_ends():
    table = validation.one_at_a_time("demo", "covid19", seeds=1, days=40,
                                     wanted=["transmission.unit_contact_share", "transmission.host_pool_share"])
    assert len(table) == 2 and (table[["infections_at_low", "infections_at_high", "reference"]] >= 0).all().all()
    assert np.isfinite(table["swing"]).all()


def test_runs_in_worker_processes_give_the_same_table():
    targets = validation.all_targets()[0]
    alone = validation.evaluate(targets, seeds=2, days=20, jobs=1)
    shared = validation.evaluate(targets, seeds=2, days=20, jobs=2)
    pd.testing.assert_frame_equal(alone, shared)
