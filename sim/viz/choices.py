"""What a planner chooses in the page, turned into command-line overrides and checked exactly as
the command line checks them (sim.compose, sim.run_config, the scenario file's own rules).

Every control holds text, as typed; a blank control keeps what the scenario, disease or policy
bundle says. The policy controls (uptake, sensitivity, barrier interventions) change the chosen
bundles, never baseline, which stays the world without intervention that the others are
compared with: uptake goes to every vaccination programme of a bundle, sensitivity to every
screening programme, each intervention to the bundle's care.
"""

from dataclasses import dataclass, field, replace

import networkx as nx
import yaml
from hydra.errors import HydraException

from sim.collector import route_graph
from sim.config import CONFIG_DIR, compose, run_config
from sim.errors import ConfigError
from sim.routes import chosen_events
from sim.runconfig import RunConfig

BASELINE = "baseline"
INTERVENTIONS = ("interpreters", "free_care", "firewall", "information", "community_engagement")


def options(group: str) -> list[str]:
    """The shipped choices of a config group (conf/<group>/*.yaml)."""
    return sorted(path.stem for path in (CONFIG_DIR / group).glob("*.yaml"))


def default_choice(group: str) -> str:
    """The group's choice in conf/config.yaml's defaults (what `migration-sim` runs)."""
    defaults = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text())["defaults"]
    return next(entry[group] for entry in defaults if isinstance(entry, dict) and group in entry)


@dataclass(frozen=True)
class Choices:
    """The page's controls, as typed."""

    scenario: str = field(default_factory=lambda: default_choice("scenario"))
    scenario_file: str = ""   # a scenario file by path: used in place of `scenario` when given
    events: str = ""          # the scenario's optional events to switch on, comma-separated
    disease: str = field(default_factory=lambda: default_choice("disease"))
    policy: str = BASELINE    # the bundle run on the map
    second_policy: str = ""   # another bundle to compare, or none
    seed: str = "0"
    days: str = "365"
    r0: str = ""
    flow: str = ""            # people arriving a day
    uptake: str = ""
    sensitivity: str = ""
    interpreters: str = ""
    free_care: str = ""
    firewall: str = ""
    information: str = ""
    community_engagement: str = ""

    def changed(self, **values) -> "Choices":
        """These controls changed; another route drops the events chosen for the last one."""
        values = {key: str(value).strip() for key, value in values.items()}
        if {"scenario", "scenario_file"} & set(values) and "events" not in values:
            values["events"] = ""
        return replace(self, **values)

    def policies(self) -> list[str]:
        """The bundles to compare with baseline, in the order chosen, each once."""
        return list(dict.fromkeys(p for p in (self.policy, self.second_policy) if p and p != BASELINE))

    def common(self) -> list[str]:
        """Overrides shared by every arm: the route, the disease, the seed and the days."""
        scenario = [f"scenario.file={quoted(self.scenario_file)}"] if self.scenario_file else []
        scenario += [f"scenario.events=[{self.events}]"] if self.events else []
        given = {"disease.r0": self.r0, "seed": self.seed, "days": self.days}
        return [f"scenario={self.scenario}", *scenario, f"disease={self.disease}",
                *(f"{key}={value}" for key, value in given.items() if value)]

    def policy_overrides(self, policy: str) -> list[str]:
        """The overrides of one arm's bundle: the bundle, then the policy controls that apply to it."""
        if policy == BASELINE:
            return [f"policy={BASELINE}"]
        bundle = run_config(compose([*self.common(), f"policy={policy}"])).policy
        chosen = [f"policy={policy}"]
        if self.uptake:
            chosen += [f"policy.vaccination.{name}.uptake={self.uptake}" for name in bundle.vaccination]
        if self.sensitivity:
            chosen += [f"policy.screening.{name}.sensitivity={self.sensitivity}" for name in bundle.screening]
        chosen += [f"policy.care.interventions.{name}={getattr(self, name)}" for name in INTERVENTIONS
                   if getattr(self, name)]
        return chosen


@dataclass(frozen=True)
class Setup:
    """Choices that passed every check: the route graph (with the chosen flow), the run shown on
    the map, and each arm of a comparison as command-line overrides (baseline first)."""

    choices: Choices
    graph: nx.DiGraph
    config: RunConfig
    arms: dict[str, list[str]]
    notes: tuple[str, ...] = ()


def check(choices: Choices) -> Setup:
    """The Setup of `choices`, or the ConfigError (or Hydra's error) the command line would give."""
    common = choices.common()
    arms = {policy: [*common, *choices.policy_overrides(policy)] for policy in [BASELINE, *choices.policies()]}
    configs = {arm: run_config(compose(overrides)) for arm, overrides in arms.items()}
    config = configs[choices.policy]
    graph = route_graph(config, yaml.safe_load(choices.flow) if choices.flow else None)  # read as Hydra reads values
    chosen_events(graph, config.scenario.events)  # names the scenario's optional events, or a ConfigError
    return Setup(choices, graph, config, arms, unused_controls(choices, arms))


def optional_events(graph: nx.DiGraph) -> list[str]:
    """The names of the route's optional events (switched on by scenario.events=[...])."""
    return list(dict.fromkeys(event.name for event in graph.graph.get("events", []) if event.optional))


def unused_controls(choices: Choices, arms: dict[str, list[str]]) -> tuple[str, ...]:
    """Notes on policy controls that no chosen bundle has a programme for."""
    notes = []
    for control, key in (("uptake", ".uptake="), ("sensitivity", ".sensitivity=")):
        if getattr(choices, control) and not any(key in o for overrides in arms.values() for o in overrides):
            notes.append(f"{control}: no chosen bundle has a programme it applies to")
    if any(getattr(choices, name) for name in INTERVENTIONS) and not choices.policies():
        notes.append("barrier interventions apply to a chosen bundle, not to baseline")
    return tuple(notes)


def problem_text(error: Exception) -> str:
    """What the command line says of a bad choice: the ConfigError, or Hydra's message without
    its search path."""
    if isinstance(error, HydraException):
        return str(error).split("\nConfig search path")[0].strip()
    return str(error)


CHECKED_ERRORS = (ConfigError, HydraException)


def quoted(text: str) -> str:
    """A value for a Hydra override, quoted so paths with spaces or commas stay one value."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
