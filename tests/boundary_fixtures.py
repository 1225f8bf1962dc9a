"""Boundary files in other publishers' schemas, built at test time from the real COD-AB files.

Nothing here is committed data: each builder reads ``../shared/boundaries`` and renames the
COD-AB columns into geoBoundaries' or GADM's schema, writing into a temporary folder. The codes
are the COD-AB P-codes, so the pipeline's expectations (AF2101 is Mazar-e-Sharif) still hold.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

#: The real files, beside the checkout (as tests/conftest.py finds them), whatever $GEO_BOUNDARIES says.
COD_AB = Path(__file__).resolve().parents[2] / "shared" / "boundaries" / "cod-ab-afg-2018"


def cod_ab(level: int) -> gpd.GeoDataFrame:
    """The real COD-AB layer of ``level``, as OCHA distributes it."""
    return gpd.read_file(COD_AB / f"afg_admbnda_adm{level}_agcho_20180522.zip", engine="pyogrio", use_arrow=True)


def as_geoboundaries(level: int) -> gpd.GeoDataFrame:
    """geoBoundaries columns: shapeName, shapeISO, shapeID, shapeGroup, shapeType; no parent codes."""
    raw = cod_ab(level)
    return gpd.GeoDataFrame(
        {
            "shapeName": raw[f"ADM{level}_EN"],
            "shapeISO": "",
            "shapeID": raw[f"ADM{level}_PCODE"],
            "shapeGroup": "AFG",
            "shapeType": f"ADM{level}",
        },
        geometry=raw.geometry, crs=raw.crs,
    )


def _variants(raw: gpd.GeoDataFrame, cols: list[str]) -> pd.Series:
    """GADM's ``|``-separated variant names."""
    return raw[cols].apply(lambda r: "|".join(v for v in r if isinstance(v, str) and v.strip()) or "NA", axis=1)


def as_gadm(level: int) -> gpd.GeoDataFrame:
    """GADM columns: GID_n, NAME_n, VARNAME_n, NL_NAME_n, parents' GID/NAME, TYPE_n…"""
    raw = cod_ab(level)
    out = {"GID_0": "AFG", "COUNTRY": "Afghanistan"}
    if level >= 1:
        out |= {"GID_1": raw["ADM1_PCODE"], "NAME_1": raw["ADM1_EN"]}
    if level == 1:
        out |= {"VARNAME_1": _variants(raw, ["ADM1ALT1EN", "ADM1ALT2EN"]), "NL_NAME_1": raw["ADM1_DA"],
                "TYPE_1": "Velayat", "ENGTYPE_1": "Province"}
    if level == 2:
        out |= {"NL_NAME_1": raw["ADM1_DA"], "GID_2": raw["ADM2_PCODE"], "NAME_2": raw["ADM2_EN"],
                "VARNAME_2": _variants(raw, ["ADM2ALT1EN", "ADM2ALT2EN"]), "NL_NAME_2": raw["ADM2_DA"],
                "TYPE_2": "Woleswali", "ENGTYPE_2": "District"}
    return gpd.GeoDataFrame(out, index=raw.index, geometry=raw.geometry, crs=raw.crs)


def write_geoboundaries(folder: Path, levels=(1, 2)) -> list[Path]:
    """geoBoundaries-AFG-ADM{n}.geojson, one file per level, as geoBoundaries publishes them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for level in levels:
        path = folder / f"geoBoundaries-AFG-ADM{level}.geojson"
        as_geoboundaries(level).to_file(path, driver="GeoJSON", engine="pyogrio")
        paths.append(path)
    return paths


def write_gadm_gpkg(folder: Path, levels=(0, 1, 2)) -> Path:
    """gadm41_AFG.gpkg with one layer per level (ADM_ADM_0, ADM_ADM_1, …), as GADM publishes it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "gadm41_AFG.gpkg"
    for level in levels:
        as_gadm(level).to_file(path, layer=f"ADM_ADM_{level}", driver="GPKG", engine="pyogrio")
    return path


def write_gadm_json(folder: Path, levels=(1, 2)) -> list[Path]:
    """gadm41_AFG_{n}.json, as GADM's versioned json/ download path serves them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for level in levels:
        path = folder / f"gadm41_AFG_{level}.json"
        as_gadm(level).to_file(path, driver="GeoJSON", engine="pyogrio")
        paths.append(path)
    return paths


if __name__ == "__main__":
    # Build both publishers' folders, to run the pipeline's own tests on them, for example:
    #   python tests/boundary_fixtures.py /tmp/publishers
    #   GEO_BOUNDARIES=/tmp/publishers/gadm pytest tests/test_cli.py tests/test_gazetteer.py …
    import sys
    import tempfile

    # Never inside the checkout by default: these files are derived from licensed data.
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="geo-publishers-"))
    write_geoboundaries(root / "geoboundaries")
    write_gadm_gpkg(root / "gadm")
    print(f"{root / 'geoboundaries'}\n{root / 'gadm'}")
