"""The daily numba kernels of the core: movement, progression (with the day's stocks), transmission.

Each kernel takes arrays in named bundles (sim.population.People, sim.routes.RouteArrays,
sim.disease.StateTable, DayKeys, Exposure), loops over people in parallel, and writes counts into
a per-thread tally `tally[thread, node, metric]` (no atomics; summed over threads afterwards, and
integer, so the sum is exact in any order). A bundle is unpacked into local arrays before the
parallel loop (numba's parallel loops cannot take tuples of arrays). Every random number is
`uniform_at(key, uid)` with a key for the day and the decision, so results are the same on any
number of threads.

The plain-Python readings of the same rules are in `tests/reference.py`; tests compare the two.
"""

from typing import NamedTuple

import numba as nb
import numpy as np

from sim.chunks import CHUNK, chunk_count, chunk_rows
from sim.disease import INFECTIOUSNESS_SCALE, INFECTIOUSNESS_SHIFT
from sim.fields import AGE_GROUPS, MAX_DAYS
from sim.population import (
    AT_NODE, DEAD, EXITED, IN_CARE, ISOLATED, NOT_IN_CARE, NOT_ISOLATED, NOT_REFERRED, ON_EDGE, REDUCES_INFECTIOUSNESS,
    REFERRED,
)
from sim.rng import Stream, day_key, uniform_at

# The core's columns of the migrant tally [thread, node, metric]. The flows come first, at fixed
# places the kernels compile in; the stocks, the stocks by natural-history state and the
# programmes' metrics follow (sim.results.TallyLayout).
CORE_FLOWS = (
    "new_infections", "new_deaths", "arrivals", "entries", "exits", "exits_infectious", "imported_infections",
    "detected",  # cases detected (by screening, in care, ...): surveillance reports them
    "country_entries",  # people entering the node's country (along an edge, or entering the route there)
)
CORE_STOCKS = ("present", "in_transit", "isolated")
NEW_INFECTIONS, NEW_DEATHS, ARRIVALS, ENTRIES, EXITS, EXITS_INFECTIOUS, IMPORTED, DETECTED, COUNTRY_ENTRIES = range(len(CORE_FLOWS))
FLAG_COMBINATIONS = int(REDUCES_INFECTIOUSNESS) + 1  # tables indexed by flags & REDUCES_INFECTIOUSNESS
AGES = len(AGE_GROUPS)


class DayKeys(NamedTuple):
    """The day's keys of the core's random decisions (sim.rng.Stream), read by name."""

    route: np.uint64
    dwell: np.uint64
    branch: np.uint64
    duration: np.uint64
    care_survival: np.uint64
    infection: np.uint64
    latent: np.uint64

    @classmethod
    def of(cls, seed: int, day: int) -> "DayKeys":
        return cls(*(day_key(seed, getattr(Stream, name.upper()), day) for name in cls._fields))


class Exposure(NamedTuple):
    """Force of infection on migrants at each node (sim.contacts): from the rest of the site, by
    age ([node, age], the water included); from the host community (per unit of contact, and the
    host contact share); in the living unit, per unit of a co-located group member's
    infectiousness (`family_rate`) and per other unit-mate (`stranger_rate`), with `mates` people
    a unit-mate each; and on an edge, per unit of group members' infectiousness shared out among
    them (`edge_rate`)."""

    site_rate: np.ndarray  # [node, age]
    host_rate: np.ndarray  # [node]
    host_share: np.ndarray  # [node]
    family_rate: np.ndarray  # [node]
    stranger_rate: np.ndarray  # [node]
    mates: np.ndarray  # [node]
    edge_rate: float


@nb.njit(cache=True)
def sample_days(tables, row, u):
    """Whole days from row `row` of quantile tables (sim.disease.duration_table) and a uniform in
    [0, 1). Indexes the 2-d table directly: taking a row as a view inside a parallel loop would
    update the table's reference count atomically from every thread, and slow the loop many times."""
    return tables[row, np.int64(u * tables.shape[1])]


@nb.njit(cache=True)
def draw_days(tables, rows, u):
    """`sample_days` for many draws at once: row `rows[k]` of the tables with uniform `u[k]`."""
    out = np.empty(u.shape[0], dtype=np.int32)
    for k in range(u.shape[0]):
        out[k] = sample_days(tables, rows[k], u[k])
    return out


@nb.njit(cache=True)
def day_after(day, days):
    """The day `days` after `day`, at most MAX_DAYS (people's day stamps are int16; a run ends
    before MAX_DAYS, so a later day never comes either way)."""
    return min(day + days, MAX_DAYS)


@nb.njit(cache=True, parallel=True)
def move(people, routes, choice, states, day, keys, tally):
    """Movement: people whose time at a node is over leave along an open outgoing edge (chosen by
    weight, with the day's sim.routes.RouteChoice tables), travel for the edge's days and arrive;
    at a destination they leave the model. People referred for care choose only among open edges
    to clinics and hospitals, where there are any.

    Reads: where, node, edge, leave_day, group, state, hold_timer. Writes: where, node, edge,
    leave_day, hold_timer, flags (isolation ends, referral used), arrival_day; tally ENTRIES at the
    node reached, COUNTRY_ENTRIES at a node whose country the edge enters, EXITS,
    EXITS_INFECTIOUS at the exit node.
    One step: people held (isolated, or travel delayed by a programme) count their hold down and
    stay; others move on the day their stay or journey ends (`leave_day`), or the first day after
    it that they are not held: a destination lets the person out, another node sends them on; with
    every way out closed they wait a day and try again. A stay of T days begun on day d ends on day
    d + T. Route and dwell draws are keyed by travel group, so a group stays together.
    Each chunk first lists who moves today, in a lean pass that only reads everyone else, then
    moves them.
    """
    count, where, node, edge, leave_day = people.count, people.where, people.node, people.edge, people.leave_day
    group, state, hold_timer, flags, arrival_day = people.group, people.state, people.hold_timer, people.flags, people.arrival_day
    out_start, edge_target, edge_travel, edge_crosses = routes.out_start, routes.edge_target, routes.edge_travel, routes.edge_crosses
    is_destination, dwell_table = routes.is_destination, routes.dwell_table
    cumulative, total, last = choice.cumulative, choice.total, choice.last
    infectiousness = states.infectiousness
    route_key, dwell_key = keys.route, keys.dwell
    for chunk in nb.prange(chunk_count(count)):
        thread = nb.get_thread_id()
        movers = np.empty(CHUNK, dtype=np.int32)
        moving = 0
        start, stop = chunk_rows(chunk, count)
        for i in range(start, stop):
            status = where[i]
            if status != AT_NODE and status != ON_EDGE:
                continue
            if status == AT_NODE and hold_timer[i] > 0:
                hold_timer[i] -= 1
                if hold_timer[i] == 0:
                    flags[i] &= NOT_ISOLATED
                continue
            if leave_day[i] <= day:
                movers[moving] = i
                moving += 1
        for k in range(moving):
            i = movers[k]
            here = node[i]
            if where[i] == ON_EDGE:
                where[i] = AT_NODE
                edge[i] = -1
                arrival_day[i] = day
                leave_day[i] = day_after(day, sample_days(dwell_table, here, uniform_at(dwell_key, group[i])))
                tally[thread, here, ENTRIES] += 1
                continue
            if is_destination[here]:
                where[i] = EXITED
                tally[thread, here, EXITS] += 1
                if infectiousness[state[i]] > 0:
                    tally[thread, here, EXITS_INFECTIOUS] += 1
                continue
            row = 0
            if flags[i] & REFERRED:
                flags[i] &= NOT_REFERRED
                if last[1, here] >= 0:
                    row = 1
            chosen = last[row, here]
            if chosen < 0:
                leave_day[i] = day + 1
                continue
            pick = uniform_at(route_key, group[i]) * total[row, here]
            for e in range(out_start[here], out_start[here + 1]):
                if cumulative[row, e] > pick:
                    chosen = e
                    break
            target = edge_target[chosen]
            node[i] = target
            if edge_crosses[chosen]:
                tally[thread, target, COUNTRY_ENTRIES] += 1
            if edge_travel[chosen] == 0:
                arrival_day[i] = day
                leave_day[i] = day_after(day, sample_days(dwell_table, target, uniform_at(dwell_key, group[i])))
                tally[thread, target, ENTRIES] += 1
            else:
                where[i] = ON_EDGE
                edge[i] = chosen
                leave_day[i] = day_after(day, edge_travel[chosen])


@nb.njit(cache=True, parallel=True)
def progress(people, states, day, treatment_effect, keys, holdings, tally):
    """Progression, and what each node holds after it: each person's natural-history timer counts
    down; at zero they move to a next state (drawn by the branch probabilities) and draw its
    duration. Care lowers the chance of dying: a death drawn for someone in care is averted with
    probability `treatment_effect`. In the same pass, everyone still on the route is counted once,
    into `holdings[thread, node, where, flags & REDUCES_INFECTIOUSNESS, state, age]` (where: 0 at
    the node, 1 on the way to it; age last, so the cells most people are counted in, at the node
    and not isolated, lie together), from which `holdings_of` derives the day's stocks and the
    infectiousness present at each node by age, without a second pass over everyone; and the
    cases (people entering the onset state, sim.disease.NaturalHistory.onset) and deaths of the
    day by age, in the cells after those (a block of AGES each). Nobody else enters the onset
    state on the route (infection only exposes; programmes move people to treatment or back to
    susceptible), except on arriving in it (sim.programmes.watch counts those).

    Reads: where, node, state, state_timer, flags, age_group; the disease's state table.
    Writes: state, state_timer, state_day, flags (care ends with the infection), where (DEAD);
    holdings; tally NEW_DEATHS at the node.
    """
    count, uid, where, node, flags, age = people.count, people.uid, people.where, people.node, people.flags, people.age_group
    state, state_timer, state_day = people.state, people.state_timer, people.state_day
    next_state, next_cumulative, duration_table = states.next_state, states.next_cumulative, states.duration_table
    dead_state, recovered_state, onset = states.dead, states.recovered, states.onset
    branch_key, duration_key, care_key = keys.branch, keys.duration, keys.care_survival
    state_count = duration_table.shape[0]
    cases_cell = 2 * FLAG_COMBINATIONS * state_count * AGES
    deaths_cell = cases_cell + AGES
    timed = duration_table[:, 0] > 0  # states left after a drawn number of days
    for chunk in nb.prange(chunk_count(count)):
        thread = nb.get_thread_id()
        counted = holdings[thread]
        start, stop = chunk_rows(chunk, count)
        for i in range(start, stop):
            status = where[i]
            if status != AT_NODE and status != ON_EDGE:
                continue
            current = state[i]
            here = node[i]
            if timed[current]:
                state_timer[i] -= 1
                if state_timer[i] == 0:
                    u = uniform_at(branch_key, uid[i])
                    branch = 0
                    while branch < next_state.shape[1] - 1 and u >= next_cumulative[current, branch]:
                        branch += 1
                    upcoming = next_state[current, branch]
                    if upcoming == dead_state and (flags[i] & IN_CARE) and uniform_at(care_key, uid[i]) < treatment_effect:
                        upcoming = recovered_state
                    state[i] = upcoming
                    state_day[i] = day
                    if duration_table[upcoming, 0] == 0:
                        flags[i] &= NOT_IN_CARE
                    else:
                        state_timer[i] = sample_days(duration_table, upcoming, uniform_at(duration_key, uid[i]))
                    if upcoming == dead_state:
                        where[i] = DEAD
                        tally[thread, here, NEW_DEATHS] += 1
                        counted[here, deaths_cell + age[i]] += 1
                        continue
                    if upcoming == onset:
                        counted[here, cases_cell + age[i]] += 1
                    current = upcoming
            cell = ((np.uint64(status - AT_NODE) * np.uint64(FLAG_COMBINATIONS) + np.uint64(flags[i] & REDUCES_INFECTIOUSNESS))
                    * np.uint64(state_count) + np.uint64(current)) * np.uint64(AGES) + np.uint64(age[i])  # unsigned, as chunk_rows
            counted[np.uint64(here), cell] += 1


def holdings_array(threads: int, node_count: int, state_count: int) -> np.ndarray:
    """Zeroed counts for `progress`: [thread, node, where (2) x flag combination x state x age,
    then new cases by age, then deaths by age], flattened so the kernel adds to one cell per
    person (int32: a thread counts fewer people than that at a node, and the cells take half the
    cache)."""
    return np.zeros((threads, node_count, (2 * FLAG_COMBINATIONS * state_count + 2) * AGES), dtype=np.int32)


class Holdings(NamedTuple):
    """What `progress` counted, summed over threads: the day's stocks, and the people present at
    each node by age with their summed infectiousness (fixed point, INFECTIOUSNESS_SCALE)."""

    present: np.ndarray  # [node]
    present_by_age: np.ndarray  # [node, age]
    present_susceptible: np.ndarray  # [node]
    in_transit: np.ndarray  # [node]
    isolated: np.ndarray  # [node]
    by_state: np.ndarray  # [node, state], at the node or on the way to it
    infectious_fixed_by_age: np.ndarray  # [node, age]
    new_cases: np.ndarray  # [node, age]: entered the onset state today (sim.disease.NaturalHistory.onset)
    new_deaths: np.ndarray  # [node, age]

    @property
    def infectious_fixed(self) -> np.ndarray:
        return self.infectious_fixed_by_age.sum(axis=1)


ISOLATED_COMBINATIONS = (np.arange(FLAG_COMBINATIONS) & ISOLATED) != 0  # flags & REDUCES_INFECTIOUSNESS values


def infectiousness_kept(infectiousness_fixed, kept) -> np.ndarray:
    """[flags & REDUCES_INFECTIOUSNESS, state]: a person's infectiousness, fixed point, after
    isolation and care keep `kept[flags & REDUCES_INFECTIOUSNESS]` of it (truncated per person,
    so sums are exact and the same on any number of threads). Fixed for a run."""
    kept_fixed = np.round(np.asarray(kept) * INFECTIOUSNESS_SCALE).astype(np.int64)
    return (kept_fixed[:, None] * infectiousness_fixed[None, :]) >> INFECTIOUSNESS_SHIFT


def holdings_of(holdings, per_person, susceptible_state) -> Holdings:
    """From `progress`'s holdings, each person's infectiousness as `infectiousness_kept` gives it."""
    return Holdings(*summed_holdings(holdings, per_person, ISOLATED_COMBINATIONS, susceptible_state))


@nb.njit(cache=True)
def summed_holdings(holdings, per_person, isolated, susceptible_state):
    """The fields of Holdings, in one pass over the cells [thread, node, where x flags x state x
    age, cases by age, deaths by age], decoding only those that hold anyone (a handful of numpy
    sums over the reshaped array took a tenth of a day of W at a million people)."""
    threads, nodes = holdings.shape[0], holdings.shape[1]
    flag_count, state_count = per_person.shape
    present, present_susceptible = np.zeros(nodes, np.int64), np.zeros(nodes, np.int64)
    in_transit, isolated_here = np.zeros(nodes, np.int64), np.zeros(nodes, np.int64)
    present_by_age, infectious_by_age = np.zeros((nodes, AGES), np.int64), np.zeros((nodes, AGES), np.int64)
    by_state = np.zeros((nodes, state_count), np.int64)
    new_cases, new_deaths = np.zeros((nodes, AGES), np.int64), np.zeros((nodes, AGES), np.int64)
    cases_cell = 2 * flag_count * state_count * AGES
    for t in range(threads):
        for n in range(nodes):
            for cell in range(cases_cell):
                people = np.int64(holdings[t, n, cell])
                if people == 0:
                    continue
                age, rest = cell % AGES, cell // AGES
                s, rest = rest % state_count, rest // state_count
                f, travelling = rest % flag_count, rest // flag_count
                by_state[n, s] += people
                if isolated[f]:
                    isolated_here[n] += people
                if travelling:
                    in_transit[n] += people
                    continue
                present[n] += people
                present_by_age[n, age] += people
                infectious_by_age[n, age] += people * per_person[f, s]
                if s == susceptible_state:
                    present_susceptible[n] += people
            for age in range(AGES):
                new_cases[n, age] += holdings[t, n, cases_cell + age]
                new_deaths[n, age] += holdings[t, n, cases_cell + AGES + age]
    return (present, present_by_age, present_susceptible, in_transit, isolated_here, by_state, infectious_by_age,
            new_cases, new_deaths)


@nb.njit(cache=True, parallel=True)
def infect(people, states, protection_values, kept, exposure, day, keys, tally):
    """Transmission: each susceptible person is infected with probability 1 - exp(-lambda), where
    lambda adds the rest of the site (`site_rate` by age), the host community (`host_share` x
    `host_rate`) and the living unit: co-located members of the travel group (the neighbouring
    rows with the same group uid) are the first of the person's `mates` unit-mates, each
    contributing `family_rate` x their infectiousness; the remaining unit-mates are others of the
    site (`stranger_rate` each). On an edge only the group is met (`edge_rate` shared out among
    them). Vaccine protection (a level, `protection_values[level]`) multiplies susceptibility by
    1 - protection; a group member keeps `kept[flags & REDUCES_INFECTIOUSNESS]` of their
    infectiousness.

    Reads: day-t states of everyone (newly exposed people are not infectious, so the order in
    which people are visited, and which thread visits them, changes nothing).
    Writes: state, state_timer, state_day of the newly infected; tally NEW_INFECTIONS at their node.
    """
    count, uid, group, where, node, edge = people.count, people.uid, people.group, people.where, people.node, people.edge
    state, state_timer, state_day, flags, protection = people.state, people.state_timer, people.state_day, people.flags, people.protection
    age = people.age_group
    infectiousness, duration_table = states.infectiousness, states.duration_table
    susceptible_state, exposed_state = states.susceptible, states.exposed
    site_rate, host_rate, host_share = exposure.site_rate, exposure.host_rate, exposure.host_share
    family_rate, stranger_rate, mates, edge_rate = exposure.family_rate, exposure.stranger_rate, exposure.mates, exposure.edge_rate
    infection_key, latent_key = keys.infection, keys.latent
    # The probability for a person without group partners at a node, by protection level and age,
    # with the very operations of the general case below: one lookup instead of an exponential.
    nodes, ages = site_rate.shape[0], site_rate.shape[1]
    alone = np.empty((protection_values.shape[0], nodes, ages))
    for level in range(protection_values.shape[0]):
        for n in range(nodes):
            for g in range(ages):
                rate = site_rate[n, g] + host_share[n] * host_rate[n] + stranger_rate[n] * (mates[n] - 0.0)
                alone[level, n, g] = 1.0 - np.exp(-rate * (1.0 - protection_values[level]))
    for chunk in nb.prange(chunk_count(count)):
        thread = nb.get_thread_id()
        start, stop = chunk_rows(chunk, count)
        for a in range(start, stop):
            if state[a] != susceptible_state:
                continue
            status = where[a]
            if status != AT_NODE and status != ON_EDGE:
                continue
            here = node[a]
            first, last = np.int64(a), np.int64(a) + 1  # the travel group: rows [first, last), signed to step back
            while first > 0 and group[first - 1] == group[a]:
                first -= 1
            while last < count and group[last] == group[a]:
                last += 1
            if last - first == 1 and status == AT_NODE:
                chance = alone[protection[a], here, age[a]]
                if chance > 0.0 and uniform_at(infection_key, uid[a]) < chance:
                    state[a] = exposed_state
                    state_day[a] = day
                    state_timer[a] = sample_days(duration_table, exposed_state, uniform_at(latent_key, uid[a]))
                    tally[thread, here, NEW_INFECTIONS] += 1
                continue
            partners = 0
            group_infectious = 0.0
            for b in range(first, last):
                if b != a and where[b] == status and node[b] == here and edge[b] == edge[a]:
                    partners += 1
                    group_infectious += infectiousness[state[b]] * kept[flags[b] & REDUCES_INFECTIOUSNESS]
            if status == ON_EDGE:
                rate = edge_rate * group_infectious / partners if partners > 0 else 0.0
            else:
                family = min(float(partners), mates[here])
                rate = site_rate[here, age[a]] + host_share[here] * host_rate[here] + stranger_rate[here] * (mates[here] - family)
                if partners > 0:
                    rate += family_rate[here] * group_infectious * (family / partners)
            if rate <= 0.0:
                continue
            probability = 1.0 - np.exp(-rate * (1.0 - protection_values[protection[a]]))
            if uniform_at(infection_key, uid[a]) < probability:
                state[a] = exposed_state
                state_day[a] = day
                state_timer[a] = sample_days(duration_table, exposed_state, uniform_at(latent_key, uid[a]))
                tally[thread, here, NEW_INFECTIONS] += 1
