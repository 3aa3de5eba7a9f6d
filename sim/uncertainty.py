"""Declared uncertainty: the numbers of a run's configuration or scenario file that carry a range
beside their value and source (`{value: 0.25, range: [0.18, 0.40], source: "..."}`), optionally
with the distribution to draw them from over the range (`distribution: triangular`; see
sim.fields.DISTRIBUTIONS), found, and set to other values for the analyses that vary them.

The run itself uses the value (sim.fields.unwrap_sourced); an analysis lists the ranged numbers
(`uncertain`), picks some by label (`select`), draws them through SALib (`problem`: its problem
specification, distributions included) or scipy (`Uncertain.frozen`), and runs copies of the
configuration or scenario with one or more of them moved (`with_value`, `with_values`), without
touching the files.

Each distribution is drawn in its own space: the number itself, except the lognormal, drawn as a
normal of its logarithm (mean log value, standard deviation sd, truncated to the log of the
range) and exponentiated (`Uncertain.from_draw`), since SALib has no truncated lognormal.
"""

import copy
import fnmatch
import math
from dataclasses import dataclass
from typing import Optional

from scipy import stats

from sim.fields import SOURCED_KEYS

PEAK_BELOW_ONE = 1 - 1e-9  # SALib refuses a triangle peaking at its upper end (c = 1); this is as near


@dataclass(frozen=True)
class Uncertain:
    """One ranged number: where it is (`config` or `scenario`), its path of keys and list
    indices there, its value and range, its source, its label (the dotted path, with node and
    edge ids for list items), the distribution it is drawn from and that distribution's sd."""

    where: str
    path: tuple
    value: float
    low: float
    high: float
    source: str
    label: str
    distribution: str = "uniform"
    sd: Optional[float] = None

    @property
    def whole(self) -> bool:
        """A whole number (a capacity, a count): moved values are rounded."""
        return isinstance(self.value, int) and not isinstance(self.value, bool)

    @property
    def logarithmic(self) -> bool:
        return self.distribution == "lognormal"

    def to_draw(self, value: float) -> float:
        """A value of the number in the space it is drawn in (its logarithm for a lognormal)."""
        return math.log(value) if self.logarithmic else value

    def from_draw(self, draw: float) -> float:
        """A draw (from SALib or `frozen`) back to a value of the number."""
        return math.exp(draw) if self.logarithmic else float(draw)

    @property
    def draw_bounds(self) -> tuple[float, float]:
        return self.to_draw(self.low), self.to_draw(self.high)

    def check_width(self) -> None:
        if not self.low < self.high:
            raise ValueError(f"{self.label}: range [{self.low}, {self.high}] has no width: there is nothing to vary")

    def salib(self) -> tuple[str, list[float]]:
        """The distribution in SALib's terms: its name (`dists`) and its `bounds` entry."""
        self.check_width()
        low, high = self.draw_bounds
        if self.distribution == "triangular":
            return "triang", [low, high, min((self.value - low) / (high - low), PEAK_BELOW_ONE)]
        if self.distribution in ("truncated_normal", "lognormal"):
            return "truncnorm", [low, high, self.to_draw(self.value), self.sd]
        if self.distribution == "log_uniform":
            return "logunif", [low, high]
        return "unif", [low, high]

    def frozen(self):
        """The same distribution as a frozen scipy.stats distribution, in the draw space."""
        self.check_width()
        low, high = self.draw_bounds
        if self.distribution == "triangular":
            return stats.triang((self.value - low) / (high - low), loc=low, scale=high - low)
        if self.distribution in ("truncated_normal", "lognormal"):
            centre = self.to_draw(self.value)
            return stats.truncnorm((low - centre) / self.sd, (high - centre) / self.sd, loc=centre, scale=self.sd)
        if self.distribution == "log_uniform":
            return stats.loguniform(low, high)
        return stats.uniform(loc=low, scale=high - low)


def uncertain(data, where: str) -> list[Uncertain]:
    """Every ranged number in `data` (a plain configuration or scenario mapping), in file order."""
    found = []

    def walk(item, path, label):
        if isinstance(item, dict):
            if "value" in item and "range" in item and set(item) <= SOURCED_KEYS:
                low, high = item["range"]
                found.append(Uncertain(where, path, item["value"], low, high, item.get("source", ""), label,
                                       item.get("distribution", "uniform"), item.get("sd")))
                return
            for key, value in item.items():
                walk(value, path + (key,), f"{label}.{key}" if label else str(key))
        elif isinstance(item, list):
            for i, value in enumerate(item):
                name = value.get("id") if isinstance(value, dict) else None
                walk(value, path + (i,), f"{label}[{name}]" if name else f"{label}[{i}]")

    walk(data, (), "")
    return found


def select(parameters: list[Uncertain], wanted) -> list[Uncertain]:
    """The parameters named in `wanted` (labels, or patterns with `*`: `transmission.unit_size.*`),
    in the order given, each once; `all` (or nothing asked) gives every one. An unknown name is a
    ValueError listing the labels there are."""
    wanted = [name.strip() for name in (wanted or ["all"]) if name.strip()]
    if wanted == ["all"]:
        return list(parameters)
    by_label = {parameter.label: parameter for parameter in parameters}
    chosen = {}
    for name in wanted:
        pattern = name.replace("[", "[[]") if "*" in name else None
        matches = [p for label, p in by_label.items() if label == name or (pattern and fnmatch.fnmatchcase(label, pattern))]
        if not matches:
            raise ValueError(f"parameter {name!r} is not a ranged number here; choose among: "
                             + ", ".join(by_label) if by_label else f"parameter {name!r}: no number here has a range")
        chosen.update({p.label: p for p in matches})
    return list(chosen.values())


def problem(parameters: list[Uncertain]) -> dict:
    """SALib's problem specification of `parameters`: names (their labels), bounds and dists."""
    specs = [parameter.salib() for parameter in parameters]
    return {"num_vars": len(parameters), "names": [p.label for p in parameters],
            "dists": [dist for dist, _ in specs], "bounds": [bounds for _, bounds in specs]}


def with_value(data, parameter: Uncertain, value: float):
    """A copy of `data` with the ranged number at `parameter.path` set to `value` (rounded for a
    whole number), keeping its range and source."""
    return with_values(data, {parameter: value})


def with_values(data, values: dict[Uncertain, float]):
    """A copy of `data` with each ranged number of `values` (parameter -> value) moved."""
    changed = copy.deepcopy(data)
    for parameter, value in values.items():
        holder = changed
        for key in parameter.path[:-1]:
            holder = holder[key]
        holder[parameter.path[-1]] = {**holder[parameter.path[-1]],
                                      "value": round(value) if parameter.whole else float(value)}
    return changed
