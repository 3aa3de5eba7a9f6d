"""The diagnostic test a programme uses, with the figures its disease's config gives for it.

A programme names a method (`method: pcr`), or one per disease (`method: {covid19:
rapid_antigen, measles: pcr}`), since the test used depends on what is looked for. The method
must have figures for the run's disease (`tests:` in conf/disease/<disease>.yaml, each with its
source); else the run is refused before it starts, naming the key, the method and the methods
that disease has figures for. A programme may override the figures (`sensitivity`,
`specificity`) for a sensitivity analysis.
"""

from dataclasses import dataclass
from typing import Literal, Optional, Union

import numpy as np

from sim.diagnostics import METHOD_NAMES
from sim.errors import Problem
from sim.fields import Identifier, Probability

Method = Literal[METHOD_NAMES]
MethodChoice = Union[Method, dict[Identifier, Method]]  # one method, or one per disease
SensitivityOverride = Optional[Union[Probability, dict[str, Probability]]]
UNINFECTED = ("susceptible", "recovered", "dead")


def method_for(choice: MethodChoice, disease: str) -> str | None:
    """The method a programme uses for this disease (None: it names none for it)."""
    return choice if isinstance(choice, str) else choice.get(disease)


def test_problems(path: str, choice: MethodChoice, sensitivity: SensitivityOverride, disease, states) -> list[Problem]:
    """What stops `choice` being used for `disease` (sim.schema.DiseaseParams) with natural-history
    states `states`: no method named for it, a method with no figures for it, a sensitivity given
    for a state the disease does not have."""
    method = method_for(choice, disease.name)
    known = sorted(disease.tests)
    where = f"tests: in conf/disease/{disease.name}.yaml"
    if method is None:
        return [Problem(f"{path}.method", choice, f"a method for {disease.name} as well: add {disease.name}: <method>, "
                                                  f"one with figures for it ({where}): {known}")]
    if method not in disease.tests:
        return [Problem(f"{path}.method", method, f"a method with figures for {disease.name} ({where}): {known}")]
    problems = [Problem(f"disease.tests.{method}.sensitivity.{state}", state, f"a state of {disease.name}: {list(states)}")
                for state in disease.tests[method].sensitivity if state not in states]
    if isinstance(sensitivity, dict):
        problems += [Problem(f"{path}.sensitivity.{state}", state, f"a state of {disease.name}: {list(states)}")
                     for state in sensitivity if state not in states]
    return problems


@dataclass(frozen=True)
class Test:
    """A test as a run uses it: sensitivity per natural-history state code, the chance of a
    positive in someone not infected, and which states are infected."""

    __test__ = False  # not a pytest test class

    method: str
    sensitivity: np.ndarray
    false_positive_rate: float
    infected: np.ndarray  # bool per state code

    @classmethod
    def of(cls, choice: MethodChoice, sensitivity: SensitivityOverride, specificity: Optional[float],
           disease, states: tuple[str, ...]) -> "Test":
        """The disease's figures for the method chosen, with the programme's overrides: one
        sensitivity for every state the method detects, or one per state; a specificity."""
        method = method_for(choice, disease.name)
        figures = disease.tests[method]
        if isinstance(sensitivity, dict):
            by_state = [sensitivity.get(state, 0.0) for state in states]
        elif sensitivity is not None:
            by_state = [sensitivity if figures.sensitivity.get(state, 0.0) > 0 else 0.0 for state in states]
        else:
            by_state = [figures.sensitivity.get(state, 0.0) for state in states]
        return cls(method, np.array(by_state), 1.0 - (figures.specificity if specificity is None else specificity),
                   ~np.isin(np.array(states), UNINFECTED))

    def positive(self, state: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Results for people in `state`, from one uniform each."""
        return np.where(self.infected[state], u < self.sensitivity[state], u < self.false_positive_rate)
