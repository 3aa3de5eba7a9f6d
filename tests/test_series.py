"""Dated arrivals (issue 17 item 1, sim/series.py): a series of arrivals by date, entry and origin
replaces the yearly figure x seasonality where and when it covers, spread evenly over each
period's days; registrations become people as the yearly registrations do; the shipped Western
Balkans series reproduces its own monthly totals in a run, and the route's registrations by
country stay within the tolerances beside them (validation/targets/western_balkans.yaml).

Bad series are in tests/bad_inputs/arrival_series.yaml (tests/test_bad_inputs.py).
"""

import calendar
import copy
import math
from datetime import date

import numpy as np
import pytest
import yaml

import test_targets
from conftest import DEMO, config
from sim import ConfigError, RouteModel, load_scenario, run_config
from sim.api import run_identity
from sim.collector import with_flow
from sim.config import SCENARIO_DIR
from sim.scenario import validate_graph
from sim.flows import registrations_per_person
from sim.series import COLUMNS

DEMO_DATA = yaml.safe_load((SCENARIO_DIR / "demo.yaml").read_text())
SHIPPED = SCENARIO_DIR / "series" / "western_balkans_2023.csv"


def demo_with_series(tmp_path, rows: list[str], counts="people", **arrivals):
    """The demo scenario (20 people a day at border_post, origins SYR and AFG half each, a second
    entry `roadside` added with the same share) naming a series of these rows."""
    data = copy.deepcopy(DEMO_DATA)
    data["arrivals"]["entry"] = {"border_post": 1.0, "roadside": 1.0}
    data["arrivals"]["series"] = {"file": "rows.csv", "counts": counts}
    data["arrivals"].update(arrivals)
    (tmp_path / "rows.csv").write_text("\n".join([",".join(COLUMNS), *rows]) + "\n")
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_scenario(path)


def arrivals_model(graph, days=400):
    return RouteModel(graph, run_config(config(*DEMO, f"days={days}")))


def test_periods_are_spread_evenly_over_their_days_and_replace_the_yearly_figure(tmp_path):
    """A month of 310 at border_post is 10 a day through January (shared by the origin mix); then
    a week of 70 SYR, 10 a day; then a day of 7 AFG. roadside, which the series does not name,
    keeps the yearly figure x seasonality x its share, as does border_post after the series."""
    graph = demo_with_series(tmp_path, ["2023-01,month,border_post,all,310", "2023-02-01,week,border_post,SYR,70",
                                        "2023-02-08,day,border_post,AFG,7"])
    arrivals = arrivals_model(graph).arrivals
    syr, afg = arrivals.traits.codes.index("SYR"), arrivals.traits.codes.index("AFG")
    january = 20 * arrivals.season[0]
    np.testing.assert_allclose(arrivals.people_by_cell(0)[0], [5.0, 5.0])
    np.testing.assert_allclose(arrivals.people_by_cell(30)[0], [5.0, 5.0])
    week = arrivals.people_by_cell(31)[0]
    assert week[syr] == pytest.approx(10.0) and week[afg] == 0.0
    day = arrivals.people_by_cell(38)[0]
    assert day[afg] == pytest.approx(7.0) and day[syr] == 0.0
    np.testing.assert_allclose(arrivals.people_by_cell(39)[0], [20 * arrivals.season[1] / 4] * 2)  # after: yearly x season
    np.testing.assert_allclose(arrivals.people_by_cell(0)[1], [january / 4] * 2)  # roadside: its half, by origin
    roadside = sum(20 * arrivals.season[0 if d < 31 else 1] / 2 for d in range(39))
    assert arrivals.expected_people(39) == pytest.approx(arrivals.expected_people(0) + 310 + 70 + 7 + roadside)


def test_a_period_begun_before_the_start_loses_the_days_before_it(tmp_path):
    """start_date 2023-01-11: January's 310 a month is still 10 a day, for its 21 days in the run
    (210 of the month's 310 are in the run); February's 280 are 10 a day from day 21."""
    demo_with_series(tmp_path, ["2023-01,month,border_post,all,310", "2023-02,month,border_post,all,280"])
    data = yaml.safe_load((tmp_path / "demo.yaml").read_text())
    data["start_date"] = "2023-01-11"
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    graph = load_scenario(tmp_path / "demo.yaml")
    arrivals = arrivals_model(graph).arrivals
    for day in (0, 20, 21, 48):
        assert arrivals.people_by_cell(day)[0].sum() == pytest.approx(10.0)
    assert graph.graph["series"].daily.sum() == pytest.approx(210.0 + 280.0)


def test_registrations_become_people_as_the_yearly_registrations_do(tmp_path):
    """The same rows counted as registrations give people = registrations / registrations per
    person (sim.flows), here more than one: people entering at border_post are registered in
    countries A and B."""
    registration = {"registration": {"AAA": 1.0, "BBB": 1.0}}
    graph = demo_with_series(tmp_path, ["2023-01,month,border_post,all,310"], counts="registrations", **registration)
    per_person = registrations_per_person(graph)
    assert per_person > 1.2
    arrivals = arrivals_model(graph).arrivals
    assert arrivals.people_by_cell(3)[0].sum() == pytest.approx(10.0 / per_person)


def monthly(values: np.ndarray, start: date) -> dict[str, float]:
    months = {}
    for day, value in enumerate(values):
        key = date.fromordinal(start.toordinal() + day).strftime("%Y-%m")
        months[key] = months.get(key, 0.0) + float(value)
    return months


@pytest.mark.slow
def test_the_shipped_series_reproduces_its_monthly_totals_in_a_run():
    """Western Balkans 2023: each month's people arriving at the entry in a run (seed 0) against the
    file's registrations that month / registrations per person. Travel groups arrive Poisson with
    1 + Poisson(m - 1) people each, so a month expecting P people (P / m groups) has variance
    (P / m) x E[size^2] = (P / m) x (m - 1 + m^2): within 4 standard deviations each (twelve months:
    a chance under 1e-3 of failing by noise; the seed is fixed)."""
    result = test_targets.run("western_balkans")
    graph = load_scenario(SCENARIO_DIR / "western_balkans.yaml")
    series, m = graph.graph["series"], graph.graph["arrivals"].group_size.mean
    per_person = registrations_per_person(graph)
    ts = result.timeseries
    at_entry = ts[(ts.population == "migrants") & (ts.metric == "arrivals") & (ts.node == "border_evzoni_idomeni")]
    daily = at_entry.groupby("day", observed=True).value.sum().reindex(range(365), fill_value=0).to_numpy()
    in_run = monthly(daily, graph.graph["start_date"])
    rows = [line.split(",") for line in SHIPPED.read_text().splitlines() if line[:4].isdigit()]
    assert len(rows) == 12 and sum(float(r[4]) for r in rows) == 163_521
    for month, _, _, _, count in rows:
        expected = float(count) / per_person
        sd = math.sqrt(expected / m * (m - 1 + m * m))
        assert abs(in_run[month] - expected) <= 4 * sd, (month, in_run[month], expected, sd)
    assert series.period_totals(graph.graph["start_date"])[("border_evzoni_idomeni", "2023-08")] == pytest.approx(23_006)
    assert calendar.monthrange(2023, 2)[1] * series.daily[0, -1, 31] == pytest.approx(6_210)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["region_registrations", "bih_registrations", "srb_registrations"])
def test_registrations_by_country_stay_within_their_tolerance_with_the_series(name):
    """The shipped scenario takes its arrivals from the series (so tests/test_targets.py checks
    every route target with it); the registrations by country, here by name."""
    graph = load_scenario(SCENARIO_DIR / "western_balkans.yaml")
    assert graph.graph["series"] is not None and graph.graph["series"].entries == ("border_evzoni_idomeni",)
    target = next(t for t in test_targets.targets("western_balkans") if t["name"] == name)
    value = test_targets.model_value("western_balkans", target["model"], test_targets.run("western_balkans"))
    assert test_targets.agrees(target, value), (name, value, target["observed"])


def test_an_edited_route_keeps_its_series_from_any_folder(tmp_path, monkeypatch):
    """A graph checked again (edited in Python, or its data handed to a worker) finds the series
    its scenario named, whatever the working folder; its identity then hashes its content."""
    graph = load_scenario(SCENARIO_DIR / "western_balkans.yaml")
    monkeypatch.chdir(tmp_path)
    again = validate_graph(graph)
    np.testing.assert_array_equal(again.graph["series"].daily, graph.graph["series"].daily)
    assert "graph_sha256" in run_identity(run_config(config("scenario=western_balkans")), again)
    assert "graph_sha256" not in run_identity(run_config(config("scenario=western_balkans")), graph)


def test_a_flat_flow_chosen_on_the_page_replaces_the_series():
    """The page's flow control (people a day) sets a flat flow: the series no longer applies."""
    flat = with_flow(load_scenario(SCENARIO_DIR / "western_balkans.yaml"), 120)
    assert flat.graph["series"] is None and flat.graph["arrivals"].per_day == 120


def parquet_series(tmp_path, table: dict) -> object:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = copy.deepcopy(DEMO_DATA)
    data["arrivals"]["series"] = {"file": "rows.parquet", "counts": "people"}
    pq.write_table(pa.table(table), tmp_path / "rows.parquet")
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_parquet_series_reads_as_the_same_csv_would(tmp_path):
    """Dates as dates, counts as numbers: the same daily means as the CSV rows."""
    path = parquet_series(tmp_path, {"date": [date(2023, 1, 1), date(2023, 2, 1)], "period": ["month", "week"],
                                     "entry": ["border_post"] * 2, "origin": ["all", "SYR"], "count": [310.0, 70.0]})
    series = load_scenario(path).graph["series"]
    assert series.daily[0, -1, :31].tolist() == [10.0] * 31
    assert series.daily[0, 0, 31:38].tolist() == [10.0] * 7  # SYR, the demo's first origin
    assert series.end_day.tolist() == [38]


def test_a_bad_parquet_series_is_named_by_row_and_column(tmp_path):
    path = parquet_series(tmp_path, {"date": ["2023-01", "2023-02"], "period": ["month"] * 2,
                                     "entry": ["border_post", "nowhere"], "origin": ["all"] * 2, "count": [1.0, -2.0]})
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert str(tmp_path / "rows.parquet") in message
    assert "row 2, column entry: 'nowhere'" in message and "row 2, column count: '-2.0'" in message
    (tmp_path / "rows.parquet").write_text("date,period,entry,origin,count\n")
    with pytest.raises(ConfigError, match="not a Parquet file"):
        load_scenario(path)
