"""Read run outputs from disk: one run directory or a whole sweep, into pandas.

A run directory holds `timeseries.parquet`, `config.json`, `summary.json` (written last: its
presence marks a complete run) and, when run through `python run.py`, `.hydra/overrides.yaml`.
A sweep directory holds one run directory per job, at any depth, and possibly `sweep.parquet`
(every run's time series gathered into one file by the sweep's callback).

Every frame carries the run's parameters as columns: its command-line overrides (key -> value),
plus `scenario`, `disease`, `policy` and `seed` from config.json where no override names them,
and `run` (the run directory's path inside the sweep). `frame.attrs["parameters"]` lists the
parameter columns (not `run`).
"""

import json
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import yaml

from sim.config import scenario_path
from sim.results import output_problem
from sim.scenario import load_scenario

TIDY = ("day", "node", "population", "metric", "value")
LABEL = pa.dictionary(pa.int32(), pa.string())
SCHEMA = pa.schema([("day", pa.int32()), ("node", LABEL), ("population", LABEL), ("metric", LABEL),
                    ("value", pa.float64())])
MARKERS = {"summary.json", "config.json", "timeseries.parquet", "failed.json", ".hydra"}
SWEEP_FILE = "sweep.parquet"


@dataclass
class Runs:
    """The complete runs under a directory, in natural order, with one row of parameters each."""

    root: Path
    folders: list[Path]
    parameters: pd.DataFrame  # one row per run; last column `run`

    @property
    def names(self) -> list[str]:
        return self.parameters["run"].tolist()


def find_runs(path) -> Runs:
    """The complete runs under `path` (itself a run directory, or a sweep). Incomplete runs (no
    summary.json, or outputs that are cut short or unreadable: still running, killed or failed)
    are skipped with a warning that says why."""
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: not a directory")
    complete, incomplete = [], []
    for folder, subfolders, files in os.walk(root):
        if MARKERS & (set(files) | set(subfolders)):
            problem = output_problem(folder, thorough=False, legacy=True)
            if problem is None:
                complete.append(Path(folder))
            else:
                incomplete.append((Path(folder), "failed" if "failed.json" in files else problem))
            subfolders.clear()  # a run directory holds no other runs
        else:
            subfolders[:] = [name for name in subfolders if not name.startswith(".")]
    if incomplete:
        shown = "; ".join(f"{folder.relative_to(root)} ({why})" for folder, why in incomplete[:5])
        warnings.warn(f"{root}: skipped {len(incomplete)} incomplete or failed run(s): {shown}"
                      + ("; ..." if len(incomplete) > 5 else ""), stacklevel=3)
    if not complete:
        raise FileNotFoundError(f"{root}: no complete run (a folder with summary.json) found")
    complete.sort(key=natural_key)
    names = [folder.name if folder == root else folder.relative_to(root).as_posix() for folder in complete]
    parameters = pd.DataFrame([run_parameters(folder) for folder in complete])
    parameters["run"] = names
    return Runs(root, complete, parameters)


def natural_key(path: Path) -> list:
    """Sort `seed=10` after `seed=9`."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.as_posix())]


def run_parameters(folder: Path) -> dict:
    """A run's command-line overrides, then what config.json says of its scenario, disease,
    policy and seed (for runs made through the Python API, or settings no override named)."""
    overrides = folder / ".hydra" / "overrides.yaml"
    parameters = parse_overrides(yaml.safe_load(overrides.read_text()) or []) if overrides.exists() else {}
    config = json.loads((folder / "config.json").read_text())
    identity = {"scenario": Path(config["scenario"]["file"]).stem, "disease": config["disease"]["name"],
                "policy": config["policy"]["name"], "seed": config["seed"]}
    return parameters | {key: value for key, value in identity.items() if key not in parameters}


def parse_overrides(overrides: list[str]) -> dict:
    """['policy=screen_at_borders', 'seed=3', '+sweep=x'] -> {'policy': 'screen_at_borders',
    'seed': 3, 'sweep': 'x'}; values read as YAML scalars, anything else kept as written."""
    parameters = {}
    for override in overrides:
        key, equals, text = override.lstrip("+").partition("=")
        if not equals or key.startswith(("~", "hydra.", "hydra/")):
            continue
        value = yaml.safe_load(text) if text else None
        parameters[key] = value if value is None or isinstance(value, (str, int, float, bool)) else text
    return parameters


def load(path, metrics=None) -> pd.DataFrame:
    """The tidy time series (day, node, population, metric, value) of every complete run under
    `path` (a directory, or the `Runs` of find_runs), with the parameter columns and `run`.
    `metrics`: keep only these metric names
    (filtered while reading, which matters for sweeps of thousands of runs). Reads the sweep's
    `sweep.parquet` when it holds exactly the complete runs and is newer than all of them."""
    runs = path if isinstance(path, Runs) else find_runs(path)
    gathered = runs.root / SWEEP_FILE
    if gathered.exists() and sweep_file_is_current(gathered, runs):
        table = pq.read_table(gathered, filters=[("metric", "in", list(metrics))] if metrics else None)
        frame = table.to_pandas()
        frame.attrs["parameters"] = [c for c in frame.columns if c not in TIDY and c != "run"]
        return frame
    return with_parameters(read_timeseries(runs, metrics), runs.parameters)


def sweep_file_is_current(gathered: Path, runs: Runs) -> bool:
    """sweep.parquet can stand for the run directories: it holds the same runs and none of them
    finished after it was written."""
    if "run" not in pq.read_schema(gathered).names:
        warnings.warn(f"{gathered}: no `run` column; reading the run directories instead", stacklevel=3)
        return False
    gathered_runs = set(pq.read_table(gathered, columns=["run"]).column("run").unique().to_pylist())
    newest = max((folder / "summary.json").stat().st_mtime for folder in runs.folders)
    if gathered_runs != set(runs.names) or gathered.stat().st_mtime < newest:
        warnings.warn(f"{gathered}: out of date with the run directories; reading those instead", stacklevel=3)
        return False
    return True


def read_timeseries(runs: Runs, metrics=None) -> pd.DataFrame:
    """Every run's timeseries.parquet read in one multithreaded scan; column `run` holds the
    run's position in `runs` (Arrow's `__fragment_index`: the files in the order given)."""
    files = [str(folder / "timeseries.parquet") for folder in runs.folders]
    table = ds.dataset(files, format="parquet", schema=SCHEMA).to_table(
        columns=[*TIDY, "__fragment_index"], filter=ds.field("metric").isin(list(metrics)) if metrics else None)
    table = table.rename_columns([*TIDY, "run"]).unify_dictionaries()  # one set of categories: fast to_pandas
    return table.to_pandas()


def with_parameters(frame: pd.DataFrame, parameters: pd.DataFrame) -> pd.DataFrame:
    """Add each parameter column after the tidy ones, and the run names in place of the run codes
    (text as categories, so thousands of runs stay small)."""
    codes = frame.pop("run").to_numpy()
    for column in parameters.columns:
        values = parameters[column]
        if pd.api.types.is_numeric_dtype(values):
            frame[column] = values.to_numpy()[codes]
        else:
            per_run, categories = pd.factorize(values)
            frame[column] = pd.Categorical.from_codes(per_run.astype(np.int32)[codes], categories, validate=False)
    frame.attrs["parameters"] = list(parameters.columns[:-1])
    return frame


def load_summaries(path) -> pd.DataFrame:
    """One row per complete run under `path` (a directory, or the `Runs` of find_runs): the
    parameter columns, `run`, then summary.json flattened (`costs.total`, `costs.doses`, ...;
    lists such as `days_to_care_histogram` kept as lists)."""
    runs = path if isinstance(path, Runs) else find_runs(path)
    summaries = pd.json_normalize([json.loads((folder / "summary.json").read_text()) for folder in runs.folders])
    frame = pd.concat([runs.parameters, summaries.drop(columns=[c for c in runs.parameters if c in summaries])], axis=1)
    frame.attrs["parameters"] = list(runs.parameters.columns[:-1])
    return frame


def scenario_graph(run_folder) -> nx.DiGraph:
    """The route graph a run used: the scenario file named in its config.json."""
    config = json.loads((Path(run_folder) / "config.json").read_text())
    return load_scenario(scenario_path(config["scenario"]["file"]))
