"""Small sweeps from Python (notebooks, tests): every combination of some overrides, each run
saved where and as `python run.py -m` saves it (with `.hydra/overrides.yaml`), so analysis.load
reads both alike. Runs already complete are skipped, so a notebook can be run again cheaply.
For large sweeps use `python run.py -m`, which runs in parallel."""

import itertools
from pathlib import Path

import yaml

from sim import compose, run_config, simulate
from sim.results import is_complete


def run_sweep(folder, grid: dict[str, list], base: list[str] | tuple[str, ...] = ()) -> Path:
    """Run every combination of `grid` (override key -> values) on top of the `base` overrides,
    one run directory each under `folder`, named by its swept overrides ('policy=baseline,seed=0').
    Each policy is paired with a baseline in the sweep itself, so no run repeats its baseline."""
    folder = Path(folder)
    for values in itertools.product(*grid.values()):
        swept = [f"{key}={value}" for key, value in zip(grid, values)]
        run_saved(folder / ",".join(swept), [*base, *swept])
    return folder


def run_saved(run: Path, overrides: list[str], unrecorded: tuple[str, ...] = ()) -> None:
    """One run into the folder `run`, saved as `python run.py -m` saves it (its overrides in
    `.hydra/overrides.yaml`, `unrecorded` ones left out: they change how, not what, it runs);
    skipped if a complete run of the same configuration is there."""
    config = run_config(compose(["progress=false", "compare_to_baseline=false", *unrecorded, *overrides]))
    if is_complete(run, config.model_dump(mode="json", by_alias=True)):
        return
    result = simulate(config)
    (run / ".hydra").mkdir(parents=True, exist_ok=True)
    (run / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(list(overrides)))
    result.save(run)
