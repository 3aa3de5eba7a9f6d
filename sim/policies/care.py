"""Access to care: barriers, care seeking, consultations, and the interventions that lower barriers.

Responsible for: symptomatic people deciding, each day, whether to seek care, with a daily
probability set by their barriers; being seen at a site that offers care where they are (sites of
the kinds with an on-site medical team, and wherever a mobile team is that day), within its daily
consultations, first come first served, or turned away to try again; care keeping part of their
infectiousness (`isolation_effect`), lowering their chance of dying (`treatment_effect`) and
diagnosing them (`diagnosis_probability`, into surveillance).
Barriers (one bit each per person, drawn on arrival from their origin): language, cost (or no
insurance), legal status and fear of enforcement, awareness of rights and services, stigma. Each
present barrier multiplies the daily seeking rate by (1 - effect x (1 - intervention)), where the
intervention lowering it is interpreters, free care, a firewall between care and immigration
enforcement, information campaigns, or community engagement.
Reads: where, node, state, state_day, flags, barriers. Writes: flags (IN_CARE, WAS_DETECTED);
tally consultations, turned away, days to care, detected.
"""

from typing import Literal

import numba as nb
import numpy as np

from sim.fields import NODE_KINDS, Count, Positive, Probability, Strict
from sim.kernels import CHUNK
from sim.population import AT_NODE, IN_CARE, WAS_DETECTED
from sim.rng import uniform_at

BARRIERS = ("language", "cost", "legal_status", "awareness", "stigma")
INTERVENTIONS = {  # intervention -> the barrier it lowers
    "interpreters": "language",
    "free_care": "cost",
    "firewall": "legal_status",
    "information": "awareness",
    "community_engagement": "stigma",
}

# Columns of this kernel's output counts [node, column]; the caller adds them to the day's tally
# by name, so the kernel does not depend on the tally's layout (numba caches a kernel per file).
OUTPUTS = ("consultations", "turned_away", "days_to_care", "detected")
CONSULTATIONS, TURNED_AWAY, DAYS_TO_CARE, DETECTED = range(len(OUTPUTS))



class Barrier(Strict):
    prevalence: Probability  # share of people who face it
    effect: Probability  # how much it lowers the daily rate of seeking care
    by_origin: dict[str, Probability] = {}  # prevalence by origin code, where it differs
    source: str


class Interventions(Strict):
    """Share of each barrier's effect removed (0: none, 1: the barrier no longer matters)."""

    interpreters: Probability = 0.0
    free_care: Probability = 0.0
    firewall: Probability = 0.0
    information: Probability = 0.0
    community_engagement: Probability = 0.0


class CareConfig(Strict):
    """Defaults, with their sources, are in conf/policy/baseline.yaml."""

    seek_delay_days: Positive  # mean days from symptoms to seeking care, with no barrier
    barriers: dict[Literal[BARRIERS], Barrier]
    interventions: Interventions = Interventions()
    on_site_kinds: list[Literal[NODE_KINDS]]  # kinds of site with an on-site medical team
    consultations_per_day: dict[Literal[NODE_KINDS], Count]
    isolation_effect: Probability  # share of infectiousness removed while in care
    treatment_effect: Probability  # share of deaths averted by care
    diagnosis_probability: Probability
    sources: dict[str, str] = {}

    def daily_seek_probability(self) -> np.ndarray:
        """Probability of seeking care on a day, for each combination of barrier bits."""
        rate = np.full(1 << len(BARRIERS), 1.0 / self.seek_delay_days)
        lowered = {barrier: getattr(self.interventions, name) for name, barrier in INTERVENTIONS.items()}
        for bit, name in enumerate(BARRIERS):
            barrier = self.barriers.get(name)
            if barrier is None:
                continue
            factor = 1.0 - barrier.effect * (1.0 - lowered[name])
            has = (np.arange(rate.shape[0]) >> bit) & 1 == 1
            rate[has] *= factor
        return -np.expm1(-rate)

    def prevalence(self, origin_codes: tuple[str, ...]) -> np.ndarray:
        """[origin, barrier] share of arrivals who face each barrier."""
        table = np.zeros((max(len(origin_codes), 1), len(BARRIERS)))
        for bit, name in enumerate(BARRIERS):
            barrier = self.barriers.get(name)
            if barrier is not None:
                table[:, bit] = [barrier.by_origin.get(code, barrier.prevalence) for code in origin_codes] or barrier.prevalence
        return table


@nb.njit(cache=True, parallel=True)
def seekers(rows, count, uid, where, node, state, flags, barriers, symptomatic, seek_probability, capacity, seek_key):
    """In parallel: who seeks care today at a site that offers it (symptomatic, not in care yet,
    and their barriers let them go today). Writes their rows per chunk into `rows`; returns how
    many per chunk (sim.kernels.gathered)."""
    found = np.zeros((count + CHUNK - 1) // CHUNK, dtype=np.int64)
    for chunk in nb.prange(found.shape[0]):
        n = 0
        for i in range(chunk * CHUNK, min(count, (chunk + 1) * CHUNK)):
            if (symptomatic[state[i]] and where[i] == AT_NODE and not flags[i] & IN_CARE and capacity[node[i]] > 0
                    and uniform_at(seek_key, uid[i]) < seek_probability[barriers[i]]):
                rows[chunk * CHUNK + n] = i
                n += 1
        found[chunk] = n
    return found


@nb.njit(cache=True)
def seek_care(rows, uid, node, state_day, flags, day, capacity, diagnosis_probability, diagnosis_key, out,
              delay_histogram):
    """Serial over today's seekers, in person order, so consultations go first come first served.
    `delay_histogram[d]` counts people seen d days after symptom onset (the last bin: longer)."""
    used = np.zeros(capacity.shape[0], dtype=np.int64)
    for i in rows:
        here = node[i]
        if used[here] >= capacity[here]:
            out[here, TURNED_AWAY] += 1
            continue
        used[here] += 1
        flags[i] |= IN_CARE
        out[here, CONSULTATIONS] += 1
        delay = day - state_day[i]
        out[here, DAYS_TO_CARE] += delay
        delay_histogram[min(delay, delay_histogram.shape[0] - 1)] += 1
        if not flags[i] & WAS_DETECTED and uniform_at(diagnosis_key, uid[i]) < diagnosis_probability:
            flags[i] |= WAS_DETECTED
            out[here, DETECTED] += 1
