"""Every shipped scenario loads, validates and runs a year for every shipped disease; the
default scenario reproduces the flow its source document reports."""

import pytest

from conftest import ROOT, config
from sim import RouteModel, load_scenario, run_config, simulate
from sim.config import SCENARIO_DIR

SCENARIOS = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
DISEASES = sorted(p.stem for p in (ROOT / "conf" / "disease").glob("*.yaml"))


def test_every_scenario_has_a_config_entry():
    entries = {p.stem for p in (ROOT / "conf" / "scenario").glob("*.yaml")}
    assert set(SCENARIOS) <= entries


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("disease", DISEASES)
def test_scenario_runs_a_year(scenario, disease):
    summary = simulate(config(f"scenario={scenario}", f"disease={disease}", "days=365")).summary
    assert summary["arrivals"] > 0
    assert 0 <= summary["attack_rate_migrants"] <= 1


def test_western_balkans_flow_matches_the_2023_registrations():
    """163,521 registrations in the region in 2023 (IOM Migration Health Annual Report 2023,
    004_5cb7d248ec639515.txt), made by fewer people, since one person registers in several
    countries (sim.flows); the issue's tolerance is 5%. Poisson noise on ~75,000 groups is about
    0.4%, so the check is of the scenario's flow, not of luck."""
    summary = simulate(config("scenario=western_balkans", "days=365")).summary
    assert abs(summary["registrations"] - 163_521) < 0.05 * 163_521
    assert summary["arrivals"] < 0.7 * 163_521


def test_western_balkans_origins_are_the_reported_six():
    origins = load_scenario(SCENARIO_DIR / "western_balkans.yaml").graph["origins"]
    assert set(origins) == {"AFG", "MAR", "PAK", "SYR", "TUR", "BGD"}


def test_each_entry_carries_its_own_origins():
    """Central Asia: Afghans enter at the Afghan-side crossings, workers on their own corridors."""
    model = RouteModel(load_scenario(SCENARIO_DIR / "central_asia.yaml"), run_config(config("scenario=central_asia", "days=5")))
    model.run()
    people = model.people
    codes = model.arrivals.traits.codes
    afghan_entries = {"afg_hairatan", "afg_aqina", "afg_sherkhan_bandar", "afg_darwaz"}
    at_afghan_entries = [codes[people.origin[i]] for i in range(people.count)
                         if people.arrival_day[i] == 4 and model.routes.node_ids[people.node[i]] in afghan_entries]
    assert at_afghan_entries and set(at_afghan_entries) == {"AFG"}


def test_ukraine_moldova_pre_embarkation_checks_match_the_report():
    """4,272 pre-embarkation checks in 2023 (2,391 on IOM transport Palanca-Husi and Otaci-Iasi,
    470 for relocation, 1,411 for assisted humanitarian returns; 004_5cb7d248ec639515.txt). The
    issue asks for the order of magnitude: within a factor of 3 here. The route weights to those
    departure points were set from the same figures, so this checks the wiring of the scenario and
    the pre-departure policy, not an independent prediction."""
    where = "[iom_transport_palanca,iom_transport_otaci,relocation_hub,avhr_hub]"
    summary = simulate(config("scenario=ukraine_moldova", "days=365", "policy=pre_departure_checks",
                              "policy.screening.pre_departure.where.kinds=[]",
                              f"policy.screening.pre_departure.where.ids={where}",
                              "policy.screening.pre_departure.coverage=1", "compare_to_baseline=false")).summary
    assert 4_272 / 3 < summary["screened"] < 4_272 * 3
