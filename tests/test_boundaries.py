from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box

from geo import GeoError, load_admin
from geo.boundaries import find_boundary_file, web_geometry


def test_provinces_are_the_34_cod_ab_units(boundaries_dir):
    provinces = load_admin(1)
    assert len(provinces) == 34
    assert provinces.crs.to_epsg() == 4326
    assert provinces["admin1_pcode"].is_unique
    row = provinces.set_index("admin1_pcode").loc["AF21"]
    assert row["admin1"] == "Balkh"
    assert "بلخ" in row["admin1_alt"]  # the Dari name travels with the unit


def test_districts_are_the_399_cod_ab_units_with_their_parents(boundaries_dir):
    districts = load_admin(2).set_index("admin2_pcode")
    assert len(districts) == 399
    assert districts.loc["AF2101", ["admin2", "admin1", "admin1_pcode"]].tolist() == ["Mazar-e-Sharif", "Balkh", "AF21"]
    assert districts.loc["AF2102", "admin2"] == "Nahr-e-Shahi"
    assert districts.loc["AF3401", "admin2"] == "Zaranj"
    assert districts.loc["AF0101", "admin2"] == "Kabul"
    # A district's P-code starts with its province's.
    assert (districts.index.str[:4] == districts["admin1_pcode"]).all()


def test_the_zip_is_read_in_place(boundaries_dir):
    path = find_boundary_file(2)
    assert path.name == "afg_admbnda_adm2_agcho_20180522.zip"
    assert path.resolve().is_relative_to(boundaries_dir.resolve())


def test_missing_boundaries_say_where_and_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("GEO_BOUNDARIES", str(tmp_path))
    with pytest.raises(GeoError) as exc:
        load_admin(2)
    message = str(exc.value)
    assert str(tmp_path) in message and "GEO_BOUNDARIES" in message and "adm2" in message
    assert message.count(". ") == 0  # one sentence


def test_a_file_of_another_schema_is_named_with_its_columns(tmp_path):
    # geoBoundaries-style columns, built at run time (never a copy of the licensed files).
    frame = gpd.GeoDataFrame({"shapeName": ["A"], "shapeID": ["X-1"]}, geometry=[box(60, 30, 61, 31)], crs=4326)
    frame.to_file(tmp_path / "other_adm2.geojson", driver="GeoJSON")
    with pytest.raises(GeoError, match="shapeName"):
        load_admin(2, folder=tmp_path)


def test_web_geometry_is_lighter_and_keeps_the_coverage(boundaries_dir):
    districts = load_admin(2)
    light = web_geometry(districts)
    assert len(light) == 399 and light.is_valid.all()
    before = shapely.get_num_coordinates(districts.geometry.values).sum()
    after = shapely.get_num_coordinates(light.geometry.values).sum()
    assert after < before / 3
    # Shared edges survive: the union of the simplified districts has no interior slivers.
    assert light.to_crs(6933).area.sum() == pytest.approx(districts.to_crs(6933).area.sum(), rel=0.01)


def test_a_cached_layer_names_the_file_it_was_loaded_from(tmp_path, boundaries_dir):
    import shutil

    from geo import boundaries

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for zipped in boundaries_dir.rglob("*adm[12]_*.zip"):
            shutil.copy(zipped, tmp_path / name)
    load_admin(2, folder=tmp_path / "a")
    boundaries.forget_loaded()  # a new process: only the disk cache, keyed by content, remains
    again = load_admin(2, folder=tmp_path / "b")
    assert Path(again.attrs["source"]).parent == tmp_path / "b"
