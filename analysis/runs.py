"""Read run outputs from disk: one run directory or a whole sweep, into pandas.

A run directory holds `timeseries.parquet`, `config.json`, `summary.json` (written last: its
presence marks a complete run) and, when run through `python run.py`, `.hydra/overrides.yaml`.
A sweep directory holds one run directory per job, at any depth, and possibly `sweep.parquet`
(every run's time series gathered into one file by the sweep's callback).

Every frame carries the run's parameters as columns: its command-line overrides (key -> value),
plus `scenario`, `disease`, `policy` and `seed` from config.json where no override names them,
the policy settings that differ between runs of one policy (`policy.vaccination.at_entry.uptake`,
however the sweep set them: an override, or an arm file of a sweep preset), and `run` (the run
directory's path inside the sweep). `frame.attrs["parameters"]` lists the parameter columns (not
`run`).
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

from analysis.tables import trim_categories
from sim.config import scenario_path
from sim.results import output_problem
from sim.scenario import load_scenario

TIDY = ("day", "node", "population", "metric", "value")
PLACES = ("date", "kind", "country")  # added from each run's scenario
LABEL = pa.dictionary(pa.int16(), pa.string())  # up to 32,767 nodes or metrics (sim.fields.MAX_NODES)
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
    scenario_files: list[str]  # the scenario file each run used (config.json scenario.file)

    @property
    def names(self) -> list[str]:
        return self.parameters["run"].tolist()


def find_runs(path) -> Runs:
    """The complete runs under `path` (itself a run directory, or a sweep). Incomplete runs (no
    summary.json, or outputs that are cut short or unreadable: still running, killed or failed, or
    only `.hydra` left by an interrupted run) are skipped with a warning that says why; of several
    runs with the same parameters (the same command run twice) the newest is kept, with a warning."""
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
    configs = [json.loads((folder / "config.json").read_text()) for folder in complete]
    parameters = pd.DataFrame([run_parameters(folder, config) for folder, config in zip(complete, configs)])
    settings = varying_policy_settings(configs)
    parameters = parameters.join(settings[[c for c in settings.columns if c not in parameters.columns]])
    keep = newest_of_repeats(root, complete, parameters)
    complete = [folder for folder, kept in zip(complete, keep) if kept]
    parameters = parameters[keep].reset_index(drop=True)
    parameters["run"] = [folder.name if folder == root else folder.relative_to(root).as_posix() for folder in complete]
    files = [config["scenario"]["file"] for config, kept in zip(configs, keep) if kept]
    return Runs(root, complete, parameters, files)


def varying_policy_settings(configs: list[dict]) -> pd.DataFrame:
    """Per run, the policy settings that differ between runs of the same policy, as columns
    `policy.<dotted key>` (missing where a run's policy has no such setting)."""
    flat = pd.json_normalize([config["policy"] for config in configs])
    flat = flat.map(lambda value: json.dumps(value) if isinstance(value, (list, dict)) else value)
    names = flat.pop("name")
    varying = [column for column in flat.columns
               if (flat[column].groupby(names).nunique(dropna=False) > 1).any()]
    return flat[varying].add_prefix("policy.")


def newest_of_repeats(root: Path, folders: list[Path], parameters: pd.DataFrame) -> np.ndarray:
    """Which runs to keep: only the newest of runs whose parameters are all the same."""
    finished = [(folder / "summary.json").stat().st_mtime for folder in folders]
    keep = ~parameters.iloc[np.argsort(finished, kind="stable")].duplicated(keep="last").sort_index()
    if not keep.all():
        dropped = [str(folders[i].relative_to(root)) for i in np.flatnonzero(~keep.to_numpy())]
        warnings.warn(f"{root}: {len(dropped)} run(s) repeat the parameters of a newer run and were left out: "
                      + ", ".join(dropped[:5]) + (", ..." if len(dropped) > 5 else ""), stacklevel=3)
    return keep.to_numpy()


def natural_key(path: Path) -> list:
    """Sort `seed=10` after `seed=9`."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.as_posix())]


def run_parameters(folder: Path, config: dict) -> dict:
    """A run's command-line overrides, then what its config says of its scenario, disease,
    policy and seed (for runs made through the Python API, or settings no override named)."""
    overrides = folder / ".hydra" / "overrides.yaml"
    return named_parameters(yaml.safe_load(overrides.read_text()) or [] if overrides.exists() else [], config)


def named_parameters(overrides: list[str], config: dict) -> dict:
    """The parameters of a run made with these overrides and this (validated) config."""
    parameters = parse_overrides(overrides)
    identity = {"scenario": Path(config["scenario"]["file"]).stem, "disease": config["disease"]["name"],
                "policy": config["policy"]["name"], "seed": config["seed"]}
    return parameters | {key: value for key, value in identity.items() if key not in parameters}


def parse_overrides(overrides: list[str]) -> dict:
    """['policy=screen_at_borders', 'seed=3', '+sweep=x'] -> {'policy': 'screen_at_borders',
    'seed': 3, 'sweep': 'x'}; values read as YAML scalars, anything else kept as written. An arm of
    a sweep preset (`+sweep/vaccine_uptake_arms=uptake_0.2`) is left out: the settings it selects
    are read from the run's config (varying_policy_settings)."""
    parameters = {}
    for override in overrides:
        key, equals, text = override.lstrip("+").partition("=")
        if not equals or key.startswith(("~", "hydra.", "hydra/", "sweep/")):
            continue
        value = yaml.safe_load(text) if text else None
        parameters[key] = value if value is None or isinstance(value, (str, int, float, bool)) else text
    return parameters


def load(path, metrics=None, nodes=None, populations=None) -> pd.DataFrame:
    """The tidy time series of every complete run under `path` (a directory, or the `Runs` of
    find_runs): day, date, node, kind, country, population, metric, value, then the parameter
    columns and `run`. `metrics`, `nodes`, `populations`: keep only these (filtered while reading,
    so a large sweep read for a few metrics stays small: benchmarks/load_memory.py). Categorical
    columns hold only the values kept. Reads the sweep's `sweep.parquet` when it holds exactly the
    complete runs and is newer than all of them."""
    runs = path if isinstance(path, Runs) else find_runs(path)
    wanted = {column: list(values) for column, values in
              (("metric", metrics), ("node", nodes), ("population", populations)) if values is not None}
    gathered = runs.root / SWEEP_FILE
    if gathered.exists() and sweep_file_is_current(gathered, runs):
        table = pq.read_table(gathered, filters=[(column, "in", values) for column, values in wanted.items()] or None)
        frame = table.to_pandas()
        frame.attrs["parameters"] = [c for c in frame.columns if c not in TIDY + PLACES and c != "run"]
    else:
        frame = with_parameters(with_places(read_timeseries(runs, wanted), runs), runs.parameters)
    return trim_categories(frame)


def sweep_file_is_current(gathered: Path, runs: Runs) -> bool:
    """sweep.parquet can stand for the run directories: it has the columns they give, holds the
    same runs, and none of them finished after it was written."""
    columns = set(pq.read_schema(gathered).names)
    if columns != {*TIDY, *PLACES, *runs.parameters.columns}:
        warnings.warn(f"{gathered}: its columns are not those the run directories give (written by an older "
                      "version?); reading the run directories instead", stacklevel=3)
        return False
    gathered_runs = set(pq.read_table(gathered, columns=["run"]).column("run").unique().to_pylist())
    newest = max((folder / "summary.json").stat().st_mtime for folder in runs.folders)
    if gathered_runs != set(runs.names) or gathered.stat().st_mtime < newest:
        warnings.warn(f"{gathered}: out of date with the run directories; reading those instead", stacklevel=3)
        return False
    return True


def read_timeseries(runs: Runs, wanted: dict[str, list]) -> pd.DataFrame:
    """Every run's timeseries.parquet, keeping only the rows whose columns hold the `wanted`
    values; column `run` holds the run's position in `runs`. Row groups whose statistics show
    they hold none of the wanted values are not read at all (a run saves one row group per
    population and metric), so asking for a few metrics reads a few blocks of each file."""
    condition = None
    for column, values in wanted.items():
        term = ds.field(column).isin(values)
        condition = term if condition is None else condition & term
    tables = []
    for code, folder in enumerate(runs.folders):
        file = pq.ParquetFile(folder / "timeseries.parquet")
        groups = [g for g in range(file.num_row_groups) if may_hold(file.metadata.row_group(g), wanted)]
        table = file.read_row_groups(groups, columns=list(TIDY)).cast(SCHEMA)
        if condition is not None:
            table = table.filter(condition)
        tables.append(table.append_column("run", pa.array(np.full(len(table), code, dtype=np.int32))))
    table = pa.concat_tables(tables).unify_dictionaries()  # one set of categories: fast to_pandas
    del tables  # so that converting frees each Arrow column as it goes
    return table.to_pandas(self_destruct=True, split_blocks=True)


def may_hold(group, wanted: dict[str, list]) -> bool:
    """Whether a Parquet row group may hold rows with the wanted values (by its min and max)."""
    columns = {group.column(i).path_in_schema: group.column(i).statistics for i in range(group.num_columns)}
    for column, values in wanted.items():
        statistics = columns.get(column)
        if statistics is not None and statistics.has_min_max and not any(
                statistics.min <= value <= statistics.max for value in values):
            return False
    return True


def with_places(frame: pd.DataFrame, runs: Runs) -> pd.DataFrame:
    """Add the calendar `date` after `day` and each node's `kind` and `country` after `node`, from
    the scenario each run used (its start date, its sites)."""
    graphs = {file: load_scenario(scenario_path(file)) for file in dict.fromkeys(runs.scenario_files)}
    starts, start_of_run = np.unique([np.datetime64(str(graphs[file].graph["start_date"]), "D")
                                      for file in runs.scenario_files], return_inverse=True)
    days = frame["day"].to_numpy()
    calendar = (starts[:, None] + np.arange(int(days.max(initial=0)) + 1)).astype("datetime64[ms]")  # [start, day]
    frame.insert(1, "date", calendar[start_of_run.astype(np.int16)[frame["run"].to_numpy()], days])
    sites = {}
    for graph in graphs.values():
        for node, data in graph.nodes(data=True):
            sites.setdefault(node, (data["kind"], data["country"]))
    nodes = frame["node"].cat.categories
    at = frame.columns.get_loc("node") + 1
    for offset, (column, index) in enumerate((("kind", 0), ("country", 1))):
        per_node = pd.Categorical([sites.get(node, (None, None))[index] for node in nodes])
        frame.insert(at + offset, column, pd.Categorical.from_codes(per_node.codes[frame["node"].cat.codes.to_numpy()],
                                                                    per_node.categories))
    return frame


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
