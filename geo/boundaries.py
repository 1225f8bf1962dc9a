"""Admin boundaries: find the COD-AB files, read them in place, normalise their columns.

Boundary files are never copied into the repository (their licence restricts them to
humanitarian use): they are read where they lie, zipped, from the folder named by the
``GEO_BOUNDARIES`` environment variable, or from ``./boundaries`` when run from a checkout.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geo._errors import GeoError

ENV_VAR = "GEO_BOUNDARIES"
#: File types read through pyogrio, best first when a folder holds several for one level.
SUFFIXES = (".zip", ".shp", ".gpkg", ".geojson", ".json", ".parquet")
#: Simplification tolerance for map outlines, in degrees (~500 m): enough for a country view.
WEB_TOLERANCE = 0.005


def boundaries_dir() -> Path:
    """Return the folder searched for boundary files: ``$GEO_BOUNDARIES`` or ``./boundaries``."""
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else Path.cwd() / "boundaries"


def _missing_message(folder: Path, level: int) -> str:
    where = f"{folder} (from ${ENV_VAR})" if os.environ.get(ENV_VAR) else f"{folder} (${ENV_VAR} is not set)"
    return (
        f"No admin level {level} boundary file (a name containing 'adm{level}', such as "
        f"afg_admbnda_adm{level}_agcho_20180522.zip) was found in {where}; put the COD-AB files "
        f"for Afghanistan there or set {ENV_VAR} to the folder that holds them, "
        f"for example: export {ENV_VAR}=../shared/boundaries"
    )


def find_boundary_file(level: int, folder: Path | None = None) -> Path:
    """Return the boundary file for admin ``level`` (1 = provinces, 2 = districts).

    Parameters
    ----------
    level
        1 or 2.
    folder
        Where to look (recursively); defaults to :func:`boundaries_dir`.

    Raises
    ------
    GeoError
        When no file for that level is there, saying where it looked and what to do.
    """
    folder = folder or boundaries_dir()
    pattern = re.compile(rf"adm{level}(?!\d)", re.IGNORECASE)
    found = []
    if folder.is_dir():
        found = [
            p
            for p in folder.rglob("*")
            if p.is_file() and p.suffix.lower() in SUFFIXES and pattern.search(p.name)
        ]
    if not found:
        raise GeoError(_missing_message(folder, level))
    # Prefer the richer container, then the newest name (COD-AB names end in a date).
    found.sort(key=lambda p: (SUFFIXES.index(p.suffix.lower()), [-ord(c) for c in p.name]))
    return found[0]


def _alt_names(frame: pd.DataFrame, level: int) -> pd.Series:
    """All the other spellings a COD-AB file carries for a unit (Dari included)."""
    cols = [c for c in (f"ADM{level}_DA", f"ADM{level}ALT1EN", f"ADM{level}ALT2EN",
                        f"ADM{level}ALT1DA", f"ADM{level}ALT2DA") if c in frame]
    if not cols:
        return pd.Series([[] for _ in range(len(frame))], index=frame.index)
    stacked = frame[cols].stack()  # drops nulls
    stacked = stacked[stacked.astype(str).str.strip() != ""].astype(str)
    grouped = stacked.groupby(level=0).agg(list)
    return grouped.reindex(frame.index).apply(lambda v: v if isinstance(v, list) else [])


@lru_cache(maxsize=8)
def _read(path: Path, mtime: float, level: int) -> gpd.GeoDataFrame:
    try:
        raw = gpd.read_file(path, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        raise GeoError(f"Could not read the boundary file {path}: {exc}") from None
    if raw.empty:
        raise GeoError(f"The boundary file {path} has no features.")
    needed = [f"ADM{n}_{k}" for n in range(1, level + 1) for k in ("EN", "PCODE")]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise GeoError(
            f"The boundary file {path} does not have the COD-AB columns {', '.join(needed)} "
            f"(missing {', '.join(missing)}; found {', '.join(map(str, raw.columns))})."
        )
    if raw.crs is None:
        raise GeoError(f"The boundary file {path} has no coordinate reference system (.prj).")
    if raw.crs.to_epsg() != 4326:
        raw = raw.to_crs(4326)
    geometry = raw.geometry.values
    invalid = ~shapely.is_valid(geometry)
    if invalid.any():
        geometry = geometry.copy()
        geometry[invalid] = shapely.make_valid(geometry[invalid])
    out = pd.DataFrame(
        {
            f"admin{level}": raw[f"ADM{level}_EN"].astype(str),
            f"admin{level}_pcode": raw[f"ADM{level}_PCODE"].astype(str),
            f"admin{level}_alt": _alt_names(raw, level),
        }
    )
    if level == 2:
        out["admin1"] = raw["ADM1_EN"].astype(str)
        out["admin1_pcode"] = raw["ADM1_PCODE"].astype(str)
    gdf = gpd.GeoDataFrame(out, geometry=geometry, crs=4326)
    gdf.attrs["source"] = str(path)
    gdf.attrs["repaired"] = int(invalid.sum())
    return gdf.sort_values(f"admin{level}_pcode", ignore_index=True)


def load_admin(level: int, folder: Path | None = None) -> gpd.GeoDataFrame:
    """Load admin units of ``level`` from the COD-AB files, with normalised columns.

    Parameters
    ----------
    level
        1 for provinces, 2 for districts.
    folder
        Where the files are; defaults to ``$GEO_BOUNDARIES`` or ``./boundaries``.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, one row per unit, sorted by P-code, with ``admin{level}``,
        ``admin{level}_pcode``, ``admin{level}_alt`` (other spellings, Dari included) and, for
        districts, the parent ``admin1`` and ``admin1_pcode``. Invalid geometries are repaired
        with ``make_valid`` (count in ``.attrs["repaired"]``).
    """
    if level not in (1, 2):
        raise GeoError(f"Admin level must be 1 (provinces) or 2 (districts), not {level}.")
    path = find_boundary_file(level, folder)
    return _read(path.resolve(), path.stat().st_mtime, level).copy()


def web_geometry(units: gpd.GeoDataFrame, tolerance: float = WEB_TOLERANCE) -> gpd.GeoDataFrame:
    """Simplify ``units`` as a coverage so neighbours keep their shared edges (no gaps, no slivers).

    Parameters
    ----------
    units
        Admin units of one level, edge-matched as COD-AB files are.
    tolerance
        Douglas-Peucker-like tolerance in degrees.
    """
    out = units.copy()
    out.geometry = shapely.coverage_simplify(units.geometry.values, tolerance)
    return out
