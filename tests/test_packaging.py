"""An installed wheel runs without a checkout: it carries conf/, scenarios/, the map borders and the
migration-sim command."""

import subprocess
import sys
import zipfile

import sim.config
from conftest import ROOT


def test_the_wheel_carries_conf_scenarios_and_the_command(tmp_path):
    """Built as `python -m build` builds it (sdist, then the wheel from the sdist), offline."""
    build_sdist = "import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])"
    subprocess.run([sys.executable, "-c", build_sdist, str(tmp_path)], cwd=ROOT, check=True, capture_output=True)
    (sdist,) = tmp_path.glob("*.tar.gz")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "--no-cache-dir", "-w", str(tmp_path), str(sdist)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points_file,) = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
        entry_points = archive.read(entry_points_file).decode()
    data = [*(ROOT / "conf").rglob("*.yaml"), *(ROOT / "scenarios").glob("*.yaml")]
    shipped = {f"sim/shipped/{path.relative_to(ROOT).as_posix()}" for path in data}
    assert "sim/shipped/conf/config.yaml" in shipped and "sim/shipped/scenarios/demo.yaml" in shipped
    assert shipped <= names, sorted(shipped - names)
    borders = {f"analysis/data/naturalearth_110m_countries/countries.{ext}" for ext in ("shp", "shx", "dbf", "prj")}
    assert borders <= names, sorted(borders - names)
    assert "migration-sim = sim.cli:entry" in entry_points  # runs, sweeps and `migration-sim view`
    assert "sim/viz/app.py" in names  # the page, served by its file


def test_project_root_falls_back_to_the_copy_shipped_in_the_package(tmp_path, monkeypatch):
    installed = tmp_path / "site-packages" / "sim"
    (installed / "shipped" / "conf").mkdir(parents=True)
    (installed / "shipped" / "conf" / "config.yaml").write_text("seed: 0\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setattr(sim.config, "PACKAGE_DIR", installed)
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("MIGRATION_SIM_HOME", raising=False)
    assert sim.config.project_root() == installed / "shipped"
