"""Tables to text: CSV, JSON and GeoJSON as the CLI prints them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from geo._errors import GeoError

if TYPE_CHECKING:  # the CLI reads the format names before any command needs pandas
    import pandas as pd

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


# --- files for GIS and spreadsheets ----------------------------------------------------------
#: Formats written to a file only (binary): GeoPackage for QGIS, xlsx for Excel.
FILE_FORMATS = ("gpkg", "xlsx")
#: Formats that carry geometries: point incidents, or the polygons of the admin units counted.
GEO_FORMATS = ("geojson", "gpkg")
#: What an output file's suffix means when no --format is given.
SUFFIX_FORMATS = {".csv": "csv", ".json": "json", ".geojson": "geojson", ".gpkg": "gpkg", ".xlsx": "xlsx"}


def check_format(fmt: str, allowed: tuple[str, ...], out: object | None = None) -> str:
    """Validate ``fmt`` before any work is done: known, and given a file when it is binary.

    Raises
    ------
    GeoError
        When ``fmt`` is not in ``allowed``, or is a file format and ``out`` is missing or ``-``.
    """
    fmt = fmt.strip().lower()
    if fmt not in allowed:
        raise GeoError(f"Unknown format '{fmt}'; use one of {', '.join(allowed)}.")
    if fmt in FILE_FORMATS and (out is None or str(out) == "-"):
        raise GeoError(f"--format {fmt} writes a file: give its path with --out (e.g. --out incidents.{fmt}).")
    return fmt


def points_frame(frame: pd.DataFrame):
    """``frame`` as a GeoDataFrame of points from its ``latitude``/``longitude`` (EPSG:4326).

    Rows without coordinates are kept, with an empty geometry.
    """
    import geopandas as gpd
    import pandas as pd

    lat = pd.to_numeric(frame["latitude"], errors="coerce")
    lon = pd.to_numeric(frame["longitude"], errors="coerce")
    points = gpd.points_from_xy(lon, lat)
    points[(lat.isna() | lon.isna()).to_numpy()] = None
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=points, crs=4326)


def geojson_text(frame) -> str:
    """A GeoDataFrame as a GeoJSON FeatureCollection (missing values are null)."""
    return frame.to_json(drop_id=True, ensure_ascii=False, na="null") + "\n"


def write_table(frame: pd.DataFrame, fmt: str, path, *, layer: str = "geo") -> Path:
    """Write ``frame`` to ``path`` as ``gpkg`` (needs a GeoDataFrame) or ``xlsx``, atomically.

    Text cells are written to the spreadsheet as text, never as formulas, whatever they start
    with (``=``, ``+``, ``-``, ``@``): an input can never make Excel compute something.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from geo._io import atomic_path

    with atomic_path(path) as tmp:
        if fmt == "gpkg":
            import warnings

            with warnings.catch_warnings():  # GDAL frowns at the temporary name's suffix, not at the file
                warnings.filterwarnings("ignore", message="The filename extension", category=RuntimeWarning)
                frame.to_file(tmp, driver="GPKG", layer=layer, engine="pyogrio")
        elif fmt == "xlsx":
            _write_xlsx(frame, tmp, layer)
        else:
            raise GeoError(f"Unknown file format '{fmt}'; use one of {', '.join(FILE_FORMATS)}.")
    return Path(path)


def _write_xlsx(frame: pd.DataFrame, path: Path, sheet: str) -> None:
    import pandas as pd
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    table = frame.drop(columns="geometry", errors="ignore")

    def cell(value: object) -> WriteOnlyCell:
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            return WriteOnlyCell(ws, value=None)
        if hasattr(value, "item"):  # numpy scalars
            value = value.item()
        out = WriteOnlyCell(ws, value=value if isinstance(value, (int, float)) else str(value))
        if isinstance(out.value, str):
            out.data_type = "s"  # openpyxl would read a leading '=' as a formula
        return out

    ws.append([cell(str(c)) for c in table.columns])
    for row in table.itertuples(index=False, name=None):
        ws.append([cell(v) for v in row])
    book.save(path)
