"""Shared field types for every validated model: sourced numbers, bounds, strict models.

Any number may be written plainly or as `{value: x, source: "...", range: [low, high]}` (the
range a reader should consider, which analyses of uncertainty draw from), optionally with the
distribution they draw from over that range (`distribution: triangular`; `sd` for the normal and
lognormal ones; see DISTRIBUTIONS); models forbid unknown keys. Every number has a finite range the
model can hold: no infinity or NaN anywhere; integers (counts of people, capacities, populations)
fit the int32 the arrays keep them in unless a field says otherwise; other numbers lie within
+-MAX_MAGNITUDE, so sums and products over a run stay finite. Texts have lengths: identifiers,
names, and longer texts (descriptions, sources).
"""

import math
from datetime import date
from typing import Annotated, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator

NODE_KINDS = (
    "origin", "border", "transit_centre", "reception_centre",
    "clinic", "hospital", "destination", "informal_site",
)
AGE_GROUPS = ("0-4", "5-17", "18-59", "60+")
# People's day counters, timers and node and edge indices are int16 (sim.population): the longest
# run, journey or hold, and the most nodes and edges, a scenario may have. Stays and disease stages
# longer than MAX_DAYS are stored as MAX_DAYS: they end after any run, as they would have.
MAX_DAYS = 32_767
MAX_NODES = MAX_EDGES = 32_767
MAX_COUNT = 2**31 - 1  # people, capacities and populations are counted in int32 (person uids too)
MAX_MAGNITUDE = 1e15  # any other number: 1e15 times every count of a 32,767-day run is still finite
MAX_SHAPE = 100  # Erlang shapes: 100 is nearly fixed (CV 0.1); tabulating one takes longer with shape


SOURCED_KEYS = {"value", "source", "range", "distribution", "sd"}
# What a ranged number is drawn from, over its range (sim.uncertainty turns each into SALib's terms):
# uniform (the default), triangular peaking at the value, a normal of mean value and standard
# deviation sd truncated to the range, a lognormal of median value and sd of its logarithm truncated
# to the range, log-uniform (uniform in the logarithm; for ranges spanning orders of magnitude).
DISTRIBUTIONS = ("uniform", "triangular", "truncated_normal", "lognormal", "log_uniform")
WITH_SD = ("truncated_normal", "lognormal")
ABOVE_ZERO = ("lognormal", "log_uniform")


def unwrap_sourced(value):
    """Accept `{value: x, source: "...", range: [low, high], distribution: ..., sd: ...}` wherever
    a plain number is allowed; the range must hold the value, the distribution be one of
    DISTRIBUTIONS with what it needs."""
    if isinstance(value, dict) and "value" in value and set(value) <= SOURCED_KEYS:
        if "range" in value:
            check_range(value["value"], value["range"])
        if "distribution" in value or "sd" in value:
            check_distribution(value)
        return value["value"]
    return value


def check_range(value, bounds) -> None:
    if not (isinstance(bounds, list) and len(bounds) == 2
            and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)):
        raise ValueError(f"range {bounds!r}: give [low, high], two numbers")
    low, high = bounds
    if low > high:
        raise ValueError(f"range {bounds!r}: low above high")
    if isinstance(value, (int, float)) and not low <= value <= high:
        raise ValueError(f"value {value!r} lies outside its own range {bounds!r}")


def plain_number(value):
    """Refuse what pydantic would otherwise read as a number, or test against bounds first: true
    and false (read as 1 and 0), infinity and NaN."""
    if isinstance(value, bool):
        raise ValueError("a number, not true or false")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("a finite number (not infinity or NaN)")
    return value


def with_default_range(bounds: dict, limit: float) -> dict:
    """The bounds given, with -limit and +limit on the sides that have none."""
    return {**({} if {"ge", "gt"} & set(bounds) else {"ge": -limit}),
            **({} if {"le", "lt"} & set(bounds) else {"le": limit}), **bounds}
def check_distribution(number: dict) -> None:
    """A sourced number's distribution is known and has what it needs: a range, an sd where it
    takes one (and only there), a range above 0 where it takes logarithms."""
    name = number.get("distribution", "uniform")
    if name not in DISTRIBUTIONS:
        raise ValueError(f"distribution {name!r}: one of {', '.join(DISTRIBUTIONS)}")
    if "range" not in number:
        raise ValueError(f"distribution {name!r} needs a range [low, high] to draw from")
    sd = number.get("sd")
    if name in WITH_SD and not (isinstance(sd, (int, float)) and not isinstance(sd, bool) and sd > 0):
        raise ValueError(f"distribution {name!r} needs sd, a number above 0 (got {sd!r})")
    if name not in WITH_SD and sd is not None:
        raise ValueError(f"sd {sd!r} is used only by the distributions {', '.join(WITH_SD)}, not {name!r}")
    if name in ABOVE_ZERO and number["range"][0] <= 0:
        raise ValueError(f"distribution {name!r} needs a range above 0 (got {number['range']!r})")


def number(**bounds):
    """A finite float, within +-MAX_MAGNITUDE unless the bounds say otherwise."""
    return Annotated[float, BeforeValidator(plain_number), BeforeValidator(unwrap_sourced),
                     Field(strict=False, allow_inf_nan=False, **with_default_range(bounds, MAX_MAGNITUDE))]


def integer(**bounds):
    """A whole number, within +-MAX_COUNT unless the bounds say otherwise."""
    return Annotated[int, BeforeValidator(plain_number), BeforeValidator(unwrap_sourced), Field(**with_default_range(bounds, MAX_COUNT))]


Probability = number(ge=0, le=1)
Positive = number(gt=0)
NonNegative = number(ge=0)
Count = integer(ge=0)
Days = integer(ge=0, le=MAX_DAYS)
Shape = integer(ge=1, le=MAX_SHAPE)


def day_or_date(value):
    """A day of the run (0 is the scenario's start_date) or a calendar date (ISO: 2016-06-01)."""
    allowed = f"a day of the run (greater than or equal to 0 and less than or equal to {MAX_DAYS}) or a date (2016-06-01)"
    plain_number(value)
    if isinstance(value, date):
        return value.date() if hasattr(value, "date") and callable(value.date) else value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()) if "-" in value else int(value)
        except ValueError:
            raise ValueError(allowed) from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
        raise ValueError(allowed)
    return value


# When something starts or ends (a programme's start_day and end_day, an event's day and until)
DayOrDate = Annotated[Union[int, date], PlainValidator(day_or_date)]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=200)]  # shown on figures and in reports
Text = Annotated[str, Field(max_length=20_000)]  # descriptions and sources


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)




def day_of(when: Optional[Union[int, date]], start_date: date) -> Optional[int]:
    """A DayOrDate as a day of the run (a date as the days since the scenario's start_date)."""
    if when is None or isinstance(when, int):
        return when
    return (when - start_date).days


def window_problems(path: str, start, end, start_date: date, days: int, start_key: str = "start_day",
                    end_key: str = "end_day") -> list:
    """What is wrong with a window [start, end) of a run of `days` days from `start_date`: a date
    before the scenario starts, a start after the run's last day, an end not after the start.
    Returns (key, value, allowed) triples for the caller's Problem type."""
    problems = []
    for key, when in ((start_key, start), (end_key, end)):
        if isinstance(when, date) and not 0 <= day_of(when, start_date) <= MAX_DAYS:
            problems.append((f"{path}.{key}", when.isoformat(), f"a date from the scenario's start_date "
                             f"{start_date.isoformat()} on (at most {MAX_DAYS:,} days after it)"))
    if problems:
        return problems
    first, stop = day_of(start, start_date), day_of(end, start_date)
    if first is not None and first >= days:
        value = start.isoformat() if isinstance(start, date) else start
        problems.append((f"{path}.{start_key}", value, f"a day within the run: day 0 to {days - 1} "
                         f"({start_date.isoformat()} to {date.fromordinal(start_date.toordinal() + days - 1).isoformat()})"))
    if stop is not None and stop <= (first or 0):
        value = end.isoformat() if isinstance(end, date) else end
        problems.append((f"{path}.{end_key}", value, f"a day after {start_key} (day {first or 0}): it is the first "
                         f"day without it"))
    return problems
