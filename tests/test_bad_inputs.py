"""The corpus of bad inputs in tests/bad_inputs: each is refused before the run with a message
naming the file or config, the key path, the bad value and what is allowed."""

import copy

import pytest
import yaml

from conftest import DEMO, ROOT, config
from sim import ConfigError, load_scenario, simulate
from sim.config import SCENARIO_DIR

CORPUS = ROOT / "tests" / "bad_inputs"
DEMO_DATA = yaml.safe_load((SCENARIO_DIR / "demo.yaml").read_text())
CHANGES = yaml.safe_load((CORPUS / "scenario_changes.yaml").read_text())
OVERRIDES = yaml.safe_load((CORPUS / "bad_overrides.yaml").read_text())
RAW_FILES = {  # files that are not plain scenario data at all
    "malformed.yaml": ("nodes: [unclosed\n", ["line 2", "malformed YAML"]),
    "a_list.yaml": ("- just\n- a list\n", ["(top level)", "'list'", "must be a mapping"]),
    "python_tag.yaml": ("name: !!python/object/apply:os.system ['echo hi']\n", ["malformed YAML"]),
    "empty.yaml": ("", ["'NoneType'", "must be a mapping"]),
    "tab_indented.yaml": ("name: x\n\tnodes: []\n", ["malformed YAML"]),
}


def walk(data, path: str):
    """The container holding the last key of a dotted path, and that key."""
    *parents, last = path.split(".")
    for key in parents:
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data, int(last) if isinstance(data, list) else last


def changed_demo(change: dict) -> dict:
    data = copy.deepcopy(DEMO_DATA)
    for path, value in change.get("set", {}).items():
        holder, key = walk(data, path)
        holder[key] = value
    for path in change.get("delete", []):
        holder, key = walk(data, path)
        del holder[key]
    return data


def assert_names_everything(error: ConfigError, source: str, fragments: list[str]) -> None:
    message = str(error)
    assert source in message, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


def test_the_corpus_is_large_enough():
    assert len(CHANGES) + len(RAW_FILES) + len(OVERRIDES) >= 40


@pytest.mark.parametrize("change", CHANGES, ids=[c["name"] for c in CHANGES])
def test_bad_scenario_file(tmp_path, change):
    path = tmp_path / f"{change['name']}.yaml"
    path.write_text(yaml.safe_dump(changed_demo(change), sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    assert_names_everything(caught.value, str(path), change["expect"])


@pytest.mark.parametrize("name", sorted(RAW_FILES))
def test_file_that_is_not_scenario_data(tmp_path, name):
    text, expected = RAW_FILES[name]
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    assert_names_everything(caught.value, str(path), expected)


@pytest.mark.parametrize("case", OVERRIDES, ids=[" ".join(c["overrides"]) for c in OVERRIDES])
def test_bad_override(case):
    with pytest.raises(ConfigError) as caught:
        simulate(config(*DEMO, "days=5", *case["overrides"]))
    assert_names_everything(caught.value, "config", case["expect"])
