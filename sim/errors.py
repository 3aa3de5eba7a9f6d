"""The one error type for bad input, and how its message reads."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One bad value: where it is, what it is, and what is allowed."""

    path: str
    value: object
    allowed: str

    def __str__(self) -> str:
        if self.value is None:  # a rule across several keys: the message says which
            return f"{self.path}: {self.allowed}"
        return f"{self.path}: {self.value!r} is not allowed: {self.allowed}"


class ConfigError(Exception):
    """Input that cannot be run. Raised before the first simulated day, never from a kernel."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s)"] + [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))
