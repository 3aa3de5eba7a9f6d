"""Mobile medical teams: Mesa agents that travel the route graph, on a schedule or by a rule.

Responsible for: each team working at one site on its working days (`visits_per_week`), for
`days_per_visit` working days a visit, and bringing there consultations (adding to the site's
care capacity, or bringing care where there is none), testing by a named screening programme, and
doses of a named vaccination programme, within the team's own daily capacity (`brings`, which
those programmes ask for); then travelling to the next site along the route's edges (either way:
teams drive the roads people walk), by the fewest travel days, spending those days on the road,
where it serves nobody and is paid for (`cost_per_travel_day`). Which site is next: the sites of
its selector in turn (`routing: schedule`), or the one with the most cases reported over the last
`window_days` (`reported_cases`: detections reach the team after the policy's reporting delay), or
the one with the most symptomatic person-days not seen in care over the window (`unmet_need`:
people with symptoms present, less consultations given), the nearest first on a tie and staying
where it is when that is the one; with nothing reported the schedule's next. `travel: false`: the
team jumps from site to site (flown in), as it did before it travelled.
Reads: the day; for the rules, the recorder's reported detections, symptomatic stocks and
consultations. Writes: its cell in Mesa's network space.
One step (first of the sites' stage): on the road, or arrived and working (a day at a site is
costed), or off; after its last working day at a site, choose the next and set off.
"""

import logging
from typing import Literal, Optional

import networkx as nx
import numpy as np
from mesa.discrete_space import CellAgent
from pydantic import Field

from sim.errors import ConfigError, Problem
from sim.fields import Count, integer
from sim.programme import Programme, ProgrammeConfig, Stage
from sim.programmes.money import Money
from sim.programmes.sites import SiteSelector

log = logging.getLogger(__name__)
ROUTINGS = ("schedule", "reported_cases", "unmet_need")


class MobileTeamConfig(ProgrammeConfig):
    where: SiteSelector
    visits_per_week: integer(ge=1, le=7) = 3
    days_per_visit: integer(ge=1, le=365) = Field(1, description="working days at a site before moving on")
    routing: Literal[ROUTINGS] = Field("schedule", description="the next site: the selector's sites in turn "
                                                               "(schedule), the most reported cases (reported_cases) "
                                                               "or the most symptomatic person-days not seen in care "
                                                               "(unmet_need) over window_days")
    window_days: integer(ge=1, le=365) = 7
    travel: bool = Field(True, description="travel along the route's edges, taking their travel days (false: jump "
                                           "from site to site)")
    consultations_per_day: Count = 40
    testing: Optional[str] = None  # name of a screening programme the team delivers
    tests_per_day: Count = 0
    vaccination: Optional[str] = None  # name of a vaccination programme the team delivers
    doses_per_day: Count = 0
    cost_per_day: Money = Field(700.0, description="assumption (range 400-1,200): doctor, nurse, interpreter, driver and "
                                                   "vehicle for a day; IOM's teams (GP, nurse, psychologist, ...: "
                                                   "004_5cb7d248ec639515.txt) give no cost")
    cost_per_travel_day: Optional[Money] = Field(None, description="a day on the road; None: cost_per_day (the staff "
                                                                   "and vehicle are paid whether driving or consulting)")
    sources: dict[str, str] = {}


def travel_days(graph: nx.DiGraph, node_ids: tuple[str, ...], sites: list[int]) -> tuple[np.ndarray, list]:
    """[site, site] fewest travel days between the team's sites over the route's edges taken either
    way, and the path of each (node indices)."""
    roads = graph.to_undirected(as_view=True)
    index = {node_id: i for i, node_id in enumerate(node_ids)}
    days = np.zeros((len(sites), len(sites)), dtype=np.int64)
    paths = [[[] for _ in sites] for _ in sites]
    for a, site in enumerate(sites):
        lengths, found = nx.single_source_dijkstra(roads, node_ids[site], weight="travel_days")
        for b, other in enumerate(sites):
            if node_ids[other] not in lengths:
                days[a, b] = -1
                continue
            days[a, b] = int(lengths[node_ids[other]])
            paths[a][b] = [index[node] for node in found[node_ids[other]]]
    return days, paths


class MobileTeam(CellAgent):
    """One team on the route: where it is, where it is going, and where it works today (None on a
    day off or on the road)."""

    def __init__(self, model, name: str, config: MobileTeamConfig, sites: list):
        super().__init__(model)
        self.name = name
        self.config = config
        self.sites = sites  # Site agents it visits (in turn, on a schedule)
        self.working_days = np.flatnonzero(np.isin(np.arange(7), np.linspace(0, 7, config.visits_per_week, endpoint=False).astype(int)))
        nodes = [site.index for site in sites]
        self.days, self.paths = (travel_days(model.graph, model.routes.node_ids, nodes) if config.travel
                                 else (np.zeros((len(sites), len(sites)), dtype=np.int64), None))
        self.at = 0  # the site it is at (or last left), by its place in `sites`
        self.going_to = -1  # the site it is travelling to, or -1
        self.set_off = -1  # the day it set off
        self.on_road_until = -1  # its last day on the road
        self.worked_here = 0  # working days at this visit
        self.turn = 0  # the schedule's visits so far
        self.site = None
        self.cell = sites[0].cell

    def move_for(self, day: int) -> str:
        """Today: "road" (travelling), "work" (at `site`) or "off"."""
        self.site = None
        if day <= self.on_road_until:
            self.follow_road(day)
            return "road"
        if self.going_to >= 0:
            self.at, self.going_to = self.going_to, -1
            self.cell = self.sites[self.at].cell
        if day % 7 not in self.working_days:
            return "off"
        self.site = self.sites[self.at]
        self.worked_here += 1
        if self.worked_here >= self.config.days_per_visit:
            self.leave(day)
        return "work"

    def leave(self, day: int) -> None:
        """After the visit's last working day: on to the next site, arriving after its travel days."""
        self.worked_here = 0
        self.turn += 1
        following = self.next_site(day)
        if following == self.at:
            return
        self.going_to, self.set_off, self.on_road_until = following, day, day + int(self.days[self.at, following])

    def next_site(self, day: int) -> int:
        scheduled = self.turn % len(self.sites)
        if self.config.routing == "schedule":
            return scheduled
        need = self.need(day)
        if not need.any():
            return scheduled
        best = np.flatnonzero(need == need.max())
        return int(best[np.argmin(self.days[self.at, best])])  # the nearest of the neediest, the first on a tie

    def need(self, day: int) -> np.ndarray:
        """Per site of the team, over the last `window_days`: reported cases, or symptomatic
        person-days not seen in care."""
        recorder, window, nodes = self.model.recorder, self.config.window_days, [site.index for site in self.sites]
        if self.config.routing == "reported_cases":
            last = day - self.model.config.policy.surveillance.reporting_delay_days  # detections reported by today
            if last < 0:
                return np.zeros(len(nodes))
            return recorder.metric("migrants", "detected")[max(0, last - window + 1): last + 1, nodes].sum(axis=0)
        names, ill = self.model.disease.names, self.model.disease.symptomatic
        days = slice(max(0, day - window), day)  # the days recorded before today
        symptomatic = sum(recorder.metric("migrants", name)[days, nodes] for name, sick in zip(names, ill) if sick)
        seen = recorder.metric("migrants", "consultations")[days, nodes]
        return np.maximum(np.sum(symptomatic, axis=0) - seen.sum(axis=0), 0) if np.ndim(symptomatic) else np.zeros(len(nodes))

    def follow_road(self, day: int) -> None:
        """On the road: the team's cell is the last node of its path it has reached."""
        if self.paths is None:
            return
        path, travel, gone = self.paths[self.at][self.going_to], self.model.routes, day - self.set_off
        reached, elapsed = path[0], 0
        for here, there in zip(path, path[1:]):
            elapsed += int(self.model.graph.edges[travel.node_ids[here], travel.node_ids[there]]["travel_days"]
                           if self.model.graph.has_edge(travel.node_ids[here], travel.node_ids[there])
                           else self.model.graph.edges[travel.node_ids[there], travel.node_ids[here]]["travel_days"])
            if elapsed > gone:
                break
            reached = there
        self.cell = self.model.sites[reached].cell

    def after_restore(self) -> None:
        """Back in its cell after a saved state is restored (sim.state)."""
        self.cell = self.sites[self.at].cell if self.going_to < 0 else self.cell


class MobileTeams(Programme):
    """A programme of one mobile team (the Mesa agent it moves), and what it brings where it is."""

    kind = "mobile_teams"
    Config = MobileTeamConfig
    stage = Stage.SITES_ACT
    rank = 10  # first: the other programmes of the day ask where the teams are
    metrics = ("team_days_on_road",)  # counted at the site the team set off from
    cost_items = {"mobile_teams": "team-day"}  # at a site or on the road

    def __init__(self, model, name: str, config: MobileTeamConfig):
        super().__init__(model, name, config)
        routes = model.routes
        sites = [model.sites[n] for n in np.flatnonzero(config.where.mask(routes.node_ids, routes.kind))]
        if not sites:
            log.warning("policy.mobile_teams.%s: no site of this scenario matches %s; the team stays home",
                        name, config.where.model_dump())
        self.team = MobileTeam(model, name, config, sites) if sites else None
        if self.team is not None and (self.team.days < 0).any():
            raise ConfigError("config", [Problem(f"policy.mobile_teams.{name}.where", config.where.model_dump(),
                                                 "sites a team can drive between along the route's edges (travel: "
                                                 "false for a team flown in)")])

    @classmethod
    def at_zero_strength(cls, config):
        return config.model_copy(update={"consultations_per_day": 0, "tests_per_day": 0, "doses_per_day": 0})

    @classmethod
    def policy_problems(cls, policy) -> list[str]:
        problems = []
        for name, team in policy.mobile_teams.items():
            if team.vaccination is not None and team.vaccination not in policy.vaccination:
                problems.append(f"mobile_teams.{name}.vaccination: {team.vaccination!r} is not a vaccination programme of this policy")
            if team.testing is not None and team.testing not in policy.screening:
                problems.append(f"mobile_teams.{name}.testing: {team.testing!r} is not a screening programme of this policy")
        return problems

    @property
    def site(self):
        return self.team.site if self.team is not None else None

    def sites(self) -> np.ndarray:
        visited = np.zeros(self.model.routes.node_count, dtype=np.bool_)
        visited[[site.index for site in (self.team.sites if self.team else [])]] = True
        return visited

    def step(self, day: int, tally) -> None:
        if self.team is None:
            return
        today = self.team.move_for(day)
        if today == "off":
            return
        where = np.zeros(self.model.routes.node_count)
        if today == "work":
            where[self.team.site.index] = 1
            self.spend("mobile_teams", day, where, self.config.cost_per_day)
        else:  # costed where it set off from
            where[self.team.sites[self.team.at].index] = 1
            cost = self.config.cost_per_travel_day if self.config.cost_per_travel_day is not None else self.config.cost_per_day
            self.spend("mobile_teams", day, where, cost)
            tally.count("team_days_on_road", np.array([self.team.sites[self.team.at].index]))

    def step_off(self, day: int, tally) -> None:
        """Outside its window the team is at no site."""
        if self.team is not None:
            self.team.site = None

    def brings(self, kind: str, name: str) -> tuple[int, int] | None:
        site, cfg = self.site, self.config
        if site is None:
            return None
        if kind == "care":
            return site.index, cfg.consultations_per_day
        if kind == "screening" and cfg.testing == name:
            return site.index, cfg.tests_per_day
        if kind == "vaccination" and cfg.vaccination == name:
            return site.index, cfg.doses_per_day
        return None
