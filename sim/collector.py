"""Mesa's own tools on the route model: a `DataCollector` over the recorder, and a model made from
keyword settings, so that Mesa's plotting components, `mesa.batch_run` and SolaraViz's Reset work.

RouteModel keeps its daily counts in `model.recorder` ([day, node] arrays); Mesa's tools read
`model.datacollector`. `CollectingRouteModel` adds one from outside RouteModel: after each day
it collects the day's totals over all sites (the row of day d is index d), and, for each Site
agent, the people present, infectious and newly infected there.

    from sim.collector import RouteRun
    model = RouteRun(scenario="demo", disease="covid19", seed=3, days=60, **{"disease.r0": 3.0})
    model.run_model(); model.datacollector.get_model_vars_dataframe()
    mesa.batch_run(RouteRun, {"scenario": "demo", "policy": ["baseline", "combined"], "days": 60},
                   rng=range(5))   # Mesa 3.5; on 3.3 put "seed": range(5) into the parameters

Keyword settings are the command line's: `scenario` (a shipped name or a scenario file), `disease`,
`policy`, `seed`, `days` and any dotted override (`policy.vaccination.at_entry.uptake`), plus
`flow`: people arriving a day, in place of the scenario file's rate. All are validated as the
command line validates them (sim.compose, sim.run_config; the scenario's own checks for `flow`):
bad values raise `ConfigError` before the first day.
"""

import threading
from functools import lru_cache
from pathlib import Path

import mesa
import networkx as nx
import numpy as np

from sim.config import CONFIG_DIR, compose, run_config, scenario_path
from sim.disease import natural_history
from sim.errors import ConfigError, Problem
from sim.model import RouteModel, Site
from sim.scenario import checked_graph, graph_data, load_scenario
from sim.runconfig import RunConfig


def infectious_states(config: RunConfig) -> tuple[str, ...]:
    """The disease's states in which a migrant is infectious (recorded per node as stocks)."""
    history = natural_history(config.disease)
    return tuple(name for name, weight in zip(history.names, history.infectiousness) if weight > 0)


def yesterday(model: RouteModel, population: str, name: str) -> np.ndarray:
    """One metric per node on the day just simulated (zeros before the first day)."""
    series = model.recorder.metric(population, name)
    return series[model.day - 1] if model.day > 0 else np.zeros(series.shape[1], dtype=series.dtype)


class SharedDataCollector(mesa.DataCollector):
    """A DataCollector that can be read while the model steps in another thread (SolaraViz
    plays a model in a thread of its own and draws it from others): collecting and reading take
    the model's lock, so a reader never sees a day half collected."""

    def __init__(self, lock: threading.RLock, **reporters):
        super().__init__(**reporters)
        self.lock = lock

    def collect(self, model) -> None:
        with self.lock:
            super().collect(model)

    def get_model_vars_dataframe(self):
        with self.lock:
            return super().get_model_vars_dataframe()

    def get_agenttype_vars_dataframe(self, agent_type):
        with self.lock:
            return super().get_agenttype_vars_dataframe(agent_type)


def route_collector(infectious: tuple[str, ...], lock: threading.RLock) -> SharedDataCollector:
    """A DataCollector of the day's totals (model reporters) and of each site (Site reporters);
    `infectious`: the disease states counted as infectious."""

    def total(population: str, *names: str):
        return lambda model: int(sum(yesterday(model, population, name).sum() for name in names))

    def at_site(population: str, *names: str):
        return lambda site: int(sum(yesterday(site.model, population, name)[site.index] for name in names))

    deaths = total("migrants", "new_deaths"), total("hosts", "new_deaths")
    return SharedDataCollector(
        lock,
        model_reporters={
            "day": lambda model: model.day - 1,
            "migrants_present": total("migrants", "present"),
            "migrants_infectious": total("migrants", *infectious),
            "migrants_new_infections": total("migrants", "new_infections"),
            "hosts_infectious": total("hosts", "infectious"),
            "hosts_new_infections": total("hosts", "new_infections"),
            "deaths": lambda model: sum(count(model) for count in deaths),
            "isolated": total("migrants", "isolated"),
            "consultations": total("migrants", "consultations"),
            "doses": total("migrants", "doses"),
        },
        agenttype_reporters={Site: {
            "node": "node_id",
            "present": at_site("migrants", "present"),
            "infectious": at_site("migrants", *infectious),
            "new_infections": at_site("migrants", "new_infections"),
        }},
    )


class CollectingRouteModel(RouteModel):
    """RouteModel with Mesa's `datacollector`, collected after each day. A step after the last
    day does nothing (Mesa's controls may ask for one: they step a batch of days at a time).
    `lock` is held for a whole day: hold it to read the model while another thread steps it."""

    def __init__(self, graph: nx.DiGraph, config: RunConfig):
        super().__init__(graph, config)
        self.run_days = config.days
        self.infectious_states = infectious_states(config)
        self.lock = threading.RLock()
        self.datacollector = route_collector(self.infectious_states, self.lock)

    def step(self) -> None:
        with self.lock:
            if not self.running:
                return
            super().step()
            self.datacollector.collect(self)


class RouteRun(CollectingRouteModel):
    """A collecting RouteModel made from keyword settings, as `mesa.batch_run` and SolaraViz
    make models. `seed=None` (what batch_run passes when no rng is given) keeps the config's seed."""

    def __init__(self, scenario: str | None = None, disease: str | None = None, policy: str | None = None,
                 seed: int | None = None, days: int | None = None, flow: float | str | None = None, **overrides):
        settings = {"scenario": scenario, "disease": disease, "policy": policy, "seed": seed, "days": days}
        graph, config = route_setup(command_line(settings, overrides), flow)
        self.settings = {**{key: value for key, value in settings.items() if value is not None},
                         **({"flow": flow} if flow is not None else {}), **overrides}
        super().__init__(graph, config)


def command_line(settings: dict, overrides: dict) -> list[str]:
    """Keyword settings as command-line overrides; a scenario that is not a shipped group choice
    (conf/scenario/) is taken as a scenario file."""
    arguments = []
    for key, value in {**settings, **overrides}.items():
        if value is None:
            continue
        if key == "scenario" and not (CONFIG_DIR / "scenario" / f"{value}.yaml").is_file():
            key = "scenario.file"
        arguments.append(f"{key}={value}")
    return arguments


def route_setup(overrides: list[str], flow: float | str | None = None) -> tuple[nx.DiGraph, RunConfig]:
    """The route graph and validated run configuration of command-line overrides, with the
    scenario's arrivals set to `flow` people a day if given. Raises ConfigError."""
    config = run_config(compose(["progress=false", *overrides]))
    return route_graph(config, flow), config


def route_graph(config: RunConfig, flow: float | str | None = None) -> nx.DiGraph:
    """The route graph of a run configuration, with its arrivals at `flow` people a day if given."""
    path = scenario_path(config.scenario.file)
    graph = shipped_graph(path, path.stat().st_mtime_ns)
    return graph if flow is None else with_flow(graph, flow)


@lru_cache(maxsize=16)
def shipped_graph(path: Path, modified: int) -> nx.DiGraph:
    """A scenario file's graph, read once per version of the file (models do not change it)."""
    return load_scenario(path)


def with_flow(graph: nx.DiGraph, people_per_day) -> nx.DiGraph:
    """The route with its arrivals at `people_per_day` (a flat flow: a dated series is dropped),
    validated as a scenario file is."""
    data = graph_data(graph)
    source = f"{graph.graph['file']} with arrivals.per_day={people_per_day} (flow)"
    if data["arrivals"] is None:
        raise ConfigError(source, [Problem("arrivals", None, "this scenario has no arrivals to change")])
    data["arrivals"].update(per_day=people_per_day, per_year=None, registrations_per_year=None, series=None)
    return checked_graph(data, source)
