"""The dask engine gives the default engine's results: same rows, same counts, same messages."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest
from typer.testing import CliRunner

import geo
from geo.cli import app

pytest.importorskip("dask_geopandas")
from geo import distributed  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import scale  # noqa: E402  (the benchmark's generator of synthetic incidents)

BY = "month,actor,adm2,verification"


@pytest.fixture(scope="module")
def client(boundaries_dir):
    with distributed.connect(workers=2) as c:
        yield c


@pytest.fixture(scope="module")
def rows_100k(tmp_path_factory) -> Path:
    """100,000 synthetic incidents over 2023 (some rejected, some flagged, a tenth without coordinates)."""
    return scale.write_incidents(tmp_path_factory.mktemp("dask") / "incidents.csv", 100_000, seed=7)


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output[-2000:]
    return result


def test_cli_on_the_sample_gives_the_same_output_and_messages(client, tmp_path):
    # A local cluster of its own (the default), and a running one reached by its address as a
    # user would reach a real one (the module's, on 127.0.0.1).
    address = client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    for command, cluster in ((["aggregate", "--by", BY], []),
                             (["incidents", "--month", "2023-03", "--format", "json"], ["--scheduler", address])):
        plain = run(*command, "--rejects", str(tmp_path / "r.csv"))
        dask = run(*command, "--rejects", str(tmp_path / "r.csv"), "--engine", "dask", *cluster)
        assert dask.stdout == plain.stdout and dask.stderr == plain.stderr
        assert plain.stdout.count("\n") > 3
    assert len(client.scheduler_info()["workers"]) == 2  # the running cluster lives on


def test_100000_rows_same_rows_report_and_counts(client, rows_100k):
    frame, report = geo.read_incidents([rows_100k])
    expected = geo.geocode(frame)
    located, dreport = distributed.load_incidents([rows_100k], client=client)
    assert located.npartitions > 1  # really split across the workers
    # Ids all distinct: said by the frame itself, never remembered by the module (it would only grow).
    assert getattr(located, distributed.UNIQUE_IDS) is True
    assert not [name for name, v in vars(distributed).items() if isinstance(v, (set, dict, list)) and located._name in v]
    # The same accounting, to the row and the message.
    assert dreport.summary() == report.summary() and report.rejected_rows > 100
    pdt.assert_frame_equal(dreport.rejected, report.rejected)
    pdt.assert_frame_equal(dreport.flagged, report.flagged)
    # The same geocoded rows, in the same order, every column.
    got = pd.DataFrame(located.compute().drop(columns="geometry"))
    pdt.assert_frame_equal(got, expected)
    assert (got["match_status"] == "coordinates").mean() > 0.8 and (got["match_status"] == "matched").any()
    # The same table, counted on the cluster.
    table = geo.aggregate(located, BY)
    pdt.assert_frame_equal(table, geo.aggregate(geo.incidents.to_schema(expected), BY))
    assert table["incidents"].sum() > 100_000  # an incident counts once per actor
    # A frame derived from it is shuffled by incident_id before counting: the same table again.
    pdt.assert_frame_equal(geo.aggregate(located[located["fatalities"] >= 0], BY), table)


def test_ids_repeated_across_files_count_as_the_default_engine_does(client, tmp_path):
    march = tmp_path / "march.csv"
    march.write_text(geo.incidents.sample_path().read_text(encoding="utf-8"), encoding="utf-8")
    paths = [geo.incidents.sample_path(), march]  # every id twice: flagged, kept as separate rows
    located, report = distributed.load_incidents(paths, client=client)
    assert report.flagged["reason"].str.contains("earlier file").sum() == 8
    assert getattr(located, distributed.UNIQUE_IDS) is False
    plain = geo.incidents.to_schema(geo.geocode(geo.read_incidents(paths)[0]))
    for by in ("month,actor,adm2", "adm1", "actor,verification"):
        pdt.assert_frame_equal(geo.aggregate(located.repartition(npartitions=3), by), geo.aggregate(plain, by))


def test_one_month_through_the_api(client):
    located, _ = distributed.load_incidents(None, "2023-03", client=client)
    got = pd.DataFrame(located.compute().drop(columns="geometry")).reset_index(drop=True)
    pdt.assert_frame_equal(got, geo.geocode(geo.filter_month(geo.read_incidents()[0], "2023-03")))
    # Points for spatial work stay on the cluster: a dask-geopandas GeoDataFrame in EPSG:4326.
    assert located.crs.to_epsg() == 4326
    assert sorted(located.geometry.x.round(1).compute()) == [67.1, 67.1, 67.1, 69.2]


def test_engine_is_checked(boundaries_dir):
    result = CliRunner().invoke(app, ["aggregate", "--by", "actor", "--engine", "spark"])
    assert result.exit_code == 2 and "use one of pandas, dask" in result.output
    result = CliRunner().invoke(app, ["aggregate", "--by", "actor", "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2 and "only used with --engine dask" in result.output
    with pytest.raises(geo.GeoError, match="Unknown engine"):
        geo.load_incidents(engine="spark")


def test_unreachable_scheduler_is_one_clear_error(boundaries_dir, monkeypatch):
    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", "1s")
    result = CliRunner().invoke(app, ["aggregate", "--by", "actor", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: Could not reach the dask scheduler at tcp://127.0.0.1:9")


def test_an_unreadable_file_is_the_same_one_clear_error(client, tmp_path):
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    for path in (tmp_path / "missing.csv", tmp_path / "empty.csv"):
        args = ["aggregate", "--by", "actor", "-i", str(path)]
        plain = CliRunner().invoke(app, args)
        dask = CliRunner().invoke(app, [*args, "--engine", "dask", "--scheduler", client.scheduler.address])
        assert plain.exit_code == dask.exit_code == 1
        assert dask.stderr == plain.stderr and plain.stderr.startswith("error: ") and "Traceback" not in dask.output
