"""The benchmark workload W(N, K, D), built with the project's own engine, and its measurement.

W(N, K, D): N people spread evenly over K reception centres joined by a sparse route graph (a
ring plus a few seeded random chords), D days of a daily SEIR (r0 2.5, latent 3 days, infectious
7 days), about 5% of people moving to a neighbouring node each day, no arrivals.

Run as a script, this is the worker `run.py` starts in a fresh process per measurement, so that
peak memory and numba compilation are measured alone; it prints one JSON object:

    python benchmarks/workload.py --people 1000000 --nodes 50 --days 365 [--policies on] [--cold] [--tracemalloc]
"""

import argparse
import json
import resource
import sys
import time
import tracemalloc

import numba
import numpy as np

from sim import RouteModel, compose, run_config
from sim.fields import MAX_COUNT
from sim.scenario import checked_graph

WARM_UP = {"people": 2_000, "days": 3}  # a tiny run that loads (or compiles) every kernel W uses
MEAN_STAY_DAYS = 20.0
SINGLE_POOL_DWELL = {"mean": 3650, "shape": 50}  # K = 1: the shortest stay drawn is 2,115 days, past any run
INFECTED_PER_THOUSAND = 1
CHORDS_PER_NODE = 0.1  # a ring of K nodes gets K / 10 random chords (at least one from K = 4 on)
EXIT = "exit"

LATENT = (3.0, 4)  # days: Erlang mean and shape (shape as covid19)
INFECTIOUS = (7.0, 3)

# Daily SEIR with the covid19 config: presymptomatic stage skipped, everyone symptomatic (the one
# infectious stage), nobody dies. No living-unit or host contacts (nor crowding: capacity is huge
# anyway): all transmission is well mixed within a node. No site offers care, so care cuts nobody's
# infectiousness: a plain SEIR.
DISEASE_OVERRIDES = (
    "disease=covid19", "disease.r0=2.5",
    f"disease.latent.mean={LATENT[0]}", f"disease.latent.shape={LATENT[1]}",
    "disease.presymptomatic.mean=0",
    f"disease.symptomatic.mean={INFECTIOUS[0]}", f"disease.symptomatic.shape={INFECTIOUS[1]}",
    "disease.symptomatic_fraction=1.0", "disease.case_fatality=0",
    "transmission.unit_contact_share=0",
    "policy=baseline", "policy.care.on_site_kinds=[]",
)


# W with its policies switched on: the `combined` bundle with every programme placed at the
# reception centres (W has no other kind of site) and care offered there, so each policy kernel
# runs every day: screening on arrival and before departure with isolation and holds,
# vaccination with two doses, care seeking with lowered barriers, a mobile team.
POLICIES_ON = (
    "policy=combined",
    "policy.vaccination.at_entry.where.kinds=[reception_centre]",
    "policy.screening.borders.where.kinds=[reception_centre]",
    "policy.mobile_teams.informal_sites.where.kinds=[reception_centre]",
    "policy.care.on_site_kinds=[reception_centre]",
)


def route_pairs(nodes: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Undirected node pairs: a ring, plus `nodes * CHORDS_PER_NODE` random chords between nodes
    that are not yet joined."""
    pairs = {tuple(sorted((i, (i + 1) % nodes))) for i in range(nodes) if nodes > 1}
    chords = int(nodes * CHORDS_PER_NODE) if nodes >= 4 else 0
    while chords > 0:
        pair = tuple(sorted(int(i) for i in rng.choice(nodes, size=2, replace=False)))
        if pair not in pairs:
            pairs.add(pair)
            chords -= 1
    return sorted(pairs)


def node(node_id: str, kind: str, index: int, nodes: int) -> dict:
    """A node on a circle of coordinates, with a capacity no crowd reaches and no host community.

    Dwell {mean: 20, shape: 1}: an exponential stay of mean 20 days, so about 1 / 20 = 5% of the
    people at a node leave each day. The model rounds stays to whole days with a minimum of one
    day (sim.disease.duration_table), so the mean stay drawn is slightly above 20 days (the
    report gives the exact daily rate from the compiled table). With a single node (K = 1, the
    pool matched to Starsim) there is nowhere to go: stays outlast the run, rather than ending
    into a closed exit that everyone would retry daily.
    """
    angle = 2 * np.pi * index / max(nodes, 1)
    return {
        "id": node_id, "kind": kind, "name": node_id, "country": "AAA",
        "lat": round(float(40 + 5 * np.sin(angle)), 4), "lon": round(float(20 + 5 * np.cos(angle)), 4),
        "capacity": MAX_COUNT if kind != "destination" else 0, "host_population": 0,
        "dwell": {"mean": MEAN_STAY_DAYS, "shape": 1} if nodes > 1 else SINGLE_POOL_DWELL,
    }


def synthetic_scenario(people: int, nodes: int, seed: int) -> dict:
    """The scenario dict of W(people, nodes, ·).

    The scenario format needs a destination reachable from every node with people. We add one
    destination, `exit`, with an edge from the first node, and close that edge from day 0 with a
    non-optional close_edge event, so nobody ever leaves: the population stays exactly N (N x D
    agent-days) and the route choice among the K sites is exactly by their weights. (A tiny edge
    weight instead would let a few people leave and need the destination branch of the movement
    kernel, for nothing the benchmark measures.)
    """
    rng = np.random.default_rng(seed)
    ids = [f"site_{i:05d}" for i in range(nodes)]
    edges = []
    for a, b in route_pairs(nodes, rng):
        edges += [{"from": ids[a], "to": ids[b], "travel_days": 0, "weight": 1.0},
                  {"from": ids[b], "to": ids[a], "travel_days": 0, "weight": 1.0}]
    edges.append({"from": ids[0], "to": EXIT, "travel_days": 0, "weight": 1.0})
    per_node = [people // nodes + (i < people % nodes) for i in range(nodes)]
    return {
        "name": f"benchmark_{nodes}_sites",
        "description": "benchmark workload: a ring of reception centres with random chords",
        "start_date": "2023-01-01",
        "nodes": [node(node_id, "reception_centre", i, nodes) for i, node_id in enumerate(ids)]
                 + [node(EXIT, "destination", nodes, nodes)],
        "edges": edges,
        "origins": {"AAA": {"name": "benchmark origin", "age": {"18-59": 1.0},
                            "immunity": {"covid19": {"vaccinated": 0.0, "immune": 0.0}}}},
        "initial": [{"node": node_id, "people": n, "infected": max(1, n * INFECTED_PER_THOUSAND // 1000), "origin": "AAA"}
                    for node_id, n in zip(ids, per_node) if n > 0],
        "events": [{"name": "nobody_leaves", "type": "close_edge", "from": ids[0], "to": EXIT, "day": 0}],
    }


# W's route choice: capacity-aware (the default, conf/config.yaml movement: the route-choice tables
# are rebuilt every day from how full each site is; W's sites never fill, so the choices are the
# same) or not (tables built once, as before issue 17)
ROUTE_CHOICE = {"capacity_aware": (), "by_weight_only": ("movement.capacity_aversion=0",)}


def workload_config(days: int, seed: int, policies: bool = False, route_choice: str = "capacity_aware"):
    """The validated run configuration of W for `days` days, with policies off or on."""
    return run_config(compose(["progress=false", "compare_to_baseline=false", f"days={days}", f"seed={seed}",
                               *DISEASE_OVERRIDES, *(POLICIES_ON if policies else ()), *ROUTE_CHOICE[route_choice]]))


def build(people: int, nodes: int, config, seed: int) -> RouteModel:
    """The model of W: scenario dict -> validated route graph -> RouteModel (day 0 not yet run)."""
    graph = checked_graph(synthetic_scenario(people, nodes, seed), f"benchmark W({people}, {nodes})")
    return RouteModel(graph, config)


def allocated_bytes(population) -> int:
    """Bytes of every array of the people table, preallocated rows included."""
    return sum(value.nbytes for value in vars(population).values() if isinstance(value, np.ndarray))


def run(people: int, nodes: int, days: int, seed: int, policies: bool = False, route_choice: str = "capacity_aware") -> dict:
    """Build and run W(people, nodes, days); time the set-up and each simulated day.

    Set-up is graph + model construction + day 0: the engine places the initial people inside the
    first step, so day 0 counts as set-up, and rates are over days 1 .. D-1. The configuration
    (Hydra composition, a constant half second or so) is composed before the clock starts.
    """
    config = workload_config(days, seed, policies, route_choice)
    started = time.perf_counter()
    model = build(people, nodes, config, seed)
    built = time.perf_counter()
    model.step()
    placed = time.perf_counter()
    step_seconds = []
    while model.running:
        before = time.perf_counter()
        model.step()
        step_seconds.append(time.perf_counter() - before)
    simulated = float(np.sum(step_seconds))
    stay = model.routes.dwell_table[0].mean()
    susceptible_at_end = int(model.recorder.metric("migrants", "susceptible")[-1].sum())
    return {
        "people": people, "nodes": nodes, "days": days, "seed": seed, "policies": "on" if policies else "off",
        "construct_seconds": built - started,
        "day0_seconds": placed - built,
        "setup_seconds": placed - started,
        "simulated_days": len(step_seconds),
        "simulated_seconds": simulated,
        "seconds_per_day": simulated / max(len(step_seconds), 1),
        "median_seconds_per_day": float(np.median(step_seconds)) if step_seconds else None,
        "slowest_day_seconds": max(step_seconds, default=0.0),
        "agent_days_per_second": people * len(step_seconds) / simulated if simulated > 0 else None,
        "bytes_per_person_model": model.people.bytes_per_person(),
        "bytes_per_person_allocated": allocated_bytes(model.people) / people,
        "mean_stay_days": float(stay),
        "daily_move_share": float(1.0 / stay),
        "ever_infected_share": 1.0 - susceptible_at_end / people,
        "beta": float(model.disease.beta),
        "numba_threads": numba.get_num_threads(),
    }


def traced_peak_bytes(people: int, nodes: int, days: int, seed: int) -> int:
    """Peak bytes traced by tracemalloc (numpy arrays included) while building W and running days
    0 and 1: set-up holds the peak, later days allocate nothing per person."""
    config = workload_config(days, seed)
    tracemalloc.start()
    try:
        model = build(people, nodes, config, seed)
        model.step()
        model.step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def max_rss_bytes() -> int:
    """This process's peak resident set size so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker(args: argparse.Namespace) -> dict:
    """One measurement in this fresh process. Cold: no warm-up, the time to the first result is
    the caller's wall clock. Otherwise: warm up, then time W and the growth of the peak RSS."""
    if args.cold:
        return run(args.people, args.nodes, args.days, args.seed, args.policies == "on")
    run(WARM_UP["people"], args.nodes, WARM_UP["days"], args.seed, args.policies == "on")
    rss_before = max_rss_bytes()
    result = run(args.people, args.nodes, args.days, args.seed, args.policies == "on")
    result["peak_rss_growth_bytes_per_person"] = (max_rss_bytes() - rss_before) / args.people
    if args.tracemalloc:
        result["traced_peak_bytes_per_person"] = traced_peak_bytes(args.people, args.nodes, args.days, args.seed) / args.people
    return result


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, required=True)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--policies", choices=["off", "on"], default="off", help="W as defined, or with POLICIES_ON")
    parser.add_argument("--cold", action="store_true", help="no warm-up: measure the first start")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the numpy peak of a second set-up")
    return parser.parse_args(argv)


if __name__ == "__main__":
    print(json.dumps(worker(parse(sys.argv[1:]))))
