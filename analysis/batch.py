"""The runs of one analysis (a sensitivity analysis, a calibration, policies over posterior draws):
each point (values of ranged numbers, by label) under each policy and seed.

`Space` holds what every run shares: each policy's configuration and the scenario data (with a
calibration file applied, if given), and the ranged numbers among them (sim.uncertainty);
`Space.run` makes the runs of one point in this process and keeps only the numbers asked for (a
`keep` callable: result, graph -> {name: number}), writing no files. `run_points` runs many points
in worker processes (joblib: each worker keeps its interpreter and compiled kernels for all its
runs, one numba thread each; the kernels are compiled once, here, before the workers start) and
stores each point's numbers as soon as its runs end in a `RunStore`: one JSON line per run in the
analysis folder, so an interrupted analysis resumes where it stopped and a half-written line is
ignored. `--chunk k/n` style parts (`chunk=(k, n)`) let separate jobs of a cluster run every n-th
point into their own file of the same folder.
"""

import itertools
import json
import os
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

import mesa
import networkx as nx
import pandas as pd
from joblib import Parallel, delayed
from omegaconf import OmegaConf
from tqdm.auto import tqdm

from analysis.calibrated import apply_calibration
from sim import compose, simulate
from sim.config import run_config, scenario_path
from sim.errors import ConfigError, Problem
from sim.results import write_atomically
from sim.inputs import read_input
from sim.scenario import checked_graph
from sim.uncertainty import Uncertain, uncertain, with_values

Keep = Callable[[object, nx.DiGraph], dict]


def plain_config(overrides: Iterable[str]) -> dict:
    """The composed configuration as plain data (what `simulate` takes, and `uncertain` reads)."""
    config = OmegaConf.to_container(compose(list(overrides)), resolve=True)
    config.pop("hydra", None)
    return config


class AgentCounters(weakref.WeakKeyDictionary):
    """Mesa 3.3's per-model counters of agent ids (`mesa.Agent._ids`), held weakly. Mesa 3.3 holds
    them in a class-level defaultdict keyed by the model, so every model a process ever made stays
    in memory (6 MB a Western Balkans year, until loky restarts the worker for a leak); Mesa 3.4
    moved the ids into the model (mesa issue 3179, pull request 3180) and has no such attribute."""

    def __getitem__(self, model):
        try:
            return super().__getitem__(model)
        except KeyError:
            self[model] = counter = itertools.count(1)
            return counter


def release_finished_models() -> None:
    """Let Mesa 3.3 forget models nobody holds any longer (a no-op on Mesa 3.4 and later)."""
    if isinstance(getattr(mesa.Agent, "_ids", None), defaultdict):
        mesa.Agent._ids = AgentCounters(mesa.Agent._ids)


class Space:
    """The configurations and the scenario every run of one analysis starts from."""

    def __init__(self, scenario: str, disease: str, policies: Iterable[str], days: int,
                 overrides: Iterable[str] = (), calibration: Path | None = None):
        self.policies = list(policies)
        if not self.policies:
            raise ValueError("give at least one policy")
        common = [f"scenario={scenario}", f"disease={disease}", f"days={days}", "progress=false",
                  "compare_to_baseline=false", *overrides]
        configs = {policy: plain_config([*common, f"policy={policy}"]) for policy in self.policies}
        self.scenario_file = str(scenario_path(configs[self.policies[0]]["scenario"]["file"]))
        scenario_data = read_input(Path(self.scenario_file))[0]
        if calibration is not None:
            configs, scenario_data = apply_calibration(calibration, configs, scenario_data)
        self.configs, self.scenario_data = configs, scenario_data
        self.calibration = None if calibration is None else str(calibration)

    @property
    def parameters(self) -> list[Uncertain]:
        """Every ranged number: of any policy's configuration (each label once), then of the scenario."""
        found = {}
        for config in self.configs.values():
            for parameter in uncertain(config, "config"):
                found.setdefault(parameter.label, parameter)
        return list(found.values()) + uncertain(self.scenario_data, "scenario")

    def config(self, point: dict, policy: str, seed: int) -> dict:
        """The configuration of one run: the policy's, with the point's configuration numbers it has."""
        config = self.configs[policy]
        moved = {p: point[p.label] for p in uncertain(config, "config") if p.label in point}
        return {**with_values(config, moved), "seed": seed}

    def graph(self, point: dict, name: str = "") -> nx.DiGraph:
        """The route graph with the point's scenario numbers moved, validated like the file."""
        moved = {p: point[p.label] for p in uncertain(self.scenario_data, "scenario") if p.label in point}
        return checked_graph(with_values(self.scenario_data, moved), f"{self.scenario_file}{name}",
                             folder=Path(self.scenario_file).parent)

    def check(self, points: list[dict]) -> None:
        """Every label of the points is a ranged number here, and every point's configuration of every
        policy validates (cheap: before any run). The scenario is checked at the first point."""
        labels = {p.label for p in self.parameters}
        unknown = sorted({label for point in points for label in point} - labels)
        if unknown:
            raise ConfigError("analysis", [Problem("parameters", label, "a ranged number of the configuration or "
                                                   "scenario: " + ", ".join(sorted(labels))) for label in unknown])
        for i, point in enumerate(points):
            for policy in self.policies:
                run_config(self.config(point, policy, 0), f"configuration of point {i} under {policy}")
        if points:
            self.graph(points[0], " (first point)")

    def run(self, point: dict, runs: Iterable[tuple[str, int]], keep: Keep, name: str = "") -> list[dict]:
        """The runs (policy, seed) of one point, in this process: one row of kept numbers each."""
        release_finished_models()
        graph = self.graph(point, name)
        return [{"policy": policy, "seed": seed, **keep(simulate(self.config(point, policy, seed), scenario=graph), graph)}
                for policy, seed in runs]

    def warm_up(self) -> None:
        """A few days of each policy here (two, or just past its reporting delay): the kernels they
        use are compiled (and cached) once, before workers start, and each policy's configuration
        is run once."""
        for policy in self.policies:
            config = self.configs[policy]
            days = max(2, config["policy"]["surveillance"]["reporting_delay_days"])
            simulate({**config, "days": days}, compare_to_baseline=False)


class Totals:
    """Keep these totals of a run's summary (dotted keys: `costs.total`); a key the summary does
    not have is left out, not made 0."""

    def __init__(self, keys: Iterable[str]):
        self.keys = tuple(keys)

    def __call__(self, result, graph) -> dict:
        kept = {}
        for key in self.keys:
            value = result.summary
            for part in key.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                kept[key] = float(value)
        return kept


class RunStore:
    """An analysis folder: `design.json` (what the analysis is; another design in the same folder
    is refused) and `runs/<part>.jsonl` (one line per run: point, policy, seed, kept numbers)."""

    def __init__(self, folder: Path, design: dict, part: str = "local"):
        self.folder = Path(folder)
        self.runs = self.folder / "runs"
        self.runs.mkdir(parents=True, exist_ok=True)
        path = self.folder / "design.json"
        design = json.loads(json.dumps(design))  # as it reads back
        if path.exists():
            stored = json.loads(path.read_text())
            if stored != design:
                differ = sorted(key for key in set(stored) | set(design) if stored.get(key) != design.get(key))
                raise ValueError(f"{self.folder} holds another analysis (it differs in {', '.join(differ)}): "
                                 "choose another --out folder, or remove that one")
        else:
            write_atomically(path, lambda temporary: Path(temporary).write_text(json.dumps(design, indent=1)))
        self.design = design
        self.part = self.runs / f"{part}.jsonl"

    def append(self, rows: list[dict]) -> None:
        with self.part.open("a") as handle:
            handle.write("".join(json.dumps(row) + "\n" for row in rows))
            handle.flush()
            os.fsync(handle.fileno())

    def rows(self) -> pd.DataFrame:
        """Every complete line of every part, each run once."""
        rows = []
        for path in sorted(self.runs.glob("*.jsonl")):
            for line in path.read_text().splitlines():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:  # the line a killed run was writing
                    continue
        frame = pd.DataFrame(rows, columns=None if rows else ["point", "policy", "seed"])
        return frame.drop_duplicates(["point", "policy", "seed"], ignore_index=True)

    def done(self) -> set[tuple]:
        return set(self.rows()[["point", "policy", "seed"]].itertuples(index=False, name=None))


def parse_chunk(text: str) -> tuple[int, int]:
    """'2/8' -> (2, 8): the third of eight parts."""
    try:
        part, parts = (int(item) for item in text.split("/"))
    except ValueError:
        part, parts = -1, 0
    if not 0 <= part < parts:
        raise ValueError(f"chunk {text!r}: give k/n with 0 <= k < n, e.g. 0/8")
    return part, parts


def run_points(space: Space, points: list[dict], seeds: Iterable[int], keep: Keep, store: RunStore,
               jobs: int = 1, chunk: tuple[int, int] = (0, 1), progress: bool | None = None,
               seed_per_point: bool = False) -> int:
    """Every run (point, policy, seed) the store does not hold yet, of the points of `chunk`;
    returns how many ran. `jobs` worker processes (1: in this process). Every point runs on the
    same `seeds`, or with `seed_per_point`, point i on seeds i * n + seed (n seeds): draws of a
    posterior, each a world of its own."""
    done = store.done()
    seeds = list(seeds)

    def seeds_of(i: int) -> list[int]:
        return [i * len(seeds) + seed for seed in seeds] if seed_per_point else seeds

    todo = [(i, [(policy, seed) for policy in space.policies for seed in seeds_of(i) if (i, policy, seed) not in done])
            for i in range(chunk[0], len(points), chunk[1])]
    todo = [(i, runs) for i, runs in todo if runs]
    if not todo:
        return 0
    space.check(points)
    space.warm_up()
    if jobs == 1:
        results = ((i, space.run(points[i], runs, keep, f" (point {i})")) for i, runs in todo)
    else:
        results = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")(
            delayed(run_numbered)(space, i, points[i], runs, keep) for i, runs in todo)
    count = 0
    with one_numba_thread_in_workers(), \
            tqdm(total=sum(len(runs) for _, runs in todo), desc="runs", unit="run", disable=progress is False or None) as bar:
        for i, rows in results:
            store.append([{"point": i, **row} for row in rows])
            count += len(rows)
            bar.update(len(rows))
    return count


@contextmanager
def one_numba_thread_in_workers():
    """NUMBA_NUM_THREADS=1 for the worker processes started inside (they inherit the environment:
    runs go side by side, one thread each), restored after: numba in this process rereads it
    whenever it compiles, and refuses a change once its own threads run."""
    before = os.environ.get("NUMBA_NUM_THREADS")
    os.environ["NUMBA_NUM_THREADS"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("NUMBA_NUM_THREADS", None)
        else:
            os.environ["NUMBA_NUM_THREADS"] = before


def run_numbered(space: Space, index: int, point: dict, runs, keep: Keep) -> tuple[int, list[dict]]:
    """`Space.run` in a worker, returning the point's number with its rows."""
    return index, space.run(point, runs, keep, f" (point {index})")
