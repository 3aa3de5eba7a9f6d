"""The verdict of a target in docs/VALIDATION.md (analysis.validation.verdict)."""

import numpy as np
import pytest

from analysis.validation import verdict

LOW, HIGH = 0.0009, 0.004  # measles deaths per infection, EU/EEA 2019 to Romania 2016-19


def verdict_of(median, infections):
    return verdict(LOW <= median <= HIGH, median, infections, LOW, HIGH)


@pytest.mark.parametrize("median, infections, expected", [
    (0.0, 60, "not testable"),  # no death among 60: 0.9991 ** 60 = 95% likely at the range's low end
    (0.0, 10_000, "OUTSIDE"),  # no death among 10,000: 0.9991 ** 10,000 = 0.01%
    (1 / 7, 7, "not testable"),  # one death among 7: 1 - 0.996 ** 7 = 2.8% likely at the high end
    (1 / 4, 4, "OUTSIDE"),  # one death among 4: 1 - 0.996 ** 4 = 1.6%
    (0.002, 10_000, "inside"),
])
def test_a_rate_per_infection_is_outside_only_if_its_counts_say_so(median, infections, expected):
    assert verdict_of(median, infections).split(" (")[0] == expected


def test_other_statistics_are_judged_by_the_median_alone():
    """A total or a rate per arrival has no infections behind it (NaN): outside is OUTSIDE."""
    assert verdict(False, 0.0, np.nan, LOW, HIGH) == "OUTSIDE"
    assert verdict(None, np.nan, np.nan, LOW, HIGH) == "not defined (none happened)"


def test_the_verdict_says_why_a_rate_is_not_testable():
    assert verdict_of(0.0, 60) == "not testable (60 infections: 0 is 95% likely at the range's low end)"
    assert verdict_of(1 / 7, 7) == "not testable (7 infections: 1 or more is 3% likely at the range's high end)"
