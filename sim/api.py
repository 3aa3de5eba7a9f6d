"""`simulate(cfg) -> Result`: one run from a configuration, for run.py and notebooks alike."""

import logging
import time

import networkx as nx
import numba

from sim.config import run_config, scenario_path
from sim.model import RouteModel
from sim.results import Result, summarise
from sim.scenario import load_scenario, validate_graph

log = logging.getLogger(__name__)


def simulate(cfg, scenario: nx.DiGraph | None = None, progress: bool | None = None) -> Result:
    """Run one simulation.

    `cfg`: a composed Hydra config (`sim.compose([...])`), a plain dict of the same shape, or a
    `RunConfig`. `scenario`: a route graph from `load_scenario` (possibly edited) to use instead of
    `cfg.scenario.file`. Everything is validated before the first simulated day.
    """
    config = run_config(cfg)
    graph = validate_graph(scenario) if scenario is not None else load_scenario(scenario_path(config.scenario.file))
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
    summary = summarise(model.recorder, identity, runtime)
    return Result(model.recorder.timeseries(), summary, config.model_dump(mode="json", by_alias=True))
