"""Command line for analysis.

    python -m analysis maps docs/routes                      # a route map (PNG) of every shipped scenario
    python -m analysis report multirun/x [--out folder]      # HTML report and PNGs of a run or a sweep
        [--baseline baseline] [--outcome infections|deaths|exported_infectious|dalys] [--wtp 1000,10000]
    python -m analysis validation [--seeds 5] [--days 365] [--jobs 2]  # docs/VALIDATION.md: observed figures against runs
    python -m analysis sensitivity --method morris|sobol --scenario S --disease D --policies baseline,X
        [--parameters LABEL,PATTERN*,...] [--samples R|N] [--seeds 1] [--jobs 2] [--chunk k/n] [--out folder]
    python -m analysis calibrate --scenario S --disease D --parameters LABEL,... [--method optuna|abc]
        [--targets file] [--trials 60] [--seeds 3] [--out calibration/S.yaml]   # fit to validation targets
    python -m analysis posterior calibration/S.yaml --policies baseline,X [--draws 50]   # policies over draws
    python -m analysis policy-table [--readme README.md]     # every bundle on 20 paired seeds (analysis/policy_table.py)
"""

import argparse
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files, not windows: works on a server and in CI
import matplotlib.pyplot as plt  # noqa: E402

from analysis.comparison import HEALTH_OUTCOMES  # noqa: E402
from analysis.maps import route_map  # noqa: E402
from analysis.policy_table import policy_table, write_into  # noqa: E402
from analysis.report import write_report  # noqa: E402
from analysis.batch import parse_chunk  # noqa: E402
from analysis.calibration import calibrate as fit_calibration, compare_over_draws  # noqa: E402
from analysis.comparison import compare  # noqa: E402
from analysis.sensitivity import Design, run as run_sensitivity  # noqa: E402
from analysis.sensitivity_report import write_report as write_sensitivity_report  # noqa: E402
from analysis.validation import OAT_PARAMETERS, write as write_validation  # noqa: E402
from sim import ConfigError, load_scenario  # noqa: E402
from sim.config import PROJECT_ROOT, SCENARIO_DIR  # noqa: E402


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


def thresholds(text: str) -> tuple[float, ...]:
    """'1000,10000' -> (1000.0, 10000.0): positive amounts in EUR."""
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        values = ()
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give amounts in EUR separated by commas, e.g. 1000,10000")
    return values


def names(text: str) -> tuple[str, ...]:
    """'a,b' -> ('a', 'b')."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def chunk(text: str) -> tuple[int, int]:
    try:
        return parse_chunk(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_sensitivity(commands) -> None:
    command = commands.add_parser("sensitivity", help="Morris screening or Sobol indices over declared ranges, "
                                  "paired across policies; resumable")
    command.add_argument("--method", choices=["morris", "sobol"], required=True)
    command.add_argument("--scenario", default="western_balkans")
    command.add_argument("--disease", default="measles")
    command.add_argument("--policies", type=names, default=("baseline", "vaccinate_at_entry"),
                         help="comma separated; the first is the comparator (default baseline,vaccinate_at_entry)")
    command.add_argument("--parameters", type=names, default=("all",),
                         help="labels of ranged numbers or patterns with * (default: all ranged numbers)")
    command.add_argument("--samples", type=int, help="Morris trajectories r (default 20) or Sobol base samples N "
                                                     "(a power of 2, default 256)")
    command.add_argument("--days", type=int, default=365)
    command.add_argument("--seeds", type=int, default=1, help="seeds per point, the same at every point (default 1)")
    command.add_argument("--levels", type=int, default=4, help="Morris grid levels (default 4)")
    command.add_argument("--second-order", action="store_true", help="Sobol: also the N (D + 2) extra points of "
                                                                    "second-order indices")
    command.add_argument("--sample-seed", type=int, default=0)
    command.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                         help="a Hydra override of every run (repeatable), e.g. disease.r0=15")
    command.add_argument("--calibration", type=Path, help="a calibration file applied to every run (analysis calibrate)")
    command.add_argument("--wtp", type=float, help="willingness to pay (EUR per outcome averted) of the ranking by net "
                                                   "benefit (default analysis.decision.THRESHOLDS)")
    command.add_argument("--jobs", type=int, default=os.cpu_count(), help="worker processes (default: one per core)")
    command.add_argument("--chunk", type=chunk, help="k/n: run only every n-th point from the k-th (a cluster job); "
                                                     "run without it afterwards to gather and report")
    command.add_argument("--out", type=Path, help="the analysis folder (default multirun/sensitivity/<scenario>/"
                                                  "<disease>/<method>)")


def sensitivity(args) -> list[Path]:
    samples = args.samples or (20 if args.method == "morris" else 256)
    design = Design(args.method, args.scenario, args.disease, args.policies, args.parameters, samples, args.days,
                    args.seeds, args.levels, args.second_order, args.sample_seed, tuple(args.override),
                    str(args.calibration) if args.calibration else None)
    folder = args.out or PROJECT_ROOT / "multirun" / "sensitivity" / args.scenario / args.disease / args.method
    run_sensitivity(design, folder, jobs=args.jobs, chunk=args.chunk or (0, 1))
    if args.chunk:
        print(f"chunk {args.chunk[0]}/{args.chunk[1]} done in {folder}; when every chunk is, run again without "
              "--chunk to gather and report")
        return []
    return write_sensitivity_report(folder, args.wtp)


def add_calibrate(commands) -> None:
    command = commands.add_parser("calibrate", help="fit ranged numbers to observed targets (Optuna, or ABC-SMC) "
                                  "and save a calibration file")
    command.add_argument("--scenario", required=True)
    command.add_argument("--disease", required=True)
    command.add_argument("--parameters", type=names, required=True, help="labels of ranged numbers, or patterns with *")
    command.add_argument("--method", choices=["optuna", "abc"], default="optuna")
    command.add_argument("--targets", type=Path, help="a targets file (default validation/targets/<scenario>.yaml)")
    command.add_argument("--target", type=names, default=(), help="names of the targets to fit (default: those "
                                                                  "marked calibration: true)")
    command.add_argument("--seeds", type=int, default=3, help="Optuna: seeds per trial (default 3)")
    command.add_argument("--trials", type=int, default=60, help="Optuna: trials in all (default 60; a rerun adds the missing)")
    command.add_argument("--population", type=int, default=100, help="ABC: particles per generation (default 100)")
    command.add_argument("--generations", type=int, default=4, help="ABC: generations (default 4)")
    command.add_argument("--days", type=int, default=365)
    command.add_argument("--policy", default="baseline", help="the policy in force when the targets were observed")
    command.add_argument("--override", action="append", default=[], metavar="KEY=VALUE")
    command.add_argument("--out", type=Path, help="the calibration file (default calibration/<scenario>.yaml)")
    command.add_argument("--work", type=Path, help="the study's folder (default multirun/calibration/<scenario>/<disease>)")
    command.add_argument("--seed", type=int, default=0, help="the sampler's seed")


def calibrate(args) -> list[Path]:
    path, found = fit_calibration(args.scenario, args.disease, args.parameters, args.method, args.targets, args.target, args.seeds,
                      args.days, args.trials, args.population, args.generations, args.policy, tuple(args.override),
                      args.out, args.work, args.seed)
    for label, value in found["estimate"].items():
        low, high = found["intervals"][label]
        print(f"{label}: {value:.4g} (95% interval {low:.4g} to {high:.4g})")
    return [path]


def add_posterior(commands) -> None:
    command = commands.add_parser("posterior", help="policies compared over the posterior draws of a calibration file")
    command.add_argument("calibration", type=Path)
    command.add_argument("--policies", type=names, default=("baseline", "vaccinate_at_entry"),
                         help="comma separated; the first is the comparator")
    command.add_argument("--draws", type=int, help="the first N draws (default: all)")
    command.add_argument("--days", type=int, help="default: the calibration's")
    command.add_argument("--outcome", default="infections", choices=list(HEALTH_OUTCOMES))
    command.add_argument("--jobs", type=int, default=os.cpu_count())
    command.add_argument("--out", type=Path, help="default multirun/posterior/<calibration file name>")


def posterior(args) -> list[Path]:
    folder = args.out or PROJECT_ROOT / "multirun" / "posterior" / args.calibration.stem
    runs = compare_over_draws(args.calibration, args.policies, args.draws, folder, args.jobs, args.days)
    table = compare(runs, baseline=args.policies[0], outcome=args.outcome)
    path = folder / "comparison.csv"
    table.to_csv(path, index=False)
    print(f"Over {runs['draw'].nunique()} posterior draws (each its own seed, paired across policies): "
          "median and 95% interval")
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
    return [path]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis")
    commands = parser.add_subparsers(dest="command", required=True)
    maps = commands.add_parser("maps", help="draw a route map of every shipped scenario")
    maps.add_argument("folder", type=Path)
    report = commands.add_parser("report", help="write an HTML report (and PNGs) of a run or a sweep directory")
    report.add_argument("directory", type=Path, help="a run directory or a multirun (sweep) directory")
    report.add_argument("--out", type=Path, default=None, help="where to write it (default: <directory>/report)")
    report.add_argument("--baseline", default="baseline", help="the arm the others are compared with (one of the arms)")
    report.add_argument("--outcome", default="infections", choices=list(HEALTH_OUTCOMES),
                        help="the health outcome of the cost-effectiveness analysis (dalys where the runs carry them)")
    report.add_argument("--wtp", type=thresholds, default=None, metavar="EUR[,EUR...]",
                        help="willingness to pay per outcome averted, e.g. 1000,10000 (default: analysis.decision.THRESHOLDS)")
    validation = commands.add_parser("validation", help="run the scenarios that have targets and write docs/VALIDATION.md")
    validation.add_argument("--seeds", type=int, default=5, help="seeds per scenario and disease (default 5)")
    validation.add_argument("--days", type=int, default=365)
    validation.add_argument("--oat-seeds", type=int, default=3, help="paired seeds per value of the one-at-a-time table")
    validation.add_argument("--no-oat", action="store_true", help="leave out the one-at-a-time table (much faster)")
    validation.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "VALIDATION.md")
    validation.add_argument("--jobs", type=int, default=1, help="worker processes for the runs (default 1)")
    validation.add_argument("--oat-parameters", default=",".join(OAT_PARAMETERS), metavar="LABEL,PATTERN*,...",
                            help="the assumptions of the one-at-a-time table (default: %(default)s; all: every one)")
    add_sensitivity(commands)
    add_calibrate(commands)
    add_posterior(commands)
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
        elif args.command == "validation":
            written = [write_validation(args.out, args.seeds, args.days, args.oat_seeds, oat=not args.no_oat,
                                        jobs=args.jobs, oat_parameters=args.oat_parameters.split(","))]
        elif args.command == "sensitivity":
            written = sensitivity(args)
        elif args.command == "calibrate":
            written = calibrate(args)
        elif args.command == "posterior":
            written = posterior(args)
        elif args.command == "policy-table":
            text = policy_table(args.folder, args.scenario, args.diseases.split(","), args.seeds, args.days, args.jobs)
            print(text)
            if args.readme is not None:
                write_into(args.readme, text)
            written = [args.readme] if args.readme is not None else []
        else:
            written = write_report(args.directory, args.out, args.baseline, args.outcome, args.wtp)
    except (ConfigError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for target in written:
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
