"""The corpus of bad inputs in tests/bad_inputs, kept as data (one entry a case, with the fragments
its message must contain): each is refused before the run with a message naming the file or
config, the key path, the bad value and what is allowed; never a traceback, never a silent clamp.

- scenario_changes.yaml: scenarios/demo.yaml with one change (set, delete, append, rename, clone)
- raw_files.yaml: files that are not clean YAML (encodings, binary, nesting, duplicates, YAML 1.1)
- bad_overrides.yaml: command-line overrides, through the Python API
- command_line.yaml: whole command lines, through `python run.py` (exit code 2, nothing run)
- arrival_series.yaml: dated-arrival series (CSV) that scenarios/demo.yaml names as its arrivals.series
"""

import copy
import subprocess
import sys

import pytest
import yaml

from conftest import DEMO, ROOT, config
from sim import ConfigError, load_scenario, simulate
from sim.config import SCENARIO_DIR

CORPUS = ROOT / "tests" / "bad_inputs"
DEMO_TEXT = (SCENARIO_DIR / "demo.yaml").read_text()
DEMO_DATA = yaml.safe_load(DEMO_TEXT)


def corpus(name: str) -> list[dict]:
    return yaml.safe_load((CORPUS / name).read_text())


CHANGES, RAW_FILES = corpus("scenario_changes.yaml"), corpus("raw_files.yaml")
SERIES = corpus("arrival_series.yaml")
OVERRIDES, COMMAND_LINES = corpus("bad_overrides.yaml"), corpus("command_line.yaml")


def walk(data, path: str):
    """The container holding the last key of a dotted path, and that key."""
    *parents, last = path.split(".")
    for key in parents:
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data, int(last) if isinstance(data, list) else last


def cloned(item, i: int):
    """The i-th copy of a node (own id, own dwell mean) or of any other item."""
    copied = copy.deepcopy(item)
    if isinstance(copied, dict) and "id" in copied:
        copied["id"] = f"{copied['id']}_{i}"
        copied.get("dwell", {})["mean"] = copied.get("dwell", {}).get("mean", 1) + i / 100
    return copied


def changed_demo(change: dict) -> dict:
    data = copy.deepcopy(DEMO_DATA)
    for path, value in change.get("set", {}).items():
        holder, key = walk(data, path)
        holder[key] = value
    for path, (text, times) in change.get("repeat", {}).items():
        holder, key = walk(data, path)
        holder[key] = text * times
    for path in change.get("delete", []):
        holder, key = walk(data, path)
        del holder[key]
    for path, items in change.get("append", {}).items():
        holder, key = walk(data, path)
        holder[key] = [*holder[key], *items]
    for path, name in change.get("rename", {}).items():
        holder, key = walk(data, path)
        holder[name] = holder.pop(key)
    for path, times in change.get("clone", {}).items():
        holder, key = walk(data, path)
        if isinstance(holder, dict):
            holder.update({f"{key}{i}": copy.deepcopy(holder[key]) for i in range(times)})
        else:
            holder.extend(cloned(holder[key], i) for i in range(times))
    return data


def raw_bytes(case: dict) -> bytes:
    if "hex" in case:
        return bytes.fromhex(case["hex"])
    text = "".join(part * times for part, times in case.get("parts", [])) + case.get("text", "")
    if case.get("demo"):
        base = DEMO_TEXT
        if "replace" in case:
            old, new = case["replace"]
            assert old in base, old
            base = base.replace(old, new, 1)
        text = base + text
    return text.encode(case.get("encoding", "utf-8"))


def assert_names_everything(error: ConfigError, source: str, fragments: list[str]) -> None:
    message = str(error)
    assert source in message, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


def test_the_corpus_is_large_enough():
    assert len(CHANGES) + len(RAW_FILES) + len(OVERRIDES) + len(COMMAND_LINES) >= 150


@pytest.mark.parametrize("change", CHANGES, ids=[c["name"] for c in CHANGES])
def test_bad_scenario_file(tmp_path, change):
    path = tmp_path / f"{change['name']}.yaml"
    path.write_text(yaml.safe_dump(changed_demo(change), sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        if change.get("when") == "run":
            simulate(config(*DEMO, "days=365", f"scenario.file={path}"))
        else:
            load_scenario(path)
    assert_names_everything(caught.value, str(path), change["expect"])


@pytest.mark.parametrize("case", RAW_FILES, ids=[c["name"] for c in RAW_FILES])
def test_file_that_is_not_clean_scenario_data(tmp_path, case):
    path = tmp_path / f"{case['name']}.yaml"
    path.write_bytes(raw_bytes(case))
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    assert_names_everything(caught.value, str(path), case["expect"])


@pytest.mark.parametrize("case", SERIES, ids=[c["name"] for c in SERIES])
def test_bad_arrival_series(tmp_path, case):
    """The demo with a dated series: refused when the scenario is read, naming the series file
    (or the scenario, for what the scenario itself says of the series) with line and column."""
    series = tmp_path / "series" / f"{case['name']}.csv"
    series.parent.mkdir()
    if case["csv"] is not None:
        series.write_bytes(case["csv"].encode(case.get("encoding", "utf-8")))
    data = copy.deepcopy(DEMO_DATA)
    data["arrivals"]["series"] = {"file": f"series/{series.name}", "counts": case.get("counts", "people")}
    path = tmp_path / "demo_with_series.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    assert_names_everything(caught.value, str(path if case.get("in_scenario") else series), case["expect"])


@pytest.mark.parametrize("case", OVERRIDES, ids=[" ".join(c["overrides"]) for c in OVERRIDES])
def test_bad_override(case):
    with pytest.raises(ConfigError) as caught:
        simulate(config(*DEMO, "days=5", *case["overrides"]))
    assert_names_everything(caught.value, "config", case["expect"])


@pytest.mark.parametrize("case", COMMAND_LINES, ids=[" ".join(c["args"]) for c in COMMAND_LINES])
def test_bad_command_line_exits_2_with_the_project_message(tmp_path, case):
    plain_file = tmp_path / "a_file"
    plain_file.write_text("not a folder")
    args = [arg.format(tmp=tmp_path, file=plain_file) for arg in case["args"]]
    if not any(arg.startswith(("hydra.run.dir=", "hydra.sweep.dir=")) for arg in args):
        args.append(f"hydra.run.dir={tmp_path / 'run'}")
    flags = [arg for arg in args if arg.startswith("-")]
    overrides = [arg for arg in args if not arg.startswith("-")]
    done = subprocess.run([sys.executable, "run.py", *flags, "scenario=demo", "progress=false", *overrides],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    for fragment in case["expect"]:
        assert fragment in done.stderr, f"{fragment!r} not in:\n{done.stderr}"
    assert not list(tmp_path.rglob("summary.json"))
