"""Web geometry: light enough for a map, still a coverage (no gaps, no overlaps), cached."""

from __future__ import annotations

import json
import re
import time

import geopandas as gpd
import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geo import load_incidents, render_map
from geo import boundaries
from geo.boundaries import EQUAL_AREA, coverage_report, find_boundary_file, load_admin, load_web_admin, web_geometry
from geo.maps import map_html


def geojson_layers(html: str) -> list[tuple[int, int]]:
    """(feature count, bytes) of every GeoJSON layer embedded in a map's HTML: folium's
    ``geo_json_…_add(`` calls (explore) and our ``geoMap.choropleth(parent, …`` calls."""
    decoder = json.JSONDecoder()
    layers = []
    for call in re.finditer(r"geo_json_\w+_add\(|geoMap\.choropleth\(\w+, ", html):
        data, end = decoder.raw_decode(html, call.end())
        layers.append((len(data["features"]), len(html[call.end():end].encode("utf-8"))))
    return layers


@pytest.mark.parametrize("level, units", [(1, 34), (2, 399)])
def test_simplified_units_keep_the_coverage(boundaries_dir, level, units):
    raw, light = load_admin(level), load_web_admin(level)
    assert len(light) == units and light.is_valid.all()
    assert (light["code"] == raw["code"]).all()
    before, after = coverage_report(raw), coverage_report(light)
    assert after["vertices"] < before["vertices"] / 5
    # Neighbours still share their edges exactly: shapely's coverage check, then areas.
    assert after["valid_coverage"] and before["valid_coverage"]
    geoms = light.geometry.values
    pairs = light.sindex.query(geoms, predicate="overlaps")  # interiors that intersect
    overlap = shapely.area(shapely.intersection(geoms[pairs[0]], geoms[pairs[1]])).sum() if pairs.size else 0.0
    assert overlap == 0.0
    assert abs(after["overlap_km2"]) < 1e-6 and after["gap_km2"] == 0.0  # sum of areas == area of the union
    # The outline moves by about the tolerance, never by a district's worth.
    assert light.to_crs(EQUAL_AREA).area.sum() == pytest.approx(raw.to_crs(EQUAL_AREA).area.sum(), rel=0.002)


def test_coordinates_are_rounded_without_opening_gaps(boundaries_dir):
    light = load_web_admin(2)
    xy = shapely.get_coordinates(light.geometry.values)
    assert np.array_equal(xy, np.round(xy, 5))
    assert "66.12345678" not in light.to_json()  # short numbers: about a metre, not 17 digits


def test_the_district_layer_is_at_most_a_fifth_of_explore(boundaries_dir):
    raw = gpd.read_file(find_boundary_file(2))  # the file as published, all its columns
    explored = geojson_layers(raw.explore().get_root().render())
    html = map_html(render_map(load_incidents(month="2023-03")))
    ours = dict(geojson_layers(html))
    (explore_bytes,) = [b for n, b in explored if n == 399]
    assert explore_bytes > 10_000_000  # about 11 MB of district outlines
    assert ours[399] * 5 <= explore_bytes
    assert "Nahr-e-Shahi (AF2102)" in html


@pytest.fixture()
def cold(tmp_path, monkeypatch):
    """An empty disk cache and nothing loaded in this process."""
    monkeypatch.setenv("GEO_CACHE", str(tmp_path / "cache"))
    boundaries.forget_loaded()
    yield tmp_path / "cache"
    boundaries.forget_loaded()


def test_parsing_is_paid_once_then_read_from_geoparquet(boundaries_dir, cold, monkeypatch):
    first = load_admin(2)
    assert sorted(p.suffix for p in (cold / "parsed").iterdir()) == [".json"] * 3 + [".parquet"] * 3  # levels 0-2
    boundaries.forget_loaded()  # as a new process would start

    def no_parsing(*args, **kwargs):
        raise AssertionError("the boundary file was parsed again")

    monkeypatch.setattr(boundaries, "_parse", no_parsing)
    again = load_admin(2)
    assert_geodataframe_equal(again, first)
    assert again.attrs["hierarchy_mismatches"] == 0 and again.attrs["source"] == first.attrs["source"]
    assert again.set_index("code").loc["AF2102", "admin2_alt"] == ["نهر شاهی"]


def test_the_second_simplification_pays_nothing(boundaries_dir, cold, monkeypatch):
    districts = load_admin(2)
    first = web_geometry(districts)
    assert len(list((cold / "web").glob("*.parquet"))) == 1
    boundaries.forget_loaded()

    def no_simplifying(*args, **kwargs):
        raise AssertionError("simplified again")

    monkeypatch.setattr(shapely, "coverage_simplify", no_simplifying)
    second = web_geometry(districts)  # from disk
    third = web_geometry(districts)  # from memory
    assert shapely.equals_exact(first.geometry.values, second.geometry.values, tolerance=0).all()
    assert shapely.equals_exact(first.geometry.values, third.geometry.values, tolerance=0).all()
    # The key is the geometry itself and the tolerance: other input, other entry.
    with pytest.raises(AssertionError, match="simplified again"):
        web_geometry(districts, tolerance=0.01)
    with pytest.raises(AssertionError, match="simplified again"):
        web_geometry(districts.iloc[:10])


def test_a_warm_render_is_measurably_faster_than_the_first(boundaries_dir, cold):
    incidents = load_incidents(month="2023-03")
    boundaries.forget_loaded()
    start = time.perf_counter()
    map_html(render_map(incidents))
    first = time.perf_counter() - start
    warm = []
    for _ in range(2):
        start = time.perf_counter()
        map_html(render_map(incidents))
        warm.append(time.perf_counter() - start)
    assert min(warm) < 0.8 * first, (first, warm)
