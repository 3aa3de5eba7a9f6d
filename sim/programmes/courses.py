"""Courses of treatment longer than a stay on the route (TB treatment, preventive therapy), shared
by the programmes that give them: who starts, who carries on, who is lost.

A course starts for a person diagnosed (by a test or in care: sim.programmes.policy.Programmes
.diagnose) in one of the states it treats, on a day they are at a site that gives it; a person
diagnosed elsewhere waits for such a site while still on the route. The course is the disease's
states (sim.disease.treatment_states): its phases, deaths, defaults while staying, cure and
relapse are the natural history's. A patient who moves within the country carries on (the
national programme follows them: an assumption). When a patient crosses a border (moves to a
site, or leaves the route at a destination, in another country), a cross-border referral carries
the course with probability `cross_border_referral` (WHO Europe's Wolfheze consensus: continuity
of care across borders); the course then continues with probability `continued_if_referred`,
else with `continued_if_not_referred`, and is otherwise lost: the patient goes to the course's
lost state.
Patients are followed by uid (rows keep arrival order, so a binary search finds them): no pass
over everyone.
"""

from typing import NamedTuple, Optional

import numpy as np
from pydantic import Field

from sim.fields import Probability
from sim.kernels import draw_days
from sim.programme import ProgrammeConfig
from sim.population import AT_NODE, IN_CARE, NOT_IN_CARE, ON_EDGE
from sim.programmes.money import Money
from sim.programmes.sites import SiteSelector
from sim.rng import uniforms


class CourseConfig(ProgrammeConfig):
    where: Optional[SiteSelector] = Field(None, description="sites that give the course; None: those offering care today")
    cross_border_referral: Probability = Field(
        0.0, description="share of patients moving on whose course a referral carries to the next place (0: none)")
    continued_if_referred: Probability = Field(
        0.7, description="assumption (range 0.5-0.9): the course goes on after a move with a referral; no "
                         "quantitative source (Dara et al. 2012, Eur Respir J 40:1081: lack of continuity of care "
                         "during migration)")
    continued_if_not_referred: Probability = Field(
        0.1, description="assumption (range 0.05-0.3): without one; screened asylum seekers in Germany had 2.3 "
                         "times the odds of loss to follow-up, 60% success (Kuehne et al. 2018, Euro Surveill 23(11))")
    cost_per_referral: Money = Field(100.0, description="assumption (range 30-300): a cross-border referral "
                                                        "(records, a contact at the next place)")
    sources: dict[str, str] = {}


class Course(NamedTuple):
    """A programme's course: the states it treats, starts in, consists of and is lost to; whether
    patients are in care (IN_CARE: care's cut in infectiousness); the programme's metric names for
    starts, losses and referrals and cost items for patient-days and referrals."""

    treats: tuple[str, ...]
    first: str
    states: tuple[str, ...]
    lost: str
    in_care: bool
    started: str
    lost_to_follow_up: str
    referred: str
    days_cost: str
    referral_cost: str


class Courses:
    """The patients of one programme's course (see the module's notes). A disease without the
    course's states (no treatment in its config) has no patients: the course does nothing."""

    def __init__(self, programme, course: Course):
        self.programme = programme
        self.course = course
        model = self.model = programme.model
        names = model.disease.names
        self.active = course.first in names
        self.treats = np.isin(names, course.treats)
        self.course_states = np.isin(names, course.states)
        self.first = names.index(course.first) if self.active else -1
        self.lost = names.index(course.lost) if self.active else -1
        self.where = (programme.config.where.mask(model.routes.node_ids, model.routes.kind)
                      if programme.config.where is not None else None)
        countries = [model.graph.nodes[node_id]["country"] for node_id in model.routes.node_ids]
        self.country = np.unique(countries, return_inverse=True)[1]  # a code per node
        self.patients = np.zeros(0, dtype=np.int64)  # uids
        self.patient_nodes = np.zeros(0, dtype=np.int64)  # where each one's course is given
        self.waiting = np.zeros(0, dtype=np.int64)  # uids diagnosed, not yet started

    def rows(self, uids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows of `uids` still on the route, and the positions in `uids` they are at."""
        people = self.model.people
        if people.count == 0 or uids.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        found = np.minimum(np.searchsorted(people.uid[: people.count], uids), people.count - 1)
        here = people.uid[found] == uids
        on_route = here & ((people.where[found] == AT_NODE) | (people.where[found] == ON_EDGE))
        return found[on_route], np.flatnonzero(on_route)

    def step(self, day: int, tally, diagnosed: bool = True, starts: bool = True) -> None:
        """Patients who moved on since yesterday, then the day's starts (of those waiting, and with
        `diagnosed`, of the day's diagnosed; none without `starts`: outside the programme's
        window, when its patients are still followed to the end of their course), then the day's
        cost."""
        if not self.active:
            return
        self.follow(day, tally)
        if starts:
            self.start(day, tally, diagnosed)
        rows, _ = self.rows(self.patients)
        per_node = np.bincount(self.model.people.node[rows], minlength=self.model.routes.node_count)
        self.programme.spend(self.course.days_cost, day, per_node, self.programme.config.cost_per_patient_day)

    def follow(self, day: int, tally) -> None:
        """Drop those whose course ended (completed, died, left); apply the moving-on rule to
        those no longer where their course is given."""
        people = self.model.people
        rows, keep = self.rows(self.patients)
        on = self.course_states[people.state[rows]]
        rows, keep = rows[on], keep[on]
        self.patients, self.patient_nodes = self.patients[keep], self.patient_nodes[keep]
        crossed = self.crossing(rows, self.patient_nodes)
        self.patient_nodes[~crossed] = people.node[rows[~crossed]]  # within the country: carried on
        self.moving_on(rows[crossed], np.flatnonzero(crossed), day, tally)

    def crossing(self, rows: np.ndarray, course_nodes: np.ndarray) -> np.ndarray:
        """Which of `rows` are at (or on their way to) a node in another country than their course's."""
        return self.country[self.model.people.node[rows]] != self.country[course_nodes]

    def moving_on(self, rows: np.ndarray, index: np.ndarray, day: int, counts, leaving: bool = False) -> None:
        """`rows` (at `index` of the patients) move on today: referred or not, carried on or lost
        (put in the lost state, unless `leaving` the route)."""
        if rows.size == 0:
            return
        people, cfg, programme = self.model.people, self.programme.config, self.programme
        uids = people.uid[rows].astype(np.int64)
        referred = uniforms(programme.key("referral", day), uids) < cfg.cross_border_referral
        kept = uniforms(programme.key("moving_on", day), uids) < np.where(
            referred, cfg.continued_if_referred, cfg.continued_if_not_referred)
        nodes = people.node[rows]
        counts.count(self.course.referred, nodes[referred])
        programme.spend(self.course.referral_cost, day,
                        np.bincount(nodes[referred], minlength=self.model.routes.node_count), cfg.cost_per_referral)
        self.patient_nodes[index[kept]] = nodes[kept]
        lost = rows[~kept]
        counts.count(self.course.lost_to_follow_up, people.node[lost])
        if not leaving:
            self.enter(lost, self.lost, day)
            if self.course.in_care:
                people.flags[lost] &= NOT_IN_CARE
        gone = np.isin(np.arange(self.patients.shape[0]), index[~kept])
        self.patients, self.patient_nodes = self.patients[~gone], self.patient_nodes[~gone]

    def start(self, day: int, tally, diagnosed: bool) -> None:
        """Those waiting (and the day's diagnosed), at a site that gives the course."""
        people = self.model.people
        candidates = np.union1d(self.waiting, self.model.programmes.newly_diagnosed()) if diagnosed else self.waiting
        rows, keep = self.rows(candidates)
        eligible = self.treats[people.state[rows]]
        rows, candidates = rows[eligible], candidates[keep[eligible]]
        here = (people.where[rows] == AT_NODE) & self.sites_today()[people.node[rows]]
        starting = rows[here]
        self.waiting = candidates[~here]
        self.enter(starting, self.first, day)
        if self.course.in_care:
            people.flags[starting] |= IN_CARE
        tally.count(self.course.started, people.node[starting])
        self.patients = np.concatenate([self.patients, people.uid[starting].astype(np.int64)])
        self.patient_nodes = np.concatenate([self.patient_nodes, people.node[starting].astype(np.int64)])

    def sites_today(self) -> np.ndarray:
        if self.where is not None:
            return self.where
        return self.model.programmes.care_offered_today()

    def enter(self, rows: np.ndarray, state: int, day: int) -> None:
        """Put `rows` in `state` today, with a duration drawn from its table."""
        people, disease = self.model.people, self.model.disease
        u = uniforms(self.programme.key(f"enter_{disease.names[state]}", day), people.uid[rows].astype(np.int64))
        people.state[rows] = state
        people.state_day[rows] = day
        people.state_timer[rows] = draw_days(disease.duration_table, np.full(rows.shape[0], state, dtype=np.int64), u)

    def before_exit(self, rows: np.ndarray, day: int, counts) -> None:
        """Patients leaving the route tomorrow at a destination in another country cross a border
        too: referred or not, carried on or lost, counted; they leave in the state they are in
        (the day's stocks are counted: no state changes after progression)."""
        if self.patients.size == 0:
            return
        index = np.flatnonzero(np.isin(self.patients, self.model.people.uid[rows]))
        patient_rows, found = self.rows(self.patients[index])
        index = index[found]
        on = self.course_states[self.model.people.state[patient_rows]] & self.crossing(patient_rows, self.patient_nodes[index])
        self.moving_on(patient_rows[on], index[on], day, counts, leaving=True)
