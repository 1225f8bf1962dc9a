import re

import numpy as np
import pandas as pd
import pytest

from geo import load_incidents, render_map, save_map
from geo.maps import actor_colour, classify, map_html

ISKP = "Islamic State Khorasan Province (ISKP)"
HOSTILE = {
    "incident_id": "X<1>",
    "event_date": "2023-03-05",
    "time_precision": 1,
    "actor1": "<script>alert('actor')</script>",
    "actor2": "Taliban",
    "event_type": "Battles",
    "sub_event_type": "Armed clash",
    "location": "<img src=x onerror=alert(1)>",
    "admin1": "Kabul",
    "admin1_pcode": "AF01",
    "admin2": "Kabul",
    "admin2_pcode": "AF0101",
    "latitude": 34.5,
    "longitude": 69.2,
    "geo_precision": 1,
    "fatalities": 0,
    "verification": "claimed",
    "source": "javascript:alert(2)",
    "source_url": "https://example.org/a?b=1&c=<2>",
    "notes": "`${alert(3)}` \\u003cscript\\u003e </script><script>alert(4)</script>",
}


@pytest.fixture(scope="module")
def march_html(boundaries_dir):
    return map_html(render_map(load_incidents(month="2023-03"), title="March 2023"))


def test_map_is_self_contained(march_html):
    # No script or stylesheet is fetched: Leaflet and its CSS are inlined.
    assert not re.search(r"<script[^>]+src=", march_html)
    assert not re.search(r"<link[^>]+stylesheet", march_html)
    assert "L.map(" in march_html and ".leaflet-container" in march_html
    assert "tile.openstreetmap.org" not in march_html  # no tiles unless asked for


def test_map_has_both_choropleths_and_a_layer_per_actor(march_html):
    assert "Provinces: incidents" in march_html and "Districts: incidents" in march_html
    # Layer names reach the layer control as JSON strings (so < is \u003c).
    for actor in ("Taliban", ISKP, "Civilians (Afghanistan)"):
        assert f'\\u003c/span\\u003e {actor}" : feature_group_' in march_html
    assert "L.control.layers" in march_html
    # Province tooltips carry the unit name and P-code; Balkh had 3 incidents in March.
    assert '"c":"AF21","u":"Balkh (AF21)","n":[3]' in march_html
    assert "fitBounds" in march_html


def embedded(html: str) -> str:
    """The page with its JSON string escapes undone: the HTML that popups and tooltips will get."""
    return html.replace('\\"', '"').replace("\\u003c", "<").replace("\\u003e", ">")


@pytest.mark.parametrize("variant", [
    {},
    # The time control (a month per step, the same rows in both months) and clustered points.
    {"months": ["2023-03", "2023-04"], "cluster": True},
])
def test_every_input_text_is_escaped(boundaries_dir, variant):
    rows = [HOSTILE] if not variant else [HOSTILE, {**HOSTILE, "event_date": "2023-04-02"}]
    html = map_html(render_map(pd.DataFrame(rows), title="<b>t</b>", **variant))
    if variant:
        assert "geoMap.time(" in html and "L.markerClusterGroup(" in html
    for text in (html, embedded(html)):  # as sent, and as the popup HTML the script builds
        for raw in ("<script>alert", "<img src=x", "</script><script>", "${alert", "<b>t</b>", 'href="javascript:'):
            assert raw not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&#96;&#36;&#123;alert(3)&#125;&#96;" in html  # braces too: inert as Jinja2
    # http(s) URLs become links (escaped), anything else stays text.
    assert 'href="https://example.org/a?b=1&amp;c=&lt;2&gt;"' in embedded(html)
    assert "javascript:alert(2)" in html and 'href="javascript' not in embedded(html)


def test_classes_put_zero_alone_and_label_bounds():
    idx, bounds = classify(pd.Series([0, 1, 3, 3, 0]))
    assert idx.tolist() == [0, 1, 2, 2, 0] and bounds == [(1, 1), (3, 3)]
    idx, bounds = classify(pd.Series([0, 1, 2, 3, 5, 8, 13, 40, 41]), k=3)
    assert idx[0] == 0 and bounds[0][0] == 1 and bounds[-1][1] == 41
    assert all(lo <= hi for lo, hi in bounds)


def _within_class_squares(values, bounds):
    values = np.sort(np.asarray(values, dtype=float))
    cls = np.searchsorted(bounds, values, side="left")
    return sum(((values[cls == c] - values[cls == c].mean()) ** 2).sum() for c in np.unique(cls))


@pytest.mark.filterwarnings("ignore:Numba not installed")  # mapclassify's pure Python is quick here
def test_classes_are_as_good_as_mapclassify_s_on_random_data():
    # classify's breaks (jenkspy) against mapclassify.FisherJenks, the reference geo no longer
    # imports: on counts full of ties, skewed counts, rates and decimals the partition is as good
    # (optimal), and the breaks are the same wherever no two partitions are equally good.
    import mapclassify

    rng = np.random.default_rng(12)
    draws = [lambda n: rng.integers(1, 12, n), lambda n: rng.geometric(0.3, n), lambda n: rng.zipf(1.6, n),
             lambda n: rng.lognormal(2, 1.5, n), lambda n: np.round(rng.exponential(50, n), 2) + 0.01,
             lambda n: rng.integers(1, 4, n) * 1000 / rng.integers(1000, 100_000, n)]
    compared = same = 0
    for case in range(60):
        values = np.asarray(draws[case % len(draws)](int(rng.integers(6, 90))), dtype=float)
        k = int(rng.integers(2, 6))
        if len(np.unique(values)) <= k:
            continue
        _, bounds = classify(pd.Series(values), k=k)
        ours = np.array([hi for _, hi in bounds])
        reference = mapclassify.FisherJenks(values, k=k).bins
        assert len(ours) == k
        assert _within_class_squares(values, ours) <= _within_class_squares(values, reference) * (1 + 1e-9) + 1e-9
        compared += 1
        same += ours.tolist() == reference.tolist()
    assert compared >= 40 and same >= compared * 0.8, (compared, same)
    # 1 1 2 3 3 in two classes: {1 1} {2 3 3} and {1 1 2} {3 3} are equally good; either is right.
    _, bounds = classify(pd.Series([1, 1, 2, 3, 3]), k=2)
    assert [hi for _, hi in bounds] in ([1, 3], [2, 3])


def test_classes_need_no_mapclassify_import():
    # Importing mapclassify costs 1.3 to 2 s (scipy.stats, scikit-learn, matplotlib) per map.
    import subprocess
    import sys

    code = ("import sys; import pandas as pd; from geo.maps import classify\n"
            "idx, bounds = classify(pd.Series(range(40)))\n"
            "assert len(bounds) == 5, bounds\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'mapclassify', 'sklearn', 'scipy', 'matplotlib'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_actor_colours_are_stable():
    assert actor_colour("Taliban") == actor_colour("Taliban") != actor_colour(ISKP)
    assert actor_colour("Some New Militia") == actor_colour("Some New Militia")


def test_actors_the_table_does_not_list_get_colours_of_their_own():
    from geo.maps import _actor_table, actor_colours, fallback_palette

    fixed = set(_actor_table().values())
    palette = fallback_palette()
    assert len(palette) >= 8 and len(set(palette)) == len(palette) and not fixed & set(palette)
    # Names that hash to one colour of the palette, and more unknown actors than it has colours.
    slot = {n: actor_colour(n) for n in (f"Front {i}" for i in range(200))}
    same = [n for n in slot if slot[n] == slot["Front 0"]][:3]
    assert len(same) == 3
    names = [*same, *(f"Front {i}" for i in range(20)), "Taliban", ISKP]
    colours = actor_colours(names)
    unknown = [colours[n] for n in dict.fromkeys(names) if n not in (ISKP, "Taliban")]
    assert len(set(unknown)) == len(unknown) and not set(unknown) & fixed  # all told apart
    assert colours["Taliban"] == actor_colour("Taliban") and colours[ISKP] == actor_colour(ISKP)
    # Stable: the first of the three by name keeps the colour its name picks, on any map, and
    # each name keeps its own when no other on the map picks it.
    assert colours[min(same)] == slot["Front 0"] == actor_colours([min(same), "Taliban"])[min(same)]
    assert actor_colours(["Front 7", "Front 9"]) == {"Front 7": slot["Front 7"], "Front 9": slot["Front 9"]} \
        or slot["Front 7"] == slot["Front 9"]
    assert actor_colours(reversed(names)) == colours


def test_two_unknown_actors_are_drawn_in_two_colours(tmp_path, boundaries_dir):
    # Kapisa Front and Takhar Resistance (no colour in geo/data/actors.csv) both drew pink
    # #f781bf before, and their names still pick one colour of the palette; NRF has no colour
    # in the table either. Legend, points and trend panel agree.
    import json

    from geo.actors import canonical_actor

    path = tmp_path / "fronts.csv"
    path.write_text("incident_id,event_date,actor1,location\n"
                    "F1,2023-03-01,Kapisa Front,Kabul\nF2,2023-03-02,Takhar Resistance,Herat\n"
                    "F3,2023-03-03,National Resistance Front,Zaranj\nF4,2023-02-03,Taliban,Kabul\n", encoding="utf-8")
    html = map_html(render_map(load_incidents([path], month="2023-03"), trend=load_incidents([path])))
    legend = dict((a, c) for c, a in re.findall(r'<span class="dot" style="background:(#[0-9a-f]{6});[^"]*"></span>([^<]+)</li>', html))
    assert set(legend) == {"Kapisa Front", "Takhar Resistance", canonical_actor("National Resistance Front")}
    assert len(set(legend.values())) == 3
    trend = json.loads(re.search(r"geoMap\.trend\([^,]+, (\{.*?\})\);", html).group(1))
    assert dict(zip(trend["actors"], trend["colours"])) == {**legend, "Taliban": actor_colour("Taliban")}
    for actor, colour in legend.items():  # each actor's layer is named with its dot (JSON-escaped)
        assert f"\\u003cspan style=\\u0027color:{colour}\\u0027\\u003e\\u0026#9679;\\u003c/span\\u003e {actor}" in html


def test_save_is_atomic(tmp_path, boundaries_dir):
    target = tmp_path / "out" / "m.html"
    fmap = render_map(load_incidents(month="2023-04"))
    save_map(fmap, target)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in target.parent.iterdir()] == ["m.html"]  # no temporary left over


def test_a_failed_write_leaves_the_old_map(tmp_path, monkeypatch):
    from geo import _io

    target = tmp_path / "m.html"
    target.write_text("old")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(_io.os, "replace", boom)
    with pytest.raises(OSError):
        _io.atomic_write_text(target, "new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["m.html"]


def test_saved_files_get_the_usual_permissions(tmp_path):
    import os

    from geo._io import atomic_write_text

    mask = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "m.html", "<html></html>")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600


# --- population tables (--per N --population FILE) -------------------------------------------------


def _population_error(path) -> str:
    from typer.testing import CliRunner

    from geo.cli import app

    result = CliRunner().invoke(app, ["render", "--month", "2023-03", "--per", "1000", "--population", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("header", ["pcode,population,population", "pcode,Population,population",
                                    "pcode;population;pop;population"])
def test_a_population_table_that_repeats_a_column_is_refused(write_csv, header):
    # read_csv alone would rename the second one population.1 and go on with the first.
    sep = ";" if ";" in header else ","
    path = write_csv(f"{header}\n" + sep.join(["AF21", "1500000", "1", "2"][:header.count(sep) + 1]) + "\n",
                     name="pop.csv")
    assert _population_error(path) == (f"error: The header of the population table {path} repeats the column(s) "
                                       "population; each column needs one distinct name.")


def test_a_population_table_is_read_like_any_input(tmp_path, write_csv):
    import os

    fifo = tmp_path / "pop.fifo"
    os.mkfifo(fifo)  # refused at once: waiting for a writer would hang the command
    assert _population_error(fifo) == (f"error: The population table {fifo} is a pipe (FIFO), not a regular file; "
                                       "save the data to a file and give that.")
    bad = write_csv("pcode,population\nAF21,1500000\nAF01,lots\nAF22,-3\n", name="bad.csv")
    assert _population_error(bad) == f"error: {bad}: population must be a positive number: row 3 ('lots'), row 4 ('-3')."
    empty = write_csv("", name="empty.csv")
    assert _population_error(empty) == f"error: The population table {empty} is empty."


def test_a_population_table_in_a_spreadsheet_s_encoding_and_separator(write_csv):
    from geo.maps import read_population

    path = write_csv("\ufeffPCode;Pop\naf21;\"1,500,000\"\nAF2101; 400000\n", name="pop.csv", encoding="utf-8")
    table = read_population(path)
    assert table.to_dict("list") == {"pcode": ["AF21", "AF2101"], "population": [1_500_000, 400_000]}


# --- neighbouring countries ------------------------------------------------------------------------


def test_neighbouring_countries_are_computed_once_then_read_from_the_cache(boundaries_dir, tmp_path, monkeypatch):
    from collections import OrderedDict

    import shapely

    from geo import maps
    from geo.boundaries import load_admin

    provinces = load_admin(1)
    monkeypatch.setenv("GEO_CACHE", str(tmp_path))
    monkeypatch.setattr(maps, "_NEIGHBOURS_MEMO", OrderedDict())
    names, shapes, anchors = maps.neighbours(provinces)
    assert names == ["China", "India", "Iran", "Kyrgyzstan", "Pakistan", "Tajikistan", "Turkmenistan", "Uzbekistan"]
    assert [p.parent.name for p in tmp_path.rglob("*.parquet")] == ["neighbours"]

    def unions_again(*args):
        raise AssertionError("the countries were unioned again")

    monkeypatch.setattr(maps, "_find_neighbours", unions_again)
    maps._NEIGHBOURS_MEMO.clear()  # as in the next process: only the disk remembers
    cached = maps.neighbours(provinces)
    assert cached[0] == names and shapely.equals(cached[1], shapes).all() and shapely.equals(cached[2], anchors).all()
