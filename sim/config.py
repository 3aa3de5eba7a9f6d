"""The edge where configuration meets the simulation: Hydra composition and path resolution.

Only this module and the command line (`sim/cli.py`) touch Hydra. `compose(["disease=covid19",
"seed=3"])` gives the same configuration `migration-sim disease=covid19 seed=3` would use;
`run_config(cfg)` validates any composed or hand-built configuration into a typed `RunConfig`.
"""

import hashlib
import os
import re
from pathlib import Path

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

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

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return hydra_compose(config_name="config", overrides=list(overrides))


def run_config(cfg, source: str = "config") -> RunConfig:
    """Validate a DictConfig, a plain dict or a RunConfig into a RunConfig."""
    if isinstance(cfg, RunConfig):
        return cfg
    if isinstance(cfg, DictConfig):
        try:
            cfg = OmegaConf.to_container(cfg, resolve=True)
        except OmegaConfBaseException as error:  # an interpolation that does not resolve
            key = getattr(error, "full_key", None) or "(config)"
            raise ConfigError(source, [Problem(key, None, str(error).splitlines()[0])]) from None
        cfg.pop("hydra", None)
    return parse_run_config(cfg, source)


def scenario_path(file: str) -> Path:
    """A scenario file by path (absolute, or relative to the working folder, `~` allowed) or by the
    name of a shipped scenario in scenarios/ (with or without .yaml)."""
    shipped = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))

    def refuse(allowed: str):
        return ConfigError("config", [Problem("scenario.file", file, allowed)])

    if not isinstance(file, str) or not file.strip() or "\0" in file:
        raise refuse(f"a scenario file, or one of {shipped}")
    try:
        given = Path(file).expanduser()
    except RuntimeError as error:  # ~user of no such user, or no home folder
        raise refuse(f"a path whose ~ can be expanded ({error})") from None
    candidates = [given] if given.is_absolute() else [Path.cwd() / given, SCENARIO_DIR / given]
    if given.name and not given.suffix:
        candidates.append(SCENARIO_DIR / given.with_suffix(".yaml"))
    try:
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        if any(candidate.is_dir() for candidate in candidates):
            raise refuse("a scenario file, not a folder")
    except OSError as error:  # a name too long, a loop of links
        raise refuse(f"a path that can be looked up ({error.strerror})") from None
    raise refuse(f"an existing scenario file, or one of {shipped}")


def scenario_stem(file) -> str:
    """The name runs of a scenario file are filed under: the file's name without .yaml."""
    return folder_name(Path(str(file)).stem or "scenario")


UNSAFE = re.compile(r"[^A-Za-z0-9=,+_.:@()\[\]{}-]")
MAX_NAME_BYTES = 200  # file systems allow 255 bytes in a name


def folder_name(text: str) -> str:
    """`text` as one folder name that stays inside its parent: separators and other unsafe
    characters percent-encoded, `.` and `..` encoded, and long names cut with a hash suffix."""
    name = UNSAFE.sub(lambda match: "".join(f"%{byte:02X}" for byte in match.group().encode()), text)
    if name.strip(".") == "":
        name = name.replace(".", "%2E") or "%20"
    if len(name.encode()) > MAX_NAME_BYTES:
        name = name[: MAX_NAME_BYTES - 17] + "~" + hashlib.sha256(text.encode()).hexdigest()[:16]
    return name


# Hydra's run and sweep folders (conf/config.yaml) are named through these, in every process that
# resolves them (sweep workers import this module with the task function).
OmegaConf.register_new_resolver("folder_name", lambda text: folder_name(str(text)), replace=True)
OmegaConf.register_new_resolver("scenario_stem", scenario_stem, replace=True)
