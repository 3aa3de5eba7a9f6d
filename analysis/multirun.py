"""Several runs of one configuration in a notebook: every policy on every seed, kept in memory.
    runs = MultiRun(["scenario=demo", "disease=covid19", "days=120"],
                    policies=["baseline", "vaccinate_at_entry"], seeds=range(5)).run()
    runs.compare()          # median and 95% interval over seeds, paired with baseline (analysis.compare)
    runs.plot()             # epidemic curves, each policy against baseline
    runs.summaries(); runs.timeseries()   # the frames analysis.load_summaries / analysis.load give
    runs.save("multirun/mine")            # as `python run.py -m` saves a sweep

Like Starsim's MultiSim or Covasim's MultiSim. Each seed runs under every policy (a paired
design). Runs go one after another in this process, with a progress bar over the runs (a widget in
Jupyter, through tqdm.auto); for large sweeps use `python run.py -m`, which runs in parallel.
"""

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from analysis.comparison import compare
from analysis.figures import epidemic_curves
from analysis.runs import named_parameters, with_parameters
from analysis.sweep import save_as_sweep_run
from analysis.tables import trim_categories
from sim.api import simulate
from sim.config import compose
from sim.results import Result

class MultiRun:
    """Every combination of `policies` and `seeds`, on top of the `overrides` (Hydra style)."""

    def __init__(self, overrides: Iterable[str] = (), policies: Iterable[str] = ("baseline",),
                 seeds: Iterable[int] = range(3)):
        self.overrides = list(overrides)
        self.policies = list(policies)
        self.seeds = list(seeds)
        self.results: dict[tuple[str, int], Result] = {}

    def run(self, progress: bool = True) -> "MultiRun":
        """Run whatever is not yet run; returns self, so `MultiRun(...).run().plot()` reads well."""
        todo = [(policy, seed) for policy in self.policies for seed in self.seeds if (policy, seed) not in self.results]
        for policy, seed in tqdm(todo, desc="runs", unit="run", disable=not progress):
            config = compose(["progress=false", "compare_to_baseline=false", *self.overrides_of(policy, seed)])
            self.results[policy, seed] = simulate(config)
        return self

    def name(self, policy: str, seed: int) -> str:
        return f"policy={policy},seed={seed}"

    def overrides_of(self, policy: str, seed: int) -> list[str]:
        return [*self.overrides, f"policy={policy}", f"seed={seed}"]

    def parameters(self) -> pd.DataFrame:
        """One row per run: its overrides (key -> value), scenario, disease, policy, seed, and `run`
        (its name): the parameter columns a sweep saved with `save` is read back with."""

        rows = [{**named_parameters(self.overrides_of(policy, seed), result.config), "run": self.name(policy, seed)}
                for (policy, seed), result in self.results.items()]
        return pd.DataFrame(rows)

    def summaries(self) -> pd.DataFrame:
        """One row per run, as analysis.load_summaries gives."""
        self.require_runs()
        parameters = self.parameters()
        summaries = pd.json_normalize([result.summary for result in self.results.values()])
        frame = pd.concat([parameters, summaries.drop(columns=[c for c in parameters if c in summaries])], axis=1)
        frame.attrs["parameters"] = list(parameters.columns[:-1])
        return frame

    def timeseries(self, metrics: Iterable[str] | None = None) -> pd.DataFrame:
        """Every run's time series with the parameter columns and `run`, as analysis.load gives."""

        self.require_runs()
        wanted = None if metrics is None else list(metrics)
        frames = []
        for code, result in enumerate(self.results.values()):
            series = result.timeseries if wanted is None else result.timeseries[result.timeseries["metric"].isin(wanted)]
            frames.append(series.assign(run=code))
        frame = pd.concat(frames, ignore_index=True)
        for column in ("node", "kind", "country", "population", "metric"):
            frame[column] = frame[column].astype("category")
        return trim_categories(with_parameters(frame, self.parameters()))

    def compare(self, baseline: str = "baseline", outcome: str = "infections") -> pd.DataFrame:
        """Per policy, median and 95% interval over seeds, paired with `baseline` (analysis.compare)."""

        return compare(self.summaries(), baseline, outcome)

    def plot(self, baseline: str = "baseline", fig=None):
        """Daily new infections, one panel per policy against `baseline` (analysis.epidemic_curves)."""

        return epidemic_curves(self.timeseries(["new_infections"]), fig=fig, baseline=baseline)

    def save(self, folder) -> Path:
        """Each run in its own folder under `folder`, named and saved as `python run.py -m` does,
        so analysis.load and `python -m analysis report` read it."""

        folder = Path(folder)
        for (policy, seed), result in self.results.items():
            save_as_sweep_run(result, folder / self.name(policy, seed), self.overrides_of(policy, seed))
        return folder

    def require_runs(self) -> None:
        if not self.results:
            raise RuntimeError("no runs yet: call .run() first")
