"""Spatial queries: incidents as points, near a place, inside a unit, and per area.

Distances are in metres, never in degrees: either on the WGS84 ellipsoid (geodesic, through
``pyproj.Geod``; Karney's algorithm, as geopy uses) or in the UTM zone that
``estimate_utm_crs`` picks for the place asked about (41N or 42N in most of Afghanistan).
Areas are in km², computed in a Lambert azimuthal equal-area projection centred on the units.

Assignments to provinces and districts are spatial (point in polygon against
:func:`geo.load_admin`), so the queries also work on points that were never geocoded. An incident
known only to its province (``geo_precision`` 3) sits at a point inside the province chosen by
the geocoder, not where it happened, so it is never assigned to a district.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from os import PathLike
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import Point

from geo._errors import GeoError
from geo.aggregate import aggregate
from geo.boundaries import load_admin
from geo.gazetteer import gazetteer, level_hint, normalise
from geo.geocode import resolve_place
from geo.incidents import load_incidents

#: The ellipsoid geodesic distances are measured on (the one GPS coordinates refer to).
GEOD = pyproj.Geod(ellps="WGS84")
#: Incidents with this geo_precision are known only to their province.
PROVINCE_ONLY = 3
#: The area unit densities are given per.
PER_KM2 = 10_000

Place = str | tuple[float, float] | Point
Method = Literal["utm", "geodesic"]
_LEVEL_NAMES = {1: "province", 2: "district"}


def incident_points(incidents: pd.DataFrame) -> gpd.GeoDataFrame:
    """Incidents as a GeoDataFrame of points in EPSG:4326.

    Parameters
    ----------
    incidents
        Geocoded incidents with ``latitude``/``longitude`` columns (see
        :func:`geo.load_incidents`), or a GeoDataFrame of points (reprojected to EPSG:4326).

    Returns
    -------
    geopandas.GeoDataFrame
        Every row and column of ``incidents``, with a point geometry built from the
        coordinates. Rows without coordinates (place ambiguous or unmatched) are kept with an
        empty geometry; their count is in ``.attrs["unplaced"]``.

    Raises
    ------
    GeoError
        When ``incidents`` has neither a geometry nor coordinate columns.
    """
    if isinstance(incidents, gpd.GeoDataFrame) and incidents.geometry.name in incidents:
        points = incidents.set_crs(4326) if incidents.crs is None else incidents.to_crs(4326)
        kinds = set(points.geometry.dropna().geom_type)
        if kinds - {"Point"}:
            raise GeoError(
                f"Incidents must be points, not {', '.join(sorted(kinds - {'Point'}))}; "
                "pass the incidents, not the admin units."
            )
    else:
        missing = [c for c in ("latitude", "longitude") if c not in incidents]
        if missing:
            raise GeoError(
                f"The incidents have no {' or '.join(missing)} column; geocode them first "
                "(geo.load_incidents or geo.geocode)."
            )
        lat = pd.to_numeric(incidents["latitude"], errors="coerce").to_numpy(dtype=float)
        lon = pd.to_numeric(incidents["longitude"], errors="coerce").to_numpy(dtype=float)
        geometry = shapely.points(np.column_stack([lon, lat]))
        geometry[np.isnan(lat) | np.isnan(lon)] = None  # no coordinates: empty, not (NaN, NaN)
        points = gpd.GeoDataFrame(incidents.copy(), geometry=geometry, crs=4326)
    points.attrs["unplaced"] = int((points.geometry.isna() | points.geometry.is_empty).sum())
    return points


def load_incident_points(
    paths: Sequence[str | PathLike[str]] | None = None, month: str | None = None
) -> gpd.GeoDataFrame:
    """Read, geocode and filter incidents, as points: :func:`geo.load_incidents` then
    :func:`incident_points`.

    Parameters
    ----------
    paths
        Incident CSVs (our schema or ACLED exports); ``None`` for the sample set.
    month
        ``YYYY-MM`` to keep one month, or ``None`` for all.

    Returns
    -------
    geopandas.GeoDataFrame
        The schema columns, ``match_status``, ``match_note`` and point geometries in EPSG:4326.
    """
    return incident_points(load_incidents(paths, month))


def place_point(place: Place) -> Point:
    """The point a query is centred on: a place name resolved by the gazetteer, or coordinates.

    Parameters
    ----------
    place
        A name as a reporter writes it (``"Mazar-e-Sharif"``, ``"Jani Khel, Paktya"``), a
        ``(latitude, longitude)`` pair (folium's order), or a shapely ``Point(longitude,
        latitude)``. A province or district name gives a point inside that unit.

    Returns
    -------
    shapely.geometry.Point
        ``Point(longitude, latitude)`` in EPSG:4326.

    Raises
    ------
    GeoError
        When the name is unknown or fits several places, or coordinates are out of range.
    """
    if isinstance(place, Point):
        lon, lat = place.x, place.y
    elif isinstance(place, str):
        match = resolve_place(place)
        if match.status == "ambiguous":
            raise GeoError(
                f"The place '{place}' fits several units ({', '.join(match.candidates)}); "
                "add its province after a comma, e.g. 'Jani Khel, Paktya', or give (latitude, longitude)."
            )
        if match.entry is None or pd.isna(match.entry.get("latitude")):
            raise GeoError(
                f"The place '{place}' is not in the gazetteer; check its spelling or give (latitude, longitude)."
            )
        lon, lat = float(match.entry["longitude"]), float(match.entry["latitude"])
    else:
        try:
            lat, lon = (float(v) for v in place)
        except (TypeError, ValueError):
            raise GeoError(f"A place must be a name or a (latitude, longitude) pair, not {place!r}.") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise GeoError(f"({lat}, {lon}) is not a (latitude, longitude) pair; latitude comes first.")
    return Point(lon, lat)


def utm_crs(point: Point) -> pyproj.CRS:
    """The UTM zone of ``point`` (EPSG:326xx north, 327xx south), as ``estimate_utm_crs`` picks it."""
    return gpd.GeoSeries([point], crs=4326).estimate_utm_crs()


def distances_m(points: gpd.GeoSeries, origin: Point, method: Method = "geodesic") -> pd.Series:
    """Distance in metres from ``origin`` to each point.

    Parameters
    ----------
    points
        Points in EPSG:4326 (or any CRS; they are reprojected).
    origin
        ``Point(longitude, latitude)`` in EPSG:4326.
    method
        ``"geodesic"``: on the WGS84 ellipsoid, exact at any range. ``"utm"``: straight-line
        distance in the UTM zone ``estimate_utm_crs`` picks for ``origin``; within 0.2% of
        geodesic up to 300 km from it anywhere in Afghanistan (tested), worse beyond.

    Returns
    -------
    pandas.Series
        ``distance_m``, indexed like ``points``; NaN where a point is empty or missing.
        ``.attrs["crs"]`` names what the distance was measured in.
    """
    points = gpd.GeoSeries(points).to_crs(4326) if points.crs is not None else gpd.GeoSeries(points, crs=4326)
    missing = (points.isna() | points.is_empty).to_numpy()
    if method == "geodesic":
        xs = np.where(missing, np.nan, shapely.get_x(points.values))
        ys = np.where(missing, np.nan, shapely.get_y(points.values))
        n = len(points)
        _, _, metres = GEOD.inv(np.full(n, origin.x), np.full(n, origin.y), xs, ys)
        values = np.array(metres, dtype=float)
        measured_in = "WGS84 ellipsoid"
    elif method == "utm":
        crs = utm_crs(origin)
        centre = gpd.GeoSeries([origin], crs=4326).to_crs(crs).iloc[0]
        values = points.to_crs(crs).distance(centre).to_numpy(dtype=float, copy=True)
        measured_in = crs.to_string()
    else:
        raise GeoError(f"Distance method must be 'geodesic' or 'utm', not '{method}'.")
    values[missing] = np.nan
    out = pd.Series(values, index=points.index, name="distance_m")
    out.attrs["crs"] = measured_in
    return out


def _with_distance(incidents: pd.DataFrame, place: Place, method: Method) -> gpd.GeoDataFrame:
    points = incident_points(incidents)
    origin = place_point(place)
    metres = distances_m(points.geometry, origin, method)
    out = points.assign(distance_m=metres)
    out.attrs.update(origin=(origin.y, origin.x), distance_method=method, distance_crs=metres.attrs["crs"])
    return out


def incidents_within_km(
    incidents: pd.DataFrame, place: Place, km: float, *, method: Method = "utm"
) -> gpd.GeoDataFrame:
    """Incidents within ``km`` kilometres of a place, nearest first.

    Parameters
    ----------
    incidents
        Geocoded incidents (DataFrame or GeoDataFrame of points).
    place
        A place name (resolved with :func:`geo.resolve_place`), ``(latitude, longitude)`` or a
        ``Point``; see :func:`place_point`.
    km
        The radius in kilometres (inclusive).
    method
        ``"utm"`` (default): distances in metres in the UTM zone ``estimate_utm_crs`` picks
        for the place (within 0.2% of geodesic up to 300 km); ``"geodesic"``: on the
        ellipsoid, for longer radii.

    Returns
    -------
    geopandas.GeoDataFrame
        The matching rows in EPSG:4326 with ``distance_m``, sorted by distance then
        ``incident_id``, keeping their index from ``incidents``. Incidents placed only to district or province level
        (``geo_precision`` 2 or 3) are measured from the point the geocoder put them at; their
        ``geo_precision`` column says so. ``.attrs`` records the origin, method and CRS.
    """
    if not km >= 0:
        raise GeoError(f"The radius must be a number of kilometres of 0 or more, not {km}.")
    out = _with_distance(incidents, place, method)
    out = out[out["distance_m"] <= km * 1000.0]
    return _sorted(out)


def nearest_incidents(
    incidents: pd.DataFrame, place: Place, k: int = 5, *, method: Method = "geodesic"
) -> gpd.GeoDataFrame:
    """The ``k`` incidents nearest to a place, nearest first.

    Parameters
    ----------
    incidents
        Geocoded incidents (DataFrame or GeoDataFrame of points).
    place
        A place name, ``(latitude, longitude)`` or a ``Point``; see :func:`place_point`.
    k
        How many. Incidents tied with the k-th (several reports at one town) are all kept,
        so more than ``k`` rows may come back.
    method
        ``"geodesic"`` (default: the nearest may be across the country, outside any one UTM
        zone) or ``"utm"``.

    Returns
    -------
    geopandas.GeoDataFrame
        Rows in EPSG:4326 with ``distance_m``, sorted by distance then ``incident_id``,
        keeping their index from ``incidents``.
    """
    if k < 1:
        raise GeoError(f"Ask for at least one nearest incident, not {k}.")
    out = _with_distance(incidents, place, method)
    placed = out["distance_m"].dropna()
    kept = placed.nsmallest(k, keep="all").index
    return _sorted(out.loc[kept])


def _sorted(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    keys = ["distance_m", "incident_id"] if "incident_id" in frame else ["distance_m"]
    return frame.sort_values(keys, kind="stable")


def _level_of_code(code: str) -> int | None:
    for level in (1, 2):
        if code in set(load_admin(level)[f"admin{level}_pcode"]):
            return level
    return None


def admin_unit(unit: str, level: int | None = None) -> gpd.GeoDataFrame:
    """One province or district, by P-code or by any name the gazetteer knows for it.

    Parameters
    ----------
    unit
        A P-code (``"AF21"``, ``"AF2101"``) or a name in any spelling the boundary files or
        the alias table carry (``"Balkh"``, ``"Herat"``, ``"Nahri Shahi district"``). A
        district name shared by several provinces takes its province after a comma
        (``"Jani Khel, Paktya"``).
    level
        1 (province) or 2 (district); inferred from a P-code, from a word such as
        "province" or "district" in ``unit``, or from the name when only one level has it.

    Returns
    -------
    geopandas.GeoDataFrame
        One row of :func:`geo.load_admin` (EPSG:4326); ``.attrs["level"]`` is its level.

    Raises
    ------
    GeoError
        When nothing matches (with close spellings), or several units do.
    """
    if level not in (None, 1, 2):
        raise GeoError(f"Admin level must be 1 (provinces) or 2 (districts), not {level}.")
    text = str(unit).strip()
    code = text.upper()
    if re.fullmatch(r"[A-Z]{2}\d+", code):
        found = _level_of_code(code)
        if found is None or (level is not None and found != level):
            raise GeoError(f"No {_LEVEL_NAMES.get(level, 'province or district')} has the P-code {code}.")
        units = load_admin(found)
        row = units[units[f"admin{found}_pcode"] == code]
        row.attrs["level"] = found
        return row.reset_index(drop=True)

    name, *context = [p.strip() for p in text.split(",") if p.strip()] or [""]
    gaz = gazetteer()
    units_only = gaz[gaz["kind"].isin(["adm1", "adm2"])]
    cands = units_only[units_only["key"] == normalise(name)]
    wanted = {1: "adm1", 2: "adm2"}.get(level) or level_hint(name)
    if wanted in ("adm1", "adm2"):
        cands = cands[cands["kind"] == wanted]
    for part in context:  # "Jani Khel, Paktya": keep the district in that province
        province = units_only[(units_only["key"] == normalise(part)) & (units_only["kind"] == "adm1")]
        if not province.empty:
            cands = cands[cands["admin1_pcode"].isin(province["admin1_pcode"])]
    cands = cands.assign(pcode=np.where(cands["kind"] == "adm1", cands["admin1_pcode"], cands["admin2_pcode"]))
    cands = cands.drop_duplicates("pcode")
    if cands.empty:
        official = {normalise(n): n for n in units_only["name"].unique()}  # suggest the file's own names
        close = difflib.get_close_matches(normalise(name), list(official), n=3, cutoff=0.75)
        what = {"adm1": "province", "adm2": "district"}.get(wanted, "province or district")
        hint = f"; did you mean {', '.join(official[k] for k in close)}?" if close else "; give its P-code instead."
        raise GeoError(f"No {what} is called '{text}'{hint}")
    if len(cands) > 1:
        listed = ", ".join(f"{_LEVEL_NAMES[int(k[-1])]} {n} ({c})" for k, n, c in
                           zip(cands["kind"], cands["name"], cands["pcode"]))
        advice = (
            "pass level=1 or level=2, or add 'province' or 'district'"
            if cands["kind"].nunique() > 1
            else "add the province after a comma or give the P-code"
        )
        raise GeoError(f"'{text}' names several units ({listed}); {advice}.")
    found = int(cands["kind"].iloc[0][-1])
    return admin_unit(cands["pcode"].iloc[0], found)


def incidents_in_unit(incidents: pd.DataFrame, unit: str, level: int | None = None) -> gpd.GeoDataFrame:
    """Incidents whose point lies inside a province or district (its edge included).

    Parameters
    ----------
    incidents
        Geocoded incidents (DataFrame or GeoDataFrame of points).
    unit
        A P-code or a name; see :func:`admin_unit`.
    level
        1 or 2 when the name alone does not say.

    Returns
    -------
    geopandas.GeoDataFrame
        The matching rows in their original order and index, EPSG:4326. For a district, incidents known
        only to province level are left out (their count is in ``.attrs["province_only"]``).
        ``.attrs["unit"]`` is ``(name, P-code)``.
    """
    area = admin_unit(unit, level)
    level = area.attrs["level"]
    points = incident_points(incidents)
    vague = _province_only(points) if level == 2 else pd.Series(False, index=points.index)
    candidates = points[~vague & ~(points.geometry.isna() | points.geometry.is_empty)]
    inside = shapely.intersects(candidates.geometry.values, area.geometry.iloc[0])  # vectorised
    out = candidates[inside]
    out.attrs.update(
        unit=(area[f"admin{level}"].iloc[0], area[f"admin{level}_pcode"].iloc[0]),
        level=level,
        province_only=int((vague & ~(points.geometry.isna() | points.geometry.is_empty)).sum()),
    )
    return out


def _province_only(points: pd.DataFrame) -> pd.Series:
    if "geo_precision" not in points:
        return pd.Series(False, index=points.index)
    return pd.to_numeric(points["geo_precision"], errors="coerce").eq(PROVINCE_ONLY).fillna(False).astype(bool)


def assign_units(incidents: pd.DataFrame, level: int = 2) -> gpd.GeoDataFrame:
    """Put each incident in the province or district its point lies in (spatial join).

    Parameters
    ----------
    incidents
        Geocoded incidents (DataFrame or GeoDataFrame of points).
    level
        1 for provinces, 2 for districts.

    Returns
    -------
    geopandas.GeoDataFrame
        Every row, with ``admin1``, ``admin1_pcode`` and (level 2) ``admin2``,
        ``admin2_pcode`` replaced by the unit the point falls in; empty strings when it has no
        point, falls outside every unit, or (level 2) is known only to its province. A point
        on a shared edge goes to the unit with the smaller P-code.
    """
    if level not in (1, 2):
        raise GeoError(f"Admin level must be 1 (provinces) or 2 (districts), not {level}.")
    points = incident_points(incidents)
    units = load_admin(level)
    fields = ["admin1", "admin1_pcode"] + (["admin2", "admin2_pcode"] if level == 2 else [])
    placed = points[~(points.geometry.isna() | points.geometry.is_empty)][[points.geometry.name]]
    if level == 2:
        placed = placed[~_province_only(points).loc[placed.index]]
    joined = placed.sjoin(units[[*fields, "geometry"]], how="inner", predicate="intersects")
    joined = joined.sort_values(f"admin{level}_pcode", kind="stable")
    joined = joined[~joined.index.duplicated(keep="first")]
    out = points.copy()
    for col in fields:
        out[col] = joined[col].reindex(out.index).fillna("").astype(str)
    return out


def active_in_consecutive_months(incidents: pd.DataFrame, level: int = 2) -> gpd.GeoDataFrame:
    """Districts (or provinces) with incidents in two consecutive calendar months.

    Parameters
    ----------
    incidents
        Geocoded incidents (DataFrame or GeoDataFrame of points).
    level
        2 for districts (default), 1 for provinces. Units are assigned spatially
        (:func:`assign_units`); a neighbouring unit's incidents do not count.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per unit and pair of months: the unit's columns from :func:`geo.load_admin`
        (polygon geometry, EPSG:4326), ``month`` and ``next_month`` (``YYYY-MM``), and
        ``incidents`` and ``next_incidents`` (counts in each). December and January of the
        next year are consecutive. Sorted by month, then P-code.
    """
    code = f"admin{level}_pcode"
    frame = assign_units(incidents, level)
    frame = frame[frame[code] != ""]
    month = pd.PeriodIndex(frame["event_date"].astype(str).str[:7], freq="M")
    counts = frame.groupby([frame[code], month]).size().rename("incidents").reset_index()
    counts.columns = [code, "period", "incidents"]
    following = counts.assign(period=counts["period"] - 1).rename(columns={"incidents": "next_incidents"})
    pairs = counts.merge(following, on=[code, "period"], how="inner")
    pairs["month"] = pairs["period"].astype(str)
    pairs["next_month"] = (pairs["period"] + 1).astype(str)
    units = load_admin(level).drop(columns=f"admin{level}_alt")
    out = units.merge(pairs[[code, "month", "next_month", "incidents", "next_incidents"]], on=code, how="inner")
    out = out.sort_values(["month", code], ignore_index=True)
    cols = [c for c in out.columns if c != "geometry"] + ["geometry"]
    return gpd.GeoDataFrame(out[cols], geometry="geometry", crs=4326)


def equal_area_crs(frame: gpd.GeoDataFrame) -> pyproj.CRS:
    """A Lambert azimuthal equal-area CRS centred on ``frame``'s bounds (areas true in m²)."""
    minx, miny, maxx, maxy = frame.to_crs(4326).total_bounds
    return pyproj.CRS.from_proj4(
        f"+proj=laea +lat_0={(miny + maxy) / 2:.4f} +lon_0={(minx + maxx) / 2:.4f} +datum=WGS84 +units=m +no_defs"
    )


def unit_areas_km2(level: int = 2) -> pd.Series:
    """Area of every province or district in km², in an equal-area projection.

    Returns
    -------
    pandas.Series
        ``area_km2`` indexed by P-code.
    """
    units = load_admin(level)
    metres = units.to_crs(equal_area_crs(units)).area.to_numpy()
    return pd.Series(metres / 1e6, index=units[f"admin{level}_pcode"].to_numpy(), name="area_km2")


def actor_density(incidents: pd.DataFrame, level: int = 2) -> gpd.GeoDataFrame:
    """Incidents by actor per 10,000 km² of district (or province) area.

    Parameters
    ----------
    incidents
        Geocoded incidents (DataFrame or GeoDataFrame of points) in the schema.
    level
        2 for districts (default), 1 for provinces. Units are assigned spatially; for
        districts, incidents known only to their province are left out.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per (actor, unit) with at least one incident: ``actor``, the unit's names and
        P-codes, ``incidents`` and ``fatalities`` (as :func:`geo.aggregate` counts them: an
        incident counts for each distinct actor involved), ``area_km2`` and
        ``incidents_per_10000_km2``; the unit's polygon in EPSG:4326. Sorted by actor, then
        density (highest first). ``.attrs["unassigned"]`` counts incidents in no unit.
    """
    key = {1: "adm1", 2: "adm2"}[level] if level in (1, 2) else None
    if key is None:
        raise GeoError(f"Admin level must be 1 (provinces) or 2 (districts), not {level}.")
    code = f"admin{level}_pcode"
    frame = assign_units(incidents, level)
    unassigned = int((frame[code] == "").sum())
    counts = aggregate(pd.DataFrame(frame[frame[code] != ""].drop(columns=frame.geometry.name)), ["actor", key])
    counts = counts.merge(unit_areas_km2(level).rename_axis(code).reset_index(), on=code, how="left")
    counts[f"incidents_per_{PER_KM2}_km2"] = counts["incidents"] / counts["area_km2"] * PER_KM2
    units = load_admin(level)
    extra = ["admin1", "admin1_pcode"] if level == 2 else []
    out = counts.merge(units[[code, *extra, "geometry"]], on=code, how="left")
    density = f"incidents_per_{PER_KM2}_km2"
    names = ["actor", f"admin{level}", code, *extra]
    out = out[[*names, "incidents", "fatalities", "area_km2", density, "geometry"]]
    out = out.sort_values(["actor", density, code], ascending=[True, False, True], ignore_index=True)
    result = gpd.GeoDataFrame(out, geometry="geometry", crs=4326)
    result.attrs["unassigned"] = unassigned
    return result
