"""Command line for analysis.

    python -m analysis maps docs/routes     # a route map (PNG) of every shipped scenario
"""

import argparse
import sys
from pathlib import Path

import matplotlib.pyplot as plt

from analysis.figures import route_map
from sim import ConfigError, load_scenario
from sim.config import SCENARIO_DIR


def draw_maps(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        fig, ax = plt.subplots(figsize=(10, 8))
        route_map(load_scenario(path), ax=ax)
        target = folder / f"{path.stem}.png"
        fig.savefig(target, dpi=130, bbox_inches="tight")
        plt.close(fig)
        written.append(target)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis")
    commands = parser.add_subparsers(dest="command", required=True)
    maps = commands.add_parser("maps", help="draw a route map of every shipped scenario")
    maps.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    try:
        for target in draw_maps(args.folder):
            print(target)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
