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

import os
from pathlib import Path

import pandas as pd
import yaml
from joblib import Parallel, delayed

from analysis.comparison import compare
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
    os.environ["NUMBA_NUM_THREADS"] = "1"  # inherited by the worker processes
    run_one(folder / "warm-up", [f"scenario={scenario}", f"disease={diseases[0]}", "policy=combined", "days=2", "seed=0"])
    Parallel(n_jobs=jobs, backend="loky")(delayed(run_one)(folder, overrides) for overrides in runs)
    return left_out


def cell(row: pd.Series, digits: int = 0) -> str:
    if pd.isna(row["median"]):
        return "n/a"
    return f"{row['median']:,.{digits}f} [{row['lower']:,.{digits}f}, {row['upper']:,.{digits}f}]"


def table(summaries: pd.DataFrame, left_out: list[tuple[str, str]], seeds: int) -> str:
    """The Markdown table of `summaries` (one row per run), one block of rows per disease."""
    lines = ["| disease | bundle | infections averted | DALYs averted | cost per DALY averted (EUR) | "
             "seeds with DALYs averted | doses protecting only after exit |",
             "|---|---|---|---|---|---|---|"]
    for disease, runs in summaries.groupby("disease", sort=True):
        runs.attrs["parameters"] = summaries.attrs["parameters"]
        compared = compare(runs).set_index(["arm", "outcome"])
        arms = [arm for arm in compared.index.get_level_values("arm").unique() if arm != "baseline"]
        for arm in arms:
            at = lambda outcome: compared.loc[(arm, outcome)]
            doses = runs[runs.policy == arm]
            late = doses["doses_protecting_after_exit"].sum() / doses["doses"].sum() if doses["doses"].sum() else None
            lines.append(f"| {disease} | `{arm}` | {cell(at('infections_averted'))} | {cell(at('dalys_averted'), 1)} | "
                         f"{cell(at('cost_per_daly_averted'))} | {int(at('cost_per_daly_averted')['n'])} of {seeds} | "
                         f"{'-' if late is None else f'{late:.0%}'} |")
    notes = [f"`{bundle}` is made for other diseases than {disease}" for disease, bundle in left_out]
    return "\n".join(lines) + ("\n\nLeft out: " + "; ".join(notes) + "." if notes else "")


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
