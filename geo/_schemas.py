"""Publisher schemas of admin boundary files, and the one model they are all normalised to.

Three publishers distribute admin boundaries, each with its own columns:

* OCHA's COD-AB: ``ADM{n}_EN``, ``ADM{n}_PCODE``, Dari names in ``ADM{n}_DA``, alternative
  names in ``ADM{n}ALT1EN`` …, the parents' ``ADM{n-1}_*`` columns and a ``validOn`` date;
* geoBoundaries: ``shapeName``, ``shapeID``, ``shapeGroup`` (the country), ``shapeType``
  (``ADM2``), one file per level and no parent codes;
* GADM: ``GID_{n}``, ``NAME_{n}``, variants in ``VARNAME_{n}`` and local-script names in
  ``NL_NAME_{n}`` (both ``|``-separated), the parents' ``GID_{n-1}``/``NAME_{n-1}``.

The model: ``level``, ``code``, ``name``, ``alt_names`` (every other spelling the file carries),
``parent_code``, ``parent_name`` and ``valid_from`` (ISO date, when the file says).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pandas as pd

from geo._errors import GeoError

PUBLISHERS = ("cod-ab", "geoboundaries", "gadm")
LABELS = {"cod-ab": "COD-AB", "geoboundaries": "geoBoundaries", "gadm": "GADM"}
#: Licence stated when neither the download's metadata nor the file says more (facts, paraphrased).
DEFAULT_LICENCE = {
    "cod-ab": "OCHA COD-AB: see the dataset's page on HDX (data.humdata.org)",
    "geoboundaries": "geoBoundaries gbOpen: open licence, attribution required (see the boundary's metadata)",
    "gadm": "GADM: free for academic and other non-commercial use; no redistribution without permission",
}
#: GADM version whose download paths geo knows, and when it was released.
GADM_VERSION, GADM_RELEASED = "4.1", "2022-07"
MODEL = ["level", "code", "name", "alt_names", "parent_code", "parent_name", "valid_from"]
_MISSING = {"", "na", "nan", "none", "null"}
_DATE_IN_NAME = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")
_TAGS = re.compile(r"<[^>]+>")


def required_columns(publisher: str, level: int) -> list[str]:
    """The columns a file of ``publisher`` must have to be read as admin ``level``."""
    if publisher == "cod-ab":
        return [f"ADM{level}_EN", f"ADM{level}_PCODE"] + ([f"ADM{level - 1}_PCODE"] if level else [])
    if publisher == "geoboundaries":
        return ["shapeName", "shapeID", "shapeGroup"]
    return [f"GID_{level}", f"NAME_{level}" if level else "COUNTRY"] + ([f"GID_{level - 1}"] if level else [])


def detect(columns: list[str], level: int, path: object) -> str:
    """Return the publisher whose schema ``columns`` follow for admin ``level``.

    Raises
    ------
    GeoError
        Naming the columns found and the columns each known schema expects.
    """
    for publisher in PUBLISHERS:
        if all(c in columns for c in required_columns(publisher, level)):
            return publisher
    expected = "; or ".join(f"{LABELS[p]} {', '.join(required_columns(p, level))}" for p in PUBLISHERS)
    found = ", ".join(str(c) for c in columns if c != "geometry")
    raise GeoError(
        f"The boundary file {path} does not follow a known schema for admin level {level} "
        f"(found columns {found}; expected {expected})."
    )


def level_of(columns: list[str], sample: pd.DataFrame | None = None) -> int | None:
    """The admin level a file's columns describe (the deepest one), or ``None`` if unknown."""
    for level in (5, 4, 3, 2, 1, 0):
        if f"ADM{level}_PCODE" in columns or f"GID_{level}" in columns:
            return level
    if sample is not None and "shapeType" in columns and len(sample):
        found = re.fullmatch(r"ADM(\d)", str(sample["shapeType"].iloc[0]).strip().upper())
        return int(found.group(1)) if found else None
    return None


def _text(series: pd.Series) -> pd.Series:
    """Strings with missing values (and GADM's literal ``NA``) as empty strings."""
    out = series.astype("string").fillna("").str.strip()
    return out.mask(out.str.casefold().isin(_MISSING), "")


def _other_names(frame: pd.DataFrame, cols: list[str], names: pd.Series, sep: str | None = None) -> pd.Series:
    """Every spelling in ``cols`` other than the unit's own name, once each, in column order."""
    cols = [c for c in cols if c in frame]
    empty = pd.Series([[] for _ in range(len(frame))], index=frame.index, dtype=object)
    if not cols:
        return empty
    long = pd.DataFrame({c: _text(frame[c]) for c in cols}).stack()
    if sep:
        long = long.str.split(sep, regex=False).explode().str.strip()
    long = long[long != ""]
    pos = long.index.get_level_values(0)
    long = long[long.to_numpy() != names.reindex(pos).to_numpy()]
    long = long.reset_index(level=1, drop=True)
    long = long[~pd.Index(list(zip(long.index, long))).duplicated()]
    grouped = long.astype(object).groupby(level=0, sort=False).agg(list)  # plain lists, not Arrow lists
    return grouped.reindex(frame.index).where(lambda s: s.notna(), empty)


def _iso_dates(series: pd.Series) -> pd.Series:
    dates = pd.to_datetime(series, errors="coerce")
    return dates.dt.strftime("%Y-%m-%d").fillna("")


def normalise(raw: pd.DataFrame, publisher: str, level: int, path: Path) -> pd.DataFrame:
    """The model columns (see the module docstring) of a raw file of ``publisher``.

    ``parent_code`` is empty where the file does not say (geoBoundaries below level 1): the
    caller assigns it by geometry.
    """
    blank = pd.Series("", index=raw.index, dtype="string")
    if publisher == "cod-ab":
        name = _text(raw[f"ADM{level}_EN"])
        alt_cols = [f"ADM{level}_DA", *(f"ADM{level}ALT{i}{lang}" for lang in ("EN", "DA") for i in (1, 2))]
        out = pd.DataFrame({"code": _text(raw[f"ADM{level}_PCODE"]), "name": name})
        out["alt_names"] = _other_names(raw, alt_cols, name)
        out["parent_code"] = _text(raw[f"ADM{level - 1}_PCODE"]) if level else blank
        out["parent_name"] = _text(raw[f"ADM{level - 1}_EN"]) if level and f"ADM{level - 1}_EN" in raw else blank
        valid = _iso_dates(raw["validOn"]) if "validOn" in raw else blank
        in_name = _DATE_IN_NAME.search(path.name)
        out["valid_from"] = valid.mask(valid == "", "-".join(in_name.groups()) if in_name else "")
    elif publisher == "gadm":
        name_col = f"NAME_{level}" if level else "COUNTRY"
        name = _text(raw[name_col])
        out = pd.DataFrame({"code": _text(raw[f"GID_{level}"]), "name": name})
        out["alt_names"] = _other_names(raw, [f"VARNAME_{level}", f"NL_NAME_{level}"], name, sep="|")
        out["parent_code"] = _text(raw[f"GID_{level - 1}"]) if level else blank
        parent_name = (f"NAME_{level - 1}" if level > 1 else "COUNTRY") if level else None
        out["parent_name"] = _text(raw[parent_name]) if parent_name in raw else blank
        out["valid_from"] = GADM_RELEASED
    else:
        if "shapeType" in raw:
            types = set(_text(raw["shapeType"]).str.upper()) - {""}
            if types and types != {f"ADM{level}"}:
                raise GeoError(
                    f"The geoBoundaries file {path} holds {', '.join(sorted(types))} units, "
                    f"not ADM{level}; give the ADM{level} file for admin level {level}."
                )
        name = _text(raw["shapeName"])
        out = pd.DataFrame({"code": _text(raw["shapeID"]), "name": name})
        out["alt_names"] = _other_names(raw, [], name)
        # geoBoundaries names the country of a province, but not the province of a district.
        out["parent_code"] = _text(raw["shapeGroup"]) if level == 1 else blank
        out["parent_name"] = blank
        out["valid_from"] = blank
    out.insert(0, "level", level)
    return out[MODEL]


def licence_in_metadata(path: Path, layer: str | None) -> str | None:
    """The use limitation an ESRI/ISO metadata file (``.shp.xml``) beside a shapefile states.

    COD-AB shapefiles carry one (for Afghanistan: strictly humanitarian use), inside the zip.
    """
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".shp.xml")]
                if layer:
                    names = [n for n in names if Path(n).name.lower().startswith(layer.lower())] or names
                if not names:
                    return None
                text = archive.read(names[0])
        else:
            xml = path.with_name(path.name + ".xml") if path.suffix.lower() == ".shp" else None
            if xml is None or not xml.is_file():
                return None
            text = xml.read_bytes()
        node = ET.fromstring(text).find(".//useLimit")
    except (OSError, zipfile.BadZipFile, ET.ParseError):
        return None
    if node is None or not (node.text or "").strip():
        return None
    # The metadata holds escaped HTML: unescape it, then keep the words.
    words = _TAGS.sub(" ", html.unescape(node.text))
    return " ".join(words.split()) or None
