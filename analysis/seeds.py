"""One command-line run over paired seeds: what `python run.py policy=X` prints by default.

A single seed's difference between a policy and baseline is mostly noise (the default measles run
under `combined` averted 931 infections on seed 0, and from -2,173 to +6,475 over ten seeds), so
a run with `seeds: N` (conf/config.yaml, 10 by default) runs the policy and baseline on the seeds
seed .. seed+N-1 and reports medians with 95% intervals over them. The runs go into `seeds/` of the
run folder, laid out as a sweep (`seeds/policy=X,seed=3/`, ...; `python -m analysis report
<folder>/seeds` reads it as one), each verified and skipped when run again; `intervals.json` in the
run folder is written last: present only when every seed is done. `seeds=1` is the single run of before, written into the folder itself.
"""

import json
from pathlib import Path

import networkx as nx
import pandas as pd
from tqdm.auto import tqdm

from analysis.comparison import HEALTH_OUTCOMES, compare, health_outcomes, paired
from analysis.runs import load_summaries
from analysis.sweep import save_as_sweep_run
from sim.api import run_identity, simulate_prepared
from sim.config import folder_name
from sim.results import output_problem, strict_json, write_atomically
from sim.runconfig import RunConfig

INTERVALS = "intervals.json"
SEEDS = "seeds"  # the folder of the runs, in the run folder
# What the command line prints per arm, in order, with the reader's label.
SHOWN = (
    ("arrivals", "people entering the route"),
    ("infections_migrants", "infections among migrants"),
    ("infections_hosts", "infections in host communities"),
    ("deaths", "deaths, migrants and hosts"),
    ("exported_infectious", "infectious people reaching destinations"),
    ("dalys", "DALYs lost, migrants and hosts"),
    ("infections_averted", "infections averted against baseline"),
    ("dalys_averted", "DALYs averted against baseline"),
    ("costs.total", "total cost"),
    ("incremental_cost", "cost above baseline"),
)
AGAINST_BASELINE = ("infections_averted", "dalys_averted", "incremental_cost")


def arms(config: RunConfig) -> list[RunConfig]:
    """The policy, with baseline first when it is compared (as `compare_to_baseline` asks)."""
    if config.compare_to_baseline and config.policy.name != "baseline":
        return [config.model_copy(update={"policy": config.policy.baseline()}), config]
    return [config]


def run_seeds(config: RunConfig, graph: nx.DiGraph, folder: Path, progress: bool) -> pd.DataFrame:
    """Every arm on seeds config.seed .. config.seed + config.seeds - 1, one folder each in
    `folder/seeds`, skipping runs whose outputs verify; then the comparison (analysis.compare), also
    written to `folder/intervals.json`. Returns the comparison."""
    folder = Path(folder)
    (folder / INTERVALS).unlink(missing_ok=True)
    runs = [(arm.model_copy(update={"seed": seed, "seeds": 1}), seed)
            for seed in seeds(config) for arm in arms(config)]
    for run, seed in tqdm(runs, desc=f"{config.seeds} seeds", unit="run", disable=not progress):
        overrides = [f"policy={run.policy.name}", f"seed={seed}"]
        where = folder / SEEDS / folder_name(",".join(overrides))
        if output_problem(where, run_identity(run, graph), run.model_dump(mode="json", by_alias=True)) is not None:
            save_as_sweep_run(simulate_prepared(run, graph, progress=False, compare_to_baseline=False), where, overrides)
    summaries = load_summaries(folder / SEEDS)
    mine = summaries["seed"].isin(seeds(config)) & summaries["policy"].isin([arm.policy.name for arm in arms(config)])
    summaries = summaries[mine].reset_index(drop=True)
    summaries.attrs["parameters"] = ["policy", "seed"]
    outcome = cost_outcome(summaries)
    table = pd.concat([per_arm(summaries, "arrivals"), compare(summaries, outcome=outcome).astype({"arm": str, "outcome": str})],
                      ignore_index=True)
    table.attrs["outcome"] = outcome
    text = intervals_json(config, graph.graph["name"], table)
    write_atomically(folder / INTERVALS, lambda path: Path(path).write_text(text))
    return table


def seeds(config: RunConfig) -> range:
    return range(config.seed, config.seed + config.seeds)


def cost_outcome(summaries: pd.DataFrame) -> str:
    """DALYs where the runs carry them (every shipped disease does), else infections."""
    return "dalys" if "dalys" in health_outcomes(paired(summaries)) else "infections"


def per_arm(summaries: pd.DataFrame, column: str) -> pd.DataFrame:
    """Median and 95% interval of a summary column per policy, as rows of analysis.compare."""
    grouped = summaries.groupby("policy")[column]
    return pd.DataFrame({"median": grouped.median(), "lower": grouped.quantile(0.025),
                         "upper": grouped.quantile(0.975), "n": grouped.count()}).rename_axis("arm").reset_index().assign(
        outcome=column, note="")


def intervals_json(config: RunConfig, scenario_name: str, table: pd.DataFrame) -> str:
    """The comparison as JSON: what was run, and a row per arm and outcome (median, lower, upper,
    n seeds, note); numbers that are not defined are null."""
    rows = json.loads(table.to_json(orient="records"))  # NaN: null
    return strict_json({
        "scenario": scenario_name, "disease": config.disease.name, "policy": config.policy.name,
        "days": config.days, "seeds": list(seeds(config)),
        "cost_outcome": table.attrs["outcome"], "statistic": "median and 2.5th-97.5th percentiles over seeds",
        "rows": rows,
    })


def number(value: float, digits: int = 0) -> str:
    return "n/a" if pd.isna(value) else f"{value:,.{digits}f}"


def interval(row, digits: int = 0) -> str:
    return f"{number(row['median'], digits)} [{number(row['lower'], digits)}, {number(row['upper'], digits)}]"


def format_intervals(config: RunConfig, scenario_name: str, table: pd.DataFrame, folder: Path) -> str:
    """The terminal's account: per arm, each outcome's median and 95% interval over the seeds,
    the cost per outcome averted with what it means, and where the runs are."""
    first, last = config.seed, config.seed + config.seeds - 1
    lines = [f"{scenario_name} / {config.disease.name} / {config.policy.name}, {config.days} days, "
             f"{config.seeds} paired seeds ({first}-{last}): median [95% interval]"]
    rows = table.set_index(["arm", "outcome"])
    currency = config.policy.currency
    for arm in [arm.policy.name for arm in arms(config)]:
        lines.append(f"  {arm}")
        for outcome, label in SHOWN:
            if (arm, outcome) not in rows.index or (arm == "baseline" and outcome in AGAINST_BASELINE):
                continue
            row = rows.loc[(arm, outcome)]
            unit = f" ({currency})" if outcome in ("costs.total", "incremental_cost") else ""
            lines.append(f"    {label + unit:<46} {interval(row, 1 if outcome.startswith('dalys') else 0)}")
        if arm != "baseline" and (arm, "cost_per_outcome_averted") in rows.index:
            row = rows.loc[(arm, "cost_per_outcome_averted")]
            health = HEALTH_OUTCOMES[table.attrs["outcome"]]
            label = f"cost per {health.one} averted ({currency})"
            shown = number(row["median"]) if pd.notna(row["median"]) else "-"
            lines.append(f"    {label:<46} {shown}  ({row['note']})")
    lines.append(f"  runs: {folder / SEEDS} (python -m analysis report {folder / SEEDS})")
    return "\n".join(lines)
