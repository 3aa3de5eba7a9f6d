"""Policies compared across seeds, each run paired with the baseline run on the same seed.

An arm is a policy together with any swept `policy.*` setting (`screen_at_borders
(screening.borders.sensitivity=0.5)`); the pairing key is every other parameter (seed, scenario,
disease, days, ...), so each policy run is set against the baseline run that differs from it only
in its policy. Seeds share their random numbers across policies (sim/rng.py), so the paired
difference carries far less noise than a difference of medians.
"""

import numpy as np
import pandas as pd

IDENTITY = ("scenario", "disease", "policy", "seed")

# Outcomes per run, in table order, with the label and unit a reader sees.
OUTCOMES = {
    "infections_migrants": "infections among migrants (people)",
    "infections_hosts": "infections in host communities (people)",
    "infections_averted": "infections averted vs baseline, same seed (people)",
    "dalys": "DALYs, migrants and hosts (years)",
    "dalys_averted": "DALYs averted vs baseline, same seed (years)",
    "exported_infectious": "infectious people reaching destinations (people)",
    "deaths": "deaths, migrants and hosts (people)",
    "detected": "cases detected (people)",
    "doses": "vaccine doses given",
    "doses_protecting_after_exit": "doses whose protection starts only after the person left the route",
    "costs.total": "total cost of policies (EUR)",
    "incremental_cost": "cost above baseline, same seed (EUR)",
    "cost_per_infection_averted": "cost per infection averted (EUR; seeds with infections averted > 0)",
    "cost_per_daly_averted": "cost per DALY averted (EUR; seeds with DALYs averted > 0)",
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
    "doses_protecting_after_exit": ("migrants", "doses_protecting_after_exit"),
    "costs.total": ("migrants", "cost"),
}


def parameters(data: pd.DataFrame) -> list[str]:
    """The parameter columns of a frame from analysis.load or load_summaries."""
    return data.attrs.get("parameters") or [column for column in IDENTITY if column in data.columns]


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


def arm_labels(runs: pd.DataFrame) -> pd.Series:
    """Each run's arm: its policy, followed by any swept `policy.*` settings."""
    settings = [column for column in parameters(runs) if column.startswith("policy.")]

    def label(run) -> str:
        given = [f"{column.removeprefix('policy.')}={run[column]}" for column in settings if pd.notna(run[column])]
        return f"{run['policy']} ({', '.join(given)})" if given else str(run["policy"])

    return runs.apply(label, axis=1) if settings else runs["policy"].astype(str)


def paired(data: pd.DataFrame, baseline: str = "baseline") -> pd.DataFrame:
    """One row per run with its `arm`, `infections`, `deaths`, and against the baseline run on the
    same seed and settings: `infections_averted`, `dalys_averted` (where the runs' summaries give
    DALYs), `incremental_cost`, `cost_per_infection_averted` and `cost_per_daly_averted`
    (incremental cost / what was averted; missing where nothing was averted, since a cost per
    negative or zero averted means nothing).

    `baseline`: the arm the others are measured against. When no run of it is in `data`, the
    runs' own summary fields are kept (a run made with compare_to_baseline=true carries them).
    """
    runs = per_run(data)
    runs["arm"] = arm_labels(runs)
    runs["infections"] = runs["infections_migrants"] + runs["infections_hosts"]
    runs["deaths"] = runs["deaths_migrants"] + runs["deaths_hosts"]
    runs["dalys"] = pd.to_numeric(runs["dalys"], errors="coerce") if "dalys" in runs else np.nan
    reference = runs[runs["arm"] == baseline]
    if not reference.empty:
        key = [column for column in parameters(runs) if column != "policy" and not column.startswith("policy.")]
        if reference.duplicated(key).any():
            raise ValueError(f"several {baseline!r} runs share the same {key}: cannot pair them")
        reference = reference[key + ["infections", "dalys", "costs.total"]].rename(
            columns={"infections": "baseline_infections", "dalys": "baseline_dalys", "costs.total": "baseline_cost"})
        runs = runs.drop(columns=["baseline_infections", "baseline_dalys"], errors="ignore").merge(reference, on=key, how="left")
        runs["infections_averted"] = runs["baseline_infections"] - runs["infections"]
        runs["dalys_averted"] = runs["baseline_dalys"] - runs["dalys"]
        runs["incremental_cost"] = runs["costs.total"] - runs.pop("baseline_cost")
    for column in ("infections_averted", "dalys_averted", "incremental_cost"):
        runs[column] = pd.to_numeric(runs[column], errors="coerce") if column in runs else np.nan
    runs["cost_per_infection_averted"] = (runs["incremental_cost"] / runs["infections_averted"]).where(
        runs["infections_averted"] > 0)
    runs["cost_per_daly_averted"] = (runs["incremental_cost"] / runs["dalys_averted"]).where(runs["dalys_averted"] > 0)
    runs.attrs["parameters"] = parameters(data)
    return runs


def compare(data: pd.DataFrame, baseline: str = "baseline") -> pd.DataFrame:
    """Per arm and outcome (OUTCOMES), the median and 95% interval (2.5th and 97.5th
    percentiles) across seeds, and `n`, the seeds with a value. Cost per infection averted is
    summarised over the seeds where infections were averted (n says how many). `data`: a frame
    from load_summaries (or load). Columns: arm, outcome, median, lower, upper, n."""
    runs = paired(data, baseline)
    long = runs.melt(id_vars="arm", value_vars=list(OUTCOMES), var_name="outcome")
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    grouped = long.groupby(["arm", "outcome"], sort=False)["value"]
    table = pd.DataFrame({"median": grouped.median(), "lower": grouped.quantile(0.025),
                          "upper": grouped.quantile(0.975), "n": grouped.count()}).reset_index()
    table["arm"] = pd.Categorical(table["arm"], arm_order(runs["arm"], baseline), ordered=True)
    table["outcome"] = pd.Categorical(table["outcome"], list(OUTCOMES), ordered=True)
    return table.sort_values(["arm", "outcome"], ignore_index=True)
