"""Mesa's own tools on the route model (sim/collector.py): the DataCollector reads what the
recorder holds, mesa.batch_run runs it, and keyword settings are checked as the command line
checks them."""

import mesa
import numpy as np
import pandas as pd
import pytest
from packaging.version import Version

from conftest import DEMO, config
from sim import ConfigError, simulate
from sim.collector import RouteRun
from sim.model import Site

MESA_3_5 = Version(mesa.__version__) >= Version("3.5")


def test_collector_gives_the_recorders_daily_totals():
    model = RouteRun(scenario="demo", disease="covid19", seed=4, days=40)
    model.run_model()
    totals = model.datacollector.get_model_vars_dataframe()
    recorder = model.recorder
    assert list(totals["day"]) == list(range(40))  # the row of day d is index d
    np.testing.assert_array_equal(totals["migrants_new_infections"], recorder.metric("migrants", "new_infections").sum(axis=1))
    np.testing.assert_array_equal(totals["hosts_infectious"], recorder.metric("hosts", "infectious").sum(axis=1))
    infectious = sum(recorder.metric("migrants", state) for state in ("presymptomatic", "asymptomatic", "symptomatic"))
    np.testing.assert_array_equal(totals["migrants_infectious"], infectious.sum(axis=1))
    assert totals["migrants_infectious"].max() > 0 and totals["migrants_present"].min() > 0
    sites = model.datacollector.get_agenttype_vars_dataframe(Site)
    last = sites.xs(40, level="Step")  # Mesa's step counter: after the 40th day
    assert list(last["node"]) == list(recorder.node_ids)
    np.testing.assert_array_equal(last["present"], recorder.metric("migrants", "present")[39])


def test_collecting_leaves_the_results_as_they_were():
    model = RouteRun(scenario="demo", disease="measles", seed=2, days=60, policy="combined")
    model.run_model()
    plain = simulate(config(*DEMO, "disease=measles", "seed=2", "days=60", "policy=combined"), compare_to_baseline=False)
    new_infections = plain.timeseries.query("population == 'migrants' and metric == 'new_infections'")
    by_day = new_infections.groupby("day")["value"].sum().to_numpy()
    np.testing.assert_array_equal(model.datacollector.get_model_vars_dataframe()["migrants_new_infections"], by_day)


def test_batch_run_runs_the_model_and_pairs_seeds():
    parameters = {"scenario": "demo", "disease": "covid19", "policy": ["baseline", "combined"], "days": 45}
    if MESA_3_5:
        rows = mesa.batch_run(RouteRun, parameters, rng=[0, 1], data_collection_period=1, display_progress=False)
    else:
        rows = mesa.batch_run(RouteRun, {**parameters, "seed": [0, 1]}, data_collection_period=1, display_progress=False)
    runs = pd.DataFrame(rows).drop(columns=["AgentID", "node", "present", "infectious", "new_infections"],
                                   errors="ignore").drop_duplicates(["RunId", "Step"])
    assert len(runs.groupby(["policy", "seed"])) == 4
    for (policy, seed), run in runs.groupby(["policy", "seed"]):
        summary = simulate(config(*DEMO, "disease=covid19", f"policy={policy}", f"seed={seed}", "days=45"),
                           compare_to_baseline=False).summary
        assert run["migrants_new_infections"].sum() == summary["infections_migrants"]
        assert run["hosts_new_infections"].sum() == summary["infections_hosts"]
    assert runs.groupby("seed")["migrants_new_infections"].sum().nunique() == 2  # seeds differ


def test_mesas_plot_component_draws_the_collected_curves():
    pytest.importorskip("solara", reason="the viz extra is not installed")
    from mesa.visualization.components.altair_components import PlotAltair
    import solara

    model = RouteRun(scenario="demo", disease="covid19", seed=4, days=30)
    model.run_model()
    measures = {"migrants_new_infections": "#000000", "hosts_new_infections": "#999999"}
    box, _ = solara.render(PlotAltair(model, measures), handle_error=False)
    spec = box.children[0].spec
    values = spec["datasets"][spec["data"]["name"]]
    drawn = {(row["Measure"], row["Step"]): row["Value"] for row in values}
    assert len(drawn) == 2 * 30
    daily = model.datacollector.get_model_vars_dataframe()
    assert [drawn[("migrants_new_infections", day)] for day in range(30)] == list(daily["migrants_new_infections"])


def test_keyword_settings_are_checked_like_the_command_line(tmp_path):
    with pytest.raises(ConfigError, match=r"policy.vaccination.at_entry.uptake: 1.5 is not allowed"):
        RouteRun(scenario="demo", policy="vaccinate_at_entry", **{"policy.vaccination.at_entry.uptake": 1.5})
    with pytest.raises(ConfigError, match=r"arrivals.per_day: -3 is not allowed"):
        RouteRun(scenario="demo", flow=-3)
    with pytest.raises(ConfigError, match=r"scenario.file: 'no_such_route.yaml' is not allowed"):
        RouteRun(scenario="no_such_route.yaml")


def test_flow_sets_the_scenarios_arrivals():
    slow, fast = RouteRun(scenario="demo", days=30, flow=5), RouteRun(scenario="demo", days=30, flow=80)
    assert fast.graph.graph["arrivals"].per_day == 80 and fast.graph.graph["arrivals"].per_year is None
    slow.run_model(), fast.run_model()
    slow_arrivals, fast_arrivals = (int(m.recorder.metric("migrants", "arrivals").sum()) for m in (slow, fast))
    # Both add the same initial group; in January (seasonality 0.6) 75 more people a day arrive
    # on average, in groups of 1 + Poisson(1) (mean 2, mean square 5): the difference has mean
    # 75 x 0.6 x 30 = 1350 and a standard deviation of sqrt((80 + 5) x 0.6 x 30 / 2 x 5) = 62.
    assert abs((fast_arrivals - slow_arrivals) - 1350) < 4 * 62
