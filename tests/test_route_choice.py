"""Route choice that sees the route (issue 17 item 2): an edge's weight falls when the site it leads
to holds more people than its capacity; a closed or full site turns people away; with every way
out full people wait and go on when space frees (sim.routes.Routes.choice_on, sim.schema.Movement).

The scenarios are small: a start site whose people (initial groups, each person travelling alone,
so each chooses independently) leave from day 1, two sites with the same base weight, a
destination. Choices on day 1 see the people each site held at the end of day 0.
"""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, config
from sim import RouteModel, run_config
from sim.scenario import checked_graph

MOVERS = 20_000


def node(node_id, kind="reception_centre", capacity=0, dwell=(1, 1), **extra):
    return {"id": node_id, "kind": kind, "name": node_id, "country": "AAA", "lat": 0.0, "lon": 0.0,
            "capacity": capacity, "host_population": 0, "dwell": {"mean": dwell[0], "shape": dwell[1]}, **extra}


def two_ways(a: dict, b: dict, initial: list[dict], movers: int = MOVERS) -> dict:
    """start -> a or b (same base weight, no travel) -> away."""
    return {
        "name": "two_ways", "start_date": "2023-01-01",
        "nodes": [node("start"), node("a", **a), node("b", **b), node("away", kind="destination")],
        "edges": [{"from": "start", "to": "a", "travel_days": 0, "weight": 1.0},
                  {"from": "start", "to": "b", "travel_days": 0, "weight": 1.0},
                  {"from": "a", "to": "away", "travel_days": 0, "weight": 1.0},
                  {"from": "b", "to": "away", "travel_days": 0, "weight": 1.0}],
        "origins": {"AAA": {"name": "A", "age": {"18-59": 1.0}}},
        "initial": [{"node": "start", "people": movers, "origin": "AAA"}] + initial,
    }


def run(data: dict, days: int, *overrides: str) -> RouteModel:
    """`days` days of a run (configured for at least 5, past the reporting delay)."""
    model = RouteModel(checked_graph(data, "test scenario"),
                       run_config(config("disease=covid19", f"days={max(days, 5)}", "seed=3", *overrides)))
    for _ in range(days):
        model.step()
    return model


def entries(model: RouteModel, node_id: str) -> np.ndarray:
    """[day]: people reaching the node."""
    return model.recorder.metric("migrants", "entries")[:, model.routes.index(node_id)]


STAYERS = {"node": "a", "people": 400, "origin": "AAA"}  # four times a's capacity, staying all run
FULL_A = {"capacity": 100, "dwell": (200, 100)}
EMPTY_B = {"capacity": 100, "dwell": (200, 100)}


@pytest.mark.parametrize(("aversion", "share_a"), [(1.0, 0.25 / 1.25), (2.0, 0.0625 / 1.0625), (0.0, 0.5)])
def test_a_full_site_receives_fewer_than_an_empty_one(aversion, share_a):
    """Site a holds 400 people in 100 places, b nobody, and both have base weight 1: a keeps
    (100 / 400) ** aversion of its weight, so each of the n people leaving on day 1 goes to a with
    probability f / (f + 1), independently (each travels alone). Their count at a is binomial:
    within 4 standard deviations of n p (a chance of 6e-5 of failing by noise; the seed is fixed).
    With no aversion (0, the rule switched off) both are equally likely: the control."""
    model = run(two_ways(FULL_A, EMPTY_B, [STAYERS]), 2, f"movement.capacity_aversion={aversion}")
    to_a, to_b = entries(model, "a")[1], entries(model, "b")[1]
    n = to_a + to_b
    assert n > MOVERS / 3, "most of the start's people should leave on day 1"
    assert abs(to_a - n * share_a) <= 4 * math.sqrt(n * share_a * (1 - share_a)), (to_a, to_b, share_a)


def test_travel_days_weigh_routes_when_distance_counts():
    """With distance_power 1 an edge of 3 travel days keeps 1 / (1 + 3) of its weight against one
    of 0 days: a fifth of the movers take it (binomial, 4 standard deviations)."""
    data = two_ways({}, {}, [])
    data["edges"][0]["travel_days"] = 3
    model = run(data, 2, "movement.distance_power=1")
    on_way_to_a = model.recorder.metric("migrants", "in_transit")[1, model.routes.index("a")]
    to_b = entries(model, "b")[1]
    n, p = on_way_to_a + to_b, 0.25 / 1.25
    assert abs(on_way_to_a - n * p) <= 4 * math.sqrt(n * p * (1 - p)), (on_way_to_a, to_b)


def test_a_closed_site_receives_nobody():
    model = run(two_ways({"closed": True}, {}, [], movers=2_000), 20)
    assert entries(model, "a").sum() == 0
    assert entries(model, "b").sum() == 2_000, "everyone goes the other way"


def test_people_wait_while_every_way_out_is_full_and_go_when_space_frees():
    """The only way on from start leads to a, which turns people away at 50 and holds 50 people
    until they leave after about 20 days (Erlang shape 100: 13 days at the earliest). The start's
    30 people wait at start meanwhile, and all reach a once a has room."""
    data = two_ways({"full_at": 50, "dwell": (20, 100)}, {}, [{"node": "a", "people": 50, "origin": "AAA"}], movers=30)
    data["nodes"] = [n for n in data["nodes"] if n["id"] != "b"]
    data["edges"] = [e for e in data["edges"] if "b" not in (e["from"], e["to"])]
    model = run(data, 40)
    present_at_start = model.recorder.metric("migrants", "present")[:, model.routes.index("start")]
    assert entries(model, "a")[1:12].sum() == 0, "a is full: nobody enters it"
    assert (present_at_start[:12] == 30).all(), "they wait where they are"
    assert entries(model, "a")[12:].sum() == 30, "all go on once a has room"
    assert present_at_start[-1] == 0


THREADS_SCRIPT = """
import copy, hashlib, sys, numba, yaml
sys.path.insert(0, "tests")
from conftest import DEMO, config
from sim import simulate
from sim.config import SCENARIO_DIR
from sim.scenario import checked_graph
assert numba.config.NUMBA_NUM_THREADS == 3, numba.config.NUMBA_NUM_THREADS
data = yaml.safe_load((SCENARIO_DIR / "demo.yaml").read_text())
data["nodes"][1]["capacity"] = 40     # the transit camp holds ~140: over capacity
data["nodes"][2]["full_at"] = 25      # the roadside site turns people away at 25
graph = checked_graph(data, "demo, crowded")
for threads in (1, 2, 3):
    series = simulate(config(*DEMO, "days=120", "disease=covid19", f"threads={threads}", "parallel_from_rows=0"),
                      scenario=graph).timeseries
    print(hashlib.sha256(series.to_csv(index=False).encode()).hexdigest())
"""


def test_route_choice_over_full_sites_is_the_same_on_any_number_of_threads():
    """With sites over capacity and one full, one, two and three threads (every day parallel) give
    the same time series: every choice of a day reads last night's counts, whoever moves first."""
    done = subprocess.run([sys.executable, "-c", THREADS_SCRIPT], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "NUMBA_NUM_THREADS": "3"})
    assert done.returncode == 0, done.stderr
    hashes = done.stdout.split()
    assert len(hashes) == 3 and len(set(hashes)) == 1, hashes
