"""The project's default multirun launcher: the sweep's runs in parallel worker processes (loky),
with one progress bar over the sweep, one numba thread per worker, and kernels compiled once in
this process before the workers start.

Registered as `hydra/launcher=parallel` (conf/config.yaml makes it the default for `-m`). Hydra
accepts launchers only from the `hydra_plugins` namespace, hence this package; it is written on
Hydra's public launcher API (`Launcher`, `run_job`) and loky's public executor.

A sweep survives its workers: a worker that dies (killed, out of memory) loses the runs it was
running; each is run again alone, and one that kills its worker again is recorded as failed
(failed.json) while the rest of the sweep goes on. Workers watch their parent and stop within a
second of it dying, and a Ctrl-C stops them and removes their temporary files.
Cluster launchers need nothing from here: `hydra/launcher=submitit_slurm` or `hydra/launcher=ray`.
"""

import _thread
import logging
import os
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, configure_log, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from loky import FIRST_COMPLETED, BrokenProcessPool, ProcessPoolExecutor, cpu_count, wait
from omegaconf import DictConfig, OmegaConf, open_dict
from tqdm.auto import tqdm

from sim.api import simulate
from sim.numba_cache import compiled_before
from sim.results import remove_temporary_files, strict_json, write_atomically, write_failure

log = logging.getLogger(__name__)
LAUNCHED = "launched.json"  # how many runs this launcher started, and failures with no folder to hold them
QUIET_TRACKER = "ignore:resource_tracker:UserWarning"
PARENT_CHECK_SECONDS = 1.0
GRACE_SECONDS = 5.0  # after the parent dies, time for the interrupted run to remove its files


@dataclass
class ParallelLauncherConf:
    _target_: str = "hydra_plugins.migration_health_launcher.ParallelLauncher"
    n_jobs: int = -1  # workers at once; -1: one per core, -2: all but one, ...
    threads_per_job: int = 1  # numba threads in each worker, so workers do not oversubscribe cores


class ParallelLauncher(Launcher):
    def __init__(self, n_jobs: int = -1, threads_per_job: int = 1):
        self.n_jobs = n_jobs
        self.threads_per_job = threads_per_job
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None
        self.task_function: TaskFunction | None = None
        self.homeless: list[dict] = []

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def workers(self, jobs: int) -> int:
        cores = cpu_count()
        wanted = self.n_jobs if self.n_jobs > 0 else max(1, cores + 1 + self.n_jobs)
        return max(1, min(wanted, jobs))

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        os.environ["NUMBA_NUM_THREADS"] = str(self.threads_per_job)  # inherited by the workers
        # loky's semaphores of stopped workers are freed by the resource tracker, which would say so
        os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), QUIET_TRACKER]))
        warm_numba_cache(self.config)
        jobs = {initial_job_idx + i: list(overrides) for i, overrides in enumerate(job_overrides)}
        self.homeless = []  # failures whose run folder could not hold failed.json
        returns: dict[int, JobReturn] = {}
        pending, suspects = deque(jobs), deque()
        with tqdm(total=len(jobs), desc="sweep", unit="run", disable=None) as bar:
            def finished(idx: int, job: JobReturn) -> None:
                returns[idx] = job
                bar.set_postfix_str(" ".join(filter_overrides(jobs[idx]))[:60])
                bar.update(1)

            try:
                while pending or suspects:
                    if suspects:  # a run lost with a worker, alone, so a second loss is its own
                        idx = suspects.popleft()
                        if self.run_batch(deque([idx]), 1, jobs, finished):
                            finished(idx, self.failed(jobs[idx], "WorkerDied", "its worker process died twice running "
                                                      "it (killed, or out of memory)"))
                    else:
                        suspects.extend(self.run_batch(pending, self.workers(len(pending)), jobs, finished))
            except KeyboardInterrupt:
                remove_temporary_files(sweep_dir)
                raise
        record = {"jobs": len(jobs), "failed_without_a_folder": self.homeless}
        write_atomically(sweep_dir / LAUNCHED, lambda p: Path(p).write_text(strict_json(record)))
        return [returns[idx] for idx in jobs]

    def run_batch(self, queue: deque, workers: int, jobs: dict, finished) -> list[int]:
        """Run jobs from the queue, at most `workers` at a time, until it is empty or a worker
        dies; returns the jobs that were running when it died (they are lost, not finished)."""
        state = Singleton.get_state()
        executor = ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),))
        running, lost, clean = {}, [], False
        try:
            def submit() -> None:
                idx = queue.popleft()
                running[executor.submit(execute_job, idx, jobs[idx], self.hydra_context, self.config,
                                        self.task_function, state)] = idx

            for _ in range(min(workers, len(queue))):
                submit()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    idx = running.pop(future)
                    try:
                        finished(idx, future.result())
                    except BrokenProcessPool as error:
                        lost.append(idx)
                        print(f"worker died ({error.__class__.__name__}) while running "
                              f"{' '.join(filter_overrides(jobs[idx]))}", file=sys.stderr)
                    except Exception as error:  # noqa: BLE001  Hydra's own set-up of the run failed (its folder, its log)
                        finished(idx, self.failed(jobs[idx], type(error).__name__, f"{type(error).__name__}: {error}"))
                if lost:
                    lost.extend(running.values())  # the pool is broken: the others are lost too
                    return lost
                while queue and len(running) < workers:
                    submit()
            clean = True
            return lost
        finally:
            executor.shutdown(wait=True, kill_workers=not clean)

    def failed(self, overrides: list[str], error: str, message: str) -> JobReturn:
        """A run that failed outside its task (its worker died twice, or Hydra could not set it
        up): failed.json says so, as the task would have, and the sweep goes on."""
        print(f"failed: {' '.join(overrides)}: {message}", file=sys.stderr)
        failure = {"overrides": overrides, "kind": "fault", "error": error, "message": message}
        try:
            sweep_config = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
            folder = Path(str(sweep_config.hydra.sweep.dir)) / str(sweep_config.hydra.sweep.subdir)
            write_failure(folder, failure)
        except OSError as again:
            self.homeless.append({"run": None, **failure})
            print(f"failed: {' '.join(overrides)}: and failed.json could not be written: {again}", file=sys.stderr)
        return JobReturn(overrides=overrides, status=JobStatus.COMPLETED, _return_value="failed")


def execute_job(idx: int, overrides: Sequence[str], hydra_context: HydraContext, config: DictConfig,
                task_function: TaskFunction, singleton_state: dict[Any, Any]) -> JobReturn:
    """One run of the sweep, in a worker: its configuration composed and run by Hydra's run_job."""
    setup_globals()
    Singleton.set_state(singleton_state)
    sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{idx}"
        sweep_config.hydra.job.num = idx
    HydraConfig.instance().set_config(sweep_config)
    return run_job(hydra_context=hydra_context, config=sweep_config, task_function=task_function,
                   job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")


def die_with_parent(parent: int) -> None:
    """In each worker: when the sweep's process dies, interrupt the run (it removes its files),
    then exit, instead of computing on for minutes with no one to report to."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        _thread.interrupt_main()
        time.sleep(GRACE_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def warm_numba_cache(config: DictConfig) -> None:
    """Run the sweep's base configuration for two days in this process, so its kernels are
    compiled and cached once and the workers load them instead of all compiling at once."""
    base = OmegaConf.to_container(config, resolve=False)
    base.pop("hydra", None)
    try:
        base = OmegaConf.to_container(OmegaConf.create(base), resolve=True)
        base.update(days=2, progress=False, compare_to_baseline=False)
        base["policy"]["surveillance"]["reporting_delay_days"] = 0
        if not compiled_before():
            print("compiling kernels (first run, about 20 s)", file=sys.stderr, flush=True)
        simulate(base)
    except Exception as error:  # noqa: BLE001  a bad configuration fails in its own jobs, with its own message
        log.debug("warming the numba cache failed: %s", error)


ConfigStore.instance().store(group="hydra/launcher", name="parallel", node=ParallelLauncherConf,
                             provider="migration-health-sim")
