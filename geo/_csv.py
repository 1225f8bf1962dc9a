"""CSV text as people save it: the encodings and separators spreadsheets write, read within limits.

Every input file the CLI reads (incident files, places to geocode, articles) is opened by
:func:`read_input`: regular files only, never more than ``GEO_MAX_INPUT_MB`` megabytes, and a
binary file is refused at its first megabyte. :func:`read_records` splits incident CSVs into
rows and accounts for each one: kept, or rejected with its row number and the reason.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from geo._errors import GeoError

#: Largest input file read, in megabytes, unless ``GEO_MAX_INPUT_MB`` says otherwise.
MAX_INPUT_MB = 512
MAX_INPUT_ENV = "GEO_MAX_INPUT_MB"
#: Longest cell kept, in characters (the csv module's default field limit): a longer one rejects its row.
MAX_CELL = 131_072
#: Longest value quoted back in a message or a rejects file.
SHOWN = 80
PROBLEM = ["row", "column", "value", "reason"]
_CHUNK = 1 << 20
_EOF = "\ue000geo-end-of-file\ue000"  # private-use text no real file holds
_KINDS = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")]


def max_input_bytes() -> int:
    """The size limit for one input file, in bytes (``GEO_MAX_INPUT_MB``, default 512).

    Raises
    ------
    GeoError
        When ``GEO_MAX_INPUT_MB`` is set to something other than a positive number.
    """
    value = os.environ.get(MAX_INPUT_ENV, "").strip()
    try:
        megabytes = float(value) if value else MAX_INPUT_MB
    except ValueError:
        megabytes = -1.0
    if not 0 < megabytes < float("inf"):
        raise GeoError(f"{MAX_INPUT_ENV}={value!r} is not a positive number of megabytes.")
    return int(megabytes * 1024 * 1024)


def read_input(path: str | os.PathLike[str], what: str = "file", *, binary_ok: bool = False) -> bytearray:
    """The bytes of an input file, read in chunks and never past the size limit.

    Parameters
    ----------
    path
        The file to read.
    what
        What the file is, for messages ("incident file", "article").
    binary_ok
        Keep NUL bytes; by default a file holding them (and no UTF-16 BOM) is refused at the
        chunk where they appear, so a huge binary or sparse file is never read whole.

    Returns
    -------
    bytearray
        The bytes, read in place into one buffer (chunks joined would hold the file twice).

    Raises
    ------
    GeoError
        When the file cannot be opened, is not a regular file (a folder, FIFO, device or
        socket), is larger than :func:`max_input_bytes`, or is binary.
    """
    path = Path(path)
    limit = max_input_bytes()
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise GeoError(f"Could not read the {what} {path}: {exc.strerror or exc}.") from None
    with open(fd, "rb", closefd=True) as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            raise GeoError(f"The {what} {path} is {kind}, not a regular file; save the data to a file and give that.")
        too_big = GeoError(f"The {what} {path} is larger than {limit / 2**20:,.6g} MB, the limit for one input "
                           f"file; split it, or set {MAX_INPUT_ENV} to a higher number of megabytes.")
        size = os.fstat(fd).st_size
        if size > limit:
            raise too_big
        data, total, check_nul = bytearray(min(_CHUNK, limit + 1)), 0, not binary_ok
        # Sizes can lie (/proc files say 0; a file may grow), so the limit holds while reading too.
        while True:
            if total == len(data):
                # Room for the rest the file states it holds (one byte more shows that it grew),
                # else for one more chunk; only once the first chunk was checked, so a binary
                # file is refused before a buffer of its size exists.
                grown = bytearray(min(max(size + 1, total + _CHUNK), limit + 1))
                grown[:total] = data
                data = grown
            with memoryview(data) as view:
                count = handle.readinto(view[total:min(len(data), total + _CHUNK)])
            if not count:
                break
            if not total and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
                check_nul = False  # UTF-16 text is half NUL bytes
            if check_nul and data.find(b"\x00", total, total + count) >= 0:
                raise GeoError(f"The {what} {path} contains NUL bytes, so it is not a CSV text file; "
                               "save it as 'CSV UTF-8'.")
            total += count
            if total > limit:
                raise too_big
    del data[total:]
    return data


@dataclass
class Text:
    """Decoded text, and the lines that came in another encoding than the rest of the file.

    ``mixed`` holds 1-based line numbers (lines end at ``\\n``) decoded as ``mixed_as`` in a
    file otherwise ``encoding``: rows pasted from another export, which would otherwise be
    silent mojibake (``HÃ©rat``) one way or the other.
    """

    text: str
    encoding: str
    mixed: list[int] = field(default_factory=list)
    mixed_as: str = ""

    @property
    def mixed_reason(self) -> str:
        """What to say about each line in ``mixed``."""
        return (f"is {self.mixed_as} text in a file that is otherwise {self.encoding}: read as {self.mixed_as}; "
                "check its spelling")


def decode(raw: bytes, path: Path, what: str = "file") -> Text:
    """Decode ``raw``: UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1252, per line when mixed.

    Raises
    ------
    GeoError
        When the text is none of those encodings.
    """
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text" is UTF-16 with a BOM
        try:
            return Text(raw.decode("utf-16"), "UTF-16")
        except UnicodeDecodeError:
            pass
    try:
        return Text(raw.decode("utf-8-sig"), "UTF-8")
    except UnicodeDecodeError:
        pass
    # Not UTF-8 as a whole: Windows-1252 (Excel on Windows still writes it), or a mix of both
    # when rows from different exports were pasted together. Each line is decoded on its own.
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    lines = raw.split(b"\n")
    utf8, cp1252, texts = [], [], []
    for number, line in enumerate(lines, start=1):
        try:
            texts.append(line.decode("utf-8"))
            if not line.isascii():
                utf8.append(number)
        except UnicodeDecodeError:
            try:
                texts.append(line.decode("cp1252"))
            except UnicodeDecodeError:
                raise GeoError(f"Line {number} of the {what} {path} is neither UTF-8 nor Windows-1252 text; "
                               "save the file as 'CSV UTF-8'.") from None
            cp1252.append(number)
    if not utf8:
        return Text(raw.decode("cp1252"), "Windows-1252")
    # Name the rows in the minority encoding: those are the ones to check.
    if len(cp1252) <= len(utf8):
        return Text("\n".join(texts), "UTF-8", cp1252, "Windows-1252")
    return Text("\n".join(texts), "Windows-1252", utf8, "UTF-8")


def decode_text(path: Path, what: str = "file") -> str:
    """The text of ``path``: UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1252.

    Raises
    ------
    GeoError
        When the file cannot be read (see :func:`read_input`) or is none of those encodings.
    """
    return decode(read_input(path, what), Path(path), what).text


def sniff_delimiter(text: str) -> str:
    """The separator of the header line: comma, semicolon (European Excel) or tab."""
    try:
        return csv.Sniffer().sniff(text[: text.find("\n")] if "\n" in text else text, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def check_header(header: list[str], path: Path, what: str = "file") -> None:
    """Refuse a header with a repeated or empty column name (which column would a value be?).

    Raises
    ------
    GeoError
        Naming the repeated columns, or saying one has no name.
    """
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes or "" in header:
        found = f"repeats the column(s) {', '.join(dupes)}" if dupes else "has a column with no name"
        raise GeoError(f"The header of the {what} {path} {found}; each column needs one distinct name.")


def shown(value: object) -> str:
    """``value`` as text short enough to quote in a message (cut at :data:`SHOWN` characters)."""
    text = str(value)
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


@dataclass
class Records:
    """A CSV split into rows, every one accounted for.

    ``frame`` holds the rows with one field per column (all text), indexed by spreadsheet row
    number (the header is row 1); ``rejected`` one line per row that could not become one (wrong
    number of fields, empty, inside an unterminated quote, a cell over :data:`MAX_CELL`);
    ``flagged`` rows kept with a warning (another encoding than the rest of the file). Both
    have the columns row, column, value, reason. ``read == len(frame) + rejected rows``.
    """

    frame: pd.DataFrame
    rejected: pd.DataFrame
    flagged: pd.DataFrame

    @property
    def read(self) -> int:
        """Rows read: those in ``frame`` plus those rejected."""
        return len(self.frame) + int(self.rejected["row"].nunique())


@contextmanager
def _no_field_limit() -> Iterator[None]:
    """Lift the csv module's field limit: a huge cell is one rejected row, not a failed file."""
    limit = csv.field_size_limit(2**31 - 1)
    try:
        yield
    finally:
        csv.field_size_limit(limit)


def _ends_in_quotes(lines: list[str], delimiter: str) -> bool:
    """Whether the csv module is still inside a quoted field when ``lines`` end."""
    tail = lines[-1] if lines[-1].endswith(("\n", "\r")) else lines[-1] + "\n"
    # A marker after the last line joins the last field only if a quote is still open.
    parsed = list(csv.reader([*lines[:-1], tail, _EOF], delimiter=delimiter))
    return len(parsed) == 1 and parsed[0][-1].endswith(_EOF)


def _fields(line: str, delimiter: str) -> int:
    return len(next(csv.reader([line], delimiter=delimiter), []))


def read_records(path: str | os.PathLike[str], what: str = "file") -> Records:
    """Read a CSV into rows, numbered as a spreadsheet shows them, each kept or rejected.

    The csv module is used rather than ``pandas.read_csv`` because a row with the wrong number
    of fields, an unterminated quote or a huge cell must become a reported reject with its row
    number, not a failure of the file. Rows whose quoted field runs on over following lines
    that look like rows (a closing quote is missing), or to the end of the file, are rejected,
    and so is each row swallowed, under its own number.

    Raises
    ------
    GeoError
        When the file cannot be read as CSV text (see :func:`read_input`), is empty, or its
        header repeats a column name.
    """
    path = Path(path)
    raw = read_input(path, what)
    decoded = decode(raw, path, what)
    if not decoded.text or decoded.text.isspace():  # nothing left by strip(), without a copy of the text
        raise GeoError(f"The {what} {path} is empty.")
    delimiter = sniff_delimiter(decoded.text)
    if decoded.encoding == "UTF-8" and not decoded.mixed:
        # The file's bytes are the UTF-8 that pyarrow parses: the text, as large, is let go meanwhile.
        decoded = None
        if raw[:3] == codecs.BOM_UTF8:
            del raw[:3]  # (a bytearray drops its first bytes without copying the rest)
        fast = _read_columnar(raw, delimiter, Text("", "UTF-8"), path, what)
        if fast is not None:
            return fast
        decoded = Text(raw.decode("utf-8"), "UTF-8")
    else:
        fast = _read_columnar(decoded.text, delimiter, decoded, path, what)
        if fast is not None:
            return fast
    del raw
    lines = io.StringIO(decoded.text, newline="").readlines()
    with _no_field_limit():
        return _split_rows(lines, delimiter, decoded, path, what)


def _positions(data: bytes, start: int, byte: int, chunk: int = 1 << 24) -> np.ndarray:
    """Offsets (from ``start``) of ``byte`` in ``data``, scanned a chunk at a time (no file-sized temporaries)."""
    view = np.frombuffer(data, dtype=np.uint8)
    found = [np.flatnonzero(view[at:at + chunk] == byte) + (at - start) for at in range(start, len(data), chunk)]
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


#: Suffixes of incident tables read as Parquet (GeoParquet when they carry its "geo" metadata).
PARQUET_SUFFIXES = (".parquet", ".geoparquet")


def read_parquet_records(path: str | os.PathLike[str], what: str = "file") -> Records:
    """The rows of a Parquet or GeoParquet table as text, like :func:`read_records` gives a CSV's.

    Every column becomes text as a CSV of the same table would hold it (numbers as written,
    dates as ``YYYY-MM-DD``, missing values empty), so the same checks apply to every value.
    Rows are numbered as in that CSV: the first row is row 2. A GeoParquet table's point
    geometries give ``latitude`` and ``longitude`` (in EPSG:4326) where the table has no such
    columns; other geometry types leave them empty.

    Raises
    ------
    GeoError
        When the file cannot be read (see :func:`read_input`), is not Parquet, or repeats a
        column name.
    """
    import json

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = Path(path)
    raw = read_input(path, what, binary_ok=True)
    try:
        table = pq.read_table(pa.BufferReader(raw))
    except (pa.ArrowException, OSError) as exc:
        raise GeoError(f"The {what} {path} is not a readable Parquet file: {str(exc).strip().rstrip('.')}.") from None
    check_header(list(table.column_names), path, what)
    geo = json.loads((table.schema.metadata or {}).get(b"geo", b"null"))
    primary = geo.get("primary_column", "geometry") if isinstance(geo, dict) else None
    columns = {}
    for name in table.column_names:
        if name == primary:
            continue
        column = table[name]
        if pa.types.is_date(column.type) or pa.types.is_timestamp(column.type):
            column = pc.strftime(column, format="%Y-%m-%d")
        columns[name.strip()] = pc.fill_null(pc.cast(column, pa.string()), "")
    if primary in table.column_names and not {"latitude", "longitude"} & set(columns):
        import geopandas as gpd
        import shapely

        crs = geo["columns"].get(primary, {}).get("crs", "OGC:CRS84") or "OGC:CRS84"
        shapes = gpd.GeoSeries.from_wkb(table[primary].to_numpy(zero_copy_only=False), crs=crs).to_crs(4326)
        point = (shapes.geom_type == "Point").to_numpy()
        for name, coord in (("latitude", shapely.get_y), ("longitude", shapely.get_x)):
            values = coord(shapes.to_numpy())
            columns[name] = pa.array(np.where(point, pd.Series(values).map(repr), ""), type=pa.string())
    frame = pa.table(columns).to_pandas() if columns else pd.DataFrame(index=range(table.num_rows))
    frame.index = pd.RangeIndex(2, table.num_rows + 2)
    return Records(frame, pd.DataFrame(columns=PROBLEM), pd.DataFrame(columns=PROBLEM))


def _read_columnar(text: str | bytes | bytearray, delimiter: str, decoded: Text, path: Path, what: str) -> Records | None:
    """The rows :func:`_split_rows` would give, through pyarrow's columnar CSV reader, or None.

    pyarrow parses a million rows into typed columns in about a second, where the csv module
    and a frame of Python strings take tens; it is used only for files on which both readers
    must agree, which is how most files are: one row per line (no quoted line breaks, no blank
    lines), one encoding, every quote character opening or closing a field (or doubled inside
    one), no row of separators only and no cell over :data:`MAX_CELL`. Rows with the wrong
    number of fields are reported by pyarrow's ``invalid_row_handler`` with their line numbers,
    and rejected with the same message. Any other file returns None: the csv module reads it.
    ``text`` may be given as its UTF-8 bytes: every check below looks at ASCII bytes only, which
    UTF-8 never uses inside another character.
    """
    # The rows as UTF-8 bytes for pyarrow: one copy of the text (a million rows: 230 MB), sliced
    # past the header without another.
    data = text.encode("utf-8") if isinstance(text, str) else text
    del text
    if decoded.mixed or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")):
        return None
    end = data.find(b"\n")
    head = data[:max(end, 0)].decode("utf-8")
    if end < 0 or '"' in head or _STRAY_QUOTE[delimiter].search(data):
        return None
    header = [h.strip() for h in head.rstrip("\r").split(delimiter)]
    check_header(header, path, what)
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    start = end + 1
    # Every line must close the quotes it opens (a quote left open runs on over the next lines,
    # which the csv module accounts for). UTF-8 never uses these bytes inside a character.
    quotes, newlines = _positions(data, start, ord('"')), _positions(data, start, ord("\n"))
    if len(quotes):
        line = np.searchsorted(newlines, quotes)
        if (np.bincount(line) % 2).any():
            return None
        # Counting a line's quotes from its start, each even one opens a quoted field, so it must
        # start one (or be the second of a doubled ""): a quote inside an unquoted field (`12",`)
        # would make the count lie, and the csv module and pyarrow may then split differently.
        opening = quotes[(np.arange(len(quotes)) - np.searchsorted(line, line)) % 2 == 0]
        before = np.frombuffer(data, dtype=np.uint8)[start - 1 + opening]
        if not np.isin(before, np.frombuffer(f'{delimiter}\n"'.encode(), dtype=np.uint8)).all():
            return None
    ragged: list[tuple[int, str]] = []

    def invalid(row) -> str:
        ragged.append((row.number, row.text))
        return "skip"

    def parse(body: pa.Buffer, threads: bool) -> pa.Table:
        return pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=header, use_threads=threads, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False, ignore_empty_lines=False,
                                             invalid_row_handler=invalid),
            # large_string: what pandas keeps text in, so the columns reach it without a copy.
            convert_options=pacsv.ConvertOptions(column_types={h: pa.large_string() for h in header},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )

    try:
        table = parse(pa.py_buffer(data).slice(start), threads=True)
        if ragged:  # invalid_row_handler gets row numbers from one thread only: read again for them
            ragged.clear()
            table = parse(pa.py_buffer(data).slice(start), threads=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    lines = len(newlines) + (0 if data.endswith(b"\n") or start >= len(data) else 1)
    ends = np.concatenate([[-1], newlines, [len(data) - start]])
    del data
    if table.num_rows + len(ragged) != lines or any(n is None for n, _ in ragged):
        return None  # a quoted line break, or a blank line: the csv module numbers those
    # A cell over MAX_CELL characters needs a line over MAX_CELL bytes: columns are measured only then.
    if lines and int(np.diff(ends).max()) > MAX_CELL:
        if any(len(column) and pc.max(pc.utf8_length(column)).as_py() > MAX_CELL for column in table.columns):
            return None
    # Rows of separators only: the csv module's accounting says which are blank lines. Each column
    # is looked at only in the rows whose cells so far are all blank (most files: none after the first).
    candidates = np.arange(table.num_rows)
    for column in table.columns:
        if not len(candidates):
            break
        cells = column if len(candidates) == table.num_rows else column.take(candidates)
        empty = pc.equal(pc.utf8_trim_whitespace(cells), "").to_numpy(zero_copy_only=False)
        candidates = candidates[empty]
    if len(candidates) and table.num_columns:
        return None
    problems = []
    for number, line in ragged:
        record = next(csv.reader([line], delimiter=delimiter), [])
        if not "".join(record).strip():
            return None
        # pyarrow numbers lines of the body: the header is line 1 of the file.
        problems.append((number + 1, "(row)", shown(delimiter.join(record)),
                         f"has {len(record)} fields where the header has {len(header)}"))
    numbers = np.setdiff1d(np.arange(2, lines + 2, dtype=np.int64), [p[0] for p in problems], assume_unique=True)
    frame = table.to_pandas()
    frame.index = pd.Index(numbers, dtype=int)
    rejected = pd.DataFrame(problems, columns=PROBLEM).sort_values("row", kind="stable", ignore_index=True)
    return Records(frame, rejected, pd.DataFrame(columns=PROBLEM))


#: A quote character inside an unquoted field or after a closing quote (``ab"c``, ``"a"b``), where
#: the csv module and pyarrow may split differently; a doubled quote inside a field is fine.
#: (The quote comes first in the pattern, so the search skips from quote to quote.)
_STRAY_QUOTE = {d: re.compile(f'"(?=[^{re.escape(d)}\\r\\n"])(?<=[^{re.escape(d)}\\r\\n"]")'.encode())
                for d in (",", ";", "\t")}


def _split_rows(lines: list[str], delimiter: str, decoded: Text, path: Path, what: str) -> Records:
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
        check_header(header, path, what)
        header_end = reader.line_num
        records, ends = [], []
        keep, end = records.append, ends.append
        for record in reader:
            keep(record)
            end(reader.line_num)
    except csv.Error as exc:
        raise GeoError(f"The {what} {path} is not a readable CSV near line {reader.line_num}: {exc}.") from None

    width, count = len(header), len(records)
    stops = np.asarray(ends, dtype=np.int64)
    starts = np.concatenate([[header_end], stops]).astype(np.int64)[:count]  # physical lines starts+1 .. stops
    fields = np.fromiter(map(len, records), dtype=np.int64, count=count)
    empty = np.fromiter((not "".join(r).strip() for r in records), dtype=bool, count=count)
    blank = empty & (fields <= 1)  # a blank line is not a row; a line of separators is
    problems: list[tuple[int, int | None, str, str, str]] = []  # (record, swallowed line or None, column, value, reason)
    swallowed = np.zeros(count, dtype=np.int64)

    # Quoted fields spanning lines: legitimate in a note, but a missing closing quote swallows
    # the rows after it. Few records span lines, so this loop is short.
    suspects = set(np.flatnonzero(stops - starts > 1).tolist())
    if count and _ends_in_quotes(lines[starts[-1]: stops[-1]], delimiter):
        suspects.add(count - 1)
    for i in sorted(suspects):
        body = lines[starts[i] + 1: stops[i]]
        at_eof = i == count - 1 and _ends_in_quotes(lines[starts[i]: stops[i]], delimiter)
        # Lines wholly inside an open quote hold no quote character; a whole row among them
        # means the quote swallowed it. The line where the quote closes counts only then.
        inside = body if at_eof else body[:-1]
        rows = [k for k, line in enumerate(inside) if '"' not in line and _fields(line, delimiter) == width]
        if not rows and not at_eof:
            continue  # a note over several lines
        if not at_eof and _fields(body[-1], delimiter) == width:
            rows.append(len(body) - 1)
        record = records[i]
        k = next((k for k, f in enumerate(record) if "\n" in f or "\r" in f), len(record) - 1)
        field_name = f"the {header[k]} field" if k < width else "a field"
        runs = f"runs on over {len(rows)} following line(s) that look like rows" if rows else "runs on"
        until = " to the end of the file" if at_eof else ""
        problems.append((i, None, "(row)", lines[starts[i]].rstrip("\r\n"),
                         f"opens a quote in {field_name} that is not closed on its line: it {runs}{until}"))
        for n, k in enumerate(rows, start=1):
            problems.append((i, n, "(row)", body[k].rstrip("\r\n"),
                             f"is inside {field_name} of row {{row}}, whose closing quote is missing"))
        swallowed[i] = len(rows)
    quoted = np.zeros(count, dtype=bool)
    quoted[[p[0] for p in problems]] = True

    ragged = np.flatnonzero((fields != width) & ~blank & ~empty & ~quoted)
    problems += [(i, None, "(row)", delimiter.join(records[i]),
                  f"has {fields[i]} fields where the header has {width}") for i in ragged]
    problems += [(i, None, "(row)", "", "is an empty row (separators only)") for i in np.flatnonzero(empty & ~blank)]

    # A cell can only be over the limit in a record whose text is: check those alone.
    sizes = np.concatenate([[0], np.cumsum(np.fromiter(map(len, lines), dtype=np.int64, count=len(lines)))])
    already = {p[0] for p in problems}
    for i in np.flatnonzero(sizes[stops] - sizes[starts] > MAX_CELL):
        if i in already:
            continue
        for k, cell in enumerate(records[i][:width]):
            if len(cell) > MAX_CELL:
                problems.append((i, None, header[k], cell,
                                 f"is {len(cell):,} characters long, over the limit of {MAX_CELL:,} for one cell"))

    # Spreadsheet row numbers: one per record (blank lines included, as a spreadsheet shows
    # them), plus one for each row an unterminated quote swallowed.
    numbers = np.arange(2, count + 2, dtype=np.int64) + np.cumsum(swallowed) - swallowed
    bad = np.zeros(count, dtype=bool)
    bad[[p[0] for p in problems]] = True
    good = np.flatnonzero(~bad & ~blank)
    frame = pd.DataFrame(
        records if len(good) == count else [records[i] for i in good],
        columns=header, index=pd.Index(numbers[good], dtype=int), dtype=str,
    )
    rejected = pd.DataFrame(
        [(int(numbers[i]) + (n or 0), column, shown(value), reason.replace("{row}", str(numbers[i])))
         for i, n, column, value, reason in problems],
        columns=PROBLEM,
    )
    return Records(frame, rejected.sort_values("row", kind="stable", ignore_index=True),
                   _mixed_rows(decoded, lines, stops, numbers, header_end))


def _mixed_rows(decoded: Text, lines: list[str], stops: np.ndarray, numbers: np.ndarray,
                header_end: int) -> pd.DataFrame:
    """One warning per row holding a line in the file's minority encoding."""
    flagged = []
    for line in decoded.mixed:
        if line <= header_end or not len(stops):
            row = 1
        else:
            i = min(int(np.searchsorted(stops, line)), len(stops) - 1)
            row = int(numbers[i])
        text = lines[line - 1].rstrip("\r\n") if line <= len(lines) else ""
        flagged.append((row, "(row)", shown(text), decoded.mixed_reason))
    return pd.DataFrame(flagged, columns=PROBLEM).drop_duplicates("row", ignore_index=True)


def read_table(path: str | os.PathLike[str], what: str = "file") -> tuple[pd.DataFrame, Text]:
    """A small CSV (places to geocode, a population table) as text columns, read with the same
    guards as incident files: :func:`read_input`, :func:`decode`, the header's separator and
    :func:`check_header`. Column names are stripped.

    Returns
    -------
    (pandas.DataFrame, Text)
        The table, every value as text, and the decoded text (for lines in a minority encoding).

    Raises
    ------
    GeoError
        When the file cannot be read (see :func:`read_input`), is empty, repeats a column name
        or is not CSV.
    """
    path = Path(path)
    decoded = decode(read_input(path, what), path, what)
    if not decoded.text.strip():
        raise GeoError(f"The {what} {path} is empty.")
    delimiter = sniff_delimiter(decoded.text)
    try:
        # The header as written: read_csv would rename a repeated column (population.1) and go on.
        names = pd.read_csv(io.StringIO(decoded.text), sep=delimiter, header=None, nrows=1, dtype=str,
                            keep_default_na=False)
        check_header([str(c).strip() for c in names.iloc[0]], path, what)
        frame = pd.read_csv(io.StringIO(decoded.text), sep=delimiter, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise GeoError(f"{path} is not a readable CSV: {str(exc).strip().rstrip('.')}; "
                       "quote values that contain the separator.") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, decoded
