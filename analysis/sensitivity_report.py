"""The report of a sensitivity analysis folder (analysis.sensitivity): sensitivity.md with the
design, the indices and where the ranking of policies flips, beside the figures (PNG) and tables
(CSV) it reads."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.sensitivity import analyse, flip_summary, unit
from analysis.sensitivity_figures import OTHER_INDEX, TOTAL_INDEX, index_bars, ranking_flips
from analysis.validation import markdown, number_text

PAIRS = 3  # second-order indices listed per outcome, the largest first


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_")


def save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def interval(value: float, lower: float, upper: float) -> str:
    if np.isnan(lower):
        return number_text(value)
    return f"{number_text(value)} [{number_text(lower)}, {number_text(upper)}]"


def index_table(indices: pd.DataFrame, arm: str, method: str) -> list[str]:
    """Per outcome, the parameters ranked by their total index, with both indices and intervals."""
    total, other = TOTAL_INDEX[method], OTHER_INDEX[method]
    lines = []
    for outcome, rows in indices[indices["arm"] == arm].groupby("outcome", sort=False):
        pairs = rows[rows["index"] == "S2"].sort_values("value", ascending=False).head(PAIRS)
        wide = rows[rows["index"] != "S2"].pivot(index="parameter", columns="index", values=["value", "lower", "upper"])
        wide = wide.sort_values(("value", total), ascending=False)
        table = pd.DataFrame({
            "parameter": wide.index,
            "total": [interval(*wide.loc[p, [(c, total) for c in ("value", "lower", "upper")]]) for p in wide.index],
            "other": [interval(*wide.loc[p, [(c, other) for c in ("value", "lower", "upper")]]) for p in wide.index],
        })
        lines += [f"**{unit(outcome)}**", ""]
        lines += markdown(table, {"parameter": "parameter", "total": f"{total} [95% interval]",
                                  "other": f"{other}" + (" [95% interval]" if method == "sobol" else "")})
        lines.append("")
        if not pairs.empty:
            lines += ["Largest second-order indices (S2: the share of variance a pair's interaction alone explains): "
                      + "; ".join(f"{row.parameter} {interval(row.value, row.lower, row.upper)}"
                                  for row in pairs.itertuples()), ""]
    return lines


def threshold_text(threshold: float, clear: bool) -> str:
    if not np.isfinite(threshold):
        return "-"
    return number_text(threshold) if clear else f"unclear ({number_text(threshold)})"


def write_report(folder: Path, wtp: float | None = None) -> list[Path]:
    folder = Path(folder)
    found = analyse(folder, wtp)
    record, indices, ranking = found["record"], found["indices"], found["flips"]
    method, points = record["method"], len(record["points"])
    runs = points * len(record["policies"]) * record["seeds"]
    lines = [f"# Sensitivity analysis: {method.capitalize()}, {record['scenario']}, {record['disease']}", "",
             f"{points:,} points drawn by SALib from the declared ranges ({record['samples']} "
             f"{'trajectories' if method == 'morris' else 'base samples'}), each under "
             f"{', '.join(record['policies'])} on {record['seeds']} paired seed(s): {runs:,} runs of {record['days']} days."
             f" Outcomes are means over a point's seeds, paired with {record['policies'][0]} on the same point and seed."
             + (f" Calibration applied: {record['calibration']}." if record.get("calibration") else ""), "",
             "## Parameters", ""]
    declared = pd.DataFrame(record["declared"])
    declared["range"] = [f"{number_text(lo)} to {number_text(hi)}" for lo, hi in zip(declared["low"], declared["high"])]
    declared["distribution"] = [d if sd is None or pd.isna(sd) else f"{d} (sd {sd:g})"
                                for d, sd in zip(declared["distribution"], declared["sd"])]
    lines += markdown(declared, {"label": "parameter", "where": "in", "value": "value", "range": "range",
                                 "distribution": "distribution", "source": "source"})
    written = []
    lines += ["", "## Indices", "",
              "Morris: mu* is the mean absolute change of the outcome when the parameter moves across its range "
              "(in the outcome's unit), sigma the spread of those changes (interactions, a curved response)."
              if method == "morris" else
              "Sobol: S1 is the share of the outcome's variance the parameter explains alone, ST with all its "
              "interactions; intervals are SALib's bootstrap 95% intervals.", ""]
    for arm in dict.fromkeys(indices["arm"]):
        path = save(index_bars(indices, arm, method, points), folder / f"indices_{slug(arm)}.png")
        written.append(path)
        lines += [f"### {arm}", "", f"![indices under {arm}]({path.name})", ""] + index_table(indices, arm, method)
    lines += [f"- {note}" for note in found["notes"]] + [""]
    if not ranking.empty:
        lines += ["## Where the ranking flips", "",
                  "The share of points (sampled worlds) on which the first policy beats the second, over all points and "
                  "at the parameter's lowest and highest values (bins), and the value where the share crosses one half "
                  "('-': it does not, along that parameter; 'unclear': it does, but no bin's 95% interval lies on each "
                  "side of one half). Intervals treat points as independent, which a Morris trajectory's are not: "
                  "read thresholds from a Sobol sample.", ""]
        summary = flip_summary(ranking)
        for (a, b, criterion), rows in summary.groupby(["a", "b", "criterion"], sort=False):
            path = save(ranking_flips(ranking, a, b, criterion), folder / f"flips_{slug(a)}_vs_{slug(b)}_{slug(criterion)}.png")
            written.append(path)
            rows = rows.assign(**{column: rows[column].map(lambda v: f"{v:.0%}") for column in ("overall", "at_low", "at_high")},
                               threshold=[threshold_text(t, clear) for t, clear in zip(rows["threshold"], rows["clear"])])
            lines += [f"### {a} against {b}, by {criterion}", "", f"![flips]({path.name})", ""]
            lines += markdown(rows, {"parameter": "parameter", "overall": f"{a} ahead (all points)",
                                     "at_low": "at the lowest values", "at_high": "at the highest values",
                                     "threshold": "crosses one half at"})
            lines.append("")
    report = folder / "sensitivity.md"
    report.write_text("\n".join(lines) + "\n")
    return [report, *written]
