"""Decision support, as cost-effectiveness analysis does it (CHEERS 2022 reporting standard,
Husereau et al. 2022, BMJ 376:e067975; Drummond et al., Methods for the Economic Evaluation of
Health Care Programmes, 4th ed. 2015).

From the runs paired with baseline on the same seed (analysis.comparison.paired):
- each arm's expected (mean over seeds) cost above baseline and outcome averted: decisions rest on
  expected values (Claxton 1999, J Health Econ 18:341), and means, unlike medians, subtract
  consistently between any two arms;
- the efficiency frontier: options strongly dominated (another costs no more and averts no less)
  or extendedly dominated (a mix of two others would do better: its ICER exceeds the next one's)
  are marked; each option on the frontier gets its incremental cost-effectiveness ratio (ICER)
  against the next-best option on the frontier;
- net monetary benefit at willingness-to-pay thresholds: NMB = threshold x outcome averted - cost
  above baseline; arms ranked by expected NMB at the first threshold;
- the probability each arm is the most cost-effective at a threshold: the share of seeds (each a
  paired draw of the world: the same people, arrivals and chance events under every arm) on which
  its NMB is the highest; over a range of thresholds, the cost-effectiveness acceptability curve.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.comparison import check_outcome, health_outcomes, pairing_key

# Default willingness to pay per outcome averted (EUR), two thresholds each so a reader sees
# whether the choice turns on the threshold. Assumptions: set your own (`--wtp` on the command line).
THRESHOLDS = {
    "infections": (1_000.0, 10_000.0),
    "deaths": (30_000.0, 300_000.0),
    "exported_infectious": (1_000.0, 10_000.0),
    "dalys": (10_000.0, 30_000.0),
}
THRESHOLD_SOURCES = {
    "infections": "assumption: about the health-system cost of one case and its public-health response "
                  "(hundreds to a few thousand EUR); plausible range 100 to 10,000 EUR",
    "deaths": "assumption: 3 to 30 DALYs a death at 10,000 EUR a DALY; plausible range 10,000 to 1,000,000 EUR",
    "exported_infectious": "assumption: as for an infection; plausible range 100 to 10,000 EUR",
    "dalys": "assumption: 1 and 3 times GDP per head of a Western Balkan country (about 10,000 EUR), the "
             "WHO-CHOICE convention (WHO Commission on Macroeconomics and Health 2001), which Bertram et al. "
             "2016 (Bull World Health Organ 94:925) advise against using alone; plausible range 3,000 to 50,000 EUR",
}


@dataclass
class Decision:
    """The decision analysis of one health outcome."""

    outcome: str
    thresholds: tuple[float, ...]
    table: pd.DataFrame          # one row per arm, ranked: see decide()
    acceptability: pd.DataFrame  # threshold, arm, probability (the CEAC)
    draws: int                   # paired draws (seeds and other settings) with every arm


def decide(runs: pd.DataFrame, baseline: str = "baseline", outcome: str = "infections",
           thresholds: tuple[float, ...] | None = None, curve_points: int = 401) -> Decision:
    """The decision table and acceptability curve from `runs` (analysis.comparison.paired).

    Table columns: rank (by expected NMB at the first threshold), arm, cost (mean EUR above
    baseline), averted (mean outcome averted), status ('reference', 'frontier', 'dominated by X',
    'extendedly dominated', 'same as X'), against (the next-best option on the frontier), icer
    (EUR per outcome averted against it), then `nmb <threshold>` and `p_best <threshold>` for each
    threshold."""
    check_outcome(outcome, health_outcomes(runs))
    thresholds = tuple(float(t) for t in (thresholds or THRESHOLDS[outcome]))
    cost, averted = draws(runs, outcome)
    table = frontier(pd.DataFrame({"cost": cost.mean(), "averted": averted.mean()}))
    for threshold in thresholds:
        table[f"nmb {threshold:g}"] = threshold * table["averted"] - table["cost"]
        table[f"p_best {threshold:g}"] = best_shares(cost, averted, threshold)
    table = table.sort_values(f"nmb {thresholds[0]:g}", ascending=False, kind="stable")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    curve = acceptability_curve(cost, averted, np.linspace(0, curve_range(table, thresholds), curve_points))
    return Decision(outcome, thresholds, table.reset_index(names="arm"), curve, len(cost))


def draws(runs: pd.DataFrame, outcome: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cost above baseline and outcome averted, one row per paired draw (the pairing key: seed and
    any other shared setting) and one column per arm; draws missing an arm are left out."""
    key = pairing_key(runs)
    wide = runs.pivot_table(index=key, columns="arm", values=["incremental_cost", f"{outcome}_averted"],
                            aggfunc="first", sort=False, dropna=False).dropna()
    if wide.empty:
        raise ValueError(f"no seed has a run of every arm with a baseline to pair with ({key})")
    arms = list(pd.unique(runs["arm"]))
    return wide["incremental_cost"][arms], wide[f"{outcome}_averted"][arms]


def frontier(points: pd.DataFrame) -> pd.DataFrame:
    """`points` (index arm; cost, averted) with the status of each arm, the arm it is compared
    with and its ICER (EUR per outcome averted), along the efficiency frontier."""
    table = points.sort_values(["cost", "averted"], ascending=[True, False], kind="stable").copy()
    table["status"], table["against"], table["icer"] = "", "", np.nan
    for arm, point in table.iterrows():
        same = table[(table["cost"] == point["cost"]) & (table["averted"] == point["averted"])]
        better = table[(table["cost"] <= point["cost"]) & (table["averted"] >= point["averted"])
                       & ((table["cost"] < point["cost"]) | (table["averted"] > point["averted"]))]
        if not better.empty:
            table.loc[arm, "status"] = f"dominated by {better['averted'].idxmax()}"
        elif same.index[0] != arm:
            table.loc[arm, "status"] = f"same as {same.index[0]}"
    on_frontier = list(table.index[table["status"] == ""])
    while len(on_frontier) > 2:
        ratios = [icer(table, a, b) for a, b in zip(on_frontier, on_frontier[1:])]
        falling = [i for i in range(len(ratios) - 1) if ratios[i] > ratios[i + 1]]
        if not falling:
            break
        table.loc[on_frontier.pop(falling[0] + 1), "status"] = "extendedly dominated"
    table.loc[on_frontier[0], "status"] = "reference"
    for previous, arm in zip(on_frontier, on_frontier[1:]):
        table.loc[arm, ["status", "against", "icer"]] = ["frontier", previous, icer(table, previous, arm)]
    return table


def icer(table: pd.DataFrame, cheaper: str, dearer: str) -> float:
    return (table.loc[dearer, "cost"] - table.loc[cheaper, "cost"]) / (table.loc[dearer, "averted"] - table.loc[cheaper, "averted"])


def best_shares(cost: pd.DataFrame, averted: pd.DataFrame, threshold: float) -> pd.Series:
    """Per arm, the share of draws on which its net monetary benefit at `threshold` is the
    highest (a tie shares the draw)."""
    benefit = threshold * averted - cost
    best = benefit.eq(benefit.max(axis=1), axis=0)
    return best.div(best.sum(axis=1), axis=0).mean()


def acceptability_curve(cost: pd.DataFrame, averted: pd.DataFrame, thresholds: np.ndarray) -> pd.DataFrame:
    """The cost-effectiveness acceptability curve: threshold, arm, probability most cost-effective."""
    shares = [best_shares(cost, averted, threshold).rename(threshold) for threshold in thresholds]
    curve = pd.concat(shares, axis=1).T.rename_axis("threshold").reset_index()
    return curve.melt(id_vars="threshold", var_name="arm", value_name="probability")


def curve_range(table: pd.DataFrame, thresholds: tuple[float, ...]) -> float:
    """Thresholds up to twice the largest of those asked for and of the frontier's ICERs."""
    ratios = table["icer"][np.isfinite(table["icer"])]
    return 2 * max([*thresholds, *ratios.tolist()])

