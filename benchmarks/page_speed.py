"""How fast the browser page plays a route: simulated days a second as seen in the page.

    python benchmarks/page_speed.py                      # Western Balkans, the page's settings
    python benchmarks/page_speed.py --scenario demo --seconds 20 --render-intervals 1,3,5,9

Starts the page's server as `migration-sim view` does, opens it in Debian's chromium (Playwright),
chooses the scenario, presses Reset and play, and counts the days the page shows over a window
of --seconds, after a warm-up of --warm-up days. Each render interval (Mesa's "Render Interval"
slider: days stepped between redraws; the page starts at sim/viz/app.py's RENDER_INTERVAL) is
timed in its own browser session. For comparison, the same model stepped with nothing drawn.
The target is 20 days a second for Western Balkans at the page's own setting.

Prints a table and writes JSON (default benchmarks/results/page_<time>.json).
"""

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import mesa
from playwright.sync_api import sync_playwright

from run import busy_share
from sim.collector import RouteRun
from sim.viz.app import RENDER_INTERVAL
from sim.viz.headless import CHROMIUM, CHROMIUM_FLAGS, Visit, free_port, start_server

HERE = Path(__file__).resolve().parent
TARGET_DAYS_PER_SECOND = 20
DAYS = 5000


def set_render_interval(visit: Visit, interval: int) -> None:
    """Move Mesa's Render Interval slider (steps of 2 from 1) with the keyboard."""
    slider = visit.page.locator(".v-input__slider", has_text="Render Interval").locator("[role=slider]")
    slider.focus()
    now = int(slider.get_attribute("aria-valuenow"))
    key = "ArrowRight" if interval > now else "ArrowLeft"
    for _ in range(abs(interval - now) // 2):
        slider.press(key)
    assert int(slider.get_attribute("aria-valuenow")) == interval, "the slider did not reach the interval"


def page_speed(browser, url: str, scenario: str, interval: int, warm_up: int, seconds: float) -> dict:
    """Days a second the page shows while playing `scenario` at a render interval (over a run of
    DAYS days, so no run ends within the window)."""
    visit = Visit(browser, url)
    visit.choose("scenario", scenario)
    visit.type("days", str(DAYS))
    visit.page.get_by_text("Changed: press Reset to run these choices.").wait_for()
    visit.reset_to(f"{scenario} / measles / baseline / seed 0: day 0 of {DAYS}")
    set_render_interval(visit, interval)
    visit.play_until(warm_up)
    start_day, start = visit.day(), time.perf_counter()
    time.sleep(seconds)
    end_day, end = visit.day(), time.perf_counter()
    visit.close()
    return {"render_interval": interval, "days": end_day - start_day, "seconds": round(end - start, 2),
            "days_per_second": round((end_day - start_day) / (end - start), 1)}


def model_speed(scenario: str, days: int) -> float:
    """Days a second of the page's model stepped with nothing drawn."""
    model = RouteRun(scenario=scenario, days=days + 5)
    for _ in range(5):  # the numba kernels load from the cache on the first day
        model.step()
    start = time.perf_counter()
    for _ in range(days):
        model.step()
    return days / (time.perf_counter() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="western_balkans")
    parser.add_argument("--seconds", type=float, default=15.0, help="timing window per render interval")
    parser.add_argument("--warm-up", type=int, default=20, help="days played before the window opens")
    parser.add_argument("--render-intervals", default=f"1,3,5,{RENDER_INTERVAL},9")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    intervals = [int(i) for i in args.render_intervals.split(",")]

    busy = busy_share()
    with tempfile.TemporaryDirectory() as home, open(Path(home) / "server.log", "w") as log:
        process, url = start_server(free_port(), Path(home) / "outputs", Path(home) / "cache", log)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
                rows = [page_speed(browser, url, args.scenario, interval, args.warm_up, args.seconds)
                        for interval in intervals]
                browser.close()
        except Exception:
            log.flush()
            print((Path(home) / "server.log").read_text()[-4000:], file=sys.stderr)
            raise
        finally:
            process.terminate()
            process.wait(timeout=30)
    alone = model_speed(args.scenario, 365)

    print(f"{args.scenario}: simulated days a second shown in the page (target {TARGET_DAYS_PER_SECOND} "
          f"at the page's render interval, {RENDER_INTERVAL})")
    print(f"{'render interval':>16} {'days/s':>8}")
    for row in rows:
        mark = "  <- the page's setting" if row["render_interval"] == RENDER_INTERVAL else ""
        print(f"{row['render_interval']:>16} {row['days_per_second']:>8.1f}{mark}")
    print(f"{'model alone':>16} {alone:>8.0f}")
    print(f"other processes kept {busy:.0%} of the CPUs busy before the run" if busy is not None else "")

    result = {
        "when": datetime.now().isoformat(timespec="seconds"), "scenario": args.scenario,
        "machine": {"python": platform.python_version(), "mesa": mesa.__version__, "processor": platform.processor(),
                    "busy_share_before": busy},
        "page_render_interval": RENDER_INTERVAL, "target_days_per_second": TARGET_DAYS_PER_SECOND,
        "window_seconds": args.seconds, "page": rows, "model_alone_days_per_second": round(alone, 1),
    }
    out = args.out or HERE / "results" / f"page_{datetime.now():%Y-%m-%d_%H-%M-%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"written: {out}")
    at_setting = next((row for row in rows if row["render_interval"] == RENDER_INTERVAL), None)
    return 0 if at_setting is None or at_setting["days_per_second"] >= TARGET_DAYS_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main())
