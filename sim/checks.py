"""The checking mode (`check=true`): the model's invariants verified every simulated day.

In the spirit of LASER's flow-versus-census checks: the flows a kernel counted must equal what
changed in the people's arrays, and the stocks recorded must equal a census of them.
- progression: the deaths counted at each node are the people who died there today;
- transmission: the new infections counted at each node are the people who went from
  susceptible to exposed there today, and transmission changed no one else's state;
- end of day: people are conserved (everyone who arrived is on the route, left at a destination
  or died), every recorded stock (present, in transit, isolated, each state) equals the census of
  the arrays, and no programme served more than its capacity (sim.programme.Programme.problems).
A broken invariant stops the run with `InvariantError`, naming the day, the check and the numbers.
It costs a few passes over the people a day, so it is off by default.
"""

from contextlib import contextmanager

import numpy as np

from sim.population import AT_NODE, DEAD, ISOLATED, ON_EDGE


class InvariantError(RuntimeError):
    """The model broke one of its own invariants (a bug, not bad input)."""


class DailyChecks:
    def __init__(self, model):
        self.model = model

    def fail(self, day: int, check: str, details: list[str]) -> None:
        if details:
            raise InvariantError(f"day {day}: {check}:\n  " + "\n  ".join(details))

    def per_node(self, rows: np.ndarray) -> np.ndarray:
        return np.bincount(self.model.people.node[rows], minlength=self.model.routes.node_count)

    def differ(self, name: str, counted: np.ndarray, census: np.ndarray) -> list[str]:
        node_ids = self.model.routes.node_ids
        return [f"{name} at {node_ids[n]}: counted {counted[n]}, census {census[n]}"
                for n in np.flatnonzero(counted != census)]

    @contextmanager
    def around(self, stage: str, day: int):
        """Compare the flows a stage counted with the change in the arrays it made."""
        people, tally = self.model.people, self.model.tally
        where, state = people.where[: people.count].copy(), people.state[: people.count].copy()
        deaths, infections = tally.today("new_deaths"), tally.today("new_infections")
        yield
        rows = np.arange(people.count)
        if stage == "progression":
            died = rows[(where != DEAD) & (people.where[: people.count] == DEAD)]
            self.fail(day, "deaths counted against the people who died",
                      self.differ("new_deaths", tally.today("new_deaths") - deaths, self.per_node(died)))
        elif stage == "transmission":
            susceptible, exposed = self.model.disease.susceptible, self.model.disease.exposed
            changed = state != people.state[: people.count]
            infected = changed & (state == susceptible) & (people.state[: people.count] == exposed)
            problems = [f"{n} people changed state in transmission other than susceptible -> exposed"
                        for n in [int(np.count_nonzero(changed & ~infected))] if n]
            problems += self.differ("new_infections", tally.today("new_infections") - infections, self.per_node(rows[infected]))
            self.fail(day, "new infections counted against the people infected", problems)

    def end_of_day(self, day: int) -> None:
        model, people, recorder = self.model, self.model.people, self.model.recorder
        where = people.where[: people.count]
        on_route = np.flatnonzero((where == AT_NODE) | (where == ON_EDGE))
        metric = lambda name: recorder.metric("migrants", name)[: day + 1]
        left = metric("exits").sum() + metric("new_deaths").sum()
        if metric("arrivals").sum() - left != on_route.shape[0]:
            self.fail(day, "people conserved", [f"arrived {metric('arrivals').sum()}, left or died {left}, "
                                                f"on the route {on_route.shape[0]}"])
        census = {
            "present": self.per_node(on_route[where[on_route] == AT_NODE]),
            "in_transit": self.per_node(on_route[where[on_route] == ON_EDGE]),
            "isolated": self.per_node(on_route[(people.flags[on_route] & ISOLATED) != 0]),
        }
        for code, name in enumerate(model.disease.names):
            if name != "dead":
                census[name] = self.per_node(on_route[people.state[on_route] == code])
        problems = [problem for name, counted in census.items()
                    for problem in self.differ(name, metric(name)[day], counted)]
        self.fail(day, "stocks recorded against the census of people", problems)
        self.fail(day, "capacities", model.programmes.problems(day))
