"""The edge where configuration meets the simulation: Hydra composition and path resolution.

Only this module and the command line (`sim/cli.py`) touch Hydra. `compose(["disease=covid19",
"seed=3"])` gives the same configuration `migration-sim disease=covid19 seed=3` would use;
`run_config(cfg)` validates any composed or hand-built configuration into a typed `RunConfig`.
"""

import os
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from sim.errors import ConfigError, Problem
from sim.runconfig import RunConfig, parse_run_config


PACKAGE_DIR = Path(__file__).resolve().parent  # in a checkout conf/ is beside it; installed, a copy is inside


def project_root() -> Path:
    """The folder holding conf/ and scenarios/: $MIGRATION_SIM_HOME if set, else beside the
    package (a checkout, or an editable install), else the working folder or one above it (a
    package installed from a checkout and used there), else the copy shipped inside the installed
    package (sim/shipped/, put there by setup.py when the wheel is built)."""
    if "MIGRATION_SIM_HOME" in os.environ:
        return Path(os.environ["MIGRATION_SIM_HOME"]).expanduser().resolve()
    here = Path.cwd().resolve()
    for candidate in (PACKAGE_DIR.parent, here, *here.parents):
        if (candidate / "conf" / "config.yaml").is_file():
            return candidate
    return PACKAGE_DIR / "shipped"


PROJECT_ROOT = project_root()
CONFIG_DIR = PROJECT_ROOT / "conf"
SCENARIO_DIR = PROJECT_ROOT / "scenarios"


def compose(overrides: list[str] | tuple[str, ...] = ()) -> DictConfig:
    """The run configuration from conf/ with command-line style overrides (for notebooks)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    import hydra_plugins.migration_health_launcher  # noqa: F401  registers the default launcher (joblib_progress)

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return hydra_compose(config_name="config", overrides=list(overrides))


def run_config(cfg, source: str = "config") -> RunConfig:
    """Validate a DictConfig, a plain dict or a RunConfig into a RunConfig."""
    if isinstance(cfg, RunConfig):
        return cfg
    if isinstance(cfg, DictConfig):
        cfg = OmegaConf.to_container(cfg, resolve=True)
        cfg.pop("hydra", None)
    return parse_run_config(cfg, source)


def scenario_path(file: str) -> Path:
    """A scenario file by path (absolute, or relative to the working folder) or by the name of a
    shipped scenario in scenarios/ (with or without .yaml)."""
    given = Path(file).expanduser()
    candidates = [given] if given.is_absolute() else [
        Path.cwd() / given, SCENARIO_DIR / given, SCENARIO_DIR / given.with_suffix(".yaml")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    shipped = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
    raise ConfigError("config", [Problem("scenario.file", file, f"an existing scenario file, or one of {shipped}")])
