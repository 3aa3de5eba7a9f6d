"""Screening at border crossings, points of entry, and before departure.

Responsible for: testing people at the sites that screen, on the day they arrive there
(`on_arrival`), two days before they leave (`before_departure`: pre-embarkation checks 24 to 72
hours before travel; people staying a single day are checked on arrival, a day before they leave), or everyone present that day (`all_present`: a mobile team's testing day),
within each site's daily capacity, first come first served; then acting on
positives: isolation at the site while places last (`when_full`: hold the person without isolation,
or release them), a hold on travel, or referral (they leave the next day for a clinic or hospital
the site has an edge to; sites without one hold them instead).
Reads: where, node, state, flags, hold_timer, arrival_day, leave_day. Writes: flags (ISOLATED,
WAS_DETECTED, REFERRED), hold_timer, leave_day (referrals leave the next day); tally screened,
true/false positives, capacity reached, isolations, isolation full, held, referrals, detected. Draws: coverage and test result per person and day.
"""

from dataclasses import dataclass
from typing import Literal, Optional, Union

import numba as nb
import numpy as np

from sim.fields import MAX_DAYS, Count, Probability, Strict, integer
from sim.kernels import CHUNK
from sim.policies.sites import SiteSelector
from sim.population import AT_NODE, ISOLATED, REFERRED, WAS_DETECTED
from sim.rng import uniform_at

# Columns of this kernel's output counts [node, column]; the caller adds them to the day's tally
# by name, so the kernel does not depend on the tally's layout (numba caches a kernel per file).
OUTPUTS = ("screened", "true_positives", "false_positives", "screening_capacity_reached", "isolations",
           "isolation_full", "held", "referrals", "detected")
(SCREENED, TRUE_POSITIVES, FALSE_POSITIVES, SCREENING_CAPACITY_REACHED, ISOLATIONS,
 ISOLATION_FULL, HELD, REFERRALS, DETECTED) = range(len(OUTPUTS))



@dataclass(frozen=True)
class Method:
    sensitivity: dict[str, float]  # by natural-history state; states not listed are not detected
    specificity: float
    source: str


METHODS = {
    "symptom_check": Method(
        {"symptomatic": 0.7}, 0.95,
        "assumption informed by Bitar et al. 2009, Euro Surveill 14(6):19115 (entry fever screening "
        "detects a minority to most symptomatic travellers); nobody without symptoms is detected"),
    "rapid_antigen": Method(
        {"presymptomatic": 0.547, "asymptomatic": 0.547, "symptomatic": 0.73}, 0.996,
        "Dinnes et al. 2022, Cochrane Database Syst Rev CD013705: sensitivity 73.0% symptomatic, "
        "54.7% asymptomatic, specificity 99.6% (SARS-CoV-2 antigen tests)"),
    "pcr": Method(
        {"exposed": 0.33, "presymptomatic": 0.8, "asymptomatic": 0.9, "symptomatic": 0.95}, 0.998,
        "Kucirka et al. 2020, Ann Intern Med 173:262 (false-negative rate by day since exposure: "
        "about 67% on day 4, 38% on the day of onset, 20% three days later); specificity assumption"),
    "chest_xray": Method(
        {"presymptomatic": 0.87, "symptomatic": 0.87}, 0.89,
        "WHO 2016, Chest radiography in tuberculosis detection (WHO/HTM/TB/2016.20): any abnormality "
        "suggestive of TB, sensitivity 87%, specificity 89%; latent infection is not detected"),
}


class ScreeningConfig(Strict):
    where: SiteSelector
    timing: Literal["on_arrival", "before_departure", "all_present"] = "on_arrival"
    method: Literal[tuple(METHODS)]
    sensitivity: Optional[Union[Probability, dict[str, Probability]]] = None  # overrides the method's
    specificity: Optional[Probability] = None
    coverage: Probability = 1.0
    capacity_per_day: Count = 1_000_000
    on_positive: Literal["isolate", "hold", "refer", "none"] = "isolate"
    isolation_days: integer(ge=1, le=MAX_DAYS) = 10
    isolation_places: Optional[Count] = None  # per site; None: the scenario's isolation_places
    when_full: Literal["hold", "release"] = "hold"
    hold_days: integer(ge=1, le=MAX_DAYS) = 3

    def sensitivity_by_state(self, state_names: tuple[str, ...]) -> np.ndarray:
        given = self.sensitivity if self.sensitivity is not None else METHODS[self.method].sensitivity
        if isinstance(given, dict):
            return np.array([given.get(name, 0.0) for name in state_names])
        preset = METHODS[self.method].sensitivity
        return np.array([given if name in preset else 0.0 for name in state_names])

    @property
    def false_positive_rate(self) -> float:
        return 1.0 - (self.specificity if self.specificity is not None else METHODS[self.method].specificity)


TIMING = {"on_arrival": 0, "before_departure": 1, "all_present": 2}
ACTION = {"isolate": 0, "hold": 1, "none": 2, "refer": 3}
DAYS_BEFORE_DEPARTURE = 2  # screened on day leave_day - 2: two days (48 h) before leaving


@nb.njit(cache=True, parallel=True)
def isolated_at(count, where, node, flags, node_count):
    """People in isolation at each node now (isolation places taken)."""
    chunks = (count + CHUNK - 1) // CHUNK
    per_chunk = np.zeros((chunks, node_count), dtype=np.int64)
    for chunk in nb.prange(chunks):
        for i in range(chunk * CHUNK, min(count, (chunk + 1) * CHUNK)):
            if where[i] == AT_NODE and flags[i] & ISOLATED:
                per_chunk[chunk, node[i]] += 1
    return per_chunk.sum(axis=0)


@nb.njit(cache=True, parallel=True)
def due(rows, count, uid, where, node, hold_timer, arrival_day, leave_day, day, offered, timing, coverage,
        coverage_key):
    """In parallel: who is due a test today if capacity lasts (present where the programme is
    offered, not held, at the programme's moment of the stay, and reached by its coverage).
    Writes their rows per chunk into `rows`; returns how many per chunk (sim.kernels.gathered)."""
    found = np.zeros((count + CHUNK - 1) // CHUNK, dtype=np.int64)
    for chunk in nb.prange(found.shape[0]):
        n = 0
        for i in range(chunk * CHUNK, min(count, (chunk + 1) * CHUNK)):  # the rarest condition first
            if timing == 0 and arrival_day[i] != day:
                continue
            days_left = leave_day[i] - day
            if timing == 1 and days_left != DAYS_BEFORE_DEPARTURE and not (days_left == 1 and arrival_day[i] == day):
                continue  # two days before leaving, or on arrival for a one-day stay; timing 2 takes everyone
            if where[i] != AT_NODE or not offered[node[i]] or hold_timer[i] > 0:
                continue
            if uniform_at(coverage_key, uid[i]) < coverage:
                rows[chunk * CHUNK + n] = i
                n += 1
        found[chunk] = n
    return found


@nb.njit(cache=True)
def screen(rows, uid, node, state, flags, hold_timer, leave_day, day, sensitivity, uninfected, false_positive_rate,
           capacity, isolation_free, action, isolation_days, when_full_holds, hold_days, refers_to_care, test_key, out):
    """Serial over today's due rows, in person order (arrival order), so capacity goes first come
    first served."""
    used = np.zeros(capacity.shape[0], dtype=np.int64)
    for i in rows:
        here = node[i]
        if used[here] >= capacity[here]:
            out[here, SCREENING_CAPACITY_REACHED] += 1
            continue
        used[here] += 1
        out[here, SCREENED] += 1
        u = uniform_at(test_key, uid[i])
        if uninfected[state[i]]:
            positive = u < false_positive_rate
            if positive:
                out[here, FALSE_POSITIVES] += 1
        else:
            positive = u < sensitivity[state[i]]
            if positive:
                out[here, TRUE_POSITIVES] += 1
                if not flags[i] & WAS_DETECTED:
                    flags[i] |= WAS_DETECTED
                    out[here, DETECTED] += 1
        if not positive or action == 2:
            continue
        if action == 3 and refers_to_care[here]:
            flags[i] |= REFERRED
            leave_day[i] = day + 1
            out[here, REFERRALS] += 1
        elif action == 0 and isolation_free[here] > 0:
            isolation_free[here] -= 1
            flags[i] |= ISOLATED
            hold_timer[i] = isolation_days
            out[here, ISOLATIONS] += 1
        elif action != 0 or when_full_holds:
            if action == 0:
                out[here, ISOLATION_FULL] += 1
            hold_timer[i] = hold_days
            out[here, HELD] += 1
        else:
            out[here, ISOLATION_FULL] += 1
