"""Each shipped scenario against what was observed on its route (validation/targets/*.yaml).

The route targets (flows, passages, referrals, registrations, people present: `diseases: [any]`)
do not depend on the disease, so one run a scenario (COVID-19, 365 days, seed 0) checks them all:
each model quantity must lie within the tolerance written beside its observed figure, or inside
its published range. Disease plausibility targets are for the validation table (docs/VALIDATION.md),
not asserted here.
"""

from functools import cache

import numpy as np
import pytest
import yaml

from conftest import ROOT, config
from sim import load_scenario, simulate
from sim.config import SCENARIO_DIR

TARGETS = ROOT / "validation" / "targets"
SCENARIOS = sorted(p.stem for p in TARGETS.glob("*.yaml"))
STATISTICS = {"total", "mean_daily", "per_arrival", "per_host", "per_infection"}
POPULATIONS = {"migrants", "hosts"}


def targets(scenario: str) -> list[dict]:
    return yaml.safe_load((TARGETS / f"{scenario}.yaml").read_text())["targets"]


def route_targets() -> list[tuple[str, dict]]:
    return [(s, t) for s in SCENARIOS for t in targets(s) if t["diseases"] == ["any"]]


@cache
def run(scenario: str):
    return simulate(config(f"scenario={scenario}", "disease=covid19", "days=365", "seed=0",
                           "compare_to_baseline=false"))


def model_value(scenario: str, model: dict, result) -> float:
    """The run's quantity a target is compared with (see the comment at the top of each targets file)."""
    if "summary" in model:
        value = result.summary
        for key in model["summary"].split("."):
            value = value[key]
        return float(value)
    series = result.timeseries
    nodes = model.get("nodes")
    here = series[(series.population == model["population"]) & (series.metric == model["metric"])]
    if nodes is not None:
        here = here[here.node.isin(nodes)]
    total = float(here.value.sum())
    statistic = model["statistic"]
    if statistic == "total":
        return total
    if statistic == "mean_daily":
        return float(here.groupby("day", observed=True).value.sum().reindex(range(result.summary["days"]), fill_value=0).mean())
    if statistic == "per_arrival":
        return total / result.summary["arrivals"]
    if statistic == "per_host":
        graph = load_scenario(SCENARIO_DIR / f"{scenario}.yaml")
        return total / sum(graph.nodes[n]["host_population"] for n in (nodes or graph.nodes))
    infections = series[(series.population == model["population"]) & (series.metric == "new_infections")]
    if nodes is not None:
        infections = infections[infections.node.isin(nodes)]
    infected = float(infections.value.sum())  # per_infection: not defined without infections
    return total / infected if infected > 0 else float("nan")


def agrees(target: dict, value: float) -> bool:
    if "range" in target:
        low, high = target["range"]
        return low <= value <= high
    return abs(value - target["observed"]) <= target["tolerance"]["relative"] * target["observed"]


def test_every_real_scenario_has_targets():
    """Every shipped scenario but the made-up demo is compared with what was observed."""
    assert set(SCENARIOS) == {p.stem for p in SCENARIO_DIR.glob("*.yaml")} - {"demo"}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_targets_are_well_formed(scenario):
    """Every target has one observed figure with a tolerance and its reason, or a range; a source;
    the diseases it applies to; and a model quantity that names real nodes and metrics."""
    data = yaml.safe_load((TARGETS / f"{scenario}.yaml").read_text())
    assert data["scenario"] == scenario
    graph = load_scenario(SCENARIO_DIR / f"{scenario}.yaml")
    names = [t["name"] for t in data["targets"]]
    assert len(names) == len(set(names))
    for target in data["targets"]:
        assert ("observed" in target) != ("range" in target), target["name"]
        if "observed" in target:
            assert target["tolerance"]["relative"] > 0 and target["tolerance"]["why"], target["name"]
        else:
            assert target["range"][0] <= target["range"][1], target["name"]
        assert target["source"] and target["description"] and isinstance(target["calibration"], bool), target["name"]
        assert target["diseases"], target["name"]
        model = target["model"]
        if "summary" not in model:
            assert model["population"] in POPULATIONS and model["statistic"] in STATISTICS, target["name"]
            assert set(model.get("nodes", [])) <= set(graph.nodes), target["name"]


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "target"), route_targets(), ids=lambda t: t if isinstance(t, str) else t["name"])
def test_route_matches_what_was_observed(scenario, target):
    result = run(scenario)
    model = target["model"]
    if "metric" in model:
        assert model["metric"] in set(result.timeseries[result.timeseries.population == model["population"]].metric.unique())
    value = model_value(scenario, model, result)
    assert np.isfinite(value)
    assert agrees(target, value), (f"{scenario}/{target['name']}: model {value:,.1f} against "
                                   f"{target.get('observed', target.get('range'))} ({target['source']})")
