"""The validated configuration of one run: the core's parts (sim.schema) and the policy, whose
fields the programme kinds declare (sim.programmes.policy.PolicyConfig).

`parse_run_config` returns a `RunConfig` or raises `ConfigError` listing every bad value at once,
each with its key path, the value and what is allowed.
"""

from typing import Optional

from pydantic import ValidationError, model_validator

from sim.disease import natural_history
from sim.errors import ConfigError
from sim.fields import MAX_DAYS, Count, Strict, integer
from sim.outcomes import outcome_problems
from sim.programmes.policy import PolicyConfig, path_of
from sim.schema import DiseaseParams, Movement, ScenarioChoice, Transmission, problems_from


class RunConfig(Strict):
    scenario: ScenarioChoice
    disease: DiseaseParams
    policy: PolicyConfig
    transmission: Transmission
    movement: Movement
    seed: integer(ge=0, lt=2**63)
    # paired seeds the command line runs for one run (seed .. seed+seeds-1, each policy with
    # baseline), reporting medians and 95% intervals (analysis.seeds); simulate() runs `seed` only,
    # and a sweep names its seeds itself (seed='range(20)')
    seeds: integer(ge=1, le=10_000) = 1
    days: integer(ge=1, le=MAX_DAYS)
    progress: bool = True
    threads: Optional[integer(ge=1)] = None
    parallel_from_rows: Count = 50_000  # fewer rows of people: the day runs on one thread
    debug: bool = False
    compare_to_baseline: bool = True
    check: bool = False  # verify the model's invariants every simulated day (sim.checks)
    # a folder written by RouteModel.save: the run starts on its day from its state (sim.state)
    resume_from: Optional[str] = None

    @model_validator(mode="after")
    def _reports_within_the_run(self):
        delay = self.policy.surveillance.reporting_delay_days
        if delay > self.days:
            raise ValueError(f"policy.surveillance.reporting_delay_days: {delay} is longer than the run (days={self.days})")
        return self

    @model_validator(mode="after")
    def _programmes_start_within_the_run(self):
        """A start given as a day (a date needs the scenario: sim.programmes.policy.Programmes.check)."""
        late = [f"{path_of(cls, name)}.start_day: {config.start_day} is after the run's last day (day {self.days - 1}, "
                f"days={self.days})" for cls, name, config in self.policy.programmes()
                if isinstance(config.start_day, int) and config.start_day >= self.days]
        if late:
            raise ValueError("; ".join(late))
        return self


def parse_run_config(data: dict, source: str = "config") -> RunConfig:
    """Every key checked, then the policy against the disease (a test the disease has no figures
    for, a cost the policy lacks), then what the policy leaves to the disease filled in."""
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(source, problems_from(error, data)) from None
    states = natural_history(config.disease).names
    problems = outcome_problems(config.disease, states) + config.policy.run_problems(config.disease, states)
    if problems:
        raise ConfigError(source, problems)
    return config.model_copy(update={"policy": config.policy.for_disease(config.disease)})
