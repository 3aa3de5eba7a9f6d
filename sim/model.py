"""RouteModel: the Mesa model that owns the day loop, and Site: the Mesa agent at each node.

People are not Mesa agents: they are rows of `sim.population.Population`, moved, infected and
progressed by the numba kernels in `sim.kernels`. Mesa holds the route (its network space, built
from the networkx graph), the seed, the step counter, and one `Site` agent per node, which carries
the policies configured for that node.
"""

import logging

import mesa
import networkx as nx
import numba as nb
import numpy as np
from mesa.discrete_space import FixedAgent
from tqdm.auto import tqdm

from sim import kernels
from sim.arrivals import Arrivals
from sim.disease import INFECTIOUSNESS_SCALE, natural_history
from sim.hosts import HostCommunities
from sim.policies.daily import DailyPolicies
from sim.policies.vaccination import ProtectionLevels
from sim.population import IN_CARE, ISOLATED, WAS_DETECTED, Population
from sim.results import Recorder, migrant_metrics
from sim.rng import Stream, day_key, generator
from sim.routes import compile_routes, network_space
from sim.policies.care import BARRIERS
from sim.schema import AGE_GROUPS, NODE_KINDS, RunConfig

ROWS_FOR_DAYS_OF_ARRIVALS = 90  # start with room for three months of arrivals; compaction reuses rows
WHERE_NAMES = ("not yet arrived", "at node", "on edge", "left at destination", "dead")
logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every model step at INFO


class Site(FixedAgent):
    """A node of the route: origin, border crossing, centre, clinic, hospital or destination.

    Holds what the site is (kind, capacity, country) and its reactive campaigns
    (`campaign_until`: programme -> last day). The daily policies (sim.policies.daily) deliver
    screening, vaccination and care at the sites that offer them, within each site's capacity.
    """

    def __init__(self, model: "RouteModel", cell, index: int, node_id: str, attributes: dict):
        super().__init__(model)
        self.cell = cell
        self.index = index
        self.node_id = node_id
        self.kind = attributes["kind"]
        self.name = attributes["name"]
        self.country = attributes["country"]
        self.capacity = attributes["capacity"]
        self.campaign_until: dict[str, int] = {}

    @property
    def present(self) -> int:
        """Migrants at the site at the end of the last simulated day."""
        day = self.model.day - 1
        return int(self.model.recorder.metric("migrants", "present")[day, self.index]) if day >= 0 else 0


class RouteModel(mesa.Model):
    """Disease spread among people moving along a route graph, one step a day."""

    def __init__(self, graph: nx.DiGraph, config: RunConfig):
        super().__init__(rng=config.seed)
        self.config = config
        self.graph = graph
        self.day = 0
        self.disease = natural_history(config.disease)
        self.routes = compile_routes(graph, config.scenario.events)
        self.space = network_space(graph, self.random)
        cells = {cell.coordinate: cell for cell in self.space.all_cells}
        self.sites = [Site(self, cells[node_id], i, node_id, graph.nodes[node_id])
                      for i, node_id in enumerate(self.routes.node_ids)]
        self.protection = ProtectionLevels.of_run(self.disease.vaccine_efficacy, config.policy.vaccination.values())
        self.arrivals = Arrivals(graph, self.routes, self.disease, config.seed,
                                 vaccinated_level=int(self.protection.level(self.disease.vaccine_efficacy)))
        self.policies = DailyPolicies(self, config.policy)
        self.arrivals.on_arrival = self.policies.draw_barriers
        self.kept_fixed = np.round(self.policies.kept * INFECTIOUSNESS_SCALE).astype(np.int64)
        expected = self.arrivals.expected_people(min(config.days, ROWS_FOR_DAYS_OF_ARRIVALS))
        self.people = Population.empty(expected * 1.1 + 1000)
        immune = np.array([graph.nodes[n]["host_immune"].get(self.disease.name, graph.nodes[n]["host_immune"].get("default", 0.0))
                           for n in self.routes.node_ids])
        self.hosts = HostCommunities.start(self.routes.host_population, immune, self.disease)
        transmission = config.transmission
        self.host_share = np.where(self.routes.host_population > 0, transmission.host_contact_share, 0.0)
        self.recorder = Recorder(config.days, self.routes.node_ids, migrant_metrics(self.disease.names))
        self.tally = np.zeros((nb.config.NUMBA_NUM_THREADS, self.routes.node_count, len(self.recorder.migrant_names)), dtype=np.int64)

    def step(self) -> None:
        """One day, with the kernels on one thread while fewer rows than `parallel_from_rows` are
        in use: waking the other threads for each of a day's dozen kernels costs more than they
        save (on 2 cores, Western Balkans under the combined policy, about 27,000 rows, ran 30%
        faster on one thread; W was even at 50,000 to 100,000 people and 1.6 times faster on two
        threads at 200,000). Results are the same on any number of threads."""
        threads = nb.get_num_threads()
        try:
            self._day(threads)
        finally:
            nb.set_num_threads(threads)

    def _use_threads(self, threads: int) -> None:
        """All `threads` for the kernels if enough rows are in use, else one."""
        nb.set_num_threads(threads if self.people.count >= self.config.parallel_from_rows else 1)

    def _day(self, threads: int) -> None:
        """Each stage reads what the stages before it left:

        1. movement: people whose stay is over leave along open edges; travellers arrive
        2. arrivals: new travel groups enter at entry nodes (the initial groups on day 0)
        3. sites act: campaigns start, mobile teams move, screening and vaccination at the sites
        4. progression: natural-history timers advance (exposed -> infectious -> recovered/dead);
           the day's stocks per node are counted in the same pass
        5. transmission: infection at sites, within travel groups and with host communities
        6. care seeking: symptomatic people seek care where it is offered, within capacity
        7. record: the day's counts per node into the preallocated daily arrays
        """
        self._use_threads(threads)
        day, people, routes, tally = self.day, self.people, self.routes, self.tally
        tally[:] = 0
        seed = self.config.seed
        infectious = self.disease.infectiousness > 0
        choice = routes.choice_on(day)
        kernels.move(people.count, people.where, people.node, people.edge, people.leave_day, people.group,
                     people.state, infectious, people.hold_timer, people.flags, people.arrival_day, day,
                     routes.out_start, routes.edge_target, routes.edge_travel, choice.cumulative, choice.total, choice.last,
                     routes.is_destination, routes.dwell_table, day_key(seed, Stream.ROUTE, day), day_key(seed, Stream.DWELL, day),
                     tally)
        if day == 0:
            self.arrivals.admit_initial(people, tally)
        self.arrivals.admit(people, day, tally)
        self._use_threads(threads)  # the initial groups of day 0 may be millions
        self.policies.act(day, tally)
        disease = self.disease
        holdings = kernels.holdings_array(tally.shape[0], routes.node_count, len(disease.names))
        kernels.progress(people.count, people.uid, people.where, people.node, people.state, people.state_timer, people.state_day,
                         people.flags, day, disease.next_state, disease.next_cumulative, disease.duration_table,
                         disease.dead, disease.recovered, self.config.policy.care.treatment_effect,
                         day_key(seed, Stream.BRANCH, day), day_key(seed, Stream.DURATION, day),
                         day_key(seed, Stream.CARE_SURVIVAL, day), holdings, tally)
        present, infectious_fixed = kernels.stocks(holdings, disease.infectiousness_fixed, self.kept_fixed, tally)
        host_counts = self._transmit(day, present, infectious_fixed / INFECTIOUSNESS_SCALE)
        kernels.add_new_infections_to_stocks(tally, disease.susceptible, disease.exposed)
        self.policies.seek_care(day, tally)
        self.recorder.record(day, tally, host_counts)
        self.day += 1
        self.running = self.day < self.config.days

    def _transmit(self, day: int, present: np.ndarray, infectious: np.ndarray) -> np.ndarray:
        """Host communities step, then migrants are infected, from the people present at each
        node and their infectiousness after progression."""
        people, disease, seed = self.people, self.disease, self.config.seed
        host_counts = self.hosts.step(lambda: generator(seed, Stream.HOSTS, day), present, infectious,
                                      self.config.transmission.host_contact_share)
        prevalence = np.divide(infectious, present, out=np.zeros(present.shape), where=present > 0)
        site_rate = disease.beta * self.crowding(present) * prevalence
        exposed = disease.exposed
        kernels.infect(people.count, people.uid, people.group, people.where, people.node, people.edge, people.state, people.state_timer, people.state_day, people.flags, day,
                       people.protection, self.protection.values, disease.infectiousness, self.policies.kept, site_rate, self.hosts.rate_on_migrants(), self.host_share,
                       self.config.transmission.group_contact_share, disease.beta, exposed,
                       disease.duration_table, disease.susceptible,
                       day_key(seed, Stream.INFECTION, day), day_key(seed, Stream.LATENT, day), self.tally)
        return host_counts

    def crowding(self, present: np.ndarray) -> np.ndarray:
        """Factor on site transmission: 1 at or below capacity, (present / capacity) ** exponent
        above it. Sites with capacity 0 (no built capacity known) are not scaled."""
        capacity = self.routes.capacity
        ratio = np.divide(present, capacity, out=np.ones(present.shape), where=capacity > 0)
        return np.maximum(ratio, 1.0) ** self.config.transmission.crowding_exponent

    def run(self, progress: bool = False) -> None:
        """Step until the configured number of days, with a progress bar on a terminal."""
        with tqdm(total=self.config.days, desc=f"{self.graph.graph['name']} / {self.disease.name}",
                  unit="day", disable=None if progress else True, leave=False) as bar:
            while self.running:
                self.step()
                bar.update(1)

    def person(self, uid: int) -> dict:
        """A read-only view of one person on the route, by arrival number (for notebooks)."""
        p = self.people
        i = p.row_of(uid)
        if i is None:
            status = "has not arrived" if uid >= p.arrived or uid < 0 else "has left the route or died"
            raise KeyError(f"person {uid} {status}: only people on the route are kept ({p.count} now)")
        edge = int(p.edge[i])
        return {
            "uid": uid,
            "where": WHERE_NAMES[p.where[i]],
            "node": self.routes.node_ids[p.node[i]],
            "edge": None if edge < 0 else (self.routes.node_ids[self.routes.edge_source[edge]],
                                           self.routes.node_ids[self.routes.edge_target[edge]]),
            "leaves_on_day": int(p.leave_day[i]),
            "state": self.disease.names[p.state[i]],
            "days_left_in_state": int(p.state_timer[i]),
            "vaccine_protection": float(self.protection.values[p.protection[i]]),
            "vaccine_doses": int(p.doses[i]),
            "isolated": bool(p.flags[i] & ISOLATED),
            "in_care": bool(p.flags[i] & IN_CARE),
            "detected": bool(p.flags[i] & WAS_DETECTED),
            "barriers": [name for bit, name in enumerate(BARRIERS) if p.barriers[i] >> bit & 1],
            "group": int(p.group[i]),
            "group_size": int(np.count_nonzero(p.group[: p.count] == p.group[i])),
            "origin": self.arrivals.traits.codes[p.origin[i]] if self.arrivals.traits.codes else None,
            "age_group": AGE_GROUPS[p.age_group[i]],
            "site_kind": NODE_KINDS[self.routes.kind[p.node[i]]],
        }
