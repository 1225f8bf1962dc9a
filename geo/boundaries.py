"""Admin boundaries: find or fetch them, read any publisher's schema, check them, lighten them.

Where boundary files are looked for, first match wins:

1. ``$GEO_BOUNDARIES``: that folder only, searched recursively (nothing is ever downloaded);
2. files registered with ``geo boundaries add`` or downloaded by ``geo boundaries fetch``
   (newest first; the list is ``registry.json`` in the cache folder);
3. ``./boundaries`` in the working directory;
4. nothing installed at all: the default set (COD-AB Afghanistan) is fetched into the cache,
   once, as cartopy and geodatasets do on first use.

Boundary files are never copied into the repository (COD-AB for Afghanistan is restricted to
humanitarian use): they are read where they lie, zipped or not. The cache folder
(``$GEO_CACHE``, else the user cache folder from ``pooch.os_cache("geo")``) holds downloads, a
GeoParquet copy of every parsed file keyed by the file's sha256 (so parsing is paid once, not
once per process) and the simplified web geometry keyed by content and tolerance.

Every source is normalised to one model (see :mod:`geo._schemas`): ``level``, ``code``,
``name``, ``alt_names``, ``parent_code``, ``parent_name``, ``publisher``, ``licence`` and
``valid_from``, beside the columns the pipeline reads: ``admin{n}``, ``admin{n}_pcode``,
``admin{n}_alt`` and, for districts, ``admin1`` and ``admin1_pcode``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pooch
import pyogrio
import shapely

from geo import _fetch
from geo._errors import GeoError
from geo._fetch import brief, level_in_name
from geo._io import atomic_path, atomic_write_text
from geo._schemas import DEFAULT_LICENCE, LABELS, PUBLISHERS, detect, level_of, licence_in_metadata, normalise

ENV_VAR = "GEO_BOUNDARIES"
#: Cache folder (downloads, parsed GeoParquet, web geometry, registry); default ``pooch.os_cache("geo")``.
CACHE_ENV = "GEO_CACHE"
#: Set to 1 to never use the network: no download on first use, no 'geo boundaries fetch'.
OFFLINE_ENV = _fetch.OFFLINE_ENV
#: File types read through pyogrio, best first when a folder holds several for one level.
SUFFIXES = (".zip", ".shp", ".gpkg", ".geojson", ".json", ".parquet")
LEVELS = (0, 1, 2)
KINDS = {0: "country", 1: "province", 2: "district"}
#: What first use fetches when nothing is installed: publisher, country, levels.
DEFAULT_SET = ("cod-ab", "AFG", (0, 1, 2))
#: Simplification tolerance for map outlines, in degrees: about one screen pixel at zoom 8
#: (360° / 256 px / 2⁸ ≈ 0.0055°), where districts are read; see :func:`tolerance_for_zoom`.
WEB_TOLERANCE = 0.005
#: Web coordinates are rounded to this many decimals (1e-5° ≈ 1 m): short numbers in the HTML.
WEB_DECIMALS = 5
#: Equal-area CRS for areas and area shares (WGS 84 / NSIDC EASE-Grid 2.0 Global).
EQUAL_AREA = 6933
#: A unit lies in a parent when at least this share of its area is inside it.
MIN_SHARE = 0.99
#: Bump when the parsed model changes, so that old cache entries are ignored.
_PARSE_VERSION = "1"
_WEB_VERSION = "2"


@dataclass(frozen=True)
class BoundaryFile:
    """One boundary layer on disk: a file (and a layer inside it, for GeoPackages and
    multi-shapefile zips) holding the units of one admin level."""

    path: Path
    level: int
    layer: str | None = None
    #: ``"folder"`` (found by searching a folder) or ``"registered"`` (added or fetched).
    origin: str = "folder"
    #: Files added or fetched together share a group; a unit's parents are looked for there first.
    group: str = ""
    publisher: str | None = None
    licence: str | None = None
    valid_from: str | None = None

    @property
    def label(self) -> str:
        """The path, and the layer when the file holds several."""
        return f"{self.path} (layer {self.layer})" if self.layer else str(self.path)


# --- where boundaries are ------------------------------------------------------------------


def _env_folder() -> Path | None:
    """``$GEO_BOUNDARIES`` as an absolute path, or None; a relative one is read from the current
    folder at the call, as any relative path is (the CLI never changes folder)."""
    env = os.environ.get(ENV_VAR, "").strip()
    if not env:
        return None
    try:
        return Path(os.path.abspath(Path(env).expanduser()))
    except OSError:  # the current folder was deleted
        raise GeoError(f"${ENV_VAR}={env} is a relative path, but the current folder no longer exists; "
                       f"set {ENV_VAR} to an absolute path.") from None


def _env_label(where: Path) -> str:
    """Where ``$GEO_BOUNDARIES`` led, and how, for messages."""
    env = os.environ.get(ENV_VAR, "").strip()
    if Path(env).expanduser().is_absolute():
        return f"{where} (from ${ENV_VAR})"
    return f"{where} (from ${ENV_VAR}={env}, relative to the current folder)"


def boundaries_dir() -> Path:
    """Return the folder searched for boundary files: ``$GEO_BOUNDARIES`` or ``./boundaries``.

    A relative ``$GEO_BOUNDARIES`` is taken relative to the current folder.
    """
    return _env_folder() or Path.cwd() / "boundaries"


def cache_dir() -> Path:
    """Return the cache folder: ``$GEO_CACHE``, else the user cache folder for ``geo``."""
    env = os.environ.get(CACHE_ENV, "").strip()
    return Path(env).expanduser() if env else Path(pooch.os_cache("geo"))


def _registry_file() -> Path:
    return cache_dir() / "registry.json"


#: Fields of a registry entry other than ``path`` and ``level``: each is a string or null.
_REGISTRY_TEXT = ("layer", "publisher", "licence", "valid_from", "group", "url", "sha256", "verified",
                  "described_by", "added")


def _registry_problem(data: object) -> str | None:
    """What is wrong with the registry's content, or None: it is read, never trusted."""
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        return 'it is not {"files": [...]}'
    for n, entry in enumerate(data["files"], 1):
        if not isinstance(entry, dict):
            return f"entry {n} is not an object"
        if not isinstance(entry.get("path"), str) or not entry["path"]:
            return f"entry {n} has no file path"
        level = entry.get("level")
        if isinstance(level, bool) or level not in LEVELS:
            return f"entry {n} has the admin level {level!r}, not 0, 1 or 2"
        wrong = [k for k in _REGISTRY_TEXT if not isinstance(entry.get(k), (str, type(None)))]
        if wrong:
            return f"entry {n} has a {wrong[0]} that is not text"
    return None


def _registry() -> list[dict]:
    path = _registry_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        problem = brief(exc)
    else:
        problem = _registry_problem(data)
        if problem is None:
            return list(data["files"])
    raise GeoError(
        f"The boundary registry {path} cannot be used ({problem}); delete it and register the files again "
        "with 'geo boundaries add' or 'geo boundaries fetch'."
    )


def _save_registry(entries: list[dict]) -> None:
    try:
        atomic_write_text(_registry_file(), json.dumps({"files": entries}, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        reason = getattr(exc, "reason", "") or brief(exc)  # an OutputError says why in the system's words
        raise GeoError(f"Could not write the boundary registry {_registry_file()} ({reason}); "
                       f"set {CACHE_ENV} to a writable folder.") from None


def _register(entries: list[dict]) -> None:
    """Put ``entries`` first in the registry, replacing older entries for the same layers."""
    new = {(e["path"], e.get("layer")) for e in entries}
    _save_registry(entries + [e for e in _registry() if (e["path"], e.get("layer")) not in new])


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=256)
def _layers(path: Path, stamp: tuple[int, int]) -> tuple[str, ...]:
    try:
        return tuple(str(name) for name in pyogrio.list_layers(path)[:, 0])
    except (pyogrio.errors.DataSourceError, OSError, ValueError):
        return ()


def _folders(folder: Path) -> tuple[str, ...]:
    """``folder`` and every folder under it, as ``rglob`` walks them."""
    out, todo = [], [str(folder)]
    while todo:
        where = todo.pop()
        out.append(where)
        try:
            with os.scandir(where) as entries:
                todo += [e.path for e in entries if e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
    return tuple(out)


def _mtimes(folders: tuple[str, ...]) -> tuple[int | None, ...]:
    """Modification times of folders: a file added, removed or renamed in one changes its time."""
    out = []
    for where in folders:
        try:
            out.append(os.stat(where).st_mtime_ns)
        except OSError:
            out.append(None)
    return tuple(out)


#: The last scan of each folder, with the folders it walked and their modification times: every
#: gazetteer lookup asks where the boundary files are, and a stat per folder is far cheaper
#: than a scan (0.1 ms).
_SCANS: OrderedDict[Path, tuple[tuple[str, ...], tuple[int | None, ...], list[BoundaryFile]]] = OrderedDict()


def _scan(folder: Path) -> list[BoundaryFile]:
    """Boundary layers in ``folder`` (recursively), best first, recognised by name."""
    if not folder.is_dir():
        return []
    seen = _SCANS.get(folder)
    if seen is not None and _mtimes(seen[0]) == seen[1]:
        return list(seen[2])
    folders = _folders(folder)
    stamps = _mtimes(folders)  # before the scan: a change during it shows next time
    out = _scan_now(folder)
    # A folder changed in the last seconds may change again within its clock's resolution
    # (coarse on some file systems) without its time moving: such a scan is not kept.
    if all(t is not None and t < time.time_ns() - 2_000_000_000 for t in stamps):
        _SCANS[folder] = (folders, stamps, out)
        while len(_SCANS) > 32:
            _SCANS.popitem(last=False)
    return list(out)


def _scan_now(folder: Path) -> list[BoundaryFile]:
    found = [
        p for p in folder.rglob("*")
        if p.suffix.lower() in SUFFIXES and not p.name.startswith(".") and p.is_file()
    ]
    # Prefer the richer container, then the newest name (COD-AB names end in a date).
    found.sort(key=lambda p: (SUFFIXES.index(p.suffix.lower()), [-ord(c) for c in p.name]))
    out = []
    for path in found:
        level = level_in_name(path.name)
        if path.suffix.lower() in (".zip", ".gpkg"):
            layers = _layers(path, _stamp(path))
            if len(layers) > 1:  # a GeoPackage or zip holding every level: one entry per layer
                out += [BoundaryFile(path, lv, layer) for layer in layers if (lv := level_in_name(layer)) is not None]
                continue
            if level is None and layers:
                level = level_in_name(layers[0])
        if level is not None:
            out.append(BoundaryFile(path, level))
    return out


def _registered() -> list[BoundaryFile]:
    out = []
    for e in _registry():
        path = Path(e["path"])
        if path.is_file():
            out.append(BoundaryFile(path, int(e["level"]), e.get("layer"), "registered", e.get("group", ""),
                                    e.get("publisher"), e.get("licence"), e.get("valid_from")))
    return out


def _sources(folder: Path | None) -> tuple[list[BoundaryFile], str, bool]:
    """Every boundary layer visible, best first; where that was; whether first use may fetch."""
    if folder is not None:
        return _scan(folder), str(folder), False
    where = _env_folder()
    if where is not None:
        return _scan(where), _env_label(where), False
    local = Path.cwd() / "boundaries"
    where = f"{local}, the files registered in {_registry_file()} (${ENV_VAR} is not set)"
    return _registered() + _scan(local), where, not _fetch.offline()


def _missing_message(where: str, level: int) -> str:
    env = os.environ.get(ENV_VAR, "").strip()
    if env and not Path(env).expanduser().is_absolute():
        todo = (
            f"a relative {ENV_VAR} is read from the current folder, so set it to an absolute "
            f"path to run geo from anywhere, for example: export {ENV_VAR}=$PWD/../shared/boundaries "
            "(from the repository root)"
        )
    elif env:
        todo = (
            f"put boundary files there or set {ENV_VAR} to the folder that holds them, for example: "
            f"export {ENV_VAR}=../shared/boundaries (or unset it and run 'geo boundaries fetch')"
        )
    else:
        todo = (
            f"run 'geo boundaries fetch --source cod-ab --country AFG', register files with "
            f"'geo boundaries add PATH' or set {ENV_VAR} to the folder that holds them, for example: "
            f"export {ENV_VAR}=../shared/boundaries"
        )
    return (
        f"No admin level {level} boundary file (a name containing 'adm{level}', such as "
        f"afg_admbnda_adm{level}_agcho_20180522.zip, geoBoundaries-AFG-ADM{level}.geojson or "
        f"gadm41_AFG_{level}.json) was found in {where}; {todo}"
    )


def _auto_fetch() -> None:
    publisher, country, levels = DEFAULT_SET
    print(
        f"No admin boundaries are installed: fetching the default set ({LABELS[publisher]} {country}) "
        f"into {cache_dir()} (set {ENV_VAR} to use files you have, or {OFFLINE_ENV}=1 to never download)",
        file=sys.stderr,
    )
    try:
        fetch_boundaries(publisher, country, levels)
    except GeoError as exc:
        reason = str(exc).split(";")[0].rstrip(".")
        raise GeoError(
            f"No admin boundaries are installed and the default set ({LABELS[publisher]} {country}) could not "
            f"be fetched ({reason}); run 'geo boundaries fetch --source {publisher} --country {country}' once "
            f"online, or set {ENV_VAR} to a folder that holds boundary files"
        ) from None


def _find(level: int, folder: Path | None = None) -> BoundaryFile:
    files, where, may_fetch = _sources(folder)
    matches = [f for f in files if f.level == level]
    if not matches and not files and may_fetch:
        _auto_fetch()
        files, where, _ = _sources(folder)
        matches = [f for f in files if f.level == level]
    if not matches:
        raise GeoError(_missing_message(where, level))
    return matches[0]


def find_boundary_file(level: int, folder: Path | None = None) -> Path:
    """Return the boundary file for admin ``level`` (0 = country, 1 = provinces, 2 = districts).

    Parameters
    ----------
    level
        0, 1 or 2.
    folder
        Where to look (recursively); defaults to ``$GEO_BOUNDARIES``, else the registered
        files and ``./boundaries`` (and, when nothing at all is installed, the default set is
        fetched first).

    Raises
    ------
    GeoError
        When no file for that level is there, saying where it looked and what to do.
    """
    return _find(level, folder).path


def _parent_of(unit_file: BoundaryFile, folder: Path | None) -> BoundaryFile | None:
    """The layer one level up that goes with ``unit_file``: same group, then same folder, then any."""
    if unit_file.level == 0:
        return None
    files, _, _ = _sources(folder)
    if unit_file.origin == "registered" and folder is None and os.environ.get(ENV_VAR, "").strip():
        files = _registered() + files
    ups = [f for f in files if f.level == unit_file.level - 1]
    if not ups:
        return None
    ups.sort(key=lambda f: (not (unit_file.group and f.group == unit_file.group),
                            f.path.parent != unit_file.path.parent))
    return ups[0]


# --- reading and normalising ---------------------------------------------------------------


@lru_cache(maxsize=64)
def _digest(path: Path, stamp: tuple[int, int]) -> str:
    """sha256 of a file (for a bare shapefile, of all its sidecar files too)."""
    digest = hashlib.sha256()
    parts = [path]
    if path.suffix.lower() == ".shp":
        parts += [path.with_suffix(s) for s in (".shx", ".dbf", ".prj", ".cpg") if path.with_suffix(s).is_file()]
    for part in parts:
        with open(part, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _cache_key(unit_file: BoundaryFile, folder: Path | None) -> str:
    parent = _parent_of(unit_file, folder)
    parts = [
        _PARSE_VERSION, _digest(unit_file.path, _stamp(unit_file.path)), unit_file.layer or "",
        str(unit_file.level), unit_file.publisher or "", unit_file.licence or "", unit_file.valid_from or "",
        _cache_key(parent, folder) if parent else "",
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _read_any(path: Path, layer: str | None = None, **kwargs) -> gpd.GeoDataFrame:
    """Read a layer through pyogrio; GeoParquet through pyarrow (GDAL wheels often lack its driver)."""
    if path.suffix.lower() == ".parquet":
        frame = gpd.read_parquet(path)
        return frame.head(kwargs["max_features"]) if "max_features" in kwargs else frame
    return gpd.read_file(path, layer=layer, engine="pyogrio", use_arrow=True, **kwargs)


def _read_raw(unit_file: BoundaryFile) -> gpd.GeoDataFrame:
    try:
        raw = _read_any(unit_file.path, unit_file.layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, shapely.errors.GEOSException,
            OSError, ValueError) as exc:  # GEOS: coordinates that make no ring (a corrupt .shp)
        raise GeoError(f"Could not read the boundary file {unit_file.label} ({brief(exc)}).") from None
    if raw.empty:
        raise GeoError(f"The boundary file {unit_file.label} has no features.")
    missing = np.flatnonzero(shapely.is_missing(np.asarray(raw.geometry.values)))
    if len(missing):  # a truncated .shp reads as features without geometry
        raise GeoError(
            f"The boundary file {unit_file.label} is truncated or corrupt: {len(missing)} of its {len(raw)} "
            f"features have no geometry (feature {', '.join(str(i + 1) for i in missing[:3])}"
            f"{'…' if len(missing) > 3 else ''})."
        )
    return raw


def area_shares(units: gpd.GeoDataFrame, parents: gpd.GeoDataFrame) -> pd.DataFrame:
    """The share of each unit's area inside each parent it overlaps.

    Parameters
    ----------
    units, parents
        Polygons in any CRS (areas are computed in an equal-area CRS, EPSG:6933).

    Returns
    -------
    pandas.DataFrame
        ``unit`` and ``parent`` (row positions) and ``share`` (0–1), one row per overlapping
        pair. Units covered by a parent are found with a spatial-index predicate; only the
        others are intersected.
    """
    geoms = units.geometry.values
    covered_u, covered_p = parents.sindex.query(geoms, predicate="covered_by")
    rows = [pd.DataFrame({"unit": covered_u, "parent": covered_p, "share": 1.0})]
    rest = np.setdiff1d(np.arange(len(units)), covered_u)
    if len(rest):
        u, p = parents.sindex.query(geoms[rest], predicate="intersects")
        u = rest[u]
        unit_area = units.iloc[u].geometry.to_crs(EQUAL_AREA).values
        parent_area = parents.iloc[p].geometry.to_crs(EQUAL_AREA).values
        with np.errstate(invalid="ignore", divide="ignore"):
            share = shapely.area(shapely.intersection(unit_area, parent_area)) / shapely.area(unit_area)
        rows.append(pd.DataFrame({"unit": u, "parent": p, "share": share}))
    out = pd.concat(rows, ignore_index=True)
    return out[out["share"] > 1e-9].reset_index(drop=True)


def check_hierarchy(units: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, min_share: float = MIN_SHARE) -> pd.DataFrame:
    """Units that do not lie in exactly one parent, by code and by geometry.

    Parameters
    ----------
    units
        Units of one level in the model (``code``, ``name``, ``parent_code``).
    parents
        Units one level up (``code``, ``name``).
    min_share
        A unit lies in a parent when at least this share of its area is inside it.

    Returns
    -------
    pandas.DataFrame
        One row per mismatch: ``code``, ``name``, ``parent_code`` (by code),
        ``parent_by_geometry`` (the parent holding most of its area), ``share`` (of its area
        in that parent) and ``problem``; empty when the hierarchy holds.
    """
    shares = area_shares(units, parents)
    best = shares.sort_values("share", ascending=False, kind="stable").drop_duplicates("unit").set_index("unit")
    out = pd.DataFrame({
        "code": units["code"].to_numpy(),
        "name": units["name"].to_numpy(),
        "parent_code": units["parent_code"].to_numpy(),
    })
    geo_parent = pd.Series(parents["code"].to_numpy()[best["parent"].to_numpy()], index=best.index)
    out["parent_by_geometry"] = geo_parent.reindex(out.index).fillna("")
    out["share"] = best["share"].reindex(out.index).fillna(0.0).round(4)
    known = out["parent_code"].isin(set(parents["code"]))
    # Overlapping parents can each hold (nearly) all of a unit: that is not "exactly one" either.
    holders = shares[shares["share"] >= min_share].groupby("unit").size().reindex(out.index, fill_value=0)
    problem = pd.Series("", index=out.index)
    problem = problem.mask(out["parent_code"] != out["parent_by_geometry"], "parent by code and by geometry differ")
    problem = problem.mask(holders > 1, "within several parents")
    problem = problem.mask(out["share"] < min_share, "not within one parent")
    problem = problem.mask(out["share"] == 0, "outside every parent")
    problem = problem.mask(~known, "unknown parent code")
    out["problem"] = problem
    return out[problem != ""].reset_index(drop=True)


def _repair(geometry: np.ndarray) -> tuple[np.ndarray, int]:
    invalid = ~shapely.is_valid(geometry) & ~shapely.is_missing(geometry)
    if invalid.any():
        geometry = geometry.copy()
        # "structure" keeps polygons polygonal (no stray lines or points from the repair).
        geometry[invalid] = shapely.make_valid(geometry[invalid], method="structure", keep_collapsed=False)
    return geometry, int(invalid.sum())


def _parse(unit_file: BoundaryFile, folder: Path | None) -> gpd.GeoDataFrame:
    """Read one layer and normalise it: schema, CRS, repairs, parents, hierarchy check."""
    level, label = unit_file.level, unit_file.label
    raw = _read_raw(unit_file)
    publisher = detect(list(raw.columns), level, label)
    if raw.crs is None:
        raise GeoError(f"The boundary file {label} has no coordinate reference system (no .prj or CRS).")
    source_crs = raw.crs.to_string()
    if raw.crs.to_epsg() != 4326:
        raw = raw.to_crs(4326)
    geometry, repaired = _repair(np.asarray(raw.geometry.values))
    model = normalise(raw.drop(columns=raw.geometry.name), publisher, level, unit_file.path)
    units = gpd.GeoDataFrame(model, geometry=geometry, crs=4326)

    needs_parent = level > 0 and (units["parent_code"] == "").all()
    parent_file = _parent_of(unit_file, folder)
    parents = None
    if parent_file is not None:
        try:
            parents = _units(parent_file, folder)
        except GeoError:
            if needs_parent:
                raise
    if needs_parent:
        if parents is None:
            raise GeoError(
                f"The {LABELS[publisher]} file {label} does not name the parent of its units and no "
                f"admin level {level - 1} file was found beside it to assign them by geometry; add that file too."
            )
        best = area_shares(units, parents).sort_values("share", ascending=False, kind="stable").drop_duplicates("unit")
        units.loc[best["unit"].to_numpy(), "parent_code"] = parents["code"].to_numpy()[best["parent"].to_numpy()]
    mismatches = None
    if parents is not None:
        names = dict(zip(parents["code"], parents["name"]))
        units["parent_name"] = units["parent_code"].map(names).fillna(units["parent_name"]).astype("string")
        mismatches = check_hierarchy(units, parents)
    units["publisher"] = publisher
    units["licence"] = unit_file.licence or licence_in_metadata(unit_file.path, unit_file.layer) or DEFAULT_LICENCE[publisher]
    units["valid_from"] = units["valid_from"].mask(units["valid_from"] == "", unit_file.valid_from or "")

    n = level
    compat = pd.DataFrame({
        f"admin{n}": units["name"].astype(str),
        f"admin{n}_pcode": units["code"].astype(str),
        f"admin{n}_alt": units["alt_names"].map(list),
    })
    if level == 2:
        compat["admin1"] = units["parent_name"].astype(str)
        compat["admin1_pcode"] = units["parent_code"].astype(str)
    model_cols = ["level", "code", "name", "alt_names", "parent_code", "parent_name", "publisher", "licence", "valid_from"]
    out = gpd.GeoDataFrame(
        pd.concat([compat, pd.DataFrame(units[model_cols]).astype({c: str for c in model_cols if c not in ("level", "alt_names")})], axis=1),
        geometry=units.geometry.values, crs=4326,
    )
    out = out.sort_values(f"admin{n}_pcode", ignore_index=True, kind="stable")
    out.attrs.update({
        "source": str(unit_file.path),
        "layer": unit_file.layer or "",
        "publisher": publisher,
        "source_crs": source_crs,
        "repaired": repaired,
        "duplicate_codes": int(out["code"].duplicated().sum()),
        "hierarchy_checked": mismatches is not None,
        "hierarchy_mismatches": 0 if mismatches is None else len(mismatches),
        "parent_source": "" if mismatches is None else parent_file.label,
    })
    return out


_MEMO: OrderedDict[tuple, gpd.GeoDataFrame] = OrderedDict()
_MEMO_SIZE = 8


def _memo_get(store: OrderedDict, key: object):
    hit = store.get(key)
    if hit is not None:
        store.move_to_end(key)
    return hit


def _memo_put(store: OrderedDict, key: object, value: object, size: int = _MEMO_SIZE) -> None:
    store[key] = value
    store.move_to_end(key)
    while len(store) > size:
        store.popitem(last=False)


#: What a parsed-layer cache entry's ``.json`` holds, and the type of each value.
_CACHE_ATTRS = {"source": str, "layer": str, "publisher": str, "source_crs": str, "repaired": int,
                "duplicate_codes": int, "hierarchy_checked": bool, "hierarchy_mismatches": int,
                "parent_source": str, "cache_key": str}
_MODEL_COLUMNS = ["level", "code", "name", "alt_names", "parent_code", "parent_name", "publisher", "licence",
                  "valid_from"]


def _valid_cache_entry(units: gpd.GeoDataFrame, attrs: object, level: int) -> bool:
    """Whether a parsed-layer cache entry is what :func:`_parse` writes for ``level``.

    The cache folder is the user's, not ours: an entry left by another version, cut short,
    swapped or edited is rebuilt rather than trusted.
    """
    if not isinstance(attrs, dict) or any(
        not isinstance(attrs.get(k), t) or (t is int and isinstance(attrs.get(k), bool))
        for k, t in _CACHE_ATTRS.items()
    ):
        return False
    columns = [f"admin{level}", f"admin{level}_pcode", f"admin{level}_alt", *_MODEL_COLUMNS]
    if level == 2:
        columns += ["admin1", "admin1_pcode"]
    if units.empty or any(c not in units.columns for c in columns) or units.crs is None or units.crs.to_epsg() != 4326:
        return False
    geoms = np.asarray(units.geometry.values)
    return bool(
        pd.api.types.is_integer_dtype(units["level"]) and (units["level"] == level).all()
        and units["code"].map(type).eq(str).all()
        and np.isin(shapely.get_type_id(geoms), (3, 6)).all()  # every unit a (multi)polygon
    )


def _read_parquet_cache(path: Path, level: int) -> gpd.GeoDataFrame | None:
    meta = path.with_suffix(".json")
    try:
        attrs = json.loads(meta.read_text(encoding="utf-8"))
        units = gpd.read_parquet(path)
    except (OSError, ValueError, shapely.errors.GEOSException):
        return None
    if not _valid_cache_entry(units, attrs, level):
        return None
    for col in [c for c in units.columns if c.endswith("_alt") or c == "alt_names"]:
        units[col] = units[col].map(list)  # parquet gives arrays back; the pipeline expects lists
    units.attrs.update(attrs)
    return units


def _write_parquet_cache(units: gpd.GeoDataFrame, path: Path) -> None:
    try:
        with atomic_path(path.with_suffix(".json")) as tmp:
            tmp.write_text(json.dumps(units.attrs), encoding="utf-8")
        with atomic_path(path) as tmp:  # written last: its presence means the entry is complete
            units.to_parquet(tmp)
    except OSError:
        pass  # a read-only cache only costs speed


def _units(unit_file: BoundaryFile, folder: Path | None) -> gpd.GeoDataFrame:
    """The parsed units of one layer: from memory, else the GeoParquet cache, else the file."""
    parent = _parent_of(unit_file, folder)
    memo_key = (unit_file, _stamp(unit_file.path), parent, _stamp(parent.path) if parent else None)
    units = _memo_get(_MEMO, memo_key)
    if units is None:
        key = _cache_key(unit_file, folder)
        cached = cache_dir() / "parsed" / f"{key}.parquet"
        units = _read_parquet_cache(cached, unit_file.level)
        if units is None:
            units = _parse(unit_file, folder)
            units.attrs["cache_key"] = key
            _write_parquet_cache(units, cached)
        else:  # the cache is keyed by content: the same file may now lie elsewhere
            units.attrs["source"] = str(unit_file.path)
        _memo_put(_MEMO, memo_key, units)
    return units


def load_admin(level: int, folder: Path | None = None) -> gpd.GeoDataFrame:
    """Load the admin units of ``level`` from whichever publisher's files are installed.

    Parameters
    ----------
    level
        0 for the country, 1 for provinces, 2 for districts.
    folder
        Where the files are; defaults to ``$GEO_BOUNDARIES``, else the registered files and
        ``./boundaries`` (fetching the default set on first use when nothing is installed).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, one row per unit, sorted by code, with ``admin{level}``,
        ``admin{level}_pcode``, ``admin{level}_alt`` (other spellings, Dari included) and, for
        districts, the parent ``admin1`` and ``admin1_pcode``; then the normalised model
        ``level``, ``code``, ``name``, ``alt_names``, ``parent_code``, ``parent_name``,
        ``publisher``, ``licence``, ``valid_from``. ``.attrs`` says where it came from, how
        many invalid geometries were repaired with ``make_valid`` (``repaired``) and how many
        units break the hierarchy (``hierarchy_mismatches``, see :func:`check_hierarchy`).
    """
    if level not in LEVELS:
        raise GeoError(f"Admin level must be 0 (country), 1 (provinces) or 2 (districts), not {level}.")
    return _units(_find(level, folder), folder).copy()


def forget_loaded() -> None:
    """Drop the boundaries parsed or simplified in this process (the disk cache stays).

    For benchmarks and tests that measure a cold start in one process.
    """
    _MEMO.clear()
    _WEB_MEMO.clear()
    _layers.cache_clear()
    _digest.cache_clear()


# --- web geometry --------------------------------------------------------------------------


def tolerance_for_zoom(zoom: float) -> float:
    """Simplification tolerance, in degrees, of one screen pixel at web-map ``zoom``.

    A 256-pixel tile spans 360° of longitude at zoom 0, half that at each zoom level up.
    """
    return 360.0 / (256 * 2.0**zoom)


_WEB_MEMO: OrderedDict[str, np.ndarray] = OrderedDict()


def _geometry_key(geoms: np.ndarray, *params: object) -> str:
    wkb = shapely.to_wkb(geoms)
    digest = hashlib.sha256()
    for item in wkb:
        digest.update(item if item is not None else b"-")
        digest.update(b"\0")
    digest.update("|".join(map(repr, (_WEB_VERSION, *params))).encode())
    return digest.hexdigest()[:32]


def web_geometry(
    units: gpd.GeoDataFrame, tolerance: float = WEB_TOLERANCE, decimals: int | None = WEB_DECIMALS
) -> gpd.GeoDataFrame:
    """Simplify ``units`` as a coverage, so neighbours keep their shared edges (no gaps, no slivers).

    The result is cached in memory and on disk, keyed by the geometry's content and the
    parameters: the second call (and the next process) pays nothing.

    Parameters
    ----------
    units
        Admin units of one level, edge-matched as COD-AB files are.
    tolerance
        Douglas-Peucker-like tolerance in degrees (see :func:`tolerance_for_zoom`).
    decimals
        Coordinates are then rounded to this many decimals (``None`` keeps them). Rounding,
        unlike snapping to a grid with ``set_precision``, maps a shared vertex to the same
        point in both neighbours and changes no topology, so it opens no gaps; if it ever made
        a geometry invalid, the unrounded coverage is kept.
    """
    geoms = np.asarray(units.geometry.values)
    key = _geometry_key(geoms, tolerance, decimals)
    simplified = _memo_get(_WEB_MEMO, key)
    if simplified is None:
        path = cache_dir() / "web" / f"{key}.parquet"
        try:
            simplified = np.asarray(gpd.read_parquet(path).geometry.values)
            # An entry of another shape (cut short, swapped, edited) is rebuilt, not trusted.
            if len(simplified) != len(geoms) or not np.isin(shapely.get_type_id(simplified), (-1, 3, 6, 7)).all():
                raise ValueError("not the outlines of these units")
        except (OSError, ValueError, shapely.errors.GEOSException):
            simplified = shapely.coverage_simplify(geoms, tolerance)
            if decimals is not None:
                rounded = shapely.transform(simplified, lambda xy: np.round(xy, decimals))
                if shapely.is_valid(rounded[~shapely.is_missing(rounded)]).all():
                    simplified = rounded
            try:
                with atomic_path(path) as tmp:
                    gpd.GeoDataFrame(geometry=simplified, crs=units.crs).to_parquet(tmp)
            except OSError:
                pass
        _memo_put(_WEB_MEMO, key, simplified)
    out = units.copy()
    out[units.geometry.name] = gpd.GeoSeries(simplified, index=units.index, crs=units.crs)
    return out


def load_web_admin(level: int, tolerance: float | None = None, folder: Path | None = None) -> gpd.GeoDataFrame:
    """:func:`load_admin` with its outlines simplified for the web (cached: see :func:`web_geometry`).

    Parameters
    ----------
    level
        0, 1 or 2.
    tolerance
        In degrees; default :data:`WEB_TOLERANCE` (about a pixel at zoom 8).
    folder
        As for :func:`load_admin`.
    """
    return web_geometry(load_admin(level, folder), WEB_TOLERANCE if tolerance is None else tolerance)


def coverage_report(units: gpd.GeoDataFrame) -> dict:
    """How clean a coverage is: vertices, overlaps and enclosed gaps, in km².

    Returns
    -------
    dict
        ``vertices``; ``valid_coverage`` (shapely's ``coverage_is_valid``: no overlaps and
        matching shared edges); ``overlap_km2`` (sum of unit areas minus the area of their
        union); ``gap_km2`` (area of the holes in their union, i.e. slivers no unit covers).
    """
    geoms = np.asarray(units.geometry.values)
    area = gpd.GeoSeries(geoms, crs=units.crs).to_crs(EQUAL_AREA)
    union = shapely.union_all(area.values)
    holes = shapely.get_parts(union)
    gap = sum(shapely.area(shapely.polygons(list(p.interiors))).sum() for p in holes if len(p.interiors))
    return {
        "vertices": int(shapely.get_num_coordinates(geoms).sum()),
        "valid_coverage": bool(shapely.coverage_is_valid(geoms)),
        "overlap_km2": float(area.area.sum() - union.area) / 1e6,
        "gap_km2": float(gap) / 1e6,
    }


# --- what is installed, one unit, registering and fetching ---------------------------------


_LAYER_COLUMNS = ["level", "in_use", "publisher", "features", "licence", "valid_from", "repaired", "hierarchy",
                  "origin", "path", "layer", "error"]


def describe(unit_file: BoundaryFile, folder: Path | None = None) -> dict:
    """One boundary layer as :func:`installed` lists it (``in_use`` left false)."""
    row = {"level": unit_file.level, "in_use": False, "publisher": "", "features": 0, "licence": "",
           "valid_from": "", "repaired": 0, "hierarchy": "", "origin": unit_file.origin,
           "path": str(unit_file.path), "layer": unit_file.layer or "", "error": ""}
    try:
        units = _units(unit_file, folder)
    except GeoError as exc:
        return row | {"error": str(exc)}
    checked = units.attrs["hierarchy_checked"]
    return row | {
        "publisher": units.attrs["publisher"], "features": len(units), "licence": units["licence"].iloc[0],
        "valid_from": units["valid_from"].iloc[0], "repaired": units.attrs["repaired"],
        "hierarchy": f"{units.attrs['hierarchy_mismatches']} mismatches" if checked else "",
    }


def installed(folder: Path | None = None) -> pd.DataFrame:
    """Every boundary layer visible, in the order they are picked.

    Returns
    -------
    pandas.DataFrame
        ``level``, ``in_use`` (the layer :func:`load_admin` reads for that level),
        ``publisher``, ``features``, ``licence``, ``valid_from``, ``repaired``,
        ``hierarchy`` (mismatches against the level above, or empty when not checked),
        ``origin``, ``path``, ``layer`` and ``error`` (why a layer cannot be read).
    """
    files, _, _ = _sources(folder)
    seen: set[int] = set()
    rows = []
    for f in files:
        rows.append(describe(f, folder) | {"in_use": f.level not in seen})
        seen.add(f.level)
    return pd.DataFrame(rows, columns=_LAYER_COLUMNS)


def unit_info(query: str, level: int | None = None, folder: Path | None = None) -> list[dict]:
    """Find units by code or by any of their names, and describe each.

    Parameters
    ----------
    query
        A code (``AF2102``; exact, any case) or a name in any spelling the files carry
        (``Nahr-e-Shahi``, ``نهر شاهی``; "district"/"province" narrow the level).
    level
        Only this admin level.
    folder
        As for :func:`load_admin`.

    Returns
    -------
    list of dict
        Per unit: ``level``, ``kind``, ``code``, ``name``, ``alt_names``, ``parent_code``,
        ``parent_name``, ``area_km2`` (in EPSG:6933, equal-area), ``neighbours`` (units of the
        same level sharing a border, as ``(code, name)``), ``publisher``, ``licence``,
        ``valid_from`` and ``source``.
    """
    from geo.gazetteer import level_hint, normalise  # the gazetteer builds on this module

    hint = {"adm1": 1, "adm2": 2}.get(level_hint(query) or "")
    if level is not None:
        levels = [level]
    else:
        files, _, _ = _sources(folder)
        levels = sorted({f.level for f in files}) or [1, 2]
    key, wanted = normalise(query), query.strip().casefold()
    out = []
    for lv in levels:
        units = load_admin(lv, folder)
        hits = units.index[units["code"].str.casefold() == wanted]
        if not len(hits) and (hint is None or hint == lv) and key:
            every = pd.Series([[n, *alt] for n, alt in zip(units["name"], units["alt_names"])], index=units.index)
            keys = every.explode().map(normalise)
            hits = keys.index[keys == key].unique()
        if not len(hits):
            continue
        areas = units.geometry.iloc[hits].to_crs(EQUAL_AREA).area / 1e6
        near_unit, near = units.sindex.query(units.geometry.values[hits], predicate="intersects")
        for i, idx in enumerate(hits):
            row = units.loc[idx]
            others = units.iloc[near[(near_unit == i) & (near != idx)]].sort_values("name")
            out.append({
                "level": lv, "kind": KINDS.get(lv, f"admin level {lv}"), "code": row["code"], "name": row["name"],
                "alt_names": list(row["alt_names"]), "parent_code": row["parent_code"],
                "parent_name": row["parent_name"], "area_km2": round(float(areas.iloc[i]), 1),
                "neighbours": list(zip(others["code"], others["name"])), "publisher": row["publisher"],
                "licence": row["licence"], "valid_from": row["valid_from"], "source": units.attrs["source"],
            })
    if not out:
        raise GeoError(f"No admin unit has the code or name '{query}'; 'geo boundaries list' shows what is installed.")
    return out


def _describe_layers(path: Path) -> list[tuple[str | None, int, str]]:
    """(layer, level, publisher) of each boundary layer in a file, read from its columns."""
    layers = _layers(path, _stamp(path))
    found = []
    for layer in (layers if len(layers) > 1 else [None]):
        label = f"{path} (layer {layer})" if layer else str(path)
        try:
            sample = _read_any(path, layer, max_features=1)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, shapely.errors.GEOSException,
                OSError, ValueError) as exc:
            raise GeoError(f"Could not read {label} ({brief(exc)}).") from None
        level = level_of(list(sample.columns), sample)
        if level is None:
            level = level_in_name(layer or path.name)
        if level is None:
            if layer:
                continue  # not a boundary layer
            raise GeoError(
                f"Could not tell the admin level of {label} from its columns or its name; "
                "rename it with adm0, adm1 or adm2 in the name."
            )
        found.append((layer, level, detect(list(sample.columns), level, label)))
    if not found:
        raise GeoError(f"No layer of {path} holds admin boundaries.")
    return found


def add_boundaries(paths: list[Path], licence: str | None = None, valid_from: str | None = None) -> list[BoundaryFile]:
    """Register local boundary files (read in place, never copied) and check that they load.

    Parameters
    ----------
    paths
        Shapefiles (zipped or not), GeoJSON, GeoPackage or GeoParquet files of any publisher.
    licence, valid_from
        What to record when the files do not say.

    Returns
    -------
    list of BoundaryFile
        One per layer registered. They are used when ``$GEO_BOUNDARIES`` is not set.
    """
    group = f"add-{time.time_ns()}"
    entries = []
    for path in paths:
        path = Path(path).expanduser().resolve()
        if not path.is_file() or path.suffix.lower() not in SUFFIXES:
            raise GeoError(f"{path} is not a boundary file geo reads (a {', '.join(SUFFIXES)} file).")
        for layer, level, publisher in _describe_layers(path):
            entries.append({"path": str(path), "layer": layer, "level": level, "publisher": publisher,
                            "licence": licence, "valid_from": valid_from, "group": group,
                            "added": time.strftime("%Y-%m-%dT%H:%M:%S")})
    return _register_and_check(entries)


def _register_and_check(entries: list[dict]) -> list[BoundaryFile]:
    before = _registry()
    _register(entries)
    try:
        mine = [f for f in _registered() if f.group == entries[0]["group"]]
        for f in mine:  # parse now: a file that cannot be read is not registered
            _units(f, None)
    except GeoError:
        _save_registry(before)
        raise
    return mine


def fetch_boundaries(
    source: str, country: str, levels: tuple[int, ...] = (0, 1, 2), progress: bool = True
) -> list[BoundaryFile]:
    """Download boundaries from a publisher into the cache, verified, and register them.

    Parameters
    ----------
    source
        ``cod-ab`` (OCHA, through HDX's CKAN API), ``geoboundaries`` (gbOpen API) or ``gadm``
        (versioned download paths).
    country
        ISO 3166 alpha-3 code, e.g. ``AFG``.
    levels
        Admin levels to fetch (for geoBoundaries, districts bring their provinces: geoBoundaries
        district files name no parent, so parents come by geometry).
    progress
        Show a progress bar (on stderr) per file.

    Returns
    -------
    list of BoundaryFile
        What was registered. Checksums: a sha256 pinned in ``geo/data/boundary_checksums.csv``,
        else the hash the publisher's API gives, else the sha256 recorded when the same URL was
        first fetched; the registry records each file's sha256 and how it was verified.
    """
    if source not in PUBLISHERS:
        raise GeoError(f"Unknown boundary source '{source}'; use one of {', '.join(PUBLISHERS)}.")
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad:
        raise GeoError(f"Admin levels are 0, 1 and 2, not {', '.join(map(str, bad))}.")
    if source == "geoboundaries":  # its districts name no parent: the provinces are needed to place them
        levels = tuple(sorted(set(levels) | {lv - 1 for lv in levels if lv >= 2}))
    resources = _fetch.resolve(source, country, tuple(levels))
    recorded = {e["url"]: e["sha256"] for e in _registry() if e.get("url") and e.get("sha256")}
    for i, res in enumerate(resources):
        if not res.known_hash and res.url in recorded:  # trust on first use, verify ever after
            resources[i] = replace(res, known_hash=f"sha256:{recorded[res.url]}", hash_from="recorded at the first fetch")
    folder = cache_dir() / "downloads" / source / country.upper()
    paths = _fetch.download(resources, folder, progress=progress)
    group = f"fetch-{source}-{country.upper()}-{time.time_ns()}"
    entries = []
    for res, path in zip(resources, paths):
        layers = [(None, res.levels[0])] if len(res.levels) == 1 and len(_layers(path, _stamp(path))) <= 1 else [
            (layer, level) for layer, level, _ in _describe_layers(path)
        ]
        for layer, level in layers:
            if level not in levels:
                continue
            entries.append({
                "path": str(path.resolve()), "layer": layer, "level": level, "publisher": source,
                "licence": res.licence, "valid_from": res.valid_from, "group": group, "url": res.url,
                "sha256": _digest(path.resolve(), _stamp(path)), "verified": res.hash_from or "no checksum published: sha256 recorded",
                "described_by": res.described_by, "added": time.strftime("%Y-%m-%dT%H:%M:%S"),
            })
    if not entries:
        raise GeoError(f"The files {LABELS[source]} gave for {country.upper()} hold none of the admin levels asked for.")
    registered = _register_and_check(entries)
    published = {str(p.resolve()): r.extra.get("features") for r, p in zip(resources, paths)}
    for f in registered:  # geoBoundaries states how many units a file holds: say when it does not
        expected, got = published.get(str(f.path)), len(_units(f, None))
        if expected is not None and expected != got:
            print(f"warning: {LABELS[source]} says {f.path.name} holds {expected} units; it holds {got}", file=sys.stderr)
    return registered


def registry_entries() -> list[dict]:
    """The registered boundary files (``geo boundaries add``/``fetch``), newest first."""
    return _registry()


__all__ = [
    "BoundaryFile", "CACHE_ENV", "ENV_VAR", "OFFLINE_ENV", "WEB_TOLERANCE", "add_boundaries", "area_shares",
    "boundaries_dir", "cache_dir", "check_hierarchy", "coverage_report", "fetch_boundaries",
    "describe", "find_boundary_file", "forget_loaded", "installed", "load_admin", "load_web_admin", "registry_entries",
    "tolerance_for_zoom", "unit_info", "web_geometry",
]
