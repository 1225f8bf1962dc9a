"""What the map file holds: its assets, its layers' data, time steps, clusters, tiles, size."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from offlinefolium import Map
from offlinefolium.elements import _res as FOLIUM_ASSETS
from offlinefolium.plugins import MarkerCluster, TimestampedGeoJson

from geo import load_incidents, render_map
from geo._errors import GeoError
from geo.maps import CLUSTER_AT, classify, map_html, save_png, tile_provider

LEAFLET_JS = dict(Map.default_js)["leaflet"]
UNUSED = [url for name, url in [*Map.default_js, *Map.default_css] if name not in ("leaflet", "leaflet_css")]
CLUSTER_JS = dict(MarkerCluster.default_js)["markerclusterjs"]
TIME_JS = dict(TimestampedGeoJson.default_js)["leaflet.timedimension"]


def asset_in(url: str, html: str) -> bool:
    return FOLIUM_ASSETS[url].strip()[:2000] in html


def layers(html: str, call: str) -> list[list]:
    """The JSON arguments of every ``geoMap.<call>(variable, ...)`` in the page, decoded."""
    decoder = json.JSONDecoder()
    out = []
    for match in re.finditer(rf"geoMap\.{call}\(\w+, ", html):
        data, end = decoder.raw_decode(html, match.end())
        options, _ = decoder.raw_decode(html, end + 2)
        out.append([data, options])
    return out


def units(html: str, level: int) -> dict[str, dict]:
    """Choropleth feature properties by P-code, for admin ``level``."""
    for data, options in layers(html, "choropleth"):
        if options["legend"] == f"geo-scale-{level}":
            return {f["properties"]["c"]: f["properties"] for f in data["features"]}
    return {}


@pytest.fixture(scope="module")
def sample(boundaries_dir) -> pd.DataFrame:
    return load_incidents()


@pytest.fixture(scope="module")
def march_html(sample) -> str:
    return map_html(render_map(sample[sample["event_date"].str.startswith("2023-03")], months=["2023-03"]))


@pytest.fixture(scope="module")
def range_html(sample) -> str:
    return map_html(render_map(sample, months=["2023-03", "2023-04"]))


def test_march_map_is_light_and_inlines_only_leaflet(march_html):
    # Both choropleths and every point, and still at most 1.5 MB (it was 3.8 MB with jQuery,
    # Bootstrap, Font Awesome and unrounded outlines).
    assert len(march_html.encode("utf-8")) <= 1_500_000
    assert asset_in(LEAFLET_JS, march_html)
    for url in [*UNUSED, CLUSTER_JS, TIME_JS]:
        assert not asset_in(url, march_html), url
    assert "$(" not in march_html.split("var geoMap")[1]  # nothing after the assets calls jQuery
    assert len(units(march_html, 1)) == 34 and len(units(march_html, 2)) == 399


def test_cdn_links_the_same_assets(sample):
    html = map_html(render_map(sample, months=["2023-03", "2023-04"], cluster=True, cdn=True))
    for url in (LEAFLET_JS, CLUSTER_JS, TIME_JS):
        assert f'<script src="{url}"></script>' in html and not asset_in(url, html)
    assert '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"/>' in html
    assert len(html.encode("utf-8")) < 1_150_000


def test_choropleths_carry_each_months_values(range_html):
    provinces, districts = units(range_html, 1), units(range_html, 2)
    # Balkh: 3 incidents in March (4 killed), 1 in April (6 killed); Nimroz: Zaranj in April.
    assert provinces["AF21"] | {"k": None, "p": None} == {"c": "AF21", "u": "Balkh (AF21)", "n": [3, 1], "f": [4, 6], "k": None,
                                                      "l": "Balkh", "p": None, "q": 0}  # q: its label's rank
    assert provinces["AF34"]["n"] == [0, 1] and provinces["AF01"]["n"] == [1, 0]
    assert districts["AF2101"]["n"] == [3, 0] and districts["AF2102"]["n"] == [0, 1]
    # One classification for both months, zero alone: 1 and 3 are the two classes.
    assert provinces["AF21"]["k"] == [2, 1] and provinces["AF34"]["k"] == [0, 1] and provinces["AF02"]["k"] == [0, 0]
    assert asset_in(TIME_JS, range_html) and "geoMap.time(" in range_html
    assert '"March 2023","April 2023"' in range_html
    assert "March 2023: 4 incidents, 10 reported fatalities" in range_html
    assert "April 2023: 2 incidents, 6 reported fatalities" in range_html


def test_points_say_how_precise_and_how_verified(range_html):
    rows = {}
    for data, options in layers(range_html, "points"):
        for lat, lon, step, style, tooltip, popup, unit, n in data:
            rows.setdefault((step, round(lat, 2), round(lon, 2)), []).append((options["styles"][style], unit, tooltip, popup))
    # April, Nahr-e-Shahi: known to the district only, claimed by the Taliban only.
    nahr = rows[1, 36.83, 67.19]
    assert {u for _, u, _, _ in nahr} == {"AF2102"}
    assert all(s["fillOpacity"] == 0 and s["dashArray"] == "6 4" for s, *_ in nahr)
    assert all("only the district is known" in t and "claimed by a party only" in t for _, _, t, _ in nahr)
    assert "district is the smallest known unit; drawn hollow at the district" in nahr[0][3]
    # April, Zaranj: a town, corroborated: filled, solid, no unit to outline.
    zaranj = rows[1, 30.96, 61.86]
    assert all(s["fillOpacity"] == 0.85 and s["dashArray"] is None and u == "" for s, u, _, _ in zaranj)
    # March, Mazar-e-Sharif: per actor a corroborated marker and a wider, unfilled claims halo.
    mazar = rows[0, 36.71, 67.11]
    assert sorted((s["dashArray"] or "-", s["fillOpacity"]) for s, *_ in mazar) == [
        ("-", 0.85), ("-", 0.85), ("6 4", 0), ("6 4", 0)]
    assert sum("2 incidents · claimed by a party only" in t for _, _, t, _ in mazar) == 2


@pytest.mark.parametrize("level, names", [
    ("adm1", ["Provinces: incidents"]),
    ("adm2", ["Districts: incidents"]),
    ("all", ["Provinces: incidents", "Districts: incidents"]),
])
def test_level_chooses_the_choropleths(sample, level, names):
    html = map_html(render_map(sample, months=["2023-03"], level=level))
    drawn = re.findall(r'"((?:Provinces|Districts): incidents)" : choropleth_', html)
    assert drawn == names
    # A lone district choropleth is shown, and so is its legend.
    assert ('<section id="geo-scale-2">' in html) == (level == "adm2")


def test_fatalities_metric_classes_and_legend(sample):
    html = map_html(render_map(sample, months=["2023-03"], metric="fatalities"))
    provinces = units(html, 1)
    assert provinces["AF21"]["k"] == [1] and provinces["AF01"]["k"] == [2]  # 4 and 6 killed
    assert "Provinces: Reported fatalities per province" in html
    assert re.search(r"</span>4</li>.*</span>6</li>", html, re.S)


def many_points(n: int, month: str = "2023-03") -> pd.DataFrame:
    """``n`` Taliban incidents at distinct places in one month (schema columns, geocoded)."""
    return pd.DataFrame({
        "incident_id": [f"P{i}" for i in range(n)], "event_date": f"{month}-02", "time_precision": 1,
        "actor1": "Taliban", "actor2": "", "event_type": "Battles", "sub_event_type": "Armed clash",
        "location": "somewhere", "admin1": "Kabul", "admin1_pcode": "AF01", "admin2": "Kabul",
        "admin2_pcode": "AF0101", "latitude": 34.0 + np.arange(n) / 1000, "longitude": 69.0,
        "geo_precision": 1, "fatalities": 1, "verification": "corroborated", "source": "s",
        "source_url": "", "notes": "",
    })


def test_points_cluster_when_a_month_is_crowded(boundaries_dir):
    crowded = map_html(render_map(many_points(CLUSTER_AT + 1)))
    sparse = map_html(render_map(many_points(CLUSTER_AT)))
    assert "L.markerClusterGroup(" in crowded and asset_in(CLUSTER_JS, crowded)
    assert "L.markerClusterGroup(" not in sparse and not asset_in(CLUSTER_JS, sparse)
    assert "L.markerClusterGroup(" not in map_html(render_map(many_points(CLUSTER_AT + 1), cluster=False))
    assert "L.markerClusterGroup(" in map_html(render_map(many_points(3), cluster=True))
    assert "Numbered disc: that actor's incidents grouped at this zoom" in crowded


def test_incidents_outside_the_months_are_left_out_and_said(sample):
    html = map_html(render_map(sample, months=["2023-04"]))
    assert "6 incident(s) outside the months shown are not drawn." in html
    assert units(html, 1)["AF21"]["n"] == [1]


def test_tiles_are_named_and_checked(sample):
    assert "tile.openstreetmap.org" in tile_provider("openstreetmap").build_url()
    assert "opentopomap" in tile_provider("OpenTopoMap").build_url()
    with pytest.raises(GeoError, match="openstreetmap"):
        tile_provider("google")
    with pytest.raises(GeoError, match="API key"):
        tile_provider("Thunderforest.OpenCycleMap")
    html = map_html(render_map(sample, months=["2023-03"], tiles="OpenTopoMap"))
    assert "tile.opentopomap.org" in html and '"OpenTopoMap tiles (online only)" : tile_layer_' in html
    tiles = re.search(r"var (tile_layer_\w+) = L\.tileLayer", html).group(1)
    assert f"{tiles}.addTo(" not in html  # off until ticked
    assert re.search(r"(choropleth_\w+)\.addTo\(map_", html)  # while the province layer is on


def test_png_without_chromium_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GEO_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(GeoError, match=r"apt-get install chromium\) or set GEO_CHROMIUM"):
        save_png(tmp_path / "m.html", tmp_path / "m.png")
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=1500))
def test_classes_hold_their_values(values):
    idx, bounds = classify(pd.Series(values))
    again, _ = classify(pd.Series(values))
    assert idx.tolist() == again.tolist()  # deterministic
    assert len(bounds) <= 5
    for value, cls in zip(values, idx):
        if value == 0:
            assert cls == 0
        else:
            lo, hi = bounds[cls - 1]
            assert lo <= value <= hi
    # Classes are ordered and do not overlap.
    assert all(a[1] < b[0] for a, b in zip(bounds, bounds[1:]))
