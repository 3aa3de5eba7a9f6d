"""Analysis of simulation outputs: loading runs and sweeps, comparing policies, deciding between
them, figures, reports.

    import analysis
    data = analysis.load("multirun/x", metrics=["new_infections"])  # tidy time series, parameters as columns
    summaries = analysis.load_summaries("multirun/x")  # one row per run
    analysis.compare(summaries)                        # per policy: median and 95% interval over seeds
    analysis.decide(analysis.paired(summaries))        # frontier, ICERs, net benefit, acceptability
    analysis.epidemic_curves(data)                     # and the other figures in analysis.figures
    analysis.write_report("multirun/x")                # or: python -m analysis report multirun/x
    analysis.MultiRun(["scenario=demo"], policies=["baseline", "combined"], seeds=range(3)).run().compare()
"""

from analysis.comparison import HEALTH_OUTCOMES, compare, paired
from analysis.decision import decide
from analysis.figures import (
    acceptability, capacity_use, cost_effectiveness, dose_response, epidemic_curves, forest_plot, heatmap, time_to_care,
)
from analysis.maps import infection_map, route_map
from analysis.multirun import MultiRun
from analysis.palette import policy_colour
from analysis.report import write_report
from analysis.report_tables import comparison_table, decision_table
from analysis.runs import load, load_summaries, scenario_graph
from analysis.sweep import run_sweep
from analysis.tables import days_to_care, select

__all__ = [
    "HEALTH_OUTCOMES", "MultiRun", "acceptability", "capacity_use", "compare", "comparison_table", "cost_effectiveness",
    "days_to_care", "decide", "decision_table", "dose_response", "epidemic_curves", "forest_plot", "heatmap",
    "infection_map", "load", "load_summaries", "paired", "policy_colour", "route_map", "run_sweep", "scenario_graph",
    "select", "time_to_care", "write_report",
]
