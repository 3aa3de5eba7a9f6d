"""One person's journey, day by day: where they were, their disease state and the services they got.

    from sim import RouteModel, compose, load_scenario, run_config
    from sim.journey import follow
    model = RouteModel(load_scenario("scenarios/demo.yaml"), run_config(compose(["scenario=demo"])))
    trail = follow(model, uid=12, days=60)   # steps the model; one row per day

It steps the model itself (RouteModel.step) and reads the person through the public view
`RouteModel.person(uid)` after each day, so it costs one dictionary a day and changes nothing in
the simulation: the model's results are those of an unobserved run.
"""

from datetime import date, timedelta

import pandas as pd

SERVICES = {  # person() flag -> what it means the day it turns on
    "detected": "detected (screening or diagnosis)",
    "in_care": "in care",
    "isolated": "isolated",
}


def follow(model, uid: int, days: int | None = None) -> pd.DataFrame:
    """Step `model` (a sim.RouteModel) until its last day, or `days` more days, and record person
    `uid` (arrival number) after each day. One row per day: `day`, `date`, `status` ('not yet
    arrived', 'on the route', 'left the route', 'died', or 'left the route or died' once the model
    no longer keeps the person), the fields of `model.person(uid)` (node,
    state, doses, isolated, in care, ...), and `events`: what changed that day (moved to a site,
    changed state, a vaccine dose, detected, in care, isolated)."""
    start = date.fromisoformat(str(model.graph.graph["start_date"]))
    rows, seen = [], None
    while model.running and (days is None or len(rows) < days):
        model.step()
        day = model.day - 1
        row = {"day": day, "date": pd.Timestamp(start + timedelta(days=day))}
        try:
            person = model.person(uid)
        except KeyError:
            status = "not yet arrived" if uid >= model.people.arrived else "left the route or died"
            rows.append(row | {"status": status, "events": events(seen, None)})
            seen = None
            continue
        status = {"left at destination": "left the route", "dead": "died"}.get(person["where"], "on the route")
        rows.append(row | {"status": status} | person | {"events": events(seen, person)})
        seen = person
    return pd.DataFrame(rows)


def events(before: dict | None, now: dict | None) -> str:
    """What changed for a person from one day to the next, in words ('' if nothing)."""
    if now is None:
        return "left the route" if before is not None else ""
    if before is None:
        return f"arrived at {now['node']} ({now['state']})"
    said = []
    moved = now["where"] != before["where"] or now["node"] != before["node"]
    if moved:
        said.append({"on edge": f"set off {now['edge'][0]} -> {now['edge'][1]}" if now["edge"] else "set off",
                     "at node": f"reached {now['node']}", "left at destination": f"left the route at {now['node']}",
                     "dead": "died"}.get(now["where"], now["where"]))
    if now["state"] != before["state"]:
        said.append(f"became {now['state']}")
    if now["vaccine_doses"] > before["vaccine_doses"]:
        said.append(f"vaccine dose {now['vaccine_doses']}")
    said += [text for flag, text in SERVICES.items() if now[flag] and not before[flag]]
    return "; ".join(said)
