"""Daily records, the tidy time series, the run summary, and saving them atomically.

The recorder holds preallocated arrays [day, node, metric] for migrants and host communities;
nothing is appended per person. `Result.timeseries` is the tidy long table
(day, node, population, metric, value) that analysis reads.
"""

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.hosts import HOST_METRICS


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


def write_atomically(path: Path, write) -> None:
    """Write through a temporary file in the same folder, then rename: all or nothing."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def is_complete(folder, config: dict) -> bool:
    """A run folder holds complete outputs for this configuration (summary.json is written last)."""
    folder = Path(folder)
    if not (folder / "summary.json").exists() or not (folder / "config.json").exists():
        return False
    return json.loads((folder / "config.json").read_text()) == json.loads(json.dumps(config, default=str))


@dataclass
class Result:
    """What a run returns: the tidy time series, the summary, and the validated config."""

    timeseries: pd.DataFrame
    summary: dict
    config: dict

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
        date, kind and country are left to readers, from the scenario), config.json and
        summary.json (last: its presence marks a complete run)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tidy = self.timeseries.drop(columns=[c for c in FROM_SCENARIO if c in self.timeseries.columns])
        block = max(tidy["day"].nunique() * tidy["node"].nunique(), 1)  # one population's metric
        write_atomically(directory / "timeseries.parquet",
                         lambda p: tidy.to_parquet(p, index=False, row_group_size=block, compression="zstd"))
        write_atomically(directory / "config.json", lambda p: Path(p).write_text(json.dumps(self.config, indent=2, default=str)))
        write_atomically(directory / "summary.json", lambda p: Path(p).write_text(json.dumps(self.summary, indent=2)))
        return directory
