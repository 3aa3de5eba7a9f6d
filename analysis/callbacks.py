"""Hydra callback: when a sweep ends, gather its runs into one file a notebook reads.

Writes, in the sweep folder, `sweep.parquet` (every run's tidy time series with the swept
parameters as columns), `sweep_summaries.parquet` (one row per run) and `sweep.json` (how many
runs completed, and each failed run with its overrides and error). Configured in conf/config.yaml
under hydra.callbacks.
"""

import json
import logging
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from sim.results import write_atomically

log = logging.getLogger(__name__)


class GatherSweep(Callback):
    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        gather(Path(config.hydra.sweep.dir))


def gather(folder: Path) -> dict:
    """Gather a sweep folder's runs; returns the sweep's account (also written to sweep.json)."""
    from analysis.runs import load, load_summaries  # pandas and pyarrow only when a sweep ends

    failures = [{"run": path.parent.name, **json.loads(path.read_text())} for path in sorted(folder.glob("*/failed.json"))]
    complete = sorted(path.parent.name for path in folder.glob("*/summary.json"))
    if complete:
        write_atomically(folder / "sweep.parquet", lambda p: load(folder).to_parquet(p, index=False))
        write_atomically(folder / "sweep_summaries.parquet", lambda p: load_summaries(folder).to_parquet(p, index=False))
    account = {"complete": len(complete), "failed": failures}
    write_atomically(folder / "sweep.json", lambda p: Path(p).write_text(json.dumps(account, indent=2)))
    for failure in failures:
        log.error("run failed: %s: %s", " ".join(failure["overrides"]), failure["message"])
    log.info("sweep gathered: %d complete, %d failed, in %s", len(complete), len(failures), folder)
    return account
