"""The project's default multirun launcher: Hydra's joblib launcher with one progress bar over the
whole sweep, one numba thread per worker, and kernels compiled once before the workers start.

Registered as `hydra/launcher=joblib_progress` (conf/config.yaml makes it the default for `-m`).
Hydra accepts launchers only from the `hydra_plugins` namespace, hence this package.
Cluster launchers need nothing from here: `hydra/launcher=submitit_slurm` or `hydra/launcher=ray`.
"""

import os
from dataclasses import dataclass
from typing import Sequence

from hydra.core.config_store import ConfigStore
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, filter_overrides, setup_globals
from hydra_plugins.hydra_joblib_launcher._core import execute_job, process_joblib_cfg
from hydra_plugins.hydra_joblib_launcher.config import JobLibLauncherConf
from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher
from joblib import Parallel, delayed
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm


@dataclass
class ProgressJoblibLauncherConf(JobLibLauncherConf):
    _target_: str = "hydra_plugins.migration_health_launcher.ProgressJoblibLauncher"
    threads_per_job: int = 1  # numba threads in each worker, so workers do not oversubscribe cores


class ProgressJoblibLauncher(JoblibLauncher):
    def __init__(self, threads_per_job: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.threads_per_job = threads_per_job

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        os.environ["NUMBA_NUM_THREADS"] = str(self.threads_per_job)  # inherited by the workers
        warm_numba_cache(self.config)
        options = dict(self.joblib, backend="loky", return_as="generator")
        process_joblib_cfg(options)
        state = Singleton.get_state()
        jobs = Parallel(**options)(
            delayed(execute_job)(initial_job_idx + i, overrides, self.hydra_context, self.config,
                                 self.task_function, state)
            for i, overrides in enumerate(job_overrides))
        with tqdm(total=len(job_overrides), desc="sweep", unit="run", disable=None) as bar:
            runs = []
            for overrides, run in zip(job_overrides, jobs):
                runs.append(run)
                bar.set_postfix_str(" ".join(filter_overrides(overrides))[:60])
                bar.update(1)
        return runs


def warm_numba_cache(config: DictConfig) -> None:
    """Run the sweep's base configuration for two days in this process, so its kernels are
    compiled and cached once and the workers load them instead of all compiling at once."""
    from sim.api import simulate

    base = OmegaConf.to_container(config, resolve=False)
    base.pop("hydra", None)
    base = OmegaConf.to_container(OmegaConf.create(base), resolve=True)
    base.update(days=2, progress=False, compare_to_baseline=False)
    try:
        simulate(base)
    except Exception:  # noqa: BLE001  a bad configuration fails in its own jobs, with its own message
        pass


ConfigStore.instance().store(group="hydra/launcher", name="joblib_progress", node=ProgressJoblibLauncherConf,
                             provider="migration-health-sim")
