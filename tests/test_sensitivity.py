"""Sensitivity analysis (analysis.sensitivity): SALib's indices through the project's own path
match a known answer, the model's runs are paired, parallel runs equal serial ones, an analysis
resumes, and the ranking of two policies flips where it should."""

import gc
import json
import math

import numpy as np
import pandas as pd
import pytest

from analysis import sensitivity
from analysis.__main__ import main
from analysis.batch import RunStore, Space, Totals
from analysis.sensitivity_report import write_report
from sim.model import RouteModel
from sim.uncertainty import problem, select, uncertain

PI = math.pi


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict:
    """The analytic first-order and total indices (Ishigami and Homma 1990; Sobol' and Levitan 1999)."""
    v1 = 0.5 * (1 + b * PI ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * PI ** 8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return {"S1": [v1 / total, v2 / total, 0.0], "ST": [(v1 + v13) / total, v2 / total, v13 / total],
            "S2": {"x1 x x2": 0.0, "x1 x x3": v13 / total, "x2 x x3": 0.0}}


def test_sobol_indices_of_the_ishigami_function_match_the_analytic_ones():
    """Declared ranges -> SALib problem -> sample -> indices, as an analysis does, with the Ishigami
    function in place of the runs. Nine indices at once: 99% intervals (about 1 - 0.05 / 9)."""
    data = {f"x{i}": {"value": 0.0, "range": [-PI, PI], "source": "Ishigami test function"} for i in (1, 2, 3)}
    parameters = select(uncertain(data, "config"), ["x*"])
    spec = problem(parameters)
    design = sensitivity.Design("sobol", "demo", "covid19", ("baseline",), samples=1024, second_order=True)
    sample = sensitivity.draw(spec, design)
    assert sample.shape == (1024 * (2 * 3 + 2), 3)
    found = sensitivity.indices("sobol", spec, sample, ishigami(sample), second_order=True,
                                confidence=0.99).set_index(["index", "parameter"])
    for index, expected in ishigami_indices().items():
        named = expected.items() if isinstance(expected, dict) else zip(spec["names"], expected)
        for name, value in named:
            row = found.loc[(index, name)]
            assert row["lower"] <= value <= row["upper"], (index, name, value, dict(row))
            assert row["upper"] - row["lower"] < 0.3, "narrow enough to tell the indices apart"


def test_morris_gives_a_linear_response_its_change_over_the_range():
    """For f = 3 a - 2 b + 0 c, each elementary effect is the coefficient times the width of the
    range (the unit the report states), so mu* is exactly that and sigma 0."""
    data = {"a": {"value": 1.0, "range": [0.0, 2.0]}, "b": {"value": 10, "range": [5, 25]},
            "c": {"value": 0.5, "range": [0.1, 0.9], "distribution": "triangular"}}
    spec = problem(uncertain(data, "config"))
    design = sensitivity.Design("morris", "demo", "covid19", ("baseline",), samples=10)
    sample = sensitivity.draw(spec, design)
    found = sensitivity.indices("morris", spec, sample, 3 * sample[:, 0] - 2 * sample[:, 1]).set_index(["index", "parameter"])
    assert found.loc[("mu_star", "a"), "value"] == pytest.approx(3 * 2)
    assert found.loc[("mu_star", "b"), "value"] == pytest.approx(2 * 20)
    assert found.loc[("mu_star", "c"), "value"] == 0
    assert found.loc["sigma", "value"].abs().max() < 1e-9


DESIGN = sensitivity.Design("sobol", "demo", "covid19", ("baseline", "vaccinate_at_entry"),
                            ("transmission.unit_contact_share", "transmission.unsafe_water.border"),
                            samples=8, days=40, seeds=2)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sobol")
    sensitivity.run(DESIGN, folder, jobs=1, progress=False)
    return folder


@pytest.mark.slow
def test_a_parameter_the_model_does_not_use_gets_indices_of_zero(finished):
    """COVID-19 has no water reservoir: unsafe water is switched off, so with the same seeds at every
    point its elementary differences are exactly zero, and so are its indices."""
    found = sensitivity.analyse(finished)
    table = found["indices"]
    water = table[table["parameter"] == "transmission.unsafe_water.border"]
    share = table[table["parameter"] == "transmission.unit_contact_share"]
    assert not water.empty and (water[["value", "lower", "upper"]].abs() < 1e-12).all().all()
    infections = share[(share["arm"] == "baseline") & (share["outcome"] == "infections") & (share["index"] == "ST")]
    assert infections["value"].iloc[0] > 0.5, "the unit contact share drives infections"
    means = found["means"]
    assert set(means["seeds"]) == {2} and len(means) == 2 * 8 * 4
    assert (means.loc[means["arm"] == "baseline", "infections_averted"] == 0).all(), "paired with itself"


@pytest.mark.slow
def test_runs_in_workers_equal_runs_here_and_an_analysis_resumes(finished, tmp_path):
    record = json.loads((finished / "design.json").read_text())
    serial = RunStore(finished, record).rows().sort_values(["point", "policy", "seed"], ignore_index=True)
    sensitivity.run(DESIGN, tmp_path, jobs=1, chunk=(1, 3), progress=False)  # a cluster job's part
    part = RunStore(tmp_path, record).rows()
    assert set(part["point"]) == set(range(1, len(record["points"]), 3))
    (tmp_path / "runs" / "chunk_1_of_3.jsonl").open("a").write('{"point": 0, "poli')  # a run killed mid-line
    sensitivity.run(DESIGN, tmp_path, jobs=2, progress=False)
    together = RunStore(tmp_path, record).rows().sort_values(["point", "policy", "seed"], ignore_index=True)
    pd.testing.assert_frame_equal(serial, together[serial.columns])
    lines = sum(len(path.read_text().splitlines()) for path in (tmp_path / "runs").glob("*.jsonl"))
    assert lines == len(serial) + 1, "nothing done twice (the broken line is ignored)"
    with pytest.raises(ValueError, match="holds another analysis .*samples"):
        sensitivity.run(sensitivity.Design(**{**DESIGN.__dict__, "samples": 16}), tmp_path, progress=False)


@pytest.mark.slow
def test_the_report_has_its_tables_and_figures(finished):
    written = write_report(finished)
    text = (finished / "sensitivity.md").read_text()
    assert "| transmission.unit_contact_share |" in text and "Where the ranking flips" in text
    assert all(path.exists() and path.stat().st_size > 10_000 for path in written if path.suffix == ".png")


def test_the_ranking_flips_where_the_net_benefit_changes_sign():
    """A policy averting x * 100 infections at a cost of 30 EUR per point: at 1 EUR an infection
    it beats the comparator where 100 x > 30, so the share crosses one half at x = 0.3."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 400)
    other = rng.uniform(0, 1, 400)
    rows = []
    for point, (value, _) in enumerate(zip(x, other)):
        rows.append({"arm": "baseline", "point": point, "infections_averted": 0.0, "incremental_cost": 0.0})
        rows.append({"arm": "policy", "point": point, "infections_averted": 100 * value, "incremental_cost": 30.0})
    means = pd.DataFrame(rows)
    means.attrs["primary"] = "infections"
    points = [{"x": a, "other": b} for a, b in zip(x, other)]
    table = sensitivity.flips(means, points, wtp=1.0, comparator="baseline")
    summary = sensitivity.flip_summary(table).set_index(["criterion", "parameter"])
    flip = summary.loc[("net benefit at 1 EUR per infection", "x")]
    assert flip["threshold"] == pytest.approx(0.3, abs=1 / 8)  # within a bin of the eight
    assert flip["at_low"] == 0 and flip["at_high"] == 1 and flip["overall"] == pytest.approx((x > 0.3).mean())
    assert np.isnan(summary.loc[("net benefit at 1 EUR per infection", "other"), "threshold"])
    assert summary.loc[("fewer infections", "x"), "overall"] == 1.0


def test_the_command_names_the_labels_there_are_when_a_parameter_is_unknown(capsys, tmp_path):
    code = main(["sensitivity", "--method", "morris", "--scenario", "demo", "--disease", "covid19",
                 "--parameters", "transmission.unit_contact_sahre", "--out", str(tmp_path)])
    error = capsys.readouterr().err
    assert code == 2 and "'transmission.unit_contact_sahre'" in error and "transmission.unit_contact_share" in error
    with pytest.raises(SystemExit):
        main(["sensitivity", "--method", "sobol", "--chunk", "3/2"])
    assert "0 <= k < n" in capsys.readouterr().err
    with pytest.raises(ValueError, match="power of 2"):
        sensitivity.Design("sobol", "demo", "covid19", ("baseline",), samples=100)


def test_the_runs_of_an_analysis_leave_no_model_behind():
    """A worker runs hundreds of models: each must be freed when its run ends (Mesa 3.3 kept every
    model alive through its agent-id counters; analysis.batch holds those weakly)."""
    gc.collect()
    before = {id(o) for o in gc.get_objects() if isinstance(o, RouteModel)}  # other tests' (the page's)
    space = Space("demo", "covid19", ["baseline"], 5)
    space.run({}, [("baseline", seed) for seed in range(3)], Totals(sensitivity.TOTALS))
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, RouteModel) and id(o) not in before]
