"""Declared uncertainty: the numbers of a run's configuration or scenario file that carry a range
beside their value and source (`{value: 0.25, range: [0.18, 0.40], source: "..."}`), found, and
set to other values for the analyses that vary them.

The run itself uses the value (sim.fields.unwrap_sourced); an analysis lists the ranged numbers
(`uncertain`) and runs copies of the configuration or scenario with one or more of them moved
(`with_value`), without touching the files.
"""

import copy
from dataclasses import dataclass

from sim.fields import SOURCED_KEYS


@dataclass(frozen=True)
class Uncertain:
    """One ranged number: where it is (`config` or `scenario`), its path of keys and list
    indices there, its value and range, its source."""

    where: str
    path: tuple
    value: float
    low: float
    high: float
    source: str
    label: str

    @property
    def whole(self) -> bool:
        """A whole number (a capacity, a count): moved values are rounded."""
        return isinstance(self.value, int) and not isinstance(self.value, bool)


def uncertain(data, where: str) -> list[Uncertain]:
    """Every ranged number in `data` (a plain configuration or scenario mapping), in file order."""
    found = []

    def walk(item, path, label):
        if isinstance(item, dict):
            if "value" in item and "range" in item and set(item) <= SOURCED_KEYS:
                low, high = item["range"]
                found.append(Uncertain(where, path, item["value"], low, high, item.get("source", ""), label))
                return
            for key, value in item.items():
                walk(value, path + (key,), f"{label}.{key}" if label else str(key))
        elif isinstance(item, list):
            for i, value in enumerate(item):
                name = value.get("id") if isinstance(value, dict) else None
                walk(value, path + (i,), f"{label}[{name}]" if name else f"{label}[{i}]")

    walk(data, (), "")
    return found


def with_value(data, parameter: Uncertain, value: float):
    """A copy of `data` with the ranged number at `parameter.path` set to `value` (rounded for a
    whole number), keeping its range and source."""
    changed = copy.deepcopy(data)
    holder = changed
    for key in parameter.path[:-1]:
        holder = holder[key]
    holder[parameter.path[-1]] = {**holder[parameter.path[-1]], "value": round(value) if parameter.whole else value}
    return changed
