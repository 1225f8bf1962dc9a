"""geo: conflict incident reports to maps an analyst can defend.

The pipeline, one module per stage::

    incidents  ->  boundaries  ->  gazetteer / geocode  ->  aggregate  ->  maps

Typical notebook use::

    import geo
    march = geo.load_incidents(month="2023-03")        # sample set, geocoded
    geo.aggregate(march, "actor,adm1")
    geo.render_map(march)                              # a folium.Map, shown inline
"""

from geo._errors import GeoError
from geo.actors import canonical_actor
from geo.aggregate import aggregate
from geo.boundaries import load_admin
from geo.geocode import geocode, resolve_place
from geo.incidents import filter_month, load_incidents, read_incidents
from geo.maps import render_map, save_map
from geo.schema import COLUMNS

__all__ = [
    "COLUMNS",
    "GeoError",
    "aggregate",
    "canonical_actor",
    "filter_month",
    "geocode",
    "load_admin",
    "load_incidents",
    "read_incidents",
    "render_map",
    "resolve_place",
    "save_map",
]
