"""Where a simulated day goes: wall time per stage of `RouteModel.step`, for `run.py --profile`.

The stages are timed by wrapping, for one model only, the functions `step` calls: the numba
kernels it calls through the `sim.kernels` module, and the methods of the model's parts (arrivals,
programmes, host communities, recorder). Nothing in sim/ is changed; the wrappers are removed
afterwards. What the wrappers do not cover (Python glue in `step`: keys, open edges, tallies,
prevalence arithmetic) is reported as `other`.
"""

import time
from collections import defaultdict

from sim import kernels

import workload

KERNELS = ("move", "progress", "infect")  # called from Python as kernels.<name>
METHODS = (("arrivals", "admit"), ("programmes", "run"), ("hosts", "step"), ("recorder", "record"))


def timed(function, label: str, totals: dict):
    """`function`, adding its wall time to `totals[label]` on every call."""
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[label] += time.perf_counter() - started
    return wrapper


def remaining_days_seconds(model) -> float:
    """Wall seconds of the model's days from now to its last."""
    started = time.perf_counter()
    while model.running:
        model.step()
    return time.perf_counter() - started


def wrap_stages(model, totals: dict) -> dict:
    """Wrap the kernels (module-wide) and the model's stage methods (this model only); return the
    original kernels, to be put back. Names that sim/ no longer has are skipped."""
    originals = {name: getattr(kernels, name) for name in KERNELS if hasattr(kernels, name)}
    for name, function in originals.items():
        setattr(kernels, name, timed(function, f"kernel {name}", totals))
    for owner, name in METHODS:
        part = getattr(model, owner, None)
        if part is not None and hasattr(part, name):
            setattr(part, name, timed(getattr(part, name), f"{owner}.{name}", totals))
    return originals


def profile_stages(people: int, nodes: int, days: int, seed: int) -> dict:
    """Seconds per stage over days 1 .. days-1 of W(people, nodes, days) (day 0, the set-up day,
    runs before the wrappers go in)."""
    workload.run(workload.WARM_UP["people"], nodes, workload.WARM_UP["days"], seed)  # compile before wrapping
    model = workload.build(people, nodes, workload.workload_config(days, seed), seed)
    model.step()
    totals = defaultdict(float)
    originals = wrap_stages(model, totals)
    try:
        step_seconds = remaining_days_seconds(model)
    finally:
        for name, function in originals.items():
            setattr(kernels, name, function)
    stages = dict(sorted(totals.items(), key=lambda item: -item[1]))
    stages["other"] = step_seconds - sum(totals.values())
    return {"people": people, "nodes": nodes, "days": days - 1, "step_seconds": step_seconds, "stages": stages}
