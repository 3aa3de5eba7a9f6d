"""What a notebook analyst reaches for: Result.plot, MultiRun, one person's journey, tidy tables
with trimmed categories, and loading only the rows asked for."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import analysis  # noqa: E402
from analysis.palette import policy_colour  # noqa: E402
from conftest import config  # noqa: E402
from analysis import MultiRun  # noqa: E402
from sim import RouteModel, follow, load_scenario, run_config, simulate  # noqa: E402

BASE = ["scenario=demo", "disease=covid19", "disease.r0=8", "days=40"]


@pytest.fixture(scope="module")
def multirun():
    return MultiRun(BASE, policies=["baseline", "combined"], seeds=[0, 1]).run(progress=False)


def test_result_plot_draws_a_panel_per_metric_with_a_line_per_population():
    result = simulate(config(*BASE))
    fig = result.plot()
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in axes] == ["new infections", "present", "new deaths", "reported cases"]
    assert {line.get_label() for line in axes[0].lines} == {"migrants", "hosts"}
    assert "seed 0" in fig._suptitle.get_text()
    by_kind = result.plot(metrics=["present"], by="kind")
    assert "transit centre" in {line.get_label() for line in by_kind.axes[0].lines}
    plt.close("all")


def test_multirun_compares_and_plots_as_a_saved_sweep_does(multirun, tmp_path):
    folder = multirun.save(tmp_path / "sweep")
    pd.testing.assert_frame_equal(multirun.compare(), analysis.compare(analysis.load_summaries(folder)))
    from_memory, from_disk = multirun.timeseries(), analysis.load(folder)
    assert list(from_memory.columns) == list(from_disk.columns)
    assert from_memory["value"].sum() == from_disk["value"].sum()
    fig = multirun.plot()
    (panel,) = [ax for ax in fig.axes if ax.get_title()]
    assert panel.get_title() == "combined"
    assert {line.get_color() for line in panel.lines} == {policy_colour("combined"), "black"}
    plt.close(fig)


def test_multirun_runs_only_what_is_missing(multirun):
    before = dict(multirun.results)
    multirun.run(progress=False)
    assert multirun.results == before
    with pytest.raises(RuntimeError, match="call .run"):
        MultiRun(BASE).summaries()


def test_a_journey_records_one_person_day_by_day_without_changing_the_run():
    cfg = run_config(config(*BASE, "policy=combined"))
    model = RouteModel(load_scenario("scenarios/demo.yaml"), cfg)
    trail = follow(model, uid=300)
    assert trail["day"].tolist() == list(range(40))
    assert str(trail["date"].iloc[0].date()) == "2023-01-01"
    assert trail["status"].iloc[0] == "not yet arrived"
    arrived = trail.index[trail["events"].str.startswith("arrived at")]
    assert len(arrived) == 1 and (trail.loc[arrived[0]:, "status"] != "not yet arrived").all()
    assert trail["events"].str.contains("reached|set off").any()
    assert {"node", "state", "vaccine_doses", "in_care", "detected"} <= set(trail.columns)
    unobserved = RouteModel(load_scenario("scenarios/demo.yaml"), cfg)
    unobserved.run()
    assert (model.recorder.migrants == unobserved.recorder.migrants).all()
    assert (model.recorder.hosts == unobserved.recorder.hosts).all()


def test_select_trims_the_categories_of_what_it_filters(multirun):
    data = multirun.timeseries()
    picked = analysis.select(data, metric="new_infections", node=["city", "border_post"], policy="combined")
    assert list(picked["metric"].cat.categories) == ["new_infections"]
    assert set(picked["node"].cat.categories) == {"city", "border_post"}
    assert set(picked["kind"].cat.categories) == {"destination", "border"}
    assert sorted(picked["node"].value_counts().index) == ["border_post", "city"]
    with pytest.raises(KeyError, match="no column \\['nodes'\\]"):
        analysis.select(data, nodes="city")


def test_load_reads_only_the_metrics_nodes_and_populations_asked_for(multirun, tmp_path):
    folder = multirun.save(tmp_path / "sweep")
    data = analysis.load(folder, metrics=["present"], nodes=["transit_camp"], populations=["migrants"])
    assert data[["metric", "node", "population"]].drop_duplicates().values.tolist() == [
        ["present", "transit_camp", "migrants"]]
    assert list(data["node"].cat.categories) == ["transit_camp"]  # trimmed, not every node of the file
    assert len(data) == 4 * 40


def test_the_days_to_care_histogram_is_a_tidy_table(multirun):
    result = multirun.results["combined", 0]
    table = result.days_to_care()
    assert list(table.columns) == ["days_waited", "people", "last_bin"]
    assert table["people"].sum() == sum(result.summary["days_to_care_histogram"]) > 0
    assert table["last_bin"].sum() == 1 and table["last_bin"].iloc[-1]
    pooled = analysis.days_to_care(multirun.summaries())
    assert {"policy", "seed", "run", "days_waited", "people"} <= set(pooled.columns)
    assert pooled.groupby("run")["people"].sum().sum() == multirun.summaries()["consultations"].sum()
