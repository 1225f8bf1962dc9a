"""Geocoding: reported place names and coordinates resolved to admin units and points.

A row with coordinates is reverse-geocoded by point-in-polygon; a row with only a place name
is looked up in the gazetteer, using any province named in the same text as context. Nothing
is guessed: a name that fits several units is ``ambiguous``, one that fits none ``unmatched``,
and both keep their row with empty codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.boundaries import load_admin
from geo.gazetteer import KIND_ORDER, _BRACKETS, gazetteer, level_hint, normalise

ADMIN_FIELDS = ["admin1", "admin1_pcode", "admin2", "admin2_pcode"]


@dataclass(frozen=True)
class Match:
    """The outcome of resolving one reported place."""

    status: str  # "matched", "ambiguous" or "unmatched"
    entry: dict | None = None
    candidates: list[str] = field(default_factory=list)


def _province_codes(gaz: pd.DataFrame, text: str) -> set[str]:
    key = normalise(text)
    hits = gaz[(gaz["key"] == key) & (gaz["kind"] == "adm1")] if key else gaz.iloc[:0]
    return set(hits["admin1_pcode"])


def resolve_place(location: str, province: str | None = None, gaz: pd.DataFrame | None = None) -> Match:
    """Resolve one reported place to a gazetteer entry.

    Parameters
    ----------
    location
        The place as reported, e.g. ``"Nahr-e-Shahi district, Balkh province"``. Comma-separated
        parts are tried in order; the later ones also serve as province context.
    province
        An optional province name or P-code that restricts candidates.
    gaz
        The gazetteer; defaults to :func:`geo.gazetteer.gazetteer`.

    Returns
    -------
    Match
        ``matched`` with the entry, or ``ambiguous`` with the candidates, or ``unmatched``.
    """
    gaz = gazetteer() if gaz is None else gaz
    parts = [p.strip() for p in _BRACKETS.sub(" ", str(location)).split(",") if p.strip()]
    hint: set[str] = set()
    if province:
        hint = {province} if re.fullmatch(r"AF\d{2}", province) else _province_codes(gaz, province)
    for part in parts[1:]:
        hint |= _province_codes(gaz, part)
    for part in parts:
        key = normalise(part)
        cands = gaz[gaz["key"] == key] if key else gaz.iloc[:0]
        wanted = level_hint(part)
        if wanted and (cands["kind"] == wanted).any():
            cands = cands[cands["kind"] == wanted]
        if hint and cands["admin1_pcode"].isin(hint).any():
            cands = cands[cands["admin1_pcode"].isin(hint)]
        if cands.empty:
            continue
        best = next(k for k in KIND_ORDER if (cands["kind"] == k).any())
        top = cands[cands["kind"] == best]
        unit = "admin1_pcode" if best == "adm1" else "admin2_pcode"
        if top[unit].nunique() > 1:
            names = (top["name"] + " (" + top[unit] + ")").drop_duplicates().tolist()
            return Match("ambiguous", candidates=sorted(names))
        return Match("matched", entry=top.sort_values("population", ascending=False).iloc[0].to_dict())
    return Match("unmatched")


def _as_row(match: Match) -> dict:
    """A match as the columns geocoding fills."""
    if match.entry is None:
        empty = dict.fromkeys(ADMIN_FIELDS, "") | {"latitude": np.nan, "longitude": np.nan, "geo_precision": np.nan}
        return empty | {"match_status": match.status, "match_note": "; ".join(match.candidates)}
    entry = match.entry
    return {k: entry[k] for k in (*ADMIN_FIELDS, "latitude", "longitude", "geo_precision")} | {
        "match_status": match.status,
        "match_note": f"{entry['name']} ({entry['kind']})",
    }


def _reverse(frame: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """Admin fields for the rows under ``mask`` by point-in-polygon on the district layer."""
    pts = gpd.GeoDataFrame(
        index=frame.index[mask],
        geometry=gpd.points_from_xy(frame.loc[mask, "longitude"], frame.loc[mask, "latitude"]),
        crs=4326,
    )
    districts = load_admin(2)[[*ADMIN_FIELDS, "geometry"]]
    joined = pts.sjoin(districts, how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]  # a point on a shared edge: keep the first unit
    return joined[ADMIN_FIELDS]


def geocode(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill admin names, P-codes, coordinates and ``geo_precision`` of incident rows.

    Parameters
    ----------
    frame
        Incidents with a ``location`` column, and optionally ``latitude``/``longitude``
        (reverse-geocoded, kept as given) and ``admin1`` (used as province context).

    Returns
    -------
    pandas.DataFrame
        A copy with ``admin1``, ``admin1_pcode``, ``admin2``, ``admin2_pcode``, ``latitude``,
        ``longitude`` and ``geo_precision`` filled where the place resolves, plus two
        diagnostic columns: ``match_status`` (``matched``, ``coordinates``, ``ambiguous``,
        ``unmatched``, ``outside``) and ``match_note`` (what matched, or the candidates).
    """
    out = frame.copy()
    for col in ("latitude", "longitude", "geo_precision"):
        out[col] = pd.to_numeric(out[col], errors="coerce") if col in out else np.nan
    hint = out["admin1"] if "admin1" in out else pd.Series("", index=out.index)
    for col in ADMIN_FIELDS:
        out[col] = ""
    out["match_status"] = ""
    out["match_note"] = ""

    has_xy = out["latitude"].notna() & out["longitude"].notna()
    if has_xy.any():
        found = _reverse(out, has_xy)
        out.loc[has_xy, ADMIN_FIELDS] = found.fillna("").to_numpy()
        inside = found["admin2_pcode"].notna()
        out.loc[found.index[inside], "match_status"] = "coordinates"
        out.loc[found.index[~inside], "match_status"] = "outside"
        out.loc[found.index[~inside], "match_note"] = "coordinates fall outside every admin unit"
        out.loc[has_xy & out["geo_precision"].isna(), "geo_precision"] = 1

    todo = out.index[~has_xy]
    if len(todo):
        gaz = gazetteer()
        places = pd.DataFrame({"location": out.loc[todo, "location"].fillna(""), "hint": hint.loc[todo].fillna("")})
        distinct = places.drop_duplicates()
        # One gazetteer lookup per distinct (place, province) pair, then a join back to the rows.
        found = pd.DataFrame(
            [_as_row(resolve_place(loc, h or None, gaz)) for loc, h in zip(distinct["location"], distinct["hint"])],
            index=distinct.index,
        ).assign(location=distinct["location"], hint=distinct["hint"])
        joined = places.merge(found, on=["location", "hint"], how="left").set_axis(todo)
        fields = [*ADMIN_FIELDS, "latitude", "longitude", "geo_precision", "match_status", "match_note"]
        out.loc[todo, fields] = joined[fields]
    out["geo_precision"] = out["geo_precision"].astype("Int64")
    return out
