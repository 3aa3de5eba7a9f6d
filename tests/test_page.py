"""The browser page as a planner uses it: the server started as `migration-sim view` starts it,
Debian's chromium driven by Playwright (`playwright install` cannot download a browser here).

Open the page, choose the demo route, press play, wait for day 30, read the map and the epidemic
curve, click a site, type a bad value and read the command line's message; all with no request
leaving the machine. Screenshots are saved in the test's output folder (printed with -s).
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("solara", reason="the viz extra is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"  # Debian's package (apt-get install -y chromium)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-extensions", "--no-first-run"]
STARTUP_SECONDS = 180  # a cold start compiles the numba kernels
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The page's server on a free port of this machine, as `migration-sim view` starts it."""
    home = tmp_path_factory.mktemp("view")
    port = free_port()
    log = (home / "server.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "sim.viz", "--port", str(port), "--outputs", str(home / "outputs")],
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "XDG_CACHE_HOME": str(home / "cache")})
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the page's server did not start:\n{(home / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
    yield url
    process.terminate()
    process.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get install -y chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class Visit:
    """One browser session on the page, recording every request it makes."""

    def __init__(self, browser, url: str):
        self.page = browser.new_page(viewport={"width": 1600, "height": 1000})
        self.requests, self.failures = [], []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("requestfailed", lambda request: self.failures.append(f"failed {request.url}"))
        self.page.on("response", lambda response: response.status >= 400 and self.failures.append(
            f"{response.status} {response.url}"))
        self.page.goto(url)
        self.page.locator(".run-day").wait_for(timeout=120_000)

    def day(self) -> int:
        return int(re.search(r"day (\d+) of", self.page.locator(".run-day").inner_text()).group(1))

    def settled_day(self) -> int:
        """The day once the model has stopped moving (after a pause, the last steps still draw)."""
        self.page.locator("button:not([disabled])", has_text="Step").wait_for()
        last = -1
        while (day := self.day()) != last:
            last = day
            time.sleep(1.0)
        return day

    def choose(self, label: str, option: str) -> None:
        self.page.locator(".v-select", has_text=label).first.click()
        self.page.get_by_role("option", name=option, exact=True).click()

    def type(self, label: str, text: str) -> None:
        field = self.page.get_by_label(label, exact=True)
        field.fill(text)
        field.press("Enter")

    def reset_to(self, heading: str) -> None:
        self.page.get_by_role("button", name="Reset").click()
        self.page.wait_for_function(f"() => document.querySelector('.run-day').innerText.startsWith({heading!r})",
                                    timeout=60_000)

    def sites(self) -> dict[str, dict[str, str]]:
        """The map's site marks, by site name, as the chart labels them (aria-label)."""
        labels = self.page.locator("path[aria-roledescription='circle']").evaluate_all(
            "marks => marks.map(mark => mark.getAttribute('aria-label'))")
        sites = [dict(part.split(": ", 1) for part in label.split("; ")) for label in labels]
        return {site["site"]: site for site in sites}

    def axis(self, chart_title: str, axis: str = "Y") -> str:
        """The accessible summary of a chart's axis ('... with values from 0 to 5')."""
        chart = self.page.locator(".vega-embed", has=self.page.locator("text", has_text=chart_title))
        return chart.locator(f"[aria-label^='{axis}-axis']").first.get_attribute("aria-label")

    def shot(self, folder: Path, name: str) -> Path:
        path = folder / name
        self.page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path

    def offline(self) -> None:
        outside = [url for url in self.requests if not url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "blob:", "data:"))]
        assert outside == [], f"requests off the machine: {outside}"
        assert self.failures == [], f"requests that failed: {self.failures}"


def test_play_the_demo_read_the_map_and_curve_and_see_a_bad_value_refused(server, browser, tmp_path):
    visit = Visit(browser, server)
    page = visit.page
    visit.choose("scenario", "demo")
    visit.choose("disease", "covid19")
    page.get_by_text("Changed: press Reset to run these choices.").wait_for()
    visit.reset_to("demo / covid19 / baseline / seed 0: day 0 of 365")

    page.get_by_role("button", name="▶").click()
    page.wait_for_function("() => +document.querySelector('.run-day').innerText.match(/day (\\d+) of/)[1] >= 30",
                           timeout=120_000)
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
    visit.offline()


def test_each_browser_session_has_its_own_model(server, browser):
    first = Visit(browser, server)
    first.choose("scenario", "demo")
    first.reset_to("demo /")
    for _ in range(3):
        first.page.get_by_role("button", name="Step").click()
    first.page.wait_for_function("() => document.querySelector('.run-day').innerText.includes('day 15 of')")
    second = Visit(browser, server)
    assert second.day() == 0 and second.page.locator(".run-day").inner_text().startswith("western_balkans")
    assert first.day() == 15  # Step moves the render interval's 5 days


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
    assert "baseline" in text and "combined" in text and "infections averted vs baseline, same seed (people)" in text
    assert page.get_by_text("6 runs in").count() == 1
    assert page.locator("img").count() >= 5  # the report's figures
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("Download the report")).click()
    assert download.value.suggested_filename == "report.html"
    visit.shot(tmp_path, "page_compare.png")
    visit.offline()
