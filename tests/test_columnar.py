"""pyarrow's columnar reader gives the rows, rejects and numbers the csv module gives, or steps aside."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas.testing as pdt
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import geo._csv as gcsv
from geo.incidents import read_incidents, sample_path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import scale  # noqa: E402  (the benchmark's generator of synthetic incidents)


def readers(path: Path):
    """(columnar result or None, csv-module result) for one file."""
    decoded = gcsv.decode(gcsv.read_input(path), path)
    delimiter = gcsv.sniff_delimiter(decoded.text)
    fast = gcsv._read_columnar(decoded.text, delimiter, decoded, path, "file")
    lines = io.StringIO(decoded.text, newline="").readlines()
    with gcsv._no_field_limit():
        slow = gcsv._split_rows(lines, delimiter, decoded, path, "file")
    return fast, slow


def assert_same(fast, slow) -> None:
    pdt.assert_frame_equal(fast.frame, slow.frame)
    pdt.assert_frame_equal(fast.rejected, slow.rejected, check_dtype=False)
    assert fast.flagged.empty and slow.flagged.empty and fast.read == slow.read


CELL = st.lists(st.sampled_from(['a', 'b', ' ', ',', ';', '"', '""', '\n', '\r\n', 'é', 'ش', '\t']),
                max_size=6).map("".join)


@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=1, max_size=8),
       quote=st.lists(st.booleans(), min_size=40, max_size=40), ending=st.sampled_from(["\n", "\r\n", ""]))
# A quote ending an unquoted field, then one opening a field never closed: the quotes pair up on
# the line, but the csv module runs the last field on to the end of the file.
@example(rows=[["x"], ['mortar 12"', '"unterminated']], quote=[False] * 40, ending="")
@example(rows=[["x"], ['a"', 'b', '"c']], quote=[False] * 40, ending="\n")
def test_columnar_agrees_with_the_csv_module_or_steps_aside(tmp_path_factory, rows, quote, ending):
    # Cells with separators, quotes and line breaks, quoted or not (so some quoting is broken),
    # rows of any width: whatever pyarrow reads must be exactly what the csv module reads.
    flags = iter(quote * 10)
    body = "\n".join(",".join(f'"{c}"' if next(flags) else c for c in row) for row in rows)
    path = tmp_path_factory.mktemp("h") / "t.csv"
    path.write_bytes(("a,b,c\n" + body + ending).encode("utf-8"))
    try:
        fast, slow = readers(path)
    except gcsv.GeoError:
        return  # not a readable CSV to either reader (checked before either reads rows)
    if fast is not None:
        assert_same(fast, slow)


@pytest.mark.parametrize("last", ['mortar 12","unterminated', 'mortar 12"  ,"unterminated'])
def test_a_stray_quote_that_pairs_up_on_its_line_still_rejects_the_row(tmp_path, last):
    path = tmp_path / "t.csv"
    path.write_bytes(f"id,date,where,notes,more\nA1,2023-03-05,Herat,ok,y\nA2,2023-03-06,Herat,{last}\n".encode())
    records = gcsv.read_records(path)
    assert records.frame["id"].tolist() == ["A1"] and records.rejected["row"].tolist() == [3]


def test_real_files_read_the_same(tmp_path):
    synthetic = scale.write_incidents(tmp_path / "synthetic.csv", 20_000)
    ragged = tmp_path / "ragged.csv"
    lines = synthetic.read_text(encoding="utf-8").splitlines()
    lines[5] += ",one too many"
    lines[9] = lines[9].rsplit(",", 3)[0]
    ragged.write_text("\n".join(lines) + "\n", encoding="utf-8")
    files = [sample_path(), synthetic, ragged, *sorted((REPO / "tests" / "data" / "bad").glob("*.csv")),
             REPO / "notebooks" / "acled_sample.csv"]
    columnar = 0
    for path in files:
        try:
            fast, slow = readers(path)
        except (gcsv.GeoError, StopIteration):  # unreadable or empty: refused before rows are read
            continue
        if fast is not None:
            assert_same(fast, slow)
            columnar += 1
    assert columnar >= 12
    fast, _ = readers(ragged)
    assert fast is not None and fast.rejected["row"].tolist() == [6, 10]  # lines 6 and 10: the header is 1
    assert fast.rejected["reason"].tolist() == ["has 16 fields where the header has 15",
                                                "has 13 fields where the header has 15"]


def test_incidents_take_the_columnar_path(tmp_path, monkeypatch):
    path = scale.write_incidents(tmp_path / "synthetic.csv", 5_000)
    expected = read_incidents([path])
    monkeypatch.setattr(gcsv, "_split_rows", lambda *a, **k: pytest.fail("read row by row"))
    frame, report = read_incidents([path])
    pdt.assert_frame_equal(frame, expected[0])
    assert report.summary() == expected[1].summary()


def test_parquet_and_geoparquet_incidents_read_like_their_csv(tmp_path, boundaries_dir):
    import geopandas as gpd
    import pandas as pd
    from typer.testing import CliRunner

    from geo.cli import app

    typed = pd.read_csv(sample_path())  # numbers as numbers, dates as dates: as a Parquet export holds them
    typed["event_date"] = pd.to_datetime(typed["event_date"]).dt.date
    typed.to_parquet(tmp_path / "sample.parquet")
    runner = CliRunner()
    plain = runner.invoke(app, ["incidents", "--format", "json"])
    parquet = runner.invoke(app, ["incidents", "--format", "json", "-i", str(tmp_path / "sample.parquet")])
    assert parquet.exit_code == 0, parquet.output
    assert parquet.stdout == plain.stdout and "read 8 = kept 8 + rejected 0" in parquet.stderr
    # GeoParquet in another CRS: its points give the coordinates, reverse-geocoded as any others.
    points = gpd.GeoDataFrame(typed.drop(columns=["latitude", "longitude"]),
                              geometry=gpd.points_from_xy([69.18] * 8, [34.53] * 8), crs=4326).to_crs(32642)
    points.to_parquet(tmp_path / "points.geoparquet")
    result = runner.invoke(app, ["aggregate", "--by", "adm2", "-i", str(tmp_path / "points.geoparquet")])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == ["Kabul,AF0101,8,16"]  # all 8, their 16 deaths, in Kabul district
    # A file that is not Parquet is one clear error.
    (tmp_path / "fake.parquet").write_text("incident_id\n1\n", encoding="utf-8")
    result = runner.invoke(app, ["incidents", "-i", str(tmp_path / "fake.parquet")])
    assert result.exit_code == 1 and "is not a readable Parquet file" in result.stderr and "Traceback" not in result.output
