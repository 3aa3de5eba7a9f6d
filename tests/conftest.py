"""Shared helpers: small scenario files written on the fly, and configs composed from conf/."""

import copy
from pathlib import Path

import pytest
import yaml

from sim import compose

ONE_SITE = {
    "name": "one_site",
    "description": "a single closed, well-mixed site",
    "start_date": "2023-01-01",
    "nodes": [
        {"id": "camp", "kind": "reception_centre", "name": "Camp", "country": "AAA", "lat": 0.0, "lon": 0.0,
         "capacity": 1_000_000, "host_population": 0, "dwell": {"mean": 1, "shape": 1}},
        {"id": "away", "kind": "destination", "name": "Away", "country": "BBB", "lat": 1.0, "lon": 1.0,
         "capacity": 0, "host_population": 0, "dwell": {"mean": 1, "shape": 1}},
    ],
    "edges": [{"from": "camp", "to": "away", "travel_days": 1, "weight": 1.0}],
    "origins": {"AAA": {"name": "A", "age": {"18-59": 1.0}}},
    "initial": [{"node": "camp", "people": 1000, "infected": 10, "immune": 0, "origin": "AAA"}],
    "events": [{"name": "closed", "type": "close_edge", "from": "camp", "to": "away", "day": 0}],
}

# A disease with a short generation time, so an epidemic in a closed site ends in a few months.
QUICK_DISEASE = [
    "disease.latent.mean=2", "disease.latent.shape=2",
    "disease.presymptomatic.mean=0", "disease.symptomatic.mean=4", "disease.symptomatic.shape=2",
    "disease.symptomatic_fraction=1.0", "disease.case_fatality=0.0",
]

# No site offers care, so nobody's infectiousness is cut by it: pure transmission dynamics.
NO_CARE = ["policy.care.on_site_kinds=[]"]


def one_site(people: int = 1000, infected: int = 10, **node) -> dict:
    data = copy.deepcopy(ONE_SITE)
    data["initial"][0].update(people=people, infected=infected)
    data["nodes"][0].update(node)
    return data


@pytest.fixture
def write_scenario(tmp_path):
    """Write a scenario dict to a YAML file and return its path."""
    def write(data, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path
    return write


def config(*overrides: str):
    """Compose the run configuration with no progress bar."""
    return compose(["progress=false", *overrides])


DEMO = ("scenario=demo",)
ROOT = Path(__file__).resolve().parents[1]


def bundle_disease(policy: str, usual: str) -> str:
    """The disease to try a bundle with: `usual`, unless the bundle is made for others (for_diseases)."""
    made_for = yaml.safe_load((ROOT / "conf" / "policy" / f"{policy}.yaml").read_text()).get("for_diseases") or [usual]
    return usual if usual in made_for else made_for[0]
