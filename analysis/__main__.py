"""Command line for analysis.

    python -m analysis maps docs/routes                      # a route map (PNG) of every shipped scenario
    python -m analysis report multirun/x [--out folder]      # HTML report and PNGs of a run or a sweep
    python -m analysis policy-table [--readme README.md]     # every bundle on 20 paired seeds (analysis/policy_table.py)
"""

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files, not windows: works on a server and in CI
import matplotlib.pyplot as plt  # noqa: E402

from analysis.figures import route_map  # noqa: E402
from analysis.policy_table import policy_table, write_into  # noqa: E402
from analysis.report import write_report  # noqa: E402
from sim import ConfigError, load_scenario  # noqa: E402
from sim.config import SCENARIO_DIR  # noqa: E402


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
    report = commands.add_parser("report", help="write an HTML report (and PNGs) of a run or a sweep directory")
    report.add_argument("directory", type=Path, help="a run directory or a multirun (sweep) directory")
    report.add_argument("--out", type=Path, default=None, help="where to write it (default: <directory>/report)")
    report.add_argument("--baseline", default="baseline", help="the policy the others are compared with")
    table = commands.add_parser("policy-table", help="run every shipped bundle on paired seeds and tabulate what each averts")
    table.add_argument("--scenario", default="western_balkans")
    table.add_argument("--diseases", default="covid19,measles", help="comma-separated")
    table.add_argument("--seeds", type=int, default=20)
    table.add_argument("--days", type=int, default=365)
    table.add_argument("--jobs", type=int, default=-1, help="parallel runs (default: one per core)")
    table.add_argument("--folder", type=Path, default=Path("multirun/policy_table"), help="run directories (resumable)")
    table.add_argument("--readme", type=Path, default=None, help="also write the table into this file, between its markers")
    args = parser.parse_args(argv)
    try:
        if args.command == "maps":
            written = draw_maps(args.folder)
        elif args.command == "policy-table":
            text = policy_table(args.folder, args.scenario, args.diseases.split(","), args.seeds, args.days, args.jobs)
            print(text)
            if args.readme is not None:
                write_into(args.readme, text)
            written = [args.readme] if args.readme is not None else []
        else:
            written = write_report(args.directory, args.out, args.baseline)
    except (ConfigError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for target in written:
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
