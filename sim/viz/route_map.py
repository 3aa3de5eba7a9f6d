"""The route on a map, day by day: an Altair (Vega-Lite) chart of a running model, drawn in the
browser, so a click on a site reaches the page.

Sites sit at their latitude and longitude over the countries (Natural Earth, analysis.borders),
sized by the migrants present and coloured by prevalence (infectious migrants / migrants present)
or by the day's new infections (migrants and hosts); edges closed that day are drawn red and
dashed, mobile teams as triangles above the site they are at. Mesa's own network drawing does not
serve a DiGraph with a geography (ECOSYSTEM.md), so this is a custom component.
"""

import json
from dataclasses import dataclass
from functools import lru_cache

import altair as alt
import numpy as np
import pandas as pd

from analysis.borders import countries
from analysis.palette import BORDER_FILL, BORDER_LINE, SEQUENTIAL
from sim.collector import yesterday
from sim.programmes.mobile_teams import MobileTeam

KEY = ("Click a site for its counters. Size: migrants present (up to the largest site's capacity); "
       "red dashed ✕: a closed edge; ▲: a mobile team.")
COLOUR_BY = {"prevalence": "prevalence (infectious / present)", "new infections": "new infections (people per day)"}
COLOUR_FIELDS = {"prevalence": ("prevalence", 0.01), "new infections": ("new_infections_all", 1.0)}  # field, floor of the scale
MARGIN_DEGREES = 0.6
CLOSED_COLOUR = "#d55e00"
SELECTED_COLOUR = "#000000"
# How vega-embed draws a chart: SVG (each mark in the page, labelled for screen readers and
# tests), no actions menu (its "Open in Vega Editor" links off the machine).
EMBED = {"embedOptions": {"renderer": "svg", "actions": False}}


@dataclass(frozen=True)
class SiteDay:
    """One site's counts on the day shown (the day just simulated)."""

    node_id: str
    name: str
    kind: str
    country: str
    present: int
    infectious: int
    new_infections: int
    host_new_infections: int
    isolated: int
    consultations: int
    doses: int


def site_days(model) -> list[SiteDay]:
    """Every site's counts on the day just simulated (zeros before the first day)."""
    def per_node(population, *names):
        return sum(yesterday(model, population, name) for name in names)

    counts = {
        "present": per_node("migrants", "present"),
        "infectious": per_node("migrants", *model.infectious_states),
        "new_infections": per_node("migrants", "new_infections"),
        "host_new_infections": per_node("hosts", "new_infections"),
        "isolated": per_node("migrants", "isolated"),
        "consultations": per_node("migrants", "consultations"),
        "doses": per_node("migrants", "doses"),
    }
    return [SiteDay(site.node_id, site.name, site.kind, site.country,
                    **{key: int(values[site.index]) for key, values in counts.items()}) for site in model.sites]


def shown_day(model) -> int:
    """The day whose counts the map shows: the one just simulated (day 0 before any)."""
    return max(model.day - 1, 0)


def bounds(graph) -> tuple[float, float, float, float]:
    """lon_min, lat_min, lon_max, lat_max of the sites, with a margin."""
    lon = [data["lon"] for _, data in graph.nodes(data=True)]
    lat = [data["lat"] for _, data in graph.nodes(data=True)]
    return (min(lon) - MARGIN_DEGREES, min(lat) - MARGIN_DEGREES, max(lon) + MARGIN_DEGREES, max(lat) + MARGIN_DEGREES)


@lru_cache(maxsize=8)
def country_shapes(box: tuple[float, float, float, float]) -> dict:
    """The countries meeting `box` as GeoJSON. Natural Earth's outer rings are clockwise, as
    Vega's spherical geometry wants them; holes (anticlockwise) are left out, so an enclave lies
    under its surrounding country's fill and is drawn again on top as its own country."""
    features = []
    for country in countries(box):
        outer = [ring for ring in country.rings if clockwise(ring)]
        features.append({"type": "Feature", "properties": {"country": country.name},
                         "geometry": {"type": "MultiPolygon", "coordinates": [[ring.tolist()] for ring in outer]}})
    return {"type": "FeatureCollection", "features": features}


def clockwise(ring: np.ndarray) -> bool:
    """A ring in longitude and latitude runs clockwise (negative shoelace area)."""
    x, y = ring[:, 0], ring[:, 1]
    return float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])) < 0


def frame(box) -> dict:
    """The map's extent as a GeoJSON polygon, for the projection to fit (clockwise, see above)."""
    west, south, east, north = box
    ring = [[west, south], [west, north], [east, north], [east, south], [west, south]]
    return {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def map_spec(model, colour_by: str = "prevalence", selected: str | None = None) -> dict:
    """The Vega-Lite map of `model` on the day just simulated: the layout of its route (made
    once per route and colouring) with the day's data filled in."""
    graph, routes = model.graph, model.routes
    day = shown_day(model)
    sites = site_table(model, selected)
    edges = edge_table(graph, routes)
    edges["status"] = np.where(routes.open_on(day), "open", "closed")
    teams = [{"team": getattr(team, "name", "mobile team"), "at": team.site.name,
              "lon": graph.nodes[team.site.node_id]["lon"], "lat": graph.nodes[team.site.node_id]["lat"]}
             for team in model.agents_by_type.get(MobileTeam, []) if team.site is not None]
    spec = dict(layout(graph, colour_by))
    spec["datasets"] = {**spec["datasets"], "sites": sites.to_dict("records"), "edges": edges.to_dict("records"),
                        "teams": teams}
    field, least = COLOUR_FIELDS[colour_by]
    spec["layer"] = [with_colour_top(layer, max(float(sites[field].max()), least)) if layer.get("name") == "sites"
                     else layer for layer in spec["layer"]]
    spec["title"] = {"text": f"{graph.graph['name']}: day {model.day} of {model.run_days}"}
    return spec


def with_colour_top(layer: dict, top: float) -> dict:
    """The sites layer with its colour scale from 0 to `top`: the day's largest value, or a
    floor, so a day with none has every site in the lowest colour rather than the middle one."""
    colour = layer["encoding"]["color"]
    return {**layer, "encoding": {**layer["encoding"], "color": {**colour, "scale": {**colour["scale"], "domain": [0, top]}}}}


def site_table(model, selected: str | None) -> pd.DataFrame:
    graph = model.graph
    sites = pd.DataFrame([vars(site) for site in site_days(model)])
    sites["lon"] = [graph.nodes[n]["lon"] for n in sites["node_id"]]
    sites["lat"] = [graph.nodes[n]["lat"] for n in sites["node_id"]]
    sites["prevalence"] = np.divide(sites["infectious"], sites["present"], out=np.zeros(len(sites)),
                                    where=sites["present"] > 0)
    sites["new_infections_all"] = sites["new_infections"] + sites["host_new_infections"]
    sites["selected"] = sites["node_id"] == selected
    return sites.sort_values("present", ascending=False, kind="stable")  # small sites drawn last, on top


def edge_table(graph, routes) -> pd.DataFrame:
    ids = routes.node_ids
    source, target = [ids[s] for s in routes.edge_source], [ids[t] for t in routes.edge_target]
    edges = pd.DataFrame({
        "lon": [graph.nodes[n]["lon"] for n in source], "lat": [graph.nodes[n]["lat"] for n in source],
        "lon2": [graph.nodes[n]["lon"] for n in target], "lat2": [graph.nodes[n]["lat"] for n in target],
        "route": [f"{s} -> {t}" for s, t in zip(source, target)],
    })
    edges["mid_lon"], edges["mid_lat"] = (edges["lon"] + edges["lon2"]) / 2, (edges["lat"] + edges["lat2"]) / 2
    return edges


@lru_cache(maxsize=8)
def layout(graph, colour_by: str, width: int | str = "container", height: int = 300) -> dict:
    """Everything about the map but the day's data (datasets `sites`, `edges`, `teams`), as a
    Vega-Lite spec: Altair validates it once here, not on every frame."""
    box = bounds(graph)
    capacity = max([data["capacity"] for _, data in graph.nodes(data=True) if data["kind"] != "destination"] + [1])
    sites, edges, teams = alt.Data(name="sites"), alt.Data(name="edges"), alt.Data(name="teams")
    ends = {"longitude": "lon:Q", "latitude": "lat:Q", "longitude2": "lon2:Q", "latitude2": "lat2:Q",
            "tooltip": [alt.Tooltip("route:N", title="edge"), alt.Tooltip("status:N")]}
    # The countries as one JSON string for the browser to parse: as nested lists, each redraw
    # would have Solara walk every coordinate (most of a frame's time on Western Balkans).
    countries_json = alt.InlineData(values=json.dumps(country_shapes(box)["features"]), format={"type": "json"})
    land = alt.Chart(countries_json).mark_geoshape(
        fill=BORDER_FILL, stroke=BORDER_LINE, strokeWidth=0.8, clip=True).encode(
        tooltip=alt.Tooltip("properties.country:N", title="country"))
    route = alt.Chart(edges).mark_rule(color="#8c8c8c", strokeWidth=1.2, clip=True).encode(**ends).transform_filter(
        "datum.status == 'open'")
    closed = alt.Chart(edges).mark_rule(color=CLOSED_COLOUR, strokeWidth=2.5, strokeDash=[5, 4], clip=True).encode(
        **ends).transform_filter("datum.status == 'closed'")
    closed_mark = alt.Chart(edges).mark_text(text="✕", color=CLOSED_COLOUR, fontSize=16, fontWeight="bold").encode(
        longitude="mid_lon:Q", latitude="mid_lat:Q", tooltip=[alt.Tooltip("route:N", title="closed edge")]
    ).transform_filter("datum.status == 'closed'")
    field, number = COLOUR_FIELDS[colour_by][0], ".1%" if colour_by == "prevalence" else ",d"
    points = alt.Chart(sites, name="sites").mark_circle(opacity=0.9).encode(
        longitude="lon:Q", latitude="lat:Q",
        size=alt.Size("present:Q", scale=alt.Scale(type="sqrt", domain=[0, capacity], range=[20, 900], clamp=True),
                      legend=alt.Legend(title=["migrants present", "(people)"], format=",d", tickCount=3)),
        color=alt.Color(f"{field}:Q", scale=alt.Scale(scheme=SEQUENTIAL, domain=[0, 1]),
                        legend=alt.Legend(title=COLOUR_BY[colour_by].split(" (", 1)[0],
                                          format=number, gradientLength=120)),
        stroke=alt.condition("datum.selected", alt.value(SELECTED_COLOUR), alt.value("#333333")),
        strokeWidth=alt.condition("datum.selected", alt.value(3), alt.value(0.6)),
        tooltip=[alt.Tooltip("name:N", title="site"), alt.Tooltip("kind:N"), alt.Tooltip("country:N"),
                 alt.Tooltip("present:Q", format=",d"), alt.Tooltip("infectious:Q", format=",d"),
                 alt.Tooltip("prevalence:Q", format=".1%"),
                 alt.Tooltip("new_infections_all:Q", title="new infections", format=",d")])
    label = alt.Chart(sites).mark_text(align="left", dx=10, dy=-10, fontSize=12, fontWeight="bold").encode(
        longitude="lon:Q", latitude="lat:Q", text="name:N").transform_filter("datum.selected")
    team_marks = alt.Chart(teams).mark_point(shape="triangle-up", filled=True, color="#000000", size=160,
                                             yOffset=-16).encode(
        longitude="lon:Q", latitude="lat:Q", tooltip=[alt.Tooltip("team:N", title="mobile team"), alt.Tooltip("at:N")])
    chart = alt.layer(land, route, points, closed, closed_mark, team_marks, label).project(  # closures on top
        type="mercator", fit=frame(box)).properties(width=width, height=height, usermeta=EMBED)
    spec = chart.to_dict()
    spec.setdefault("datasets", {})
    return spec
