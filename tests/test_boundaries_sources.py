"""Boundaries from any publisher: one model, any format, reprojection, repairs, hierarchy, CLI.

The geoBoundaries and GADM files are built at test time from the real COD-AB files by renaming
columns (see boundary_fixtures.py); nothing derived from them is committed.
"""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box
from typer.testing import CliRunner

import boundary_fixtures as fx
from geo import GeoError, load_admin
from geo.boundaries import (
    check_hierarchy,
    find_boundary_file,
    installed,
    registry_entries,
    unit_info,
)
from geo.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def publisher_dirs(tmp_path_factory, boundaries_dir):
    """One folder per publisher holding Afghanistan's provinces and districts in its schema."""
    root = tmp_path_factory.mktemp("publishers")
    fx.write_geoboundaries(root / "geoboundaries")
    fx.write_gadm_gpkg(root / "gadm")
    return {"cod-ab": boundaries_dir, "geoboundaries": root / "geoboundaries", "gadm": root / "gadm"}


PUBLISHERS = ["cod-ab", "geoboundaries", "gadm"]


@pytest.mark.parametrize("publisher", PUBLISHERS)
def test_every_publisher_gives_the_same_units_in_one_model(publisher, publisher_dirs):
    folder = publisher_dirs[publisher]
    provinces, districts = load_admin(1, folder), load_admin(2, folder)
    assert (len(provinces), len(districts)) == (34, 399)
    assert provinces.crs.to_epsg() == 4326 and districts.crs.to_epsg() == 4326
    assert set(districts["publisher"]) == {publisher} and districts.attrs["publisher"] == publisher
    # The columns the pipeline reads, and the model beside them.
    for col in ["admin2", "admin2_pcode", "admin2_alt", "admin1", "admin1_pcode", "level", "code", "name",
                "alt_names", "parent_code", "parent_name", "licence", "valid_from"]:
        assert col in districts, col
    assert districts["admin2_pcode"].is_monotonic_increasing and districts["code"].is_unique
    row = districts.set_index("code").loc["AF2101"]
    assert (row["name"], row["level"], row["parent_code"], row["parent_name"]) == ("Mazar-e-Sharif", 2, "AF21", "Balkh")
    assert (row["admin2"], row["admin1"], row["admin1_pcode"]) == ("Mazar-e-Sharif", "Balkh", "AF21")
    # geoBoundaries files carry no parent codes: they come from the geometry, and must agree.
    assert (districts["admin2_pcode"].str[:4] == districts["admin1_pcode"]).all()
    assert districts.attrs["hierarchy_checked"] and districts.attrs["hierarchy_mismatches"] == 0
    balkh = provinces.set_index("code").loc["AF21"]
    if publisher == "geoboundaries":
        assert list(balkh["alt_names"]) == []  # geoBoundaries publishes one name per unit
    else:
        assert "بلخ" in balkh["alt_names"] and "بلخ" in balkh["admin1_alt"]  # Dari travels with the unit


def test_validity_date_and_licence_come_from_the_files(publisher_dirs):
    cod = load_admin(2, publisher_dirs["cod-ab"])
    assert set(cod["valid_from"]) == {"2018-05-22"}  # the validOn column
    assert set(cod["licence"]) == {"This dataset is strictly for humanitarian purposes."}  # from the .shp.xml
    gadm = load_admin(2, publisher_dirs["gadm"])
    assert set(gadm["valid_from"]) == {"2022-07"} and gadm["licence"].iloc[0].startswith("GADM")
    assert "Mazar" in gadm.set_index("code").loc["AF2101", "alt_names"]  # VARNAME_2, split on |


@pytest.mark.parametrize("publisher", PUBLISHERS)
def test_the_same_commands_work_on_every_publisher(publisher, publisher_dirs, monkeypatch, tmp_path):
    monkeypatch.setenv("GEO_BOUNDARIES", str(publisher_dirs[publisher]))
    result = run("incidents", "--month", "2023-03")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout), dtype=str)
    assert sorted(table["admin2_pcode"]) == ["AF0101", "AF2101", "AF2101", "AF2101"]
    result = run("aggregate", "--month", "2023-03", "--by", "actor,adm1")
    assert result.stdout.splitlines() == [
        "actor,admin1,admin1_pcode,incidents,fatalities",
        "Civilians (Afghanistan),Kabul,AF01,1,6",
        "Islamic State Khorasan Province (ISKP),Balkh,AF21,3,4",
        "Islamic State Khorasan Province (ISKP),Kabul,AF01,1,6",
        "Taliban,Balkh,AF21,3,4",
    ]
    result = run("incidents", "--month", "2023-04", "--format", "json")
    assert {r["admin2_pcode"] for r in json.loads(result.stdout)} == {"AF2102", "AF3401"}
    out = tmp_path / "m.html"
    result = run("render", "--month", "2023-03", "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "Mazar-e-Sharif (AF2101)" in html and "Balkh (AF21)" in html


def test_an_unknown_schema_names_the_columns_found_and_expected(tmp_path):
    frame = gpd.GeoDataFrame({"NOM": ["A"], "CODE": ["X-1"]}, geometry=[box(60, 30, 61, 31)], crs=4326)
    frame.to_file(tmp_path / "other_adm2.geojson", driver="GeoJSON")
    with pytest.raises(GeoError) as exc:
        load_admin(2, folder=tmp_path)
    message = str(exc.value)
    assert "found columns NOM, CODE" in message
    for expected in ("ADM2_PCODE", "shapeName, shapeID, shapeGroup", "GID_2, NAME_2, GID_1"):
        assert expected in message
    assert message.count(". ") == 0


def test_a_geoboundaries_file_of_the_wrong_level_is_named(tmp_path):
    fx.as_geoboundaries(1).head(3).to_file(tmp_path / "mislabelled_adm2.geojson", driver="GeoJSON")
    with pytest.raises(GeoError, match="holds ADM1 units, not ADM2"):
        load_admin(2, folder=tmp_path)


def test_an_unzipped_shapefile_is_read_with_its_metadata(tmp_path, boundaries_dir):
    with zipfile.ZipFile(boundaries_dir / "cod-ab-afg-2018" / "afg_admbnda_adm1_agcho_20180522.zip") as archive:
        archive.extractall(tmp_path)
    assert find_boundary_file(1, tmp_path).suffix == ".shp"
    provinces = load_admin(1, tmp_path)
    assert len(provinces) == 34 and provinces["licence"].iloc[0] == "This dataset is strictly for humanitarian purposes."


def test_geoparquet_in_another_crs_is_reprojected(tmp_path):
    raw = fx.cod_ab(1)
    raw.to_crs(32642).to_parquet(tmp_path / "afg_adm1_utm.parquet")  # UTM zone 42N, metres
    provinces = load_admin(1, tmp_path)
    assert provinces.crs.to_epsg() == 4326 and provinces.attrs["source_crs"] == "EPSG:32642"
    original = raw.set_index("ADM1_PCODE").sort_index()
    back = provinces.set_index("code").sort_index()
    assert np.allclose(back.total_bounds, original.total_bounds, atol=1e-6)
    assert np.allclose(back.to_crs(6933).area, original.to_crs(6933).area, rtol=1e-6)


def test_invalid_geometries_are_repaired_and_counted(tmp_path, monkeypatch):
    raw = fx.cod_ab(1)
    # Turn Balkh into a bow-tie: a self-intersecting ring, as hand-edited files sometimes have.
    i = int(np.flatnonzero(raw["ADM1_PCODE"] == "AF21")[0])
    minx, miny, maxx, maxy = raw.geometry.iloc[i].bounds
    raw.loc[i, "geometry"] = Polygon([(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy)])
    raw.to_file(tmp_path / "afg_adm1_broken.gpkg", driver="GPKG")
    provinces = load_admin(1, tmp_path)
    assert provinces.attrs["repaired"] == 1
    assert provinces.is_valid.all() and provinces.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    monkeypatch.setenv("GEO_BOUNDARIES", str(tmp_path))
    listed = installed()
    assert listed.loc[listed["level"] == 1, "repaired"].tolist() == [1]


@pytest.fixture()
def broken_hierarchy(tmp_path, boundaries_dir):
    """Real provinces; districts where AF2101 claims Kabul and AF3401 is moved into Hilmand."""
    folder = tmp_path / "broken"
    folder.mkdir()
    for name in ("afg_admbnda_adm0_agcho_20180522.zip", "afg_admbnda_adm1_agcho_20180522.zip"):
        (folder / name).symlink_to(boundaries_dir / "cod-ab-afg-2018" / name)
    districts = fx.cod_ab(2)
    districts.loc[districts["ADM2_PCODE"] == "AF2101", ["ADM1_PCODE", "ADM1_EN"]] = ["AF01", "Kabul"]
    zaranj = districts["ADM2_PCODE"] == "AF3401"
    districts.loc[zaranj, "geometry"] = districts.loc[zaranj].translate(xoff=2.0, yoff=0.5).values
    districts.to_file(folder / "afg_adm2_edited.gpkg", driver="GPKG")
    return folder


def test_the_hierarchy_is_checked_by_code_and_by_geometry(broken_hierarchy, monkeypatch):
    districts, provinces = load_admin(2, broken_hierarchy), load_admin(1, broken_hierarchy)
    assert districts.attrs["hierarchy_mismatches"] == 2
    found = check_hierarchy(districts, provinces).set_index("code")
    assert sorted(found.index) == ["AF2101", "AF3401"]
    assert found.loc["AF2101", ["parent_code", "parent_by_geometry", "share"]].tolist() == ["AF01", "AF21", 1.0]
    assert found.loc["AF2101", "problem"] == "parent by code and by geometry differ"
    assert found.loc["AF3401", "parent_code"] == "AF34" and found.loc["AF3401", "parent_by_geometry"] != "AF34"
    # The real districts hold: every one lies in exactly one province, by code and by geometry.
    assert check_hierarchy(load_admin(2), load_admin(1)).empty
    monkeypatch.setenv("GEO_BOUNDARIES", str(broken_hierarchy))
    result = run("boundaries", "check")
    assert result.exit_code == 1
    assert "AF2101" in result.stdout and "AF3401" in result.stdout
    assert "level 2: 399 units, 2 mismatches against level 1" in result.stderr


def test_info_gives_names_parent_area_and_neighbours(boundaries_dir):
    (unit,) = unit_info("AF2102")
    assert (unit["name"], unit["kind"], unit["parent_code"], unit["parent_name"]) == ("Nahr-e-Shahi", "district", "AF21", "Balkh")
    assert unit["alt_names"] == ["نهر شاهی"]
    districts = load_admin(2).set_index("code")
    # Equal-area km² agree with the district's UTM zone (42N) to a fraction of a percent.
    utm = districts.loc[["AF2102"]].to_crs(32642).area.iloc[0] / 1e6
    assert unit["area_km2"] == pytest.approx(utm, rel=0.005) and 1000 < unit["area_km2"] < 1300
    neighbours = {code for code, _ in unit["neighbours"]}
    assert {"AF2101", "AF2103", "AF2106"} <= neighbours and "AF2102" not in neighbours
    # Every neighbour really shares a border; no district of another province is listed.
    mine = districts.loc["AF2102", "geometry"]
    assert all(shapely.intersects(mine, districts.loc[c, "geometry"]) for c in neighbours)
    assert all(c.startswith("AF21") for c in neighbours)
    # A Dari name finds the same unit; "Kabul" is a province and a district.
    assert [u["code"] for u in unit_info("نهر شاهی")] == ["AF2102"]
    assert [(u["kind"], u["code"]) for u in unit_info("Kabul")] == [("province", "AF01"), ("district", "AF0101")]
    assert [u["code"] for u in unit_info("Kabul province")] == ["AF01"]


def test_info_and_list_on_the_command_line(boundaries_dir):
    result = run("boundaries", "info", "Nahr-e-Shahi")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Nahr-e-Shahi (AF2102): district, admin level 2 in Balkh (AF21)"
    assert lines[1] == "  other names: نهر شاهی"
    assert lines[2].startswith("  area: 1,1") and lines[2].endswith("km² (EPSG:6933, equal-area)")
    assert "Mazar-e-Sharif (AF2101)" in lines[3]
    result = run("boundaries", "info", "Nowhere-e-Sharif")
    assert result.exit_code == 1 and "No admin unit has the code or name 'Nowhere-e-Sharif'" in result.stderr
    result = run("boundaries", "list", "--format", "json")
    rows = {r["level"]: r for r in json.loads(result.stdout)}
    assert {lv: (r["features"], r["publisher"], r["valid_from"]) for lv, r in rows.items()} == {
        0: (1, "cod-ab", "2018-05-22"), 1: (34, "cod-ab", "2018-05-22"), 2: (399, "cod-ab", "2018-05-22"),
    }
    assert rows[2]["hierarchy"] == "0 mismatches" and rows[2]["licence"].startswith("This dataset is strictly")


@pytest.fixture()
def user_setup(tmp_path, monkeypatch):
    """No $GEO_BOUNDARIES, an empty cache and working folder, and no way to the internet."""
    monkeypatch.delenv("GEO_BOUNDARIES", raising=False)
    monkeypatch.setenv("GEO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GEO_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_add_registers_files_in_place_and_they_are_used(user_setup, publisher_dirs):
    paths = sorted(str(p) for p in publisher_dirs["geoboundaries"].glob("*.geojson"))
    result = run("boundaries", "add", *paths, "--licence", "CC BY 4.0", "--valid-from", "2020-01-01")
    assert result.exit_code == 0, result.output
    assert "399" in result.stdout and "geoboundaries" in result.stdout
    assert [e["path"] for e in registry_entries()] == paths  # registered where they lie, not copied
    assert not list((user_setup / "cache").rglob("*.geojson"))
    districts = load_admin(2)
    assert districts.attrs["source"] == paths[1] and set(districts["licence"]) == {"CC BY 4.0"}
    assert set(districts["valid_from"]) == {"2020-01-01"}
    assert districts.set_index("code").loc["AF2101", "parent_code"] == "AF21"


def test_add_refuses_a_file_it_cannot_read_and_registers_nothing(user_setup):
    frame = gpd.GeoDataFrame({"NOM": ["A"]}, geometry=[box(60, 30, 61, 31)], crs=4326)
    frame.to_file(user_setup / "mystery_adm2.geojson", driver="GeoJSON")
    result = run("boundaries", "add", str(user_setup / "mystery_adm2.geojson"))
    assert result.exit_code == 1 and "does not follow a known schema" in result.stderr
    assert registry_entries() == []


def test_offline_first_use_says_what_to_run(user_setup):
    result = run("incidents", "--month", "2023-03")
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: No admin level")
    assert "geo boundaries fetch --source cod-ab --country AFG" in line and "GEO_BOUNDARIES" in line
    assert line.count(". ") == 0


def test_check_hierarchy_names_every_kind_of_mismatch():
    parents = gpd.GeoDataFrame({"code": ["P1", "P2", "P3"], "name": ["One", "Two", "Three"]},
                               geometry=[box(0, 0, 2, 2), box(2, 0, 4, 2), box(0, 0, 2, 2)], crs=4326)
    units = gpd.GeoDataFrame(
        {"code": ["ok", "split", "twice", "wrong", "stray", "orphan"], "name": list("abcdef"),
         "parent_code": ["P2", "P1", "P1", "P1", "P2", "P9"]},
        geometry=[box(2.5, 0.5, 3, 1), box(1.5, 0, 2.5, 1), box(0.5, 0.5, 1, 1), box(3, 1, 3.5, 1.5),
                  box(10, 10, 11, 11), box(2.1, 0.1, 2.2, 0.2)],
        crs=4326,
    )
    found = check_hierarchy(units, parents).set_index("code")
    assert found["problem"].to_dict() == {
        "split": "not within one parent",  # half in P1, half in P2
        "twice": "within several parents",  # P1 and P3 overlap
        "wrong": "parent by code and by geometry differ",
        "stray": "outside every parent",
        "orphan": "unknown parent code",
    }
    assert found.loc["split", "share"] == pytest.approx(0.5, abs=0.01)
    assert found.loc["wrong", ["parent_code", "parent_by_geometry"]].tolist() == ["P1", "P2"]
