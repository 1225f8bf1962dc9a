"""``geo render``'s options: months and ranges, level, tiles, clusters, CDN, PNG."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from geo.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_a_range_gets_a_time_control_and_its_own_file(tmp_path, boundaries_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("render", "--from", "2023-03", "--to", "2023-04")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "maps/2023-03_2023-04.html"
    html = (tmp_path / "maps" / "2023-03_2023-04.html").read_text(encoding="utf-8")
    assert "Conflict incidents in Afghanistan, March–April 2023" in html
    assert "geoMap.time(" in html and "April 2023: 2 incidents, 6 reported fatalities" in html


@pytest.mark.parametrize("args, name, title", [
    (["--from", "2023-03"], "2023-03_2023-04", "March–April 2023"),  # up to the last month with data
    (["--to", "2023-01"], "2022-12_2023-01", "December 2022 – January 2023"),  # from the first
    (["--from", "2023-04", "--to", "2023-04"], "2023-04", "April 2023"),  # one month: no time control
])
def test_open_ended_ranges_follow_the_data(tmp_path, boundaries_dir, monkeypatch, args, name, title):
    monkeypatch.chdir(tmp_path)
    result = run("render", *args)
    assert result.exit_code == 0, result.output
    html = (tmp_path / "maps" / f"{name}.html").read_text(encoding="utf-8")
    assert f"Conflict incidents in Afghanistan, {title}" in html
    assert ("geoMap.time(" in html) == ("_" in name)


@pytest.mark.parametrize("args, text", [
    ([], "--month YYYY-MM"),
    (["--month", "2023-03", "--from", "2023-03"], "not both"),
    (["--from", "2023-05", "--to", "2023-03"], "--from 2023-05 is after --to 2023-03"),
    (["--from", "2023-13"], "YYYY-MM"),
    (["--month", "2023-03", "--level", "adm3"], "adm1, adm2, all"),
    (["--month", "2023-03", "--tiles", "nosuchtiles"], "xyzservices"),
])
def test_bad_render_options_are_clear(boundaries_dir, args, text):
    result = run("render", *args)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert text in result.output


def test_level_tiles_cluster_and_cdn(tmp_path, boundaries_dir):
    out = tmp_path / "m.html"
    result = run("render", "--month", "2023-03", "--level", "adm2", "--tiles", "openstreetmap", "--cluster",
                 "--cdn", "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert '"Districts: incidents" : choropleth_' in html and "Provinces: incidents" not in html
    assert '"OpenStreetMap tiles (online only)" : tile_layer_' in html
    assert "L.markerClusterGroup(" in html
    assert '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>' in html


def test_png_without_chromium_is_one_clear_line(tmp_path, boundaries_dir, monkeypatch):
    monkeypatch.setenv("GEO_CHROMIUM", str(tmp_path / "no-such-browser"))
    result = run("render", "--month", "2023-03", "--out", str(tmp_path / "m.html"), "--png", str(tmp_path / "m.png"))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: A PNG needs headless Chromium")
    assert (tmp_path / "m.html").exists() and not (tmp_path / "m.png").exists()


def test_render_help_lists_the_options():
    result = run("render", "--help")
    for option in ("--from", "--to", "--level", "--tiles", "--cluster", "--cdn", "--png", "--metric", "--actor"):
        assert option in result.stdout


def test_crowded_months_cluster_unless_told_not_to(tmp_path, boundaries_dir):
    rows = ["incident_id,event_date,actor1,location,latitude,longitude"]
    rows += [f"N{i},2023-03-05,Taliban,Somewhere,{33.0 + (i % 12) * 0.2:.2f},{65.0 + (i // 12) * 0.3:.2f}" for i in range(120)]
    path = tmp_path / "crowded.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    auto, off = tmp_path / "auto.html", tmp_path / "off.html"
    assert run("render", "--month", "2023-03", "-i", str(path), "--out", str(auto)).exit_code == 0
    assert run("render", "--month", "2023-03", "-i", str(path), "--no-cluster", "--out", str(off)).exit_code == 0
    assert "L.markerClusterGroup(" in auto.read_text(encoding="utf-8")  # over CLUSTER_AT markers: clustered
    assert "L.markerClusterGroup(" not in off.read_text(encoding="utf-8")


def test_render_geocodes_only_the_months_its_map_and_trend_panel_show(tmp_path, monkeypatch):
    # 2021-12 is 15 months before the map's month: outside the trend panel (2022-04 to 2023-03),
    # so its rows are not geocoded, and its ambiguous place is not reported; the panel still
    # starts 12 months back (there is data before it), though nothing was geocoded there.
    import importlib
    import json
    import re

    geocoding = importlib.import_module("geo.geocode")  # the module (geo.geocode is also the function)
    path = tmp_path / "months.csv"
    path.write_text("incident_id,event_date,actor1,location\n"
                    "A1,2021-12-05,Taliban,Jani Khel\nA2,2021-12-06,Taliban,Kabul\n"
                    "B1,2023-01-10,Taliban,Kabul\nB2,2023-02-11,ISKP,Jani Khel\nC1,2023-03-12,ISKP,Kabul\n"
                    "D1,2023-04-01,Taliban,Kabul\n", encoding="utf-8")
    seen = []
    real = geocoding.geocode
    monkeypatch.setattr(geocoding, "geocode", lambda frame, **kw: seen.append(list(frame["incident_id"])) or real(frame, **kw))
    out = tmp_path / "m.html"
    result = run("render", "--month", "2023-03", "-i", str(path), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert seen == [["B1", "B2", "C1"]]
    assert "row 5: location 'Jani Khel' is ambiguous" in result.stderr
    assert "row 2:" not in result.stderr
    assert "1 of the 6 rows kept are in 2023-03" in result.stderr
    trend = json.loads(re.search(r"geoMap\.trend\([^,]+, (\{.*?\})\);", out.read_text(encoding="utf-8")).group(1))
    assert trend["months"] == [f"2022-{m:02d}" for m in range(4, 13)] + ["2023-01", "2023-02", "2023-03"]
    assert trend["total"] == [[0] * 9 + [0, 1, 1], [0] * 9 + [1, 0, 0]]  # ISKP (2 incidents), then Taliban
    # --compare geocodes the earlier month too, however far back.
    seen.clear()
    result = run("render", "--compare", "2021-12", "2023-03", "-i", str(path), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert seen == [["A1", "A2", "B1", "B2", "C1"]]
