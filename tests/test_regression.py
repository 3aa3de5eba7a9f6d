"""Stored summaries of each shipped scenario on fixed seeds must not move without a reason
(tests/regression/baseline.py says how to update them)."""

import json

import pytest

from regression.baseline import CASES, SEEDS, STORED, key, summary

STORED_SUMMARIES = json.loads(STORED.read_text()) if STORED.exists() else {}


@pytest.mark.parametrize("case", CASES, ids=["/".join(c) for c in CASES])
@pytest.mark.parametrize("seed", SEEDS)
def test_summary_matches_the_stored_baseline(case, seed):
    name = key(*case, seed)
    assert name in STORED_SUMMARIES, f"{name} has no stored summary: run python -m tests.regression.baseline --update"
    assert summary(*case, seed) == STORED_SUMMARIES[name]
