"""Benchmarks of the simulation engine. Run on demand; never part of the test suite.

    python benchmarks/run.py                          # W(N, 50, 365), N = 1e5 and 1e6; start-up; scenarios
    python benchmarks/run.py --sizes 1e5,1e6,1e7      # ten million people too (about 0.5 GB, minutes)
    python benchmarks/run.py --compare starsim --profile --out my_results.json

1. The workload W(N, K, D) (benchmarks/workload.py), policies off and on, each size --repeat times in fresh processes,
   the fastest kept (a noisy machine only ever slows a run down): agent-days per second, seconds
   per simulated day, memory per person, set-up time per million people; and the time to a first
   result, W(1e5, 50, 10) in a fresh process with an empty numba cache, then again with the cache
   it filled.
2. Each shipped scenario (scenarios/*.yaml) for --days days with the default disease, per policy.
3. --compare starsim: the matched single-population SEIR in Starsim (benchmarks/starsim_seir.py);
   --compare bare: W against a bare fused SEIR-with-movement kernel, this machine's speed limit
   for W (benchmarks/bare_seir.py), as a ratio that holds however fast the machine is today: the
   median of --rounds rounds alternating the two in one process.
   --compare route_choice: that ratio with capacity-aware route choice (the default: tables
   rebuilt each day from how full sites are) and by weight only (tables built once), alternating
   --repeat rounds in one process (issue 17: within 10% of each other); benchmarks/route_choice.py
   times the route choice tables themselves inside such runs.
4. --profile: wall time per stage of a day at the largest size (benchmarks/stages.py).
5. The uncertainty analyses (benchmarks/analyses.py): a Morris screening of 10 parameters (440 runs)
   and a Sobol analysis of 6 (3,584 points, 7,168 runs) on Western Balkans, on every core; a
   fraction timed (--analysis-fraction, default 1/20 of the points twice) and the total projected.

Prints tables as it goes and writes everything as JSON (default benchmarks/results/<time>.json).
"""

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import mesa
import numba
import numpy as np
from hydra.errors import HydraException

from sim import ConfigError, compose, run_config, simulate

import analyses
import bare_seir
import starsim_seir
import stages
import workload

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STARTUP = {"people": 100_000, "nodes": 50, "days": 10}
POLICIES = ("baseline", "combined")
BUSY_SHARE = 0.1  # other processes using more than this share of the CPUs: timings will be noisy


# ---------------------------------------------------------------- measurements


def busy_share(seconds: float = 1.0) -> float | None:
    """Share of all CPUs busy over `seconds` while this process sleeps: the load from other
    processes (Linux /proc/stat; None elsewhere)."""
    def idle_and_total() -> tuple[int, int]:
        ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return ticks[3] + ticks[4], sum(ticks)  # idle + iowait, all

    try:
        idle_before, total_before = idle_and_total()
        time.sleep(seconds)
        idle_after, total_after = idle_and_total()
    except OSError:
        return None
    return 1.0 - (idle_after - idle_before) / max(total_after - total_before, 1)


def warn_if_busy(share: float | None, when: str) -> None:
    if share is not None and share > BUSY_SHARE:
        print(f"  warning: other processes used {share:.0%} of the CPUs {when}; timings are noisy "
              "(a parallel kernel waits for its slowest thread)")


def environment() -> dict:
    """Machine and library versions, numba's threads, and how busy the machine was."""
    busy = busy_share()
    workload.run(workload.WARM_UP["people"], 1, workload.WARM_UP["days"], 0)  # starts numba's threads
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "mesa": mesa.__version__,
        "numba_threads": numba.get_num_threads(),
        "numba_threading_layer": numba.threading_layer(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "platform": platform.platform(),
        "others_cpu_share_at_start": busy,
    }


def run_worker(arguments: list[str], env: dict | None = None) -> tuple[dict, float]:
    """Run benchmarks/workload.py in a fresh Python process; return its JSON and the wall time
    from launch to exit."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(HERE / "workload.py"), *arguments], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"benchmark worker {arguments} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


def measure_sizes(sizes: list[int], nodes: int, days: int, seed: int, repeat: int) -> list[dict]:
    """W(N, nodes, days) for each N, with policies off and on, `repeat` times each, in fresh
    processes (so each peak RSS is its own); keeps the fastest run (others' load only ever slows
    a run down) and every rate."""
    results = []
    for people in sizes:
        for policies in ("off", "on"):
            arguments = ["--people", str(people), "--nodes", str(nodes), "--days", str(days), "--seed", str(seed),
                         "--policies", policies, *(["--tracemalloc"] if policies == "off" else [])]
            runs = [run_worker(arguments)[0] for _ in range(repeat)]
            result = max(runs, key=lambda run: run["agent_days_per_second"])
            result["agent_days_per_second_all_runs"] = [run["agent_days_per_second"] for run in runs]
            result["setup_seconds_per_million"] = result["setup_seconds"] / (people / 1e6)
            results.append(result)
            print_sizes([result], header=len(results) == 1)
    off = [result for result in results if result["policies"] == "off"]
    if len(off) > 1:
        print_marginal_memory(off[-2], off[-1])
    return results


def measure_startup(seed: int) -> dict:
    """Time to a first result of W(1e5, 50, 10) from a fresh process: first with an empty
    NUMBA_CACHE_DIR (everything compiles), then again with the cache the first run filled."""
    arguments = ["--people", str(STARTUP["people"]), "--nodes", str(STARTUP["nodes"]),
                 "--days", str(STARTUP["days"]), "--seed", str(seed), "--cold"]
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        first, first_wall = run_worker(arguments, env)
        second, second_wall = run_worker(arguments, env)
    return {**STARTUP, "first_start_seconds": first_wall, "second_start_seconds": second_wall,
            "first_run": first, "second_run": second}


def policy_available(policy: str) -> bool:
    """The policy composes from conf/policy/ and validates."""
    try:
        run_config(compose([f"policy={policy}"]))
    except (HydraException, ConfigError):
        return False
    return True


def scenario_overrides(path: Path, policy: str, days: int, seed: int) -> list[str]:
    """Hydra overrides for a scenario file run under a policy, without the paired baseline run."""
    return [f"scenario.file={path}", f"policy={policy}", f"days={days}", f"seed={seed}",
            "progress=false", "compare_to_baseline=false"]


def time_scenario(path: Path, policy: str, days: int, seed: int) -> dict:
    """One shipped scenario with the default disease: `simulate` end to end, after a two-day
    warm-up run that loads the kernels this policy uses. Model time (construction and days) comes
    from the run's own summary; the rest is reading the file and building the tidy table."""
    simulate(compose(scenario_overrides(path, policy, 2, seed)))
    cfg = compose(scenario_overrides(path, policy, days, seed))
    started = time.perf_counter()
    result = simulate(cfg)
    total = time.perf_counter() - started
    table = result.timeseries
    on_route = table[(table["population"] == "migrants") & table["metric"].isin(["present", "in_transit"])]
    agent_days = float(on_route["value"].sum())
    model_seconds = result.summary["runtime_seconds"]
    return {
        "scenario": path.stem, "policy": policy, "disease": result.summary["disease"], "days": days,
        "people_entered": result.summary["arrivals"], "agent_days": agent_days,
        "model_seconds": model_seconds, "total_seconds": total,
        "agent_days_per_second": agent_days / model_seconds if model_seconds > 0 else None,
        "infections": result.summary["infections_migrants"] + result.summary["infections_hosts"],
    }


def measure_scenarios(days: int, seed: int) -> dict:
    """Every scenarios/*.yaml under each policy that exists (combined may not yet) and applies to
    the scenario."""
    policies = [policy for policy in POLICIES if policy_available(policy)]
    notes = [f"the {policy} policy is not available yet: timed with {', '.join(policies)} only"
             for policy in POLICIES if policy not in policies]
    runs = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        for policy in policies:
            try:
                runs.append(time_scenario(path, policy, days, seed))
            except ConfigError as error:  # e.g. a programme for a kind of site this scenario lacks
                notes.append(f"{path.stem} / {policy} does not run: {' '.join(str(error).split())}")
                continue
            print_scenarios([runs[-1]], header=len(runs) == 1)
    for note in notes:
        print(f"  note: {note}")
    return {"policies": policies, "notes": notes, "runs": runs}


def measure_analyses(fraction: float, days: int) -> dict:
    """The Morris and Sobol analyses of benchmarks/analyses.py, on every core."""
    runs = []
    for name in analyses.DESIGNS:
        runs.append(analyses.measure(name, os.cpu_count(), fraction, days))
        print_analyses([runs[-1]], header=len(runs) == 1)
    return {"runs": runs}


def measure_bare(sizes: list[int], nodes: int, days: int, seed: int, rounds: int) -> dict:
    """W(N, nodes, days) against the bare kernel, per size, in this process: the median ratio of
    `rounds` alternating rounds."""
    runs = []
    for people in sizes:
        runs.append(bare_seir.compare(people, nodes, days, seed, rounds))
        print_bare([runs[-1]], header=len(runs) == 1)
    return {"runs": runs}


def measure_route_choice(sizes: list[int], nodes: int, days: int, seed: int, rounds: int) -> list[dict]:
    """W against the bare kernel with capacity-aware route choice and by weight only, per size."""
    runs = []
    for people in sizes:
        runs.append(bare_seir.compare_route_choice(people, nodes, days, seed, rounds))
        r = runs[-1]
        if len(runs) == 1:
            print(f"\nW/bare with capacity-aware route choice and by weight only, {rounds} alternating rounds in one "
                  "process (medians); issue 17: within 10% of each other")
            print_table(["N", "K", "days", "capacity-aware", "by weight", "aware / by weight"], [])
        print_table(["N", "K", "days", "capacity-aware", "by weight", "aware / by weight"],
                    [[f"{people:,}", str(nodes), str(days), f"{r['median_ratio']['capacity_aware']:.3f}",
                      f"{r['median_ratio']['by_weight_only']:.3f}", f"{r['capacity_aware_over_by_weight']:.3f}"]],
                    header=False)
    return runs


def measure_starsim(sizes: list[int], days: int, seed: int) -> dict:
    """The matched SEIR in Starsim against W(N, 1, days), per size, or why it was skipped."""
    missing = starsim_seir.starsim_missing()
    if missing:
        print(f"\nStarsim comparison skipped: {missing}")
        return {"skipped": missing}
    runs = []
    for people in sizes:
        runs.append(starsim_seir.compare(people, days, seed))
        print_starsim([runs[-1]], header=len(runs) == 1)
    return {"runs": runs}


# ---------------------------------------------------------------- printing


def number(value, digits: int = 2) -> str:
    """A readable number: thousands separated, `digits` decimals, '-' for none."""
    if value is None:
        return "-"
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def print_table(headers: list[str], rows: list[list[str]], header: bool = True) -> None:
    """A name column, left-aligned, then right-aligned columns; fixed widths, so rows printed one
    call at a time line up with the header printed by the first."""
    widths = [max(len(headers[0]), 20)] + [max(len(h), 12) for h in headers[1:]]

    def line(cells: list[str]) -> str:
        return "  ".join([cells[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(cells[1:], widths[1:])])

    if header:
        print(line(headers))
    for row in rows:
        print(line(row), flush=True)


def print_sizes(results: list[dict], header: bool = True) -> None:
    if header:
        print("\nW(N, K, D): N people over K reception centres (ring + chords), daily SEIR r0 2.5, "
              "~5%/day move, no arrivals; each run in a fresh process, the fastest of the runs shown; "
              "policies on: the combined bundle at every centre (workload.POLICIES_ON)")
    print_table(
        ["N", "K", "days", "policies", "agent-days/s", "all runs M/s", "ms/day", "set-up s", "set-up s/1e6", "B/pers model",
         "B/pers arrays", "B/pers traced", "B/pers RSS", "ever infected"],
        [[number(r["people"]), number(r["nodes"]), number(r["days"]), r["policies"], f"{r['agent_days_per_second'] / 1e6:,.1f} M",
          "-".join(f"{rate / 1e6:.0f}" for rate in sorted(r["agent_days_per_second_all_runs"])),
          number(r["seconds_per_day"] * 1e3), number(r["setup_seconds"]), number(r["setup_seconds_per_million"]),
          number(r["bytes_per_person_model"], 1), number(r["bytes_per_person_allocated"], 1),
          number(r.get("traced_peak_bytes_per_person"), 1), number(r["peak_rss_growth_bytes_per_person"], 1),
          f"{r['ever_infected_share']:.1%}"] for r in results],
        header)


def print_marginal_memory(smaller: dict, larger: dict) -> None:
    """Per-person figures at small N include fixed costs (recorder arrays of D x K x metrics,
    imports); the difference between two sizes is the cost of one more person."""
    people = larger["people"] - smaller["people"]
    if people <= 0:
        return
    marginal = {key: (larger[key] * larger["people"] - smaller[key] * smaller["people"]) / people
                for key in ("traced_peak_bytes_per_person", "peak_rss_growth_bytes_per_person")}
    print(f"  one more person, from N = {smaller['people']:,} to {larger['people']:,}: "
          f"{marginal['traced_peak_bytes_per_person']:.1f} bytes traced, "
          f"{marginal['peak_rss_growth_bytes_per_person']:.1f} bytes RSS")


def print_startup(startup: dict) -> None:
    print(f"\nTime to a first result: W({startup['people']:,}, {startup['nodes']}, {startup['days']}) "
          "in a fresh process (interpreter, imports, numba, set-up, run)")
    print_table(["numba cache", "wall s", "set-up+JIT s", "days s"], [
        ["empty", number(startup["first_start_seconds"]), number(startup["first_run"]["setup_seconds"]),
         number(startup["first_run"]["simulated_seconds"])],
        ["filled", number(startup["second_start_seconds"]), number(startup["second_run"]["setup_seconds"]),
         number(startup["second_run"]["simulated_seconds"])],
    ])


def print_scenarios(runs: list[dict], header: bool = True) -> None:
    if header:
        print("\nShipped scenarios (default disease), simulate() after a warm-up; model s: construction and days "
              "(the run's runtime_seconds); total s adds reading the file and the tidy table")
    print_table(
        ["scenario", "policy", "disease", "days", "entered", "agent-days", "model s", "total s", "agent-days/s",
         "infections"],
        [[r["scenario"], r["policy"], r["disease"], number(r["days"]), number(r["people_entered"]),
          number(int(r["agent_days"])), number(r["model_seconds"]), number(r["total_seconds"]),
          f"{r['agent_days_per_second'] / 1e6:,.2f} M", number(r["infections"])] for r in runs],
        header)


def minutes(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:,.1f}"


def print_analyses(runs: list[dict], header: bool = True) -> None:
    if header:
        print("\nUncertainty analyses on western_balkans, measles, baseline vs vaccinate_at_entry, one worker per core: "
              "two parts of 1/n of the points timed (the first with the start-up), the total projected")
    print_table(
        ["analysis", "params", "points", "runs", "days", "jobs", "part 1 runs", "part 1 s", "part 2 s", "s/run (wall)",
         "projected min", "target min", "min per 3,584 runs"],
        [[r["analysis"], number(r["parameters"]), number(r["points"]), number(r["runs"]), number(r["days"]),
          number(r["jobs"]), number(r["first_part_runs"]), number(r["first_part_seconds"], 1),
          number(r["second_part_seconds"], 1), number(r["seconds_per_run"], 3), minutes(r["projected_seconds"]),
          minutes(r["target_seconds"]), minutes(r["projected_seconds_for_3584_runs"])] for r in runs],
        header)


def print_starsim(runs: list[dict], header: bool = True) -> None:
    if header:
        print("\nMatched single-population SEIR: this project (W with K = 1) vs Starsim, same process")
    print_table(
        ["N", "days", "ours /s", "Starsim /s", "ours/Starsim", "ours infected", "Starsim inf."],
        [[number(r["people"]), number(r["days"]), f"{r['ours']['agent_days_per_second'] / 1e6:,.1f} M",
          f"{r['starsim']['agent_days_per_second'] / 1e6:,.1f} M", f"{r['speed_ratio']:.2f}",
          f"{r['ours']['ever_infected_share']:.1%}", f"{r['starsim']['ever_infected_share']:.1%}"] for r in runs],
        header)


def print_bare(runs: list[dict], header: bool = True) -> None:
    if header:
        print("\nW against a bare fused SEIR-with-movement kernel (no policies, groups or outputs), same "
              "process; the target is 200 M against the issue's 480 M for the bare kernel: a ratio of 0.42")
    print_table(
        ["N", "K", "days", "W /s", "bare /s", "W/bare", "rounds", "W/bare range", "W infected", "bare inf."],
        [[number(r["people"]), number(r["nodes"]), number(r["days"]), f"{r['ours']['agent_days_per_second'] / 1e6:,.1f} M",
          f"{r['bare']['agent_days_per_second'] / 1e6:,.1f} M", f"{r['speed_ratio']:.2f}", str(r["rounds"]),
          f"{min(r['ratios']):.2f}-{max(r['ratios']):.2f}",
          f"{r['ours']['ever_infected_share']:.1%}", f"{r['bare']['ever_infected_share']:.1%}"] for r in runs],
        header)


def print_profile(profile: dict) -> None:
    print(f"\nTime per stage of a day, W({profile['people']:,}, {profile['nodes']}, ·), "
          f"days 1-{profile['days']} ({profile['step_seconds']:.2f} s in all)")
    print_table(["stage", "seconds", "share", "ms/day"], [
        [stage, number(seconds, 3), f"{seconds / profile['step_seconds']:.1%}", number(seconds / profile["days"] * 1e3)]
        for stage, seconds in profile["stages"].items()])


def print_environment(env: dict) -> None:
    print(f"Python {env['python']}, numpy {env['numpy']}, numba {env['numba']} "
          f"({env['numba_threads']} threads, {env['numba_threading_layer']}), mesa {env['mesa']}; "
          f"{env['cpu_count']} CPUs ({env['cpus_usable']} usable)")
    warn_if_busy(env["others_cpu_share_at_start"], "before the start")


# ---------------------------------------------------------------- command line


def parse_sizes(text: str) -> list[int]:
    """'1e5,1e6' -> [100000, 1000000]."""
    return [int(float(item)) for item in text.split(",") if item.strip()]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[100_000, 1_000_000],
                        help="people N of W, comma separated (default 1e5,1e6; add 1e7 on request)")
    parser.add_argument("--nodes", type=int, default=50, help="nodes K of W (default 50)")
    parser.add_argument("--days", type=int, default=365, help="simulated days D, for W and the scenarios (default 365)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each size of W, the fastest kept (default 3)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating rounds of W and the bare kernel for --compare bare, the median ratio kept (default 5)")
    parser.add_argument("--compare", nargs="+", choices=["starsim", "bare", "route_choice"], default=[],
                        help="also run the matched SEIR in Starsim, or W against a bare fused kernel")
    parser.add_argument("--profile", action="store_true", help="time each stage of a day at the largest size")
    parser.add_argument("--skip", nargs="*", default=[], choices=["sizes", "startup", "scenarios", "analyses"],
                        help="parts to leave out")
    parser.add_argument("--analysis-fraction", type=float, default=0.05,
                        help="share of the points of each uncertainty analysis timed twice (default 0.05; 1: all)")
    parser.add_argument("--out", type=Path, help="JSON file (default benchmarks/results/<time>.json)")
    args = parser.parse_args(argv)
    if args.days < 2:
        parser.error("--days must be at least 2 (day 0 is set-up)")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not 0 < args.analysis_fraction <= 1:
        parser.error("--analysis-fraction must lie in (0, 1]")
    return args


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.getLogger("sim").setLevel(logging.ERROR)  # scenario warnings are not benchmark results
    out = args.out or HERE / "results" / f"{datetime.now():%Y-%m-%d_%H-%M-%S}.json"
    results = {"created": datetime.now().isoformat(timespec="seconds"), "environment": environment(),
               "arguments": {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()},
               "workload": {"definition": workload.__doc__.split("\n\n")[1], "overrides": list(workload.DISEASE_OVERRIDES)}}
    print_environment(results["environment"])
    if "sizes" not in args.skip:
        results["sizes"] = measure_sizes(args.sizes, args.nodes, args.days, args.seed, args.repeat)
    if "startup" not in args.skip:
        results["startup"] = measure_startup(args.seed)
        print_startup(results["startup"])
    if "scenarios" not in args.skip:
        results["scenarios"] = measure_scenarios(args.days, args.seed)
    if "analyses" not in args.skip:
        results["analyses"] = measure_analyses(args.analysis_fraction, args.days)
    if "starsim" in args.compare:
        results["starsim"] = measure_starsim(args.sizes, args.days, args.seed)
    if "bare" in args.compare:
        results["bare"] = measure_bare(args.sizes, args.nodes, args.days, args.seed, args.rounds)
    if "route_choice" in args.compare:
        results["route_choice"] = measure_route_choice(args.sizes, args.nodes, args.days, args.seed, args.repeat)
    if args.profile:
        results["profile"] = stages.profile_stages(max(args.sizes), args.nodes, args.days, args.seed)
        print_profile(results["profile"])
    results["others_cpu_share_at_end"] = busy_share()
    warn_if_busy(results["others_cpu_share_at_end"], "at the end")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nResults written to {out}")
    return out


if __name__ == "__main__":
    main()
