"""Travel-group contact investigation (sim/programmes/contact_investigation.py): a detected
case's co-located travel group is reached, tested, isolated, treated, vaccinated, within capacity
and at its cost."""

import numpy as np
import pytest
import yaml

from conftest import DEMO, config
from sim import ConfigError, RouteModel, load_scenario, run_config, simulate
from sim.config import SCENARIO_DIR
from sim.population import AT_NODE, CORE_COLUMNS, EXITED, WAS_DETECTED, People
from sim.programmes.contact_investigation import Sites, mark_contacts

PROGRAMME = "policy.contact_investigation.travel_groups"


@pytest.fixture(scope="module")
def families(tmp_path_factory):
    """The demo route with families of four on average, so cases have contacts to find."""
    data = yaml.safe_load((SCENARIO_DIR / "demo.yaml").read_text())
    data["arrivals"]["group_size"] = {"mean": 4.0}
    path = tmp_path_factory.mktemp("families") / "families.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def outbreak(families):
    """covid19 spreading fast, every symptomatic case seen and diagnosed in care quickly."""
    return (f"scenario.file={families}", "disease=covid19", "disease.r0=8", "days=150",
            "policy.care.interventions.information=1", "policy.care.diagnosis_probability=1")


@pytest.fixture(scope="module")
def run(outbreak):
    def run(*overrides, policy="contact_investigation"):
        return simulate(config(*outbreak, f"policy={policy}", *overrides), compare_to_baseline=False)
    return run


def contacts_by_reading(where, node, group, flags, offered, investigated):
    """The rule, plainly: at a site of the programme, not detected, with a detected group member
    not yet investigated at the same site."""
    mask = np.zeros(where.shape[0], dtype=bool)
    for i in range(where.shape[0]):
        if where[i] != AT_NODE or not offered[node[i]] or flags[i] & WAS_DETECTED:
            continue
        mask[i] = any(j != i and group[j] == group[i] and where[j] == AT_NODE and node[j] == node[i]
                      and flags[j] & WAS_DETECTED and not flags[j] & investigated for j in range(where.shape[0]))
    return mask


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_contacts_kernel_agrees_with_a_plain_reading(seed):
    rng = np.random.default_rng(seed)
    n, investigated = 400, np.uint8(16)
    arrays = {
        "where": rng.choice([AT_NODE, EXITED], n, p=[0.9, 0.1]),
        "node": rng.integers(0, 3, n),
        "group": np.repeat(np.arange(n), rng.integers(1, 5, n))[:n],
        "flags": rng.choice([0, WAS_DETECTED, WAS_DETECTED | investigated], n, p=[0.8, 0.15, 0.05]),
    }
    dtypes = {column.name: column.dtype for column in CORE_COLUMNS}
    people = People(n, **{c.name: arrays[c.name].astype(dtypes[c.name]) if c.name in arrays
                          else np.zeros(n, dtype=c.dtype) for c in CORE_COLUMNS})
    offered = np.array([True, False, True])
    mask = np.zeros(n, dtype=bool)
    mark_contacts(mask, people, Sites(offered, investigated))
    expected = contacts_by_reading(people.where, people.node, people.group, people.flags, offered, investigated)
    assert expected.sum() > 10, "the draw should make contacts, or the comparison is empty"
    np.testing.assert_array_equal(mask, expected)


@pytest.mark.parametrize("seed", [0, 1])
def test_investigating_contacts_averts_infections(run, seed):
    baseline = run(f"seed={seed}", policy="baseline").summary
    s = run(f"seed={seed}", f"{PROGRAMME}.coverage=1", f"{PROGRAMME}.isolation_places=50", f"{PROGRAMME}.method=pcr").summary
    assert s["contacts_reached"] > 50 and s["contacts_positive"] > 5
    detected_share = lambda summary: summary["detected"] / summary["infections_migrants"]
    assert detected_share(s) > detected_share(baseline), "tracing finds cases care alone misses"
    assert s["infections_migrants"] < baseline["infections_migrants"]


def test_positive_contacts_are_isolated_while_places_last_and_treated_where_care_is(run):
    exact = f"{PROGRAMME}.specificity=1"  # every positive infected, so every positive is treated
    ample = run(f"{PROGRAMME}.isolation_places=50", exact).summary
    assert ample["contacts_positive"] > 0
    assert ample["isolations"] == ample["contacts_positive"] and ample["referrals"] == ample["separated"] == 0
    assert ample["contacts_treated"] == ample["contacts_positive"]  # the demo's centres all have a medical team
    none = run(f"{PROGRAMME}.isolation_places=0", exact).summary
    assert none["isolations"] == 0 and none["isolation_full"] == none["contacts_positive"] > 0
    assert none["referrals"] == none["contacts_positive"]  # the transit camp has a route to the clinic
    apart = run(f"{PROGRAMME}.isolation_places=0", f"{PROGRAMME}.when_full=separate_area", exact).summary
    assert apart["separated"] == apart["contacts_positive"] > 0 and apart["referrals"] == 0


def test_false_positive_contacts_are_not_put_in_care(run):
    """A contact who tests positive without being infected is isolated, but care has nothing to
    treat (and would otherwise keep the in-care flag into a later infection)."""
    s = run(f"{PROGRAMME}.isolation_places=50", f"{PROGRAMME}.specificity=0.5").summary
    assert s["contacts_treated"] < s["contacts_positive"] == s["isolations"]


def test_reached_contacts_are_costed(run):
    s = run().summary
    assert s["costs"]["contact_investigation"] == pytest.approx(s["contacts_reached"] * 10.0)  # cost per contact
    assert s["costs"]["tests"] == pytest.approx(s["contacts_reached"] * 5.0)  # the rapid antigen test's
    assert s["cost_volumes"]["contact_investigation"] == {"volume": s["contacts_reached"], "per": "contact"}


def test_each_site_reaches_at_most_its_contacts_per_day(families, outbreak):
    model = RouteModel(load_scenario(families),
                       run_config(config(*outbreak, "policy=contact_investigation", f"{PROGRAMME}.contacts_per_day=1",
                                         f"{PROGRAMME}.coverage=1", "check=true")))
    model.run()
    reached = model.recorder.metric("migrants", "contacts_reached")
    assert reached.max() == 1, "the limit binds, or the test shows nothing"


def test_ring_vaccination_gives_doses_to_contacts_only(run):
    """With a vaccination programme that is not routine, the only doses are those the
    investigation brings: every dose is a contact's."""
    result = run("+policy.vaccination.ring={where: {kinds: [transit_centre, reception_centre]}, uptake: 1.0, "
                 "routine: false}", f"{PROGRAMME}.vaccination=ring")
    s = result.summary
    assert s["contacts_vaccinated"] > 0
    assert s["doses"] == s["contacts_vaccinated"]


def test_a_vaccination_programme_the_policy_lacks_is_refused():
    with pytest.raises(ConfigError) as caught:
        run_config(config(*DEMO, "policy=contact_investigation", f"{PROGRAMME}.vaccination=nowhere"))
    assert "contact_investigation.travel_groups.vaccination" in str(caught.value) and "'nowhere'" in str(caught.value)


def test_an_unknown_test_method_is_refused():
    with pytest.raises(ConfigError) as caught:
        run_config(config(*DEMO, "policy=contact_investigation", f"{PROGRAMME}.method=smell"))
    assert "policy.contact_investigation.travel_groups.method" in str(caught.value) and "'smell'" in str(caught.value)
