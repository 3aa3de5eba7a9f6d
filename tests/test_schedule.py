"""Programmes and events by date: a programme acts only within its window (start_day to end_day,
each a day of the run or a date), and costs and draws nothing outside it; a site's capacity
changes, and a site closes and opens, on the day an event says."""

import datetime

import numpy as np
import pytest
import yaml

from conftest import DEMO, config
from sim import ConfigError, RouteModel, load_scenario, run_config
from sim.config import SCENARIO_DIR

START, STOP, DAYS = 100, 130, 160
DEMO_DATA = yaml.safe_load((SCENARIO_DIR / "demo.yaml").read_text())
DEMO_START = datetime.date(2023, 1, 1)  # the demo's start_date


def run(*overrides, scenario=None, days=DAYS) -> RouteModel:
    graph = load_scenario(scenario or SCENARIO_DIR / "demo.yaml")
    model = RouteModel(graph, run_config(config(*DEMO, f"days={days}", *overrides)))
    model.run()
    return model


def screened(model) -> np.ndarray:
    return model.recorder.metric("migrants", "screened").sum(axis=1)


def test_a_programme_acts_only_within_its_window():
    model = run("policy=screen_at_borders", f"policy.screening.borders.start_day={START}",
                f"policy.screening.borders.end_day={STOP}")
    tests = screened(model)
    assert tests[:START].sum() == 0, "nobody is screened before start_day"
    assert np.all(tests[START:STOP] > 0), "screening every day of its window (20 arrivals a day at the border)"
    assert tests[STOP:].sum() == 0, "nobody is screened from end_day on"
    cost = model.programmes.cost_by_day_and_node() - model.programmes.isolation_cost()
    assert cost[:START].sum() == 0 and cost[STOP:].sum() == 0 and cost[START:STOP].sum() > 0


def test_before_its_start_a_programme_changes_nothing():
    """No draw, no cost, no effect: the days before start_day are the baseline's, to the bit."""
    scheduled = run("policy=screen_at_borders", f"policy.screening.borders.start_day={START}", days=START + 5)
    baseline = run(days=START + 5)
    np.testing.assert_array_equal(scheduled.recorder.migrants[:START], baseline.recorder.migrants[:START])
    np.testing.assert_array_equal(scheduled.recorder.hosts[:START], baseline.recorder.hosts[:START])
    assert not np.array_equal(scheduled.recorder.migrants[START:], baseline.recorder.migrants[START:])


def test_a_window_by_dates_is_the_window_by_days():
    as_dates = run("policy=screen_at_borders",
                   f"policy.screening.borders.start_day={DEMO_START + datetime.timedelta(days=START)}",
                   f"policy.screening.borders.end_day={DEMO_START + datetime.timedelta(days=STOP)}")
    as_days = run("policy=screen_at_borders", f"policy.screening.borders.start_day={START}",
                  f"policy.screening.borders.end_day={STOP}")
    np.testing.assert_array_equal(as_dates.recorder.migrants, as_days.recorder.migrants)


def test_a_vaccination_campaign_that_ended_still_protects_on_time():
    """Doses given on its last days protect delay_days later, after the campaign ended."""
    model = RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"),
                       run_config(config(*DEMO, "days=40", "policy=vaccinate_at_entry",
                                         "policy.vaccination.at_entry.end_day=20")))
    delay = model.programmes.running[0].config.delay_days
    assert 0 < delay < 15
    for _ in range(20 + delay + 1):
        model.step()
    people = model.people
    last_day = (people.last_dose_day[: people.count] == 19) & (people.doses[: people.count] > 0)
    assert last_day.any(), "doses on the campaign's last day"
    assert np.all(people.protection[: people.count][last_day] > 0), "their protection started after the end"
    doses = model.recorder.metric("migrants", "doses").sum(axis=1)
    assert doses[:20].sum() > 0 and doses[20:].sum() == 0


def scenario_with(tmp_path, *events) -> str:
    data = {**DEMO_DATA, "events": [*DEMO_DATA["events"], *events]}
    path = tmp_path / "demo_events.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def test_a_change_of_capacity_takes_effect_on_its_day(tmp_path):
    """The transit camp, where the run starts with two infected people, is cut to 30 places on day 3
    (by date, until a day): from that day its living units are ten times as crowded, and the run
    differs from then on, not before."""
    changed_on, back_on, days = 3, 30, 40
    path = scenario_with(tmp_path, {"name": "camp_cut", "type": "change_capacity", "node": "transit_camp",
                                    "capacity": 30, "day": str(DEMO_START + datetime.timedelta(days=changed_on)),
                                    "until": back_on})
    overrides = ["disease=covid19", f"days={days}"]
    changed = RouteModel(load_scenario(path), run_config(config(*DEMO, *overrides, f"scenario.file={path}")))
    built = RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"), run_config(config(*DEMO, *overrides)))
    camp = changed.routes.index("transit_camp")
    units = []
    while changed.running:
        capacity = changed.sites[camp].capacity
        changed.step()
        built.step()
        units.append((capacity, changed.contacts.units[camp], built.contacts.units[camp]))
    assert [c for c, _, _ in units] == [300] * changed_on + [30] * (back_on - changed_on) + [300] * (days - back_on)
    assert all(u == b for _, u, b in units[:changed_on]) and all(u == b for _, u, b in units[back_on:])
    assert all(u == b / 10 for _, u, b in units[changed_on:back_on])
    np.testing.assert_array_equal(changed.recorder.migrants[:changed_on], built.recorder.migrants[:changed_on])
    assert not np.array_equal(changed.recorder.migrants[changed_on:back_on], built.recorder.migrants[changed_on:back_on])


def test_a_site_opens_on_a_date(tmp_path):
    """The roadside site is closed (every edge into it) until 1 March: nobody arrives there before."""
    opens = (datetime.date(2023, 3, 1) - DEMO_START).days
    path = scenario_with(tmp_path, {"name": "roadside_opens", "type": "close_site", "node": "roadside",
                                    "day": 0, "until": "2023-03-01"})
    model = run(f"scenario.file={path}", scenario=path, days=90)
    roadside = model.routes.index("roadside")
    present = model.recorder.metric("migrants", "present")[:, roadside]
    assert present[:opens].sum() == 0 and present[opens:].sum() > 0


@pytest.mark.parametrize("overrides, expect", [
    ([f"policy.screening.borders.start_day={DAYS}"], ["policy.screening.borders.start_day", f"{DAYS}", "last day"]),
    (["policy.screening.borders.start_day=50", "policy.screening.borders.end_day=40"],
     ["end_day", "40", "not after start_day 50"]),
    (["policy.screening.borders.start_day=2022-12-01"],
     ["policy.screening.borders.start_day", "2022-12-01", "start_date 2023-01-01"]),
    (["policy.screening.borders.start_day=2023-07-01"],  # day 181 of a 160-day run
     ["policy.screening.borders.start_day", "2023-07-01", "a day within the run: day 0 to 159"]),
    (["policy.screening.borders.start_day=2023-02-01", "policy.screening.borders.end_day=20"],
     ["policy.screening.borders.end_day", "20", "a day after start_day (day 31)"]),
    (["policy.screening.borders.end_day=soon"], ["policy.screening.borders.end_day", "'soon'", "or a date"]),
])
def test_a_window_outside_the_run_is_refused_before_it(overrides, expect):
    with pytest.raises(ConfigError) as caught:
        RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"),
                   run_config(config(*DEMO, f"days={DAYS}", "policy=screen_at_borders", *overrides)))
    for fragment in expect:
        assert fragment in str(caught.value), f"{fragment!r} not in:\n{caught.value}"


def test_an_optional_event_after_the_run_is_refused():
    with pytest.raises(ConfigError) as caught:
        RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"),
                   run_config(config(*DEMO, "days=30", "scenario.events=[border_closure]")))
    assert "scenario.events" in str(caught.value) and "starts on day 60" in str(caught.value)
