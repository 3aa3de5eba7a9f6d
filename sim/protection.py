"""Vaccine protection as one byte per person: an index into the run's few distinct efficacies."""

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from sim.errors import ConfigError, Problem


@dataclass(frozen=True)
class ProtectionLevels:
    """The distinct vaccine protections of a run, in ascending order, so that a person's protection
    is one byte: an index into `values` (0: none), and a higher index is more protection. A run has
    only a handful: the disease's (people vaccinated at origin) and those the policy's programmes
    give (sim.programme.Programme.protections). Values are float32, as the kernels read them."""

    values: np.ndarray

    @classmethod
    def of_run(cls, disease_efficacy: float, given: Iterable[float]) -> "ProtectionLevels":
        values = {0.0, float(disease_efficacy)} | {float(value) for value in given}
        levels = np.unique(np.array(sorted(values), dtype=np.float32))
        if levels.shape[0] > 256:
            raise ConfigError("config", [Problem("policy", f"{levels.shape[0] - 1} distinct efficacies",
                                                 "at most 255 across the disease and all programmes")])
        return cls(levels)

    def level(self, protection) -> np.ndarray:
        """The level index of each protection value (which must be one of the run's)."""
        found = np.searchsorted(self.values, np.asarray(protection, dtype=np.float32))
        return found.astype(np.uint8)
