"""The cluster path, checked: one small sweep through the project's default launcher, through
submitit's local executor, and through the Ray launcher on a local Ray cluster; their gathered
results must be equal. Run by .ci/run in its own environment (hydra-ray-launcher pins cloudpickle
2.2.1), as `python tests/compare_launchers.py [folder]`; exits 1 on any difference.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SWEEP = ["scenario=demo", "days=20", "policy=baseline,vaccinate_at_entry", "seed=0,1"]
LAUNCHERS = {
    "default": [],
    "submitit_local": ["hydra/launcher=submitit_local", "hydra.launcher.timeout_min=20"],
    "ray": ["hydra/launcher=ray", "hydra.launcher.ray.init.address=auto", "+hydra.launcher.ray.init.object_store_memory=null"],
}
VARIES = ["runtime_seconds"]  # the only output that may differ between launchers


def run_sweep(folder: Path, launcher: list[str]) -> None:
    done = subprocess.run([sys.executable, "run.py", "-m", *SWEEP, *launcher, f"hydra.sweep.dir={folder}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"sweep with {launcher or 'the default launcher'} exited {done.returncode}:\n{done.stderr[-3000:]}")


def gathered(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sweep's gathered summaries and time series, in an order that does not depend on the
    order the runs finished in."""
    summaries = pd.read_parquet(folder / "sweep_summaries.parquet").drop(columns=VARIES)
    summaries = summaries.sort_values("run").reset_index(drop=True)
    series = pd.read_parquet(folder / "sweep.parquet")
    series = series.astype({c: str for c in series.columns if c != "value"})
    series = series.sort_values(["run", "population", "metric", "node", "day"]).reset_index(drop=True)
    return summaries, series


def main(folder: Path) -> int:
    subprocess.run(["ray", "start", "--head", "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats"],
                   check=True, capture_output=True)
    try:
        results = {}
        for name, launcher in LAUNCHERS.items():
            run_sweep(folder / name, launcher)
            results[name] = gathered(folder / name)
            print(f"{name}: {len(results[name][0])} runs, {len(results[name][1]):,} rows gathered")
    finally:
        subprocess.run(["ray", "stop", "--force"], capture_output=True)
    expected_summaries, expected_series = results["default"]
    if len(expected_summaries) != 4:
        print(f"the default sweep gathered {len(expected_summaries)} runs, not 4")
        return 1
    differences = 0
    for name, (summaries, series) in results.items():
        for what, got, expected in (("summaries", summaries, expected_summaries), ("time series", series, expected_series)):
            try:
                pd.testing.assert_frame_equal(got, expected, check_like=True)
            except AssertionError as error:
                differences += 1
                print(f"{name}: gathered {what} differ from the default launcher's:\n{error}")
    print("launchers agree" if not differences else f"{differences} difference(s)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="launchers-"))))
