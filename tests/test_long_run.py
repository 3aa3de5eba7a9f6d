"""Ten simulated years of the largest shipped scenario keep memory flat: the people arrays stop
growing once the route is in its steady state (rows of people who left are reused), and only the
preallocated daily output arrays scale with the number of days."""

import pytest

from conftest import config
from sim import RouteModel, load_scenario, run_config
from sim.config import SCENARIO_DIR
from sim.flows import people_per_year

YEAR = 365


@pytest.mark.slow
def test_ten_years_with_flat_memory():
    largest = max(SCENARIO_DIR.glob("*.yaml"), key=lambda p: people_per_year(load_scenario(p))
                  if load_scenario(p).graph["arrivals"] else 0)
    model = RouteModel(load_scenario(largest), run_config(config(f"scenario.file={largest}", "days=3650",
                                                                 "disease=covid19")))
    capacity_by_year = []
    while model.running:
        model.step()
        if model.day % YEAR == 0:
            capacity_by_year.append(model.people.capacity)
    arrived, capacity = model.people.arrived, capacity_by_year[-1]
    assert arrived > 5 * capacity, "most people who came through no longer hold a row"
    assert capacity == capacity_by_year[1], f"the arrays grew after the second year: {capacity_by_year}"
    assert model.recorder.migrants.shape[0] == 3650
