"""Policies compared across seeds, each run paired with the baseline run on the same seed.

An arm is a policy together with any swept `policy.*` setting (`screen_at_borders
(screening.borders.sensitivity=0.5)`); the pairing key is every other parameter (seed, scenario,
disease, days, ...), so each policy run is set against the baseline run that differs from it only
in its policy. Seeds share their random numbers across policies (sim/rng.py), so the paired
difference carries far less noise than a difference of medians.

Health outcomes are generic (HEALTH_OUTCOMES): infections (migrants and hosts), deaths, exported
infectious cases, and DALYs where the summaries carry them; for each, `<outcome>_averted` is the
baseline's minus the arm's on the same seed. The cost per outcome averted is the median cost above
baseline over the median outcome averted, and only when the median seed averts something: a ratio
taken seed by seed and summarised over the seeds where something was averted flatters a policy
that does harm on most seeds.
"""

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

IDENTITY = ("scenario", "disease", "policy", "seed")


@dataclass(frozen=True)
class HealthOutcome:
    """An outcome a policy may avert: its name (a column of `paired`), how a reader says one and
    several of it, and the per-run totals it sums."""

    name: str
    one: str
    many: str
    parts: tuple[str, ...]


HEALTH_OUTCOMES = {
    outcome.name: outcome for outcome in (
        HealthOutcome("infections", "infection", "infections", ("infections_migrants", "infections_hosts")),
        HealthOutcome("deaths", "death", "deaths", ("deaths_migrants", "deaths_hosts")),
        HealthOutcome("exported_infectious", "exported case", "exported cases", ("exported_infectious",)),
        HealthOutcome("dalys", "DALY", "DALYs", ("dalys",)),  # once summaries carry them
    )
}

# Per-run totals read from the tidy time series: column -> (population, metric).
FROM_TIMESERIES = {
    "infections_migrants": ("migrants", "new_infections"),
    "infections_hosts": ("hosts", "new_infections"),
    "exported_infectious": ("migrants", "exits_infectious"),
    "deaths_migrants": ("migrants", "new_deaths"),
    "deaths_hosts": ("hosts", "new_deaths"),
    "detected": ("migrants", "detected"),
    "doses": ("migrants", "doses"),
    "costs.total": ("migrants", "cost"),
}


def parameters(data: pd.DataFrame) -> list[str]:
    """The parameter columns of a frame from analysis.load or load_summaries."""
    return data.attrs.get("parameters") or [column for column in IDENTITY if column in data.columns]


def health_outcomes(runs: pd.DataFrame) -> list[str]:
    """The health outcomes these runs carry (HEALTH_OUTCOMES whose parts are all columns)."""
    return [name for name, outcome in HEALTH_OUTCOMES.items() if set(outcome.parts) <= set(runs.columns)]


def check_outcome(outcome: str, available: list[str]) -> None:
    if outcome not in available:
        raise ValueError(f"outcome {outcome!r} is not in these runs; choose one of {available}")


def outcome_labels(outcome: str = "infections") -> dict[str, str]:
    """The rows of `compare`, in table order, with the label and unit a reader sees; `outcome`
    names the row of cost per outcome averted."""
    health = HEALTH_OUTCOMES[outcome]
    return {
        "infections_migrants": "infections among migrants (people)",
        "infections_hosts": "infections in host communities (people)",
        "deaths": "deaths, migrants and hosts (people)",
        "exported_infectious": "infectious people reaching destinations (people)",
        "dalys": "disability-adjusted life years lost (DALYs)",
        **{f"{name}_averted": f"{HEALTH_OUTCOMES[name].many} averted vs baseline, same seed" for name in HEALTH_OUTCOMES},
        "detected": "cases detected (people)",
        "doses": "vaccine doses given",
        "doses_protecting_after_exit": "doses whose protection starts only after the person left the route",
        "costs.total": "total cost of policies (EUR)",
        "incremental_cost": "cost above baseline, same seed (EUR)",
        "cost_per_outcome_averted": f"cost per {health.one} averted (EUR; median cost above baseline / median "
                                    f"{health.many} averted)",
    }


def per_run(data: pd.DataFrame) -> pd.DataFrame:
    """One row per run: `data` itself if it is a summaries frame, else totals over days and
    nodes of a tidy time series."""
    names = parameters(data)
    if "metric" not in data.columns:
        runs = data.copy()
    else:
        totals = data.groupby(["run", "population", "metric"], observed=True)["value"].sum()
        wanted = pd.MultiIndex.from_tuples(FROM_TIMESERIES.values(), names=["population", "metric"])
        totals = totals.unstack(["population", "metric"]).reindex(columns=wanted, fill_value=0.0)
        totals.columns = list(FROM_TIMESERIES)
        runs = run_settings(data).join(totals).reset_index()
    runs.attrs["parameters"] = names
    return runs


def run_settings(data: pd.DataFrame) -> pd.DataFrame:
    """The parameter columns of each run of a tidy time series, indexed by run."""
    names = parameters(data)
    settings = data.groupby("run", observed=True)[names].first().astype(object)
    settings.attrs["parameters"] = names
    return settings


def run_arms(data: pd.DataFrame) -> pd.Series:
    """Each run's arm (see arm_labels), indexed by run: for figures drawn from a time series."""
    return arm_labels(run_settings(data))


def arm_order(arms, baseline: str = "baseline") -> list[str]:
    """The arms in the order tables and figures show them: baseline first, then as they come."""
    arms = list(pd.unique(pd.Series(list(arms), dtype=object)))
    return sorted(arms, key=lambda arm: arm != baseline)


def policy_settings(runs: pd.DataFrame) -> list[str]:
    """The parameter columns that are settings of the policy (`policy.*`): part of the arm."""
    return [column for column in parameters(runs) if column.startswith("policy.")]


def arm_labels(runs: pd.DataFrame, leave_out: tuple[str, ...] = ()) -> pd.Series:
    """Each run's arm: its policy, followed by any swept `policy.*` settings (but those in
    `leave_out`)."""
    settings = [column for column in policy_settings(runs) if column not in leave_out]

    def label(run) -> str:
        given = [f"{column.removeprefix('policy.')}={run[column]}" for column in settings if pd.notna(run[column])]
        return f"{run['policy']} ({', '.join(given)})" if given else str(run["policy"])

    return runs.apply(label, axis=1) if settings else runs["policy"].astype(str)


def short_arm(arm: str) -> str:
    """An arm as a table heading: each setting by its last key ('vaccinate_at_entry
    (vaccination.at_entry.uptake=0.2)' -> 'vaccinate_at_entry (uptake=0.2)')."""
    return re.sub(r"[\w.]+\.(\w+)=", r"\1=", arm)


def pairing_key(runs: pd.DataFrame) -> list[str]:
    """The parameters a policy run shares with its baseline run: all but the policy's own."""
    return [column for column in parameters(runs) if column != "policy" and not column.startswith("policy.")]


def check_baseline(arms, baseline: str) -> None:
    """`baseline` must be one of the arms (when there is more than one to compare)."""
    arms = arm_order(arms, baseline)
    if baseline not in arms and len(arms) > 1:
        raise ValueError(f"baseline {baseline!r} is not an arm of these runs; the arms are: " + ", ".join(arms))


def paired(data: pd.DataFrame, baseline: str = "baseline") -> pd.DataFrame:
    """One row per run with its `arm`, each health outcome it carries (`infections`, `deaths`,
    `exported_infectious`, `dalys`), and against the baseline run on the same seed and settings:
    `<outcome>_averted` for each and `incremental_cost`.

    `baseline`: the arm the others are measured against; it must be one of the arms, unless all
    runs are of one arm: then the runs' own summary fields are kept (a run made with
    compare_to_baseline=true carries them).
    """
    runs = per_run(data)
    runs["arm"] = arm_labels(runs)
    check_baseline(runs["arm"], baseline)
    outcomes = health_outcomes(runs)
    for name in outcomes:
        runs[name] = runs[list(HEALTH_OUTCOMES[name].parts)].sum(axis=1)
    reference = runs[runs["arm"] == baseline]
    if not reference.empty:
        key = pairing_key(runs)
        if reference.duplicated(key).any():
            raise ValueError(f"several {baseline!r} runs share the same {key}: cannot pair them")
        reference = reference[key + outcomes + ["costs.total"]].rename(
            columns={name: f"baseline_{name}" for name in [*outcomes, "costs.total"]})
        runs = runs.drop(columns=[c for c in reference.columns if c not in key], errors="ignore").merge(
            reference, on=key, how="left")
        for name in outcomes:
            runs[f"{name}_averted"] = runs.pop(f"baseline_{name}") - runs[name]
        runs["incremental_cost"] = runs["costs.total"] - runs.pop("baseline_costs.total")
    for column in [f"{name}_averted" for name in outcomes] + ["incremental_cost"]:
        runs[column] = pd.to_numeric(runs[column], errors="coerce") if column in runs else np.nan
    runs = runs.drop(columns=["cost_per_infection_averted"], errors="ignore")  # a per-seed ratio: see the module
    runs.attrs["parameters"] = parameters(data)
    return runs


def cost_per_outcome(incremental_cost: float, averted: float, outcome: str = "infections") -> tuple[float, str]:
    """The cost per outcome averted from the median cost above baseline and the median outcome
    averted, and what it means: a number only when the median seed averts something and costs
    more (else nan, with the reason)."""
    health = HEALTH_OUTCOMES[outcome]
    if not np.isfinite(averted) or not np.isfinite(incremental_cost):
        return np.nan, "not defined: no baseline run to pair with"
    if averted < 0:
        return np.nan, f"not favourable: more {health.many} than baseline on the median seed"
    if averted == 0:
        return np.nan, f"not favourable: no {health.many} averted on the median seed"
    if incremental_cost <= 0:
        return np.nan, f"dominant: {health.many} averted at no extra cost"
    return incremental_cost / averted, f"EUR per {health.one} averted"


def compare(data: pd.DataFrame, baseline: str = "baseline", outcome: str = "infections") -> pd.DataFrame:
    """Per arm and outcome (outcome_labels), the median and 95% interval (2.5th and 97.5th
    percentiles) across seeds and `n`, the seeds with a value; `note` says what the row of cost per
    outcome averted means (see cost_per_outcome; its interval is left empty: a ratio of medians has
    none). `outcome`: the health outcome of that row (HEALTH_OUTCOMES, present in the runs).
    `data`: a frame from load_summaries (or load). Columns: arm, outcome, median, lower, upper, n, note."""
    runs = paired(data, baseline)
    check_outcome(outcome, health_outcomes(runs))
    rows = [row for row in outcome_labels(outcome) if row in runs.columns]
    long = runs.melt(id_vars="arm", value_vars=rows, var_name="outcome")
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    grouped = long.groupby(["arm", "outcome"], sort=False)["value"]
    table = pd.DataFrame({"median": grouped.median(), "lower": grouped.quantile(0.025),
                          "upper": grouped.quantile(0.975), "n": grouped.count()}).reset_index()
    table["note"] = ""
    table = pd.concat([table, cost_rows(table, outcome, baseline)], ignore_index=True)
    table["arm"] = pd.Categorical(table["arm"], arm_order(runs["arm"], baseline), ordered=True)
    table["outcome"] = pd.Categorical(table["outcome"], [r for r in outcome_labels(outcome) if r in set(table["outcome"])],
                                      ordered=True)
    table = table.sort_values(["arm", "outcome"], ignore_index=True)
    table.attrs["outcome"] = outcome
    return table


def cost_rows(table: pd.DataFrame, outcome: str, baseline: str) -> pd.DataFrame:
    """The row of cost per outcome averted of each arm, from the medians in `table`."""
    medians = table.pivot(index="arm", columns="outcome", values="median")
    seeds = table.pivot(index="arm", columns="outcome", values="n")
    rows = []
    for arm in medians.index:
        if arm == baseline:
            value, note = np.nan, "comparator"
        else:
            value, note = cost_per_outcome(medians.loc[arm].get("incremental_cost", np.nan),
                                           medians.loc[arm].get(f"{outcome}_averted", np.nan), outcome)
        rows.append({"arm": arm, "outcome": "cost_per_outcome_averted", "median": value, "lower": np.nan,
                     "upper": np.nan, "n": int(seeds.loc[arm].get(f"{outcome}_averted", 0)), "note": note})
    return pd.DataFrame(rows)
