"""Mobile teams on the graph: a team drives the route's edges between its sites, spends their
travel days on the road (serving nobody, paid for), and goes where the need is when a rule says."""

import numpy as np
import pytest

from conftest import DEMO, config
from sim import RouteModel, load_scenario, run_config, simulate
from sim.config import SCENARIO_DIR

# the demo's transit camp and exit post: one edge of 1 travel day between them
TEAM = ("policy=mobile_teams", "policy.mobile_teams.informal_sites.where.kinds=[]",
        "policy.mobile_teams.informal_sites.where.ids=[transit_camp,exit_post]",
        "policy.mobile_teams.informal_sites.visits_per_week=7")


def model_of(*overrides, days: int = 28) -> RouteModel:
    return RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"), run_config(config(*DEMO, f"days={days}", *TEAM, *overrides)))


def days_of(model, each_day=lambda: None) -> list:
    """Where the team works each day (None: on the road)."""
    programme = next(p for p in model.programmes.running if p.kind == "mobile_teams")
    where = []
    while model.running:
        model.step()
        each_day()
        where.append(programme.team.site.node_id if programme.team.site is not None else None)
    return where


def test_a_team_spends_the_travel_days_on_the_road():
    """Working every day of the week, the team works at the camp, drives a day, works at the exit
    post, drives back: half its days are on the road, paid for, and bring no consultations."""
    model = model_of()
    assert days_of(model)[:6] == ["transit_camp", None, "exit_post", None, "transit_camp", None]
    road = model.recorder.metric("migrants", "team_days_on_road").sum()
    assert road == 14
    costs = model.programmes.running[0].costs["mobile_teams"]
    assert costs.sum() == pytest.approx(28 * 700)


def test_a_team_flown_in_jumps_from_site_to_site():
    model = model_of("policy.mobile_teams.informal_sites.travel=false")
    assert days_of(model)[:4] == ["transit_camp", "exit_post", "transit_camp", "exit_post"]
    assert model.recorder.metric("migrants", "team_days_on_road").sum() == 0


def test_a_day_on_the_road_has_its_own_cost():
    model = model_of("policy.mobile_teams.informal_sites.cost_per_travel_day=100")
    days_of(model)
    assert model.programmes.running[0].costs["mobile_teams"].sum() == pytest.approx(14 * 700 + 14 * 100)


@pytest.mark.parametrize("routing, metric", [("reported_cases", "detected"), ("unmet_need", "symptomatic")])
def test_a_team_goes_where_the_need_is(routing, metric):
    """With need recorded at the exit post only, the team does not follow its schedule back to the
    camp: it stays at the exit post while the need is there."""
    model = model_of(f"policy.mobile_teams.informal_sites.routing={routing}", "policy.mobile_teams.informal_sites.window_days=30",
                     days=40)
    team = model.programmes.running[0].team
    column, post = model.recorder.migrant_names.index(metric), model.routes.index("exit_post")
    def record_need():  # as if reported (or ill and unseen) there every day so far
        model.recorder.migrants[: model.day, post, column] = 5
    where = days_of(model, record_need)
    delay = model.config.policy.surveillance.reporting_delay_days
    settled = where[delay + 4:]
    assert set(settled) == {"exit_post"}, where
    assert team.turn > 10, "it chose again after every visit"


def test_a_team_schedule_without_need_is_the_schedule():
    scheduled = days_of(model_of())
    ruled = days_of(model_of("policy.mobile_teams.informal_sites.routing=reported_cases"))
    assert ruled == scheduled


def test_a_team_on_the_road_resumes_on_the_road(tmp_path):
    """Saved on a day it is driving, resumed: the run straight through, its days on the road too."""
    model = model_of(days=40)
    for _ in range(5):  # day 5: on the road back to the camp
        model.step()
    model.save(tmp_path / "day5")
    overrides = ["days=40", "compare_to_baseline=false", *TEAM]
    straight = simulate(config(*DEMO, *overrides))
    resumed = simulate(config(*DEMO, *overrides, f"resume_from={tmp_path / 'day5'}"))
    np.testing.assert_array_equal(resumed.timeseries["value"].to_numpy(), straight.timeseries["value"].to_numpy())
    assert straight.summary["team_days_on_road"] == 20
