"""The command line: one simulation (or a sweep with -m), outputs written to the Hydra run folder.

Installed as `migration-sim`; in a checkout `python run.py` does the same, with the same arguments.

    migration-sim                                   # the default: Western Balkans, measles, 365 days
    migration-sim scenario=demo disease=covid19 seed=7 days=120
    migration-sim scenario.file=path/to/my_route.yaml
    migration-sim -m policy=baseline,screen_at_borders seed='range(20)'   # a sweep, in parallel
    migration-sim -m +sweep=policy_comparison                              # a predefined sweep
    migration-sim help                                                     # groups, options, examples

A run whose folder already holds outputs that verify (same configuration, same input files by
their SHA-256, same package version, every file intact) is skipped, so a sweep run again does only
what is missing; a run that does not verify is redone, saying why.

Exit codes: 0 done; 2 input the user can correct (a bad value, an unknown key or option, a path
that cannot be used), with the project's message and no traceback (`debug=true` shows one);
1 a fault of the machine (disk full, permission denied, out of memory, a killed worker), in one
line; 130 interrupted, with the command that resumes. In a sweep, a run that fails writes
failed.json (its overrides and the error) and the others go on; the sweep then exits 1 (2 if every
failure was the input's) and says how many failed and where (analysis.callbacks).
"""

import logging
import os
import shlex
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
from hydra.types import RunMode
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from sim import ConfigError
from sim.api import prepare, run_identity, simulate_prepared
from sim.config import CONFIG_DIR
from sim.errors import Problem
from sim.numba_cache import compiled_before
from sim.results import MANIFEST, output_problem, remove_temporary_files, write_failure
from sim.viz.serve import main as view  # the browser page (it needs the viz extra only when served)

log = logging.getLogger(__name__)
INTERRUPTED = 130  # the shell's code for a process stopped by Ctrl-C
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
OUTPUTS = ("summary.json", MANIFEST, "timeseries.parquet", "config.json", "failed.json", "intervals.json")


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


def command_name() -> str:
    return "python run.py" if Path(sys.argv[0]).name == "run.py" else Path(sys.argv[0]).name


def rerun_command(folder_key: str, folder: Path) -> str:
    """The command line as given, with the output folder pinned, so running it again resumes."""
    arguments = [a for a in sys.argv[1:] if not a.startswith(folder_key + "=")]
    return " ".join([command_name(), *map(shlex.quote, arguments), shlex.quote(f"{folder_key}={folder}")])


def fault_line(error: BaseException) -> str:
    """A fault of the machine in one line: what failed, on what, and the system's reason."""
    if isinstance(error, OSError):
        target = f" {error.filename}" if error.filename else ""
        return f"{type(error).__name__}{target}: {error.strerror or error}"
    if isinstance(error, MemoryError):
        return "out of memory (MemoryError): fewer people, days or nodes, or a machine with more memory"
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def clear_outputs(folder: Path) -> None:
    """Remove what an earlier attempt left in a run folder, summary.json first, so the folder
    never looks complete while this attempt runs."""
    for name in OUTPUTS:
        (folder / name).unlink(missing_ok=True)
    if folder.is_dir():
        remove_temporary_files(folder)


def record_failure(folder: Path, error: BaseException, kind: str) -> None:
    """failed.json for a run of a sweep, and one line on the terminal; a full disk may refuse the
    file: the line still tells."""
    overrides = list(HydraConfig.get().overrides.task)
    failure = {"overrides": overrides, "kind": kind, "error": type(error).__name__,
               "message": str(error) if isinstance(error, ConfigError) else fault_line(error)}
    print(f"failed: {' '.join(overrides)}: {failure['message'].splitlines()[0] if kind == 'fault' else failure['message']}",
          file=sys.stderr)
    log.info("run failed (%s): %s", kind, failure["message"])
    try:
        write_failure(folder, failure)
    except OSError as again:
        print(f"failed: {' '.join(overrides)}: and failed.json could not be written: {fault_line(again)}", file=sys.stderr)


def run_in_folder(cfg: DictConfig, folder: Path, in_sweep: bool, attempt: dict) -> str:
    """Validate, skip if the folder's outputs verify, else run and save. Returns what happened;
    `attempt["started"]` tells whether the folder's old outputs were removed for this attempt."""
    config, graph = prepare(cfg)
    if in_sweep:
        config = one_seed_in_a_sweep(config)
    elif config.seeds > 1:
        return run_paired_seeds(config, graph, folder, attempt)
    identity = run_identity(config, graph)
    problem = output_problem(folder, identity, config.model_dump(mode="json", by_alias=True))
    if problem is None:
        print(f"complete already, skipped: {folder}")
        log.info("outputs verified, run skipped: %s", folder)
        return "skipped"
    if (folder / "failed.json").exists():
        problem = "it failed before"
    if any((folder / name).exists() for name in ("summary.json", MANIFEST, "failed.json")):
        print(f"redoing {folder}: {problem}")
        log.info("redoing the run: %s", problem)
    clear_outputs(folder)
    attempt["started"] = True
    show_progress = config.progress and not in_sweep
    if show_progress and not compiled_before():
        print("compiling kernels (first run, about 20 s)", file=sys.stderr, flush=True)
    log.info("%s: %s, %s disease, %s policy, seed %d, %d days", describe_choices(), graph.graph["name"],
             config.disease.name, config.policy.name, config.seed, config.days)
    result = simulate_prepared(config, graph, progress=show_progress)
    result.save(folder)
    log.info("summary:\n%s", format_summary(result.summary, folder))
    if not in_sweep:
        print(format_summary(result.summary, folder))
    return "complete"


def one_seed_in_a_sweep(config):
    """A sweep's run is one seed: the sweep lists its seeds (seed='range(10)'); `seeds` given
    on the command line of a sweep is refused rather than ignored."""
    if any(override.split("=", 1)[0].lstrip("+~") == "seeds" for override in HydraConfig.get().overrides.task):
        raise ConfigError("command line", [Problem("seeds", config.seeds, "applies to one run; a sweep names its "
                                                   "seeds: -m seed='range(10)'")])
    return config.model_copy(update={"seeds": 1})


def run_paired_seeds(config, graph, folder: Path, attempt: dict) -> str:
    """The run over paired seeds (analysis.seeds), its medians and intervals printed."""
    from analysis.seeds import format_intervals, run_seeds  # the command line composes the analysis

    attempt["started"] = attempt["seeds"] = True
    if config.progress and not compiled_before():
        print("compiling kernels (first run, about 20 s)", file=sys.stderr, flush=True)
    log.info("%s: %s, %s disease, %s policy, seeds %d to %d, %d days", describe_choices(), graph.graph["name"],
             config.disease.name, config.policy.name, config.seed, config.seed + config.seeds - 1, config.days)
    table = run_seeds(config, graph, folder, progress=config.progress)
    text = format_intervals(config, graph.graph["name"], table, folder)
    log.info("summary:\n%s", text)
    print(text)
    return "complete"


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def run(cfg: DictConfig) -> str:
    """Hydra's task: one run in its folder, every failure reported in the project's words."""
    folder = Path(HydraConfig.get().runtime.output_dir)
    in_sweep = HydraConfig.get().mode == RunMode.MULTIRUN
    debug = cfg.get("debug") is True
    attempt = {"started": False}  # outputs of an earlier run are removed only once this one starts
    try:
        try:
            return run_in_folder(cfg, folder, in_sweep, attempt)
        except ConfigError as error:
            raise ConfigError(describe_choices(), error.problems) if error.source == "config" else error
    except KeyboardInterrupt:
        if attempt["started"]:
            clear_outputs(folder)
        log.info("interrupted; outputs of this attempt removed")
        if in_sweep:
            raise
        kept = "seeds already complete are kept" if attempt.get("seeds") else "nothing saved"
        print(f"interrupted: {kept}. To run it again: {rerun_command('hydra.run.dir', folder)}", file=sys.stderr)
        sys.exit(INTERRUPTED)
    except Exception as error:  # noqa: BLE001  every failure of a run ends here, in one message
        kind = "configuration" if isinstance(error, ConfigError) else "fault"
        if attempt["started"] or in_sweep:  # in a sweep the folder is this run's: failed.json replaces it
            clear_outputs(folder)
        if debug:
            raise
        if in_sweep:
            record_failure(folder, error, kind)
            return "failed"
        if kind == "configuration":
            print(f"error: {error}\n(no simulation was run; add debug=true for a traceback)", file=sys.stderr)
            sys.exit(2)
        log.info("run failed: %s", fault_line(error))
        print(f"error: {fault_line(error)}\n(nothing was saved; add debug=true for a traceback)", file=sys.stderr)
        sys.exit(1)


def command_line_error(error: Exception) -> ConfigError:
    """A Hydra or OmegaConf error about the command line, in the project's words."""
    if isinstance(error, MissingConfigException) and error.options:
        group = (error.missing_cfg_file or "").split("/")[0]
        choice = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.lstrip("+~").startswith(f"{group}=")), error.missing_cfg_file)
        return ConfigError("command line", [Problem(group or "(group)", choice, f"one of {sorted(error.options)}")])
    message = str(error).strip()
    if isinstance(error.__cause__, OmegaConfBaseException):
        message += "\n    " + str(error.__cause__).strip().splitlines()[0]
    lines = message.splitlines()
    return ConfigError("command line", [Problem("(overrides)", None, "\n    ".join(lines) + "\n    (python run.py help lists the options)")])


def main() -> None:
    """`python run.py` / `migration-sim`: Hydra runs the task; what Hydra itself refuses (an
    unknown key or option, a malformed override, an output folder it cannot make) exits 2 with the
    project's message, a Ctrl-C in a sweep exits 130 with the command that resumes it."""
    if sys.argv[1:] == ["help"]:
        sys.argv[1:] = ["--help"]
    os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra raises instead of printing its own report and exiting 1
    debug = "debug=true" in sys.argv[1:]
    try:
        run()
    except (ConfigCompositionException, OverrideParseException, MissingConfigException, OmegaConfBaseException) as error:
        if debug:
            raise
        print(f"error: {command_line_error(error)}", file=sys.stderr)
        sys.exit(2)
    except OSError as error:  # Hydra making the output folder or its log file
        if debug:
            raise
        print(f"error: cannot write the outputs: {fault_line(error)} (choose another hydra.run.dir or hydra.sweep.dir)",
              file=sys.stderr)
        sys.exit(2)
    except Exception as error:  # noqa: BLE001  a launcher or plugin failing: one line, not Hydra's traceback
        if debug:
            raise
        print(f"error: {fault_line(error)}\n(add debug=true for a traceback)", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        folder = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("hydra.sweep.dir=")), None)
        if folder is None:
            folder = sweep_folder_of_this_run()
        resume = rerun_command("hydra.sweep.dir", Path(folder)) if folder else f"{command_name()} {shlex.join(sys.argv[1:])}"
        print(f"interrupted: runs already complete are kept. To resume: {resume}", file=sys.stderr)
        sys.exit(INTERRUPTED)


def sweep_folder_of_this_run() -> str | None:
    """The sweep folder Hydra chose (a timestamped one, unless given), once it exists."""
    try:
        return str(HydraConfig.get().sweep.dir)
    except ValueError:  # Hydra had not started the sweep
        return None


def entry() -> None:
    """`migration-sim view [--port N]` serves the browser page (sim/viz, the viz extra); any
    other arguments are a run or a sweep, as above."""
    if sys.argv[1:2] == ["view"]:
        sys.exit(view(sys.argv[2:]))
    main()


if __name__ == "__main__":
    entry()
