"""Tables to text: CSV, JSON and GeoJSON as the CLI prints them."""

from __future__ import annotations

import json

import pandas as pd

from geo._errors import GeoError

FORMATS = ("csv", "json", "geojson")


def _records(frame: pd.DataFrame) -> list[dict]:
    # to_json then loads: pandas turns NA/NaN into null and numpy scalars into JSON numbers.
    return json.loads(frame.to_json(orient="records", force_ascii=False))


def format_table(frame: pd.DataFrame, fmt: str, *, points: bool = False) -> str:
    """Render ``frame`` as ``csv``, ``json`` (a list of records) or ``geojson`` (needs ``points``).

    Parameters
    ----------
    frame
        The table.
    fmt
        ``"csv"``, ``"json"`` or ``"geojson"``.
    points
        When true, ``latitude``/``longitude`` columns make GeoJSON point geometries.
    """
    if fmt == "csv":
        return frame.to_csv(index=False, lineterminator="\n")
    if fmt == "json":
        return json.dumps(_records(frame), ensure_ascii=False, indent=2) + "\n"
    if fmt == "geojson" and points:
        features = []
        for rec in _records(frame):
            lat, lon = rec.get("latitude"), rec.get("longitude")
            geometry = {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
            features.append({"type": "Feature", "geometry": geometry, "properties": rec})
        return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False) + "\n"
    allowed = FORMATS if points else FORMATS[:2]
    raise GeoError(f"Unknown format '{fmt}'; use one of {', '.join(allowed)}.")
