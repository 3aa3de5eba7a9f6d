"""Decision support: the cost per outcome averted from medians of paired differences, the efficiency
frontier with strong and extended dominance, net monetary benefit, and the probability each policy is
the most cost-effective."""

import numpy as np
import pandas as pd
import pytest

import analysis
from analysis.comparison import cost_per_outcome
from analysis.decision import best_shares, decide, frontier

# Infections averted against baseline on five seeds: harm on three, a gain on two.
HARMFUL = [-400, -409, -500, 300, 250]


def summaries(arms: dict[str, tuple[list[float], list[float]]], baseline_infections: float = 1000.0, **extra):
    """A summaries frame: per arm, (infections averted, cost above baseline) on each seed."""
    rows = []
    seeds = len(next(iter(arms.values()))[0])
    for seed in range(seeds):
        rows.append({"policy": "baseline", "seed": seed, "infections_migrants": baseline_infections,
                     "costs.total": 0.0})
        for policy, (averted, cost) in arms.items():
            rows.append({"policy": policy, "seed": seed, "infections_migrants": baseline_infections - averted[seed],
                         "costs.total": cost[seed]})
    frame = pd.DataFrame(rows).assign(scenario="demo", disease="measles", infections_hosts=0.0, deaths_migrants=0.0,
                                      deaths_hosts=0.0, exported_infectious=0.0, detected=0.0, doses=0.0, **extra)
    frame.attrs["parameters"] = ["scenario", "disease", "policy", "seed"]
    return frame


def cost_row(comparison, arm):
    return comparison[(comparison["arm"] == arm) & (comparison["outcome"] == "cost_per_outcome_averted")].iloc[0]


def test_a_policy_with_median_harm_never_gets_a_favourable_cost_per_outcome():
    comparison = analysis.compare(summaries({"screen_at_borders": (HARMFUL, [6000.0] * 5)}))
    row = cost_row(comparison, "screen_at_borders")
    assert np.isnan(row["median"])  # on main: 1,204-like, averaged over the two favourable seeds
    assert row["note"] == "not favourable: more infections than baseline on the median seed"
    table = analysis.comparison_table(comparison)
    cell = table.loc[table.index.str.startswith("cost per infection averted"), "screen_at_borders"].item()
    assert cell.startswith("not favourable") and "EUR per" not in cell


def test_cost_per_outcome_is_the_median_cost_over_the_median_averted():
    comparison = analysis.compare(summaries({"vaccinate_at_entry": ([10, 20, 30, 40, 1000], [100, 300, 500, 700, 900])}))
    assert cost_row(comparison, "vaccinate_at_entry")["median"] == pytest.approx(500 / 30)


@pytest.mark.parametrize(("cost", "averted", "expected"), [
    (100.0, 0.0, "not favourable: no infections averted on the median seed"),
    (-50.0, 10.0, "dominant: infections averted at no extra cost"),
    (-50.0, -10.0, "not favourable: more infections than baseline on the median seed"),
])
def test_no_ratio_is_given_where_it_would_mislead(cost, averted, expected):
    value, note = cost_per_outcome(cost, averted)
    assert np.isnan(value) and note == expected


def test_a_baseline_that_is_not_an_arm_is_an_error_listing_the_arms():
    frame = summaries({"vaccinate_at_entry": ([1, 2], [10, 10])})
    with pytest.raises(ValueError, match="baseline 'basline' is not an arm of these runs; the arms are: "
                                         "baseline, vaccinate_at_entry"):
        analysis.compare(frame, baseline="basline")


def test_the_health_outcome_is_a_parameter_and_dalys_are_used_where_summaries_carry_them():
    frame = summaries({"vaccinate_at_entry": ([10, 20, 30], [100, 200, 300])})
    with pytest.raises(ValueError, match="outcome 'dalys' is not in these runs"):
        analysis.compare(frame, outcome="dalys")
    frame["dalys"] = np.where(frame["policy"] == "baseline", 50.0, 40.0)
    comparison = analysis.compare(frame, outcome="dalys")
    averted = comparison[(comparison["arm"] == "vaccinate_at_entry") & (comparison["outcome"] == "dalys_averted")]
    assert averted["median"].item() == 10
    assert cost_row(comparison, "vaccinate_at_entry")["median"] == pytest.approx(200 / 10)
    assert decide(analysis.paired(frame), outcome="dalys").table.set_index("arm").loc["vaccinate_at_entry", "icer"] == 20


def test_the_frontier_marks_strong_and_extended_dominance_and_gives_icers_against_the_next_best():
    # A textbook set: D is extendedly dominated (A to C is cheaper per infection than A to D), B
    # strongly dominated by C (dearer, averts less).
    points = pd.DataFrame({"cost": [0, 1000, 3000, 2500, 1500, 5000], "averted": [0, 10, 15, 20, 11, 21]},
                          index=["O", "A", "B", "C", "D", "E"])
    table = frontier(points)
    assert table["status"].to_dict() == {"O": "reference", "A": "frontier", "D": "extendedly dominated",
                                         "C": "frontier", "B": "dominated by C", "E": "frontier"}
    assert table.loc[["A", "C", "E"], "against"].tolist() == ["O", "A", "C"]
    assert table.loc[["A", "C", "E"], "icer"].tolist() == [100, 150, 2500]


def test_equal_options_are_not_both_on_the_frontier():
    table = frontier(pd.DataFrame({"cost": [0, 10, 10], "averted": [0, 5, 5]}, index=["O", "P", "Q"]))
    assert table["status"].tolist() == ["reference", "frontier", "same as P"]


def test_net_benefit_ranks_the_arms_and_the_best_share_counts_seeds():
    # Per seed: cheap averts 10 for 1,000; dear averts 30 on two seeds and 0 on the third, for 5,000.
    frame = summaries({"cheap": ([10, 10, 10], [1000, 1000, 1000]), "dear": ([30, 30, 0], [5000, 5000, 5000])})
    decision = decide(analysis.paired(frame), thresholds=(50.0, 400.0))
    table = decision.table.set_index("arm")
    assert table.loc["cheap", "nmb 50"] == 50 * 10 - 1000
    assert table.loc["dear", "nmb 400"] == pytest.approx(400 * 20 - 5000)
    assert table.index[table["rank"] == 1].item() == "baseline"  # at 50 EUR nothing is worth it
    # at 400: cheap's NMB is 3,000 on every seed; dear's 7,000, 7,000 and -5,000
    assert table.loc[["baseline", "cheap", "dear"], "p_best 400"].tolist() == pytest.approx([0, 1 / 3, 2 / 3])
    assert table.loc[["baseline", "cheap", "dear"], "p_best 50"].tolist() == pytest.approx([1, 0, 0])
    assert decision.draws == 3


def test_the_acceptability_curve_sums_to_one_at_every_threshold():
    frame = summaries({"cheap": ([10, 12, 8], [1000, 900, 1100]), "dear": ([30, 25, 0], [5000, 4000, 6000])})
    curve = decide(analysis.paired(frame)).acceptability
    assert curve.groupby("threshold")["probability"].sum().to_numpy() == pytest.approx(1.0)
    assert curve["threshold"].min() == 0 and curve["threshold"].nunique() > 100


def test_a_tie_shares_the_draw():
    cost = pd.DataFrame({"a": [0.0], "b": [0.0]})
    averted = pd.DataFrame({"a": [1.0], "b": [1.0]})
    assert best_shares(cost, averted, 10.0).tolist() == [0.5, 0.5]
