"""Every programme and barrier intervention has a unit cost and a volume, in the policy's
currency; the summary lists cost by item with its volume."""

import numpy as np
import pytest

from conftest import DEMO, config
from sim import ConfigError, RouteModel, load_scenario, run_config, simulate
from sim.config import SCENARIO_DIR
from sim.population import IN_CARE
from sim.programmes.care import BARRIERS, PAID_PER

BASE = (*DEMO, "disease=covid19", "disease.r0=8", "days=120")


def refused(*overrides) -> str:
    with pytest.raises(ConfigError) as caught:
        run_config(config(*BASE, *overrides))
    return str(caught.value)


def test_lowering_barriers_costs_each_intervention_by_its_volume():
    """Interpreters are paid per consultation of someone facing the language barrier, times the
    interpreters' level; information per arrival reached; a firewall and community engagement
    per day of each site offering care. Followed here day by day from the people seen."""
    model = RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"), run_config(config(*BASE, "policy=lower_barriers")))
    levels = model.config.policy.care.interventions
    language = BARRIERS.index("language")
    interpreted = 0.0
    while model.running:
        before = model.people.flags[: model.people.count] & IN_CARE
        model.step()
        people = model.people
        seen = np.flatnonzero((people.flags[: before.shape[0]] & IN_CARE) & ~before)
        interpreted += levels.interpreters * np.count_nonzero((people.barriers[seen] >> language) & 1)
    care = next(p for p in model.programmes.running if p.kind == "care")
    unit = model.config.policy.care.intervention_costs
    assert care.volumes["interpreters"] == pytest.approx(interpreted) and interpreted > 0
    assert care.costs["interpreters"].sum() == pytest.approx(interpreted * unit["interpreters"].unit_cost)
    arrivals = model.recorder.metric("migrants", "arrivals").sum()
    assert care.volumes["information"] == pytest.approx(levels.information * arrivals)
    open_site_days = model.config.days * np.count_nonzero(care.on_site)
    assert care.volumes["firewall"] == pytest.approx(levels.firewall * open_site_days)
    assert care.volumes["community_engagement"] == pytest.approx(levels.community_engagement * open_site_days)


@pytest.mark.parametrize("policy", ["baseline", "lower_barriers", "combined"])
def test_the_summary_lists_every_cost_with_its_volume_and_unit(policy):
    s = simulate(config(*BASE, f"policy={policy}"), compare_to_baseline=False).summary
    costs, volumes = s["costs"], s["cost_volumes"]
    items = [item for item in costs if item not in ("currency", "total")]
    assert set(items) == set(volumes) >= {"consultations", "tests", "doses", "isolation", *PAID_PER}
    assert costs["total"] == pytest.approx(sum(costs[item] for item in items))
    assert all(volumes[item]["per"] for item in items)
    assert all((volumes[item]["volume"] > 0) == (costs[item] > 0) for item in items)
    if policy == "lower_barriers":
        assert all(costs[item] > 0 for item in PAID_PER)  # interpreters and the rest used to cost nothing
    if policy == "baseline":
        assert all(costs[item] == 0 for item in PAID_PER)


def test_the_policy_currency_must_be_a_currency_code():
    message = refused("policy.currency=''")
    assert "policy.currency" in message and "''" in message
    assert "policy.currency" in refused("~policy.currency")


def test_a_cost_in_another_currency_is_refused():
    message = refused("policy=lower_barriers", "policy.care.cost_per_consultation={value: 25, currency: USD}")
    assert "policy.care.cost_per_consultation" in message and "'USD'" in message and "'EUR'" in message
    same = run_config(config(*BASE, "policy.care.cost_per_consultation={value: 25, currency: EUR, source: x}"))
    assert same.policy.care.cost_per_consultation == 25


def test_an_intervention_in_use_needs_a_unit_cost():
    message = refused("policy=lower_barriers", "~policy.care.intervention_costs.firewall")
    assert "policy.care.intervention_costs.firewall" in message and "site-day" in message


def test_a_vaccine_without_a_dose_cost_is_refused():
    message = refused("policy=vaccinate_at_entry", "~policy.dose_costs.covid19")
    assert "policy.dose_costs.covid19" in message and "policy.vaccination.at_entry.cost_per_dose" in message


def test_referrals_and_the_separate_area_are_costed():
    pre = "policy.screening.pre_departure"
    referred = simulate(config(*BASE, "policy=pre_departure_checks", f"{pre}.isolation_places=0"),
                        compare_to_baseline=False).summary
    isolation = run_config(config(*BASE)).policy.isolation
    assert referred["referrals"] > 0
    assert referred["costs"]["referrals"] == pytest.approx(referred["referrals"] * isolation.cost_per_referral)
    apart = simulate(config(*BASE, "policy=pre_departure_checks", f"{pre}.isolation_places=0",
                            f"{pre}.when_full=separate_area"), compare_to_baseline=False).summary
    assert apart["cost_volumes"]["separate_area"]["volume"] == apart["separated"] * 7  # the bundle's isolation days
    assert apart["costs"]["separate_area"] == pytest.approx(apart["separated"] * 7 * isolation.separate_area_cost_per_day)
