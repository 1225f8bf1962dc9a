"""Hostile and broken input files, generated at run time and run through the real CLI.

Each case asserts that there is no traceback, the exit code, the accounting line
(``read N = kept K + rejected R``) and the rejects or warnings the user must see. Devices,
FIFOs and huge files run in a child process with a deadline and an address-space limit, so a
regression fails the test instead of hanging the suite or exhausting the machine's memory.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from geo import GeoError, read_incidents
from geo._csv import MAX_CELL, decode_text
from geo.cli import app
from geo.schema import EVENT_TYPES, MAX_FATALITIES

runner = CliRunner()
HEADER = "incident_id,event_date,actor1,location,fatalities,event_type,sub_event_type\n"


def row(ident: str, date: str = "2023-03-05", location: str = "Kabul", fatalities: str = "1",
        event: str = "Battles", sub: str = "Armed clash") -> str:
    return f"{ident},{date},Taliban,{location},{fatalities},{event},{sub}\n"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # side files (rejects) land in a scratch folder


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def accounts(result, read: int, kept: int, rejected: int) -> None:
    """The accounting line balances and says what the test expects."""
    assert read == kept + rejected
    assert f"read {read} = kept {kept} + rejected {rejected}" in result.stderr, result.stderr


def kept_ids(result) -> list[str]:
    return pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)["incident_id"].tolist()


# --- 3. unterminated quotes ------------------------------------------------------------------


def test_an_unterminated_quote_reports_every_row_it_swallows(write_csv):
    # Before: the quote swallowed A3 and A4 into A2's location, "read 2 = kept 2", exit 0.
    path = write_csv(HEADER + row("A1") + row("A2", location='"Kabul') + row("A3") + row("A4"))
    result = run("incidents", "-i", str(path))
    assert result.exit_code == 0
    accounts(result, 4, 1, 3)
    assert kept_ids(result) == ["A1"]
    assert "row 3: (row) 'A2,2023-03-05,Taliban,\"Kabul,1,Battles,Armed clash' opens a quote in the location field" in result.stderr
    assert "runs on over 2 following line(s) that look like rows to the end of the file" in result.stderr
    for number, ident in ((4, "A3"), (5, "A4")):
        assert f"row {number}: (row) '{ident},2023-03-05" in result.stderr
        assert "is inside the location field of row 3, whose closing quote is missing" in result.stderr
    side = pd.read_csv("incidents.rejects.csv", dtype=str)
    assert side["row"].tolist() == ["3", "4", "5"]


def test_a_quote_open_in_the_last_column_is_found_too(write_csv):
    # The swallowing row has the right number of fields, so nothing else gave it away.
    path = write_csv("incident_id,event_date,actor1,location\nA1,2023-03-05,Taliban,Kabul\n"
                     'A2,2023-03-05,Taliban,"Kabul\nA3,2023-03-05,Taliban,Kabul\n')
    result = run("incidents", "-i", str(path))
    accounts(result, 3, 1, 2)


def test_end_of_file_inside_quotes_rejects_the_row(write_csv):
    path = write_csv(HEADER + row("A1") + 'A2,2023-03-05,Taliban,Kabul,1,Battles,"Armed clash')
    result = run("incidents", "-i", str(path))
    accounts(result, 2, 1, 1)
    assert "row 3: (row) 'A2,2023-03-05,Taliban,Kabul,1,Battles,\"Armed clash' opens a quote in the sub_event_type field" in result.stderr
    assert "it runs on to the end of the file" in result.stderr


def test_a_quote_closed_rows_later_still_counts_the_rows_between(write_csv):
    path = write_csv(HEADER + row("A1") + row("A2", location='"Kabul') + row("A3")
                     + row("A4", location='Kabul"') + row("A5"))
    result = run("incidents", "-i", str(path))
    accounts(result, 5, 2, 3)
    assert kept_ids(result) == ["A1", "A5"]
    assert "row 6: " not in result.stderr  # A5 keeps its own number


def test_a_note_over_several_lines_is_one_row_kept(write_csv):
    path = write_csv(HEADER.replace("\n", ",notes\n")
                     + row("A1").replace("\n", ',"First line, with a comma\nsecond line"\n')
                     + row("A2").replace("\n", ",short\n"))
    result = run("incidents", "-i", str(path))
    accounts(result, 2, 2, 0)
    notes = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)["notes"]
    assert notes.tolist() == ["First line, with a comma\nsecond line", "short"]


# --- 4. dates ----------------------------------------------------------------------------------

BAD_DATES = {"2023-3-5": "is not a real date in YYYY-MM-DD form",
             "２０２３-０３-０５": "is not a real date in YYYY-MM-DD form",
             "2023-03-5": "is not a real date in YYYY-MM-DD form",
             "0000-01-01": "is before 1900-01-01",
             "1899-12-31": "is before 1900-01-01"}


def test_dates_are_strict_yyyy_mm_dd_and_every_row_is_accounted_for_in_a_month(write_csv):
    path = write_csv(HEADER + row("A1") + "".join(row(f"B{i}", date=d) for i, d in enumerate(BAD_DATES))
                     + row("A2", date="2023-04-01"))
    result = run("incidents", "-i", str(path), "--month", "2023-03")
    assert result.exit_code == 0
    accounts(result, 7, 2, 5)
    for number, (date, reason) in enumerate(BAD_DATES.items(), start=3):
        assert f"row {number}: event_date '{date}' {reason}" in result.stderr
    assert "1 of the 2 rows kept are in 2023-03" in result.stderr
    assert kept_ids(result) == ["A1"]


def test_range_maps_neither_crash_on_year_zero_nor_drop_later_months(write_csv, boundaries_dir, tmp_path):
    path = write_csv(HEADER + row("A1", date="2023-03-05") + row("A2", date="2023-05-02")
                     + row("B1", date="0000-01-01") + row("B2", date="2023-3-5"))
    # Before: --to crashed on year 0 (ValueError), --from stopped at the malformed '2023-3-'.
    for option, months, span in (("--to", "2023-05", "2023-03 to 2023-05"), ("--from", "2023-03", "2023-03 to 2023-05")):
        out = tmp_path / f"{option[2:]}.html"
        result = run("render", option, months, "-i", str(path), "-o", str(out))
        assert result.exit_code == 0, result.output
        accounts(result, 4, 2, 2)
        assert f"2 of the 2 rows kept are in {span}" in result.stderr
        assert out.is_file()


def test_acled_long_dates_are_converted_and_iso_ones_checked_as_ours(write_csv):
    path = write_csv("event_id_cnty,event_date,actor1,location,fatalities\n"
                     "AFG1,03 April 2023,Taliban,Kabul,0\nAFG2,2023-04-03,Taliban,Kabul,0\nAFG3,2023-4-3,Taliban,Kabul,0\n")
    frame, report = read_incidents([path])
    assert frame["event_date"].tolist() == ["2023-04-03", "2023-04-03"]
    assert report.rejected[["row", "value"]].values.tolist() == [[4, "2023-4-3"]]


# --- 5. fatalities -----------------------------------------------------------------------------

ABSURD = {"1e309": "is not a whole number of 0 or more", "inf": "is not a whole number of 0 or more",
          "-inf": "is not a whole number of 0 or more", "nan": "is not a whole number of 0 or more",
          str(10**20): f"is over {MAX_FATALITIES:,}", str(2**63): f"is over {MAX_FATALITIES:,}",
          str(MAX_FATALITIES + 1): f"is over {MAX_FATALITIES:,}"}


@pytest.mark.parametrize("command", [["incidents"], ["aggregate", "--by", "month"]])
def test_absurd_fatalities_are_row_rejects_in_every_command(write_csv, boundaries_dir, command):
    path = write_csv(HEADER + row("A1", fatalities=str(MAX_FATALITIES))
                     + "".join(row(f"B{i}", fatalities=v) for i, v in enumerate(ABSURD)))
    result = run(*command, "-i", str(path))
    assert result.exit_code == 0, result.output
    accounts(result, 8, 1, 7)
    for number, (value, reason) in enumerate(ABSURD.items(), start=3):
        assert f"row {number}: fatalities '{value}' {reason}" in result.stderr
    table = pd.read_csv(io.StringIO(result.stdout))
    assert table["fatalities"].tolist() == [MAX_FATALITIES]  # kept whole, never wrapped around


def test_absurd_fatalities_do_not_stop_a_map(write_csv, boundaries_dir, tmp_path):
    path = write_csv(HEADER + row("A1", fatalities="3") + row("B1", fatalities=str(2**63)) + row("B2", fatalities="1e309"))
    result = run("render", "--month", "2023-03", "--metric", "fatalities", "-i", str(path), "-o", str(tmp_path / "m.html"))
    assert result.exit_code == 0, result.output
    accounts(result, 3, 1, 2)


# --- 10. mixed encodings -----------------------------------------------------------------------


def _mixed(path: Path, encodings: list[str], header: str = "incident_id,event_date,actor1,location\n") -> Path:
    data = header.encode()
    for i, enc in enumerate(encodings):
        data += f"M{i},2023-03-05,Taliban,Hérat\n".encode(enc)
    path.write_bytes(data)
    return path


def test_rows_in_another_encoding_are_decoded_as_theirs_and_named(tmp_path):
    path = _mixed(tmp_path / "mixed.csv", ["utf-8", "cp1252", "utf-8"])
    result = run("incidents", "-i", str(path))
    accounts(result, 3, 3, 0)
    out = pd.read_csv(io.StringIO(result.stdout), dtype=str)
    assert out["location"].tolist() == ["Hérat"] * 3  # never HÃ©rat
    assert ("warning: " + str(path) + " row 3: (row) 'M1,2023-03-05,Taliban,Hérat' is Windows-1252 text in a file "
            "that is otherwise UTF-8") in result.stderr
    assert result.stderr.count("Windows-1252 text") == 1
    # The other way round: the UTF-8 row is the odd one out.
    path = _mixed(tmp_path / "mostly1252.csv", ["cp1252", "utf-8", "cp1252", "cp1252"])
    result = run("incidents", "-i", str(path))
    assert pd.read_csv(io.StringIO(result.stdout), dtype=str)["location"].tolist() == ["Hérat"] * 4
    assert "row 3: (row) 'M1,2023-03-05,Taliban,Hérat' is UTF-8 text in a file that is otherwise Windows-1252" in result.stderr
    assert result.stderr.count("is UTF-8 text") == 1


def test_geocode_names_lines_in_another_encoding(tmp_path, boundaries_dir):
    path = tmp_path / "places.csv"
    path.write_bytes(b"location\n" + "Hérat\n".encode() + "Hérat\n".encode("cp1252") + "Kābul\n".encode())
    result = run("geocode", str(path))
    assert result.exit_code == 0
    assert pd.read_csv(io.StringIO(result.stdout), dtype=str)["location"].tolist() == ["Hérat", "Hérat", "Kābul"]
    assert f"warning: {path} line 3: 'Hérat' is Windows-1252 text in a file that is otherwise UTF-8" in result.stderr


# --- 11. devices, FIFOs and huge files ----------------------------------------------------------

COMMANDS = {"incidents": ["incidents", "-i"], "geocode": ["geocode"], "extract": ["extract"]}
#: Runs CLI invocations in a child process; prints [exit code, stderr, unexpected exception] for each.
_DRIVER = """
import json, os, sys
from typer.testing import CliRunner
from geo.cli import app
results = []
for args, env in json.loads(sys.argv[1]):
    os.environ.update(env)
    r = CliRunner().invoke(app, args)
    for key in env:
        del os.environ[key]
    odd = r.exception is not None and not isinstance(r.exception, SystemExit)
    results.append([r.exit_code, r.stderr, repr(r.exception) if odd else ""])
print(json.dumps(results))
"""


def in_child(cases: list[tuple[list[str], dict[str, str]]]) -> list[tuple[int, str, str]]:
    """Run CLI invocations in one child process with a deadline and at most 4 GB of address space."""

    def limit_memory() -> None:  # a regression fails with MemoryError, not by filling the machine
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    try:
        done = subprocess.run([sys.executable, "-c", _DRIVER, json.dumps(cases)], capture_output=True, text=True,
                              timeout=180, preexec_fn=limit_memory)
    except subprocess.TimeoutExpired:
        pytest.fail("a command did not finish: it waits on its input")
    assert done.returncode == 0, done.stderr
    return [tuple(r) for r in json.loads(done.stdout)]


def test_fifos_and_devices_are_refused_by_every_reader(tmp_path):
    fifo = tmp_path / "incidents.csv"
    os.mkfifo(fifo)  # nobody ever writes to it: reading it would wait forever
    cases = [(name, target, kind) for name in COMMANDS
             for target, kind in ((fifo, "a pipe (FIFO)"), (Path("/dev/zero"), "a device"))]
    results = in_child([([*COMMANDS[name], str(target)], {}) for name, target, _ in cases])
    for (name, target, kind), (code, err, exc) in zip(cases, results):
        assert code == 1 and not exc and "Traceback" not in err, (name, target, err, exc)
        assert f"{target} is {kind}, not a regular file" in err, (name, err)
        assert err.strip().count("\n") == 0, err  # one line
    assert run("geocode", str(tmp_path)).exit_code != 0  # a folder: typer refuses it before geo sees it


def test_files_over_the_size_limit_are_refused_before_they_are_read(tmp_path):
    sparse = tmp_path / "huge.csv"
    with open(sparse, "wb") as f:
        f.truncate(1 << 30)  # 1 GB that takes no disk space
    text = tmp_path / "two_mb.csv"
    text.write_text(HEADER + row("A1") * 30_000, encoding="utf-8")
    cases = [(name, sparse, {}, "512 MB") for name in COMMANDS]
    cases += [(name, text, {"GEO_MAX_INPUT_MB": "1"}, "1 MB") for name in COMMANDS]
    results = in_child([([*COMMANDS[name], str(target)], env) for name, target, env, _ in cases])
    for (name, target, _, limit), (code, err, exc) in zip(cases, results):
        assert code == 1 and not exc and "Traceback" not in err, (name, err, exc)
        assert f"is larger than {limit}, the limit for one input file" in err and "GEO_MAX_INPUT_MB" in err, err


def test_a_binary_file_is_refused_at_its_first_megabyte(tmp_path, monkeypatch):
    # Under a raised limit, 1 GB of NUL bytes is recognised without reading it all.
    monkeypatch.setenv("GEO_MAX_INPUT_MB", "2048")
    sparse = tmp_path / "sparse.csv"
    with open(sparse, "wb") as f:
        f.write(HEADER.encode())
        f.truncate(1 << 30)
    tracemalloc.start()
    try:
        with pytest.raises(GeoError, match="contains NUL bytes"):
            decode_text(sparse, "incident file")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak / 2**20:.0f} MB held to refuse a binary file"


def test_a_bad_size_limit_setting_is_one_clear_error(write_csv, monkeypatch):
    path = write_csv(HEADER + row("A1"))
    for value in ("lots", "0", "-5", "inf"):
        monkeypatch.setenv("GEO_MAX_INPUT_MB", value)
        result = run("incidents", "-i", str(path))
        assert result.exit_code == 1 and "is not a positive number of megabytes" in result.stderr


def test_a_proc_file_that_reports_size_zero_is_still_read_within_the_limit(monkeypatch):
    monkeypatch.setenv("GEO_MAX_INPUT_MB", "0.0001")  # about 100 bytes; /proc/self/status is longer
    with pytest.raises(GeoError, match="larger than"):
        decode_text(Path("/proc/self/status"), "incident file")


# --- 13. event types -------------------------------------------------------------------------


def test_event_types_outside_acled_vocabulary_are_rejected(write_csv):
    path = write_csv(HEADER + row("A1") + row("A2", event="battles", sub=" armed CLASH")
                     + row("B1", event="Skirmish") + row("B2", sub="Suicide bomb") + row("B3", event="", sub="Drive-by")
                     + row("A3", event="", sub="Grenade") + row("A4", event="Riots", sub=""))
    result = run("incidents", "-i", str(path))
    accounts(result, 7, 4, 3)
    assert ("row 4: event_type 'Skirmish' is not one of ACLED's event types (" + ", ".join(EVENT_TYPES) + ")") in result.stderr
    assert "row 5: sub_event_type 'Suicide bomb' is a sub-event type of Explosions/Remote violence, not of Battles" in result.stderr
    assert "row 6: sub_event_type 'Drive-by' is not one of ACLED's sub-event types" in result.stderr
    out = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    assert out[["event_type", "sub_event_type"]].values.tolist() == [
        ["Battles", "Armed clash"], ["Battles", "Armed clash"], ["", "Grenade"], ["Riots", ""]]  # ACLED's spelling


# --- 14. geocode: repeated columns -------------------------------------------------------------


def test_geocode_refuses_a_repeated_location_column(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text("location,admin1,location\nJani Khel,Paktya,Kabul\n", encoding="utf-8")
    result = run("geocode", str(path))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == (f"error: The header of the file of places {path} repeats the column(s) "
                                      "location; each column needs one distinct name.")


# --- 16. huge cells and empty rows ---------------------------------------------------------------


def test_a_cell_over_the_limit_is_one_rejected_row(write_csv):
    huge = "x" * (MAX_CELL + 1)
    path = write_csv(HEADER.replace("\n", ",notes\n") + row("A1").replace("\n", ",ok\n")
                     + row("B1").replace("\n", f",{huge}\n") + row("B2").replace("\n", f',"{huge}"\n')
                     + row("A2").replace("\n", ",ok\n"))
    result = run("incidents", "-i", str(path))
    assert result.exit_code == 0
    accounts(result, 4, 2, 2)
    assert kept_ids(result) == ["A1", "A2"]
    assert f"row 3: notes '{'x' * 80}…' is {MAX_CELL + 1:,} characters long, over the limit of {MAX_CELL:,}" in result.stderr
    assert max(map(len, result.stderr.splitlines())) < 400  # quoted, not copied
    side = pd.read_csv("incidents.rejects.csv", dtype=str)
    assert side["value"].str.len().max() < 100


def test_empty_and_ragged_empty_rows_are_counted(write_csv):
    path = write_csv(HEADER + row("A1") + ",,\n" + ",,,,,,\n" + "\n" + "   \n" + row("A2") + '"",""\n')
    result = run("incidents", "-i", str(path))
    accounts(result, 5, 2, 3)  # blank lines are not rows; lines of separators are
    for number in (3, 4, 8):
        assert f"row {number}: (row) '' is an empty row (separators only)" in result.stderr


# --- the accounting invariant, over generated files ---------------------------------------------

CELL = st.one_of(st.sampled_from(["", " ", "2023-03-05", "Kabul", "Taliban", "3", "1e309", "x,y", 'say "hi"',
                                  "2023-3-5", "Battles", "Drive-by"]),
                 st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=6))
COLS = ["incident_id", "event_date", "actor1", "location", "fatalities", "event_type"]


@settings(max_examples=60)
@given(rows=st.lists(st.one_of(st.lists(CELL, min_size=len(COLS), max_size=len(COLS)),
                               st.lists(st.just(""), min_size=2, max_size=9),
                               st.lists(CELL, min_size=2, max_size=9),
                               st.just([])), max_size=15))
def test_every_line_of_separators_or_values_is_a_row_read(tmp_path_factory, rows):
    """read = kept + rejected, and read counts every written row that is not a blank line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLS)
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("rows") / "x.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    frame, report = read_incidents([path])
    assert report.read == report.kept + report.rejected_rows == len([r for r in rows if r])
    assert len(frame) == report.kept
    numbers = [n for n, r in enumerate(rows, start=2) if r]
    assert set(report.rejected["row"]) | set(frame["input_row"]) == set(numbers)


@settings(max_examples=60)
@given(rows=st.lists(st.lists(st.sampled_from(["", "Kabul", "2023-03-05", "7", "a b"]), min_size=len(COLS),
                              max_size=len(COLS)), min_size=1, max_size=12),
       data=st.data())
def test_an_unterminated_quote_anywhere_loses_no_row(tmp_path_factory, rows, data):
    """A stray opening quote in any cell: the rows after it are each reported, none vanishes."""
    at = data.draw(st.integers(0, len(rows) - 1))
    column = data.draw(st.integers(0, len(COLS) - 1))
    lines = [",".join(COLS)] + [",".join(r) for r in rows]
    cells = lines[at + 1].split(",")
    cells[column] = '"' + cells[column]
    lines[at + 1] = ",".join(cells)
    path = tmp_path_factory.mktemp("quote") / "x.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame, report = read_incidents([path])
    assert report.read == len(rows) and len(frame) == report.kept
    swallowed = set(range(at + 2, len(rows) + 2))
    assert swallowed <= set(report.rejected["row"])  # the row with the quote and every row after it
    assert set(frame["input_row"]).isdisjoint(swallowed)


def test_readme_bad_input_section_states_these_limits():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Bad input"):readme.index("## Incident schema")]
    for promise in (f"{MAX_CELL:,} characters", f"{MAX_FATALITIES:,}", "GEO_MAX_INPUT_MB", "512 MB",
                    "unterminated quote", "ACLED's event types", "1900"):
        assert promise in section, promise
    assert re.search(r"FIFO", section)
