"""The rendered maps, opened in headless Chromium with every request off the page's own file refused.

Playwright drives Debian's ``chromium`` (``executable_path``; nothing is downloaded). One browser
serves the whole module. Each page records every request it attempts, every console error and
uncaught exception, and every ``alert()``: a map must draw with none of them. Screenshots are
kept in ``tests/artifacts/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from geo.cli import app
from geo.maps import ZERO_COLOUR, find_chromium

try:
    from playwright.sync_api import Page, sync_playwright
except ImportError:  # the test extra was not installed
    sync_playwright = None

CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"),
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed (pip install -e '.[test]')"),
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ISKP = "Islamic State Khorasan Province (ISKP)"
ACTORS = [ISKP, "Taliban", "Civilians (Afghanistan)"]  # most incidents first
HOSTILE_ACTOR = "<script>alert('actor')</script>"
HOSTILE_PLACE = "<img src=x onerror=alert(1)>"
HOSTILE_NOTES = "`${alert(3)}` </script><script>alert(4)</script> {{ 7*191919 }} {# {%"  # HTML, JS, Jinja2


def hostile_rows(month: str, n: int) -> list[dict]:
    return [
        {
            "incident_id": f"X<{month}-{i}>", "event_date": f"{month}-05", "time_precision": 1,
            "actor1": HOSTILE_ACTOR, "actor2": "Taliban", "event_type": "Battles",
            "sub_event_type": "Armed clash", "location": HOSTILE_PLACE, "latitude": 34.5 + i / 100,
            "longitude": 69.2, "geo_precision": 1, "fatalities": 0, "verification": "claimed",
            "source": "javascript:alert(2)", "source_url": "https://example.org/a?b=1&c=<2>",
            "notes": HOSTILE_NOTES,
        }
        for i in range(n)
    ]


def render(out: Path, *args: str) -> Path:
    result = CliRunner().invoke(app, ["render", *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def maps(tmp_path_factory, boundaries_dir) -> dict[str, Path]:
    """Every variant the CLI makes, rendered once for the module."""
    folder = tmp_path_factory.mktemp("maps")
    hostile = folder / "hostile.csv"
    rows = hostile_rows("2023-03", 1) + hostile_rows("2023-04", 2)
    with hostile.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return {
        "march": render(folder / "march.html", "--month", "2023-03"),
        "april": render(folder / "april.html", "--month", "2023-04"),
        "range": render(folder / "range.html", "--from", "2023-03", "--to", "2023-04"),
        "cluster": render(folder / "cluster.html", "--month", "2023-03", "--cluster"),
        "tiles": render(folder / "tiles.html", "--month", "2023-03", "--tiles", "openstreetmap"),
        "hostile": render(folder / "hostile.html", "--month", "2023-03", "-i", str(hostile), "--title", "<b>t</b> {{ 7*7 }}"),
        "cdn": render(folder / "cdn.html", "--from", "2023-03", "--to", "2023-04", "--cluster", "--cdn"),
        "hostile_range": render(folder / "hostile_range.html", "--from", "2023-03", "--to", "2023-04",
                                "-i", str(hostile), "--cluster"),
    }


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        # Belt and braces: no host resolves, besides the per-page request guard below.
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=["--host-resolver-rules=MAP * ~NOTFOUND"])
        yield chromium
        chromium.close()


@dataclass
class Opened:
    page: Page
    path: Path
    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        """Nothing but the file itself (and inline data: URLs) was asked for; no script failed."""
        assert self.refused == []
        assert {u for u in self.requests if not u.startswith("data:")} == {self.path.as_uri()}
        assert self.errors == [] and self.dialogs == []

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.wait_for_timeout(350)  # popups and zooms fade in over 0.25 s
        png = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(png))
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 40_000  # a blank page is a few kB
        return png


@pytest.fixture()
def open_map(browser):
    contexts = []

    def opener(path: Path, size: tuple[int, int] = (1400, 900)) -> Opened:
        context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        contexts.append(context)
        opened = Opened(context.new_page(), path)

        def guard(route):
            url = route.request.url
            if url.startswith(("file:", "data:")):
                route.continue_()
            else:
                opened.refused.append(url)
                route.abort()

        context.route("**/*", guard)
        page = opened.page
        page.on("request", lambda r: opened.requests.append(r.url))
        page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: opened.errors.append(str(e)))
        page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))
        page.goto(path.as_uri())
        page.wait_for_selector(".leaflet-control-layers-overlays label", state="attached")
        return opened

    yield opener
    for context in contexts:
        context.close()


def layer_names(page: Page) -> list[str]:
    return [t.strip() for t in page.locator(".leaflet-control-layers-overlays label").all_inner_texts()]


def tick(page: Page, name: str) -> None:
    page.locator(".leaflet-control-layers-overlays label", has_text=name).locator("input").click()


def fills(page: Page) -> list[str]:
    """Fill colours of the choropleth polygons (markers have the geo-mark class)."""
    return page.eval_on_selector_all(
        "path.leaflet-interactive:not(.geo-mark)", "els => els.map(e => e.getAttribute('fill'))"
    )


def test_march_map_layers_polygons_and_legend(open_map, maps):
    opened = open_map(maps["march"])
    page = opened.page
    # Both choropleths and one layer per actor, in one control (● is the actor's colour key).
    assert layer_names(page) == ["Provinces: incidents", "Districts: incidents", *[f"● {a}" for a in ACTORS]]
    # 34 province polygons (districts are off until ticked) and six markers: in Mazar-e-Sharif
    # ISKP and Taliban each have a corroborated marker ringed by a claims halo; in Kabul ISKP and
    # civilians have one each.
    assert page.locator("path.leaflet-interactive:not(.geo-mark)").count() == 34
    assert page.locator("path.geo-mark").count() == 6
    shaded = [f for f in fills(page) if f != ZERO_COLOUR]
    assert len(shaded) == 2 and shaded[0] != shaded[1]  # Balkh (3) and Kabul (1); 32 zero provinces pale
    assert page.locator("#geo-scale-1").is_visible() and not page.locator("#geo-scale-2").is_visible()
    assert "Conflict incidents in Afghanistan, March 2023" in page.locator(".geo-title").inner_text()
    opened.shot("march-2023")

    tick(page, "Districts: incidents")
    assert page.locator("path.leaflet-interactive:not(.geo-mark)").count() == 34 + 399
    assert page.locator("#geo-scale-2").is_visible()
    legend = page.locator("#geo-scale-2").inner_text()
    assert "Districts: Incidents per district" in legend and "0" in legend
    tick(page, "Provinces: incidents")
    assert page.locator("path.leaflet-interactive:not(.geo-mark)").count() == 399
    assert not page.locator("#geo-scale-1").is_visible()
    opened.shot("march-2023-districts")
    opened.assert_clean()


def test_popup_and_tooltip_show_hostile_text_as_text(open_map, maps):
    opened = open_map(maps["hostile"])
    page = opened.page
    assert f"● {HOSTILE_ACTOR}" in layer_names(page)  # the layer control shows the name as text
    marker = page.locator("path.geo-mark").first
    box = marker.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tooltip = page.locator(".leaflet-tooltip").inner_text()
    assert HOSTILE_PLACE in tooltip
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    for raw in (HOSTILE_ACTOR, HOSTILE_PLACE, "`${alert(3)}`", "</script><script>alert(4)</script>",
                "{{ 7*191919 }} {# {%", "javascript:alert(2)", "X<2023-03-0>"):
        assert raw in text
    # Only our own markup: no image, script or javascript: link was made from the input.
    assert popup.locator("img, script, [onerror]").count() == 0
    assert popup.locator("a").evaluate_all("els => els.map(a => a.getAttribute('href'))") == [
        "https://example.org/a?b=1&c=<2>"
    ]
    assert page.locator(".geo-title h1").inner_text() == "<b>t</b> {{ 7*7 }}"
    opened.shot("hostile-popup")
    opened.assert_clean()


def test_range_map_steps_month_by_month(open_map, maps):
    opened = open_map(maps["range"])
    page = opened.page
    assert layer_names(page) == ["Provinces: incidents", "Districts: incidents", *[f"● {a}" for a in ACTORS]]
    date = page.locator(".timecontrol-date")
    subtitle = page.locator(".geo-title [data-geo-step]:visible")
    assert date.inner_text() == "March 2023"
    assert subtitle.inner_text() == "March 2023: 4 incidents, 10 reported fatalities"
    assert page.locator("path.geo-mark").count() == 6
    # Classes are shared by both months: Balkh's 3 March incidents are the darkest class.
    march = sorted(f for f in fills(page) if f != ZERO_COLOUR)
    assert len(march) == 2 and march[0] != march[1]  # Balkh (3) and Kabul (1)
    opened.shot("range-march")

    page.locator(".timecontrol-forward").click()
    page.wait_for_function("() => geoMap.step() === 1")
    assert date.inner_text() == "April 2023"
    assert subtitle.inner_text() == "April 2023: 2 incidents, 6 reported fatalities"
    # Nahr-e-Shahi (Balkh) and Zaranj (Nimroz), each with ISKP and the Taliban.
    assert page.locator("path.geo-mark").count() == 4
    april = sorted(f for f in fills(page) if f != ZERO_COLOUR)
    # One incident each: both in Kabul's March class; Balkh's darker March class is gone.
    assert len(april) == 2 and april[0] == april[1]
    assert april[0] in march and len(set(march) - set(april)) == 1
    opened.shot("range-april")
    opened.assert_clean()


def test_clustered_map_groups_markers(open_map, maps):
    opened = open_map(maps["cluster"])
    page = opened.page
    assert layer_names(page) == ["Provinces: incidents", "Districts: incidents", *[f"● {a}" for a in ACTORS]]
    # At country zoom the two markers each of ISKP and the Taliban in Mazar-e-Sharif cluster,
    # counting incidents (3 each); Kabul's single markers stay markers.
    assert sorted(page.locator(".geo-cluster").all_inner_texts()) == ["3", "3"]
    assert page.locator("path.geo-mark").count() == 2
    opened.shot("cluster-march")
    opened.assert_clean()


def test_time_control_and_clusters_keep_hostile_text_inert(open_map, maps):
    opened = open_map(maps["hostile_range"])
    page = opened.page
    page.locator(".timecontrol-forward").click()
    page.wait_for_function("() => geoMap.step() === 1")
    cluster = page.locator(".geo-cluster").first  # April's two hostile incidents sit 1 km apart
    assert cluster.inner_text() == "2"
    page.wait_for_timeout(400)  # let the time control's own redraw settle before zooming in
    page.evaluate("() => { const m = window[document.querySelector('.folium-map').id];"
                  " m.setView([34.505, 69.2], 13, {animate: false}); }")
    page.wait_for_function("() => document.querySelectorAll('path.geo-mark').length >= 4")
    page.wait_for_timeout(400)  # the clusters finish unfolding before a person could click
    marker = page.locator("path.geo-mark").first
    marker.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert HOSTILE_PLACE in popup.inner_text() and popup.locator("img, script").count() == 0
    opened.shot("hostile-range-april")
    opened.assert_clean()


def test_tiles_are_an_optional_layer_fetched_only_when_ticked(open_map, maps):
    opened = open_map(maps["tiles"])
    page = opened.page
    assert layer_names(page)[0] == "OpenStreetMap tiles (online only)"
    opened.assert_clean()  # drawn without asking the network for anything
    tick(page, "OpenStreetMap tiles")
    page.wait_for_timeout(300)
    # The guard sees (and refuses) what a ticked tile layer asks for: the checks above can fail.
    assert opened.refused and all("tile.openstreetmap.org" in u for u in opened.refused)


def test_imprecise_incident_shows_its_district_outline(open_map, maps):
    opened = open_map(maps["april"])
    page = opened.page
    outline = page.locator('path[stroke-dasharray="8 5"]')
    assert outline.count() == 0
    hollow = page.eval_on_selector_all("path.geo-mark", "els => els.map(e => e.getAttribute('fill-opacity'))")
    assert sorted(hollow) == ["0", "0", "0.85", "0.85"]  # Nahr-e-Shahi is known to the district only
    marker = page.locator('path.geo-mark[fill-opacity="0"]').first
    marker.hover(force=True)
    assert outline.count() == 1
    assert "only the district is known" in page.locator(".leaflet-tooltip").inner_text()
    opened.shot("april-outline")
    page.mouse.move(5, 450)
    assert outline.count() == 0
    opened.assert_clean()


def test_cdn_map_draws_from_its_links(browser, maps):
    """With --cdn the page asks the CDNs for Leaflet and its plugins, in an order that works."""
    from offlinefolium.elements import _res as assets

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    served, errors = [], []

    def cdn(route):  # stand in for the CDNs with the texts folium-offline ships
        url = route.request.url
        if url in assets:
            served.append(url)
            kind = "text/css" if url.endswith(".css") else "application/javascript"
            route.fulfill(status=200, content_type=kind, body=assets[url])
        elif url.startswith("file:"):
            route.continue_()
        else:
            errors.append(f"unexpected request {url}")
            route.abort()

    context.route("**/*", cdn)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(maps["cdn"].as_uri())
    page.wait_for_selector(".leaflet-control-layers-overlays label")
    assert errors == []
    # Leaflet (JS, CSS), markercluster (JS, 2 CSS), TimeDimension (JS, CSS) and iso8601, once each.
    assert len(served) == len(set(served)) == 8
    assert page.locator(".timecontrol-date").inner_text() == "March 2023"
    assert sorted(page.locator(".geo-cluster").all_inner_texts()) == ["3", "3"]
    context.close()


def test_small_screens_start_with_legend_and_layers_folded(open_map, maps):
    opened = open_map(maps["range"], size=(600, 500))
    page = opened.page
    layers = page.locator(".leaflet-control-layers-overlays")
    assert not layers.is_visible() and not page.locator("#geo-scale-1").is_visible()
    assert page.locator("details.geo-legend summary").is_visible()
    page.locator(".leaflet-control-layers-toggle").click()
    assert layers.is_visible()
    opened.shot("range-small-screen")
    page.mouse.click(300, 300)
    assert not layers.is_visible()
    page.locator("details.geo-legend summary").click()
    assert page.locator("#geo-scale-1").is_visible()
    opened.assert_clean()


def test_png_of_the_map(tmp_path, boundaries_dir):
    png = tmp_path / "march.png"
    result = CliRunner().invoke(app, ["render", "--month", "2023-03", "--out", str(tmp_path / "m.html"),
                                      "--png", str(png)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 40_000
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left
