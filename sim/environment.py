"""A water-borne reservoir at each node (cholera), for migrants and host communities alike.

Infectious people at a node shed into it, weighted by their infectiousness, per person present
(`load` is in infectious-person-days per person); it decays by `decay_per_day`; people are infected
from it at a daily rate r0_environment x decay x exposure x load / infectious days, so that one
infection at a node where everyone's exposure is 1 causes `r0` infections through the water over
the reservoir's life, whatever the node's size. Exposure is the site kind's `unsafe_water` for
migrants and the country's for hosts: piped, chlorinated water makes it small. The linear regime,
well below the infectious dose, is assumed (Codeco 2001, BMC Infect Dis 1:1).
"""

from dataclasses import dataclass

import numpy as np

from sim.disease import NaturalHistory
from sim.schema import Environment


@dataclass
class Reservoir:
    load: np.ndarray  # [node]
    decay: float
    rate_per_load: float

    @classmethod
    def start(cls, environment: Environment | None, disease: NaturalHistory, node_count: int) -> "Reservoir | None":
        if environment is None or environment.r0 == 0:
            return None
        decay = -np.expm1(-environment.decay_per_day)
        return cls(np.zeros(node_count), decay, environment.r0 * decay / disease.infectious_days)

    def step(self, infectious: np.ndarray, people: np.ndarray) -> np.ndarray:
        """Shed today's infectiousness per person and decay; the daily force of infection per
        unit of exposure at each node."""
        self.load = self.load * (1.0 - self.decay) + np.divide(infectious, people, out=np.zeros(people.shape),
                                                              where=people > 0)
        return self.rate_per_load * self.load
