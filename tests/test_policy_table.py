"""The policy table (python -m analysis policy-table): every shipped bundle on paired seeds, from
one command, into the README between its markers."""

import pytest

from analysis.__main__ import main
import pandas as pd

from analysis.policy_table import MARK_END, MARK_START, bundles, cost_per_daly_cell, write_into


@pytest.mark.slow
def test_one_command_tabulates_every_bundle(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"# A\n\n{MARK_START}\nold\n{MARK_END}\n\nafter\n")
    assert main(["policy-table", "--scenario", "demo", "--diseases", "covid19", "--seeds", "2", "--days", "20",
                 "--jobs", "1", "--folder", str(tmp_path / "runs"), "--readme", str(readme)]) == 0
    printed = capsys.readouterr().out
    page = readme.read_text()
    assert "old" not in page and page.endswith(f"{MARK_END}\n\nafter\n")
    for bundle in bundles():
        if bundle not in ("baseline", "tb_screening"):
            assert f"| covid19 | `{bundle}` |" in page, bundle
    assert "`tb_screening` is made for other diseases than covid19" in page
    assert "of 2 |" in page and printed.count("| covid19 |") == len(bundles()) - 2
    again = tmp_path / "runs"
    assert len(list(again.glob("*/summary.json"))) == 2 * (len(bundles()) - 1)  # the warm-up is a level deeper


def test_the_table_needs_its_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    with pytest.raises(ValueError, match="markers"):
        write_into(readme, "table")


def test_the_cost_per_daly_is_the_ratio_of_medians_with_a_bootstrap_interval():
    runs = lambda cost, averted: pd.DataFrame({"incremental_cost": cost, "dalys_averted": averted})
    assert cost_per_daly_cell(runs([100.0] * 3, [10.0] * 3)) == "10 [10, 10]"
    assert cost_per_daly_cell(runs([50.0, 100.0, 900.0], [10.0, 10.0, 1.0])) == "10 [5, 900]"
    assert cost_per_daly_cell(runs([-5.0] * 4, [1.0] * 4)) == "dominant [dominant, dominant]"
    assert cost_per_daly_cell(runs([100.0] * 4, [0.0, -1.0, 0.0, 2.0])).startswith("not favourable [")
    assert cost_per_daly_cell(runs([100.0, float("nan")], [1.0, 1.0])) == "n/a"
