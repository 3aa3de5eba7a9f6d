"""Host communities: one open, age-structured population per node, as a binomial chain over the
disease's natural history.

Each node's host community is the part of the town that mixes with the site (`host_population`),
with its country's age shares, immunity by age, background infection from outside the route and
case fatality (sim.schema.Country). Hosts pass through the same states as migrants (latent TB
included), each left with the daily probability 1 - exp(-1 / mean days) and branching as the
state table says, so r0 among hosts is the disease's. Infection: a share `host_contact_share` of a
migrant's contacts are with hosts and contacts are symmetric, so a host meets migrants in
proportion to how many migrants are there per host; of the rest of a host's contacts a share
`host_pool_share` is with others of the pool, by age (POLYMOD, sim.schema.ContactMatrix), and the
others are with the rest of the town, whose infection reaches them at their country's background
rate (sim.schema.Country.background). So a pool is part of a town, not a closed population.
"""

from dataclasses import dataclass
from typing import Callable

import networkx as nx
import numpy as np

from sim.disease import NaturalHistory
from sim.fields import AGE_GROUPS
from sim.schema import Transmission, by_age

HOST_METRICS = ("present", "susceptible", "exposed", "infectious", "recovered", "new_infections", "new_deaths")


@dataclass
class HostCommunities:
    counts: np.ndarray  # [node, age, state]
    exit_probability: np.ndarray  # [state]: leaving the state on a day
    branch_probability: np.ndarray  # [node, state, branch]: where those leaving go (case fatality by country)
    next_state: np.ndarray  # [state, branch]
    infectiousness: np.ndarray  # [state]
    mixing: np.ndarray  # [node, age, age]: who meets whom within the community
    pool_share: float  # share of a host's non-migrant contacts within the pool
    background: np.ndarray  # [node]: daily probability of infection from outside, per susceptible
    unsafe_water: np.ndarray  # [node]: exposure to a water-borne reservoir (the country's)
    beta: float
    susceptible: int
    exposed: int
    recovered: int
    dead: int

    @classmethod
    def start(cls, graph: nx.DiGraph, node_ids: tuple[str, ...], disease: NaturalHistory,
              transmission: Transmission) -> "HostCommunities":
        countries = graph.graph.get("countries", {})
        n = len(disease.names)
        nodes = [graph.nodes[node_id] for node_id in node_ids]
        counts = np.zeros((len(nodes), len(AGE_GROUPS), n), dtype=np.int64)
        branch = np.broadcast_to(branch_shares(disease), (len(nodes), n, disease.next_state.shape[1])).copy()
        mixing = np.zeros((len(nodes), len(AGE_GROUPS), len(AGE_GROUPS)))
        background, unsafe_water = np.zeros(len(nodes)), np.zeros(len(nodes))
        for i, node in enumerate(nodes):
            people = node["host_population"]
            country = countries.get(node["country"])
            if people == 0 or country is None:
                continue
            ages = country.age.array() / country.age.array().sum()
            by_group = np.floor(people * ages + 0.5).astype(np.int64)
            immune = by_age(country.immune.get(disease.name, 0.0))
            counts[i, :, disease.recovered] = np.floor(by_group * immune + 0.5).astype(np.int64)
            counts[i, :, disease.susceptible] = by_group - counts[i, :, disease.recovered]
            mixing[i] = transmission.host_mixing.who_meets_whom(by_group.astype(float))
            background[i] = -np.expm1(-country.background.get(disease.name, 0.0) / 365.0)
            unsafe_water[i] = country.unsafe_water
            if disease.name in country.case_fatality:
                branch[i] = branch_shares(disease, country.case_fatality[disease.name])
        mean_days = np.where(disease.mean_days > 0, disease.mean_days, np.inf)
        return cls(counts=counts, exit_probability=-np.expm1(-1.0 / mean_days), branch_probability=branch,
                   next_state=disease.next_state.astype(np.int64), infectiousness=disease.infectiousness,
                   mixing=mixing, pool_share=transmission.host_pool_share, background=background, unsafe_water=unsafe_water, beta=disease.beta, susceptible=disease.susceptible,
                   exposed=disease.exposed, recovered=disease.recovered, dead=disease.dead)

    @property
    def alive(self) -> np.ndarray:
        """[node]: hosts alive."""
        return self.counts.sum(axis=(1, 2)) - self.counts[:, :, self.dead].sum(axis=1)

    def infectious_weight(self) -> np.ndarray:
        """[node, age]: summed infectiousness of the infectious hosts."""
        return self.counts @ self.infectiousness

    def susceptible_share(self) -> np.ndarray:
        """[node]: the susceptible share of each host community (0 where there is none)."""
        alive = self.alive
        return np.divide(self.counts[:, :, self.susceptible].sum(axis=1), alive, out=np.zeros(alive.shape), where=alive > 0)

    def death_chance(self) -> np.ndarray | None:
        """[node]: the chance that an infection of a host ends in death, over its whole course,
        with the node's country's case fatality; None when the states loop (latent TB reactivates
        after years: its course is not followed past the run)."""
        states = self.next_state.shape[0]
        chance = np.zeros((self.counts.shape[0], states))
        chance[:, self.dead] = 1.0
        leaves = self.exit_probability > 0
        for step in range(states + 1):  # an acyclic table settles within as many steps as it has states
            reached = np.where(self.next_state >= 0, self.next_state, self.dead)  # unused branches have no share
            updated = np.where(leaves, (self.branch_probability * chance[:, reached]).sum(axis=2), chance)
            if np.array_equal(updated, chance):
                return chance[:, self.exposed]
            chance = updated
        return None

    def rate_on_migrants(self) -> np.ndarray:
        """Force of infection on a migrant from hosts, per unit of host contact share."""
        alive = self.alive
        return np.divide(self.beta * self.infectious_weight().sum(axis=1), alive, out=np.zeros(alive.shape), where=alive > 0)

    def step(self, rng: Callable[[], np.random.Generator], migrants_present: np.ndarray,
             migrant_infectious: np.ndarray, host_share: np.ndarray, environment: np.ndarray) -> np.ndarray:
        """Progress, then infect from the community, the migrants present, outside the route and
        the water (`environment`: a daily force of infection per node); returns [node, metric] for
        today. `rng` gives today's generator; a route without host communities draws nothing."""
        if not self.counts.any():
            return np.zeros((self.counts.shape[0], len(HOST_METRICS)), dtype=np.int64)
        rng = rng()
        deaths = self.progress(rng)
        infections = self.infect(rng, migrants_present, migrant_infectious, host_share, environment)
        states = self.counts.sum(axis=1)  # [node, state]
        infectious = self.infectiousness > 0
        waiting = ~infectious & ~np.isin(np.arange(states.shape[1]), [self.susceptible, self.recovered, self.dead])
        return np.stack([self.alive, states[:, self.susceptible], states[:, waiting].sum(axis=1),
                         states[:, infectious].sum(axis=1), states[:, self.recovered], infections, deaths], axis=1)

    def progress(self, rng: np.random.Generator) -> np.ndarray:
        """Everyone leaves their state with its daily probability, to a next state by the branch
        shares; returns deaths per node. All moves are drawn from the day's starting counts.
        States nobody is in are skipped: a binomial of 0 trials draws no random number, so the
        draws are those of drawing them all."""
        start = self.counts.copy()
        deaths = np.zeros(start.shape[0], dtype=np.int64)
        held = start.any(axis=(0, 1))
        for state in np.flatnonzero((self.exit_probability > 0) & held):
            leaving = rng.binomial(start[:, :, state], self.exit_probability[state])
            if not leaving.any():
                continue
            self.counts[:, :, state] -= leaving
            left, remaining_share = leaving, np.ones(start.shape[0])
            for branch in range(self.next_state.shape[1]):
                share = self.branch_probability[:, state, branch]
                if not left.any():
                    break
                if not share.any():
                    continue
                going = rng.binomial(left, np.clip(share / np.maximum(remaining_share, 1e-300), 0.0, 1.0)[:, None])
                target = self.next_state[state, branch]
                self.counts[:, :, target] += going
                if target == self.dead:
                    deaths += going.sum(axis=1)
                left, remaining_share = left - going, remaining_share - share
        return deaths

    def infect(self, rng: np.random.Generator, migrants_present: np.ndarray, migrant_infectious: np.ndarray,
               host_share: np.ndarray, environment: np.ndarray) -> np.ndarray:
        """New infections per node: susceptibles of each age from the community by age, from the
        migrants present, from outside the route and from the water."""
        alive_by_age = self.counts.sum(axis=2) - self.counts[:, :, self.dead]
        alive = alive_by_age.sum(axis=1)
        per_host = np.divide(migrants_present, alive, out=np.zeros(alive.shape), where=alive > 0)
        meeting_migrants = np.minimum(1.0, host_share * per_host)
        prevalence_by_age = np.divide(self.infectious_weight(), alive_by_age, out=np.zeros(alive_by_age.shape),
                                      where=alive_by_age > 0)
        community = np.einsum("nab,nb->na", self.mixing, prevalence_by_age)
        migrant_prevalence = np.divide(migrant_infectious, migrants_present, out=np.zeros(alive.shape),
                                       where=migrants_present > 0)
        rate = self.beta * ((1.0 - meeting_migrants)[:, None] * self.pool_share * community
                            + (meeting_migrants * migrant_prevalence)[:, None])
        probability = 1.0 - (1.0 - self.background[:, None]) * np.exp(-(rate + environment[:, None]))
        infections = rng.binomial(self.counts[:, :, self.susceptible], probability)
        self.counts[:, :, self.susceptible] -= infections
        self.counts[:, :, self.exposed] += infections
        return infections.sum(axis=1)


def branch_shares(disease: NaturalHistory, case_fatality: float | None = None) -> np.ndarray:
    """[state, branch]: the share of those leaving each state who take each branch; with
    `case_fatality`, the branches to death take that share instead of the disease's, and the
    other branches of the same state share the rest in their proportions."""
    cumulative = disease.next_cumulative
    shares = np.diff(np.concatenate([np.zeros((cumulative.shape[0], 1)), cumulative], axis=1), axis=1)
    if case_fatality is None:
        return shares
    to_dead = disease.next_state == disease.dead
    for state in np.flatnonzero(to_dead.any(axis=1)):
        others = ~to_dead[state]
        rest = shares[state, others].sum()
        shares[state, to_dead[state]] = case_fatality / to_dead[state].sum()
        if rest > 0:
            shares[state, others] *= (1.0 - case_fatality) / rest
    return shares
