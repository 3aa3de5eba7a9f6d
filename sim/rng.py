"""Counter-based random numbers keyed by (seed, stream, day, person).

A uniform is a hash of its key, not the next value of a sequence. So a draw does not depend on
how many threads ran, in which order people were visited, or which other processes drew before
it, and two runs that differ only by a policy draw the same numbers for everything else (common
random numbers, paired person by person).

Usage: compute one `day_key(seed, stream, day)` per process and day, then `uniform_at(key, person)`
inside a kernel. The hash is SplitMix64's finaliser (Steele, Lea and Flood 2014), which passes
BigCrush when applied to a counter.
"""

import hashlib
from enum import IntEnum
from functools import lru_cache

import numba as nb
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
DAYS_PER_BLOCK = 512  # day keys made at once per stream (a year and a half)


class Stream(IntEnum):
    """One stream per random decision of the core; programmes key theirs by name (named_stream)."""

    ARRIVALS = 1
    AGE = 2
    IMMUNITY = 3
    IMPORTED = 4
    DWELL = 5
    ROUTE = 6
    INFECTION = 7
    LATENT = 8
    BRANCH = 9
    DURATION = 10
    HOSTS = 11
    CARE_SURVIVAL = 13


def named_stream(name: str) -> int:
    """The stream of a decision named by a dotted path ("screening.borders.test"): 64 bits of a
    hash of the name, so a programme's draws depend on its own name only, never on which other
    programmes a policy has or in which order, and adding a programme edits no list here."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


@nb.njit(cache=True)
def mix64(z):
    """SplitMix64 finaliser: a bijective avalanche of a 64-bit word."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@nb.njit(cache=True)
def _day_keys(seed, stream, first_day, days):
    keys = np.empty(days, dtype=np.uint64)
    for k in range(days):
        z = mix64(np.uint64(seed) + _GOLDEN)
        z = mix64(z ^ (np.uint64(stream) * _GOLDEN))
        keys[k] = mix64(z ^ (np.uint64(first_day + k) + _M1))
    return keys


def day_key(seed: int, stream: int, day: int) -> np.uint64:
    """Key shared by every draw of one stream on one day (a uint64, as the kernels expect).
    Keys are made a block of days at a time and kept, so each of a day's many keys is a lookup,
    not a call into numba."""
    return _key_block(int(seed), int(stream), day // DAYS_PER_BLOCK)[day % DAYS_PER_BLOCK]


@lru_cache(maxsize=1024)
def _key_block(seed: int, stream: int, block: int) -> np.ndarray:
    return _day_keys(np.uint64(seed), np.uint64(stream), block * DAYS_PER_BLOCK, DAYS_PER_BLOCK)


@nb.njit(cache=True)
def uniform_at(key, person):
    """Uniform in [0, 1) for one person under a day key."""
    z = mix64(key ^ (np.uint64(person) * _GOLDEN))
    return np.float64(z >> np.uint64(11)) * _TO_UNIT


@nb.njit(cache=True)
def uniforms(key, people):
    """Uniforms for an array of person ids (for vectorised set-up in Python)."""
    out = np.empty(people.shape[0], dtype=np.float64)
    for i in range(people.shape[0]):
        out[i] = uniform_at(key, people[i])
    return out


@nb.njit(cache=True)
def categories(key, people, cumulative, rows):
    """A category per person: how many entries of `cumulative[rows[k]]` (a row of cumulative
    shares) are at or below the person's uniform. len(row) means past the last share."""
    out = np.empty(people.shape[0], dtype=np.int64)
    for k in range(people.shape[0]):
        u = uniform_at(key, people[k])
        row = rows[k]
        category = 0
        while category < cumulative.shape[1] and u >= cumulative[row, category]:
            category += 1
        out[k] = category
    return out


def generator(seed: int, stream: Stream, day: int) -> np.random.Generator:
    """A numpy Generator for per-node or per-day draws (binomials, Poisson), keyed like the rest.

    Philox is itself counter-based; keying it by the day key keeps these draws independent of
    thread count and of every other stream.
    """
    key = int(day_key(seed, int(stream), day))
    return np.random.Generator(np.random.Philox(key=key))
