"""The run on the map as files: what `migration-sim` writes for it (timeseries.parquet,
summary.json, config.json) and the time series as CSV, in one zip.

The files come from `sim.simulate` on the map's configuration and seed up to the day reached:
runs are reproducible, so these are the numbers the map showed (tested), with the summary the
command line gives (costs, and infections averted against baseline on the same seed).
"""

import io
import tempfile
import zipfile
from pathlib import Path

from sim.api import simulate
from sim.viz.choices import Setup


def run_outputs(setup: Setup, days: int) -> bytes:
    """A zip of the outputs of the setup's run over its first `days` days."""
    config = setup.config.model_copy(update={"days": max(days, 1), "progress": False})
    result = simulate(config, scenario=setup.graph)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        result.save(folder)
        result.timeseries.to_csv(Path(folder) / "timeseries.csv", index=False)
        for path in sorted(Path(folder).iterdir()):
            archive.write(path, path.name)
    return buffer.getvalue()
