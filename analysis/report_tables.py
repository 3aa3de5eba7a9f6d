"""The report's tables as a reader sees them: every cell filled, numbers rounded to whole people
or euros, ranges only where seeds differ."""

import numpy as np
import pandas as pd

from analysis.comparison import HEALTH_OUTCOMES, outcome_labels, short_arm
from analysis.decision import Decision

SINGLE_RUN_ROWS = {
    "arrivals": "people entering the route",
    "infections_migrants": "infections among migrants (people)",
    "infections_hosts": "infections in host communities (people)",
    "deaths_migrants": "deaths among migrants (people)",
    "deaths_hosts": "deaths in host communities (people)",
    "exported_infectious": "infectious people reaching destinations (people)",
    "detected": "cases detected (people)",
    "doses": "vaccine doses given",
    "consultations": "consultations",
    "costs.total": "total cost of policies (EUR)",
    "dalys": "disability-adjusted life years lost (DALYs)",
}


def spread(median: float, lower: float, upper: float) -> str:
    """'median (lower to upper)', or the median alone where every seed gave the same."""
    if lower == upper:
        return f"{median:,.0f}"
    return f"{median:,.0f} ({lower:,.0f} to {upper:,.0f})"


def comparison_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison (analysis.compare) as a reader sees it: one row per outcome, one column per
    arm, each cell 'median (lower to upper)'; the cost per outcome averted as a number where it
    means one, else what it means ('comparator', 'not favourable: ...')."""
    def cell(row) -> str:
        if row["outcome"] == "cost_per_outcome_averted":
            return f"{row['median']:,.0f} {row['note']}" if np.isfinite(row["median"]) else row["note"]
        if row["n"] == 0:
            return "not paired: no baseline run on this seed"
        return spread(row["median"], row["lower"], row["upper"])

    cells = comparison.assign(cell=comparison.apply(cell, axis=1))
    table = cells.pivot(index="outcome", columns="arm", values="cell")
    labels = outcome_labels(comparison.attrs.get("outcome", "infections"))
    table.index = [labels[outcome] for outcome in table.index]
    table.columns = [short_arm(str(arm)) for arm in table.columns]
    return table


def decision_table(decision: Decision) -> pd.DataFrame:
    """The decision table (analysis.decision) as a reader sees it."""
    table = decision.table
    health = HEALTH_OUTCOMES[decision.outcome]

    def ratio(row) -> str:
        if row["status"] == "reference":
            return "reference: least costly on the frontier"
        if row["status"] == "frontier":
            return f"{row['icer']:,.0f} vs {short_arm(row['against'])}"
        return short_arm(row["status"])

    shown = pd.DataFrame({
        "rank": table["rank"],
        "policy": table["arm"].map(short_arm),
        "cost above baseline (EUR, mean)": table["cost"].map(lambda v: f"{v:,.0f}"),
        f"{health.many} averted (mean)": table["averted"].map(lambda v: f"{v:,.1f}"),
        f"ICER (EUR per {health.one} averted) vs next-best option": table.apply(ratio, axis=1),
    })
    for threshold in decision.thresholds:
        shown[f"NMB at {threshold:,.0f} EUR (mean, EUR)"] = table[f"nmb {threshold:g}"].map(lambda v: f"{v:,.0f}")
        shown[f"most cost-effective at {threshold:,.0f} EUR (% of seeds)"] = table[f"p_best {threshold:g}"].map(
            lambda v: f"{100 * v:.0f}%")
    return shown


def single_run_table(summaries: pd.DataFrame) -> pd.DataFrame:
    """Outcomes of one run (a value each), or of several runs of one arm (median and interval)."""
    rows = {key: label for key, label in SINGLE_RUN_ROWS.items() if key in summaries.columns}
    values = summaries[list(rows)].apply(pd.to_numeric, errors="coerce")
    if len(summaries) == 1:
        cells = [f"{value:,.0f}" for value in values.iloc[0]]
        return pd.DataFrame({"value": cells}, index=list(rows.values()))
    cells = [spread(values[key].median(), values[key].quantile(0.025), values[key].quantile(0.975)) for key in rows]
    return pd.DataFrame({f"median over {len(summaries)} runs (95% interval)": cells}, index=list(rows.values()))
