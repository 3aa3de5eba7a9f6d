"""Where migrants' contacts happen at a node, and the force of infection they give each day.

A migrant's daily contacts (scaled so that beta x contacts gives r0 in a well-mixed crowd) are
split three ways (sim.schema.Transmission):
- the living unit (`unit_contact_share`): a unit holds `unit_size` people at nominal occupancy.
  A site with a built capacity has capacity / unit_size units, so when more people are present
  than it was built for, each unit holds proportionally more and each person meets more
  unit-mates; a site built for nobody (capacity 0) opens units as people come. A person's
  unit-mates are their travel group first (those co-located), then others of the site. Unit
  contacts are density-dependent within the unit: everyone meets everyone they share it with.
- the host community (`host_contact_share` by kind of site), where the node has one;
- the rest of the site, frequency-dependent, with who meets whom by age (`site_mixing`).
On an edge only the travel group is met. A water-borne reservoir (sim.environment) adds to the
site's force where the disease has one.

Each day's `Exposure` (sim.kernels) is built here from what progression counted, and the
reproduction number of each site is accumulated for the summary.
"""

import networkx as nx
import numpy as np

from sim.disease import INFECTIOUSNESS_SCALE, NaturalHistory
from sim.fields import NODE_KINDS
from sim.kernels import Exposure, Holdings
from sim.routes import Routes
from sim.schema import Transmission


class ContactStructure:
    def __init__(self, graph: nx.DiGraph, routes: Routes, disease: NaturalHistory, transmission: Transmission):
        kinds = [NODE_KINDS[k] for k in routes.kind]
        nodes = [graph.nodes[node_id] for node_id in routes.node_ids]
        self.beta = disease.beta
        self.unit_share = transmission.unit_contact_share
        self.unit_size = np.array([node.get("unit_size") or transmission.unit_size[kind] for node, kind in zip(nodes, kinds)])
        self.built_for(routes.capacity)
        self.host_share = np.where(routes.host_population > 0, [transmission.host_contact_share[k] for k in kinds], 0.0)
        self.site_share = 1.0 - self.unit_share - self.host_share
        self.unsafe_water = np.array([transmission.unsafe_water[k] for k in kinds])
        self.site_mixing = transmission.site_mixing
        self.reproduction = np.zeros(routes.node_count)  # sum over days with people present
        self.days_present = np.zeros(routes.node_count)

    def built_for(self, capacity: np.ndarray) -> None:
        """The living units of sites built for `capacity` people (a change of capacity on a day)."""
        self.units = np.where(capacity > 0, capacity / self.unit_size, 0.0)  # 0: opened as needed

    def unit_mates(self, present: np.ndarray) -> np.ndarray:
        """People each person shares a unit with, on average: unit_size - 1 at nominal
        occupancy, more above capacity, never more than the others present."""
        occupancy = np.where(self.units > 0, np.maximum(self.unit_size, np.divide(present, self.units, out=np.zeros(present.shape), where=self.units > 0)),
                             self.unit_size)
        return np.clip(np.minimum(occupancy, present) - 1.0, 0.0, None)

    def exposure(self, held: Holdings, host_rate: np.ndarray, host_susceptible: np.ndarray, water: np.ndarray) -> Exposure:
        """Today's force of infection at each node, from the people present after progression,
        the host communities (`host_rate`; `host_susceptible`: their susceptible share) and the
        water (`water`, per unit of exposure)."""
        present_by_age = held.present_by_age.astype(float)
        infectious_by_age = held.infectious_fixed_by_age / INFECTIOUSNESS_SCALE
        present = present_by_age.sum(axis=1)
        prevalence = np.divide(infectious_by_age.sum(axis=1), present, out=np.zeros(present.shape), where=present > 0)
        prevalence_by_age = np.divide(infectious_by_age, present_by_age, out=np.zeros(present_by_age.shape),
                                      where=present_by_age > 0)
        mixing = self.site_mixing.who_meets_whom(present_by_age)  # [node, age, age]
        site_rate = (self.beta * self.site_share)[:, None] * np.einsum("nab,nb->na", mixing, prevalence_by_age)
        site_rate += (self.unsafe_water * water)[:, None]
        per_mate = self.beta * self.unit_share / (self.unit_size - 1.0)
        mates = self.unit_mates(present)
        self.record(held.present_susceptible, present, mates, host_susceptible)
        return Exposure(site_rate=site_rate, host_rate=host_rate, host_share=self.host_share,
                        family_rate=per_mate, stranger_rate=per_mate * prevalence, mates=mates,
                        edge_rate=self.beta * self.unit_share)

    def record(self, susceptible: np.ndarray, present: np.ndarray, mates: np.ndarray, host_susceptible: np.ndarray) -> None:
        """Add today's reproduction number at each site where people are: secondary infections an
        infectious migrant would cause there over a whole infectious period, among the migrants
        present (through the site and the unit) and the hosts, at today's occupancy and
        susceptibility."""
        share = np.divide(susceptible, present, out=np.zeros(present.shape), where=present > 0)
        contacts = self.site_share + self.unit_share * mates / (self.unit_size - 1.0)
        today = contacts * share + self.host_share * host_susceptible
        here = present > 0
        self.reproduction[here] += today[here]
        self.days_present[here] += 1

    def reproduction_numbers(self, r0: float, environment_r0: float) -> np.ndarray:
        """Mean over the days people were present, times r0 (and the water's share of the
        disease's spread, where it has a reservoir); NaN where nobody ever was."""
        mean = np.divide(self.reproduction, self.days_present, out=np.full(self.reproduction.shape, np.nan),
                         where=self.days_present > 0)
        return r0 * mean + environment_r0 * self.unsafe_water * (self.days_present > 0)
