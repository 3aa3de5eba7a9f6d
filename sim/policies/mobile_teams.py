"""Mobile medical teams: Mesa agents that move across the route graph on a weekly schedule.

Responsible for: being at one site on each working day, visiting the sites of its selector in
turn (for example three visits a week to informal sites), and offering consultations there
(adding to the site's care capacity, or bringing care where there is none), testing by a named
screening programme, and doses of a named vaccination programme, within the team's own daily
capacity.
Reads: the day. Writes: its cell in Mesa's network space; today's extra care capacity and supply.
"""

from typing import Optional

import numpy as np
from mesa.discrete_space import CellAgent

from sim.fields import Count, Strict, integer
from sim.policies.sites import SiteSelector


class MobileTeamConfig(Strict):
    where: SiteSelector
    visits_per_week: integer(ge=1, le=7) = 3
    consultations_per_day: Count = 40
    testing: Optional[str] = None  # name of a screening programme the team delivers
    tests_per_day: Count = 0
    vaccination: Optional[str] = None  # name of a vaccination programme the team delivers
    doses_per_day: Count = 0


class MobileTeam(CellAgent):
    """One team: its schedule, and where it is today (None on days off)."""

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
