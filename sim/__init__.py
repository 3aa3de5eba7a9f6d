"""Agent-based simulation of communicable disease along migration routes.

    from sim import compose, simulate, load_scenario
    result = simulate(compose(["scenario=demo", "disease=measles", "seed=7"]))
    result.timeseries   # tidy DataFrame: day, node, population, metric, value
    result.summary      # dict of totals
    result.save("out/")
"""

from sim.api import simulate
from sim.config import compose, run_config
from sim.errors import ConfigError
from sim.model import RouteModel, Site
from sim.results import Result
from sim.scenario import load_scenario

__all__ = ["ConfigError", "Result", "RouteModel", "Site", "compose", "load_scenario", "run_config", "simulate"]
