"""Properties over arbitrary input: only GeoError escapes, and the row accounting balances."""

from __future__ import annotations

import csv
import io
import string

from hypothesis import given
from hypothesis import strategies as st

from geo import GeoError, read_incidents
from geo.actors import canonical_actor
from geo.gazetteer import level_hint, normalise
from geo.schema import COLUMNS

WORD = st.text(alphabet=string.ascii_letters + "āīūéÂ", min_size=1, max_size=8)
CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "2023-03-05", "2023-13-40", "-1", "3", "1.5", "NaN", "claimed", "Kabul", "Daesh", "90", "200"]),
)


@given(st.text())
def test_normalise_never_raises_and_returns_one_token(text):
    key = normalise(text)
    assert isinstance(key, str) and not any(c.isspace() or c == "-" for c in key)
    level_hint(text)
    canonical_actor(text)


@given(st.lists(WORD, min_size=1, max_size=4))
def test_hyphens_spaces_and_case_do_not_matter(words):
    assert normalise("-".join(words)) == normalise(" ".join(words)) == normalise(" ".join(words).upper())


@given(st.binary(max_size=400))
def test_arbitrary_bytes_only_raise_geo_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "x.csv"
    path.write_bytes(data)
    try:
        frame, report = read_incidents([path])
    except GeoError:
        return
    assert report.read == report.kept + report.rejected_rows
    assert len(frame) == report.kept


@given(
    st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=12, unique=True),
    st.lists(st.lists(CELL, min_size=0, max_size=14), max_size=12),
    st.sampled_from([",", ";"]),
)
def test_csv_like_files_balance(tmp_path_factory, header, rows, delimiter):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("csv") / "x.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    try:
        frame, report = read_incidents([path])
    except GeoError as exc:
        assert any(w in str(exc) for w in ("required column", "empty", "header", "NUL bytes", "not a readable CSV"))
        return
    assert report.read == report.kept + report.rejected_rows
    assert len(frame) == report.kept
    # Every rejected row is named by its spreadsheet row number within the file.
    assert report.rejected["row"].between(2, len(rows) + 1).all()
