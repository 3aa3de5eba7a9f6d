"""Country borders for maps, from the Natural Earth 1:110m countries shipped in analysis/data/
(public domain; see analysis/data/naturalearth_110m_countries/SOURCE.md). Works offline.

    from analysis.borders import countries, draw
    for country in countries((13.0, 40.0, 23.0, 47.0)):   # lon_min, lat_min, lon_max, lat_max
        country.name, country.iso_a3, country.rings        # rings: (n, 2) arrays of lon, lat
    draw(ax, (13.0, 40.0, 23.0, 47.0))                     # pale countries behind a matplotlib map
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapefile

from analysis.palette import BORDER_FILL, BORDER_LINE

SHAPEFILE = Path(__file__).resolve().parent / "data" / "naturalearth_110m_countries" / "countries.shp"


@dataclass(frozen=True)
class Country:
    """One country: its name, ISO 3166-1 alpha-3 code ('-99' where Natural Earth has none), and
    its polygon rings as (n, 2) arrays of longitude and latitude in degrees (outer rings
    clockwise, holes anticlockwise, as in the shapefile)."""

    name: str
    iso_a3: str
    rings: tuple[np.ndarray, ...]
    bbox: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max


@lru_cache(maxsize=1)
def every_country() -> tuple[Country, ...]:
    with shapefile.Reader(str(SHAPEFILE)) as reader:
        return tuple(Country(record["name"], record["iso_a3"], rings(shape), tuple(shape.bbox))
                     for shape, record in zip(reader.shapes(), reader.records()))


def rings(shape) -> tuple[np.ndarray, ...]:
    points = np.asarray(shape.points, dtype=float)
    bounds = [*shape.parts, len(points)]
    return tuple(points[start:end] for start, end in zip(bounds[:-1], bounds[1:]))


def countries(bbox: tuple[float, float, float, float] | None = None) -> list[Country]:
    """The countries whose bounding box meets `bbox` (lon_min, lat_min, lon_max, lat_max;
    default: all 177)."""
    if bbox is None:
        return list(every_country())
    west, south, east, north = bbox
    return [country for country in every_country()
            if country.bbox[0] <= east and country.bbox[2] >= west and country.bbox[1] <= north and country.bbox[3] >= south]


def draw(ax, bbox: tuple[float, float, float, float], fill: str = BORDER_FILL, line: str = BORDER_LINE):
    """Draw the countries meeting `bbox` on a matplotlib Axes in longitude and latitude, pale
    and beneath everything else, without changing the Axes' limits; returns the patches."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    patches = []
    for country in countries(bbox):
        path = MplPath.make_compound_path(*(MplPath(ring, closed=True) for ring in country.rings))
        patch = PathPatch(path, facecolor=fill, edgecolor=line, linewidth=0.7, zorder=0)
        patches.append(ax.add_patch(patch))
    return patches
