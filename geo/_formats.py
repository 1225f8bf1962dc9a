"""Tables to text: CSV, JSON and GeoJSON as the CLI prints them.

Every CSV ``geo`` writes (incidents, aggregates, rejected rows, extract and geocode outputs,
context statements, layer lists) is made here, by :func:`csv_text`, so that none can carry a
spreadsheet formula out of an input file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from geo._errors import GeoError

if TYPE_CHECKING:  # the CLI reads the format names before any command needs these
    import numpy as np
    import pandas as pd

FORMATS = ("csv", "json", "geojson")
#: A cell starting with one of these is read as a formula by Excel, LibreOffice and Google
#: Sheets (OWASP, "CSV Injection"): ``=HYPERLINK(...)``, ``@SUM(...)``, ``-2+3+cmd|...``.
_FORMULA = re.compile(r"[=+\-@\t\r]")
_FORMULA_AT_START = "^" + _FORMULA.pattern
_QUOTED_FORMULA = "'" + _FORMULA.pattern
#: ...unless the whole cell is a number (-3, +93, -1.5e3), which a spreadsheet reads as one.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that a spreadsheet would run as a formula made inert.

    As OWASP recommends, such a cell gets a leading single quote (``'=1+2``): spreadsheets
    show it as text and hide the quote. Numbers stay numbers, in numeric columns and as text
    (``-3``, ``-61.5``); column names are treated like cells.

    Parameters
    ----------
    frame
        Any table; it is not modified.

    Returns
    -------
    pandas.DataFrame
        A copy, or ``frame`` itself when nothing needed a quote.
    """
    import numpy as np
    import pandas as pd

    out = None
    for i in range(frame.shape[1]):
        values = frame.iloc[:, i]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue
        where = np.flatnonzero(_starts_like_formula(values))
        if not len(where):
            continue
        values = values.astype(object)
        where = where[~values.iloc[where].str.fullmatch(_NUMBER, na=False).to_numpy(dtype=bool)]
        if len(where):
            values.iloc[where] = "'" + values.iloc[where]
            out = frame.copy() if out is None else out
            out.isetitem(i, values)
    names = ["'" + c if isinstance(c, str) and _FORMULA.match(c) and not _NUMBER.fullmatch(c) else c
             for c in frame.columns]
    if names != list(frame.columns):
        out = (frame.copy() if out is None else out).set_axis(names, axis=1)
    return frame if out is None else out


def unquote_formulas(values: pd.Series) -> pd.Series:
    """Read back a column :func:`neutralise_formulas` wrote: ``'=1+2`` is ``=1+2`` again.

    A spreadsheet shows such a cell without its quote, so a CSV that went from ``geo extract``
    or ``geo incidents`` to ``geo render`` (or through Excel) means the same text either way.
    """
    quoted = values.str.match(_QUOTED_FORMULA, na=False)
    return values.where(~quoted, values.str[1:]) if quoted.any() else values


def _starts_like_formula(values: pd.Series) -> np.ndarray:
    """Which cells are text starting with a formula character (in Arrow: a 1M-row column in
    tens of milliseconds, where a Python regex per cell takes a quarter of a second)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):  # lists, mixed types
        text = None
    if text is not None and pa.types.is_null(text.type):
        return np.zeros(len(values), dtype=bool)
    if text is not None and (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        return pc.fill_null(pc.match_substring_regex(text, _FORMULA_AT_START), False).to_numpy(zero_copy_only=False)
    try:
        return values.astype(object).str.match(_FORMULA, na=False).to_numpy(dtype=bool)
    except AttributeError:  # no text in this column at all
        return np.zeros(len(values), dtype=bool)


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text (no index, ``\\n`` line ends), formulas neutralised
    (:func:`neutralise_formulas`): the one way ``geo`` writes a CSV."""
    return neutralise_formulas(frame).to_csv(index=False, lineterminator="\n")


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
        ``"csv"`` (spreadsheet formulas neutralised, see :func:`neutralise_formulas`),
        ``"json"`` or ``"geojson"`` (the data as it is).
    points
        When true, ``latitude``/``longitude`` columns make GeoJSON point geometries.
    """
    if fmt == "csv":
        return csv_text(frame)
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

    with atomic_path(path, suffix=f".{fmt}") as tmp:  # GDAL checks the suffix of the name it writes
        if fmt == "gpkg":
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
