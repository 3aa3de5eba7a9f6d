"""Analysis of simulation outputs: figures for notebooks and reports."""

from analysis.figures import route_map

__all__ = ["route_map"]
