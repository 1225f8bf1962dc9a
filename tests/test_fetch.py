"""`geo boundaries fetch` end to end, against publishers' APIs served from 127.0.0.1.

The server answers in the shapes the publishers document: HDX's CKAN ``package_show``
(``{"success": true, "result": {"resources": [...]}}``), geoBoundaries'
``/api/current/gbOpen/{ISO}/{ADM}/`` metadata (``gjDownloadURL``, ``boundaryLicense``…) and
GADM's versioned paths; the files are the real COD-AB zips (and, for the other publishers,
files renamed from them at test time). Nothing here reaches the internet.
"""

from __future__ import annotations

import hashlib
import io
import socket
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner
from werkzeug import Response

import boundary_fixtures as fx
from geo import load_admin
from geo.boundaries import registry_entries
from geo.cli import app

runner = CliRunner()
COD_AB = fx.COD_AB
NAMES = {n: f"afg_admbnda_adm{n}_agcho_20180522.zip" for n in (0, 1, 2)}
PINNED = {  # as the shared folder's README lists them
    0: "bc28171a27d940fd402695e7a492a2c8e0468c67b572382f02552c389d787022",
    1: "04a5c5e524f9b83b458007b73b4c3e13e64831ea5a7027ad0adae46e8502889b",
    2: "783feade31a8e8b450d7c439446a935b34eb4ee8fc24fd0e182dfc5943b3abd3",
}
LICENCE = "Creative Commons Attribution for Intergovernmental Organisations"


def run(*args):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="session")
def httpserver_listen_address():
    return ("127.0.0.1", 0)


@pytest.fixture(scope="module")
def cod_ab_bytes():
    return {n: (COD_AB / name).read_bytes() for n, name in NAMES.items()}


@pytest.fixture()
def user(tmp_path, monkeypatch, httpserver):
    """A user with no boundaries and an empty cache, whose publishers all live on 127.0.0.1."""
    monkeypatch.delenv("GEO_BOUNDARIES", raising=False)
    monkeypatch.delenv("GEO_OFFLINE", raising=False)
    monkeypatch.setenv("GEO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GEO_FETCH_RETRIES", "0")
    base = httpserver.url_for("/").rstrip("/")
    assert base.startswith("http://127.0.0.1:")
    for env in ("GEO_HDX_URL", "GEO_GEOBOUNDARIES_URL", "GEO_GADM_URL"):
        monkeypatch.setenv(env, base)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def file_path(n: int) -> str:
    return f"/dataset/cod-ab-afg/resource/{n}/download/{NAMES[n]}"


def serve_package_show(server, cod_ab_bytes, sizes: dict | None = None) -> None:
    """HDX's CKAN answer for the COD-AB dataset: its licence, date and resources."""
    resources = [
        {"id": f"res-{n}", "name": NAMES[n], "format": "SHP", "url": server.url_for(file_path(n)),
         "size": (sizes or {}).get(n, len(cod_ab_bytes[n])), "hash": "", "last_modified": "2018-05-24T14:33:00"}
        for n in (0, 1, 2)
    ]
    resources.append({"id": "res-x", "name": "afg_adminboundaries_tabulardata.xlsx", "format": "XLSX",
                      "url": server.url_for("/tabular.xlsx"), "size": 1000, "hash": ""})
    server.expect_request("/api/3/action/package_show", query_string={"id": "cod-ab-afg"}).respond_with_json({
        "help": server.url_for("/api/3/action/help_show?name=package_show"),
        "success": True,
        "result": {
            "name": "cod-ab-afg", "title": "Afghanistan - Subnational Administrative Boundaries",
            "license_id": "cc-by-igo", "license_title": LICENCE,
            "dataset_date": "[2018-05-22T00:00:00 TO 2018-05-22T23:59:59]", "resources": resources,
        },
    })


def serve_files(server, cod_ab_bytes, levels=(0, 1, 2)) -> None:
    for n in levels:
        server.expect_request(file_path(n)).respond_with_data(cod_ab_bytes[n], content_type="application/zip")


def cut_short(data: bytes):
    """A handler that announces the full length, sends half, then drops the connection."""

    def handler(request):
        def body():
            yield data[: len(data) // 2]
            raise ConnectionAbortedError("the server went away")

        return Response(body(), headers={"Content-Length": str(len(data))}, content_type="application/zip")

    return handler


def downloads(user: Path) -> list[Path]:
    return sorted(p for p in (user / "cache" / "downloads").rglob("*") if p.is_file())


def file_requests(server) -> list[str]:
    return [r.path for r, _ in server.log if "/download/" in r.path]


def test_fetch_cod_ab_through_package_show(user, httpserver, cod_ab_bytes):
    serve_package_show(httpserver, cod_ab_bytes)
    serve_files(httpserver, cod_ab_bytes)
    result = run("boundaries", "fetch", "--source", "cod-ab", "--country", "AFG")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["level 0", "level 1", "level 2"]
    assert lines[2].startswith(f"level 2: 399 units (cod-ab, valid from 2018-05-22; licence: {LICENCE}); sha256 783feade31a8e8b4")
    assert "pinned in geo/data/boundary_checksums.csv" in lines[2]
    assert "100%" in result.stderr  # pooch's progress bar
    # The files are in the cache, byte for byte, and nothing else (no temporary leftovers).
    got = downloads(user)
    assert [p.name for p in got] == [NAMES[0], NAMES[1], NAMES[2]]
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in got] == [PINNED[0], PINNED[1], PINNED[2]]
    assert sorted(file_requests(httpserver)) == [file_path(0), file_path(1), file_path(2)]  # not the .xlsx
    assert {e["verified"] for e in registry_entries()} == {"pinned in geo/data/boundary_checksums.csv"}
    # Commands now read them (GEO_BOUNDARIES is unset), with the licence HDX states.
    districts = load_admin(2)
    assert len(districts) == 399 and districts.attrs["source"] == str(got[2])
    assert set(districts["licence"]) == {LICENCE} and set(districts["valid_from"]) == {"2018-05-22"}
    # A second fetch finds the verified files in the cache and downloads nothing.
    httpserver.clear_log()
    result = run("boundaries", "fetch", "--source", "cod-ab", "--country", "AFG", "--no-progress")
    assert result.exit_code == 0 and file_requests(httpserver) == []


def test_a_corrupted_download_is_refused_and_nothing_is_cached(user, httpserver, cod_ab_bytes):
    serve_package_show(httpserver, cod_ab_bytes)
    corrupted = bytearray(cod_ab_bytes[1])
    corrupted[len(corrupted) // 2] ^= 0xFF  # same length, one byte flipped
    httpserver.expect_oneshot_request(file_path(1)).respond_with_data(bytes(corrupted))
    result = run("boundaries", "fetch", "--level", "1")
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith(f"error: The file {NAMES[1]} downloaded from http://127.0.0.1:")
    assert f"does not match its known checksum (sha256:{PINNED[1]}), so it was not saved" in line
    assert line.count(". ") == 0
    assert downloads(user) == [] and registry_entries() == []
    # The publisher fixes the file: the same command now succeeds.
    serve_files(httpserver, cod_ab_bytes, levels=(1,))
    assert run("boundaries", "fetch", "--level", "1").exit_code == 0
    assert [p.name for p in downloads(user)] == [NAMES[1]]


def test_an_interrupted_download_is_not_kept_and_a_rerun_restarts_it(user, httpserver, cod_ab_bytes):
    serve_package_show(httpserver, cod_ab_bytes)
    httpserver.expect_oneshot_request(file_path(2)).respond_with_handler(cut_short(cod_ab_bytes[2]))
    result = run("boundaries", "fetch", "--level", "2", "--no-progress")
    assert result.exit_code == 1
    assert f"The download of {NAMES[2]}" in result.stderr and "was interrupted" in result.stderr
    assert "run the command again to restart it" in result.stderr
    assert downloads(user) == [] and registry_entries() == []
    serve_files(httpserver, cod_ab_bytes, levels=(2,))
    result = run("boundaries", "fetch", "--level", "2", "--no-progress")
    assert result.exit_code == 0, result.output
    (path,) = downloads(user)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == PINNED[2]


def test_pooch_retries_a_dropped_connection_within_one_run(user, httpserver, cod_ab_bytes, monkeypatch):
    monkeypatch.setenv("GEO_FETCH_RETRIES", "1")
    serve_package_show(httpserver, cod_ab_bytes)
    httpserver.expect_oneshot_request(file_path(1)).respond_with_handler(cut_short(cod_ab_bytes[1]))
    serve_files(httpserver, cod_ab_bytes, levels=(1,))
    result = run("boundaries", "fetch", "--level", "1", "--no-progress")
    assert result.exit_code == 0, result.output
    assert file_requests(httpserver) == [file_path(1), file_path(1)]
    (path,) = downloads(user)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == PINNED[1]


def test_a_file_shorter_than_the_api_says_is_refused(user, httpserver, cod_ab_bytes):
    serve_package_show(httpserver, cod_ab_bytes, sizes={0: len(cod_ab_bytes[0]) + 100})
    serve_files(httpserver, cod_ab_bytes, levels=(0,))
    result = run("boundaries", "fetch", "--level", "0", "--no-progress")
    assert result.exit_code == 1
    assert f"was cut short ({len(cod_ab_bytes[0])} bytes instead of {len(cod_ab_bytes[0]) + 100})" in result.stderr
    assert downloads(user) == []


def test_an_unknown_dataset_is_a_clear_error(user, httpserver):
    httpserver.expect_request("/api/3/action/package_show").respond_with_json(
        {"success": False, "error": {"__type": "Not Found Error", "message": "Not found"}}, status=404
    )
    result = run("boundaries", "fetch", "--country", "XYZ")
    assert result.exit_code == 1
    assert "HDX answered 404 for http://127.0.0.1:" in result.stderr and "check the country code" in result.stderr
    result = run("boundaries", "fetch", "--country", "Afghanistan")
    assert result.exit_code == 1 and "not an ISO 3166 alpha-3 country code" in result.stderr


@pytest.fixture(scope="module")
def geoboundaries_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gb")
    return {lv: p.read_bytes() for lv, p in zip((1, 2), fx.write_geoboundaries(folder))}


def serve_geoboundaries(server, files: dict, counts: dict | None = None) -> None:
    for level, data in files.items():
        download = f"/wmgeolab/geoBoundaries/raw/9469f09/releaseData/gbOpen/AFG/ADM{level}/geoBoundaries-AFG-ADM{level}.geojson"
        server.expect_request(f"/api/current/gbOpen/AFG/ADM{level}/").respond_with_json({
            "boundaryID": f"AFG-ADM{level}-1", "boundaryName": "Afghanistan", "boundaryISO": "AFG",
            "boundaryYearRepresented": "2018", "boundaryType": f"ADM{level}", "boundaryCanonical": "",
            "boundarySource": "OCHA ROAP, AGCHO", "boundaryLicense": "Open Data Commons Open Database License 1.0",
            "licenseDetail": "nan", "admUnitCount": str((counts or {1: 34, 2: 399})[level]),
            "gjDownloadURL": server.url_for(download),
        })
        server.expect_request(download).respond_with_data(data, content_type="application/geo+json")


def test_fetch_geoboundaries_through_its_api(user, httpserver, geoboundaries_files):
    serve_geoboundaries(httpserver, geoboundaries_files)
    result = run("boundaries", "fetch", "--source", "geoboundaries", "--level", "2", "--no-progress")
    assert result.exit_code == 0, result.output
    # Districts name no parent there: the provinces come along, to place them by geometry.
    assert [r.path for r, _ in httpserver.log if "/api/" in r.path] == [
        "/api/current/gbOpen/AFG/ADM1/", "/api/current/gbOpen/AFG/ADM2/",
    ]
    assert result.stdout.splitlines()[1].startswith(
        "level 2: 399 units (geoboundaries, valid from 2018; licence: Open Data Commons Open Database License 1.0)"
    )
    assert {e["verified"] for e in registry_entries()} == {"no checksum published: sha256 recorded"}
    assert "warning" not in result.stderr  # as many units as the API says
    districts = load_admin(2).set_index("code")
    assert districts.loc["AF2101", ["admin1_pcode", "admin1"]].tolist() == ["AF21", "Balkh"]  # parent by geometry
    # No checksum is published, so the first one is recorded and enforced on later fetches.
    (adm2,) = [Path(e["path"]) for e in registry_entries() if e["level"] == 2]
    adm2.unlink()
    httpserver.clear()
    changed = geoboundaries_files | {2: geoboundaries_files[2].replace(b"Mazar-e-Sharif", b"Mazar-i-Sharif")}
    serve_geoboundaries(httpserver, changed)
    result = run("boundaries", "fetch", "--source", "geoboundaries", "-l", "1", "-l", "2", "--no-progress")
    assert result.exit_code == 1 and "does not match its known checksum" in result.stderr
    assert not adm2.exists()


def test_fetch_gadm_from_its_versioned_paths(user, httpserver, tmp_path):
    for path in fx.write_gadm_json(tmp_path / "gadm"):
        httpserver.expect_request(f"/gadm4.1/json/{path.name}").respond_with_data(path.read_bytes())
    result = run("boundaries", "fetch", "--source", "gadm", "--level", "1", "--level", "2", "--no-progress")
    assert result.exit_code == 0, result.output
    assert [r.path for r, _ in httpserver.log] == ["/gadm4.1/json/gadm41_AFG_1.json", "/gadm4.1/json/gadm41_AFG_2.json"]
    districts = load_admin(2)
    assert set(districts["publisher"]) == {"gadm"} and len(districts) == 399
    assert districts.set_index("code").loc["AF2102", "alt_names"] == ["نهر شاهی"]


def test_first_use_fetches_the_default_set_then_reuses_it(user, httpserver, cod_ab_bytes):
    serve_package_show(httpserver, cod_ab_bytes)
    serve_files(httpserver, cod_ab_bytes)
    result = run("incidents", "--month", "2023-03")
    assert result.exit_code == 0, result.output
    assert sorted(pd.read_csv(io.StringIO(result.stdout), dtype=str)["admin2_pcode"]) == ["AF0101", "AF2101", "AF2101", "AF2101"]
    assert "fetching the default set (COD-AB AFG)" in result.stderr and "100%" in result.stderr
    assert [p.name for p in downloads(user)] == [NAMES[0], NAMES[1], NAMES[2]]
    httpserver.clear_log()
    assert run("aggregate", "--month", "2023-03", "--by", "adm1").exit_code == 0
    assert httpserver.log == []  # installed now: nothing is asked of the network


def test_first_use_offline_says_in_one_sentence_what_to_run_or_set(user, monkeypatch):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("GEO_HDX_URL", f"http://127.0.0.1:{port}")
    result = run("render", "--month", "2023-03")
    assert result.exit_code == 1 and "Traceback" not in result.output
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: No admin boundaries are installed and the default set (COD-AB AFG) could not be fetched")
    assert f"127.0.0.1:{port}" in line
    assert "run 'geo boundaries fetch --source cod-ab --country AFG' once online, or set GEO_BOUNDARIES" in line
    assert line.count(". ") == 0
    assert downloads(user) == [] and not (user / "maps").exists()


def test_a_unit_count_other_than_the_api_states_is_reported(user, httpserver, geoboundaries_files):
    serve_geoboundaries(httpserver, geoboundaries_files, counts={1: 34, 2: 398})
    result = run("boundaries", "fetch", "--source", "geoboundaries", "--level", "2", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "warning: geoBoundaries says geoBoundaries-AFG-ADM2.geojson holds 398 units; it holds 399" in result.stderr


def test_fetch_with_geo_boundaries_set_says_those_files_are_not_used(user, httpserver, cod_ab_bytes, monkeypatch):
    monkeypatch.setenv("GEO_BOUNDARIES", str(COD_AB.parent))
    serve_package_show(httpserver, cod_ab_bytes)
    serve_files(httpserver, cod_ab_bytes, levels=(1,))
    result = run("boundaries", "fetch", "--level", "1", "--no-progress")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"level 1: 34 units (cod-ab, valid from 2018-05-22; licence: {LICENCE})")
    assert "note: $GEO_BOUNDARIES is set, so commands read that folder only" in result.stderr
    assert load_admin(1).attrs["source"] == str(COD_AB / NAMES[1])  # the folder still wins
