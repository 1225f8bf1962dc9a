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
    population = folder / "pop.csv"  # made-up figures: Balkh and Kabul provinces only
    population.write_text("pcode,population\nAF21,1500000\nAF01,5000000\n", encoding="utf-8")
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
        "deaths": render(folder / "deaths.html", "--month", "2023-03", "--level", "adm2", "--metric", "fatalities",
                         "--title", "Deaths by district"),
        "compare": render(folder / "compare.html", "--compare", "2023-03", "2023-04"),
        "per": render(folder / "per.html", "--month", "2023-03", "--per", "100000", "--population", str(population)),
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


# --- issue 14: a newcomer's first hour and an analyst's map ----------------------------------------


def click_centre(page: Page, locator) -> None:
    box = locator.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_every_incident_at_a_place_opens_from_any_of_its_markers(open_map, maps):
    opened = open_map(maps["march"])
    page = opened.page
    # Halos are rings only (unfilled), so the corroborated disc inside stays clickable...
    assert page.locator('path.geo-mark[fill="none"]').count() == 2
    # ...and whichever marker at Mazar-e-Sharif opens its popup, even an outer halo, it lists all three
    # incidents there, each once.
    page.evaluate("() => { const map = window[document.querySelector('.folium-map').id]; const found = [];"
                  " map.eachLayer(l => { if (l.geoPlace && l.geoPlace.indexOf('36.70904') > 0) found.push(l); });"
                  " found.filter(l => !l.options.fill)[0].openPopup(); }")
    text = page.locator(".leaflet-popup-content").inner_text()
    assert "3 incidents at this place" in text
    assert [text.count(f"AFG-SEED-00{n}") for n in (3, 4, 5, 6)] == [1, 1, 1, 0]
    opened.shot("march-mazar-popup")
    opened.assert_clean()


def test_a_popup_fits_a_phone_and_hides_tooltips(open_map, maps):
    opened = open_map(maps["march"], size=(390, 844))
    page = opened.page
    marker = page.locator("path.geo-mark").first
    page.mouse.move(0, 0)
    click_centre(page, marker)
    page.locator(".leaflet-popup-content").wait_for()
    page.wait_for_timeout(400)
    popup = page.locator(".leaflet-popup").bounding_box()
    close = page.locator(".leaflet-popup-close-button").bounding_box()
    assert popup["x"] >= 0 and popup["x"] + popup["width"] <= 390
    assert 0 <= close["x"] and close["x"] + close["width"] <= 390 and close["y"] >= 0
    assert not page.locator(".leaflet-tooltip-pane").is_visible()
    opened.shot("phone-popup")
    opened.assert_clean()


def test_legend_symbols_all_differ(open_map, maps):
    opened = open_map(maps["march"])
    styles = opened.page.eval_on_selector_all(
        ".geo-symbols .dot", "els => els.map(e => { const s = getComputedStyle(e);"
        " return s.backgroundColor + ' ' + s.borderTopStyle; })")
    assert len(styles) == 6 and len(set(styles)) == 6


def test_deaths_by_district_names_and_zooms_to_its_districts(open_map, maps):
    opened = open_map(maps["deaths"])
    page = opened.page
    title = page.locator(".geo-title").inner_text()
    assert "Deaths by district" in title and "March 2023" in title  # the month stays under any title
    top = page.locator("#geo-scale-2 .geo-top")
    assert top.inner_text() == "Highest: Kabul 6 · Mazar-e-Sharif 4"
    opened.shot("deaths-by-district")
    top.locator("a", has_text="Kabul").click()
    page.wait_for_timeout(400)
    kabul = page.evaluate("() => { const el = [...document.querySelectorAll('path.leaflet-interactive:not(.geo-mark)')]"
                          ".find(p => p.getAttribute('fill') !== '#f7f7f7'); const b = el.getBoundingClientRect();"
                          " return [b.width, b.height]; }")
    assert min(kabul) > 150  # the small district now fills much of the screen
    assert "Kabul (AF0101)" in page.locator(".geo-trend summary").inner_text()
    opened.shot("deaths-kabul")
    opened.assert_clean()


def _shown_names(page) -> list[list]:
    """[text, left, top, right, bottom] of each place name the map shows."""
    return page.eval_on_selector_all(
        ".geo-label", "els => els.filter(e => e.style.visibility !== 'hidden').map(e => {"
        " const b = e.firstChild.getBoundingClientRect(); return [e.textContent, b.left, b.top, b.right, b.bottom]; })")


@pytest.mark.parametrize("size", [(1400, 900), (390, 844)], ids=["desktop", "phone"])
def test_province_and_country_names_never_overlap(open_map, maps, size):
    opened = open_map(maps["march"], size=size)
    page = opened.page
    page.wait_for_timeout(300)
    boxes = _shown_names(page)
    names = [b[0] for b in boxes]
    assert len(names) >= (20 if size[0] > 1000 else 6) and "Badakhshan" in names
    assert len({"Iran", "Pakistan", "Turkmenistan", "Uzbekistan", "Tajikistan"} & set(names)) >= 3
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2], f"{a[0]} overlaps {b[0]}"
    opened.shot(f"labels-{'desktop' if size[0] > 1000 else 'phone'}")
    opened.assert_clean()  # the neighbouring countries come from the file: nothing fetched


def test_trend_panel_for_the_map_and_a_clicked_province(open_map, maps):
    opened = open_map(maps["march"])
    page = opened.page
    panel = page.locator(".geo-trend")
    assert "Incidents per month by actor: whole map" in panel.locator("summary").inner_text()
    # Dec 2022 – Mar 2023: ISKP and civilians in Dec and Jan; three actors in March.
    titles = panel.locator("rect title").evaluate_all("els => els.map(e => e.textContent)")
    assert f"{ISKP}, Mar 2023: 4" in titles and "Taliban, Mar 2023: 3" in titles
    assert "Civilians (Afghanistan), Dec 2022: 1" in titles
    # Side by side, never stacked: an incident counts for each of its actors, so a stack of the
    # three March bars would claim 8 incidents where there were 4. The axis tops at the largest bar.
    march = panel.locator("rect:has(title)").evaluate_all(
        "els => els.filter(e => e.textContent.includes('Mar 2023'))"
        ".map(e => [+e.getAttribute('x'), +e.getAttribute('height')])")
    assert len({x for x, _ in march}) == 3  # three bars, none on top of another
    assert sorted(round(4 * bar / max(b for _, b in march), 1) for _, bar in march) == [1, 3, 4]
    assert panel.locator("svg text").first.text_content() == "4"
    page.evaluate("() => geoMap.showTrend('AF21', 'Balkh (AF21)')")
    assert "Balkh (AF21)" in panel.locator("summary").inner_text()
    assert sorted(panel.locator("rect title").evaluate_all("els => els.map(e => e.textContent)")) == [
        f"{ISKP}, Mar 2023: 3", "Taliban, Mar 2023: 3"]
    opened.shot("trend-balkh")
    opened.assert_clean()


@pytest.mark.parametrize("variant, said, shaded, shot", [
    # Balkh −2 and Kabul −1 in blues, Nimroz +1 in red.
    ("compare", ["change in incidents, March 2023 → April 2023", "−2", "−1", "no change", "+1"], 3,
     "compare-march-april"),
    # 3 / 1.5 M and 1 / 5 M, per 100,000, in two reds; the other provinces grey (no population).
    ("per", ["incidents per 100,000 people", "no population given", "Highest: Balkh 0.2 · Kabul 0.02"], 3,
     "per-capita"),
])
def test_compare_and_per_capita_legends_say_what_is_shaded(open_map, maps, variant, said, shaded, shot):
    opened = open_map(maps[variant])
    legend = opened.page.locator("#geo-scale-1").inner_text()
    assert [text for text in said if text not in legend] == []
    assert len({f for f in fills(opened.page) if f != ZERO_COLOUR}) == shaded
    opened.shot(shot)
    opened.assert_clean()


@pytest.mark.parametrize("size", [(1400, 900), (760, 700), (390, 844), (320, 640)],
                         ids=["desktop", "tablet", "phone", "small-phone"])
def test_corner_boxes_never_cover_each_other(open_map, maps, size):
    # The title (with a long month) and the zoom and layer buttons share the top edge: none may
    # hide part of another, or a button cannot be pressed.
    opened = open_map(maps["march"], size=size)
    page = opened.page
    boxes = {name: page.locator(selector).first.bounding_box() for name, selector in (
        ("title", ".geo-title"), ("zoom", ".leaflet-control-zoom"), ("layers", ".leaflet-control-layers"))}
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            p, q = boxes[a], boxes[b]
            apart = (p["x"] + p["width"] <= q["x"] or q["x"] + q["width"] <= p["x"]
                     or p["y"] + p["height"] <= q["y"] or q["y"] + q["height"] <= p["y"])
            assert apart, f"{a} {p} overlaps {b} {q} at {size}"
    assert boxes["title"]["x"] + boxes["title"]["width"] <= size[0]
    opened.assert_clean()


@pytest.mark.parametrize("size", [(1400, 900), (390, 844)], ids=["desktop", "phone"])
def test_no_name_is_drawn_under_an_incident(open_map, maps, size):
    # A province name half under a marker reads as "Par" or "Maidan W": it is hidden instead.
    opened = open_map(maps["march"], size=size)
    page = opened.page
    page.wait_for_timeout(300)
    rect = "e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }"
    markers = page.eval_on_selector_all(".leaflet-overlay-pane path.leaflet-interactive", f"els => els.map({rect})")
    labels = _shown_names(page)
    assert len(markers) >= 4 and len(labels) >= 6
    for name, *b in labels:
        for m in markers:
            assert b[2] <= m[0] or m[2] <= b[0] or b[3] <= m[1] or m[3] <= b[1], f"{name} under a marker at {m}"
    opened.assert_clean()
