"""Hydra callback: when a sweep ends, account for every run, gather the complete ones into files a
notebook reads, and end the sweep with an exit code that tells the truth.

Writes, in the sweep folder, `sweep.parquet` (every complete run's tidy time series with the
swept parameters as columns), `sweep_summaries.parquet` (one row per run) and `sweep.json`: how
many runs completed, each failed run with its overrides and error, and each run folder whose
outputs do not verify (interrupted, cut short, edited) with the reason. A sweep with any run not
complete exits 1 (2 if every failure was a configuration error), saying how many and where.
Configured in conf/config.yaml under hydra.callbacks.
"""

import logging
import sys
import warnings
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from analysis.runs import find_runs, load, load_summaries
from sim.results import output_problem, read_json, remove_temporary_files, strict_json, write_atomically

log = logging.getLogger(__name__)
ACCOUNT = "sweep.json"
LAUNCHED = "launched.json"  # written by hydra_plugins/migration_health_launcher


class GatherSweep(Callback):
    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        """An account from an earlier sweep in this folder would speak for this one: remove it."""
        for name in (ACCOUNT, LAUNCHED):
            (Path(config.hydra.sweep.dir) / name).unlink(missing_ok=True)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        folder = Path(config.hydra.sweep.dir)
        account = gather(folder)
        code = exit_code(account)
        if code:
            print(f"sweep: {len(account['failed'])} failed and {len(account['incomplete'])} incomplete of "
                  f"{account['runs']} runs; details in {folder / ACCOUNT}", file=sys.stderr)
            raise SystemExit(code)  # Hydra passes exceptions from callbacks on as warnings, not this


def run_folders(folder: Path) -> list[Path]:
    """The run folders of a sweep: one level deep (their names are percent-encoded)."""
    return sorted(child for child in folder.iterdir()
                  if child.is_dir() and not child.name.startswith(".")
                  and any((child / marker).exists() for marker in (".hydra", "summary.json", "failed.json")))


def gather(folder: Path) -> dict:
    """Account for a sweep folder's runs and gather the complete ones; returns the account (also
    written to sweep.json). Never raises for a bad run: it is counted, with its reason."""
    remove_temporary_files(folder)
    complete, failed, incomplete = [], [], []
    for run in run_folders(folder):
        if (run / "failed.json").exists():
            try:
                failed.append({"run": run.name, **read_json(run / "failed.json")})
            except (OSError, ValueError) as error:
                failed.append({"run": run.name, "kind": "fault", "overrides": [], "error": type(error).__name__,
                               "message": f"failed.json cannot be read: {error}"})
            continue
        problem = output_problem(run)
        if problem is None:
            complete.append(run.name)
        else:
            incomplete.append({"run": run.name, "reason": problem})
    failed += launched_failures(folder)
    account = {"runs": len(complete) + len(failed) + len(incomplete), "complete": len(complete),
               "failed": failed, "incomplete": incomplete}
    if complete:
        try:
            with warnings.catch_warnings():  # the runs it skips are in the account already
                warnings.simplefilter("ignore")
                runs = find_runs(folder)
            write_atomically(folder / "sweep.parquet", lambda p: load(runs).to_parquet(p, index=False))
            write_atomically(folder / "sweep_summaries.parquet", lambda p: load_summaries(runs).to_parquet(p, index=False))
        except Exception as error:  # noqa: BLE001  the account must still be written, and say so
            account["gather_error"] = f"{type(error).__name__}: {error}"
            log.error("gathering the sweep failed: %s", account["gather_error"])
    write_atomically(folder / ACCOUNT, lambda p: Path(p).write_text(strict_json(account)))
    for failure in failed:
        log.error("run failed: %s: %s", " ".join(failure.get("overrides", [])), failure.get("message"))
    for run in incomplete:
        log.error("run incomplete: %s: %s", run["run"], run["reason"])
    log.info("sweep gathered: %d complete, %d failed, %d incomplete, in %s",
             len(complete), len(failed), len(incomplete), folder)
    return account


def launched_failures(folder: Path) -> list[dict]:
    """Runs the project's launcher recorded as failed where no run folder could hold failed.json
    (launched.json; other launchers leave none)."""
    try:
        return list(read_json(folder / LAUNCHED).get("failed_without_a_folder", []))
    except FileNotFoundError:
        return []
    except (OSError, ValueError, AttributeError) as error:
        return [{"run": None, "kind": "fault", "overrides": [], "error": type(error).__name__,
                 "message": f"{LAUNCHED} cannot be read: {error}"}]


def exit_code(account: dict) -> int:
    """0 if every run is complete and gathered; 2 if every failure was the input's; else 1."""
    if not account["failed"] and not account["incomplete"] and "gather_error" not in account:
        return 0
    if account["incomplete"] or "gather_error" in account:
        return 1
    return 2 if all(failure.get("kind") == "configuration" for failure in account["failed"]) else 1
