"""The policy table: every shipped bundle against the baseline, on paired seeds, for each disease.

    python -m analysis policy-table                        # Western Balkans, COVID-19 and measles, 20 seeds
    python -m analysis policy-table --readme README.md     # and write it into the README

Runs each bundle of conf/policy/ and the baseline on the same seeds (a bundle made for other
diseases, `for_diseases`, is left out for a disease), one run directory each under `--folder`
(runs already complete are skipped, so it resumes), in parallel processes with one numba thread
each; then pairs each run with the baseline on its seed (analysis.compare) and writes a Markdown
table: median and 95% interval over seeds of infections averted, DALYs averted and the cost per
DALY averted, with the seeds where DALYs were averted, and the share of doses that protect only
after people left the route.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from joblib import Parallel, delayed

from analysis.batch import one_numba_thread_in_workers
from analysis.comparison import compare, paired
from analysis.runs import load_summaries
from analysis.sweep import run_saved
from sim.config import CONFIG_DIR

MARK_START, MARK_END = "<!-- policy-table: start -->", "<!-- policy-table: end -->"


def bundles() -> list[str]:
    """Every shipped bundle, baseline first."""
    return sorted((path.stem for path in (CONFIG_DIR / "policy").glob("*.yaml")), key=lambda name: (name != "baseline", name))


def made_for(bundle: str, disease: str) -> bool:
    diseases = yaml.safe_load((CONFIG_DIR / "policy" / f"{bundle}.yaml").read_text()).get("for_diseases")
    return not diseases or disease in diseases


def run_one(folder: Path, overrides: list[str]) -> None:
    """One run on one numba thread (the runs go side by side), in its own folder of `folder`."""
    run_saved(folder / ",".join(overrides), overrides, unrecorded=("threads=1",))


def sweep(folder: Path, scenario: str, diseases: list[str], seeds: int, days: int, jobs: int) -> list[tuple[str, str]]:
    """Run every (disease, bundle, seed); return the (disease, bundle) pairs left out."""
    runs, left_out = [], []
    for disease in diseases:
        for bundle in bundles():
            if not made_for(bundle, disease):
                left_out.append((disease, bundle))
                continue
            runs += [[f"scenario={scenario}", f"disease={disease}", f"policy={bundle}", f"days={days}", f"seed={seed}"]
                     for seed in range(seeds)]
    # a week of one run compiles the kernels before the workers start (past the reporting delay)
    run_one(folder / "warm-up", [f"scenario={scenario}", f"disease={diseases[0]}", "policy=combined", "days=7", "seed=0"])
    with one_numba_thread_in_workers():
        Parallel(n_jobs=jobs, backend="loky")(delayed(run_one)(folder, overrides) for overrides in runs)
    return left_out


def cell(row: pd.Series, digits: int = 0) -> str:
    if pd.isna(row["median"]):
        return "n/a"
    return f"{row['median']:,.{digits}f} [{row['lower']:,.{digits}f}, {row['upper']:,.{digits}f}]"


def cost_per_daly(cost: np.ndarray, averted: np.ndarray) -> float:
    """The cost per DALY averted of one set of seeds, as analysis.comparison reads it (median cost
    above baseline over median DALYs averted), on a scale that can be ranked: 0 when DALYs are
    averted at no extra cost (dominant), infinity when none are averted on the median seed."""
    cost, averted = np.median(cost), np.median(averted)
    if averted <= 0:
        return np.inf
    return max(cost, 0.0) / averted


def cost_per_daly_cell(arm_runs: pd.DataFrame, resamples: int = 2000) -> str:
    """The cost per DALY averted and its 95% percentile-bootstrap interval over the seeds (seeds
    drawn with replacement, fixed generator: the table is reproducible)."""
    cost, averted = arm_runs["incremental_cost"].to_numpy(float), arm_runs["dalys_averted"].to_numpy(float)
    if np.isnan(cost).any() or np.isnan(averted).any():
        return "n/a"
    draws = np.random.default_rng(0).integers(0, len(cost), size=(resamples, len(cost)))
    values = [cost_per_daly(cost[rows], averted[rows]) for rows in draws]
    lower, upper = np.percentile(values, [2.5, 97.5], method="inverted_cdf")
    text = lambda value: "not favourable" if np.isinf(value) else "dominant" if value == 0 else f"{value:,.0f}"
    return f"{text(cost_per_daly(cost, averted))} [{text(lower)}, {text(upper)}]"


def table(summaries: pd.DataFrame, left_out: list[tuple[str, str]], seeds: int) -> str:
    """The Markdown table of `summaries` (one row per run), one block of rows per disease."""
    lines = ["| disease | bundle | infections averted | DALYs averted | cost per DALY averted (EUR) | "
             "seeds with DALYs averted | doses protecting only after exit |",
             "|---|---|---|---|---|---|---|"]
    for disease, runs in summaries.groupby("disease", sort=True):
        runs.attrs["parameters"] = summaries.attrs["parameters"]
        compared = compare(runs, outcome="dalys").set_index(["arm", "outcome"])
        each = paired(runs)
        arms = [arm for arm in compared.index.get_level_values("arm").unique() if arm != "baseline"]
        for arm in arms:
            at = lambda outcome: compared.loc[(arm, outcome)]
            arm_runs = each[each["arm"] == arm]
            doses = arm_runs["doses"].sum()
            late = arm_runs["doses_protecting_after_exit"].sum() / doses if doses else None
            lines.append(f"| {disease} | `{arm}` | {cell(at('infections_averted'))} | {cell(at('dalys_averted'), 1)} | "
                         f"{cost_per_daly_cell(arm_runs)} | {int((arm_runs['dalys_averted'] > 0).sum())} of {seeds} | "
                         f"{'-' if late is None else f'{late:.0%}'} |")
    notes = [f"`{bundle}` is made for other diseases than {disease}" for disease, bundle in left_out]
    explained = ("Median and 95% interval over the paired seeds; the cost per DALY averted is the median cost above "
                 "baseline over the median DALYs averted, its interval a bootstrap over the seeds (dominant: DALYs "
                 "averted at no extra cost; not favourable: none averted on the median seed).")
    return "\n".join(lines) + "\n\n" + explained + ("\n\nLeft out: " + "; ".join(notes) + "." if notes else "")


def write_into(readme: Path, text: str) -> None:
    """Replace what lies between the table's markers in `readme`."""
    page = readme.read_text()
    if MARK_START not in page or MARK_END not in page:
        raise ValueError(f"{readme}: no {MARK_START} ... {MARK_END} markers to write the table between")
    before, rest = page.split(MARK_START, 1)
    after = rest.split(MARK_END, 1)[1]
    readme.write_text(f"{before}{MARK_START}\n{text}\n{MARK_END}{after}")


def policy_table(folder: Path, scenario: str, diseases: list[str], seeds: int, days: int, jobs: int) -> str:
    left_out = sweep(folder, scenario, diseases, seeds, days, jobs)
    summaries = load_summaries(folder)
    summaries = summaries[(summaries.scenario == scenario) & summaries.disease.isin(diseases)
                          & (summaries.seed < seeds) & (summaries.days == days)]
    summaries.attrs["parameters"] = [column for column in ("scenario", "disease", "policy", "days", "seed")]
    return table(summaries, left_out, seeds)
