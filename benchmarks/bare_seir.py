"""The speed of this machine for W, without the project: a bare fused SEIR-with-movement kernel.

The issue's targets are figures measured side by side on a 2-core machine (a bare fused numba
SEIR with movement and a counter-based hash RNG: about 480 million agent-days a second; the target
for the project is 200 million). This machine's speed changes from hour to hour, so `run.py
--compare bare` runs this kernel and W in the same process, one after the other, and prints the
ratio; the ratio holds where the absolute figures do not.

The kernel does what W does, with nothing else: N people over the same K nodes and route graph
(benchmarks/workload.py), one parallel pass a day that moves about 5% of people to a neighbouring
node, counts a day of their latent or infectious stage down (durations from the same quantile
tables) and infects the susceptible with probability 1 - exp(-beta x prevalence at their node),
then the per-node counts for the next day. Random numbers are hashes of (day key, person), so
results are the same on any number of threads. No policies, no groups, no care, no outputs
beyond the daily counts.
"""

import time

import numba as nb
import numpy as np

from sim.chunks import CHUNK
from sim.kernels import sample_days
from sim.rng import Stream, day_key, uniform_at

import workload

SUSCEPTIBLE, EXPOSED, INFECTIOUS, RECOVERED = range(4)


@nb.njit(cache=True, parallel=True)
def day(node, state, timer, out_start, edge_target, move_share, latent, infectious, probability,
        move_key, route_key, infection_key, duration_key, counts):
    """One day for everyone, in one pass; counts[chunk, node, state] after it."""
    count = node.shape[0]
    for chunk in nb.prange(counts.shape[0]):
        counts[chunk] = 0
        for i in range(chunk * CHUNK, min(count, (chunk + 1) * CHUNK)):
            here = node[i]
            s = state[i]
            if s == SUSCEPTIBLE:
                if uniform_at(infection_key, i) < probability[here]:
                    state[i] = EXPOSED
                    timer[i] = sample_days(latent, 0, uniform_at(duration_key, i))
            elif s == EXPOSED or s == INFECTIOUS:
                timer[i] -= 1
                if timer[i] == 0:
                    state[i] = s + 1
                    if s == EXPOSED:
                        timer[i] = sample_days(infectious, 0, uniform_at(duration_key, i))
            degree = out_start[here + 1] - out_start[here]
            if degree > 0 and uniform_at(move_key, i) < move_share:
                here = edge_target[out_start[here] + np.int64(uniform_at(route_key, i) * degree)]
                node[i] = here
            counts[chunk, here, state[i]] += 1


def run(people: int, nodes: int, days: int, seed: int) -> dict:
    """The bare kernel on W(people, nodes, days): set-up like W's (same routes, tables, beta and
    initial infected share), then `days - 1` timed days, as W times them."""
    model = workload.build(max(nodes, 2), nodes, workload.workload_config(days, seed), seed)  # W's compiled parts
    routes, disease = model.routes, model.disease
    internal = routes.edge_target < nodes  # edges among the reception centres, not to the closed exit
    sources = routes.edge_source[internal]
    out_start = np.searchsorted(sources, np.arange(nodes + 1)).astype(np.int64)
    edge_target = routes.edge_target[internal].astype(np.int64)
    latent = disease.duration_table[disease.exposed][None, :]
    infectious_table = disease.duration_table[disease.symptomatic.argmax()][None, :]
    rng = np.random.default_rng(seed)
    node = np.repeat(np.arange(nodes), [people // nodes + (i < people % nodes) for i in range(nodes)]).astype(np.int16)
    state = np.where(rng.random(people) < workload.INFECTED_PER_THOUSAND / 1000, EXPOSED, SUSCEPTIBLE).astype(np.int8)
    timer = np.where(state == EXPOSED, latent[0, rng.integers(0, latent.shape[1], people)], 0).astype(np.int16)
    counts = np.zeros(((people + CHUNK - 1) // CHUNK, nodes, 4), dtype=np.int64)
    np.add.at(counts[0], (node, state), 1)
    move_share = 1.0 / routes.dwell_table[0].mean()
    seconds = 0.0
    for today in range(days):
        held = counts.sum(axis=0)
        probability = -np.expm1(-disease.beta * held[:, INFECTIOUS] / np.maximum(held.sum(axis=1), 1))
        keys = [day_key(seed, stream, today) for stream in (Stream.ROUTE, Stream.DWELL, Stream.INFECTION, Stream.DURATION)]
        started = time.perf_counter()
        day(node, state, timer, out_start, edge_target, move_share, latent, infectious_table, probability, *keys, counts)
        if today > 0:
            seconds += time.perf_counter() - started
    return {
        "people": people, "nodes": nodes, "days": days,
        "simulated_seconds": seconds,
        "agent_days_per_second": people * (days - 1) / seconds,
        "ever_infected_share": float(np.mean(state != SUSCEPTIBLE)),
    }


def compare_route_choice(people: int, nodes: int, days: int, seed: int, rounds: int = 3) -> dict:
    """W with capacity-aware route choice (tables rebuilt each day from how full sites are) and
    with route choice by weight only (tables built once), each against the bare kernel run right
    after it, alternating for `rounds` rounds in this process; the median of each ratio, so a
    noisy machine slows both alike."""
    workload.run(workload.WARM_UP["people"], nodes, workload.WARM_UP["days"], seed)
    workload.run(workload.WARM_UP["people"], nodes, workload.WARM_UP["days"], seed, route_choice="by_weight_only")
    run(workload.WARM_UP["people"], nodes, workload.WARM_UP["days"], seed)
    ratios = {name: [] for name in workload.ROUTE_CHOICE}
    runs = []
    for _ in range(rounds):
        for name in workload.ROUTE_CHOICE:
            ours = workload.run(people, nodes, days, seed, route_choice=name)
            bare = run(people, nodes, days, seed)
            ratios[name].append(ours["agent_days_per_second"] / bare["agent_days_per_second"])
            runs.append({"route_choice": name, "ours": ours["agent_days_per_second"], "bare": bare["agent_days_per_second"],
                         "infected": ours["ever_infected_share"]})
    medians = {name: float(np.median(values)) for name, values in ratios.items()}
    return {"people": people, "nodes": nodes, "days": days, "rounds": rounds, "runs": runs, "ratios": ratios,
            "median_ratio": medians,
            "capacity_aware_over_by_weight": medians["capacity_aware"] / medians["by_weight_only"]}


def compare(people: int, nodes: int, days: int, seed: int, rounds: int = 1) -> dict:
    """W(people, nodes, days) with policies off and the bare kernel, in this process, after a tiny
    warm-up run of each, alternating for `rounds` rounds; the median of the ratios of their
    agent-days a second (the target: 200 / 480 = 0.42), and the round that gave it. This
    machine's speed drifts by a fifth within minutes, so one round's ratio is noisy; the median
    of five moves by about 0.02."""
    workload.run(workload.WARM_UP["people"], nodes, workload.WARM_UP["days"], seed)
    run(workload.WARM_UP["people"], nodes, workload.WARM_UP["days"], seed)
    pairs = [(workload.run(people, nodes, days, seed), run(people, nodes, days, seed)) for _ in range(rounds)]
    ratios = [ours["agent_days_per_second"] / bare["agent_days_per_second"] for ours, bare in pairs]
    ours, bare = pairs[int(np.argsort(ratios)[(len(ratios) - 1) // 2])]
    return {"people": people, "nodes": nodes, "days": days, "ours": ours, "bare": bare, "rounds": rounds,
            "ratios": ratios, "speed_ratio": ours["agent_days_per_second"] / bare["agent_days_per_second"]}
