"""Agent-based simulation of communicable disease along migration routes.

    from sim import compose, simulate, load_scenario
    result = simulate(compose(["scenario=demo", "disease=measles", "seed=7"]))
    result.timeseries   # tidy DataFrame: day, node, population, metric, value
    result.summary      # dict of totals
    result.save("out/")
    result.plot()       # the run at a glance
    follow(RouteModel(graph, run_config(cfg)), uid=12)   # one person's journey, day by day
    (analysis.MultiRun runs several policies on several seeds in memory, to compare and plot)
"""

import os

# Numba's OpenMP threads spin while they wait; on a busy machine (a laptop doing other work, tests
# in parallel) that stalls every kernel many times over. Passive waiting costs about 5% when idle.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from sim import numba_cache  # noqa: E402

numba_cache.choose_folder()  # a cache folder numba can write, before any kernel module is compiled or loaded

from sim.api import simulate  # noqa: E402  (after the environment is set for numba's threads)
from sim.config import compose, run_config  # noqa: E402
from sim.errors import ConfigError  # noqa: E402
from sim.journey import follow  # noqa: E402
from sim.model import RouteModel, Site  # noqa: E402
from sim.results import Result  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

__all__ = ["ConfigError", "Result", "RouteModel", "Site", "compose", "follow", "load_scenario", "run_config",
           "simulate"]
