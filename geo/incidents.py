"""Incidents: the sample data set, CSV and ACLED-export loading, validation, month filters.

Every row read is either kept or reported: :func:`read_incidents` returns the kept rows with
a :class:`LoadReport` that lists each rejected row with its file, row number, column, value
and reason, so that ``read == kept + rejected`` always holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from geo._csv import PARQUET_SUFFIXES, PROBLEM, read_parquet_records, read_records, shown
from geo._errors import GeoError
from geo._formats import _starts_like_formula, unquote_formulas
from geo.actors import actor_problem, canonical_actors
from geo.schema import COLUMNS, REQUIRED, Distinct, distinct, row_problems, spell_event_types

#: ACLED export columns mapped to ours (ACLED has no verification or URL columns).
ACLED_COLUMNS = {
    "event_id_cnty": "incident_id",
    "event_date": "event_date",
    "time_precision": "time_precision",
    "actor1": "actor1",
    "actor2": "actor2",
    "event_type": "event_type",
    "sub_event_type": "sub_event_type",
    "location": "location",
    "admin1": "admin1",
    "admin2": "admin2",
    "latitude": "latitude",
    "longitude": "longitude",
    "geo_precision": "geo_precision",
    "fatalities": "fatalities",
    "source": "source",
    "notes": "notes",
}
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def sample_path() -> Path:
    """Path of the sample incidents shipped with the package (transcribed from the seed articles)."""
    return Path(str(files("geo") / "data" / "sample_incidents.csv"))


PROBLEM_COLUMNS = ["file", *PROBLEM]  # the problems of several files


@dataclass
class LoadReport:
    """What happened to every row read: ``read == kept + rejected`` always holds.

    ``rejected`` has one line per problem that rejected a row (a row may have several);
    ``flagged`` one line per problem that kept its row (unknown actor, id repeated across files,
    text in another encoding than the rest of its file).
    Both have the columns file, row (spreadsheet row: the header is row 1), column, value, reason.
    """

    read: int = 0
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS))
    flagged: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS))

    @property
    def kept(self) -> int:
        """Rows kept: those read minus those rejected."""
        return self.read - self.rejected_rows

    @property
    def rejected_rows(self) -> int:
        """Distinct rows rejected (a row may have several problems)."""
        return int(self.rejected[["file", "row"]].drop_duplicates().shape[0])

    def summary(self) -> str:
        """One line: ``read N = kept K + rejected R``."""
        return f"read {self.read} = kept {self.kept} + rejected {self.rejected_rows}"


def parse_month(month: str) -> str:
    """Validate a ``YYYY-MM`` month and return it; raise :class:`GeoError` otherwise."""
    if not _MONTH.match(str(month).strip()):
        raise GeoError(f"Month '{month}' is not of the form YYYY-MM with a month from 01 to 12, e.g. 2023-03.")
    return str(month).strip()


def _from_acled(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[[c for c in ACLED_COLUMNS if c in frame]].rename(columns=ACLED_COLUMNS)
    # ACLED exports write dates as "03 April 2023" (older) or ISO (newer, checked as ours are).
    dates = pd.to_datetime(out["event_date"], format="%d %B %Y", errors="coerce")
    out["event_date"] = dates.dt.strftime("%Y-%m-%d").where(dates.notna(), out["event_date"])
    out["verification"] = "unknown"
    return out


def _validate(frame: pd.DataFrame, path: Path, encoded: dict[str, Distinct | None]) -> tuple[np.ndarray, pd.DataFrame]:
    """Which rows of ``frame`` are valid (a mask), and a table of problems (one row per problem)."""
    table = row_problems(frame, encoded)
    table.insert(0, "file", str(path))
    return ~frame.index.isin(table["row"].unique()), table


def _tidy_values(col: str, values: pd.Series) -> pd.Series:
    """Values of the column ``col`` as the pipeline uses them: text stripped (and read back from a
    formula's guarding quote), event types in ACLED's spelling, blank codes given their default."""
    if col in ("event_type", "sub_event_type"):
        values = spell_event_types(values.to_frame(col))[col]
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        values = unquote_formulas(values.fillna("").astype(str).str.strip())
    if col == "time_precision":
        return pd.to_numeric(values.replace("", "1")).astype(int)
    if col == "fatalities":
        return pd.to_numeric(values.replace("", "0")).astype(int)
    if col == "verification":
        return values.str.lower().replace("", "unknown")
    return values


def _tidy(frame: pd.DataFrame, keep: np.ndarray, encoded: dict[str, Distinct | None]) -> pd.DataFrame:
    """The rows ``keep`` of ``frame``, tidied (:func:`_tidy_values`), the schema's missing columns
    added, actors in canonical spelling.

    A column taken by distinct value is tidied once per distinct value its kept rows hold, then
    spread over the rows: the same values as tidying every row, for a pass over a few.
    """
    rows = np.flatnonzero(keep)
    index = frame.index[rows]
    tidy = {}  # column: (tidied values, each row's position in them; None when they are the rows')
    for col in [*frame.columns, *(c for c in COLUMNS if c not in frame.columns)]:
        enc = encoded.get(col) if col in frame.columns else Distinct(np.zeros(len(frame), dtype=np.intp),
                                                                      pd.Series([""], dtype=str))
        if enc is None:
            tidy[col] = (_tidy_values(col, pd.Series(frame[col].array[keep])), None)
            continue
        codes = enc.codes[rows]
        used = np.bincount(codes, minlength=len(enc.values)) > 0  # values of rejected rows need not parse
        tidy[col] = (_tidy_values(col, enc.values[used].reset_index(drop=True)), (np.cumsum(used) - 1)[codes])
    columns = {col: values.array if codes is None else values.array.take(codes)
               for col, (values, codes) in tidy.items() if col not in ("actor1", "actor2")}
    dates = pd.Series(columns["event_date"], index=index)
    for col in ("actor1", "actor2"):  # "Afghan army" is another actor after 15 August 2021
        values, codes = tidy[col]
        # A distinct name is looked up once, and the rows take it (not taken twice).
        named = canonical_actors(values, on=dates, codes=codes) if codes is not None else \
            canonical_actors(pd.Series(values.array, index=index), on=dates)
        columns[col] = named.array
    return pd.DataFrame({col: columns[col] for col in tidy}, index=index)


def _flag_unknown_actors(frame: pd.DataFrame) -> pd.DataFrame:
    flags = []
    for col in ("actor1", "actor2"):
        codes, names = pd.factorize(frame[col])  # each distinct actor asked about once
        reasons = np.array([actor_problem(n) if n else None for n in names], dtype=object)
        unknown = np.flatnonzero(pd.notna(reasons)[codes])
        flags.append(pd.DataFrame({
            "file": frame["input_file"].iloc[unknown].to_numpy(), "row": frame["input_row"].to_numpy()[unknown],
            "column": col, "value": names.to_numpy()[codes[unknown]], "reason": reasons[codes[unknown]],
        }))
    return pd.concat(flags, ignore_index=True)


def read_incidents(paths: Sequence[str | PathLike[str]] | None = None) -> tuple[pd.DataFrame, LoadReport]:
    """Read incident files (our CSV schema or ACLED exports) and validate every row.

    Parameters
    ----------
    paths
        CSV files, or Parquet/GeoParquet tables (``.parquet``, ``.geoparquet``) of the same
        columns; ``None`` reads the sample set shipped with the package.

    Returns
    -------
    (pandas.DataFrame, LoadReport)
        The kept rows with actors in canonical spelling (not yet geocoded), with ``input_file`` and
        ``input_row`` saying where each came from; and the report of rejected and flagged rows.

    Raises
    ------
    GeoError
        When a file cannot be read as CSV text or lacks a required column.
    """
    report = LoadReport()
    frames, rejects, mixed = [], [], []
    for path in [Path(p) for p in (paths or [sample_path()])]:
        read = read_parquet_records if path.suffix.lower() in PARQUET_SUFFIXES else read_records
        records = read(path, "incident file")  # rows by spreadsheet number; ragged, empty... rejected
        frame = records.frame
        if "event_id_cnty" in frame.columns:
            frame = _from_acled(frame)
        missing = [c for c in REQUIRED if c not in frame.columns]
        if missing:
            raise GeoError(
                f"The incident file {path} lacks the required column(s) {', '.join(missing)} "
                f"(found: {', '.join(frame.columns) or 'none'}); expected our schema or an ACLED export."
            )
        report.read += records.read
        # Each text column as its distinct values, once for both the checks and the tidying.
        encoded = {c: distinct(frame[c]) for c in frame.columns
                   if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])}
        keep, problems = _validate(frame, path, encoded)
        rejects += [records.rejected.assign(file=str(path))[PROBLEM_COLUMNS], problems]
        mixed.append(records.flagged.assign(file=str(path))[PROBLEM_COLUMNS])
        del records  # the frame's rows are taken into the tidy table, then let go
        frames.append(_tidy(frame, keep, encoded).assign(input_file=str(path), input_row=frame.index.to_numpy()[keep]))
        del frame, encoded
    report.rejected = pd.concat(rejects, ignore_index=True).sort_values(["file", "row"], ignore_index=True)
    incidents = pd.concat(frames, ignore_index=True)
    del frames  # copied into incidents: freed before the memory is given back below
    # Within one file a repeated id was rejected; only a formula's quote read back ('=1 is =1) can
    # have made two of its ids equal since, so one file is looked at again only then.
    again = np.zeros(len(incidents), dtype=bool)
    if len(paths or [None]) > 1 or _starts_like_formula(incidents["incident_id"]).any():
        again = incidents["incident_id"].duplicated(keep="first").to_numpy()
    report.flagged = pd.concat(
        [
            pd.DataFrame({
                "file": incidents.loc[again, "input_file"], "row": incidents.loc[again, "input_row"],
                "column": "incident_id", "value": incidents.loc[again, "incident_id"],
                "reason": "also appears in an earlier file; kept as a separate row",
            }),
            _flag_unknown_actors(incidents),
            *mixed,
        ],
        ignore_index=True,
    ).sort_values(["file", "row"], ignore_index=True)
    for table in (report.rejected, report.flagged):  # a 100,000-character cell is quoted, not copied
        table["value"] = table["value"].map(shown)
    # Arrow's allocator keeps what the parse and the passes over text columns freed (a third
    # of a gigabyte for a million rows) unless asked to give it back.
    pa.default_memory_pool().release_unused()
    return incidents, report


def filter_month(frame: pd.DataFrame, month: str | None) -> pd.DataFrame:
    """Rows whose ``event_date`` falls in ``month`` (``YYYY-MM``); all rows when ``month`` is None."""
    if month is None:
        return frame
    return frame[frame["event_date"].str.startswith(parse_month(month) + "-")].reset_index(drop=True)


def to_schema(frame: pd.DataFrame) -> pd.DataFrame:
    """The schema columns, in order, with tidy types (the form every output uses)."""
    out = frame.reindex(columns=COLUMNS).copy()
    for col in ("latitude", "longitude"):
        out[col] = pd.to_numeric(out[col], errors="coerce").round(5)
    out["geo_precision"] = pd.to_numeric(out["geo_precision"], errors="coerce").astype("Int64")
    return out.reset_index(drop=True)


def load_incidents(
    paths: Sequence[str | PathLike[str]] | None = None, month: str | None = None, *, engine: str = "pandas",
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Read, geocode and filter incidents in one call (for notebooks).

    Parameters
    ----------
    paths
        Incident CSVs (our schema or ACLED exports); ``None`` for the sample set.
    month
        ``YYYY-MM`` to keep one month, or ``None`` for all.
    engine
        ``"pandas"`` (in this process) or ``"dask"``: on a dask.distributed cluster (see
        :mod:`geo.distributed`), with the same result.
    scheduler
        With ``engine="dask"``, the address of a running scheduler; default: a local cluster.

    Returns
    -------
    pandas.DataFrame
        The schema columns plus ``match_status`` and ``match_note`` from geocoding.
        Rejected rows are dropped; use :func:`read_incidents` to see them.
    """
    if engine == "dask":
        from geo.distributed import connect
        from geo.distributed import load_incidents as load_distributed

        with connect(scheduler) as client:
            located = load_distributed(paths, month, client=client)[0].compute()
    elif engine == "pandas":
        from geo.geocode import geocode

        frame, _ = read_incidents(paths)
        located = geocode(filter_month(frame, month))
    else:
        raise GeoError(f"Unknown engine '{engine}'; use pandas or dask.")
    return pd.concat([to_schema(located), located[["match_status", "match_note"]].reset_index(drop=True)], axis=1)


def months(frame: pd.DataFrame) -> Iterable[str]:
    """The distinct ``YYYY-MM`` months present, sorted."""
    return sorted(frame["event_date"].str[:7].unique())
