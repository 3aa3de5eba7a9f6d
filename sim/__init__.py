"""Agent-based simulation of communicable disease along migration routes.

    from sim import compose, simulate, load_scenario
    result = simulate(compose(["scenario=demo", "disease=measles", "seed=7"]))
    result.timeseries   # tidy DataFrame: day, node, population, metric, value
    result.summary      # dict of totals
    result.save("out/")
"""

import os

# Numba's OpenMP threads spin while they wait; on a busy machine (a laptop doing other work, tests
# in parallel) that stalls every kernel many times over. Passive waiting costs about 5% when idle.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from sim.api import simulate  # noqa: E402  (after the environment is set for numba's threads)
from sim.config import compose, run_config  # noqa: E402
from sim.errors import ConfigError  # noqa: E402
from sim.model import RouteModel, Site  # noqa: E402
from sim.results import Result  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

__all__ = ["ConfigError", "Result", "RouteModel", "Site", "compose", "load_scenario", "run_config", "simulate"]
