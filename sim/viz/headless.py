"""The page driven in Debian's chromium by Playwright, for the browser tests, the speed
benchmark and the README's screenshot (`playwright install` cannot download a browser here).

    process, url = start_server(8770, outputs, home, log)
    with sync_playwright() as p:
        visit = Visit(p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS), url)
        visit.choose("scenario", "demo"); visit.reset_to("demo /"); visit.play_until(30)
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"  # Debian's package (apt-get install -y chromium)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-extensions", "--no-first-run"]
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "blob:", "data:")
RUN_DAY = "(document.querySelector('.run-day') || {innerText: ''}).innerText"  # gone while Reset redraws


def free_port() -> int:
    """A port of this machine no one listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, outputs: Path, home: Path, log) -> tuple[subprocess.Popen, str]:
    """The page served on this machine as `migration-sim view` serves it, by a child process
    (for tests and benchmarks); its address once it answers. `home` takes what the server keeps
    (assets folder, Solara's folder), `log` its output."""
    process = subprocess.Popen([sys.executable, "-m", "sim.viz", "--port", str(port), "--outputs", str(outputs)],
                               stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "XDG_CACHE_HOME": str(home)})
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180  # a cold start compiles the numba kernels
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"the page's server did not start (exit code {process.poll()})") from None
            time.sleep(0.5)


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

    def play_until(self, day: int, timeout_ms: int = 120_000) -> None:
        """Press play and wait until the page shows `day` days simulated (or more)."""
        self.page.get_by_role("button", name="▶").click()
        self.page.wait_for_function(
            f"() => +({RUN_DAY}.match(/day (\\d+) of/) || [0, -1])[1] >= {day}", timeout=timeout_ms)

    def close(self) -> None:
        """Pause a playing model, then close the tab (a closed tab's model plays on, on the
        server, until its session ends a minute later)."""
        pause = self.page.get_by_role("button", name="❚❚")
        if pause.count() and pause.is_enabled():
            pause.click()
            self.settled_day()
        self.page.close()

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
        """Press Reset and wait for the run's heading to start with `heading` (give one that
        only the new model shows: Reset and a click after it are handled in turn)."""
        self.page.get_by_role("button", name="Reset").click()
        self.page.wait_for_function(f"() => {RUN_DAY}.startsWith({heading!r})",
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

    def off_the_machine(self) -> list[str]:
        """Every request of this session that went anywhere but this machine."""
        return [url for url in self.requests if not url.startswith(LOCAL)]


def readme_screenshot(out: Path) -> None:
    """The README's picture: Western Balkans with the 2016 corridor closure and mobile teams,
    a little past the closure (day 60), a reception centre clicked."""
    import tempfile

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as home, open(Path(home) / "server.log", "w") as log, \
            sync_playwright() as playwright:
        process, url = start_server(free_port(), Path(home) / "outputs", Path(home) / "cache", log)
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            visit = Visit(browser, url)
            visit.choose("policy on the map", "mobile_teams")
            visit.page.locator(".v-select", has_text="scenario events").first.click()
            visit.page.get_by_role("option", name="corridor_closure").click()
            visit.page.keyboard.press("Escape")
            time.sleep(2)  # the choices are checked on the server
            visit.reset_to("western_balkans / measles / mobile_teams")
            visit.play_until(60)
            visit.page.get_by_role("button", name="❚❚").click()
            visit.settled_day()
            site = visit.page.locator("path[aria-roledescription='circle'][aria-label*='site: Reception Centre Presevo;']")
            box = site.bounding_box()
            site.click(position={"x": box["width"] * 0.15, "y": box["height"] / 2})  # its edge: a smaller site overlaps
            visit.page.locator(".site-counters").wait_for()
            closed = visit.page.locator("[aria-label*='status: closed']")
            assert closed.count() == 5, "the corridor closure is not on the map"
            visit.page.mouse.move(0, 0)
            time.sleep(1.5)
            visit.page.screenshot(path=str(out))
            browser.close()
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    readme_screenshot(Path(sys.argv[1]).resolve())
