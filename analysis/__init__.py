"""Analysis of simulation outputs: loading runs and sweeps, comparing policies, figures, reports.

    import analysis
    data = analysis.load("multirun/x")                # tidy time series of every run, parameters as columns
    summaries = analysis.load_summaries("multirun/x")  # one row per run
    analysis.compare(summaries)                        # per policy: median and 95% interval over seeds
    analysis.epidemic_curves(data)                     # and the other figures in analysis.figures
    analysis.write_report("multirun/x")                # or: python -m analysis report multirun/x
"""

from analysis.comparison import compare, paired
from analysis.figures import (
    capacity_use, cost_effectiveness, epidemic_curves, forest_plot, heatmap, infection_map, route_map, time_to_care,
)
from analysis.report import comparison_table, write_report
from analysis.runs import load, load_summaries, scenario_graph
from analysis.sweep import run_sweep

__all__ = [
    "capacity_use", "compare", "comparison_table", "cost_effectiveness", "epidemic_curves", "forest_plot", "heatmap",
    "infection_map", "load", "load_summaries", "paired", "route_map", "run_sweep", "scenario_graph", "time_to_care",
    "write_report",
]
