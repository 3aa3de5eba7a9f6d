"""Run one simulation (or a Hydra sweep with -m) and write its outputs to the Hydra run folder.

    python run.py                                   # the default: Western Balkans, measles, 365 days
    python run.py scenario=demo disease=covid19 seed=7 days=120
    python run.py scenario.file=path/to/my_route.yaml
"""

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim import ConfigError, run_config, simulate

log = logging.getLogger("run")

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


def describe_choices() -> str:
    choices = HydraConfig.get().runtime.choices
    groups = [f"{group}={choices[group]} (conf/{group}/{choices[group]}.yaml)"
              for group in ("scenario", "disease", "policy") if group in choices]
    return "config: conf/config.yaml with " + ", ".join(groups) + " and command-line overrides"


def format_summary(summary: dict, folder: Path) -> str:
    head = f"{summary['scenario']} / {summary['disease']} / {summary['policy']} / seed {summary['seed']}, {summary['days']} days"
    rows = [head]
    for key, label in SUMMARY_LINES:
        value = summary[key]
        shown = f"{value:.1%}" if key == "attack_rate_migrants" else ("none" if value is None else f"{value:,}")
        rows.append(f"  {label:<42} {shown}")
    rows.append(f"  outputs: {folder}")
    return "\n".join(rows)


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> None:
    try:
        config = run_config(cfg, source=describe_choices())
        result = simulate(config)
    except ConfigError as error:
        if cfg.get("debug", False):
            raise
        print(f"error: {error}\n(no simulation was run; add debug=true for a traceback)", file=sys.stderr)
        sys.exit(2)
    folder = Path(HydraConfig.get().runtime.output_dir)
    result.save(folder)
    print(format_summary(result.summary, folder))


if __name__ == "__main__":
    main()
