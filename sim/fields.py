"""Shared field types for every validated model: sourced numbers, bounds, strict models.

Any number may be written plainly or as `{value: x, source: "...", range: [low, high]}` (the
range a reader should consider, which analyses of uncertainty draw from); models forbid unknown
keys.
"""

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

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


SOURCED_KEYS = {"value", "source", "range"}


def unwrap_sourced(value):
    """Accept `{value: x, source: "...", range: [low, high]}` wherever a plain number is allowed;
    the range must hold the value."""
    if isinstance(value, dict) and "value" in value and set(value) <= SOURCED_KEYS:
        if "range" in value:
            check_range(value["value"], value["range"])
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


def number(**bounds):
    return Annotated[float, BeforeValidator(unwrap_sourced), Field(strict=False, **bounds)]


def integer(**bounds):
    return Annotated[int, BeforeValidator(unwrap_sourced), Field(**bounds)]


Probability = number(ge=0, le=1)
Positive = number(gt=0)
NonNegative = number(ge=0)
Count = integer(ge=0)
Days = integer(ge=0, le=MAX_DAYS)
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


