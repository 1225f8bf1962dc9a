import io
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.cli import app

runner = CliRunner()


def run(*args, **kwargs):
    return runner.invoke(app, list(args), **kwargs)


def test_incidents_march_lists_kabul_and_mazar_codes(boundaries_dir):
    result = run("incidents", "--month", "2023-03")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout), dtype=str)
    assert len(table.columns) == 20 and table.columns[0] == "incident_id"
    assert sorted(table["admin2_pcode"]) == ["AF0101", "AF2101", "AF2101", "AF2101"]


def test_incidents_april_lists_the_monday_raids(boundaries_dir):
    result = run("incidents", "--month", "2023-04", "--format", "json")
    assert result.exit_code == 0
    rows = {r["admin2_pcode"]: r for r in json.loads(result.stdout)}
    assert set(rows) == {"AF2102", "AF3401"}
    assert {r["event_date"] for r in rows.values()} == {"2023-04-03"}
    assert rows["AF2102"]["admin2"] == "Nahr-e-Shahi" and rows["AF3401"]["admin2"] == "Zaranj"


def test_incidents_geojson_has_point_geometries(boundaries_dir):
    result = run("incidents", "--month", "2023-04", "-f", "geojson")
    collection = json.loads(result.stdout)
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 2
    assert collection["features"][0]["geometry"]["coordinates"] == pytest.approx([67.18837, 36.82591])


def test_aggregate_by_actor_and_province(boundaries_dir):
    result = run("aggregate", "--month", "2023-03", "--by", "actor,adm1")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "actor,admin1,admin1_pcode,incidents,fatalities",
        "Civilians (Afghanistan),Kabul,AF01,1,6",
        "Islamic State Khorasan Province (ISKP),Balkh,AF21,3,4",
        "Islamic State Khorasan Province (ISKP),Kabul,AF01,1,6",
        "Taliban,Balkh,AF21,3,4",
    ]


def test_render_writes_the_map_and_prints_its_path_last(tmp_path, boundaries_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("render", "--month", "2023-03")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "maps/2023-03.html"
    html = (tmp_path / "maps" / "2023-03.html").read_text(encoding="utf-8")
    assert "Conflict incidents in Afghanistan, March 2023" in html


def test_render_actor_filter_accepts_any_alias(tmp_path, boundaries_dir):
    out = tmp_path / "m.html"
    result = run("render", "--month", "2023-03", "--actor", "civilians", "--out", str(out), "--metric", "fatalities")
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "1 incident, 6 reported fatalities" in html  # the Foreign Ministry bombing
    result = run("render", "--month", "2023-03", "--actor", "Daesh", "--out", str(out))
    assert "4 incidents, 10 reported fatalities" in out.read_text(encoding="utf-8")  # ISKP is in all four
    assert "Provinces: fatalities" in html


def test_render_to_stdout(boundaries_dir):
    result = run("render", "--month", "2023-04", "--out", "-")
    assert result.exit_code == 0 and result.stdout.startswith("<!DOCTYPE html>")


def test_user_incidents_with_bad_rows_are_reported(write_csv, boundaries_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_csv(
        "incident_id,event_date,actor1,location\n"
        "U1,2023-03-02,Taliban,Zaranj\nU2,2023-02-30,Taliban,Zaranj\nU3,2023-03-04,IS-K,Jani Khel\n"
    )
    result = run("incidents", "-i", str(path))
    assert result.exit_code == 0
    assert "rejected:" in result.stderr and "row 3: event_date '2023-02-30'" in result.stderr
    assert "read 3 = kept 2 + rejected 1" in result.stderr
    assert "row 4: location 'Jani Khel' is ambiguous (Jani Khel (AF1209); Jani Khel (AF1309))" in result.stderr
    side = pd.read_csv(tmp_path / "incidents.rejects.csv", dtype=str)
    assert side[["row", "column", "value"]].values.tolist() == [["3", "event_date", "2023-02-30"]]
    table = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    assert table["incident_id"].tolist() == ["U1", "U3"]
    assert table["actor1"].tolist() == ["Taliban", "Islamic State Khorasan Province (ISKP)"]


@pytest.mark.parametrize("command", [["incidents"], ["aggregate", "--by", "adm1"], ["render", "--month", "2023-03"]])
def test_without_boundaries_every_command_says_one_sentence(tmp_path, monkeypatch, command):
    monkeypatch.setenv("GEO_BOUNDARIES", str(tmp_path / "nowhere"))
    monkeypatch.chdir(tmp_path)
    result = run(*command)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: No admin level")
    assert str(tmp_path / "nowhere") in lines[0] and "GEO_BOUNDARIES" in lines[0]
    assert not (tmp_path / "maps").exists()


@pytest.mark.parametrize(
    "args, text",
    [
        (["render", "--month", "2023-3"], "YYYY-MM"),
        (["aggregate", "--by", "province"], "Unknown aggregation key"),
        (["incidents", "--format", "xml"], "Unknown format"),
        (["render", "--month", "2023-03", "--tiles", "google"], "openstreetmap"),
        (["incidents", "-i", "/no/such/file.csv"], "file.csv"),
    ],
)
def test_bad_arguments_are_clear_errors(args, text, boundaries_dir):
    result = run(*args)
    assert result.exit_code != 0
    assert text in result.output
    assert "Traceback" not in result.output


def test_help_explains_every_command():
    for command in ("incidents", "aggregate", "render"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "--incidents" in result.stdout


def test_aggregate_as_json(boundaries_dir):
    result = run("aggregate", "--month", "2023-04", "--by", "month,adm2,verification", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"month": "2023-04", "admin2": "Nahr-e-Shahi", "admin2_pcode": "AF2102", "verification": "claimed",
         "incidents": 1, "fatalities": 6},
        {"month": "2023-04", "admin2": "Zaranj", "admin2_pcode": "AF3401", "verification": "corroborated",
         "incidents": 1, "fatalities": 0},
    ]
