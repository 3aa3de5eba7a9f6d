"""Who meets whom by age (sim.schema.ContactMatrix): the survey's contacts reweighted by the age
mix present, for one mix or for every node at once."""

import numpy as np
import pytest

from conftest import config
from sim import run_config


@pytest.fixture
def site_mixing():
    return run_config(config()).transmission.site_mixing


def test_the_surveyed_mix_gives_the_surveys_own_shares(site_mixing):
    """Among people aged like the surveyed population, the shares are the survey's contacts, each
    row divided by its total."""
    contacts = np.asarray(site_mixing.contacts)
    expected = contacts / contacts.sum(axis=1, keepdims=True)
    assert np.allclose(site_mixing.who_meets_whom(np.asarray(site_mixing.population) * 37.0), expected)


def test_an_age_group_nobody_is_in_is_never_met(site_mixing):
    mix = site_mixing.who_meets_whom(np.array([0.0, 10.0, 30.0, 5.0]))
    assert np.all(mix[:, 0] == 0)
    assert np.allclose(mix.sum(axis=1), 1.0)


def test_every_node_at_once_equals_each_node_alone(site_mixing):
    """[node, age] in, [node, age, age] out: row by row the same as one mix at a time, and an
    empty node meets nobody."""
    present = np.array([[0.0, 0.0, 0.0, 0.0], [12.0, 3.0, 40.0, 1.0], [0.0, 5.0, 0.0, 0.0]])
    together = site_mixing.who_meets_whom(present)
    assert together.shape == (3, 4, 4)
    for node in range(3):
        assert np.array_equal(together[node], site_mixing.who_meets_whom(present[node]))
    assert not together[0].any()
