"""The notebooks: committed without outputs, and each executed top to bottom in a real Jupyter
kernel (nbclient) on the real boundaries, with assertions on the values computed in it.

Values are read back from the kernel by a probe cell the test appends: it prints the
notebook's own variables as JSON. The ACLED notebook reads an export this test writes.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from geopy.distance import geodesic
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
ISKP = "Islamic State Khorasan Province (ISKP)"
CIVILIANS = "Civilians (Afghanistan)"
PROBE_MARK = "GEO-PROBE "

#: What each notebook's probe cell reports (the notebook's variables, as JSON).
PROBES = {
    "01_quickstart.ipynb": """
{"summary": report.summary(), "march_ids": march["incident_id"].tolist(),
 "pcodes": march["admin2_pcode"].tolist(), "geo_precision": [int(v) for v in march["geo_precision"]],
 "by_actor_province": by_actor_province.to_dict("records"), "map_class": type(fmap).__name__}
""",
    "02_spatial_queries.ipynb": """
{"near_mazar": near_mazar["incident_id"].tolist(), "near_mazar_m": near_mazar["distance_m"].tolist(),
 "crs": near_mazar.attrs["distance_crs"], "origin": list(near_mazar.attrs["origin"]),
 "near_all": near_all["incident_id"].tolist(),
 "nahr": [float(nahr["latitude"]), float(nahr["longitude"]), float(nahr["distance_m"])], "check_m": check_m,
 "in_balkh": in_balkh["incident_id"].tolist(), "balkh_unit": list(in_balkh.attrs["unit"]),
 "in_kabul_district": in_kabul_district["incident_id"].tolist(),
 "nearest": nearest["incident_id"].tolist(), "nearest_m": nearest["distance_m"].tolist(),
 "consecutive": consecutive.drop(columns="geometry").to_dict("records"),
 "consecutive_provinces": consecutive_provinces[["admin1_pcode", "month", "next_month"]].values.tolist(),
 "density": density[["actor", "admin2_pcode", "incidents", "area_km2", "incidents_per_10000_km2"]].values.tolist()}
""",
    "03_acled_export.ipynb": """
{"summary": report.summary(), "rejected": report.rejected[["row", "column", "value"]].values.tolist(),
 "flagged": report.flagged[["row", "column", "value"]].values.tolist(), "ids": acled["incident_id"].tolist(), "dates": acled["event_date"].tolist(),
 "pcodes": acled["admin2_pcode"].tolist(), "status": acled["match_status"].tolist(),
 "by_month_actor": by_month_actor.to_dict("records"), "months": months, "saved": saved,
 "density": density[["actor", "admin2_pcode", "incidents"]].values.tolist()}
""",
}

#: ACLED's export columns, in its order.
ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
    "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
    "fatalities", "tags", "timestamp",
]


def write_acled_export(path: Path) -> Path:
    """A small ACLED-format export: six good rows over March and April 2023, one bad date."""
    rows = [
        # id, date, event type, sub-event, actor1, inter1, actor2, inter2, admin1, admin2, location, lat, lon, geo_prec, fatalities, notes
        ("AFG70001", "02 March 2023", "Battles", "Armed clash", "Taliban", 2, ISKP, 2,
         "Balkh", "Mazar-e-Sharif", "Mazar-e-Sharif", 36.7090, 67.1109, 1, 2, "Clash in the city."),
        ("AFG70002", "18 March 2023", "Explosions/Remote violence", "Suicide bomb", ISKP, 2, CIVILIANS, 7,
         "Kabul", "Kabul", "Kabul", 34.5328, 69.1658, 1, 5, "Bombing near a ministry."),
        ("AFG70003", "27 March 2023", "Battles", "Armed clash", "Taliban", 2, ISKP, 2,
         "Balkh", "Nahr-e-Shahi", "Nahr-e-Shahi", 36.8259, 67.1884, 2, 4, "Raid on a hideout in the district."),
        ("AFG70004", "03 April 2023", "Battles", "Armed clash", "Taliban", 2, ISKP, 2,
         "Nimruz", "Zaranj", "Zaranj", 30.9596, 61.8604, 1, 0, "Explosions and gunfire reported."),
        ("AFG70005", "03 April 2023", "Battles", "Armed clash", "Military Forces of Afghanistan (2021-)", 1,
         "Unidentified Armed Group (Afghanistan)", 3, "Kandahar", "Kandahar", "Kandahar", 31.6133, 65.7101, 1, 1,
         "Checkpoint attacked."),
        ("AFG70006", "15 April 2023", "Protests", "Peaceful protest", "Protesters (Afghanistan)", 6, "", 0,
         "Herat", "Herat", "Herat", 34.3482, 62.1997, 1, 0, "<b>Women</b> & girls demand schools reopen."),
        ("AFG70007", "31 February 2023", "Battles", "Armed clash", "Taliban", 2, ISKP, 2,
         "Kabul", "Kabul", "Kabul", 34.5328, 69.1658, 1, 0, "A date that does not exist."),
    ]
    records = []
    for (eid, date, etype, sub, a1, i1, a2, i2, adm1, adm2, loc, lat, lon, gp, fat, notes) in rows:
        records.append({
            "event_id_cnty": eid, "event_date": date, "year": 2023, "time_precision": 1,
            "disorder_type": "Demonstrations" if etype == "Protests" else "Political violence",
            "event_type": etype, "sub_event_type": sub, "actor1": a1, "assoc_actor_1": "", "inter1": i1,
            "actor2": a2, "assoc_actor_2": "", "inter2": i2, "interaction": int(f"{min(i1, i2 or i1)}{max(i1, i2)}"),
            "civilian_targeting": "Civilian targeting" if a2 == CIVILIANS else "", "iso": 4,
            "region": "Caucasus and Central Asia", "country": "Afghanistan", "admin1": adm1, "admin2": adm2,
            "admin3": "", "location": loc, "latitude": lat, "longitude": lon, "geo_precision": gp,
            "source": "Test wire", "source_scale": "National", "notes": notes, "fatalities": fat,
            "tags": "", "timestamp": 1681000000,
        })
    pd.DataFrame(records, columns=ACLED_COLUMNS).to_csv(path, index=False)
    return path


def execute(name: str, workdir: Path, env: dict[str, str]) -> tuple[nbformat.NotebookNode, dict]:
    """Run a notebook top to bottom in a fresh kernel, then the probe; return both."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        f"import json as _json\nprint({PROBE_MARK!r} + _json.dumps({PROBES[name].strip()}, default=str))"
    ))
    with pytest.MonkeyPatch.context() as mp:  # the kernel inherits the environment at launch
        for key, value in env.items():
            mp.setenv(key, value)
        NotebookClient(
            nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
        ).execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    line = next(x for x in text.splitlines() if x.startswith(PROBE_MARK))
    return nb, json.loads(line[len(PROBE_MARK):])


@pytest.fixture(scope="module")
def env(boundaries_dir) -> dict[str, str]:
    # The kernel runs in a scratch folder, so a relative GEO_BOUNDARIES is made absolute first.
    return {"GEO_BOUNDARIES": str(Path(os.environ["GEO_BOUNDARIES"]).resolve())}


@pytest.fixture(scope="module")
def quickstart(env, tmp_path_factory):
    return execute("01_quickstart.ipynb", tmp_path_factory.mktemp("quickstart"), env)


@pytest.fixture(scope="module")
def spatial(env, tmp_path_factory):
    return execute("02_spatial_queries.ipynb", tmp_path_factory.mktemp("spatial"), env)


@pytest.fixture(scope="module")
def acled(env, tmp_path_factory):
    work = tmp_path_factory.mktemp("acled")
    export = write_acled_export(work / "acled_2023-03_2023-04.csv")
    maps = work / "out"
    nb, values = execute("03_acled_export.ipynb", work, env | {"GEO_ACLED_EXPORT": str(export), "GEO_MAPS_DIR": str(maps)})
    return nb, values, maps


def html_outputs(nb: nbformat.NotebookNode, source_endswith: str) -> list[str]:
    """The text/html outputs of the code cell whose source ends with ``source_endswith``."""
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.strip().endswith(source_endswith))
    return [o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]


def assert_inline_map(nb: nbformat.NotebookNode, source_endswith: str, title: str) -> None:
    outputs = html_outputs(nb, source_endswith)
    assert len(outputs) == 1 and "<iframe" in outputs[0]
    document = html.unescape(outputs[0])  # the map is the iframe's srcdoc
    assert f"<h1>{title}</h1>" in document
    assert "L.map(" in document and "https://unpkg.com" not in document  # Leaflet inlined


# --- committed notebooks --------------------------------------------------------------------------


def test_every_notebook_is_executed_by_these_tests():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(PROBES)


def unstripped(nb: nbformat.NotebookNode) -> list[str]:
    """What stops a notebook from being committed as it is: outputs and execution counts."""
    return [
        f"cell {i} has {what}"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for what, bad in (("outputs", bool(cell.outputs)), ("an execution count", cell.execution_count is not None))
        if bad
    ]


@pytest.mark.parametrize("name", sorted(PROBES))
def test_committed_notebooks_are_valid_and_have_no_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert any(c.cell_type == "code" for c in nb.cells), "a notebook with no code"
    assert unstripped(nb) == [], "strip outputs before committing: nbstripout notebooks/*.ipynb"
    assert nb.metadata.kernelspec.name == "python3"


def test_the_output_check_catches_an_executed_notebook(quickstart):
    executed, _ = quickstart  # as run by the test: outputs and execution counts everywhere
    problems = unstripped(executed)
    code_cells = sum(c.cell_type == "code" for c in executed.cells)
    assert "cell 1 has outputs" in problems and "cell 1 has an execution count" in problems
    assert sum(p.endswith("execution count") for p in problems) == code_cells


# --- quickstart -----------------------------------------------------------------------------------


def test_quickstart_geocodes_aggregates_and_maps_march(quickstart):
    nb, values = quickstart
    assert values["summary"] == "read 8 = kept 8 + rejected 0"
    assert values["march_ids"] == ["AFG-SEED-003", "AFG-SEED-004", "AFG-SEED-005", "AFG-SEED-006"]
    assert values["pcodes"] == ["AF2101", "AF2101", "AF2101", "AF0101"]
    assert values["geo_precision"] == [1, 1, 1, 1]
    assert [(r["actor"], r["admin1_pcode"], r["incidents"], r["fatalities"]) for r in values["by_actor_province"]] == [
        (CIVILIANS, "AF01", 1, 6),
        (ISKP, "AF21", 3, 4),  # sorted by actor, then province name: Balkh before Kabul
        (ISKP, "AF01", 1, 6),
        ("Taliban", "AF21", 3, 4),
    ]
    assert values["map_class"] == "Map"
    assert_inline_map(nb, "fmap", "Conflict incidents in Afghanistan, March 2023")


# --- spatial queries -------------------------------------------------------------------------------


def test_spatial_notebook_counts_march_incidents_within_50_km_of_mazar(spatial):
    _, values = spatial
    assert values["near_mazar"] == ["AFG-SEED-003", "AFG-SEED-004", "AFG-SEED-005"]
    assert values["near_mazar_m"] == [0.0, 0.0, 0.0]
    assert values["crs"] == "EPSG:32642"
    assert values["near_all"] == ["AFG-SEED-003", "AFG-SEED-004", "AFG-SEED-005", "AFG-SEED-007"]


def test_spatial_notebook_distances_agree_with_geopy(spatial):
    _, values = spatial
    lat, lon, metres = values["nahr"]
    expected = geodesic(tuple(values["origin"]), (lat, lon)).meters  # computed here, not in the kernel
    assert 14_000 < expected < 16_000
    assert metres == pytest.approx(expected, rel=0.005)
    assert values["check_m"] == pytest.approx(expected, rel=1e-9)
    # Nearest to (34.50, 69.20): the two reports in Kabul city, the airport bombing at the
    # airfield, then the three at Mazar-e-Sharif (tied).
    assert values["nearest"] == ["AFG-SEED-001", "AFG-SEED-006", "AFG-SEED-002",
                                 "AFG-SEED-003", "AFG-SEED-004", "AFG-SEED-005"]
    kabul = geodesic((34.50, 69.20), (34.52813, 69.17233)).meters
    airfield = geodesic((34.50, 69.20), (34.5659, 69.2123)).meters
    mazar = geodesic((34.50, 69.20), (36.70904, 67.11087)).meters
    assert values["nearest_m"] == pytest.approx([kabul] * 2 + [airfield] + [mazar] * 3, rel=0.005)


def test_spatial_notebook_units_months_and_density(spatial):
    nb, values = spatial
    assert values["in_balkh"] == ["AFG-SEED-003", "AFG-SEED-004", "AFG-SEED-005", "AFG-SEED-007"]
    assert values["balkh_unit"] == ["Balkh", "AF21"]
    assert values["in_kabul_district"] == ["AFG-SEED-001", "AFG-SEED-002", "AFG-SEED-006"]
    assert [(r["admin2_pcode"], r["month"], r["next_month"]) for r in values["consecutive"]] == [
        ("AF0101", "2022-12", "2023-01")
    ]
    assert values["consecutive_provinces"] == [["AF01", "2022-12", "2023-01"], ["AF21", "2023-03", "2023-04"]]
    density = {(a, c): (n, area, d) for a, c, n, area, d in values["density"]}
    n, area, per = density[(ISKP, "AF2101")]
    assert n == 3 and per == pytest.approx(3 / area * 10_000)
    assert sum(n for (a, _), (n, _, _) in density.items() if a == ISKP) == 8
    assert_inline_map(nb, "fmap", "Incidents within 50 km of Mazar-e-Sharif")
    circle = html.unescape(html_outputs(nb, "fmap")[0])
    assert "L.circle(" in circle and '"radius": 50000' in circle


# --- ACLED export ----------------------------------------------------------------------------------


def test_acled_notebook_reads_the_export_and_reports_the_bad_row(acled):
    _, values, _ = acled
    assert values["summary"] == "read 7 = kept 6 + rejected 1"
    assert values["rejected"] == [[8, "event_date", "31 February 2023"]]
    # ACLED's names for the Taliban's forces and unidentified groups are in the actor table;
    # protesters are not, so they are flagged and kept.
    assert values["flagged"] == [[7, "actor1", "Protesters (Afghanistan)"]]
    assert values["ids"] == ["AFG70001", "AFG70002", "AFG70003", "AFG70004", "AFG70005", "AFG70006"]
    assert values["dates"] == ["2023-03-02", "2023-03-18", "2023-03-27", "2023-04-03", "2023-04-03", "2023-04-15"]
    # ACLED's coordinates are kept and reverse-geocoded to COD-AB districts.
    assert values["pcodes"] == ["AF2101", "AF0101", "AF2102", "AF3401", "AF2701", "AF3201"]
    assert set(values["status"]) == {"coordinates"}


def test_acled_notebook_counts_by_month_and_actor(acled):
    _, values, _ = acled
    got = {(r["month"], r["actor"]): (r["incidents"], r["fatalities"]) for r in values["by_month_actor"]}
    assert got == {
        ("2023-03", CIVILIANS): (1, 5),
        ("2023-03", ISKP): (3, 11),
        ("2023-03", "Taliban"): (2, 6),
        ("2023-04", ISKP): (1, 0),
        ("2023-04", "Protesters (Afghanistan)"): (1, 0),
        ("2023-04", "Taliban"): (2, 1),
        ("2023-04", "Unidentified Armed Group (Afghanistan)"): (1, 1),
    }
    assert [a for a, c, n in values["density"] if c == "AF2101"] == [ISKP, "Taliban"]


def test_acled_notebook_writes_one_offline_map_per_month(acled):
    nb, values, maps = acled
    assert values["months"] == ["2023-03", "2023-04"]
    assert values["saved"] == [str(maps / "acled-2023-03.html"), str(maps / "acled-2023-04.html")]
    march, april = (Path(p).read_text(encoding="utf-8") for p in values["saved"])
    assert "ACLED export, 2023-03" in march and "ACLED export, 2023-04" in april
    # Each month's map has its own actors' layers, and input text is escaped.
    assert "Protesters (Afghanistan)" in april and "Protesters (Afghanistan)" not in march
    assert "&lt;b&gt;Women&lt;/b&gt; &amp; girls" in april and "<b>Women</b>" not in april
    assert_inline_map(nb, "maps[months[0]]", "ACLED export, 2023-03")


def test_acled_notebook_runs_as_is_on_its_shipped_sample(env, tmp_path, monkeypatch):
    """A fresh checkout has no ACLED export: the notebook reads the sample beside it (issue 14)."""
    monkeypatch.delenv("GEO_ACLED_EXPORT", raising=False)
    _, values = execute("03_acled_export.ipynb", NOTEBOOKS, env | {"GEO_MAPS_DIR": str(tmp_path)})
    assert values["summary"] == "read 8 = kept 8 + rejected 0"
    assert values["ids"] == [f"SAMPLE00{i}" for i in range(1, 9)]
    assert values["pcodes"] == ["AF0101", "AF0101", "AF2101", "AF2101", "AF2101", "AF0101", "AF2102", "AF3401"]
    assert values["months"] == ["2022-12", "2023-01", "2023-03", "2023-04"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"acled-{m}.html" for m in values["months"]]
