"""Tidy tables for notebooks: rows picked from a loaded time series with their categories trimmed,
and the days-to-care histogram of each run as a long table.

    analysis.select(data, metric="new_infections", node=["border_post", "city"], policy="baseline")
    analysis.days_to_care(summaries)     # one row per run and delay: ..., days_waited, people, last_bin
"""

import numpy as np
import pandas as pd


def select(data: pd.DataFrame, **wanted) -> pd.DataFrame:
    """The rows of `data` whose columns hold the values asked for (one value, or a list of them):
    `select(data, metric="present", node=["a", "b"], seed=0)`. Categorical columns keep only the
    categories left, so groupby, value_counts and plots show nothing that was filtered away."""
    unknown = sorted(set(wanted) - set(data.columns))
    if unknown:
        raise KeyError(f"no column {unknown} in the data; columns: {list(data.columns)}")
    keep = np.ones(len(data), dtype=bool)
    for column, values in wanted.items():
        values = values if isinstance(values, (list, tuple, set)) else [values]
        keep &= data[column].isin(list(values)).to_numpy()
    picked = data[keep]  # a new frame, trimmed in place
    picked.attrs = dict(data.attrs)
    return trim_categories(picked)


def trim_categories(data: pd.DataFrame) -> pd.DataFrame:
    """Remove unused categories from the categorical columns of `data`, in place (a frame read
    or filtered for the purpose: no copy of a large frame); returns it."""
    for column in data.columns:
        if isinstance(data[column].dtype, pd.CategoricalDtype):
            data[column] = data[column].cat.remove_unused_categories()
    return data


def days_to_care(summaries: pd.DataFrame) -> pd.DataFrame:
    """The days-to-care histogram of each run (summary key `days_to_care_histogram`) as a long
    table: the run's parameter columns and `run`, `row` (its row in `summaries`), `days_waited` from
    symptom onset to a consultation, `people` seen after that many days, and `last_bin` (True for
    the last bin, which counts that many days or more)."""
    names = [*summaries.attrs.get("parameters", []), *(["run"] if "run" in summaries.columns else [])]
    parts = []
    for row, counts in summaries["days_to_care_histogram"].items():
        counts = np.asarray(counts if isinstance(counts, (list, np.ndarray)) else [], dtype=np.int64)
        part = pd.DataFrame({"row": row, "days_waited": np.arange(len(counts)), "people": counts,
                             "last_bin": np.arange(len(counts)) == len(counts) - 1})
        parts.append(part.assign(**{name: summaries.at[row, name] for name in names}))
    empty = pd.DataFrame(columns=[*names, "row", "days_waited", "people", "last_bin"])
    table = pd.concat(parts, ignore_index=True) if parts else empty
    table = table[[*names, "row", "days_waited", "people", "last_bin"]]
    table.attrs["parameters"] = list(summaries.attrs.get("parameters", []))
    return table
