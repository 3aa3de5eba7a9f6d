"""The command line: one simulation (or a sweep with -m), outputs written to the Hydra run folder.

Installed as `migration-sim`; in a checkout `python run.py` does the same, with the same arguments.

    migration-sim                                   # the default: Western Balkans, measles, 365 days
    migration-sim scenario=demo disease=covid19 seed=7 days=120
    migration-sim scenario.file=path/to/my_route.yaml
    migration-sim -m policy=baseline,screen_at_borders seed='range(20)'   # a sweep, in parallel
    migration-sim -m +sweep=policy_comparison                              # a predefined sweep

A run whose folder already holds complete outputs for the same configuration is skipped, so a
sweep run again does only what is missing. In a sweep, a run that fails writes failed.json (its
overrides and the error) and the others go on.
"""

import json
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

import hydra_plugins.migration_health_launcher  # noqa: F401  registers hydra/launcher=joblib_progress (default for -m)
from sim import ConfigError, run_config, simulate
from sim.config import CONFIG_DIR
from sim.results import is_complete, write_atomically

SUMMARY_LINES = (
    ("arrivals", "people entering the route"),
    ("infections_migrants", "infections among migrants"),
    ("imported_infections", "arriving already infected"),
    ("infections_hosts", "infections in host communities"),
    ("attack_rate_migrants", "attack rate among migrants"),
    ("peak_day", "peak day (most new infections)"),
    ("deaths_migrants", "deaths among migrants"),
    ("deaths_hosts", "deaths in host communities"),
    ("exported_infectious", "infectious people reaching destinations"),
    ("still_in_transit", "people still on the route at the end"),
    ("runtime_seconds", "simulation seconds"),
)
POLICY_LINES = (
    ("infections_averted", "infections averted against baseline"),
    ("cost_per_infection_averted", "cost per infection averted"),
)


def describe_choices() -> str:
    choices = HydraConfig.get().runtime.choices
    groups = [f"{group}={choices[group]} (conf/{group}/{choices[group]}.yaml)"
              for group in ("scenario", "disease", "policy") if group in choices]
    return "config: conf/config.yaml with " + ", ".join(groups) + " and command-line overrides"


def format_summary(summary: dict, folder: Path) -> str:
    head = f"{summary['scenario']} / {summary['disease']} / {summary['policy']} / seed {summary['seed']}, {summary['days']} days"
    rows = [head]
    for key, label in SUMMARY_LINES + tuple(line for line in POLICY_LINES if line[0] in summary):
        value = summary[key]
        if key == "attack_rate_migrants":
            shown = f"{value:.1%}"
        elif value is None:
            shown = "none"
        else:
            shown = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
        rows.append(f"  {label:<42} {shown}")
    rows.append(f"  total cost ({summary['costs'].get('currency', 'EUR')})".ljust(45) + f"{summary['costs']['total']:,.0f}")
    rows.append(f"  outputs: {folder}")
    return "\n".join(rows)


def record_failure(folder: Path, error: Exception) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    failure = {"overrides": list(HydraConfig.get().overrides.task), "error": type(error).__name__, "message": str(error)}
    write_atomically(folder / "failed.json", lambda p: Path(p).write_text(json.dumps(failure, indent=2)))
    print(f"failed: {' '.join(failure['overrides'])}: {failure['error']}: {failure['message']}", file=sys.stderr)


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def main(cfg: DictConfig) -> None:
    folder = Path(HydraConfig.get().runtime.output_dir)
    in_sweep = HydraConfig.get().mode == RunMode.MULTIRUN
    try:
        config = run_config(cfg, source=describe_choices())
        if is_complete(folder, config.model_dump(mode="json", by_alias=True)):
            print(f"complete already, skipped: {folder}")
            return
        result = simulate(config, progress=config.progress and not in_sweep)
    except Exception as error:
        if cfg.get("debug", False) or not (in_sweep or isinstance(error, ConfigError)):
            raise
        if in_sweep:
            record_failure(folder, error)
            return
        print(f"error: {error}\n(no simulation was run; add debug=true for a traceback)", file=sys.stderr)
        sys.exit(2)
    result.save(folder)
    (folder / "failed.json").unlink(missing_ok=True)
    if not in_sweep:
        print(format_summary(result.summary, folder))



def entry() -> None:
    """`migration-sim view [--port N]` serves the browser page (sim/viz, the viz extra); any
    other arguments are a run or a sweep, as above."""
    if sys.argv[1:2] == ["view"]:
        from sim.viz.serve import main as view

        sys.exit(view(sys.argv[2:]))
    main()
