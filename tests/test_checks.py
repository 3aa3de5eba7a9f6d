"""The checking mode (`check=true`, sim.checks): clean runs pass every day's invariants, and each
kind of fault it is there to catch stops the run with InvariantError."""

import numpy as np
import pytest

from conftest import DEMO, bundle_disease, config
from sim import RouteModel, load_scenario, run_config, simulate
from sim.checks import InvariantError
from sim.config import CONFIG_DIR, SCENARIO_DIR

BASE = (*DEMO, "disease.r0=8", "days=80", "check=true")
BUNDLES = sorted(path.stem for path in (CONFIG_DIR / "policy").glob("*.yaml"))


@pytest.mark.parametrize("policy", BUNDLES)
def test_every_bundle_keeps_the_invariants(policy):
    disease = bundle_disease(policy, "covid19")
    result = simulate(config(*BASE, f"disease={disease}", f"policy={policy}", *(["scenario=western_balkans"]
                             if disease == "tuberculosis" else [])), compare_to_baseline=False)
    assert result.summary["infections_migrants"] > 0, "an outbreak, or the infection checks check nothing"


def test_a_shipped_route_keeps_the_invariants():
    simulate(config("scenario=western_balkans", "disease=covid19", "policy=combined", "days=40", "check=true"),
             compare_to_baseline=False)


def model(*overrides) -> RouteModel:
    return RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"), run_config(config(*BASE, "disease=covid19", *overrides)))


def counted_wrong(function, metric: str):
    """`function`, then one more `metric` counted at node 0 than happened."""
    def wrong(*args, **kwargs):
        returned = function(*args, **kwargs)
        tally = args[-1]  # every core kernel takes the day's tally last
        tally[0, 0, metric] += 1
        return returned
    return wrong


@pytest.mark.parametrize("kernel, metric, check", [
    ("infect", 0, "new infections counted against the people infected"),
    ("progress", 1, "deaths counted against the people who died"),
])
def test_a_flow_counted_wrong_is_caught(monkeypatch, kernel, metric, check):
    from sim import kernels

    monkeypatch.setattr(kernels, kernel, counted_wrong(getattr(kernels, kernel), metric))
    with pytest.raises(InvariantError, match=check):
        model().run()


def test_a_stock_left_unmoved_is_caught(monkeypatch):
    from sim.tally import Tally

    monkeypatch.setattr(Tally, "move_new_infections", lambda self, susceptible, exposed: None)
    with pytest.raises(InvariantError, match="stocks recorded against the census"):
        model().run()


def test_people_who_vanish_are_caught(monkeypatch):
    broken = model()
    admit = broken.arrivals.admit

    def admit_one_more(people, day, tally):
        admit(people, day, tally)
        tally.add("arrivals", np.eye(1, broken.routes.node_count, 0, dtype=np.int64)[0])

    monkeypatch.setattr(broken.arrivals, "admit", admit_one_more)
    with pytest.raises(InvariantError, match="people conserved"):
        broken.run()


def test_capacity_exceeded_is_caught(monkeypatch):
    from sim.programmes import screening

    monkeypatch.setattr(screening, "first_come_first_served", lambda rows, node, capacity: np.ones(rows.shape[0], dtype=bool))
    with pytest.raises(InvariantError, match="capacities"):
        model("policy=screen_at_borders", "policy.screening.borders.capacity_per_day=1").run()


def test_without_the_check_the_same_fault_passes_silently(monkeypatch):
    from sim.tally import Tally

    monkeypatch.setattr(Tally, "move_new_infections", lambda self, susceptible, exposed: None)
    model("check=false").run()
