"""Peak memory and time of analysis.load on a 140-run Western Balkans sweep (7 policies x 20
seeds, 365 days: the default `+sweep=policy_comparison`). Run on demand; never part of the tests.

    python benchmarks/load_memory.py [--runs 140] [--days 365] [--folder /tmp/wb_sweep]

One real Western Balkans run is simulated and its outputs copied into 140 run folders named and
parametrised as a `python run.py -m` sweep names them (loading reads and converts every file
whatever the values in it, so the copies cost what distinct runs would). Each load runs in a fresh
process; its peak resident memory (ru_maxrss) is reported above that of the same process after
the imports, for: the report's three metrics, one metric at one node, and every metric.
Writes JSON to benchmarks/results/load_memory_<time>.json.

Seen on 2 cores (2026-12-01): the report's three metrics, 7.2 million rows, a 259 MB frame, peak
+443 MB (the process 813 MB) in 12 s; on main before this change +709 MB in 17 s without the
date, kind and country columns. Every metric: 56 million rows, 2.0 GB, peak +4.3 GB.
"""

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

POLICIES = ("baseline", "vaccinate_at_entry", "screen_at_borders", "pre_departure_checks", "lower_barriers",
            "mobile_teams", "combined")
CASES = {
    "report metrics (new_infections, present, entries)": {"metrics": ["new_infections", "present", "entries"]},
    "one metric at one node": {"metrics": ["new_infections"], "nodes": ["ttc_tabanovce"]},
    "every metric": {},
}
MEASURE = """
import json, resource, sys, time, warnings
import analysis
warnings.simplefilter("ignore")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
data = analysis.load(sys.argv[1], **json.loads(sys.argv[2]))
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": len(data), "frame_mb": data.memory_usage(deep=True).sum() / 2**20,
                  "peak_above_imports_mb": (peak - before) / 1024, "peak_mb": peak / 1024, "seconds": seconds}))
"""


def make_sweep(folder: Path, runs: int, days: int) -> Path:
    """`runs` run folders holding copies of one simulated Western Balkans run."""
    from analysis.sweep import save_as_sweep_run
    from sim import compose, simulate

    result = simulate(compose(["scenario=western_balkans", "progress=false", "compare_to_baseline=false",
                               f"days={days}"]))
    shutil.rmtree(folder, ignore_errors=True)
    first = save_as_sweep_run(result, folder / "policy=baseline,seed=0", ["policy=baseline", "seed=0"])
    for index in range(1, runs):
        policy, seed = POLICIES[index % len(POLICIES)], index // len(POLICIES)
        run = folder / f"policy={policy},seed={seed}"
        shutil.copytree(first, run)
        (run / ".hydra" / "overrides.yaml").write_text(f"- policy={policy}\n- seed={seed}\n")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=140)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/load_memory_sweep"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    folder = make_sweep(args.folder, args.runs, args.days)
    on_disk = sum(path.stat().st_size for path in folder.rglob("timeseries.parquet")) / 2**20
    print(f"{args.runs} runs of {args.days} days in {folder} ({on_disk:,.0f} MB of Parquet), "
          f"made in {time.perf_counter() - started:.0f} s")
    results = {}
    for name, arguments in CASES.items():
        done = subprocess.run([sys.executable, "-c", MEASURE, str(folder), json.dumps(arguments)],
                              capture_output=True, text=True, check=True)
        results[name] = json.loads(done.stdout)
        r = results[name]
        print(f"{name:<52} {r['rows']:>12,} rows  frame {r['frame_mb']:>7,.0f} MB  "
              f"peak +{r['peak_above_imports_mb']:>7,.0f} MB (process {r['peak_mb']:,.0f} MB)  {r['seconds']:.1f} s")
    out = args.out or Path(__file__).with_name("results") / f"load_memory_{datetime.now():%Y-%m-%d_%H-%M-%S}.json"
    out.write_text(json.dumps({"created": datetime.now().isoformat(timespec="seconds"), "runs": args.runs,
                               "days": args.days, "parquet_mb": on_disk, "loads": results,
                               "max_rss_of_this_process_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024},
                              indent=2))
    print(out)


if __name__ == "__main__":
    main()
