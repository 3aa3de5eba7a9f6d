"""Mobile medical teams: Mesa agents that move across the route graph on a weekly schedule.

Responsible for: being at one site on each working day, visiting the sites of its selector in
turn (for example three visits a week to informal sites), and bringing there consultations
(adding to the site's care capacity, or bringing care where there is none), testing by a named
screening programme, and doses of a named vaccination programme, within the team's own daily
capacity (`brings`, which those programmes ask for).
Reads: the day. Writes: its cell in Mesa's network space.
One step (first of the sites' stage): go to today's site, or stay off; a day at a site is costed.
"""

import logging
from typing import Optional

import numpy as np
from mesa.discrete_space import CellAgent
from pydantic import Field

from sim.fields import Count, integer
from sim.programme import Programme, ProgrammeConfig, Stage
from sim.programmes.money import Money
from sim.programmes.sites import SiteSelector

log = logging.getLogger(__name__)


class MobileTeamConfig(ProgrammeConfig):
    where: SiteSelector
    visits_per_week: integer(ge=1, le=7) = 3
    consultations_per_day: Count = 40
    testing: Optional[str] = None  # name of a screening programme the team delivers
    tests_per_day: Count = 0
    vaccination: Optional[str] = None  # name of a vaccination programme the team delivers
    doses_per_day: Count = 0
    cost_per_day: Money = Field(700.0, description="assumption (range 400-1,200): doctor, nurse, interpreter, driver and "
                                                   "vehicle for a day; IOM's teams (GP, nurse, psychologist, ...: "
                                                   "004_5cb7d248ec639515.txt) give no cost")
    sources: dict[str, str] = {}


class MobileTeam(CellAgent):
    """One team on the route: its schedule, and where it is today (None on days off)."""

    def __init__(self, model, name: str, config: MobileTeamConfig, sites: list):
        super().__init__(model)
        self.name = name
        self.config = config
        self.sites = sites  # Site agents it visits, in turn
        self.working_days = np.flatnonzero(np.isin(np.arange(7), np.linspace(0, 7, config.visits_per_week, endpoint=False).astype(int)))
        self.site = None

    def move_for(self, day: int) -> None:
        """Go to today's site, or stay off on a day without a visit."""
        week, weekday = divmod(day, 7)
        if weekday not in self.working_days:
            self.site = None
            return
        visit = week * len(self.working_days) + int(np.searchsorted(self.working_days, weekday))
        self.site = self.sites[visit % len(self.sites)]
        self.cell = self.site.cell


class MobileTeams(Programme):
    """A programme of one mobile team (the Mesa agent it moves), and what it brings where it is."""

    kind = "mobile_teams"
    Config = MobileTeamConfig
    stage = Stage.SITES_ACT
    rank = 10  # first: the other programmes of the day ask where the teams are
    cost_items = {"mobile_teams": "team-day"}

    def __init__(self, model, name: str, config: MobileTeamConfig):
        super().__init__(model, name, config)
        routes = model.routes
        sites = [model.sites[n] for n in np.flatnonzero(config.where.mask(routes.node_ids, routes.kind))]
        if not sites:
            log.warning("policy.mobile_teams.%s: no site of this scenario matches %s; the team stays home",
                        name, config.where.model_dump())
        self.team = MobileTeam(model, name, config, sites) if sites else None

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
        self.team.move_for(day)
        if self.team.site is not None:
            at = np.zeros(self.model.routes.node_count)
            at[self.team.site.index] = 1
            self.spend("mobile_teams", day, at, self.config.cost_per_day)

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
