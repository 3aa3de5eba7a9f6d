"""Observed figures next to what the model gives: the targets in validation/targets/, evaluated on
runs of their scenario, and the one-at-a-time table of the ranged assumptions.

A target (one per observed figure or published range, kept as data with its source) names the
model quantity it is compared with: a time-series metric summed over nodes and days (`total`),
per day (`mean_daily`), per arrival or per host of the pools at its nodes, or a key of
`summary.json`. `python -m analysis validation` runs each scenario that has targets on several
seeds and every disease its targets name, and writes docs/VALIDATION.md: each target with the
model's median and 95% interval, inside or not, in-sample (used for calibration) or not.

Where a scenario has a calibration file (calibration/<scenario>.yaml, analysis.calibrated), its
runs use the calibrated values, and the targets it was fitted to are in-sample; every other
target is out-of-sample.
"""

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Literal, Optional

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from pydantic import Field, ValidationError, model_validator
from scipy import stats

from analysis.batch import RunStore, Space, Totals, one_numba_thread_in_workers, plain_config, run_points
from analysis.calibrated import calibrated_setting, default_path, load_calibration
from sim import ConfigError, load_scenario, simulate
from sim.config import PROJECT_ROOT, scenario_path
from sim.errors import Problem
from sim.fields import Identifier, Positive, Strict, number
from sim.schema import problems_from
from sim.inputs import read_input
from sim.uncertainty import select

TARGETS_DIR = PROJECT_ROOT / "validation" / "targets"
DISEASES = ("measles", "covid19", "influenza", "cholera", "tuberculosis")
# The assumptions of the one-at-a-time table: how people mix, how many come, how long they wait
# (Western Balkans has 181 ranged numbers; the per-site host populations, capacities and country
# figures are left to the global analysis, python -m analysis sensitivity)
OAT_PARAMETERS = ("transmission.*", "arrivals.*", "nodes[*].dwell.mean")
ANY = "any"
# A rate per infection is OUTSIDE its range only if the counts behind it (k events among n
# infections, medians over seeds) would arise less often than this at the nearer end of the range
# (binomial, one-sided); otherwise too few infections happened to tell (e.g. 0 measles deaths among
# 60 host infections: at the range's low end, 0.09%, 0 deaths is what happens 95% of the time).
TESTABLE_BELOW = 0.025


class Quantity(Strict):
    """What of a run is compared with a target."""

    metric: Optional[str] = None
    population: Literal["migrants", "hosts"] = "migrants"
    nodes: list[str] = []  # empty: every node
    statistic: Literal["total", "mean_daily", "per_arrival", "per_host", "per_infection"] = "total"
    summary: Optional[str] = None  # a dotted key of summary.json, instead of a metric

    @model_validator(mode="after")
    def _one_kind(self):
        if (self.metric is None) == (self.summary is None):
            raise ValueError("give either metric (with population, nodes, statistic) or summary")
        return self


class Tolerance(Strict):
    relative: Positive
    why: str


class Target(Strict):
    name: Identifier
    description: str
    observed: Optional[number(ge=0)] = None
    range: Optional[list[number()]] = Field(None, min_length=2, max_length=2)
    source: str
    tolerance: Optional[Tolerance] = None
    diseases: list[str] = [ANY]
    calibration: bool = False  # to be fitted by `python -m analysis calibrate` (in-sample once a calibration file lists it)
    model: Quantity

    @model_validator(mode="after")
    def _compared_with_something(self):
        if (self.observed is None) == (self.range is None):
            raise ValueError("give either observed (with a tolerance) or range")
        if self.observed is not None and self.tolerance is None:
            raise ValueError("an observed figure needs its tolerance (relative, and why)")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError(f"range {self.range}: low above high")
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        if self.range is not None:
            return self.range[0], self.range[1]
        return self.observed * (1 - self.tolerance.relative), self.observed * (1 + self.tolerance.relative)

    def applies_to(self, disease: str) -> bool:
        return ANY in self.diseases or disease in self.diseases


class NotCompared(Strict):
    """A published figure the model has no quantity for, and why (shown, not evaluated)."""

    name: Identifier
    observed: Optional[number(ge=0)] = None
    source: str
    why: str


class Targets(Strict):
    scenario: Identifier
    targets: list[Target]
    not_compared: list[NotCompared] = []


def load_targets(path: Path) -> Targets:
    data, _ = read_input(path)
    try:
        targets = Targets.model_validate(data)
    except ValidationError as error:
        raise ConfigError(str(path), problems_from(error, data)) from None
    graph = load_scenario(scenario_path(targets.scenario))
    problems = [Problem(f"targets[{i}].model.nodes", node, "a node id of the scenario")
                for i, target in enumerate(targets.targets) for node in target.model.nodes if node not in graph.nodes]
    if problems:
        raise ConfigError(str(path), problems)
    return targets


def all_targets() -> list[Targets]:
    return [load_targets(path) for path in sorted(TARGETS_DIR.glob("*.yaml"))]


def model_value(quantity: Quantity, result, graph) -> float:
    """The run's value of a target's quantity."""
    if quantity.summary is not None:
        value = result.summary
        for key in quantity.summary.split("."):
            value = value.get(key, 0.0) if isinstance(value, dict) else 0.0
        return float(value or 0.0)
    series = result.timeseries
    rows = series[(series["population"] == quantity.population) & (series["metric"] == quantity.metric)]
    if quantity.nodes:
        rows = rows[rows["node"].isin(quantity.nodes)]
    total = float(rows["value"].sum())
    if quantity.statistic == "mean_daily":
        return total / result.summary["days"]
    if quantity.statistic == "per_arrival":
        return total / max(result.summary["arrivals"], 1)
    if quantity.statistic == "per_host":
        nodes = quantity.nodes or list(graph.nodes)
        hosts = sum(graph.nodes[node]["host_population"] for node in nodes)
        return total / hosts if hosts else float("nan")
    if quantity.statistic == "per_infection":  # e.g. deaths per infection, of the same people and nodes
        return total / infections if (infections := infections_of(quantity, result, graph)) else float("nan")
    return total


def infections_of(quantity: Quantity, result, graph) -> float:
    """The infections a rate per infection is of: the same people and nodes; NaN for other statistics."""
    if quantity.statistic != "per_infection":
        return float("nan")
    return model_value(quantity.model_copy(update={"metric": "new_infections", "statistic": "total"}), result, graph)


def measured(quantity: Quantity, result, graph) -> tuple[float, float]:
    """The run's value of a target's quantity, and the infections behind it if it is a rate per
    infection (NaN otherwise; a table lookup again, beside a run of seconds)."""
    return model_value(quantity, result, graph), infections_of(quantity, result, graph)


def verdict(inside: bool | None, median: float, infections: float, low: float, high: float) -> str:
    """'inside', 'OUTSIDE', 'not defined (none happened)', or, for a rate per infection (given
    its median `infections`; NaN for other statistics) outside its range on too few infections to
    tell, 'not testable' (TESTABLE_BELOW)."""
    if inside is None:
        return "not defined (none happened)"
    if inside:
        return "inside"
    if np.isfinite(infections):
        n = int(round(infections))
        events = int(round(median * n))
        below = median < low
        chance = stats.binom.cdf(events, n, low) if below else stats.binom.sf(events - 1, n, high)
        if chance >= TESTABLE_BELOW:
            side = "is" if below and events == 0 else "or fewer is" if below else "or more is"
            return f"not testable ({n:,} infections: {events} {side} {chance:.0%} likely at the range's {'low' if below else 'high'} end)"
    return "OUTSIDE"


def calibration_of(scenario: str) -> Path | None:
    """The scenario's calibration file, if it has one."""
    path = default_path(scenario)
    return path if path.exists() else None


def run(scenario: str, disease: str, seed: int, days: int):
    """One run of the scenario's own configuration, with its calibration applied."""
    config = plain_config([f"scenario={scenario}", f"disease={disease}", f"seed={seed}", f"days={days}", "progress=false"])
    graph = None
    if calibration_of(scenario) is not None:
        config, graph = calibrated_setting(config, calibration_of(scenario))
    return simulate(config, scenario=graph, compare_to_baseline=False)


def kept(scenario: str, disease: str, seeds: int, days: int, keep: Callable, jobs: int = 1) -> list:
    """`keep(result)` of each seed's run, in order: seed 0 here (it compiles the kernels), the
    others in `jobs` worker processes of one numba thread each, which send back only what is kept."""
    first = [keep(run(scenario, disease, 0, days))]
    if jobs == 1:
        return first + [keep(run(scenario, disease, seed, days)) for seed in range(1, seeds)]
    with one_numba_thread_in_workers():
        return first + Parallel(n_jobs=jobs, backend="loky")(
            delayed(lambda seed: keep(run(scenario, disease, seed, days)))(seed) for seed in range(1, seeds))


def evaluate(targets: Targets, seeds: int, days: int, jobs: int = 1) -> pd.DataFrame:
    """One row per target (and disease it applies to): observed or range, the model's median
    and 95% interval over seeds, and whether the median lies within the target's bounds."""
    graph = load_scenario(scenario_path(targets.scenario))
    calibration = calibration_of(targets.scenario)
    fitted = set(load_calibration(calibration).targets) if calibration is not None else set()
    needed = sorted({d for t in targets.targets for d in (t.diseases if ANY not in t.diseases else [])}) or ["covid19"]
    rows = []
    for disease in needed:
        applying = [target for target in targets.targets
                    if target.applies_to(disease) and not (ANY in target.diseases and disease != needed[0])]
        kept_by_seed = np.array(kept(targets.scenario, disease, seeds, days, jobs=jobs, keep=lambda result: [
            measured(target.model, result, graph) for target in applying]), dtype=float).reshape(seeds, len(applying), 2)
        for target, values, infections in zip(applying, kept_by_seed[:, :, 0].T, kept_by_seed[:, :, 1].T):
            low, high = target.bounds
            defined = values[np.isfinite(values)]  # a rate of what did not happen on some seed is undefined there
            median = float(np.median(defined)) if defined.size else float("nan")
            rows.append({
                "scenario": targets.scenario, "target": target.name, "description": target.description,
                "disease": ANY if ANY in target.diseases else disease,
                "observed": target.observed, "low": low, "high": high,
                "median": median,
                "lower_95": float(np.percentile(defined, 2.5)) if defined.size else float("nan"),
                "upper_95": float(np.percentile(defined, 97.5)) if defined.size else float("nan"),
                "inside": bool(low <= median <= high) if defined.size else None,
                # of a rate per infection, over the seeds it is defined on (NaN for other statistics)
                "infections": float(np.median(infections[np.isfinite(values)])) if defined.size else float("nan"),
                "sample": "in-sample" if target.name in fitted else "out-of-sample",
                "source": target.source, "why": target.tolerance.why if target.tolerance else "",
            })
    return pd.DataFrame(rows)


def outcomes(scenario: str, seeds: int, days: int, jobs: int = 1) -> pd.DataFrame:
    """Every disease on the scenario: median over seeds of the outcomes a reader checks first."""
    rows = []
    for disease in DISEASES:
        summaries = pd.DataFrame(kept(scenario, disease, seeds, days, jobs=jobs, keep=lambda result: {
            key: value for key, value in result.summary.items() if isinstance(value, (int, float, type(None)))}))
        rows.append({"scenario": scenario, "disease": disease, "arrivals": summaries["arrivals"].median(),
                     **{key: summaries[key].median() for key in ("attack_rate_migrants", "infections_migrants",
                                                                 "infections_hosts", "deaths_migrants", "deaths_hosts",
                                                                 "imported_infections", "exported_infectious")}})
    return pd.DataFrame(rows)


def one_at_a_time(scenario: str, disease: str, seeds: int, days: int, wanted=OAT_PARAMETERS, jobs: int = 1,
                  folder: Path | None = None) -> pd.DataFrame:
    """Migrant infections with each ranged assumption named in `wanted` (labels or patterns of the
    configuration's and the scenario file's, sim.uncertainty.select; "all" for every one) at the low
    and at the high end of its range, the others at their values: medians over paired seeds. The
    runs are those of any analysis (analysis.batch): `jobs` worker processes, each run's totals
    kept in `folder` (default: a temporary one), so a rerun into the same folder resumes."""
    space = Space(scenario, disease, ["baseline"], days, calibration=calibration_of(scenario))
    parameters = select(space.parameters, wanted)
    points = [{}] + [{parameter.label: end} for parameter in parameters for end in (parameter.low, parameter.high)]
    with tempfile.TemporaryDirectory() as temporary:
        store = RunStore(folder or Path(temporary), {"analysis": "one_at_a_time", "scenario": scenario,
                                                     "disease": disease, "days": days, "points": points})
        run_points(space, points, range(seeds), Totals(["infections_migrants"]), store, jobs=jobs, progress=False)
        infections = store.rows().groupby("point")["infections_migrants"].median()
    reference = infections[0]
    rows = []
    for i, parameter in enumerate(parameters):
        at_low, at_high = infections[1 + 2 * i], infections[2 + 2 * i]
        rows.append({"disease": disease, "parameter": f"{parameter.where}: {parameter.label}", "value": parameter.value,
                     "low": parameter.low, "high": parameter.high, "infections_at_low": at_low,
                     "infections_at_high": at_high, "reference": reference,
                     "swing": abs(at_high - at_low) / reference if reference else float("nan")})
    return pd.DataFrame(rows).sort_values("swing", ascending=False)


def number_text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"


def markdown(frame: pd.DataFrame, columns: dict) -> list[str]:
    lines = ["| " + " | ".join(columns.values()) + " |", "|" + "---|" * len(columns)]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(str(row[key]) if not isinstance(row[key], float) else number_text(row[key])
                                       for key in columns) + " |")
    return lines


def calibration_note(scenario: str) -> str:
    path = calibration_of(scenario)
    if path is None:
        return "Not calibrated: every target is out-of-sample, and the runs use the values in the files."
    calibration = load_calibration(path)
    values = ", ".join(f"{label} = {number_text(value)}" for label, value in calibration.parameters.items())
    return (f"Runs use `{path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path}` "
            f"({calibration.method}, {calibration.date}): {values}; fitted to {', '.join(calibration.targets)} (in-sample).")


def write(path: Path, seeds: int, days: int, oat_seeds: int, oat: bool = True, jobs: int = 1,
          oat_parameters=OAT_PARAMETERS) -> Path:
    """Run everything and write docs/VALIDATION.md."""
    lines = [
        "# Validation", "",
        f"Generated by `python -m analysis validation` on {date.today().isoformat()} ({seeds} seeds, {days} days;"
        " do not edit by hand). Each observed figure or published range (`validation/targets/`, with its"
        " source) next to the model's median and 95% interval over seeds; 'inside' compares the median with"
        " the figure's tolerance or the range. A rate per infection outside its range on too few infections to"
        f" tell (its counts at least {TESTABLE_BELOW:.1%} likely at the range's nearer end) is 'not testable'."
        " In-sample: used to calibrate the model; out-of-sample: not.", "",
    ]
    for targets in all_targets():
        table = evaluate(targets, seeds, days, jobs)
        table["model"] = [f"{number_text(m)} ({number_text(lo)} to {number_text(hi)})"
                          for m, lo, hi in zip(table["median"], table["lower_95"], table["upper_95"])]
        table["published"] = [number_text(o) if o is not None and not (isinstance(o, float) and np.isnan(o))
                              else f"{number_text(lo)} to {number_text(hi)}"
                              for o, lo, hi in zip(table["observed"], table["low"], table["high"])]
        table["verdict"] = [verdict(*row) for row in zip(table["inside"], table["median"], table["infections"],
                                                         table["low"], table["high"])]
        lines += [f"## {targets.scenario}", "", calibration_note(targets.scenario), ""]
        lines += markdown(table, {"target": "target", "description": "what", "disease": "disease",
                                  "published": "observed or range", "model": "model median (95% interval)",
                                  "verdict": "verdict", "sample": "sample", "source": "source"})
        if targets.not_compared:
            lines += ["", "Published figures the model has no quantity for:", ""]
            lines += [f"- `{item.name}`" + (f" ({number_text(item.observed)})" if item.observed is not None else "")
                      + f": {item.why} ({item.source})" for item in targets.not_compared]
        lines += ["", "### Outcomes by disease (medians over seeds)", ""]
        lines += markdown(outcomes(targets.scenario, seeds, days, jobs),
                          {"disease": "disease", "arrivals": "arrivals", "attack_rate_migrants": "migrant attack rate",
                           "infections_migrants": "migrant infections", "infections_hosts": "host infections",
                           "deaths_migrants": "migrant deaths", "deaths_hosts": "host deaths",
                           "exported_infectious": "infectious at destinations"})
        lines.append("")
    if oat:
        lines += ["## One assumption at a time (western_balkans)", "",
                  f"Migrant infections (median of {oat_seeds} paired seeds) with each ranged assumption of"
                  f" {', '.join(f'`{name}`' for name in oat_parameters)} at the ends of its range and every other at"
                  " its value; sorted by the swing (high minus low, over the value's result). The global sensitivity"
                  " analysis (`python -m analysis sensitivity`) varies them together.", ""]
        for disease in ("covid19", "measles"):
            lines += [f"### {disease}", ""]
            lines += markdown(one_at_a_time("western_balkans", disease, oat_seeds, days, oat_parameters, jobs=jobs),
                              {"parameter": "assumption", "value": "value", "low": "low", "high": "high",
                               "infections_at_low": "infections at low", "reference": "at value",
                               "infections_at_high": "infections at high", "swing": "swing"})
            lines.append("")
    path.write_text("\n".join(lines) + "\n")
    return path
