"""Host communities: one stochastic compartmental population per node (binomial chain SEIR).

Each node's host community (`host_population` people) mixes with the migrants present: a share
`host_contact_share` of a migrant's contacts are with hosts, and contacts are symmetric, so a host
meets migrants in proportion to how many migrants are there per host. Hosts pass through
exposed -> infectious -> removed with daily exit probabilities 1/mean (geometric stays with the
disease's mean latent and infectiousness-weighted infectious days, so r0 among hosts equals the
disease's r0); the disease's infection fatality ratio splits the removed into recovered and dead.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

from sim.disease import NaturalHistory

HOST_METRICS = ("present", "susceptible", "exposed", "infectious", "recovered", "new_infections", "new_deaths")


@dataclass
class HostCommunities:
    susceptible: np.ndarray
    exposed: np.ndarray
    infectious: np.ndarray
    recovered: np.ndarray
    dead: np.ndarray
    latent_exit: float
    infectious_exit: float
    fatality: float
    beta: float

    @classmethod
    def start(cls, population: np.ndarray, immune_fraction: np.ndarray, disease: NaturalHistory) -> "HostCommunities":
        population = population.astype(np.int64)
        recovered = np.floor(population * immune_fraction + 0.5).astype(np.int64)
        zeros = np.zeros_like(population)
        return cls(
            susceptible=population - recovered,
            exposed=zeros.copy(),
            infectious=zeros.copy(),
            recovered=recovered,
            dead=zeros.copy(),
            latent_exit=1.0 / max(disease.latent_days, 1.0),
            infectious_exit=1.0 / max(disease.infectious_days, 1.0),
            fatality=disease.infection_fatality,
            beta=disease.beta,
        )

    @property
    def alive(self) -> np.ndarray:
        return self.susceptible + self.exposed + self.infectious + self.recovered

    def rate_on_migrants(self) -> np.ndarray:
        """Force of infection on a migrant from hosts, per unit of host contact share."""
        alive = self.alive
        return np.divide(self.beta * self.infectious, alive, out=np.zeros(alive.shape), where=alive > 0)

    def step(self, rng: Callable[[], np.random.Generator], migrants_present: np.ndarray,
             migrant_infectious: np.ndarray, host_contact_share: float) -> np.ndarray:
        """Progress, then infect from hosts and migrants present; returns [node, metric] for today.
        `rng` gives today's generator; a route without host communities draws nothing."""
        if not self.alive.any():
            return np.zeros((self.susceptible.shape[0], len(HOST_METRICS)), dtype=np.int64)
        rng = rng()
        becoming_infectious = rng.binomial(self.exposed, self.latent_exit)
        removed = rng.binomial(self.infectious, self.infectious_exit)
        deaths = rng.binomial(removed, self.fatality)
        self.exposed -= becoming_infectious
        self.infectious += becoming_infectious - removed
        self.recovered += removed - deaths
        self.dead += deaths
        alive = self.alive
        per_host = np.divide(migrants_present, alive, out=np.zeros(alive.shape), where=alive > 0)
        meeting_migrants = np.minimum(1.0, host_contact_share * per_host)
        host_prevalence = np.divide(self.infectious, alive, out=np.zeros(alive.shape), where=alive > 0)
        migrant_prevalence = np.divide(migrant_infectious, migrants_present,
                                       out=np.zeros(alive.shape), where=migrants_present > 0)
        rate = self.beta * ((1.0 - meeting_migrants) * host_prevalence + meeting_migrants * migrant_prevalence)
        infections = rng.binomial(self.susceptible, -np.expm1(-rate))
        self.susceptible -= infections
        self.exposed += infections
        return np.stack([self.alive, self.susceptible, self.exposed, self.infectious, self.recovered,
                         infections, deaths], axis=1)
