"""Treatment of active disease: a course longer than a stay (drug-susceptible TB, six months).

Responsible for: starting the disease's treatment course (sim.schema.TreatmentCourse; its
states in sim.disease) for people diagnosed with active disease (by a test or in care) at a
site that gives it (by default wherever care is offered, mobile teams included), putting them
in care; following each patient: while they stay the course runs its phases (infectious for
about its first two weeks, deaths, defaults, cure, relapse); when they move on, a cross-border
referral carries it with probability `cross_border_referral`, and it is otherwise lost more
often than not (sim.programmes.courses). Care is part of the world without intervention, and so
is this treatment: the baseline keeps it, without cross-border referral. A disease without a
treatment course (all but TB) has no patients.
Reads: where, node, state. Writes: state, state_day, state_timer, flags (IN_CARE).
One step (last of the sites' stage, so a course starts before progression, as every change of
state but infection must): follow the patients (by uid, no pass over everyone), start those
diagnosed since the last one (in care yesterday, by screening today), cost the patient-days. Draws: referral and continuation
per patient and move, the length of the state entered.
"""

from pydantic import Field

from sim.programme import Programme, Stage
from sim.programmes.courses import Course, CourseConfig, Courses
from sim.programmes.money import Money


class TreatmentConfig(CourseConfig):
    cost_per_patient_day: Money = Field(
        6.5, description="drugs, directly observed or video treatment and outpatient follow-up: EUR 1,197 a course in "
                         "Germany (Diel et al. 2012, Eur Respir J 40:143) / 183 days; range 3-40")


COURSE = Course(treats=("presymptomatic", "symptomatic"), first="treatment_intensive",
                states=("treatment_intensive", "treatment_continuation"), lost="treatment_interrupted", in_care=True,
                started="treatment_started", lost_to_follow_up="treatment_lost", referred="treatment_referred",
                days_cost="treatment", referral_cost="treatment_referrals")


class Treatment(Programme):
    """Treatment courses of active disease, started after diagnosis, lost or carried on when the patient moves on."""

    kind = "treatment"
    Config = TreatmentConfig
    named = False
    stage = Stage.SITES_ACT
    rank = 40  # after screening and contact investigation: it starts the courses of their diagnoses too
    metrics = (COURSE.started, COURSE.lost_to_follow_up, COURSE.referred)
    cost_items = {COURSE.days_cost: "patient-day", COURSE.referral_cost: "referral"}

    def __init__(self, model, name: str, config: TreatmentConfig):
        super().__init__(model, name, config)
        self.courses = Courses(self, COURSE)

    @classmethod
    def baseline(cls, config):
        return config.model_copy(update={"cross_border_referral": 0.0})

    @classmethod
    def at_zero_strength(cls, config):
        return cls.baseline(config)

    def sites(self):
        return self.courses.sites_today() if self.courses.active else super().sites()

    def step(self, day: int, tally) -> None:
        self.courses.step(day, tally)

    def step_off(self, day: int, tally) -> None:
        """Outside its window: no course starts; those under way are followed and paid for."""
        self.courses.step(day, tally, starts=False)

    def before_exit(self, rows, day: int, counts) -> None:
        self.courses.before_exit(rows, day, counts)
