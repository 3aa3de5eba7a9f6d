"""The daily numba kernels: movement, progression (with node pressure and stocks), transmission.

Each kernel takes arrays, loops over people (or travel groups) in parallel, and writes counts into
a per-thread tally `tally[thread, node, metric]` (no atomics; summed over threads afterwards, and
integer, so the sum is exact in any order). Every random number is `uniform_at(key, uid)` with a key
for the day and the decision, so results are the same on any number of threads.

The plain-Python readings of the same rules are in `tests/reference.py`; tests compare the two.
"""

import numba as nb
import numpy as np

from sim.fields import MAX_DAYS
from sim.population import (
    AT_NODE, DEAD, EXITED, IN_CARE, ISOLATED, NOT_IN_CARE, NOT_ISOLATED, NOT_REFERRED, ON_EDGE, REFERRED,
)
from sim.rng import uniform_at

# Columns of the migrant tally [thread, node, metric]: flows of the day, then stocks at its end,
# then one stock per natural-history state from STATE_FIRST on.
MIGRANT_FLOWS = (
    "new_infections", "new_deaths", "arrivals", "entries", "exits", "exits_infectious", "imported_infections",
    "screened", "true_positives", "false_positives", "screening_capacity_reached",
    "isolations", "isolation_full", "held", "referrals", "doses", "completed_schedules",
    "consultations", "turned_away", "days_to_care", "detected",
)
MIGRANT_STOCKS = ("present", "in_transit", "isolated")
COLUMN = {name: i for i, name in enumerate(MIGRANT_FLOWS + MIGRANT_STOCKS)}
NEW_INFECTIONS, NEW_DEATHS, ARRIVALS = COLUMN["new_infections"], COLUMN["new_deaths"], COLUMN["arrivals"]
ENTRIES = COLUMN["entries"]  # people reaching a node: from the route, or entering it there
EXITS, EXITS_INFECTIOUS, IMPORTED = COLUMN["exits"], COLUMN["exits_infectious"], COLUMN["imported_infections"]
SCREENED, TRUE_POSITIVES, FALSE_POSITIVES = COLUMN["screened"], COLUMN["true_positives"], COLUMN["false_positives"]
SCREENING_CAPACITY_REACHED = COLUMN["screening_capacity_reached"]
ISOLATIONS, ISOLATION_FULL, HELD = COLUMN["isolations"], COLUMN["isolation_full"], COLUMN["held"]
REFERRALS = COLUMN["referrals"]
DOSES, COMPLETED_SCHEDULES = COLUMN["doses"], COLUMN["completed_schedules"]
CONSULTATIONS, TURNED_AWAY, DAYS_TO_CARE = COLUMN["consultations"], COLUMN["turned_away"], COLUMN["days_to_care"]
DETECTED = COLUMN["detected"]
PRESENT, IN_TRANSIT, ISOLATED_NOW = COLUMN["present"], COLUMN["in_transit"], COLUMN["isolated"]
STATE_FIRST = len(COLUMN)
CHUNK = 8192  # people per parallel task in counting kernels: one thread-id lookup per chunk, not per person


@nb.njit(cache=True)
def gathered(rows, found):
    """The rows a chunked parallel selection chose, in person order: chunk c wrote its first
    `found[c]` choices at rows[c * CHUNK:]. Work in proportion to the rows chosen, so a policy that
    picks a few people a day out of millions does not pay for a pass that builds an index."""
    out = np.empty(found.sum(), dtype=np.int64)
    k = 0
    for chunk in range(found.shape[0]):
        out[k: k + found[chunk]] = rows[chunk * CHUNK: chunk * CHUNK + found[chunk]]
        k += found[chunk]
    return out


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
def move(count, where, node, edge, leave_day, group, state, infectious, hold_timer, flags, arrival_day, day,
         out_start, edge_target, edge_travel, choice_cumulative, choice_total, choice_last, is_destination,
         dwell_table, route_key, dwell_key, tally):
    """Movement: people whose time at a node is over leave along an open outgoing edge (chosen by
    weight, with the day's sim.routes.RouteChoice tables), travel for the edge's days and arrive;
    at a destination they leave the model. People referred for care choose only among open edges
    to clinics and hospitals, where there are any.

    Reads: where, node, edge, leave_day, group, state, hold_timer. Writes: where, node, edge,
    leave_day, hold_timer, flags (isolation ends, referral used), arrival_day; tally ENTRIES at the
    node reached, EXITS, EXITS_INFECTIOUS at the exit node.
    One step: people held (isolated, or travel delayed by a policy) count their hold down and stay;
    others move on the day their stay or journey ends (`leave_day`), or the first day after it that
    they are not held: a destination lets the person out, another node sends them on; with every
    way out closed they wait a day and try again. A stay of T days begun on day d ends on day
    d + T. Route and dwell draws are keyed by travel group, so a group stays together.
    Each chunk first lists who moves today, in a lean pass that only reads everyone else, then
    moves them.
    """
    for chunk in nb.prange((count + CHUNK - 1) // CHUNK):
        thread = nb.get_thread_id()
        movers = np.empty(CHUNK, dtype=np.int32)
        moving = 0
        for i in range(chunk * CHUNK, min(count, (chunk + 1) * CHUNK)):
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
                if infectious[state[i]]:
                    tally[thread, here, EXITS_INFECTIOUS] += 1
                continue
            row = 0
            if flags[i] & REFERRED:
                flags[i] &= NOT_REFERRED
                if choice_last[1, here] >= 0:
                    row = 1
            chosen = choice_last[row, here]
            if chosen < 0:
                leave_day[i] = day + 1
                continue
            pick = uniform_at(route_key, group[i]) * choice_total[row, here]
            for e in range(out_start[here], out_start[here + 1]):
                if choice_cumulative[row, e] > pick:
                    chosen = e
                    break
            target = edge_target[chosen]
            node[i] = target
            if edge_travel[chosen] == 0:
                arrival_day[i] = day
                leave_day[i] = day_after(day, sample_days(dwell_table, target, uniform_at(dwell_key, group[i])))
                tally[thread, target, ENTRIES] += 1
            else:
                where[i] = ON_EDGE
                edge[i] = chosen
                leave_day[i] = day_after(day, edge_travel[chosen])


@nb.njit(cache=True, parallel=True)
def progress(count, uid, where, node, state, state_timer, state_day, flags, day, next_state, next_cumulative,
             duration_table, dead_state, recovered_state, treatment_effect, branch_key, duration_key, care_key,
             holdings, tally):
    """Progression, and what each node holds after it: each person's natural-history timer counts
    down; at zero they move to a next state (drawn by the branch probabilities) and draw its
    duration. Care lowers the chance of dying: a death drawn for someone in care is averted with
    probability `treatment_effect`. In the same pass, everyone still on the route is counted once,
    into `holdings[thread, node, where, flags & 3, state]` (where: 0 at the node, 1 on the way to
    it; flags & 3: isolated, in care), from which `stocks` derives the day's stocks and the
    infectiousness present at each node, without a second pass over everyone.

    Reads: where, node, state, state_timer, flags; the disease's state table.
    Writes: state, state_timer, state_day, flags (care ends with the infection), where (DEAD);
    holdings; tally NEW_DEATHS at the node.
    """
    states = duration_table.shape[0]
    for chunk in nb.prange((count + CHUNK - 1) // CHUNK):
        thread = nb.get_thread_id()
        for i in range(chunk * CHUNK, min(count, (chunk + 1) * CHUNK)):
            status = where[i]
            if status != AT_NODE and status != ON_EDGE:
                continue
            current = state[i]
            if duration_table[current, 0] > 0:
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
                        tally[thread, node[i], NEW_DEATHS] += 1
                        continue
                    current = upcoming
            holdings[thread, node[i], ((status - AT_NODE) * 4 + (flags[i] & 3)) * states + current] += 1


def holdings_array(threads: int, node_count: int, state_count: int) -> np.ndarray:
    """Zeroed counts for `progress`: [thread, node, where (2) x flags & 3 (4) x state], flattened
    over the last three so the kernel adds to one cell per person."""
    return np.zeros((threads, node_count, 2 * 4 * state_count), dtype=np.int64)


def stocks(holdings, infectiousness_fixed, kept_fixed, tally) -> tuple[np.ndarray, np.ndarray]:
    """From `progress`'s holdings: write the day's stocks into `tally[0]` (present, in transit,
    isolated, each state), and return the people present at each node and their summed
    infectiousness (isolation and care keep `kept_fixed[flags & 3]` of it; fixed point, scaled by
    2**16 and truncated per person, so the sum is exact and the same on any number of threads)."""
    states = infectiousness_fixed.shape[0]
    held = holdings.sum(axis=0).reshape(-1, 2, 4, states)  # node, where, flags & 3, state
    present = held[:, 0].sum(axis=(1, 2))
    tally[0, :, PRESENT] += present
    tally[0, :, IN_TRANSIT] += held[:, 1].sum(axis=(1, 2))
    tally[0, :, ISOLATED_NOW] += held[:, :, 1::2].sum(axis=(1, 2, 3))  # flags & 3 odd: ISOLATED
    tally[0, :, STATE_FIRST: STATE_FIRST + states] += held.sum(axis=(1, 2))
    per_person = (kept_fixed[:, None] * infectiousness_fixed[None, :]) >> 16  # [flags & 3, state]
    infectious_fixed = (held[:, 0] * per_person).sum(axis=(1, 2))
    return present, infectious_fixed


@nb.njit(cache=True, parallel=True)
def infect(count, uid, group, where, node, edge, state, state_timer, state_day, flags, day,
           protection, protection_values, infectiousness, kept, site_rate, host_rate, host_share, group_share, beta,
           exposed_state, duration_table, susceptible_state, infection_key, latent_key, tally):
    """Transmission: each susceptible person is infected with probability 1 - exp(-lambda), where
    lambda mixes the site (frequency-dependent, crowding included in `site_rate`), the host
    community (`host_rate`, where the node has one) and co-located members of the travel group
    (the neighbouring rows with the same group uid). Contact shares that have no partner (alone, no
    host community) go to the site, so the total contact rate, and r0 at a site within capacity,
    is the same for everyone. On an edge only the group is met. Vaccine protection (a level,
    `protection_values[level]`) multiplies susceptibility by 1 - protection.

    Reads: day-t states of everyone (newly exposed people are not infectious, so the order in
    which people are visited, and which thread visits them, changes nothing).
    Writes: state, state_timer, state_day of the newly infected; tally NEW_INFECTIONS at their node.
    """
    # The probability for a person without partners at a node, by protection level, with the very
    # operations of the general case below: one lookup instead of an exponential per person.
    alone = np.empty((protection_values.shape[0], site_rate.shape[0]))
    for level in range(protection_values.shape[0]):
        for n in range(site_rate.shape[0]):
            rate = (1.0 - 0.0 - host_share[n]) * site_rate[n] + host_share[n] * host_rate[n]
            alone[level, n] = 1.0 - np.exp(-rate * (1.0 - protection_values[level]))
    for chunk in nb.prange((count + CHUNK - 1) // CHUNK):
        thread = nb.get_thread_id()
        for a in range(chunk * CHUNK, min(count, (chunk + 1) * CHUNK)):
            if state[a] != susceptible_state:
                continue
            status = where[a]
            if status != AT_NODE and status != ON_EDGE:
                continue
            here = node[a]
            first, last = a, a + 1  # the travel group: rows [first, last)
            while first > 0 and group[first - 1] == group[a]:
                first -= 1
            while last < count and group[last] == group[a]:
                last += 1
            if last - first == 1 and status == AT_NODE:
                if alone[protection[a], here] > 0.0 and uniform_at(infection_key, uid[a]) < alone[protection[a], here]:
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
                    group_infectious += infectiousness[state[b]] * kept[flags[b] & 3]
            if status == ON_EDGE:
                rate = group_share * beta * group_infectious / partners if partners > 0 else 0.0
            else:
                share_group = group_share if partners > 0 else 0.0
                share_host = host_share[here]
                rate = (1.0 - share_group - share_host) * site_rate[here] + share_host * host_rate[here]
                if partners > 0:
                    rate += share_group * beta * group_infectious / partners
            if rate <= 0.0:
                continue
            probability = 1.0 - np.exp(-rate * (1.0 - protection_values[protection[a]]))
            if uniform_at(infection_key, uid[a]) < probability:
                state[a] = exposed_state
                state_day[a] = day
                state_timer[a] = sample_days(duration_table, exposed_state, uniform_at(latent_key, uid[a]))
                tally[thread, here, NEW_INFECTIONS] += 1


def add_new_infections_to_stocks(tally, susceptible_state, exposed_state):
    """Move the day's new infections from the susceptible to the exposed stock, at their node
    (`progress` counted the stocks before transmission)."""
    new = tally[:, :, NEW_INFECTIONS].sum(axis=0)
    tally[0, :, STATE_FIRST + susceptible_state] -= new
    tally[0, :, STATE_FIRST + exposed_state] += new
