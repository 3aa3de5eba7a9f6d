"""Travel-group contact investigation: after a case is detected, the rest of its travel group is
reached, tested, treated and vaccinated where a site offers it.

Responsible for: at the sites of the programme, each day, the cases detected so far (by
screening, or diagnosed in care) and not yet investigated who are present there: the other
members of each one's travel group at the same site are its contacts (a travel group shares
tents, meals and transport: the household of people on the move). A share `coverage` of the
contacts is reached, within the site's `contacts_per_day`, first come first served; each is
tested with `method`. Positives are detected (surveillance reports them), isolated while the
site's isolation places last (else as `when_full` says: sim.programmes.actions.Positives), and
the infected among them put in care where the site has a medical team (care's sites); negatives are offered the next dose of the vaccination programme
named by `vaccination`, if any, from what it has left today (ring vaccination; a dose within 72
hours of a measles exposure may stop the infection: sim.programmes.vaccination), and with
`ring_site` so is everyone present at the site where a case was investigated. An index case's
group is investigated once.
Reads: where, node, group, state, flags. Writes: flags (its own bit `investigated` on index
cases; WAS_DETECTED, ISOLATED, SEPARATED, REFERRED, IN_CARE on contacts), hold_timer, leave_day; vaccination's columns through
that programme. Runs after vaccination, whose supply left it draws on.
Draws: who is reached, and the test result, per contact and day.
"""

from typing import NamedTuple, Optional

import numba as nb
import numpy as np
from pydantic import Field

from sim.fields import MAX_DAYS, Count, Identifier, Probability, integer
from sim.population import AT_NODE, IN_CARE, WAS_DETECTED
from sim.programme import Programme, ProgrammeConfig, Stage
from sim.programmes.actions import POSITIVE_COSTS, POSITIVE_METRICS, Positives, WhenFull
from sim.programmes.money import Money
from sim.programmes.screening import cost_problems, test_cost
from sim.programmes.sites import SiteSelector
from sim.programmes.testing import MethodChoice, SensitivityOverride, Test, method_for, test_problems
from sim.rng import uniforms
from sim.chunks import chunk_count, chunk_rows
from sim.selection import first_come_first_served


class ContactInvestigationConfig(ProgrammeConfig):
    where: SiteSelector
    method: MethodChoice = Field(description="a test with figures for the run's disease (disease.tests), or one per "
                                             "disease, as screening's")
    sensitivity: SensitivityOverride = None  # overrides the disease's figures for the method
    specificity: Optional[Probability] = None
    coverage: Probability = Field(0.8, description="assumption (range 0.5-0.95): share of a case's co-travellers "
                                                   "at the site who are found, interviewed and tested")
    contacts_per_day: Count = Field(50, description="assumption (range 10-200): contacts a site's team can reach a day")
    isolation_days: integer(ge=1, le=MAX_DAYS) = 10
    isolation_places: Optional[Count] = None  # per site; None: the scenario's isolation_places
    when_full: WhenFull = Field("refer", description="positives who find no isolation place: as screening's")
    vaccination: Optional[Identifier] = None  # a vaccination programme whose next dose contacts are offered
    ring_site: bool = Field(False, description="also offer that vaccination to everyone present at the site where a "
                                               "case was investigated today (ring vaccination of the site)")
    cost_per_contact: Money = Field(10.0, description="assumption (range 5-30 EUR): about half an hour of a "
                                                             "health worker's and an interpreter's time per contact, "
                                                             "beside the test's own cost")
    sources: dict[str, str] = {}


class Sites(NamedTuple):
    offered: np.ndarray  # bool per node
    investigated: np.uint8  # the programme's flag bit on index cases


@nb.njit(cache=True, parallel=True)
def mark_contacts(mask, people, sites):
    """In parallel: the people at a site of the programme, not detected themselves, with a member
    of their travel group at the same site who is a detected case not yet investigated."""
    count, where, node, group, flags = people.count, people.where, people.node, people.group, people.flags
    offered, investigated = sites.offered, sites.investigated
    for i in nb.prange(count):
        found = False
        if where[i] == AT_NODE and offered[node[i]] and not flags[i] & WAS_DETECTED:
            first = np.int64(i)  # the travel group: rows [first, last) (a prange index may be unsigned)
            last = first + 1
            while first > 0 and group[first - 1] == group[i]:
                first -= 1
            while last < count and group[last] == group[i]:
                last += 1
            for j in range(first, last):
                if (j != i and where[j] == AT_NODE and node[j] == node[i] and flags[j] & WAS_DETECTED
                        and not flags[j] & investigated):
                    found = True
        mask[i] = found


@nb.njit(cache=True, parallel=True)
def mark_investigated(people, sites, node_count):
    """The detected cases present at the programme's sites: their groups have now been
    investigated. Returns how many were newly investigated at each node."""
    count, where, node, flags = people.count, people.where, people.node, people.flags
    offered, investigated = sites.offered, sites.investigated
    chunks = chunk_count(count)
    per_chunk = np.zeros((chunks, node_count), dtype=np.int64)
    for chunk in nb.prange(chunks):
        start, stop = chunk_rows(chunk, count)
        for i in range(start, stop):
            if where[i] == AT_NODE and offered[node[i]] and flags[i] & WAS_DETECTED and not flags[i] & investigated:
                flags[i] |= investigated
                per_chunk[chunk, node[i]] += 1
    return per_chunk.sum(axis=0)


class ContactInvestigation(Programme):
    """One contact investigation programme: where it runs, how contacts are tested and served."""

    kind = "contact_investigation"
    Config = ContactInvestigationConfig
    stage = Stage.SITES_ACT
    rank = 35  # after vaccination: ring vaccination draws on the supply it has left
    flags = ("investigated",)
    metrics = ("contacts_reached", "contacts_positive", "contacts_treated", "contacts_vaccinated", "site_vaccinated",
               *POSITIVE_METRICS)
    cost_items = {"contact_investigation": "contact", "tests": "test", **POSITIVE_COSTS}

    def __init__(self, model, name: str, config: ContactInvestigationConfig):
        super().__init__(model, name, config)
        routes = model.routes
        self.where = config.where.mask(routes.node_ids, routes.kind)
        self.test = Test.of(config.method, config.sensitivity, config.specificity, model.config.disease, model.disease.names)
        places = (routes.isolation_places if config.isolation_places is None
                  else np.full_like(routes.isolation_places, config.isolation_places))
        self.positives = Positives(self, places, config.isolation_days, config.when_full)
        self.test_cost = test_cost(model.config.policy, self.test.method, None)
        self.reached_today = np.zeros(routes.node_count, dtype=np.int64)
        self.capacity_today = np.zeros(routes.node_count, dtype=np.int64)

    @classmethod
    def at_zero_strength(cls, config):
        return config.model_copy(update={"coverage": 0.0})

    @classmethod
    def run_problems(cls, path, config, policy, disease, states) -> list:
        return (test_problems(path, config.method, config.sensitivity, disease, states)
                or cost_problems(path, policy, method_for(config.method, disease.name), None))

    @classmethod
    def policy_problems(cls, policy) -> list[str]:
        problems = []
        for name, programme in policy.contact_investigation.items():
            if programme.vaccination is not None and programme.vaccination not in policy.vaccination:
                problems.append(f"contact_investigation.{name}.vaccination: {programme.vaccination!r} is not a "
                                f"vaccination programme of this policy")
            if programme.ring_site and programme.vaccination is None:
                problems.append(f"contact_investigation.{name}.ring_site: needs the vaccination programme to give "
                                f"(vaccination: <name>)")
        return problems

    def sites(self) -> np.ndarray:
        return self.where

    def step(self, day: int, tally) -> None:
        model, people, cfg = self.model, self.model.people, self.config
        offered, capacity = model.programmes.offer(self.kind, self.name, self.where, cfg.contacts_per_day)
        sites = Sites(offered, people.flag_bits["investigated"])
        mark_contacts(model.selection.mask(people), people.view(), sites)
        contacts = model.selection.rows()
        index_cases = mark_investigated(people.view(), sites, model.routes.node_count)
        reach = uniforms(self.key("reach", day), people.uid[contacts].astype(np.int64)) < cfg.coverage
        reached = contacts[reach][first_come_first_served(contacts[reach], people.node, capacity)]
        node = people.node
        tally.count("contacts_reached", node[reached])
        u = uniforms(self.key("test", day), people.uid[reached].astype(np.int64))
        positive = self.test.positive(people.state[reached], u)
        self.act_on(reached[positive], day, tally)
        self.vaccinate(reached[~positive], day, tally)
        if cfg.ring_site and index_cases.any():
            self.vaccinate_sites(index_cases > 0, day, tally)
        self.reached_today, self.capacity_today = np.bincount(node[reached], minlength=model.routes.node_count), capacity
        self.spend("contact_investigation", day, self.reached_today, cfg.cost_per_contact)
        self.spend("tests", day, self.reached_today, self.test_cost)

    def act_on(self, positives: np.ndarray, day: int, tally) -> None:
        """Positive contacts: detected, isolated while places last (else as `when_full` says),
        and the infected among them in care where the site has a medical team."""
        people, node = self.model.people, self.model.people.node
        tally.count("contacts_positive", node[positives])
        infected = positives[self.test.infected[people.state[positives]]]
        tally.count("detected", node[self.model.programmes.diagnose(infected)])
        self.positives.isolate(positives, day, tally)
        care_here = np.zeros(self.model.routes.node_count, dtype=np.bool_)
        for programme in self.model.programmes.running:
            if programme.kind == "care":
                care_here |= programme.sites()
        treated = infected[care_here[node[infected]]]
        people.flags[treated] |= IN_CARE
        tally.count("contacts_treated", node[treated])

    def vaccinate(self, negatives: np.ndarray, day: int, tally) -> None:
        """Ring vaccination: the next dose of the named programme, from what it has left today."""
        if self.config.vaccination is None:
            return
        given = self.ring_programme().give(negatives, day, tally)
        tally.count("contacts_vaccinated", self.model.people.node[given])

    def vaccinate_sites(self, sites: np.ndarray, day: int, tally) -> None:
        """Ring vaccination of the site: everyone present where a case was investigated today."""
        people = self.model.people
        present = np.flatnonzero((people.where[: people.count] == AT_NODE) & sites[people.node[: people.count]])
        given = self.ring_programme().give(present, day, tally)
        tally.count("site_vaccinated", people.node[given])

    def ring_programme(self):
        return next(p for p in self.model.programmes.running if p.kind == "vaccination" and p.name == self.config.vaccination)

    def problems(self, day: int) -> list[str]:
        over = np.flatnonzero(self.reached_today > self.capacity_today)
        return [f"contact_investigation.{self.name}: {self.reached_today[n]} contacts at node {n}, "
                f"capacity {self.capacity_today[n]}" for n in over]
