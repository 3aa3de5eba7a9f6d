"""Small sweeps from Python (notebooks, tests): every combination of some overrides, each run
saved where and as `python run.py -m` saves it (with `.hydra/overrides.yaml`), so analysis.load
reads both alike. Runs already complete are skipped, so a notebook can be run again cheaply.
For large sweeps use `python run.py -m`, which runs in parallel."""

import itertools
from pathlib import Path

import yaml

from analysis.batch import release_finished_models
from sim import compose
from sim.api import prepare, run_identity, simulate_prepared
from sim.config import folder_name
from sim.results import output_problem


def run_sweep(folder, grid: dict[str, list], base: list[str] | tuple[str, ...] = ()) -> Path:
    """Run every combination of `grid` (override key -> values) on top of the `base` overrides,
    one run directory each under `folder`, named by its swept overrides ('policy=baseline,seed=0').
    Each policy is paired with a baseline in the sweep itself, so no run repeats its baseline.
    A run whose folder holds outputs that verify for the same identity is not run again."""
    folder = Path(folder)
    for values in itertools.product(*grid.values()):
        swept = [f"{key}={value}" for key, value in zip(grid, values)]
        run_saved(folder / folder_name(",".join(swept)), [*base, *swept])
    return folder


def run_saved(run: Path, overrides: list[str], unrecorded: tuple[str, ...] = ()) -> Path:
    """One run into the folder `run`, saved as `python run.py -m` saves it (its overrides in
    `.hydra/overrides.yaml`, `unrecorded` ones left out: they change how, not what, it runs);
    skipped if the folder holds outputs that verify for the same identity. Models of earlier runs
    are let go (Mesa 3.3 kept them all: see analysis.batch.release_finished_models)."""
    release_finished_models()
    config, graph = prepare(compose(["progress=false", "compare_to_baseline=false", *unrecorded, *overrides]))
    if output_problem(run, run_identity(config, graph), config.model_dump(mode="json", by_alias=True)) is None:
        return run
    return save_as_sweep_run(simulate_prepared(config, graph), run, list(overrides))


def save_as_sweep_run(result, run: Path, overrides: list[str]) -> Path:
    """Save a Result in `run` with the `.hydra/overrides.yaml` a run of `python run.py -m` has."""
    (run / ".hydra").mkdir(parents=True, exist_ok=True)
    (run / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    return result.save(run)
