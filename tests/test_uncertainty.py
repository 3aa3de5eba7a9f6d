"""Declared uncertainty: a ranged number's distribution, chosen by name, is what SALib and scipy
draw, inside the range; parameters are chosen by label."""

import numpy as np
import pytest
from SALib.sample import sobol as sobol_sample
from scipy import stats

from conftest import DEMO, config
from sim import simulate
from sim.uncertainty import Uncertain, problem, select, uncertain, with_values

DRAWS = 4096  # Sobol points: a sample mean's error is far below the tolerances used here


def number(label="x", **declared):
    data = {"value": 0.5, "range": [0.2, 0.9], "source": "test", **declared}
    return uncertain({label: data}, "config")[0]


def drawn(parameter: Uncertain) -> np.ndarray:
    """Values SALib draws for `parameter` (with a second, uniform one beside it)."""
    spec = problem([parameter, number("other")])
    sample = sobol_sample.sample(spec, DRAWS // 4, calc_second_order=False, seed=1)[:, 0]
    return np.array([parameter.from_draw(x) for x in sample])


@pytest.mark.parametrize("declared, mean", [
    ({}, (0.2 + 0.9) / 2),
    ({"distribution": "triangular"}, (0.2 + 0.9 + 0.5) / 3),
    ({"distribution": "truncated_normal", "sd": 0.1},
     stats.truncnorm(-3, 4, loc=0.5, scale=0.1).mean()),
    ({"distribution": "lognormal", "sd": 0.3},
     np.exp(stats.truncnorm(np.log(0.2 / 0.5) / 0.3, np.log(0.9 / 0.5) / 0.3, loc=np.log(0.5), scale=0.3).rvs(
         200_000, random_state=2)).mean()),
    ({"distribution": "log_uniform"}, (0.9 - 0.2) / np.log(0.9 / 0.2)),
])
def test_each_distribution_is_drawn_inside_the_range_with_its_mean(declared, mean):
    parameter = number(**declared)
    values = drawn(parameter)
    assert values.min() >= 0.2 and values.max() <= 0.9
    assert values.mean() == pytest.approx(mean, abs=0.005)
    draws = parameter.frozen().rvs(DRAWS, random_state=3)
    same = stats.ks_2samp(values, [parameter.from_draw(x) for x in draws])
    assert same.pvalue > 0.001, "scipy's frozen distribution is SALib's"


def test_a_triangle_may_peak_at_either_end():
    for value in (0.2, 0.9):
        values = drawn(number(value=value, distribution="triangular"))
        assert values.mean() == pytest.approx((0.2 + 0.9 + value) / 3, abs=0.005)


def test_a_range_without_width_cannot_be_varied():
    with pytest.raises(ValueError, match="no width"):
        problem([number(value=0.5, range=[0.5, 0.5])])


def test_parameters_are_chosen_by_label_or_pattern_in_the_order_asked():
    data = {"unit_size": {kind: {"value": 4, "range": [2, 6]} for kind in ("camp", "clinic")},
            "nodes": [{"id": "camp", "capacity": {"value": 10, "range": [5, 20]}}]}
    found = uncertain(data, "scenario")
    assert [p.label for p in select(found, ["nodes[camp].capacity", "unit_size.*"])] == [
        "nodes[camp].capacity", "unit_size.camp", "unit_size.clinic"]
    assert select(found, ["all"]) == found
    with pytest.raises(ValueError, match="unit_size.camp, unit_size.clinic, nodes"):
        select(found, ["unit_size.tent"])
    moved = with_values(data, {found[0]: 5.4, found[2]: 17.2})
    assert moved["unit_size"]["camp"]["value"] == 5 and moved["nodes"][0]["capacity"]["value"] == 17
    assert data["unit_size"]["camp"]["value"] == 4


def test_a_run_uses_the_value_of_a_number_with_a_distribution():
    plain = simulate(config(*DEMO, "days=20"), compare_to_baseline=False)
    declared = simulate(config(*DEMO, "days=20", "+transmission.unit_contact_share.distribution=truncated_normal",
                               "+transmission.unit_contact_share.sd=0.05"), compare_to_baseline=False)
    assert declared.summary["infections_migrants"] == plain.summary["infections_migrants"]
    assert declared.config["transmission"]["unit_contact_share"] == 0.25
