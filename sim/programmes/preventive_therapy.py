"""Preventive therapy of latent infection (TB: 3HP, twelve weekly doses), after a test finds it.

Responsible for: offering the disease's preventive therapy (sim.schema.PreventiveTherapy) to
people diagnosed with latent infection (an IGRA or TST positive: screening with on_positive
none), once active disease is ruled out (the model knows who has it: those go to treatment), at
the programme's sites, accepted with probability `uptake`; following each one as treatment
does (sim.programmes.courses): a move without a referral loses the course more often than not,
and a lost course leaves the infection latent. Completion and efficacy are the disease's.
Reads: where, node, state. Writes: state, state_day, state_timer.
One step (last of the sites' stage, as treatment): follow those on therapy, start those
diagnosed since the last one who accept, cost the days. Draws: acceptance, referral and continuation per person and move, the state's length.
"""

import numpy as np
from pydantic import Field

from sim.errors import Problem
from sim.fields import Probability
from sim.programme import Programme, Stage
from sim.programmes.courses import Course, CourseConfig, Courses
from sim.programmes.money import Money
from sim.programmes.sites import SiteSelector
from sim.rng import uniforms


class PreventiveTherapyConfig(CourseConfig):
    where: SiteSelector
    uptake: Probability = Field(0.8, description="assumption (range 0.5-0.95): people offered preventive therapy who start it")
    cost_per_patient_day: Money = Field(
        0.9, description="3HP: drugs USD 9.99 a course (2023, Global Drug Facility via Treatment Action Group), three "
                         "follow-up consultations (EUR 22.50 each), over 84 days; range 0.5-3")


COURSE = Course(treats=("latent",), first="preventive_therapy", states=("preventive_therapy",), lost="latent",
                in_care=False, started="preventive_therapy_started", lost_to_follow_up="preventive_therapy_lost",
                referred="preventive_therapy_referred", days_cost="preventive_therapy",
                referral_cost="preventive_therapy_referrals")


class PreventiveTherapy(Programme):
    """One preventive therapy programme: where it is offered and how it follows people who move on."""

    kind = "preventive_therapy"
    Config = PreventiveTherapyConfig
    stage = Stage.SITES_ACT
    rank = 41
    metrics = (COURSE.started, COURSE.lost_to_follow_up, COURSE.referred)
    cost_items = {COURSE.days_cost: "patient-day", COURSE.referral_cost: "referral"}

    def __init__(self, model, name: str, config: PreventiveTherapyConfig):
        super().__init__(model, name, config)
        self.courses = Courses(self, COURSE)
        self.declined = np.zeros(0, dtype=np.int64)  # uids who said no: not offered again

    @classmethod
    def at_zero_strength(cls, config):
        return config.model_copy(update={"uptake": 0.0})

    @classmethod
    def run_problems(cls, path, config, policy, disease, states) -> list:
        if disease.preventive_therapy is None:
            return [Problem(path, None, f"{disease.name} has no preventive_therapy (conf/disease/{disease.name}.yaml): "
                                        f"leave the programme out")]
        return []

    def sites(self):
        return self.courses.sites_today()

    def step(self, day: int, tally) -> None:
        courses, people = self.courses, self.model.people
        candidates = np.union1d(courses.waiting, self.model.programmes.newly_diagnosed())
        rows, found = courses.rows(candidates)
        offered = np.setdiff1d(candidates[found[courses.treats[people.state[rows]]]], self.declined)
        accepts = uniforms(self.key("accept", 0), offered) < self.config.uptake
        self.declined = np.union1d(self.declined, offered[~accepts])
        courses.waiting = offered[accepts]
        courses.step(day, tally, diagnosed=False)

    def step_off(self, day: int, tally) -> None:
        """Outside its window: no course starts; those under way are followed and paid for."""
        self.courses.step(day, tally, starts=False)

    def before_exit(self, rows, day: int, counts) -> None:
        self.courses.before_exit(rows, day, counts)
