"""Big months still draw: a month of 100,000 incidents is a file of a few MB that Chromium opens in seconds.

Above ``geo.maps.SUMMARY_AT`` incidents a map's markers (the same ones: place × actor × month,
verification as marker and halo) count their incidents instead of listing each one in the popup,
and are drawn on a canvas.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import geo.maps
from geo.aggregate import aggregate
from geo.cli import app
from geo.maps import find_chromium, map_html, render_map

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import scale  # noqa: E402  (the benchmark's generator of synthetic incidents)

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # the test extra was not installed
    sync_playwright = None

HOSTILE = "<img src=x onerror=alert(1)>{{ 7*7 }}"
SUMMARY_CALL = re.compile(r"geoSummary\(\w+, (\[.*?\]), (\{.*?\})\);\n")


def summaries(html: str) -> list[tuple[list, dict]]:
    """The (rows, options) of every actor's summary layer in a page."""
    return [(json.loads(rows), json.loads(options)) for rows, options in SUMMARY_CALL.findall(html)]


@pytest.fixture(scope="module")
def big_month(tmp_path_factory, boundaries_dir) -> tuple[Path, Path]:
    """A month of 100,000 synthetic incidents and its map, made by the CLI as a user would."""
    folder = tmp_path_factory.mktemp("big")
    csv = scale.write_incidents(folder / "march.csv", 100_000, month="2023-03")
    html = folder / "march.html"
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["render", "--month", "2023-03", "-i", str(csv), "--out", str(html),
                                      "--rejects", str(folder / "rejects.csv"), "--warnings", str(folder / "warnings.csv")])
    assert result.exit_code == 0, result.output[-2000:]
    print(f"geo render of 100,000 incidents: {time.perf_counter() - started:.1f} s")
    return csv, html


def test_a_month_of_100000_incidents_is_under_3_mb_and_counts_every_incident(big_month):
    csv, html = big_month
    text = html.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < 3_000_000
    assert '"preferCanvas": true' in text
    assert "SYN-" not in text  # no incident is listed one by one
    # Every placed incident is counted once for each of its actors: the counts in the markers
    # add up to the aggregate by actor of the same rows.
    from geo.geocode import geocode
    from geo.incidents import read_incidents, to_schema

    frame, _ = read_incidents([csv])
    placed = to_schema(geocode(frame)).dropna(subset=["latitude", "longitude"])
    expected = aggregate(placed, "actor").set_index("actor")["incidents"].to_dict()
    layers = summaries(text)
    counted = {}
    for rows, options in layers:
        counted[options["actor"]] = sum(r[6] for r in rows)
        assert all(r[2] == 0 for r in rows)  # one month: step 0
    assert counted == expected and sum(counted.values()) > 100_000
    # Markers are per place, not per incident: a few thousand for 100,000 incidents.
    assert 1_000 < sum(len(rows) for rows, _ in layers) < 20_000


def test_small_maps_still_list_every_incident(boundaries_dir):
    march = geo.load_incidents(month="2023-03")
    html = map_html(render_map(march, months=["2023-03"]))
    assert "geoSummary(" not in html and '"preferCanvas": false' in html
    assert all(i in html for i in march["incident_id"])  # each incident in its popup


def test_summaries_escape_every_text_and_keep_the_markers(boundaries_dir, monkeypatch):
    march = geo.load_incidents(month="2023-03")
    hostile = march.assign(location=HOSTILE, actor2=march["actor2"].where(march["actor2"] == "", HOSTILE))
    monkeypatch.setattr(geo.maps, "SUMMARY_AT", 0)
    html = map_html(render_map(hostile, months=["2023-03"]))
    assert "<img" not in html and "{{ 7*7 }}" not in html
    layers = summaries(html)
    assert HOSTILE.replace("<", "&lt;").replace(">", "&gt;")[:20] in json.dumps([o for _, o in layers])
    # The same six markers as the listed map draws (tests/test_browser.py), two of them halos of claims.
    assert sum(len(rows) for rows, _ in layers) == 6
    assert sorted(r[6] for rows, _ in layers for r in rows) == [1, 1, 1, 1, 2, 2]


@pytest.mark.browser
@pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed (apt-get install -y chromium)")
@pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed (pip install -e '.[test]')")
def test_chromium_opens_the_big_month_in_seconds(big_month):
    _, html = big_month
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=["--host-resolver-rules=MAP * ~NOTFOUND"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors, refused = [], []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                   else (refused.append(r.request.url), r.abort()))
        started = time.perf_counter()
        page.goto(html.as_uri(), wait_until="load", timeout=60_000)
        page.wait_for_selector(".geo-cluster", timeout=60_000)
        seconds = time.perf_counter() - started
        # A few seconds on an idle machine (docs/BENCHMARKS.md); the bound leaves room for a busy one.
        assert seconds < 20, seconds
        # Zoomed in on Kabul, a marker's popup summarises its incidents.
        page.evaluate("() => { const m = window[document.querySelector('.folium-map').id];"
                      " m.setView([34.52, 69.18], 12, {animate: false}); }")
        page.wait_for_timeout(800)
        text = page.evaluate(
            "() => { const m = window[document.querySelector('.folium-map').id]; let out = null;"
            " m.eachLayer(l => { if (!out && l instanceof L.CircleMarker && m.getBounds().contains(l.getLatLng()))"
            " { l.openPopup(); out = document.querySelector('.leaflet-popup-content').innerText; } }); return out; }")
        assert text and re.search(r"(^|\n)\d+ incidents?\n", text)
        for label in ("Dates", "Actor", "Place reported", "Resolved to", "Fatalities", "Verification", "Events"):
            assert label in text
        # The place's popup counts every actor's incidents there, not the summaries.
        head = re.match(r"(\d+) incidents at this place", text)
        if head:
            assert int(head.group(1)) == sum(int(n) for n in re.findall(r"(?:^|\n)(\d+) incidents?\n", text))
        assert "counts its incidents instead of listing them" in page.locator(".geo-legend").inner_text()
        ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "big-month-popup.png"))
        browser.close()
    assert errors == [] and refused == []
