"""Fuzzing scenario files: scenarios/demo.yaml with numbers scaled, random values put in, keys removed or added,
each written as YAML and run. Whatever the input, the outcome is a clean ConfigError or a valid
run (outputs checked complete and finite), never another exception and never a hang: each case
has a time bound. Derandomised, so CI runs the same cases every time."""

import copy
import math
import signal
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DEMO, config
from sim import ConfigError, simulate
from sim.config import SCENARIO_DIR
from sim.results import strict_json

DEMO_DATA = yaml.safe_load((SCENARIO_DIR / "demo.yaml").read_text())
SECONDS_PER_CASE = 60  # the longest valid case (a few million people for 5 days) takes a few seconds


def paths(data, prefix=()):
    """Every key path in the data (to a mapping value or a list item), leaves and containers."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield (*prefix, key)
        yield from paths(value, (*prefix, key))


PATHS = sorted(paths(DEMO_DATA), key=str)
EXTREMES = [0, -1, 1, 2**15, 2**31 - 1, 2**31, 2**63, 10**20, -(10**20), 1e15, 1e300, -1e300, 1e-300,
            math.inf, -math.inf, math.nan, 0.5, 1.5]
TEXTS = ["", "border_post", "city", "SYR", "measles", "2023-02-30", "yes", "x" * 300, "../..", "\u00e9\u00e8", "0-4"]
LEAVES = st.one_of(st.none(), st.booleans(), st.sampled_from(EXTREMES), st.integers(-1000, 1000),
                   st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(TEXTS), st.text(max_size=12))
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.sampled_from(TEXTS + ["mean", "shape", "id"]),
                                                                     inner, max_size=4)), max_leaves=8)
FACTORS = [0, -1, 0.5, 2, 10, 1000, 1e6, 1e12, math.inf]
# most changes scale a number (plausible files that may still be out of range), the rest put any value in
CHANGES = st.lists(st.one_of(st.tuples(st.sampled_from(PATHS), st.just("scale"), st.sampled_from(FACTORS)),
                             st.tuples(st.sampled_from(PATHS), st.sampled_from(["set", "delete", "add"]), VALUES)),
                   min_size=1, max_size=4)


def changed(changes) -> dict:
    data = copy.deepcopy(DEMO_DATA)
    for path, action, value in changes:
        holder = data
        for key in path[:-1]:
            if not isinstance(holder, (dict, list)) or (isinstance(holder, list) and not isinstance(key, int)):
                break
            try:
                holder = holder[key]
            except (KeyError, IndexError, TypeError):
                break
        else:
            key = path[-1]
            present = (key in holder) if isinstance(holder, dict) else (isinstance(key, int) and key < len(holder))
            if isinstance(holder, (dict, list)) and present:
                if action == "scale":
                    number = holder[key]
                    if isinstance(number, (int, float)) and not isinstance(number, bool):
                        scaled = number * value
                        holder[key] = int(scaled) if isinstance(number, int) and math.isfinite(scaled) else scaled
                elif action == "set":
                    holder[key] = value
                elif action == "delete":
                    del holder[key]
                elif isinstance(holder, dict):
                    holder[f"extra_{len(holder)}"] = value
                else:
                    holder.append(value)
    return data


class Hang(Exception):
    pass


def on_alarm(signum, frame):
    raise Hang(f"a case took more than {SECONDS_PER_CASE} s")


@settings(derandomize=True, max_examples=80, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(CHANGES)
def test_any_scenario_gives_a_clean_error_or_a_valid_run(changes):
    data = changed(changes)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.yaml"
        try:
            path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        except yaml.YAMLError:
            return  # not representable as YAML: nothing a user could write
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(SECONDS_PER_CASE)
        try:
            result = simulate(config(*DEMO, "days=5", f"scenario.file={path}"))
        except ConfigError as error:
            assert str(path) in str(error) or "config" in str(error)
            return
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        strict_json(result.summary)  # a valid run: finite, complete outputs (checked in simulate too)
        assert result.summary["days"] == 5 and len(result.timeseries) > 0
