"""Calibrated parameter sets as data: `calibration/<scenario>.yaml` (written by analysis.calibration),
read, checked and applied to a run's configuration and scenario as their defaults.

    scenario: demo
    disease: covid19
    date: 2026-12-02
    method: optuna (TPE, 60 trials, 5 seeds each, maximum a posteriori)
    likelihood: negative binomial ...
    targets: [camp_entries, ...]          # the targets fitted: in-sample in docs/VALIDATION.md
    days: 120
    seeds: 5
    parameters:                            # label (sim.uncertainty) -> calibrated value
      arrivals.per_day: 23.4
    intervals:                             # label -> [low, high], 95%
      arrivals.per_day: [21.0, 25.9]
    draws:                                 # optional: posterior draws, label -> values
      arrivals.per_day: [22.9, 24.1, ...]

Each label must be a ranged number of the configuration or the scenario, and each value lie in
its declared range: the moved copies are then validated like any input. A value replaces the
number's value and keeps its range, so the analyses still draw from the declared range.
"""

from datetime import date
from pathlib import Path

import yaml
from pydantic import ValidationError, model_validator

from sim.config import PROJECT_ROOT, run_config, scenario_path
from sim.errors import ConfigError, Problem
from sim.fields import Identifier, Strict
from sim.schema import problems_from
from sim.inputs import read_input
from sim.scenario import checked_graph
from sim.uncertainty import Uncertain, uncertain, with_values

CALIBRATION_DIR = PROJECT_ROOT / "calibration"


class Calibration(Strict):
    scenario: Identifier
    disease: str
    date: date
    method: str
    likelihood: str
    targets: list[str]
    days: int
    seeds: int
    parameters: dict[str, float]
    intervals: dict[str, list[float]] = {}
    draws: dict[str, list[float]] = {}

    @model_validator(mode="after")
    def _consistent(self):
        for name, labels in (("intervals", self.intervals), ("draws", self.draws)):
            if set(labels) - set(self.parameters):
                raise ValueError(f"{name} name parameters that are not calibrated: {sorted(set(labels) - set(self.parameters))}")
        if len({len(values) for values in self.draws.values()}) > 1:
            raise ValueError("draws: every parameter needs the same number of draws")
        return self

    def draw_points(self) -> list[dict]:
        """The posterior draws as points (label -> value; the estimate of any parameter without
        draws), or the estimate alone when there are none."""
        if not self.draws:
            return [dict(self.parameters)]
        labels = list(self.draws)
        return [{**self.parameters, **dict(zip(labels, values))} for values in zip(*(self.draws[label] for label in labels))]


def default_path(scenario: str) -> Path:
    return CALIBRATION_DIR / f"{scenario}.yaml"


def load_calibration(path) -> Calibration:
    data = read_input(Path(path))[0]
    try:
        return Calibration.model_validate(data)
    except ValidationError as error:
        raise ConfigError(str(path), problems_from(error, data)) from None


def save_calibration(calibration: Calibration, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(calibration.model_dump(mode="json"), sort_keys=False, width=100))
    return path


def calibrated_values(path, calibration: Calibration, parameters: list[Uncertain], point: dict | None = None
                      ) -> dict[Uncertain, float]:
    """The parameters a calibration sets (its estimate, or `point`), each checked against the
    ranged numbers there are and within its declared range: a ConfigError naming the file, the
    label and the value otherwise."""
    by_label = {parameter.label: parameter for parameter in parameters}
    problems, values = [], {}
    for label, value in (point or calibration.parameters).items():
        parameter = by_label.get(label)
        if parameter is None:
            problems.append(Problem(f"parameters.{label}", value, "a ranged number of the configuration or scenario: "
                                    + ", ".join(by_label)))
        elif not parameter.low <= value <= parameter.high:
            problems.append(Problem(f"parameters.{label}", value, f"within its declared range [{parameter.low}, {parameter.high}]"))
        else:
            values[parameter] = value
    if problems:
        raise ConfigError(str(path), problems)
    return values


def apply_calibration(path, configs: dict[str, dict], scenario_data: dict, point: dict | None = None
                      ) -> tuple[dict[str, dict], dict]:
    """Copies of each configuration (policy -> plain configuration) and of the scenario data with
    the calibrated values (or `point`, one posterior draw) in place of the declared ones."""
    calibration = load_calibration(path)
    if calibration.scenario != scenario_data.get("name"):
        raise ConfigError(str(path), [Problem("scenario", calibration.scenario,
                                              f"the scenario it is applied to ({scenario_data.get('name')!r})")])
    everywhere = [p for config in configs.values() for p in uncertain(config, "config")] + uncertain(scenario_data, "scenario")
    values = calibrated_values(path, calibration, everywhere, point)
    scenario = with_values(scenario_data, {p: v for p, v in values.items() if p.where == "scenario"})
    moved = {}
    for policy, config in configs.items():
        own = {p.label for p in uncertain(config, "config")}
        moved[policy] = with_values(config, {p: v for p, v in values.items() if p.where == "config" and p.label in own})
    return moved, scenario


def calibrated_setting(config: dict, path=None) -> tuple[dict, object]:
    """One run's plain configuration and route graph with a calibration applied (default: the
    file of the configuration's scenario), validated: `simulate(*calibrated_setting(config))`."""
    scenario_file = scenario_path(config["scenario"]["file"])
    scenario_data = read_input(scenario_file)[0]
    path = path or default_path(scenario_data["name"])
    configs, scenario_data = apply_calibration(path, {"run": config}, scenario_data)
    run_config(configs["run"], f"configuration with {path}")
    return configs["run"], checked_graph(scenario_data, f"{scenario_file} with {path}", folder=Path(scenario_file).parent)
