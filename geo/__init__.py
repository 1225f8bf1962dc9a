"""geo: conflict incident reports to maps an analyst can defend.

The pipeline, one module per stage::

    incidents  ->  boundaries  ->  gazetteer / geocode  ->  aggregate  ->  maps

Typical notebook use::

    import geo
    march = geo.load_incidents(month="2023-03")        # sample set, geocoded
    geo.aggregate(march, "actor,adm1")
    geo.render_map(march)                              # a folium.Map, shown inline

Spatial queries (:mod:`geo.spatial`) take incidents and return GeoDataFrames::

    points = geo.incident_points(march)                # points in EPSG:4326
    geo.incidents_within_km(points, "Mazar-e-Sharif", 50)
    geo.incidents_in_unit(points, "Balkh province")
"""

from geo._errors import GeoError
from geo.actors import canonical_actor
from geo.aggregate import aggregate
from geo.boundaries import load_admin
from geo.geocode import geocode, resolve_place
from geo.incidents import filter_month, load_incidents, read_incidents
from geo.maps import render_map, save_map
from geo.schema import COLUMNS
from geo.spatial import (
    active_in_consecutive_months,
    actor_density,
    admin_unit,
    assign_units,
    distances_m,
    incident_points,
    incidents_in_unit,
    incidents_within_km,
    load_incident_points,
    nearest_incidents,
    place_point,
    unit_areas_km2,
)

__all__ = [
    "COLUMNS",
    "GeoError",
    "active_in_consecutive_months",
    "actor_density",
    "admin_unit",
    "aggregate",
    "assign_units",
    "canonical_actor",
    "distances_m",
    "filter_month",
    "geocode",
    "incident_points",
    "incidents_in_unit",
    "incidents_within_km",
    "load_admin",
    "load_incident_points",
    "load_incidents",
    "nearest_incidents",
    "place_point",
    "read_incidents",
    "render_map",
    "resolve_place",
    "save_map",
    "unit_areas_km2",
]
