"""Plain-Python readings of the kernels' rules, one person at a time, for differential tests.

Written from the rules as stated in the kernels' docstrings, not by translating the kernels line
by line: the random number hash is reimplemented here with Python integers, durations are drawn
by a linear scan of the cumulative table, and route choice by cumulative weights.
"""

import math

import numpy as np

from sim.fields import MAX_DAYS
from sim.population import AT_NODE, DEAD, EXITED, ON_EDGE, REDUCES_INFECTIOUSNESS

ISOLATED, IN_CARE, REFERRED = 1, 2, 8

MASK = (1 << 64) - 1
GOLDEN, M1, M2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * M1) & MASK
    z = ((z ^ (z >> 27)) * M2) & MASK
    return z ^ (z >> 31)


def day_key(seed: int, stream: int, day: int) -> int:
    z = mix((seed + GOLDEN) & MASK)
    z = mix(z ^ ((stream * GOLDEN) & MASK))
    return mix(z ^ ((day + M1) & MASK))


def uniform(key: int, person: int) -> float:
    return (mix(int(key) ^ ((int(person) * GOLDEN) & MASK)) >> 11) / 2.0**53


def days_from(table_row, u: float) -> int:
    """The quantile slice that u falls in."""
    return int(table_row[math.floor(u * len(table_row))])


def site_weight(capacity, people, aversion, closed, full_at):
    """What an edge into a site keeps of its weight (conf/config.yaml movement): nothing if the
    site is closed or holds its full_at; (capacity / people) ** aversion above its capacity (a site
    built for nobody, capacity 0, is never above it); else all."""
    if closed or (full_at is not None and people >= full_at):
        return 0.0
    if 0 < capacity < people:
        return (capacity / people) ** aversion
    return 1.0


def move(p, routes, edge_open, route_key, dwell_key, infectious, day, weight=None):
    """Returns entries, exits and infectious exits per node; updates the person dict-of-arrays p.
    `weight`: each edge's weight today (default the routes' own); an edge of weight 0 leads to a
    site that turns people away, and is no way out."""
    weight = routes["edge_weight"] if weight is None else weight
    entries = np.zeros(routes["node_count"], dtype=np.int64)
    exits = np.zeros(routes["node_count"], dtype=np.int64)
    exits_infectious = np.zeros(routes["node_count"], dtype=np.int64)
    for i in range(len(p["where"])):
        if p["where"][i] not in (AT_NODE, ON_EDGE):
            continue
        if p["where"][i] == AT_NODE and p["hold_timer"][i] > 0:  # held: count the hold down, stay
            p["hold_timer"][i] -= 1
            if p["hold_timer"][i] == 0:
                p["flags"][i] &= ~ISOLATED & 0xFF
            continue
        if p["leave_day"][i] > day:  # the stay or the journey goes on
            continue
        here = p["node"][i]
        dwell = lambda n: min(day + days_from(routes["dwell_table"][n], uniform(dwell_key, p["group"][i])), MAX_DAYS)
        if p["where"][i] == ON_EDGE:
            p["where"][i], p["edge"][i], p["leave_day"][i] = AT_NODE, -1, dwell(here)
            p["arrival_day"][i] = day
            entries[here] += 1
        elif routes["is_destination"][here]:
            p["where"][i] = EXITED
            exits[here] += 1
            exits_infectious[here] += int(infectious[p["state"][i]])
        else:
            options = [e for e in range(routes["out_start"][here], routes["out_start"][here + 1]) if edge_open[e] and weight[e] > 0]
            if p["flags"][i] & REFERRED:  # referred for care: only edges to care, if there are any
                p["flags"][i] &= ~REFERRED & 0xFF
                to_care = [e for e in options if routes["is_care"][routes["edge_target"][e]]]
                options = to_care or options
            if not options:  # every way out closed or full: try again tomorrow
                p["leave_day"][i] = day + 1
                continue
            weights = np.array([weight[e] for e in options])
            target = uniform(route_key, p["group"][i]) * weights.sum()
            chosen = options[min(int(np.searchsorted(np.cumsum(weights), target, side="right")), len(options) - 1)]
            p["node"][i] = routes["edge_target"][chosen]
            if routes["edge_travel"][chosen] == 0:
                p["leave_day"][i] = dwell(p["node"][i])
                p["arrival_day"][i] = day
                entries[p["node"][i]] += 1
            else:
                p["where"][i], p["edge"][i], p["leave_day"][i] = ON_EDGE, chosen, min(day + routes["edge_travel"][chosen], MAX_DAYS)
    return entries, exits, exits_infectious


def progress(p, disease, branch_key, duration_key, care_key, node_count, day, treatment_effect):
    deaths = np.zeros(node_count, dtype=np.int64)
    for i in range(len(p["where"])):
        if p["where"][i] not in (AT_NODE, ON_EDGE) or not disease.duration_table[p["state"][i]].any():
            continue
        p["state_timer"][i] -= 1
        if p["state_timer"][i] > 0:
            continue
        current = p["state"][i]
        u = uniform(branch_key, p["uid"][i])
        branches = [b for b in range(disease.next_state.shape[1]) if u < disease.next_cumulative[current, b]]
        upcoming = disease.next_state[current, branches[0] if branches else -1]
        if upcoming == disease.dead and p["flags"][i] & IN_CARE and uniform(care_key, p["uid"][i]) < treatment_effect:
            upcoming = disease.recovered  # care averted this death
        p["state"][i] = upcoming
        p["state_day"][i] = day
        if not disease.duration_table[upcoming].any():
            p["flags"][i] &= ~IN_CARE & 0xFF
        if disease.duration_table[upcoming].any():
            p["state_timer"][i] = days_from(disease.duration_table[upcoming], uniform(duration_key, p["uid"][i]))
        if upcoming == disease.dead:
            p["where"][i] = DEAD
            deaths[p["node"][i]] += 1
    return deaths


def infect(p, groups, disease, protection_values, kept, exposure, infection_key, latent_key, day):
    """The infection rule plainly: site by age, host community, living unit (co-located group
    members first, then others of the site), the group alone on an edge."""
    nodes = exposure.site_rate.shape[0]
    new = np.zeros(nodes, dtype=np.int64)
    before = {k: v.copy() for k, v in p.items()}
    for first, size in groups:
        members = range(first, first + size)
        for a in members:
            if before["state"][a] != disease.susceptible or before["where"][a] not in (AT_NODE, ON_EDGE):
                continue
            partners = [b for b in members if b != a and before["where"][b] == before["where"][a]
                        and before["node"][b] == before["node"][a] and before["edge"][b] == before["edge"][a]]
            infectious = sum(disease.infectiousness[before["state"][b]] * kept[before["flags"][b] & REDUCES_INFECTIOUSNESS]
                             for b in partners)
            here = before["node"][a]
            if before["where"][a] == ON_EDGE:
                rate = exposure.edge_rate * infectious / len(partners) if partners else 0.0
            else:
                mates = exposure.mates[here]
                family = min(len(partners), mates)
                rate = (exposure.site_rate[here, before["age_group"][a]] + exposure.host_share[here] * exposure.host_rate[here]
                        + exposure.stranger_rate[here] * (mates - family))
                if partners:
                    rate += exposure.family_rate[here] * infectious * family / len(partners)
            if rate > 0 and uniform(infection_key, before["uid"][a]) < 1 - math.exp(-rate * (1 - protection_values[before["protection"][a]])):
                p["state"][a] = disease.exposed
                p["state_day"][a] = day
                p["state_timer"][a] = days_from(disease.duration_table[disease.exposed], uniform(latent_key, before["uid"][a]))
                new[here] += 1
    return new
