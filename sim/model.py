"""RouteModel: the Mesa model that owns the day loop, and Site: the Mesa agent at each node.

People are not Mesa agents: they are rows of `sim.population.Population`, moved, infected and
progressed by the numba kernels in `sim.kernels`. Mesa holds the route (its network space, built
from the networkx graph), the seed, the step counter, and one `Site` agent per node. The policy's
programmes (built from the run's configuration, through the protocol in `sim.programme`) act in
the stages of the day they declare.
"""

import logging
from contextlib import nullcontext

import mesa
import networkx as nx
import numba as nb
import numpy as np
from mesa.discrete_space import FixedAgent
from tqdm.auto import tqdm

from sim import kernels
from sim.arrivals import Arrivals
from sim.checks import DailyChecks
from sim.contacts import ContactStructure
from sim.disease import INFECTIOUSNESS_SCALE, natural_history
from sim.environment import Reservoir
from sim.flows import registrations
from sim.fields import AGE_GROUPS, NODE_KINDS
from sim.hosts import HostCommunities
from sim.journey import follow
from sim.kernels import DayKeys
from sim.population import CORE_COLUMNS, IN_CARE, ISOLATED, WAS_DETECTED, Population
from sim.programme import Stage
from sim.protection import ProtectionLevels
from sim.results import Recorder
from sim.rng import Stream, generator
from sim.errors import ConfigError
from sim.routes import compile_routes, event_problems, network_space
from sim.selection import Selection
from sim.state import restore, save, saved_protections
from sim.tally import Tally

ROWS_FOR_DAYS_OF_ARRIVALS = 90  # start with room for three months of arrivals; compaction reuses rows
WHERE_NAMES = ("not yet arrived", "at node", "on edge", "left at destination", "dead")
logging.getLogger("MESA").setLevel(logging.WARNING)
log = logging.getLogger(__name__)  # Mesa logs every model step at INFO


class Site(FixedAgent):
    """A node of the route: origin, border crossing, centre, clinic, hospital or destination.

    What the site is (kind, name, country, capacity) is read from the route graph; what it offers
    (`offers`) from the programmes of the run, which deliver screening, vaccination and care at
    the sites that offer them, within each site's capacity."""

    def __init__(self, model: "RouteModel", cell, index: int, node_id: str):
        super().__init__(model)
        self.cell = cell
        self.index = index
        self.node_id = node_id

    @property
    def attributes(self) -> dict:
        return self.model.graph.nodes[self.node_id]

    @property
    def kind(self) -> str:
        return self.attributes["kind"]

    @property
    def name(self) -> str:
        return self.attributes["name"]

    @property
    def country(self) -> str:
        return self.attributes["country"]

    @property
    def capacity(self) -> int:
        """Today's: as built, or as an event of the scenario changed it (sim.routes.Routes.capacity_on)."""
        return int(self.model.routes.capacity_on(self.model.day)[self.index])

    @property
    def offers(self) -> list[str]:
        """The programmes offered here ("screening.borders", "care", ...)."""
        return self.model.programmes.offered_at(self.index)


class RouteModel(mesa.Model):
    """Disease spread among people moving along a route graph, one step a day."""

    def __init__(self, graph: nx.DiGraph, config):
        """`config`: a validated sim.runconfig.RunConfig (sim.run_config makes one)."""
        super().__init__(rng=config.seed)
        self.config = config
        self.graph = graph
        self.day = 0
        self.disease = natural_history(config.disease)
        self.states = self.disease.table
        problems = event_problems(graph, list(config.scenario.events), config.days)
        if problems:
            raise ConfigError("config", problems)
        self.routes = compile_routes(graph, config.scenario.events, config.movement)
        self.occupancy = np.zeros(self.routes.node_count, dtype=np.int64)  # people at or bound for each node, last night
        self.space = network_space(graph, self.random)
        cells = {cell.coordinate: cell for cell in self.space.all_cells}
        self.sites = [Site(self, cells[node_id], i, node_id) for i, node_id in enumerate(self.routes.node_ids)]
        policy, efficacy = config.policy, self.disease.vaccine_efficacy
        saved = saved_protections(config.resume_from) if config.resume_from is not None else []
        self.protection = ProtectionLevels.of_run(efficacy, policy.protections(efficacy) + saved)
        self.arrivals = Arrivals(graph, self.routes, self.disease, config.seed,
                                 vaccinated_level=int(self.protection.level(efficacy)))
        series = self.arrivals.series
        if series is not None and (series.end_day < config.days).any():
            log.info("%s: the dated series ends before the run (day %d of %d); arrivals at %s then follow the yearly "
                     "figure x seasonality", series.file, int(series.end_day.min()), config.days, ", ".join(series.entries))
        expected = self.arrivals.expected_people(min(config.days, ROWS_FOR_DAYS_OF_ARRIVALS))
        self.people = Population(expected * 1.1 + 1000, CORE_COLUMNS + policy.columns(), policy.flags())
        self.selection = Selection()
        self.tally = Tally(nb.config.NUMBA_NUM_THREADS, self.routes.node_count, self.disease.names, policy.metric_names())
        self.recorder = Recorder(config.days, self.routes.node_ids, self.tally.names)
        self.programmes = policy.build(self)
        self.arrivals.on_arrival = self.programmes.on_arrival
        self.kept = self.programmes.kept_infectiousness()  # by flags & REDUCES_INFECTIOUSNESS
        self.infectiousness_kept = kernels.infectiousness_kept(self.disease.infectiousness_fixed, self.kept)
        self.contacts = ContactStructure(graph, self.routes, self.disease, config.transmission)
        self.hosts = HostCommunities.start(graph, self.routes.node_ids, self.disease, config.transmission)
        self.reservoir = Reservoir.start(config.disease.environment, self.disease, self.routes.node_count)
        self.checks = DailyChecks(self) if config.check else None
        if config.resume_from is not None:
            restore(self, config.resume_from)

    def save(self, path) -> None:
        """Save the state of the run at the start of day `self.day` into the folder `path`
        (sim.state), to continue it, or fork it into policy arms, with `resume_from=path`."""
        save(self, path)

    def step(self) -> None:
        """One day, with the kernels on one thread while fewer rows than `parallel_from_rows` are
        in use: waking the other threads for each of a day's dozen kernels costs more than they
        save (on 2 cores, Western Balkans under the combined policy, about 27,000 rows, ran 30%
        faster on one thread; W was even at 50,000 to 100,000 people and 1.6 times faster on two
        threads at 200,000). Results are the same on any number of threads. A step after the last
        day does nothing (Mesa 3.5 may call step once more from its own schedule, as it does for a
        resumed model)."""
        if not self.running:
            return
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
        3. sites act: the programmes of this stage (mobile teams move, screening, vaccination)
        4. progression: natural-history timers advance (exposed -> infectious -> recovered/dead);
           the day's stocks per node are counted in the same pass
        5. transmission: infection at sites, within travel groups and with host communities
        6. care seeking: the programmes of this stage (symptomatic people seek care)
        7. record: the day's counts per node into the preallocated daily arrays
        """
        day, keys = self.day, DayKeys.of(self.config.seed, self.day)
        self.tally.clear()
        self._use_threads(threads)
        self.move(keys)
        self.admit()
        self._use_threads(threads)  # the initial groups of day 0 may be millions
        self.programmes.run(Stage.SITES_ACT, day, self.tally)
        with self.checked("progression"):
            held = self.progress(keys)
        with self.checked("transmission"):
            host_counts = self.transmit(held, keys)
        self.programmes.run(Stage.CARE_SEEKING, day, self.tally)
        self.record(host_counts)

    def move(self, keys: DayKeys) -> None:
        """People choose their way on from the route choice of the day: the open edges, and how
        full each site was at the end of the day before (sim.routes.Routes.choice_on)."""
        kernels.move(self.people.view(), self.routes.arrays, self.routes.choice_on(self.day, self.occupancy), self.states,
                     self.day, keys, self.tally.array)

    def admit(self) -> None:
        if self.day == 0:
            self.arrivals.admit_initial(self.people, self.tally)
        self.arrivals.admit(self.people, self.day, self.tally)

    def progress(self, keys: DayKeys) -> kernels.Holdings:
        """Progression; returns what each node holds after it, and writes the day's stocks."""
        holdings = kernels.holdings_array(self.tally.array.shape[0], self.routes.node_count, len(self.disease.names))
        kernels.progress(self.people.view(), self.states, self.day, self.programmes.death_averted_in_care(), keys,
                         holdings, self.tally.array)
        held = kernels.holdings_of(holdings, self.infectiousness_kept, self.disease.susceptible)
        self.tally.add_stocks(held)
        self.occupancy = held.present + held.in_transit  # what tomorrow's route choice sees
        self.held = held  # today's new cases and deaths, for the end of the day (sim.programmes.watch)
        return held

    def transmit(self, held: kernels.Holdings, keys: DayKeys) -> np.ndarray:
        """Host communities step, then migrants are infected, from the people present at each
        node and their infectiousness after progression (sim.contacts), the host communities and
        the water; returns the host communities' counts."""
        present, infectious = held.present, held.infectious_fixed / INFECTIOUSNESS_SCALE
        seed, day, hosts = self.config.seed, self.day, self.hosts
        water = (self.reservoir.step(infectious + hosts.infectious_weight().sum(axis=1), present + hosts.alive)
                 if self.reservoir is not None else np.zeros(present.shape))
        host_counts = hosts.step(lambda: generator(seed, Stream.HOSTS, day), present, infectious,
                                 self.contacts.host_share, water * hosts.unsafe_water)
        if self.routes.capacity_changes:  # a site's units follow its capacity on the day (sim.contacts)
            self.contacts.built_for(self.routes.capacity_on(day))
        exposure = self.contacts.exposure(held, hosts.rate_on_migrants(), hosts.susceptible_share(), water)
        kernels.infect(self.people.view(), self.states, self.protection.values, self.kept, exposure, day, keys,
                       self.tally.array)
        names = self.disease.names
        self.tally.move_new_infections(names[self.disease.susceptible], names[self.disease.exposed])
        return host_counts

    def record(self, host_counts: np.ndarray) -> None:
        self.recorder.record(self.day, self.tally.totals(), host_counts)
        if self.checks is not None:
            self.checks.end_of_day(self.day)
        self.day += 1
        self.running = self.day < self.config.days

    def checked(self, stage: str):
        """With `check=true`, a stage whose flows are checked against the census of people."""
        return self.checks.around(stage, self.day) if self.checks is not None else nullcontext()

    def route_summary(self) -> dict:
        """What the run says of the route: registrations implied by the entries into each country,
        and each site's reproduction number for the run's disease (sim.contacts)."""
        disease = self.config.disease
        water = disease.environment.r0 if disease.environment is not None else 0.0
        numbers = self.contacts.reproduction_numbers(disease.r0, water)
        entries = self.recorder.metric("migrants", "country_entries").sum(axis=0)
        return {**registrations(self.graph, self.routes.node_ids, entries),
                "site_reproduction_numbers": {node_id: (None if np.isnan(r) else round(float(r), 3))
                                              for node_id, r in zip(self.routes.node_ids, numbers)}}

    def run(self, progress: bool = False) -> None:
        """Step until the configured number of days, with a progress bar on a terminal."""
        with tqdm(total=self.config.days, desc=f"{self.graph.graph['name']} / {self.disease.name}",
                  unit="day", disable=None if progress else True, leave=False) as bar:
            while self.running:
                self.step()
                bar.update(1)

    def journey(self, uid: int, days: int | None = None):
        """Step on (to the end, or `days` more days) recording one person day by day: where they
        were, their state and the services they got (a DataFrame, sim.journey.follow)."""
        return follow(self, uid, days)

    def person(self, uid: int) -> dict:
        """A read-only view of one person on the route, by arrival number (for notebooks)."""
        p = self.people
        i = p.row_of(uid)
        if i is None:
            status = "has not arrived" if uid >= p.arrived or uid < 0 else "has left the route or died"
            raise KeyError(f"person {uid} {status}: only people on the route are kept ({p.count} now)")
        edge = int(p.edge[i])
        view = {
            "uid": uid,
            "where": WHERE_NAMES[p.where[i]],
            "node": self.routes.node_ids[p.node[i]],
            "edge": None if edge < 0 else (self.routes.node_ids[self.routes.edge_source[edge]],
                                           self.routes.node_ids[self.routes.edge_target[edge]]),
            "leaves_on_day": int(p.leave_day[i]),
            "state": self.disease.names[p.state[i]],
            "days_left_in_state": int(p.state_timer[i]),
            "vaccine_protection": float(self.protection.values[p.protection[i]]),
            "isolated": bool(p.flags[i] & ISOLATED),
            "in_care": bool(p.flags[i] & IN_CARE),
            "detected": bool(p.flags[i] & WAS_DETECTED),
            "group": int(p.group[i]),
            "group_size": int(np.count_nonzero(p.group[: p.count] == p.group[i])),
            "origin": self.arrivals.traits.codes[p.origin[i]] if self.arrivals.traits.codes else None,
            "age_group": AGE_GROUPS[p.age_group[i]],
            "site_kind": NODE_KINDS[self.routes.kind[p.node[i]]],
        }
        for programme in self.programmes.running:
            view.update(programme.describe(i))
        return view
