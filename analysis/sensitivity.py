"""Global sensitivity analysis over the declared ranges (SALib): Morris screening and Sobol
indices, paired across policies, and where the ranking of two policies flips.

    python -m analysis sensitivity --method morris --scenario western_balkans --disease measles \\
        --policies baseline,vaccinate_at_entry --parameters 'transmission.unit_size.*' --samples 20

A `Design` names the method, the scenario, disease and policies, the ranged numbers varied (labels
of sim.uncertainty), the sample size (Morris trajectories r, or Sobol base samples N) and the
seeds. SALib draws the points from each number's declared distribution; every point runs under
every policy on the same seeds (0 .. seeds-1, the same at every point: common random numbers, so
what moves between points is the parameters, and each policy run is paired with the baseline run
of its point and seed). The runs (analysis.batch) keep a run's summary totals only, in parallel and
resumably. From them, per point (mean over its seeds): each health outcome averted against the
first policy (analysis.comparison.paired), the cost above it and the cost per outcome averted
(DALYs where the summaries carry them, else infections), and the exported cases under each
policy. SALib gives, per policy and outcome, Morris's mu* and sigma, or Sobol's first-order and
total indices, with 95% confidence intervals (bootstrap). For each pair of policies, the share of
points on which one beats the other (higher net monetary benefit at a willingness to pay, or fewer
of the outcome), as a function of each parameter's value, and where that share crosses one half.
"""

import json
from dataclasses import asdict, dataclass, field
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from scipy import stats

from analysis.batch import RunStore, Space, Totals, run_points
from analysis.comparison import HEALTH_OUTCOMES, health_outcomes, paired
from analysis.decision import THRESHOLDS
from sim.uncertainty import problem, select

METHODS = ("morris", "sobol")
CONFIDENCE = 0.95
RESAMPLES = 1000  # bootstrap resamples of SALib's confidence intervals
TOTALS = tuple(dict.fromkeys(part for outcome in HEALTH_OUTCOMES.values() for part in outcome.parts)) + ("costs.total",)
BINS = 8  # value bins of a parameter in the ranking figure (Morris points sit on its levels instead)


@dataclass(frozen=True)
class Design:
    """What one sensitivity analysis runs (stored as design.json in its folder)."""

    method: str
    scenario: str
    disease: str
    policies: tuple[str, ...]
    parameters: tuple[str, ...] = ("all",)  # labels or patterns (sim.uncertainty.select)
    samples: int = 20       # Morris: trajectories r; Sobol: base samples N (a power of 2)
    days: int = 365
    seeds: int = 1          # seeds 0 .. seeds-1 at every point, under every policy
    levels: int = 4         # Morris grid levels
    second_order: bool = False  # Sobol second-order indices (N (2D + 2) points instead of N (D + 2))
    sample_seed: int = 0    # SALib's sampler
    overrides: tuple[str, ...] = ()
    calibration: str | None = None

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method {self.method!r}: one of {', '.join(METHODS)}")
        if len(self.policies) < 1 or len(set(self.policies)) != len(self.policies):
            raise ValueError(f"policies {list(self.policies)}: one or more, each once (the first is the comparator)")
        if self.samples < 2 or self.seeds < 1:
            raise ValueError("samples must be at least 2 and seeds at least 1")
        if self.method == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(f"samples {self.samples}: Sobol base samples must be a power of 2 (e.g. 64, 256)")


@dataclass
class Prepared:
    """A design with its space of runs, the parameters chosen, SALib's problem and the sample."""

    design: Design
    space: Space
    parameters: list
    spec: dict
    sample: np.ndarray  # SALib's points, in each parameter's draw space
    points: list[dict] = field(default_factory=list)  # label -> value

    def record(self) -> dict:
        """What design.json holds: the design, the problem and the points (the same in every part)."""
        declared = [{"label": p.label, "where": p.where, "value": p.value, "low": p.low, "high": p.high,
                     "distribution": p.distribution, "sd": p.sd, "source": p.source} for p in self.parameters]
        return {**asdict(self.design), "declared": declared, "problem": self.spec, "sample": self.sample.tolist(),
                "points": self.points}


def draw(spec: dict, design: Design) -> np.ndarray:
    """SALib's sample for the method."""
    if design.method == "morris":
        return morris_sample.sample(spec, design.samples, num_levels=design.levels, seed=design.sample_seed)
    return sobol_sample.sample(spec, design.samples, calc_second_order=design.second_order, seed=design.sample_seed)


def prepare(design: Design) -> Prepared:
    space = Space(design.scenario, design.disease, design.policies, design.days, design.overrides,
                  Path(design.calibration) if design.calibration else None)
    parameters = select(space.parameters, design.parameters)
    spec = problem(parameters)
    sample = draw(spec, design)
    points = [{p.label: p.from_draw(x) for p, x in zip(parameters, row)} for row in sample]
    return Prepared(design, space, parameters, spec, sample, points)


def run(design: Design, folder: Path, jobs: int = 1, chunk: tuple[int, int] = (0, 1), progress: bool | None = None
        ) -> tuple[Prepared, RunStore]:
    """Every run of the design not yet in `folder` (of `chunk` only, when given)."""
    prepared = prepare(design)
    store = RunStore(folder, prepared.record(), part="local" if chunk == (0, 1) else f"chunk_{chunk[0]}_of_{chunk[1]}")
    run_points(prepared.space, prepared.points, range(design.seeds), Totals(TOTALS), store, jobs, chunk, progress)
    return prepared, store


# ---------------------------------------------------------------- outcomes per point


def primary_outcome(runs: pd.DataFrame) -> str:
    """DALYs where the summaries carry them, else infections."""
    return "dalys" if "dalys" in health_outcomes(runs) else "infections"


def point_outcomes(rows: pd.DataFrame, design: dict) -> pd.DataFrame:
    """One row per arm and point: each outcome, the mean over the point's seeds (cost per outcome
    averted: the ratio of those means, where something is averted)."""
    runs = rows.assign(scenario=design["scenario"], disease=design["disease"])
    runs.attrs["parameters"] = ["scenario", "disease", "policy", "seed", "point"]
    runs = paired(runs, baseline=design["policies"][0])
    outcomes = health_outcomes(runs)
    columns = [f"{name}_averted" for name in outcomes] + ["incremental_cost", "infections", "exported_infectious"]
    means = runs.groupby(["arm", "point"], sort=False)[columns].mean().reset_index()
    primary = primary_outcome(runs)
    averted = means[f"{primary}_averted"]
    means[f"cost_per_{primary}_averted"] = np.where(averted > 0, means["incremental_cost"] / averted.where(averted > 0), np.nan)
    means["seeds"] = runs.groupby(["arm", "point"], sort=False).size().to_numpy()
    means.attrs["primary"] = primary
    return means


def outcome_columns(arm: str, comparator: str, primary: str, available) -> list[str]:
    """The outcomes analysed for an arm: what it averts against the comparator, the cost above it
    and per outcome averted, and the exported cases; for the comparator itself, its infections and
    exported cases."""
    if arm == comparator:
        wanted = ["infections", "exported_infectious"]
    else:
        wanted = [f"{name}_averted" for name in HEALTH_OUTCOMES] + ["incremental_cost", f"cost_per_{primary}_averted",
                                                                    "exported_infectious"]
    return [column for column in wanted if column in available]


def unit(outcome: str) -> str:
    """How a reader says an outcome, with its unit."""
    if outcome.startswith("cost_per_"):
        return f"cost per {HEALTH_OUTCOMES[outcome.removeprefix('cost_per_').removesuffix('_averted')].one} averted (EUR)"
    if outcome.endswith("_averted"):
        health = HEALTH_OUTCOMES[outcome.removesuffix("_averted")]
        return f"{health.many} averted ({'per run' if health.name == 'dalys' else 'people per run'})"
    return {"incremental_cost": "cost above the comparator (EUR per run)", "infections": "infections (people per run)",
            "exported_infectious": "infectious people reaching destinations (people per run)"}[outcome]


# ---------------------------------------------------------------- indices


def indices(method: str, spec: dict, sample: np.ndarray, values: np.ndarray, levels: int = 4,
            second_order: bool = False, seed: int = 0, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """SALib's indices of one outcome, tidy: parameter, index, value, lower, upper (the
    `confidence` interval, 95% by default).
    Morris: mu_star (mean absolute elementary effect: the outcome's change over the whole range,
    in the outcome's unit) and sigma (their spread: interactions or a curved response; no interval).
    Sobol: S1 (first-order: the share of the outcome's variance the parameter explains alone) and
    ST (total: with all its interactions); with `second_order`, S2 of each pair ('a x b': the share
    their interaction alone explains)."""
    values = np.asarray(values, dtype=float)
    if method == "morris":
        found = morris_analyze.analyze(spec, sample, values, num_levels=levels, conf_level=confidence,
                                       num_resamples=RESAMPLES, seed=seed)
        rows = [(name, "mu_star", found["mu_star"][i], found["mu_star_conf"][i]) for i, name in enumerate(spec["names"])]
        rows += [(name, "sigma", found["sigma"][i], np.nan) for i, name in enumerate(spec["names"])]
    else:
        found = sobol_analyze.analyze(spec, values, calc_second_order=second_order, conf_level=confidence,
                                      num_resamples=RESAMPLES, seed=seed)
        rows = [(name, index, found[index][i], found[f"{index}_conf"][i])
                for index in ("S1", "ST") for i, name in enumerate(spec["names"])]
        if second_order:
            names = spec["names"]
            rows += [(f"{names[i]} x {names[j]}", "S2", found["S2"][i, j], found["S2_conf"][i, j])
                     for i in range(len(names)) for j in range(i + 1, len(names))]
    table = pd.DataFrame(rows, columns=["parameter", "index", "value", "conf"])
    table["lower"], table["upper"] = table["value"] - table["conf"], table["value"] + table["conf"]
    if method == "morris":  # SALib's interval is symmetric; mu*, a mean of absolute values, is not below 0
        table["lower"] = table["lower"].clip(lower=0)
    return table.drop(columns="conf")


def all_indices(means: pd.DataFrame, record: dict) -> tuple[pd.DataFrame, list[str]]:
    """Indices of every arm and outcome, and notes on the outcomes left out (undefined on some
    points, or the same at every point)."""
    sample = np.asarray(record["sample"])
    comparator = record["policies"][0]
    tables, notes = [], []
    for arm, rows in means.groupby("arm", sort=False):
        rows = rows.set_index("point").reindex(range(len(sample)))
        for outcome in outcome_columns(arm, comparator, means.attrs["primary"], rows.columns):
            values = rows[outcome].to_numpy(dtype=float)
            if np.isnan(values).any():
                notes.append(f"{arm}: {outcome} is not defined on {int(np.isnan(values).sum())} of {len(values)} points "
                             "(nothing averted there, or runs missing): no indices")
                continue
            if np.ptp(values) == 0:
                notes.append(f"{arm}: {outcome} is {values[0]:g} at every point: no indices")
                continue
            table = indices(record["method"], record["problem"], sample, values, record["levels"],
                            record["second_order"], record["sample_seed"])
            tables.append(table.assign(arm=arm, outcome=outcome))
    columns = ["arm", "outcome", "parameter", "index", "value", "lower", "upper"]
    return (pd.concat(tables, ignore_index=True)[columns] if tables else pd.DataFrame(columns=columns)), notes


# ---------------------------------------------------------------- where the ranking flips


def net_benefit(means: pd.DataFrame, wtp: float) -> pd.DataFrame:
    """Per point (rows) and arm (columns): net monetary benefit against the comparator at `wtp`
    EUR per outcome averted (the comparator's is 0)."""
    primary = means.attrs["primary"]
    benefit = wtp * means[f"{primary}_averted"] - means["incremental_cost"]
    return means.assign(benefit=benefit).pivot(index="point", columns="arm", values="benefit")


def share_ci(wins: int, n: int) -> tuple[float, float]:
    """Wilson's 95% interval of a share (binomial)."""
    interval = stats.binomtest(wins, n).proportion_ci(confidence_level=CONFIDENCE, method="wilson")
    return interval.low, interval.high


def crossing(centres: np.ndarray, shares: np.ndarray) -> float:
    """The first value where the share crosses one half, linearly between bin centres (nan if it does not)."""
    above = shares - 0.5
    for i in range(len(above) - 1):
        if above[i] == 0:
            return float(centres[i])
        if above[i] * above[i + 1] < 0:
            return float(centres[i] + (centres[i + 1] - centres[i]) * above[i] / (above[i] - above[i + 1]))
    return float("nan")


def flips(means: pd.DataFrame, points: list[dict], wtp: float, comparator: str) -> pd.DataFrame:
    """For each pair of arms (a, b), criterion and parameter, per bin of the parameter's values:
    the share of points where `a` beats `b` (higher net monetary benefit at `wtp`, or fewer of the
    primary outcome), its 95% interval (Wilson's, as if the points were independent: Sobol's
    nearly are, a Morris trajectory's points are not), the value where the share first crosses one
    half, and whether the ranking flips clear of chance (`clear`: some bin's interval lies below
    one half and another's above)."""
    primary = means.attrs["primary"]
    values = pd.DataFrame(points)
    criteria = {  # higher is better; against one comparator, more averted is fewer
        f"net benefit at {wtp:,.0f} EUR per {HEALTH_OUTCOMES[primary].one}": net_benefit(means, wtp),
        f"fewer {HEALTH_OUTCOMES[primary].many}": means.pivot(index="point", columns="arm", values=f"{primary}_averted"),
    }
    rows = []
    for criterion, score in criteria.items():
        score = score.reindex(values.index)[list(dict.fromkeys(means["arm"]))]
        for a, b in combinations(score.columns, 2):
            if a == comparator:
                a, b = b, a  # a policy against the comparator, not the other way round
            beats = (score[a] > score[b]).to_numpy()
            for label in values.columns:
                x = values[label].to_numpy()
                levels = np.unique(x)
                if len(levels) <= BINS:
                    bins, centres = np.searchsorted(levels, x), levels
                else:
                    edges = np.quantile(x, np.linspace(0, 1, BINS + 1))
                    bins = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, BINS - 1)
                    centres = np.array([np.median(x[bins == k]) for k in range(BINS)])
                shares = np.array([beats[bins == k].mean() for k in range(len(centres))])
                intervals = [share_ci(int(beats[bins == k].sum()), int((bins == k).sum())) for k in range(len(centres))]
                clear = any(high < 0.5 for _, high in intervals) and any(low > 0.5 for low, _ in intervals)
                threshold = crossing(centres, shares)
                for k, centre in enumerate(centres):
                    rows.append({"a": a, "b": b, "criterion": criterion, "parameter": label, "value": centre,
                                 "points": int((bins == k).sum()), "share": shares[k], "lower": intervals[k][0],
                                 "upper": intervals[k][1], "overall": beats.mean(), "threshold": threshold,
                                 "clear": clear})
    return pd.DataFrame(rows)


def flip_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per pair, criterion and parameter: the overall share, the shares at the parameter's
    lowest and highest bins, the threshold (nan: the share does not cross one half along it) and
    whether the flip is clear of chance."""
    grouped = table.groupby(["a", "b", "criterion", "parameter"], sort=False)
    summary = grouped.agg(overall=("overall", "first"), at_low=("share", "first"), at_high=("share", "last"),
                          threshold=("threshold", "first"), clear=("clear", "first")).reset_index()
    summary["swing"] = (summary["at_high"] - summary["at_low"]).abs()
    return summary.sort_values(["a", "b", "criterion", "swing"], ascending=[True, True, True, False], ignore_index=True)


# ---------------------------------------------------------------- report


def analyse(folder: Path, wtp: float | None = None) -> dict:
    """Indices and flips of a finished (or partly finished) analysis folder, written beside the
    runs as CSV: point_outcomes.csv, indices.csv, flips.csv. Returns them with the design."""
    folder = Path(folder)
    record = json.loads((folder / "design.json").read_text())
    store = RunStore(folder, record)
    rows = store.rows()
    expected = len(record["points"]) * len(record["policies"]) * record["seeds"]
    if len(rows) < expected:
        raise ValueError(f"{folder}: {len(rows)} of {expected} runs done; run the analysis again to finish "
                         "(it resumes), or gather the chunks first")
    means = point_outcomes(rows, record)
    table, notes = all_indices(means, record)
    wtp = float(wtp if wtp is not None else THRESHOLDS[means.attrs["primary"]][0])
    ranking = flips(means, record["points"], wtp, record["policies"][0]) if len(record["policies"]) > 1 else pd.DataFrame()
    means.to_csv(folder / "point_outcomes.csv", index=False)
    table.to_csv(folder / "indices.csv", index=False)
    ranking.to_csv(folder / "flips.csv", index=False)
    return {"record": record, "means": means, "indices": table, "notes": notes, "flips": ranking, "wtp": wtp}
