"""Throughput of the uncertainty analyses (issue 14), through the code `python -m analysis
sensitivity` runs: Western Balkans, measles, 365 days, baseline against vaccinate_at_entry, one
worker process per core (kernels compiled once before they start; each keeps only a run's summary
totals and writes no per-run files).

- Morris screening of 10 ranged numbers, r = 20 trajectories: 220 points x 2 policies = 440 runs
  (target: under 10 minutes on 2 cores).
- Sobol indices of 6 ranged numbers, 256 base samples with second-order indices: 256 x (2 x 6 + 2)
  = 3,584 points x 2 policies = 7,168 runs (target: under 60 minutes for 3,584 runs).

With `fraction` below 1, two parts of the points are timed, each every n-th point (n = 1 /
fraction, the analysis's own --chunk): the first includes the start (composition, SALib's
sample, validation of every point, warm-up, workers starting), the second reuses the workers;
the projected total is the first plus n - 1 times the second.
"""

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from analysis import sensitivity

POLICIES = ("baseline", "vaccinate_at_entry")
TEN = ("transmission.unit_contact_share", "transmission.host_pool_share", "transmission.unit_size.border",
       "transmission.unit_size.transit_centre", "transmission.unit_size.reception_centre",
       "transmission.unit_size.informal_site", "transmission.host_contact_share.border",
       "transmission.host_contact_share.transit_centre", "transmission.host_contact_share.reception_centre",
       "transmission.host_contact_share.informal_site")
DESIGNS = {
    "morris": (sensitivity.Design("morris", "western_balkans", "measles", POLICIES, TEN, samples=20), 10 * 60),
    "sobol": (sensitivity.Design("sobol", "western_balkans", "measles", POLICIES, TEN[:6], samples=256,
                                 second_order=True), 60 * 60),
}


def timed_part(design: sensitivity.Design, folder: Path, jobs: int, part: tuple[int, int]) -> tuple[float, int]:
    before = len(sensitivity_rows(design, folder))
    started = time.perf_counter()
    sensitivity.run(design, folder, jobs=jobs, chunk=part, progress=False)
    return time.perf_counter() - started, len(sensitivity_rows(design, folder)) - before


def sensitivity_rows(design: sensitivity.Design, folder: Path) -> list:
    runs = folder / "runs"
    return [line for path in runs.glob("*.jsonl") for line in path.read_text().splitlines()] if runs.exists() else []


def measure(name: str, jobs: int, fraction: float, days: int) -> dict:
    design, target = DESIGNS[name]
    design = replace(design, days=days)
    parts = max(round(1 / fraction), 1)
    with tempfile.TemporaryDirectory(prefix=f"benchmark-{name}-") as folder:
        first, first_runs = timed_part(design, Path(folder), jobs, (0, parts))
        second, second_runs = timed_part(design, Path(folder), jobs, (1, parts)) if parts > 1 else (0.0, 0)
        points = len(sensitivity.prepare(design).points)
    runs = points * len(design.policies) * design.seeds
    projected = first + (parts - 1) * second
    return {"analysis": name, "parameters": len(design.parameters), "samples": design.samples, "points": points,
            "runs": runs, "days": design.days, "jobs": jobs, "parts": parts, "first_part_runs": first_runs,
            "first_part_seconds": first, "second_part_runs": second_runs, "second_part_seconds": second,
            "seconds_per_run": (second / second_runs if second_runs else first / first_runs),
            "projected_seconds": projected, "target_seconds": target,
            "projected_seconds_for_3584_runs": projected * 3584 / runs if name == "sobol" else None}
