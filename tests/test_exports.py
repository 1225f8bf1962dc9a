"""Exports of what is mapped (issue 14): geo incidents / geo aggregate --format gpkg|geojson|xlsx."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from geo.boundaries import load_admin
from geo.cli import app

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_incidents_as_a_geopackage_of_points(tmp_path, boundaries_dir):
    out = tmp_path / "march.gpkg"  # the suffix chooses the format
    assert run("incidents", "--month", "2023-03", "--out", str(out)).stdout.strip() == str(out)
    points = gpd.read_file(out, layer="incidents")
    assert points.crs.to_epsg() == 4326 and set(points.geom_type) == {"Point"}
    assert points["incident_id"].tolist() == ["AFG-SEED-003", "AFG-SEED-004", "AFG-SEED-005", "AFG-SEED-006"]
    mazar = points.set_index("incident_id").loc["AFG-SEED-004"]
    assert (round(mazar.geometry.x, 5), round(mazar.geometry.y, 5)) == (67.11087, 36.70904)
    assert mazar["admin2_pcode"] == "AF2101" and mazar["geo_precision"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["march.gpkg"]  # no temporary left



def test_incidents_that_could_not_be_placed_keep_an_empty_geometry_in_a_geopackage(tmp_path, write_csv, boundaries_dir):
    # The points are geo.spatial.incident_points', the API's own: every row, unplaced ones without a point.
    path = write_csv("incident_id,event_date,actor1,location\nP1,2023-03-02,Taliban,Zaranj\n"
                     "P2,2023-03-03,Taliban,Zzyzx village\n")
    out = tmp_path / "p.gpkg"
    run("incidents", "-i", str(path), "--out", str(out))
    points = gpd.read_file(out, layer="incidents")
    assert points["incident_id"].tolist() == ["P1", "P2"] and "index" not in points.columns
    placed, unplaced = points.geometry
    assert placed.geom_type == "Point" and (unplaced is None or unplaced.is_empty)

def test_aggregate_by_province_carries_each_provinces_outline(tmp_path, boundaries_dir):
    out = tmp_path / "provinces.gpkg"
    run("aggregate", "--month", "2023-03", "--by", "adm1", "--format", "gpkg", "--out", str(out))
    counted = gpd.read_file(out)
    assert counted[["admin1_pcode", "incidents", "fatalities"]].values.tolist() == [["AF21", 3, 4], ["AF01", 1, 6]]
    provinces = load_admin(1).set_index("admin1_pcode")
    for rec in counted.itertuples():
        assert rec.geometry.area == pytest.approx(provinces.loc[rec.admin1_pcode, "geometry"].area, rel=1e-9)


def test_aggregate_by_district_as_geojson(boundaries_dir):
    result = run("aggregate", "--month", "2023-04", "--by", "adm2,verification", "--format", "geojson")
    features = json.loads(result.stdout)["features"]
    assert [(f["properties"]["admin2_pcode"], f["properties"]["verification"]) for f in features] == [
        ("AF2102", "claimed"), ("AF3401", "corroborated")]
    assert {f["geometry"]["type"] for f in features} <= {"Polygon", "MultiPolygon"}


def test_xlsx_keeps_text_as_text(tmp_path, write_csv, boundaries_dir):
    path = write_csv("incident_id,event_date,actor1,location,notes\n"
                     "F1,2023-03-02,Taliban,Zaranj,\"=HYPERLINK(\"\"http://x.invalid\"\",\"\"y\"\")\"\n"
                     "F2,2023-03-03,Taliban,Zaranj,+1+2\n")
    out = tmp_path / "f.xlsx"
    run("incidents", "-i", str(path), "--out", str(out))
    sheet = load_workbook(out)["incidents"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["incident_id", "event_date", "time_precision"]
    notes = [sheet.cell(row=r, column=header.index("notes") + 1) for r in (2, 3)]
    assert [c.value for c in notes] == ['=HYPERLINK("http://x.invalid","y")', "+1+2"]
    assert [c.data_type for c in notes] == ["s", "s"]  # strings, not formulas
    lat = sheet.cell(row=2, column=header.index("latitude") + 1)
    assert lat.data_type == "n" and 30.5 < lat.value < 31.5  # Zaranj, as a number

    agg = tmp_path / "a.xlsx"
    run("aggregate", "-i", str(path), "--by", "adm2", "--out", str(agg))
    rows = list(load_workbook(agg)["aggregate"].values)
    assert rows == [("admin2", "admin2_pcode", "incidents", "fatalities"), ("Zaranj", "AF3401", 2, 0)]
