"""`simulate(cfg) -> Result`: one run from a configuration, for run.py and notebooks alike.

Before the first day: the configuration and the scenario are validated (`prepare`), the memory and
the person numbers the run implies are checked against the machine and the arrays
(`check_resources`), and the run's identity is fixed (`run_identity`): its resolved configuration,
the SHA-256 of every input file read, and the package version. After the last day the outputs are
checked finite and people conserved (`sim.results.check_result`) before the Result exists; its
tidy table is built when first read.
"""

import hashlib
import json
import logging
import os
import time
from functools import partial
from pathlib import Path

import networkx as nx
import numba
import pandas as pd

from sim import numba_cache
from sim.config import run_config, scenario_path
from sim.disease import natural_history
from sim.errors import ConfigError, Problem
from sim.fields import MAX_COUNT
from sim.hosts import HOST_METRICS
from sim.model import ROWS_FOR_DAYS_OF_ARRIVALS, RouteModel
from sim.flows import people_per_year, registrations_per_person
from sim.population import CORE_COLUMNS, Population
from sim.results import PACKAGE, Result, check_result, package_version, summarise
from sim.runconfig import RunConfig
from sim.scenario import graph_data, load_scenario, validate_graph
from sim.tally import metric_names

BYTES_PER_RECORD = 64  # per day, node and metric: the daily arrays, the tidy table and its copies while built

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
    config, graph = prepare(cfg, scenario)
    return simulate_prepared(config, graph, progress, compare_to_baseline)


def prepare(cfg, scenario: nx.DiGraph | None = None) -> tuple[RunConfig, nx.DiGraph]:
    """The validated configuration and route graph of a run, its resources checked, and numba's
    cache cleared of entries cut short (which would otherwise fail every run until deleted)."""
    numba_cache.remove_corrupt_entries()
    config = run_config(cfg)
    graph = validate_graph(scenario) if scenario is not None else load_scenario(scenario_path(config.scenario.file))
    check_resources(config, graph)
    return config, graph


def simulate_prepared(config: RunConfig, graph: nx.DiGraph, progress: bool | None = None,
                      compare_to_baseline: bool | None = None) -> Result:
    """`simulate` on what `prepare` returned."""
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
        **({"resumed_from": config.resume_from} if config.resume_from is not None else {}),
    }
    summary = summarise(model.recorder, identity, runtime, {**model.programmes.summary(), **model.route_summary()})
    places = pd.DataFrame.from_dict(dict(graph.nodes(data=True)), orient="index")[["kind", "country"]]
    cost = model.programmes.cost_by_day_and_node()
    check_result(model.recorder, cost, summary)
    tables = partial(model.recorder.timeseries, config.policy.surveillance.reporting_delay_days, cost,
                     places=places, start_date=graph.graph["start_date"])
    return Result(tables, summary, config.model_dump(mode="json", by_alias=True), run_identity(config, graph))


def sha256_of(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def run_identity(config: RunConfig, graph: nx.DiGraph) -> dict:
    """What makes a run what it is: the resolved configuration, every input file read (path and
    SHA-256; recorded on the graph by the loader) or, for a graph edited in Python, the hash of its
    content, and the package version. Two runs with equal identities give identical outputs."""
    identity = {"config_sha256": sha256_of(config.model_dump(mode="json", by_alias=True)),
                "inputs": [{"path": file.path, "sha256": file.sha256} for file in graph.graph.get("inputs", [])],
                "package": {"name": PACKAGE, "version": package_version()}}
    if not graph.graph.get("from_file", bool(identity["inputs"])):
        identity["graph_sha256"] = sha256_of(graph_data(graph))
    if config.resume_from is not None:  # the saved state is an input too: its manifest holds its arrays' hash
        manifest = Path(config.resume_from) / "manifest.json"
        identity["resumed_from"] = {"path": str(config.resume_from), "sha256": hashlib.sha256(manifest.read_bytes()).hexdigest()}
    return identity


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux's MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return None


def check_resources(config: RunConfig, graph: nx.DiGraph) -> None:
    """Refuse, before allocating anything, a run whose people cannot be numbered (person and group
    uids are int32) or whose arrays at the start would not fit in this machine's memory: the
    people for the first days of arrivals and the daily records of every node and metric."""
    arrivals, initial = graph.graph["arrivals"], sum(group.people for group in graph.graph["initial"])
    per_day = people_per_year(graph) / 365.0 if arrivals is not None else 0.0
    busiest = per_day * arrivals.peak_factor if arrivals is not None else 0.0
    series = graph.graph.get("series")
    if series is not None:  # a dated series' busiest day, in people
        per_person = registrations_per_person(graph) if series.counts == "registrations" else 1.0
        if per_person > 0:  # else the model refuses the series (sim.arrivals)
            busiest = max(busiest, float(series.daily.sum(axis=(0, 1)).max()) / per_person + per_day * arrivals.peak_factor)
    source = graph.graph["file"]
    ever = initial + busiest * config.days
    if ever > MAX_COUNT * 0.99:
        raise ConfigError(source, [Problem("arrivals", f"{ever:,.0f} people over {config.days} days",
                                           f"at most {MAX_COUNT * 0.99:,.0f} people in a run (they are numbered in "
                                           "int32): fewer people a day, or fewer days")])
    rows = (initial + per_day * min(config.days, ROWS_FOR_DAYS_OF_ARRIVALS)) * 1.1 + 1000
    metrics = len(metric_names(natural_history(config.disease).names, config.policy.metric_names())) + len(HOST_METRICS) + 2
    people = Population(0, CORE_COLUMNS + config.policy.columns())
    needed = rows * people.bytes_per_person() + config.days * graph.number_of_nodes() * metrics * BYTES_PER_RECORD
    available = available_memory()
    if available is not None and needed > available:
        raise ConfigError(source, [Problem("arrivals, initial and days", f"about {needed / 2**30:,.1f} GiB",
                                           f"what this machine has available ({available / 2**30:,.1f} GiB): "
                                           f"{rows:,.0f} people at the start, {config.days:,} days x "
                                           f"{graph.number_of_nodes():,} nodes of daily records")])
