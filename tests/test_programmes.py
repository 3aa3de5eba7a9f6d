"""The programme registry: what a programme kind declares becomes the policy configuration, the
baseline, the person columns, the metrics, the summary's totals and costs, and the reference."""

import numpy as np
import pytest

from conftest import DEMO, ROOT, bundle_disease, config
from sim import RouteModel, load_scenario, run_config, simulate
from sim.config import CONFIG_DIR, SCENARIO_DIR
from sim.population import CORE_COLUMNS, CORE_FLAGS, Column, FlagBits, Population
from sim.programme import Stage
from sim.programmes.docs import reference
from sim.programmes.policy import PolicyConfig
from sim.programmes.registry import programme_classes
from sim.rng import named_stream

BUNDLES = sorted(path.stem for path in (CONFIG_DIR / "policy").glob("*.yaml"))


def test_the_registry_finds_every_kind_in_the_order_they_run():
    classes = programme_classes()
    assert {"care", "mobile_teams", "screening", "vaccination"} <= {cls.kind for cls in classes}
    order = [(cls.stage.value, cls.rank) for cls in classes]
    assert order == sorted(order)
    assert [cls.kind for cls in classes if cls.stage is Stage.CARE_SEEKING] == ["care"]


def test_the_policy_configuration_has_a_field_per_kind():
    for cls in programme_classes():
        assert cls.kind in PolicyConfig.model_fields
        annotation = PolicyConfig.model_fields[cls.kind].annotation
        assert annotation == (dict[str, cls.Config] if cls.named else cls.Config) or cls.Config in annotation.__args__


def test_the_baseline_is_each_kind_in_its_baseline_form():
    combined = run_config(config("policy=combined")).policy
    baseline = combined.baseline()
    assert baseline.name == "baseline"
    assert all(getattr(baseline, cls.kind) == {} for cls in programme_classes() if cls.named)
    assert baseline.care.interventions.model_dump() == dict.fromkeys(baseline.care.interventions.model_dump(), 0.0)
    assert baseline.care.barriers == combined.care.barriers  # the world is the same, without the programmes


@pytest.mark.parametrize("policy", BUNDLES)
def test_every_summary_has_the_same_keys(policy):
    """Totals and cost items come from every kind there is, not only those a bundle runs."""
    disease = bundle_disease(policy, "measles")
    keys = lambda name: set(simulate(config(*DEMO, "days=5", f"disease={disease}", f"policy={name}"),
                                     compare_to_baseline=False).summary)
    assert keys(policy) == keys("baseline")


def test_a_run_holds_the_columns_of_the_kinds_it_runs():
    graph = load_scenario(SCENARIO_DIR / "demo.yaml")
    plain = RouteModel(graph, run_config(config(*DEMO, "days=5")))
    vaccinating = RouteModel(graph, run_config(config(*DEMO, "days=5", "policy=vaccinate_at_entry")))
    names = lambda model: {column.name for column in model.people.columns}
    assert {"doses", "last_dose_day"} & names(plain) == set() and "barriers" in names(plain)
    assert {"doses", "last_dose_day", "barriers"} <= names(vaccinating)
    assert plain.people.bytes_per_person() < vaccinating.people.bytes_per_person()


def test_a_column_declared_twice_is_refused():
    with pytest.raises(ValueError, match="declared twice"):
        Population(10, CORE_COLUMNS + (Column("node", np.int8, owner="someone"),))


def test_programme_flag_bits_are_the_free_ones():
    bits = FlagBits(("traced", "investigated"))
    assert not (int(bits["traced"]) | int(bits["investigated"])) & int(CORE_FLAGS)
    assert bits["traced"] != bits["investigated"]
    with pytest.raises(ValueError, match="free"):
        FlagBits(tuple(f"bit{i}" for i in range(5)))


def test_a_programmes_streams_depend_on_its_own_name_only():
    """Adding or reordering programmes leaves the others' draws alone: keys come from names."""
    two = run_config(config(*DEMO, "policy=combined")).policy
    model = RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"), run_config(config(*DEMO, "policy=combined")))
    borders = next(p for p in model.programmes.running if p.kind == "screening" and p.name == "borders")
    assert borders.stream("test") == named_stream("screening.borders.test")
    assert list(two.screening) == ["borders", "pre_departure"]


def test_unknown_keys_of_a_programme_are_refused_with_the_path():
    from sim import ConfigError

    with pytest.raises(ConfigError) as caught:
        run_config(config("policy=vaccinate_at_entry", "+policy.vaccination.at_entry.uptak=0.5"))
    assert "policy.vaccination.at_entry.uptak" in str(caught.value) and "unknown key" in str(caught.value)


def test_sites_show_what_they_offer():
    model = RouteModel(load_scenario(SCENARIO_DIR / "demo.yaml"), run_config(config(*DEMO, "policy=combined")))
    by_id = {site.node_id: site.offers for site in model.sites}
    assert "screening.borders" in by_id["border_post"] and "care" in by_id["transit_camp"]
    assert "mobile_teams.informal_sites" in by_id["roadside"]


def test_the_reference_is_current():
    """docs/PROGRAMMES.md is what `python -m sim.programmes` writes now."""
    assert (ROOT / "docs" / "PROGRAMMES.md").read_text() == reference(), "run python -m sim.programmes"
