"""Vaccination at sites: schedules, uptake and hesitancy, supply, reactive campaigns.

Responsible for: offering the next dose of a schedule to eligible people present at the sites of
the programme (age group, fewer doses than the schedule, the interval since the last dose passed),
who accept with probability uptake x (1 - hesitancy of their origin), within each site's daily
supply, first come first served. A later dose is given only where the person is when it is due and
a site there offers it; people who move on before then keep the doses they had. Protection (leaky)
takes effect `delay_days` after a dose. A reactive programme is offered at a site only while a
campaign runs there: from the day reported cases at the site over `window_days` reach `threshold`,
for `duration_days`.
Reads: where, node, age_group, origin, doses, last_dose_day. Writes: doses, last_dose_day,
protection; tally doses, completed schedules. Draws: acceptance per person and dose number (so a
refusal is the person's, not the day's).
"""

from dataclasses import dataclass
from typing import Iterable, Literal, Optional

import numba as nb
import numpy as np
from pydantic import model_validator

from sim.errors import ConfigError, Problem
from sim.fields import AGE_GROUPS, Count, Days, Probability, Strict, integer
from sim.kernels import CHUNK
from sim.policies.sites import SiteSelector
from sim.population import AT_NODE, ON_EDGE
from sim.rng import uniform_at

PRIOR_DOSES = 2  # people vaccinated at origin count as having had a complete two-dose schedule

# Columns of this kernel's output counts [node, column]; the caller adds them to the day's tally
# by name, so the kernel does not depend on the tally's layout (numba caches a kernel per file).
OUTPUTS = ("doses", "completed_schedules")
DOSES, COMPLETED_SCHEDULES = range(len(OUTPUTS))



@dataclass(frozen=True)
class ProtectionLevels:
    """The distinct vaccine protections of a run, in ascending order, so that a person's protection
    is one byte: an index into `values` (0: none), and a higher index is more protection. A run has
    only a handful: the disease's (people vaccinated at origin) and each programme's, by dose.
    Values are float32, as the kernels read them."""

    values: np.ndarray

    @classmethod
    def of_run(cls, disease_efficacy: float, programmes: Iterable["VaccinationConfig"]) -> "ProtectionLevels":
        values = {0.0, float(disease_efficacy)}
        for programme in programmes:
            values.update(float(v) for v in programme.efficacy_by_dose(disease_efficacy))
        levels = np.unique(np.array(sorted(values), dtype=np.float32))
        if levels.shape[0] > 256:
            raise ConfigError("config", [Problem("policy.vaccination", f"{levels.shape[0] - 1} distinct efficacies",
                                                 "at most 255 across the disease and all programmes' doses")])
        return cls(levels)

    def level(self, protection) -> np.ndarray:
        """The level index of each protection value (which must be one of the run's)."""
        found = np.searchsorted(self.values, np.asarray(protection, dtype=np.float32))
        return found.astype(np.uint8)


class Reactive(Strict):
    threshold: integer(ge=1)
    window_days: integer(ge=1) = 7
    duration_days: integer(ge=1) = 14


class VaccinationConfig(Strict):
    where: SiteSelector
    eligible_ages: list[Literal[AGE_GROUPS]] = list(AGE_GROUPS)
    doses: integer(ge=1, le=5) = 2
    interval_days: Days = 28
    efficacy: Optional[list[Probability]] = None  # after each dose; None: the disease's, built up linearly
    delay_days: Days = 14
    uptake: Probability = 0.8
    hesitancy: dict[str, Probability] = {}  # extra refusal by origin code
    supply_per_day: Count = 1_000_000  # doses per site per day
    reactive: Optional[Reactive] = None

    @model_validator(mode="after")
    def _efficacy_per_dose(self):
        if self.efficacy is not None and len(self.efficacy) != self.doses:
            raise ValueError(f"efficacy: give one value per dose ({self.doses}), not {len(self.efficacy)}")
        return self

    def efficacy_by_dose(self, disease_efficacy: float) -> np.ndarray:
        if self.efficacy is not None:
            return np.asarray(self.efficacy, dtype=np.float64)
        return disease_efficacy * np.arange(1, self.doses + 1) / self.doses

    def acceptance_by_origin(self, origin_codes: tuple[str, ...]) -> np.ndarray:
        return np.array([self.uptake * (1.0 - self.hesitancy.get(code, 0.0)) for code in origin_codes] or [self.uptake])


@nb.njit(cache=True, parallel=True)
def willing(rows, count, uid, where, node, age_group, origin, doses, last_dose_day, day, offered, eligible_age,
            schedule_doses, interval, acceptance, accept_keys):
    """In parallel: who takes a dose today if supply lasts (present where the programme is offered,
    of an eligible age, the next dose due, and accepting it). Writes their rows per chunk into
    `rows`; returns how many per chunk (sim.kernels.gathered)."""
    found = np.zeros((count + CHUNK - 1) // CHUNK, dtype=np.int64)
    for chunk in nb.prange(found.shape[0]):
        n = 0
        for i in range(chunk * CHUNK, min(count, (chunk + 1) * CHUNK)):
            given = doses[i]  # most people are either done or not yet due: the cheapest test first
            if given >= schedule_doses or (given > 0 and day - last_dose_day[i] < interval):
                continue
            if where[i] != AT_NODE or not offered[node[i]] or not eligible_age[age_group[i]]:
                continue
            if uniform_at(accept_keys[given], uid[i]) < acceptance[origin[i]]:
                rows[chunk * CHUNK + n] = i
                n += 1
        found[chunk] = n
    return found


@nb.njit(cache=True)
def vaccinate(rows, node, doses, last_dose_day, day, schedule_doses, supply, out):
    """Serial over today's willing rows, in person order, so supply goes first come first served."""
    used = np.zeros(supply.shape[0], dtype=np.int64)
    for i in rows:
        here = node[i]
        if used[here] >= supply[here]:
            continue
        used[here] += 1
        doses[i] += 1
        last_dose_day[i] = day
        out[here, DOSES] += 1
        if doses[i] == schedule_doses:
            out[here, COMPLETED_SCHEDULES] += 1


@nb.njit(cache=True, parallel=True)
def protect(count, where, doses, last_dose_day, protection, day, delay, level_by_dose):
    """Protection from a dose starts `delay` days after it (never lowering what a person has).
    `level_by_dose`: the ProtectionLevels index of each dose's efficacy."""
    for i in nb.prange(count):
        if (where[i] == AT_NODE or where[i] == ON_EDGE) and doses[i] > 0 and day - last_dose_day[i] == delay:
            gained = level_by_dose[min(doses[i], level_by_dose.shape[0]) - 1]
            if gained > protection[i]:
                protection[i] = gained
