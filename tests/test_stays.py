"""A stay drawn as T days lasts T days: at the entry node and at nodes reached along the route."""

from conftest import DEMO, config
from sim import RouteModel, load_scenario, run_config
from sim.config import SCENARIO_DIR
from sim.kernels import sample_days
from sim.population import AT_NODE
from sim.rng import Stream, day_key, uniform_at

ENTRY_DAY = 5


def test_people_stay_the_days_drawn_for_them():
    """Everyone entering on day 5 is at the border post at the end of days 5 .. 5 + T - 1 and not
    the day after, T drawn from the post's dwell table with their group's key for day 5; at the
    transit camp, reached on day d after a day's travel, likewise with day d's key."""
    model = RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"), run_config(config(*DEMO, "days=60", "seed=0")))
    people, routes = model.people, model.routes
    post, camp = routes.index("border_post"), routes.index("transit_camp")
    while model.day <= ENTRY_DAY:
        first = people.arrived
        model.step()
    tracked = range(first, people.arrived)
    group = {uid: int(people.group[people.row_of(uid)]) for uid in tracked}
    days_at = {uid: {post: [], camp: []} for uid in tracked}  # end-of-day presence at the two nodes
    while True:
        for uid in tracked:
            row = people.row_of(uid)
            if row is not None and people.where[row] == AT_NODE and people.node[row] in (post, camp):
                days_at[uid][int(people.node[row])].append(model.day - 1)
        if not model.running:
            break
        model.step()

    def drawn_stay(node: int, day: int, uid: int) -> int:
        return sample_days(routes.dwell_table, node, uniform_at(day_key(0, Stream.DWELL, day), group[uid]))

    reached_camp = 0
    for uid in tracked:
        assert days_at[uid][post] == list(range(ENTRY_DAY, ENTRY_DAY + drawn_stay(post, ENTRY_DAY, uid))), uid
        at_camp = days_at[uid][camp]
        if at_camp and at_camp[-1] < model.day - 1:  # reached the camp and left it within the run
            arrived = at_camp[0]
            stay = drawn_stay(camp, arrived, uid)
            assert at_camp[:stay] == list(range(arrived, arrived + stay)) and arrived + stay not in at_camp, uid
            reached_camp += 1
    assert len(tracked) >= 5 and reached_camp >= 5, (len(tracked), reached_camp)
