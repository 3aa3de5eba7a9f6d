"""An edge closed from day d: nobody crosses it afterwards, and people pile up before it."""

import numpy as np

from conftest import DEMO, config
from sim import RouteModel, load_scenario, run_config
from sim.config import SCENARIO_DIR
from sim.population import ON_EDGE

CLOSED_FROM, REOPENS = 60, 120  # the demo's optional border_closure: exit_post -> city


def run_model(*overrides):
    """Run the demo, noting each day who (by uid) is on the closable edge."""
    model = RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"), run_config(config(*DEMO, "days=150", *overrides)))
    crossing = model.routes.out_start[model.routes.index("exit_post")]
    assert model.routes.edge_target[crossing] == model.routes.index("city")
    on_edge = []
    while model.running:
        model.step()
        people = model.people
        travelling = (people.where[: people.count] == ON_EDGE) & (people.edge[: people.count] == crossing)
        on_edge.append(set(people.uid[: people.count][travelling].tolist()))
    return model, on_edge


def test_nobody_sets_off_on_a_closed_edge():
    _, on_edge = run_model("scenario.events=[border_closure]")
    already_on_the_way = on_edge[CLOSED_FROM - 1]
    assert already_on_the_way, "someone should be on the way when the border closes, or the test shows nothing"
    for day in range(CLOSED_FROM, REOPENS):
        assert on_edge[day] <= already_on_the_way, f"day {day}: {sorted(on_edge[day] - already_on_the_way)} set off"
    assert any(on_edge[day] - already_on_the_way for day in range(REOPENS, 150)), "the edge reopens"


def test_people_pile_up_before_a_closed_edge():
    closed, _ = run_model("scenario.events=[border_closure]")
    open_, _ = run_model()
    post = closed.routes.index("exit_post")
    at_exit_post = lambda m: m.recorder.metric("migrants", "present")[:, post]
    waiting_closed, waiting_open = at_exit_post(closed), at_exit_post(open_)
    died_there = np.cumsum(closed.recorder.metric("migrants", "new_deaths")[:, post])
    assert np.all(np.diff((waiting_closed + died_there)[CLOSED_FROM:REOPENS]) >= 0), "nobody leaves while closed"
    assert waiting_closed[REOPENS - 1] > 10 * max(waiting_open[REOPENS - 1], 1)
    assert waiting_closed[REOPENS + 25] < waiting_closed[REOPENS - 1] / 5, "the queue clears after reopening"


def test_closure_does_not_change_the_days_before_it():
    closed, _ = run_model("scenario.events=[border_closure]")
    open_, _ = run_model()
    np.testing.assert_array_equal(closed.recorder.migrants[:CLOSED_FROM], open_.recorder.migrants[:CLOSED_FROM])
