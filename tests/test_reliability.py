"""Bad input never crashes the CLI or silently loses a row: the corpus in tests/data/bad."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon
from typer.testing import CliRunner

from geo import load_admin
from geo.cli import app

BAD = Path(__file__).parent / "data" / "bad"
runner = CliRunner()


def incidents(*args: str):
    return runner.invoke(app, ["incidents", *args])


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # side files land in a scratch folder


# file, expected "read = kept + rejected", fragments that must be on stderr
CASES = [
    ("bad_dates.csv", (6, 1, 5), [
        "row 3: event_date 'yesterday' is not a real date in YYYY-MM-DD form",
        "row 4: event_date '2023-13-01' is not a real date",
        "row 5: event_date '2023-02-30' is not a real date",
        "row 6: event_date '2099-01-01' is in the future",
        "row 7: event_date '05/03/2023' is not a real date",
    ]),
    ("bad_fatalities.csv", (5, 2, 3), [
        "row 3: fatalities '-3' is not a whole number of 0 or more",
        "row 4: fatalities 'six' is not a whole number",
        "row 5: fatalities '2.5' is not a whole number",
    ]),
    ("bad_coordinates.csv", (6, 3, 3), [
        "row 3: latitude '95' is not a latitude",
        "row 4: longitude '200' is not a longitude",
        "row 7: latitude 'north' is not a latitude",
        "row 5: location 'Paris' is outside",
        "row 6: location 'Mazar-e-Sharif' is outside",
        "latitude and longitude look swapped (swapped, the point lies in Mazar-e-Sharif, Balkh AF2101)",
    ]),
    ("unknown_actors.csv", (3, 3, 0), [
        "row 3: actor1 'Front of Nowhere' is not in the actor table; kept as written",
        "row 4: actor2 'Lashkar-e-Imaginary' is not in the actor table",
    ]),
    ("duplicate_ids.csv", (3, 2, 1), ["row 4: incident_id 'X1' duplicates an earlier incident_id"]),
    ("ragged_rows.csv", (4, 2, 2), [
        "row 3: (row) 'R2,2023-03-05,Taliban,Kabul,extra,fields' has 6 fields where the header has 4",
        "row 4: (row) 'R3,2023-03-05' has 2 fields where the header has 4",
    ]),
    ("blank_required.csv", (5, 1, 4), [
        "row 3: event_date '' is not a real date",
        "row 4: actor1 '' is empty",
        "row 5: location '' is empty",
        "row 6: incident_id '' is empty",
    ]),
    ("bad_codes.csv", (4, 1, 3), [
        "row 2: time_precision '4' must be 1, 2 or 3",
        "row 3: geo_precision '0' must be 1, 2 or 3",
        "row 4: verification 'rumour' must be one of claimed, corroborated, unknown",
    ]),
    ("utf8_bom.csv", (1, 1, 0), []),
    ("windows1252.csv", (1, 1, 0), []),
    ("utf16.csv", (1, 1, 0), []),
    ("semicolons.csv", (2, 2, 0), []),
    ("header_only.csv", (0, 0, 0), []),
]


@pytest.mark.parametrize("name, counts, messages", CASES, ids=[c[0] for c in CASES])
def test_every_row_is_kept_or_reported(name, counts, messages, boundaries_dir):
    result = incidents("-i", str(BAD / name))
    assert result.exit_code == 0, result.output
    read, kept, rejected = counts
    assert f"read {read} = kept {kept} + rejected {rejected}" in result.stderr
    for message in messages:
        assert message in result.stderr
    out = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    assert len(out) == kept and out.columns[0] == "incident_id"
    if rejected:
        side = pd.read_csv(Path(f"{Path(name).stem}.rejects.csv"), dtype=str)
        assert side[["file", "row"]].drop_duplicates().shape[0] == rejected
        assert list(side.columns) == ["file", "row", "column", "value", "reason"]
    assert "Traceback" not in result.output


def test_text_survives_every_encoding(boundaries_dir):
    notes = pd.read_csv(io.StringIO(incidents("-i", str(BAD / "windows1252.csv")).stdout), dtype=str)["notes"]
    assert notes.tolist() == ["café – “quoted”"]
    bom = pd.read_csv(io.StringIO(incidents("-i", str(BAD / "utf8_bom.csv")).stdout), dtype=str)
    assert bom.loc[0, "incident_id"] == "B1" and bom.loc[0, "admin2_pcode"] == "AF2101"
    dari = pd.read_csv(io.StringIO(incidents("-i", str(BAD / "utf16.csv")).stdout), dtype=str)
    assert dari.loc[0, "location"] == "مزار شریف" and dari.loc[0, "admin2_pcode"] == "AF2101"


@pytest.mark.parametrize(
    "name, message",
    [
        ("missing_columns.csv", "lacks the required column(s) incident_id, event_date, actor1, location (found: id, date, place)"),
        ("empty.csv", "is empty"),
        ("binary.csv", "contains NUL bytes"),
        ("duplicate_columns.csv", "repeats the column(s) actor1"),
    ],
)
def test_unreadable_files_are_one_clear_error(name, message, boundaries_dir):
    result = incidents("-i", str(BAD / name))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # one line
    assert message in result.stderr and "Traceback" not in result.output


def test_strict_makes_any_problem_fatal_and_writes_nothing(boundaries_dir, tmp_path):
    result = incidents("-i", str(BAD / "unknown_actors.csv"), "--strict")
    assert result.exit_code == 1 and result.stdout == ""
    assert "--strict: 2 problem(s)" in result.stderr
    out = tmp_path / "m.html"
    result = runner.invoke(app, ["render", "--month", "2023-03", "-i", str(BAD / "bad_dates.csv"), "--strict", "-o", str(out)])
    assert result.exit_code == 1 and not out.exists()
    assert incidents("-i", str(BAD / "semicolons.csv"), "--strict").exit_code == 0


def test_rejects_go_where_asked(boundaries_dir, tmp_path):
    target = tmp_path / "sub" / "why.csv"
    result = incidents("-i", str(BAD / "duplicate_ids.csv"), "--rejects", str(target))
    assert result.exit_code == 0 and f"written to {target}" in result.stderr
    assert pd.read_csv(target, dtype=str)["value"].tolist() == ["X1"]


# --- boundary files: built at run time from the real ones, in a scratch folder ---------------


def _with(tmp_path: Path, boundaries_dir: Path, **files: Path | bytes | None) -> Path:
    """A boundaries folder holding the real adm1/adm2 zips except where ``files`` replaces them."""
    folder = tmp_path / "bnd"
    folder.mkdir(exist_ok=True)
    for level in ("adm1", "adm2"):
        given = files.get(level, "real")
        if given == "real":
            shutil.copy(next(boundaries_dir.rglob(f"*{level}_*.zip")), folder)
        elif isinstance(given, bytes):
            (folder / f"afg_{level}_broken.zip").write_bytes(given)
        elif given is not None:
            shutil.move(given, folder / given.name)
    return folder


def _real_adm2(boundaries_dir: Path) -> gpd.GeoDataFrame:
    raw = gpd.read_file(next(boundaries_dir.rglob("*adm2_*.zip")))
    return raw.drop(columns=["date", "validOn", "ValidTo"])  # GPKG has no date-time of that kind


def _incidents_with(folder: Path, monkeypatch):
    monkeypatch.setenv("GEO_BOUNDARIES", str(folder))
    return incidents("--month", "2023-03")


def test_corrupt_boundary_file(tmp_path, boundaries_dir, monkeypatch):
    result = _incidents_with(_with(tmp_path, boundaries_dir, adm2=b"PK\x03\x04 not really a zip"), monkeypatch)
    assert result.exit_code == 1 and "Could not read the boundary file" in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_truncated_boundary_file(tmp_path, boundaries_dir, monkeypatch):
    whole = next(boundaries_dir.rglob("*adm2_*.zip")).read_bytes()
    result = _incidents_with(_with(tmp_path, boundaries_dir, adm2=whole[: len(whole) // 2]), monkeypatch)
    assert result.exit_code == 1 and "Could not read the boundary file" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_boundary_file_without_crs(tmp_path, boundaries_dir, monkeypatch):
    raw = _real_adm2(boundaries_dir).set_crs(None, allow_override=True)
    path = tmp_path / "afg_adm2_nocrs.gpkg"
    raw.to_file(path, driver="GPKG")
    result = _incidents_with(_with(tmp_path, boundaries_dir, adm2=path), monkeypatch)
    assert result.exit_code == 1 and "has no coordinate reference system" in result.stderr


def test_empty_boundary_file(tmp_path, boundaries_dir, monkeypatch):
    raw = _real_adm2(boundaries_dir)
    empty = tmp_path / "afg_adm2_empty.gpkg"
    raw.iloc[:0].to_file(empty, driver="GPKG")
    result = _incidents_with(_with(tmp_path, boundaries_dir, adm2=empty), monkeypatch)
    assert result.exit_code == 1 and "has no features" in result.stderr


def test_missing_level(tmp_path, boundaries_dir, monkeypatch):
    result = _incidents_with(_with(tmp_path, boundaries_dir, adm2=None), monkeypatch)
    assert result.exit_code == 1 and "No admin level 2 boundary file" in result.stderr


def test_invalid_geometry_is_repaired_and_counted(tmp_path, boundaries_dir, monkeypatch):
    raw = _real_adm2(boundaries_dir)
    # A self-intersecting "bow tie" replaces one district far from the seed places.
    bowtie = Polygon([(70.0, 37.0), (70.2, 37.2), (70.2, 37.0), (70.0, 37.2)])
    raw.loc[raw["ADM2_PCODE"] == "AF1701", "geometry"] = bowtie
    path = tmp_path / "afg_adm2_bowtie.gpkg"
    raw.to_file(path, driver="GPKG")
    folder = _with(tmp_path, boundaries_dir, adm2=path)
    districts = load_admin(2, folder=folder)
    assert districts.attrs["repaired"] == 1 and districts.is_valid.all() and len(districts) == 399
    result = _incidents_with(folder, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "warning: 1 invalid geometries repaired with make_valid in" in result.stderr


def test_paths_and_urls_in_inputs_are_never_followed(write_csv, tmp_path, boundaries_dir):
    path = write_csv(
        "incident_id,event_date,actor1,location,source,source_url\n"
        "P1,2023-03-05,Taliban,Kabul,../../../../etc/passwd,file:///etc/passwd\n"
    )
    out = tmp_path / "m.html"
    result = runner.invoke(app, ["render", "--month", "2023-03", "-i", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "root:x:0:0" not in html  # nothing was read from the paths
    assert 'href="file:' not in html and "file:///etc/passwd" in html  # shown as text only


def test_two_renders_at_once_leave_one_whole_map_and_a_sound_cache(tmp_path, boundaries_dir):
    import os
    import subprocess
    import sys

    out, cache = tmp_path / "maps" / "same.html", tmp_path / "cache"
    # An empty cache: both processes parse, simplify and write the same entries at once.
    env = {**os.environ, "GEO_BOUNDARIES": str(boundaries_dir), "GEO_CACHE": str(cache)}
    cmd = [sys.executable, "-m", "geo", "render", "--month", "2023-03", "-o", str(out)]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    assert all(p.wait(timeout=180) == 0 for p in procs)
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert [p.name for p in out.parent.iterdir()] == ["same.html"]
    leftovers = [p for p in cache.rglob("*") if p.is_file() and (p.name.startswith(".") or p.suffix == ".tmp")]
    assert leftovers == []
    # A third run reads what the two wrote and draws the same map.
    again = subprocess.run([*cmd[:-1], str(tmp_path / "again.html")], env=env, capture_output=True, timeout=180)
    assert again.returncode == 0, again.stderr
    same = lambda text: re.sub(r"_[0-9a-f]{32}", "_id", text)  # folium names elements at random
    assert same((tmp_path / "again.html").read_text(encoding="utf-8")) == same(html)
