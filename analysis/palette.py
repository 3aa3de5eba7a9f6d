"""One colour per policy and per site kind, the same in the report, the notebooks and the browser
page: ask here, never pick a colour in a figure.

Colours are Okabe and Ito's colour-blind-safe palette (Okabe M, Ito K 2008, "Color Universal
Design"), baseline in black. The policies in conf/policy/ have fixed colours; any other policy
name gets one of Paul Tol's "muted" colours (Tol 2021, colour-blind safe), chosen by a hash of the
name, so it keeps its colour from figure to figure and run to run. Several arms of one policy
(a swept setting) are shades of the policy's colour, lightest for the first.

    from analysis.palette import policy_colour, arm_colours, kind_colour
    policy_colour("vaccinate_at_entry")   # '#0072b2'
"""

import zlib

from matplotlib.colors import to_hex, to_rgb

POLICY_COLOURS = {
    "baseline": "#000000",
    "vaccinate_at_entry": "#0072b2",    # blue
    "screen_at_borders": "#d55e00",     # vermillion
    "pre_departure_checks": "#e69f00",  # orange
    "lower_barriers": "#009e73",        # bluish green
    "mobile_teams": "#cc79a7",          # reddish purple
    "combined": "#56b4e9",              # sky blue
    "contact_investigation": "#882255",  # Tol's wine: Okabe and Ito's last, yellow, is faint on white
    "ring_vaccination": "#44aa99",      # Tol's teal
    "tb_screening": "#aa4499",          # Tol's purple
}
OTHER_POLICY_COLOURS = ("#332288", "#88ccee", "#44aa99", "#117733", "#999933", "#ddcc77", "#cc6677", "#882255",
                        "#aa4499")
KIND_COLOURS = {
    "origin": "#000000",
    "border": "#d55e00",
    "transit_centre": "#e69f00",
    "reception_centre": "#0072b2",
    "informal_site": "#cc79a7",
    "clinic": "#009e73",
    "hospital": "#56b4e9",
    "destination": "#f0e442",
}
POPULATION_COLOURS = {"migrants": "#332288", "hosts": "#999933"}  # Tol's indigo and olive: apart from the policies
SEQUENTIAL = "viridis"  # perceptually uniform and readable with any colour vision
DIVERGING = "RdBu_r"    # ColorBrewer's colour-blind-safe diverging scheme, red above the centre
BORDER_FILL, BORDER_LINE = "#f2f2ee", "#b5b5ad"  # countries on maps: pale, behind everything else


def policy_colour(policy: str) -> str:
    """The colour of a policy (a conf/policy name, or any other name), as '#rrggbb'."""
    if policy in POLICY_COLOURS:
        return POLICY_COLOURS[policy]
    return OTHER_POLICY_COLOURS[zlib.crc32(policy.encode()) % len(OTHER_POLICY_COLOURS)]


def policy_of(arm: str) -> str:
    """The policy of an arm label ('screen_at_borders (screening.borders.sensitivity=0.5)')."""
    return arm.split(" (", 1)[0]


def arm_colours(arms) -> dict[str, str]:
    """A colour per arm, in the order given: the policy's colour, or where one policy has several
    arms (a swept setting), shades of it from light to the full colour."""
    arms = list(dict.fromkeys(str(arm) for arm in arms))
    by_policy: dict[str, list[str]] = {}
    for arm in arms:
        by_policy.setdefault(policy_of(arm), []).append(arm)
    colours = {}
    for policy, own in by_policy.items():
        for rank, arm in enumerate(own):
            colours[arm] = shade(policy_colour(policy), 0.6 * (len(own) - 1 - rank) / max(len(own) - 1, 1))
    return {arm: colours[arm] for arm in arms}


def shade(colour: str, lighter: float) -> str:
    """`colour` mixed with white: 0 is the colour itself, 1 is white."""
    return to_hex(tuple(c + (1 - c) * lighter for c in to_rgb(colour)))


def group_colours(by: str, groups) -> dict[str, str]:
    """Colours for the lines of one run split `by` 'population', 'kind' (of site) or anything else
    (matplotlib's tab20 in turn)."""
    groups = [str(group) for group in groups]
    if by == "population":
        return {group: POPULATION_COLOURS.get(group, "#777777") for group in groups}
    if by == "kind":
        return {group: KIND_COLOURS.get(group, "#777777") for group in groups}
    cycle = plt_colours()
    return {group: cycle[i % len(cycle)] for i, group in enumerate(groups)}


def plt_colours() -> list[str]:
    from matplotlib import colormaps

    return [to_hex(colour) for colour in colormaps["tab20"].colors]


def kind_colour(kind: str) -> str:
    """The colour of a site kind (sim.fields.NODE_KINDS) on route maps."""
    return KIND_COLOURS[kind]
