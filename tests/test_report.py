"""The report a planner reads: every preset sweep gives a comparison and a decision with no empty
cell, figures that can be read, a single run said to be one, and a page that renders in Chromium."""

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import analysis  # noqa: E402
from analysis import figures, maps  # noqa: E402
from analysis.palette import policy_colour  # noqa: E402
from conftest import ROOT  # noqa: E402
from sim import load_scenario  # noqa: E402

PRESETS = sorted(path.stem for path in (ROOT / "conf" / "sweep").glob("*.yaml"))
SMALL = ["scenario=demo", "disease=covid19", "disease.r0=8", "days=30", "seed=0,1"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Cells(HTMLParser):
    """The text of every table cell inside each <section id=...> of a page."""

    def __init__(self):
        super().__init__()
        self.section, self.cell, self.cells = None, None, {}

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.section = dict(attrs)["id"]
            self.cells[self.section] = []
        elif tag in ("td", "th") and self.section:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.cells[self.section].append(self.cell.strip())
            self.cell = None
        elif tag == "section":
            self.section = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def cells_of(page: Path) -> dict[str, list[str]]:
    parser = Cells()
    parser.feed(page.read_text())
    return parser.cells


@pytest.fixture(scope="module", params=PRESETS)
def preset_report(request, tmp_path_factory):
    """Each preset sweep run small through `python run.py -m`, and its report."""
    folder = tmp_path_factory.mktemp(request.param)
    done = subprocess.run([sys.executable, "run.py", "-m", f"+sweep={request.param}", *SMALL,
                           f"hydra.sweep.dir={folder}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return request.param, folder, analysis.write_report(folder, folder / "report")


@pytest.mark.slow
def test_every_preset_sweep_reports_a_comparison_and_decision_without_an_empty_cell(preset_report):
    name, folder, written = preset_report
    cells = cells_of(written[0])
    assert set(cells) == {"comparison", "decision"}
    arms = set(analysis.paired(analysis.load_summaries(folder))["arm"])
    assert "baseline" in arms and len(arms) >= 6
    for section in ("comparison", "decision"):
        body = cells[section][1:]  # the corner cell of the comparison is empty by design
        assert body and all(cell not in ("", "-", "nan", "NaN", "None") for cell in body), (section, body)
    page = written[0].read_text()
    assert "no policy to compare with" not in page
    doses = [path.name for path in written if path.name.startswith("dose_response_")]
    expected = {"policy_comparison": [], "vaccine_uptake": ["dose_response_policy_vaccination_at_entry_uptake.png"],
                "screening_sensitivity": ["dose_response_policy_screening_borders_sensitivity.png"]}[name]
    assert doses == expected


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium)")
def test_the_report_renders_in_headless_chromium(sweep, tmp_path):
    page = analysis.write_report(sweep, tmp_path / "report")[0]
    shot = screenshot(page, tmp_path / "report.png")
    image = plt.imread(shot)
    assert image.shape[1] == 1280 and image.shape[0] >= 3000
    assert image[..., :3].std() > 0.05  # tables and figures drawn, not a blank page


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 4000) -> Path:
    """What docs/REPORT.md says to run: a headless Chromium screenshot of a report page."""
    profile = png.parent / "chromium-profile"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                    "--hide-scrollbars", f"--window-size={width},{height}", f"--screenshot={png}",
                    page.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    return png


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    return analysis.run_sweep(tmp_path_factory.mktemp("sweep"), {"policy": ["baseline", "combined"], "seed": [0, 1]},
                              ["scenario=demo", "disease=covid19", "disease.r0=8", "days=40"])


def test_a_single_run_report_says_it_is_one_run_and_shows_no_ranges(sweep, tmp_path):
    run = shutil.copytree(sweep / "policy=combined,seed=1", tmp_path / "run")
    page = analysis.write_report(run)[0].read_text()
    assert "<h1>Single run: demo, covid19, policy combined, seed 1</h1>" in page
    assert "Policy comparison" not in page
    assert not re.search(r"\([-\d,.]+ to [-\d,.]+\)", page)  # no "(33 to 33)" ranges of a single value
    assert "<section id='outcomes'>" in page and "median over" not in page


def test_epidemic_curves_are_one_panel_per_policy_against_a_visible_baseline(sweep):
    data = analysis.load(sweep, metrics=["new_infections"])
    fig = figures.epidemic_curves(data)
    (panel,) = fig.axes
    lines = {line.get_label(): line for line in panel.lines}
    baseline, combined = lines["baseline (2 seeds)"], lines["combined (2 seeds)"]
    assert combined.get_color() == policy_colour("combined")
    assert baseline.get_zorder() > combined.get_zorder() and baseline.get_linestyle() == "--"
    plt.close(fig)


def test_the_heatmap_shows_the_worst_seed_where_medians_are_zero():
    days, nodes = 30, ["a", "b"]
    rows = []
    for seed in range(3):
        for day in range(days):
            for node in nodes:
                value = 5.0 if seed == 2 and node == "a" and day > 10 else 0.0
                rows.append({"day": day, "node": node, "population": "migrants", "metric": "new_infections",
                             "value": value, "policy": "baseline", "seed": seed, "run": f"seed={seed}"})
    data = pd.DataFrame(rows)
    data.attrs["parameters"] = ["policy", "seed"]
    ax = figures.heatmap(data)
    assert "the seed with the most, of 3 seeds" in ax.get_title()
    assert ax.images[0].get_array().max() == 5
    assert "median over 3 seeds" in figures.heatmap(data, statistic="median").get_title()
    plt.close("all")


def test_capacity_colour_bar_ticks_run_from_0_to_100_percent_and_beyond(sweep):
    assert figures.percent_ticks(200.0) == [0, 25, 50, 75, 100, 150.0, 200.0]
    assert figures.percent_ticks(80.0) == [0, 25, 50, 75, 100]
    data = analysis.load(sweep, metrics=["present"])
    ax = figures.capacity_use(data, analysis.scenario_graph(sweep / "policy=baseline,seed=0"))
    bar = ax.images[0].colorbar
    assert {0, 100} <= set(bar.get_ticks()) and bar.ax.yaxis.get_major_formatter()(100, 0) == "100%"
    plt.close("all")


def test_route_maps_label_sites_by_name_without_overlap_over_country_borders():
    graph = load_scenario(ROOT / "scenarios" / "western_balkans.yaml")
    fig, ax = plt.subplots(figsize=(10, 8), layout="constrained")
    maps.route_map(graph, ax=ax)
    fig.canvas.draw()
    labels = [text for text in ax.texts if text.get_text()]
    assert {text.get_text() for text in labels} == {maps.short_name(name) for _, name in graph.nodes(data="name")}
    assert not set(graph.nodes) & {text.get_text() for text in labels}  # names, not ids
    boxes = [text.get_window_extent() for text in labels]
    overlaps = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.overlaps(b)]
    assert not overlaps
    assert len(ax.patches) >= 10  # countries drawn beneath (Natural Earth)
    plt.close(fig)


def test_figures_take_their_colours_from_the_palette():
    from analysis import palette

    chosen = {colour.lower() for colour in [*palette.POLICY_COLOURS.values(), *palette.OTHER_POLICY_COLOURS,
                                            *palette.KIND_COLOURS.values()] if colour != "#000000"}
    for module in (figures, maps):
        written = {colour.lower() for colour in re.findall(r"#[0-9a-fA-F]{6}\b", Path(module.__file__).read_text())}
        assert not written & chosen, f"{module.__name__} picks policy or site colours itself: use analysis.palette"
