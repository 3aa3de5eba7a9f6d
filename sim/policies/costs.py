"""Unit costs, and the cost of a run from its counts."""

import numpy as np

from sim.fields import NonNegative, Strict


class CostConfig(Strict):
    """Unit costs; defaults, with their sources, are in conf/policy/baseline.yaml."""

    currency: str
    dose: NonNegative
    test: dict[str, NonNegative]
    consultation: NonNegative
    isolation_day: NonNegative
    team_day: NonNegative
    sources: dict[str, str] = {}

    def cost_of(self, counts: dict[str, float], tests_by_method: dict[str, float], team_days: float) -> dict[str, float]:
        """Costs by item from totals."""
        items = {
            "doses": counts["doses"] * self.dose,
            "tests": float(sum(tests_by_method[m] * self.test.get(m, 0.0) for m in tests_by_method)),
            "consultations": counts["consultations"] * self.consultation,
            "isolation": counts["isolation_days"] * self.isolation_day,
            "mobile_teams": team_days * self.team_day,
        }
        items["total"] = float(np.sum(list(items.values())))
        return items
