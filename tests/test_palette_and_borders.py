"""One colour per policy everywhere, and the country borders shipped for maps."""

from pathlib import Path

import numpy as np
import yaml
from matplotlib.path import Path as MplPath

from analysis import borders, palette
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


def test_borders_cover_every_real_country_of_the_shipped_scenarios():
    known = {country.iso_a3 for country in borders.countries()}
    assert len(borders.countries()) == 177
    for path in (ROOT / "scenarios").glob("*.yaml"):
        scenario = yaml.safe_load(path.read_text())
        codes = {node["country"] for node in scenario["nodes"]} - {"AAA", "BBB", "CCC"}  # demo's made-up ones
        assert codes <= known, (path.name, codes - known)


def test_a_bounding_box_selects_the_countries_around_it_and_their_rings_hold_their_capitals():
    balkans = {country.name: country for country in borders.countries((18.0, 41.0, 23.0, 46.0))}
    assert {"Serbia", "Bosnia and Herz.", "Macedonia", "Croatia"} <= set(balkans)
    assert "France" not in balkans and "Kazakhstan" not in balkans
    for name, capital in (("Serbia", (20.46, 44.82)), ("Macedonia", (21.43, 42.0))):
        assert any(MplPath(ring).contains_point(capital) for ring in balkans[name].rings), name
        assert not any(MplPath(ring).contains_point(capital) for ring in balkans["Croatia"].rings)


def test_drawing_borders_leaves_the_axes_limits_alone():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_xlim(18, 23)
    ax.set_ylim(41, 46)
    patches = borders.draw(ax, (18.0, 41.0, 23.0, 46.0))
    assert len(patches) >= 6 and ax.get_xlim() == (18, 23) and ax.get_ylim() == (41, 46)
    assert all(patch.get_zorder() < 1 for patch in patches)
    plt.close(fig)


def test_the_borders_data_ships_small_with_its_source():
    folder = Path(borders.SHAPEFILE).parent
    assert sum(path.stat().st_size for path in folder.iterdir()) < 300_000
    assert "public domain" in (folder / "SOURCE.md").read_text().lower()
    assert np.isfinite(np.concatenate([ring for c in borders.countries() for ring in c.rings])).all()
