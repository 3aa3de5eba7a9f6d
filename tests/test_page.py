"""The browser page as a planner uses it: the server started as `migration-sim view` starts it,
Debian's chromium driven by Playwright (`playwright install` cannot download a browser here).

Open the page, choose the demo route, press play, wait for day 30, read the map and the epidemic
curve, click a site, type a bad value and read the command line's message; all with no request
leaving the machine. Screenshots are saved in the test's output folder (printed with -s).
"""

import re
from pathlib import Path

import pytest

pytest.importorskip("solara", reason="the viz extra is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from sim.viz.headless import CHROMIUM, CHROMIUM_FLAGS, RUN_DAY, Visit, free_port, start_server  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The page's server on a free port of this machine, as `migration-sim view` starts it."""
    home = tmp_path_factory.mktemp("view")
    with (home / "server.log").open("w") as log:
        try:
            process, url = start_server(free_port(), home / "outputs", home / "cache", log)
        except RuntimeError as error:
            pytest.fail(f"{error}:\n{(home / 'server.log').read_text()[-3000:]}")
        yield url
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get install -y chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def test_play_the_demo_read_the_map_and_curve_and_see_a_bad_value_refused(server, browser, tmp_path):
    visit = Visit(browser, server)
    page = visit.page
    visit.choose("scenario", "demo")
    visit.choose("disease", "covid19")
    page.get_by_text("Changed: press Reset to run these choices.").wait_for()
    visit.reset_to("demo / covid19 / baseline / seed 0: day 0 of 365")

    visit.play_until(30)
    page.get_by_role("button", name="❚❚").click()
    stopped = visit.settled_day()
    assert 30 <= stopped < 365
    page.wait_for_function(f"() => [...document.querySelectorAll('text')].some(t => t.textContent == 'demo: day {stopped} of 365')")

    sites = visit.sites()
    assert set(sites) == {"Border post", "Transit camp", "Roadside informal site", "District clinic", "Exit post",
                          "Destination city"}
    assert sum(int(site["present"].replace(",", "")) for site in sites.values()) > 0
    curve = visit.axis("Epidemic curves: new infections a day")
    values = re.search(r"values from ([\d.,]+) to ([\d.,]+)", curve or "")
    assert values and float(values.group(2).replace(",", "")) > 0, curve

    page.locator("path[aria-roledescription='circle'][aria-label*='site: Transit camp']").click()
    counters = page.locator(".site-counters")
    counters.wait_for()
    present = int(re.search(r"migrants present \(people\)\s+([\d,]+)", counters.inner_text()).group(1).replace(",", ""))
    assert present == int(sites["Transit camp"]["present"].replace(",", "")) > 0
    visit.shot(tmp_path, "page_day30.png")

    visit.type("r0 (secondary infections)", "-5")
    problem = page.locator(".config-problem")
    problem.wait_for()
    assert "disease.r0: -5 is not allowed: Input should be greater than 0" in problem.inner_text()
    assert "Traceback" not in page.locator("body").inner_text()
    under_field = page.locator(".v-text-field", has=page.get_by_label("r0 (secondary infections)", exact=True))
    assert "disease.r0: -5 is not allowed" in under_field.inner_text()
    problem.scroll_into_view_if_needed()
    visit.shot(tmp_path, "page_bad_value.png")
    assert visit.off_the_machine() == [] and visit.failures == []


def test_each_browser_session_has_its_own_model(server, browser):
    first = Visit(browser, server)
    first.choose("scenario", "demo")
    first.reset_to("demo /")
    for _ in range(3):
        first.page.get_by_role("button", name="Step").click()
    first.page.wait_for_function(f"() => {RUN_DAY}.includes('day 21 of')")
    second = Visit(browser, server)
    assert second.day() == 0 and second.page.locator(".run-day").inner_text().startswith("western_balkans")
    assert first.day() == 21  # Step moves the render interval's days: a week


def test_compare_runs_in_the_background_and_shows_the_report(server, browser, tmp_path):
    visit = Visit(browser, server)
    page = visit.page
    visit.choose("scenario", "demo")
    visit.choose("disease", "covid19")
    visit.choose("policy on the map", "combined")
    visit.type("days", "60")
    page.get_by_role("tab", name="Page 1").click()
    visit.type("paired seeds", "3")
    page.get_by_role("button", name="Run comparison").click()
    table = page.locator(".decision-table table")
    table.wait_for(timeout=300_000)
    text = table.inner_text()
    assert "baseline" in text and "combined" in text and "infections averted vs baseline, same seed" in text
    assert page.get_by_text("6 runs in").count() == 1
    report = page.frame_locator("iframe.report")
    report.locator("img").first.wait_for()
    assert report.locator("img").count() >= 5  # the report's figures
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("Download the report")).click()
    assert download.value.suggested_filename == "report.html"
    visit.shot(tmp_path, "page_compare.png")
    assert visit.off_the_machine() == [] and visit.failures == []
