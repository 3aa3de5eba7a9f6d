"""Which sites a policy applies at: by node kind, by node id, or both."""

from typing import Literal

import numpy as np

from sim.errors import Problem
from sim.fields import NODE_KINDS, Strict


class SiteSelector(Strict):
    kinds: list[Literal[NODE_KINDS]] = []
    ids: list[str] = []

    def mask(self, node_ids: tuple[str, ...], kinds: np.ndarray) -> np.ndarray:
        """Boolean per node: selected by kind or by id."""
        wanted_kinds = [NODE_KINDS.index(kind) for kind in self.kinds]
        return np.isin(kinds, wanted_kinds) | np.isin(np.array(node_ids, dtype=object), self.ids)

    def problems(self, path: str, node_ids: tuple[str, ...]) -> list[Problem]:
        known = set(node_ids)
        return [Problem(f"{path}.ids", node_id, "a node id of the scenario") for node_id in self.ids if node_id not in known]
