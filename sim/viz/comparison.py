"""The page's policy comparison: the chosen bundles and baseline over N paired seeds, run in a
worker process (the page stays responsive), saved where and as `python run.py -m` saves runs,
then read back and reported by the analysis package (analysis.compare, analysis.write_report).

Each arm's run for seed s shares its random numbers with baseline's run for seed s (sim/rng.py),
so infections averted are differences within a pair. A route whose flow was changed in the page
is written beside the runs (`scenario.yaml`) and named by path, so every run, and the report,
reads the same route.
"""

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
import yaml

import analysis
from sim.scenario import graph_data
from sim.viz.choices import Setup, quoted


@dataclass(frozen=True)
class Run:
    folder: Path          # the arm's folder; the run itself is `folder / f"seed={seed}"`
    seed: int
    overrides: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """Every run of a comparison, seed by seed (so runs done early are already paired)."""

    root: Path
    runs: tuple[Run, ...]


def plan(setup: Setup, seeds: int, root: Path) -> Plan:
    """The runs comparing the setup's arms over `seeds` seeds from the chosen seed on."""
    overrides = {arm: list(arm_overrides) for arm, arm_overrides in setup.arms.items()}
    if setup.choices.flow:
        root.mkdir(parents=True, exist_ok=True)
        route = root / "scenario.yaml"
        route.write_text(yaml.safe_dump(graph_data(setup.graph), sort_keys=False), encoding="utf-8")
        overrides = {arm: [*(x for x in o if not x.startswith("scenario.file=")), f"scenario.file={quoted(str(route))}"]
                     for arm, o in overrides.items()}
    first = setup.config.seed
    runs = tuple(Run(root / arm, seed, tuple(o for o in arm_overrides if not o.startswith("seed=")))
                 for seed in range(first, first + seeds) for arm, arm_overrides in overrides.items())
    return Plan(root, runs)


def run_one(run: Run) -> Path:
    """One run, in a worker: analysis.run_sweep saves it as `python run.py -m` would."""
    analysis.run_sweep(run.folder, {"seed": [run.seed]}, base=[*run.overrides, "threads=1"])
    return run.folder / f"seed={run.seed}"


@dataclass
class Comparison:
    """A comparison under way or done: how far it is, and what it gave."""

    plan: Plan
    done: int = 0
    error: str | None = None
    table: pd.DataFrame | None = None
    report: list[Path] = field(default_factory=list)
    cancelled: threading.Event = field(default_factory=threading.Event)

    @property
    def total(self) -> int:
        return len(self.plan.runs)

    @property
    def finished(self) -> bool:
        return self.error is not None or bool(self.report) or self.cancelled.is_set()


def run_comparison(comparison: Comparison, on_progress=lambda comparison: None) -> Comparison:
    """Run the plan in one worker process, calling `on_progress` after each run; then the
    decision table (analysis.comparison_table of analysis.compare) and the report's files."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no state shared with the page's model
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            futures = [pool.submit(run_one, run) for run in comparison.plan.runs]
            for future in as_completed(futures):
                if comparison.cancelled.is_set():
                    pool.shutdown(wait=True, cancel_futures=True)
                    return comparison
                future.result()
                comparison.done += 1
                on_progress(comparison)
        summaries = analysis.load_summaries(comparison.plan.root)
        comparison.table = analysis.comparison_table(analysis.compare(summaries))
        comparison.report = analysis.write_report(comparison.plan.root, comparison.plan.root / "report")
    except Exception as error:  # shown in the page: a failed comparison must not take the page down
        comparison.error = f"{type(error).__name__}: {error}"
    on_progress(comparison)
    return comparison


def comparison_folder(base: Path, setup: Setup) -> Path:
    """A new folder for a comparison: <base>/<scenario>/<disease>/<time>."""
    return Path(base) / setup.graph.graph["name"] / setup.config.disease.name / f"{datetime.now():%Y-%m-%d_%H-%M-%S}"
