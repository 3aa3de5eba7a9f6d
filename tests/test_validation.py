"""Bad input on the command line: a clear message and exit code 2, no traceback, nothing written.
(The corpus of bad files and overrides is in tests/bad_inputs, checked by test_bad_inputs.py.)"""

import subprocess
import sys

import yaml

from conftest import ROOT
from sim.config import SCENARIO_DIR


def test_command_line_error_has_no_traceback(tmp_path):
    data = yaml.safe_load((SCENARIO_DIR / "demo.yaml").read_text())
    data["nodes"][2]["capacity"] = -5
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    done = subprocess.run([sys.executable, "run.py", f"scenario.file={path}", f"hydra.run.dir={tmp_path / 'out'}"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert str(path) in done.stderr and "nodes[2] (id roadside).capacity" in done.stderr and "-5" in done.stderr
    assert not (tmp_path / "out" / "summary.json").exists()


def test_debug_flag_shows_the_traceback(tmp_path):
    done = subprocess.run([sys.executable, "run.py", "scenario=demo", "disease.r0=-1", "debug=true",
                           f"hydra.run.dir={tmp_path / 'out'}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0 and "Traceback" in done.stderr and "disease.r0" in done.stderr
