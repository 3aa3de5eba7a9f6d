"""The policies of a run, applied each day: what the sites offer, and the kernels that deliver it.

Sites (Mesa agents) hold what they offer; reactive campaigns are their own decisions. Each day:
mobile teams move; sites update their campaigns from reported cases; screening and vaccination
programmes run at the sites that offer them (stage 3 of the day); after transmission, symptomatic
people seek care (stage 6). Per-programme counts feed the costs.
"""

import logging
from dataclasses import dataclass, field

import numpy as np

from sim.errors import ConfigError
from sim.kernels import COLUMN, gathered
from sim.policies import care, screening, vaccination
from sim.policies.mobile_teams import MobileTeam
from sim.population import span
from sim.rng import day_key, named_stream, uniforms
from sim.schema import AGE_GROUPS, NODE_KINDS, PolicyConfig

log = logging.getLogger(__name__)
DELAY_BINS = 61  # time to care histogram: 0..59 days, and 60 or more


def add_outputs(tally: np.ndarray, outputs: tuple[str, ...], counts: np.ndarray) -> None:
    """Add a policy kernel's counts [node, output] to the day's tally, by metric name."""
    tally[0][:, [COLUMN[name] for name in outputs]] += counts


def output_counts(module, node_count: int) -> np.ndarray:
    return np.zeros((node_count, len(module.OUTPUTS)), dtype=np.int64)


@dataclass(frozen=True)
class Screening:
    """A screening programme as the kernels take it, computed once for the run."""

    name: str
    config: object
    where: np.ndarray  # bool per node: the sites that run it
    sensitivity: np.ndarray  # per natural-history state
    places: np.ndarray  # isolation places per node


@dataclass(frozen=True)
class Vaccination:
    """A vaccination programme as the kernels take it, computed once for the run."""

    name: str
    config: object
    where: np.ndarray  # bool per node: the sites that offer it
    eligible_age: np.ndarray  # bool per age group
    acceptance: np.ndarray  # per origin
    accept_keys: np.ndarray  # uint64 per dose: acceptance is the person's, per dose, not the day's
    level_by_dose: np.ndarray  # protection level after each dose (ProtectionLevels)


@dataclass
class Counters:
    tests_by_method: dict[str, int] = field(default_factory=dict)
    team_days: int = 0
    delay_histogram: np.ndarray = field(default_factory=lambda: np.zeros(DELAY_BINS, dtype=np.int64))


class DailyPolicies:
    def __init__(self, model, config: PolicyConfig):
        self.model = model
        self.config = config
        routes, disease = model.routes, model.disease
        self.check_references(routes)
        self.counters = Counters({cfg.method: 0 for cfg in config.screening.values()})
        node_ids, kinds = routes.node_ids, routes.kind
        seed, origins = model.config.seed, model.arrivals.traits.codes
        self.screening = [
            Screening(name, cfg, cfg.where.mask(node_ids, kinds), cfg.sensitivity_by_state(disease.names),
                      routes.isolation_places if cfg.isolation_places is None
                      else np.full_like(routes.isolation_places, cfg.isolation_places))
            for name, cfg in config.screening.items()]
        self.vaccination = [
            Vaccination(name, cfg, cfg.where.mask(node_ids, kinds), np.isin(AGE_GROUPS, cfg.eligible_ages),
                        cfg.acceptance_by_origin(origins),
                        np.array([day_key(seed, named_stream(f"vaccination.{name}.accept"), dose) for dose in range(cfg.doses)],
                                 dtype=np.uint64),
                        model.protection.level(cfg.efficacy_by_dose(disease.vaccine_efficacy)))
            for name, cfg in config.vaccination.items()]
        self.teams = []
        for name, cfg in config.mobile_teams.items():
            sites = [model.sites[n] for n in np.flatnonzero(cfg.where.mask(node_ids, kinds))]
            if sites:
                self.teams.append(MobileTeam(model, name, cfg, sites))
            else:
                log.warning("policy.mobile_teams.%s: no site of this scenario matches %s; the team stays home",
                            name, cfg.where.model_dump())
        self.uninfected = np.isin(np.arange(len(disease.names)), [disease.susceptible, disease.recovered, disease.dead])
        self.symptomatic = disease.symptomatic.copy()
        self.seek_probability = config.care.daily_seek_probability()
        on_site = np.isin(kinds, [NODE_KINDS.index(k) for k in config.care.on_site_kinds])
        per_kind = np.array([config.care.consultations_per_day.get(kind, 0) for kind in NODE_KINDS])
        self.care_capacity = np.where(on_site, per_kind[kinds], 0).astype(np.int64)
        self.refers_to_care = np.array([routes.is_care[routes.edge_target[routes.out_start[n]:routes.out_start[n + 1]]].any()
                                        for n in range(routes.node_count)])
        iso, treated = config.isolation_effect, config.care.isolation_effect
        self.kept = np.array([1.0, 1.0 - iso, 1.0 - treated, (1.0 - iso) * (1.0 - treated)])
        self.barrier_prevalence = config.care.prevalence(model.arrivals.traits.codes)
        self.daily_cost = np.zeros((model.config.days, routes.node_count))  # tests and team days as they happen
        self.scratch = np.empty(0, dtype=np.int32)  # rows chosen by the selection kernels (see selected)
        for site in model.sites:
            site.campaign_until = {programme.name: -1 for programme in self.vaccination if programme.config.reactive}

    def check_references(self, routes) -> None:
        problems = []
        for kind in ("screening", "vaccination", "mobile_teams"):
            for name, programme in getattr(self.config, kind).items():
                problems += programme.where.problems(f"policy.{kind}.{name}.where", routes.node_ids)
        if problems:
            raise ConfigError("config", problems)

    # ------------------------------------------------------------------ arrivals

    def draw_barriers(self, people, rows: np.ndarray, origins: np.ndarray) -> None:
        """One bit per barrier, drawn per person from their origin's prevalence."""
        bits = np.zeros(rows.shape[0], dtype=np.uint8)
        uids = people.uid[span(rows)].astype(np.int64)
        for bit in range(self.barrier_prevalence.shape[1]):
            u = uniforms(day_key(self.model.config.seed, named_stream("care.barriers"), bit), uids)
            bits |= ((u < self.barrier_prevalence[origins, bit]).astype(np.uint8) << bit)
        people.barriers[span(rows)] = bits

    # ------------------------------------------------------------------ stage 3: sites act

    def act(self, day: int, tally: np.ndarray) -> None:
        model, people, seed = self.model, self.model.people, self.model.config.seed
        for team in self.teams:
            team.move_for(day)
            if team.site is not None:
                self.counters.team_days += 1
                self.daily_cost[day, team.site.index] += self.config.costs.team_day
        if any(programme.config.reactive for programme in self.vaccination):
            self.update_campaigns(day)
        if self.screening:
            isolated_here = screening.isolated_at(people.count, people.where, people.node, people.flags,
                                                  model.routes.node_count)
        for programme in self.screening:
            cfg = programme.config
            offered, capacity = self.team_offer(programme.name, "testing", "tests_per_day", programme.where, cfg.capacity_per_day)
            free = np.maximum(programme.places - isolated_here, 0).astype(np.int64)
            counts = output_counts(screening, model.routes.node_count)
            rows = self.selected(
                screening.due, people.count, people.uid, people.where, people.node, people.hold_timer, people.arrival_day,
                people.leave_day, day, offered, screening.TIMING[cfg.timing], cfg.coverage,
                day_key(seed, named_stream(f"screening.{programme.name}.coverage"), day))
            screening.screen(
                rows, people.uid, people.node, people.state, people.flags, people.hold_timer, people.leave_day, day,
                programme.sensitivity, self.uninfected, cfg.false_positive_rate, capacity, free,
                screening.ACTION[cfg.on_positive], cfg.isolation_days, cfg.when_full == "hold", cfg.hold_days,
                self.refers_to_care, day_key(seed, named_stream(f"screening.{programme.name}.test"), day), counts)
            add_outputs(tally, screening.OUTPUTS, counts)
            isolated_here += np.maximum(programme.places - isolated_here, 0) - free
            tests = counts[:, screening.SCREENED]
            self.counters.tests_by_method[cfg.method] += int(tests.sum())
            self.daily_cost[day] += tests * self.config.costs.test.get(cfg.method, 0.0)
        for programme in self.vaccination:
            cfg = programme.config
            offered, supply = self.vaccination_offer(programme, day)
            counts = output_counts(vaccination, model.routes.node_count)
            rows = self.selected(
                vaccination.willing, people.count, people.uid, people.where, people.node, people.age_group, people.origin,
                people.doses, people.last_dose_day, day, offered, programme.eligible_age, cfg.doses, cfg.interval_days,
                programme.acceptance, programme.accept_keys)
            vaccination.vaccinate(rows, people.node, people.doses, people.last_dose_day, day, cfg.doses, supply, counts)
            add_outputs(tally, vaccination.OUTPUTS, counts)
            vaccination.protect(people.count, people.where, people.doses, people.last_dose_day, people.protection,
                                day, cfg.delay_days, programme.level_by_dose)

    def selected(self, selection, *arguments) -> np.ndarray:
        """The rows a chunked parallel selection kernel chooses today, in person order; its rows
        are written into a scratch array kept between days (sim.kernels.gathered)."""
        people = self.model.people
        if self.scratch.shape[0] < people.count:
            self.scratch = np.empty(people.capacity, dtype=np.int32)
        return gathered(self.scratch, selection(self.scratch, *arguments))

    def vaccination_offer(self, programme: Vaccination, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Where a programme is offered today, and its supply there: its sites (while a campaign
        runs, for a reactive programme), plus the sites of teams delivering it."""
        where, cfg = programme.where, programme.config
        if cfg.reactive:
            where = where & np.array([site.campaign_until.get(programme.name, -1) >= day for site in self.model.sites])
        return self.team_offer(programme.name, "vaccination", "doses_per_day", where, cfg.supply_per_day)

    def team_offer(self, name: str, service: str, capacity_key: str, where: np.ndarray, per_site: int):
        """A programme's sites and daily capacity today, plus the sites of teams delivering it
        (each team adds its own capacity where it is)."""
        offered = where.copy()
        capacity = np.where(offered, per_site, 0).astype(np.int64)
        for team in self.teams:
            if team.site is not None and getattr(team.config, service) == name:
                offered[team.site.index] = True
                capacity[team.site.index] += getattr(team.config, capacity_key)
        return offered, capacity

    def update_campaigns(self, day: int) -> None:
        """Each site starts a reactive campaign when its reported cases over the window reach the
        threshold (reports arrive `reporting_delay_days` after detection)."""
        detected = self.model.recorder.metric("migrants", "detected")
        delay = self.config.surveillance.reporting_delay_days
        for programme in self.vaccination:
            name, cfg, where = programme.name, programme.config, programme.where
            if not cfg.reactive:
                continue
            last = day - delay  # reports of detections up to this day are in by today
            first = max(0, last - cfg.reactive.window_days + 1)
            if last < 0:
                continue
            reported = detected[first: last + 1].sum(axis=0)
            for site in self.model.sites:
                if where[site.index] and reported[site.index] >= cfg.reactive.threshold and site.campaign_until[name] < day:
                    site.campaign_until[name] = day + cfg.reactive.duration_days - 1

    # ------------------------------------------------------------------ stage 6: care seeking

    def seek_care(self, day: int, tally: np.ndarray) -> None:
        people, seed, cfg = self.model.people, self.model.config.seed, self.config.care
        capacity = self.care_capacity.copy()
        for team in self.teams:
            if team.site is not None:
                capacity[team.site.index] += team.config.consultations_per_day
        if not capacity.any():  # no site offers care today: nobody can be seen, and no draw is used
            return
        counts = output_counts(care, self.model.routes.node_count)
        rows = self.selected(care.seekers, people.count, people.uid, people.where, people.node, people.state, people.flags,
                            people.barriers, self.symptomatic, self.seek_probability, capacity,
                            day_key(seed, named_stream("care.seek"), day))
        care.seek_care(rows, people.uid, people.node, people.state_day, people.flags, day, capacity,
                       cfg.diagnosis_probability, day_key(seed, named_stream("care.diagnosis"), day), counts,
                       self.counters.delay_histogram)
        add_outputs(tally, care.OUTPUTS, counts)

    # ------------------------------------------------------------------ costs

    def costs(self) -> dict[str, float]:
        recorder = self.model.recorder
        totals = {name: float(recorder.metric("migrants", name).sum()) for name in ("doses", "consultations")}
        totals["isolation_days"] = float(recorder.metric("migrants", "isolated").sum())
        items = self.config.costs.cost_of(totals, self.counters.tests_by_method, self.counters.team_days)
        return {"currency": self.config.costs.currency, **items}

    def cost_by_day_and_node(self) -> np.ndarray:
        """[day, node] cost of doses, tests, consultations, isolation days and team days."""
        metric, unit = self.model.recorder.metric, self.config.costs
        return (self.daily_cost + metric("migrants", "doses") * unit.dose
                + metric("migrants", "consultations") * unit.consultation
                + metric("migrants", "isolated") * unit.isolation_day)
