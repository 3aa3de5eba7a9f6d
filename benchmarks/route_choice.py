"""What capacity-aware route choice costs W: the seconds a run spends building the day's route
choice tables and in the movement kernel, with capacity-aware route choice (the default: tables
rebuilt each day from how full each site was) and by weight only (tables built once), alternating
in one process, in the order A B B A ... (a run right after another run's model was freed is
often slower, whichever it is). On a shared machine the whole run's time moves by more than the difference; the
time inside the tables is what the feature adds.

    python benchmarks/route_choice.py [--people 1e6] [--nodes 50] [--days 365] [--rounds 2] [--out FILE]
"""

import argparse
import json
from collections import defaultdict
from pathlib import Path

from sim import kernels

import workload
from stages import remaining_days_seconds, timed


def timed_run(people: int, nodes: int, days: int, seed: int, route_choice: str) -> dict:
    """W for `days` days: seconds over days 1 .. D-1 in all, in the movement kernel and in
    `Routes.choice_on` (the day's tables)."""
    model = workload.build(people, nodes, workload.workload_config(days, seed, route_choice=route_choice), seed)
    model.step()  # day 0 places the people: set-up, not timed
    totals = defaultdict(float)
    move = kernels.move
    tables = timed(model.routes.choice_on, "tables", totals)
    object.__setattr__(model.routes, "choice_on", tables)  # this model only (Routes is frozen)
    kernels.move = timed(move, "move", totals)
    try:
        whole = remaining_days_seconds(model)
    finally:
        kernels.move = move
    return {"route_choice": route_choice, "seconds": whole, "move_kernel_seconds": totals["move"],
            "tables_seconds": totals["tables"], "tables_share": totals["tables"] / whole,
            "sees_occupancy": model.routes.sees_occupancy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=float, default=1e6)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    people = int(args.people)
    for name in workload.ROUTE_CHOICE:  # compile and warm up both ways
        workload.run(workload.WARM_UP["people"], args.nodes, workload.WARM_UP["days"], args.seed, route_choice=name)
    runs = []
    print(f"W({people:,}, {args.nodes}, {args.days}), days 1-{args.days - 1}, alternating A B B A in one process")
    names = list(workload.ROUTE_CHOICE)
    for round_ in range(args.rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:  # ABBA: the first run of a round is often slower
            runs.append(timed_run(people, args.nodes, args.days, args.seed, name))
            r = runs[-1]
            print(f"  {name:15s} {r['seconds']:7.2f} s; movement kernel {r['move_kernel_seconds']:6.2f} s; "
                  f"route choice tables {r['tables_seconds'] * 1000:7.1f} ms ({r['tables_share']:.2%} of the run)", flush=True)
    if args.out:
        args.out.write_text(json.dumps({"people": people, "nodes": args.nodes, "days": args.days, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
