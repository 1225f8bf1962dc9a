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

import importlib
import importlib.util
import sys
import types

#: Public names and the module each comes from. They are imported on first use (PEP 562), so
#: ``geo --help`` and ``import geo`` start in a few milliseconds instead of loading pandas,
#: geopandas, pandera and folium up front.
_EXPORTS: dict[str, str] = {
    "COLUMNS": "geo.schema",
    "GeoError": "geo._errors",
    "active_in_consecutive_months": "geo.spatial",
    "actor_density": "geo.spatial",
    "admin_unit": "geo.spatial",
    "aggregate": "geo.aggregate",
    "assign_units": "geo.spatial",
    "canonical_actor": "geo.actors",
    "distances_m": "geo.spatial",
    "filter_month": "geo.incidents",
    "geocode": "geo.geocode",
    "incident_points": "geo.spatial",
    "incidents_in_unit": "geo.spatial",
    "incidents_within_km": "geo.spatial",
    "load_admin": "geo.boundaries",
    "load_incident_points": "geo.spatial",
    "load_incidents": "geo.incidents",
    "nearest_incidents": "geo.spatial",
    "place_point": "geo.spatial",
    "read_incidents": "geo.incidents",
    "render_map": "geo.maps",
    "resolve_place": "geo.geocode",
    "save_map": "geo.maps",
    "unit_areas_km2": "geo.spatial",
}


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        if not name.startswith("_") and importlib.util.find_spec(f"geo.{name}") is not None:
            return importlib.import_module(f"geo.{name}")  # geo.spatial etc., as eager imports made them
        raise AttributeError(f"module 'geo' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


class _Package(types.ModuleType):
    """The package module: a public function keeps its name when its namesake module loads.

    Importing ``geo.aggregate`` (the module) sets the package attribute ``aggregate``; without
    this, ``geo.aggregate(frame, "actor")`` would then find the module instead of the function
    (the eager imports this replaces bound the function last, as this does).
    """

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == value.__name__:
            value = getattr(value, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = sorted(_EXPORTS)
