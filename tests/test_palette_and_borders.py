"""One colour per policy everywhere, and the country borders shipped for maps."""

from analysis import palette
from conftest import ROOT

POLICIES = sorted(p.stem for p in (ROOT / "conf" / "policy").glob("*.yaml"))


def test_every_shipped_policy_has_its_own_fixed_colour():
    colours = [palette.policy_colour(policy) for policy in POLICIES]
    assert all(policy in palette.POLICY_COLOURS for policy in POLICIES)
    assert len(set(colours)) == len(POLICIES)
    assert palette.policy_colour("baseline") == "#000000"


def test_another_policy_keeps_one_colour_whatever_else_is_drawn():
    first = palette.arm_colours(["baseline", "my_policy"])["my_policy"]
    again = palette.arm_colours(["my_policy", "combined", "screen_at_borders"])["my_policy"]
    assert first == again == palette.policy_colour("my_policy")


def test_arms_of_one_policy_are_distinct_shades_ending_at_its_colour():
    arms = [f"vaccinate_at_entry (vaccination.at_entry.uptake={u})" for u in (0.2, 0.5, 0.8)]
    colours = palette.arm_colours(["baseline", *arms])
    assert colours["baseline"] == "#000000"
    assert len({colours[arm] for arm in arms}) == 3
    assert colours[arms[-1]] == palette.policy_colour("vaccinate_at_entry")
