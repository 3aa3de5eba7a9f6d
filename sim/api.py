"""`simulate(cfg) -> Result`: one run from a configuration, for run.py and notebooks alike."""

import logging
import time

import networkx as nx
import numba

from sim.config import run_config, scenario_path
from sim.model import RouteModel
from sim.results import Result, summarise
from sim.runconfig import RunConfig
from sim.scenario import load_scenario, validate_graph

log = logging.getLogger(__name__)


def simulate(cfg, scenario: nx.DiGraph | None = None, progress: bool | None = None,
             compare_to_baseline: bool | None = None) -> Result:
    """Run one simulation.

    `cfg`: a composed Hydra config (`sim.compose([...])`), a plain dict of the same shape, or a
    `RunConfig`. `scenario`: a route graph from `load_scenario` (possibly edited) to use instead of
    `cfg.scenario.file`. Everything is validated before the first simulated day. With a policy
    other than baseline and `compare_to_baseline` (default: the config's), the same seed is also
    run without interventions, and the summary gives infections, hospitalisations and DALYs
    averted, and the cost per infection and per DALY averted.
    """
    config = run_config(cfg)
    graph = validate_graph(scenario) if scenario is not None else load_scenario(scenario_path(config.scenario.file))
    result = run_once(config, graph, progress)
    if compare_to_baseline is None:
        compare_to_baseline = config.compare_to_baseline
    if compare_to_baseline and config.policy.name != "baseline":
        baseline = run_once(config.model_copy(update={"policy": config.policy.baseline()}), graph, progress=False)
        result.summary.update(against_baseline(result.summary, baseline.summary))
    return result


def against_baseline(summary: dict, baseline: dict) -> dict:
    """Infections, hospitalisations and DALYs averted on the same seed, and what each cost."""
    infections = summary["infections_migrants"] + summary["infections_hosts"]
    baseline_infections = baseline["infections_migrants"] + baseline["infections_hosts"]
    averted = baseline_infections - infections
    extra_cost = summary["costs"]["total"] - baseline["costs"]["total"]
    compared = {
        "baseline_infections": baseline_infections,
        "infections_averted": averted,
        "deaths_averted": baseline["deaths_migrants"] + baseline["deaths_hosts"] - summary["deaths_migrants"] - summary["deaths_hosts"],
        "incremental_cost": extra_cost,
        "cost_per_infection_averted": extra_cost / averted if averted > 0 else None,
        "baseline_dalys": baseline["dalys"],
        "dalys_averted": None,
        "hospitalisations_averted": None,
        "cost_per_daly_averted": None,
    }
    if summary["dalys"] is not None and baseline["dalys"] is not None:
        dalys_averted = baseline["dalys"] - summary["dalys"]
        compared.update(dalys_averted=dalys_averted,
                        hospitalisations_averted=baseline["hospitalisations"] - summary["hospitalisations"],
                        cost_per_daly_averted=extra_cost / dalys_averted if dalys_averted > 0 else None)
    return compared


def run_once(config: RunConfig, graph: nx.DiGraph, progress: bool | None) -> Result:
    threads_before = numba.get_num_threads()
    if config.threads is not None:
        numba.set_num_threads(min(config.threads, numba.config.NUMBA_NUM_THREADS))
    try:
        started = time.perf_counter()
        model = RouteModel(graph, config)
        model.run(progress=config.progress if progress is None else progress)
        runtime = time.perf_counter() - started
    finally:
        numba.set_num_threads(threads_before)
    identity = {
        "scenario": graph.graph["name"],
        "scenario_file": str(graph.graph["file"]),
        "disease": config.disease.name,
        "policy": config.policy.name,
        "seed": config.seed,
        "events": list(config.scenario.events),
    }
    summary = summarise(model.recorder, identity, runtime, model.programmes.summary())
    timeseries = model.recorder.timeseries(config.policy.surveillance.reporting_delay_days,
                                           model.programmes.cost_by_day_and_node())
    return Result(timeseries, summary, config.model_dump(mode="json", by_alias=True))
