"""Daily records, the tidy time series, the run summary, and saving them atomically.

The recorder holds preallocated arrays [day, node, metric] for migrants and host communities;
nothing is appended per person. `Result.timeseries` is the tidy long table
(day, node, population, metric, value) that analysis reads.
"""

import hashlib
import json
import os
import tempfile
from importlib.metadata import PackageNotFoundError, version
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.hosts import HOST_METRICS

PACKAGE = "migration-health-sim"


def package_version() -> str:
    """The installed package's version (part of a run's identity and of a saved state's)."""
    try:
        return version(PACKAGE)
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


MANIFEST = "manifest.json"  # the run's identity and a record of each output file
TEMPORARY_SUFFIX = ".tmp"



@dataclass
class Recorder:
    days: int
    node_ids: tuple[str, ...]
    migrant_names: tuple[str, ...]  # the columns of the day's tally (sim.tally.Tally.names)
    migrants: np.ndarray = field(init=False)
    hosts: np.ndarray = field(init=False)

    def __post_init__(self):
        self.migrants = np.zeros((self.days, len(self.node_ids), len(self.migrant_names)), dtype=np.int64)
        self.hosts = np.zeros((self.days, len(self.node_ids), len(HOST_METRICS)), dtype=np.int64)

    def record(self, day: int, migrants: np.ndarray, hosts: np.ndarray) -> None:
        """A day's counts: [node, metric] of migrants (in `migrant_names` order) and of hosts."""
        self.migrants[day] = migrants
        self.hosts[day] = hosts

    def metric(self, population: str, name: str) -> np.ndarray:
        """One metric as a [day, node] array."""
        if population == "migrants":
            return self.migrants[:, :, self.migrant_names.index(name)]
        return self.hosts[:, :, HOST_METRICS.index(name)]

    def reported(self, delay: int) -> np.ndarray:
        """Surveillance: cases detected on day d are reported on day d + delay ([day, node])."""
        detected = self.metric("migrants", "detected")
        reported = np.zeros_like(detected)
        reported[delay:] = detected[: detected.shape[0] - delay]
        return reported

    def timeseries(self, reporting_delay: int = 0, cost: np.ndarray | None = None,
                   dropped: tuple[str, ...] = ("dead",), places: pd.DataFrame | None = None,
                   start_date: str | None = None) -> pd.DataFrame:
        """The tidy table: one row per day, node, population and metric (values as floats), with
        the surveillance series (`reported_cases`) and, given, the cost of policies (`cost`).
        Rows go by population, then metric, then day and node, so each metric is one block (a row
        group of the saved file: readers asking for a few metrics skip the rest).
        Given `places` (indexed by node id, with columns such as `kind` and `country`), those
        columns follow `node`; given `start_date` (ISO), a calendar `date` follows `day`."""
        frames = []
        derived = {"reported_cases": self.reported(reporting_delay)}
        if cost is not None:
            derived["cost"] = cost
        migrants = np.concatenate([self.migrants.astype(np.float64)] + [a[:, :, None] for a in derived.values()], axis=2)
        for population, array, names in (("migrants", migrants, self.migrant_names + tuple(derived)),
                                         ("hosts", self.hosts, HOST_METRICS)):
            keep = [i for i, name in enumerate(names) if name not in dropped]
            values = array[:, :, keep].astype(np.float64).transpose(2, 0, 1)  # [metric, day, node]
            metrics, days, nodes = values.shape
            frames.append(pd.DataFrame({
                "day": np.tile(np.repeat(np.arange(days, dtype=np.int32), nodes), metrics),
                "node": pd.Categorical.from_codes(np.tile(np.arange(nodes), days * metrics), self.node_ids),
                "population": population,
                "metric": np.repeat(np.asarray([names[i] for i in keep], dtype=object), days * nodes),
                "value": values.reshape(-1),
            }))
        table = pd.concat(frames, ignore_index=True)
        table["population"] = table["population"].astype("category")
        table["metric"] = table["metric"].astype("category")
        if start_date is not None:
            first = np.datetime64(str(start_date), "D")
            table.insert(1, "date", (first + table["day"].to_numpy().astype("timedelta64[D]")).astype("datetime64[ms]"))
        if places is not None:
            at = table.columns.get_loc("node") + 1
            codes = table["node"].cat.codes.to_numpy()
            for offset, column in enumerate(places.columns):
                values = pd.Categorical(places[column].reindex(self.node_ids))
                table.insert(at + offset, column, pd.Categorical.from_codes(values.codes[codes], values.categories))
        return table


FROM_SCENARIO = ("date", "kind", "country")  # time-series columns a reader rebuilds from the scenario (analysis.load)


def summarise(recorder: Recorder, identity: dict, runtime_seconds: float, programmes: dict) -> dict:
    """Totals a planner reads first, the inputs that identify the run, and the programmes' figures
    (sim.programmes.policy.Programmes.summary: their totals, own figures and costs)."""
    migrant_infections = recorder.metric("migrants", "new_infections").sum(axis=1)
    host_infections = recorder.metric("hosts", "new_infections").sum(axis=1)
    daily = migrant_infections + host_infections
    arrivals = int(recorder.metric("migrants", "arrivals").sum())
    last = recorder.days - 1
    infected_migrants = int(migrant_infections.sum())
    return {
        **identity,
        "days": recorder.days,
        "arrivals": arrivals,
        "infections_migrants": infected_migrants,
        "infections_hosts": int(host_infections.sum()),
        "imported_infections": int(recorder.metric("migrants", "imported_infections").sum()),
        "attack_rate_migrants": infected_migrants / arrivals if arrivals else 0.0,
        "deaths_migrants": int(recorder.metric("migrants", "new_deaths").sum()),
        "deaths_hosts": int(recorder.metric("hosts", "new_deaths").sum()),
        "peak_day": int(np.argmax(daily)) if daily.any() else None,
        "peak_daily_infections": int(daily.max()) if daily.size else 0,
        "exits": int(recorder.metric("migrants", "exits").sum()),
        "exported_infectious": int(recorder.metric("migrants", "exits_infectious").sum()),
        "still_in_transit": int(recorder.metric("migrants", "present")[last].sum()
                                + recorder.metric("migrants", "in_transit")[last].sum()),
        "detected": int(recorder.metric("migrants", "detected").sum()),
        **programmes,
        "runtime_seconds": round(runtime_seconds, 3),
    }


def current_umask() -> int:
    """The process's umask, read without changing it where Linux shows it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: Path, write) -> None:
    """Write through a hidden temporary file in the same folder, then rename: all or nothing. The
    file gets the permissions a plain `open` would give it (readable by group and others as the
    umask allows), not mkstemp's private 0600, and reaches the disk before it takes its name."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX)
    os.close(handle)
    try:
        write(temporary)
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, 0o666 & ~current_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_temporary_files(folder) -> None:
    """Delete the temporary files a killed writer left in a folder (and its subfolders)."""
    for leftover in Path(folder).rglob(f".*{TEMPORARY_SUFFIX}"):
        leftover.unlink(missing_ok=True)


def strict_json(value) -> str:
    """JSON text of plain data; NaN or infinity is an error, never written."""
    return json.dumps(value, indent=2, allow_nan=False, default=str)


def read_json(path: Path):
    """JSON data, refusing NaN and infinity (ValueError) as `strict_json` never writes them."""
    def refuse(constant):
        raise ValueError(f"{constant} in {path.name}")
    return json.loads(Path(path).read_text(), parse_constant=refuse)


def write_failure(folder: Path, failure: dict) -> None:
    """failed.json in a run folder: the run's overrides, whether the input or the machine failed
    (`kind`: configuration or fault), the error and its message."""
    folder.mkdir(parents=True, exist_ok=True)
    text = strict_json(failure)
    write_atomically(folder / "failed.json", lambda p: Path(p).write_text(text))


def file_record(path: Path) -> dict:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def output_problem(folder, identity: dict | None = None, config: dict | None = None, thorough: bool = True,
                   legacy: bool = False) -> str | None:
    """Why `folder` does not hold the complete, intact outputs of the run `identity` names (with
    this `config`), or None if it does. Without `identity` or `config`, only intactness is checked.
    `thorough` also rereads every file's checksum and the time series' row count; `legacy` accepts
    a run written before manifests (summary.json readable is all that can be checked)."""
    folder = Path(folder)
    if not (folder / "summary.json").is_file():
        return "no summary.json: the run did not finish"
    try:
        summary = read_json(folder / "summary.json")
        if legacy and not (folder / MANIFEST).exists():
            return None if isinstance(summary, dict) else "summary.json does not hold what a run writes"
        manifest = read_json(folder / MANIFEST)
    except FileNotFoundError:
        return f"no {MANIFEST}: written by an older version, or cut short"
    except (OSError, ValueError) as error:
        return f"an output is not valid JSON ({error})"
    if not isinstance(summary, dict) or not isinstance(manifest, dict) or not isinstance(manifest.get("outputs"), dict):
        return "summary.json or manifest.json does not hold what a run writes"
    for name, recorded in manifest["outputs"].items():
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        if path.stat().st_size != recorded.get("bytes"):
            return f"{name} has {path.stat().st_size:,} bytes, not the {recorded.get('bytes'):,} written (cut short?)"
        if thorough and file_record(path)["sha256"] != recorded.get("sha256"):
            return f"{name} changed after it was written (its SHA-256 differs)"
        if thorough and name.endswith(".parquet"):
            try:
                rows = pq.read_metadata(path).num_rows
            except (OSError, pa.ArrowException) as error:
                return f"{name} cannot be read ({error})"
            if rows != recorded.get("rows"):
                return f"{name} has {rows:,} rows, not the {recorded.get('rows'):,} written"
    if config is not None:
        try:
            if read_json(folder / "config.json") != json.loads(strict_json(config)):
                return "the configuration differs from this one"
        except (OSError, ValueError) as error:
            return f"config.json cannot be read ({error})"
    if identity is not None and manifest.get("identity") != identity:
        return identity_change(manifest.get("identity") or {}, identity)
    return None


def identity_change(before: dict, now: dict) -> str:
    """What differs between the identity a run was made with and this one, in words."""
    if before.get("config_sha256") != now.get("config_sha256"):
        return "the configuration differs from this one"
    old = {item["path"]: item["sha256"] for item in before.get("inputs", [])}
    for item in now.get("inputs", []):
        if item["path"] not in old:
            return f"it read other input files (not {item['path']})"
        if old[item["path"]] != item["sha256"]:
            return f"{item['path']} changed since (its SHA-256 differs)"
    if before.get("package") != now.get("package"):
        return f"made by {before.get('package')}, not {now.get('package')}"
    return "made from other inputs"


def check_result(recorder: Recorder, cost: np.ndarray, summary: dict) -> None:
    """The outputs of a run are finite and whole before anything is written: the summary is
    strict JSON, no daily count is negative, no cost NaN, infinite or negative, and people are
    conserved (every day, those on the route are those who arrived and did not leave or die).
    Checked on the recorder's arrays, from which the tidy table is built cell for cell, so a
    run whose table is never read is checked the same. A failure here is a fault of the model,
    never of the input: raises OutputError."""
    problems = []
    try:
        strict_json(summary)
    except ValueError as error:
        problems.append(f"summary: {error}")
    for name, values in (("migrant counts", recorder.migrants), ("host counts", recorder.hosts), ("costs", cost)):
        if not np.isfinite(values).all():
            problems.append(f"{name}: {np.count_nonzero(~np.isfinite(values)):,} values are NaN or infinite")
        elif (values < 0).any():
            problems.append(f"{name}: {np.count_nonzero(values < 0):,} values are negative")
    daily = {name: recorder.metric("migrants", name).sum(axis=1) for name in ("arrivals", "exits", "new_deaths", "present", "in_transit")}
    arrived = np.cumsum(daily["arrivals"] - daily["exits"] - daily["new_deaths"])
    on_route = daily["present"] + daily["in_transit"]
    if not np.array_equal(arrived, on_route):
        day = int(np.flatnonzero(arrived != on_route)[0])
        problems.append(f"people not conserved: on day {day}, {on_route[day]:,} on the route but "
                        f"{arrived[day]:,} arrived and did not leave or die")
    if problems:
        raise OutputError("; ".join(problems))


class OutputError(RuntimeError):
    """A run's outputs failed their checks: a fault of the model, reported, never written."""


@dataclass
class Result:
    """What a run returns: the tidy time series, the summary, the validated config, and the run's
    identity (config hash, input files' hashes, package version: see sim.api.run_identity).
    The time series is built from `tables` (a callable) the first time it is read: the runs of a
    sensitivity analysis or a calibration read only the summary, and building the table took
    about an eighth of a Western Balkans year."""

    tables: Callable[[], pd.DataFrame]
    summary: dict
    config: dict
    identity: dict = field(default_factory=dict)

    @cached_property
    def timeseries(self) -> pd.DataFrame:
        """The tidy table (sim.results.Recorder.timeseries)."""
        return self.tables()

    def plot(self, metrics=("new_infections", "present", "new_deaths", "reported_cases"), by: str = "population",
             fig=None):
        """The run at a glance: one panel per metric (summed over nodes), one line per `by`
        ('population', 'kind' of site, or 'node'), against the calendar date. Returns the Figure."""
        from analysis.figures import overview  # drawing lives with the other figures

        return overview(self.timeseries, metrics, by, fig=fig, title=(
            f"{self.summary['scenario']} / {self.summary['disease']} / {self.summary['policy']} / "
            f"seed {self.summary['seed']}"))

    def days_to_care(self) -> pd.DataFrame:
        """The days-to-care histogram as a table: `days_waited` from symptom onset to a
        consultation, `people` seen after that many days, `last_bin` (that many days or more)."""
        counts = np.asarray(self.summary.get("days_to_care_histogram", []), dtype=np.int64)
        days = np.arange(len(counts))
        return pd.DataFrame({"days_waited": days, "people": counts, "last_bin": days == len(counts) - 1})

    def save(self, directory) -> Path:
        """Write timeseries.parquet (the tidy columns, a row group per population and metric;
        date, kind and country are left to readers, from the scenario), config.json, manifest.json
        (identity, and each file's size, checksum and rows) and summary.json (last: its presence
        marks a complete run). An older summary.json goes first, so a save cut short never leaves
        a folder that looks complete."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "summary.json").unlink(missing_ok=True)
        summary, config = strict_json(self.summary), strict_json(self.config)
        tidy = self.timeseries.drop(columns=[c for c in FROM_SCENARIO if c in self.timeseries.columns])
        block = max(tidy["day"].nunique() * tidy["node"].nunique(), 1)  # one population's metric
        write_atomically(directory / "timeseries.parquet",
                         lambda p: tidy.to_parquet(p, index=False, row_group_size=block, compression="zstd"))
        write_atomically(directory / "config.json", lambda p: Path(p).write_text(config))
        outputs = {name: file_record(directory / name) for name in ("timeseries.parquet", "config.json")}
        outputs["timeseries.parquet"]["rows"] = len(tidy)
        manifest = strict_json({"identity": self.identity, "outputs": outputs})
        write_atomically(directory / MANIFEST, lambda p: Path(p).write_text(manifest))
        write_atomically(directory / "summary.json", lambda p: Path(p).write_text(summary))
        return directory
