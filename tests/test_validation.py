"""Bad input stops before the run, with a message naming the file, the key and the value."""

import copy
import subprocess
import sys

import pytest
import yaml

from conftest import DEMO, ROOT, config
from sim import ConfigError, load_scenario, simulate
from sim.config import SCENARIO_DIR

DEMO_DATA = yaml.safe_load((SCENARIO_DIR / "demo.yaml").read_text())


def changed(change):
    data = copy.deepcopy(DEMO_DATA)
    change(data)
    return data


def remove_key(data):
    del data["nodes"][1]["capacity"]


def misspell_key(data):
    data["nodes"][1]["capcity"] = data["nodes"][1].pop("capacity")


def unknown_node_in_edge(data):
    data["edges"][0]["to"] = "transit_cmp"


def negative_capacity(data):
    data["nodes"][2]["capacity"] = -5


def probability_above_one(data):
    data["origins"]["SYR"]["immunity"]["measles"]["vaccinated"] = 1.2


def unreachable_destination(data):
    data["edges"] = [e for e in data["edges"] if e["to"] != "city"]
    data["edges"].append({"from": "city", "to": "exit_post", "travel_days": 1, "weight": 1.0})
    data["events"] = []


def code_in_a_scenario(data):
    data["_target_"] = "os.system"


BAD_SCENARIOS = [
    (remove_key, ["nodes[1] (id transit_camp).capacity", "(missing)", "required"]),
    (misspell_key, ["nodes[1] (id transit_camp).capcity", "unknown key"]),
    (unknown_node_in_edge, ["edges[0].to", "'transit_cmp'", "one of the node ids"]),
    (negative_capacity, ["nodes[2] (id roadside).capacity", "-5", "greater than or equal to 0"]),
    (probability_above_one, ["origins.SYR.immunity.measles.vaccinated", "1.2", "less than or equal to 1"]),
    (unreachable_destination, ["city", "destination"]),
    (code_in_a_scenario, ["_target_", "unknown key"]),
]


@pytest.mark.parametrize("change, expected", BAD_SCENARIOS, ids=[c.__name__ for c, _ in BAD_SCENARIOS])
def test_bad_scenario_is_refused_with_file_key_and_value(write_scenario, change, expected):
    path = write_scenario(changed(change))
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


@pytest.mark.parametrize("text, expected", [
    ("nodes: [unclosed\n", "malformed YAML"),
    ("- just\n- a list\n", "must be a mapping"),
    ("name: !!python/object/apply:os.system ['echo hi']\n", "malformed YAML"),
])
def test_files_that_are_not_plain_scenario_data(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=expected):
        load_scenario(path)


@pytest.mark.parametrize("overrides, expected", [
    (["disease.r0=-1"], ["disease.r0", "-1", "greater than 0"]),
    (["+disease.betta=0.1"], ["disease.betta", "unknown key"]),
    (["disease.symptomatic_fraction=1.5"], ["disease.symptomatic_fraction", "1.5"]),
    (["days=0"], ["days", "0"]),
    (["transmission.group_contact_share=0.8", "transmission.host_contact_share=0.5"], ["at most 1"]),
    (["scenario.file=no_such_route.yaml"], ["scenario.file", "no_such_route.yaml", "demo"]),
    (["scenario.events=[no_such_event]"], ["scenario.events", "no_such_event", "border_closure"]),
])
def test_bad_config_is_refused(overrides, expected):
    with pytest.raises(ConfigError) as caught:
        simulate(config(*DEMO, *overrides))
    for fragment in expected:
        assert fragment in str(caught.value), f"{fragment!r} not in:\n{caught.value}"


def test_command_line_error_has_no_traceback(write_scenario, tmp_path):
    path = write_scenario(changed(negative_capacity))
    done = subprocess.run([sys.executable, "run.py", f"scenario.file={path}", f"hydra.run.dir={tmp_path / 'out'}"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert str(path) in done.stderr and "capacity" in done.stderr and "-5" in done.stderr
    assert not (tmp_path / "out" / "summary.json").exists()
