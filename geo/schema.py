"""The incident schema: one place for the columns every output uses, their vocabularies and row checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa

from geo._csv import PROBLEM

#: Output columns, in this order, for every command and API function.
COLUMNS: list[str] = [
    "incident_id",
    "event_date",
    "time_precision",
    "actor1",
    "actor2",
    "event_type",
    "sub_event_type",
    "location",
    "admin1",
    "admin1_pcode",
    "admin2",
    "admin2_pcode",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
    "verification",
    "source",
    "source_url",
    "notes",
]

#: Columns an input file must have; the rest may be absent and are filled by the pipeline.
REQUIRED: list[str] = ["incident_id", "event_date", "actor1", "location"]

#: Columns filled by geocoding, never trusted from hand-typed rows (coordinates excepted).
GEOCODED: list[str] = ["admin1", "admin1_pcode", "admin2", "admin2_pcode"]

#: time_precision, as ACLED codes it.
TIME_PRECISION = {1: "day known", 2: "known to within about a week", 3: "only the month known"}

#: geo_precision, as ACLED codes it.
GEO_PRECISION = {
    1: "town or landmark named",
    2: "district is the smallest known unit",
    3: "only the province is known",
}

VERIFICATION = {
    "claimed": "only a party to the incident reports it",
    "corroborated": "an independent source confirms it happened",
    "unknown": "not assessed",
}

#: ACLED's event types and their sub-event types (ACLED codebook 2023): the only ones accepted.
EVENT_TYPES: dict[str, list[str]] = {
    "Battles": ["Armed clash", "Government regains territory", "Non-state actor overtakes territory"],
    "Explosions/Remote violence": [
        "Suicide bomb",
        "Remote explosive/landmine/IED",
        "Shelling/artillery/missile attack",
        "Air/drone strike",
        "Grenade",
        "Chemical weapon",
    ],
    "Violence against civilians": ["Attack", "Abduction/forced disappearance", "Sexual violence"],
    "Protests": ["Peaceful protest", "Protest with intervention", "Excessive force against protesters"],
    "Riots": ["Violent demonstration", "Mob violence"],
    "Strategic developments": [
        "Arrests",
        "Agreement",
        "Change to group/activity",
        "Disrupted weapons use",
        "Headquarters or base established",
        "Looting/property destruction",
        "Non-violent transfer of territory",
        "Other",
    ],
}

#: Earliest event_date accepted: older years are typos (0000, 0203); set below ACLED's 1997 start for older archives.
FIRST_DATE = "1900-01-01"
#: Most fatalities accepted for one event: ACLED's largest single events are in the thousands,
#: so more is a typo or a number that overflowed, never a count.
MAX_FATALITIES = 100_000

_STR = dict(dtype=str, nullable=True, coerce=True)
_EVENT_TYPE = {t.casefold(): t for t in EVENT_TYPES}
_SUB_EVENT_TYPE = {s.casefold(): s for subs in EVENT_TYPES.values() for s in subs}
_PARENT = {s.casefold(): t for t, subs in EVENT_TYPES.items() for s in subs}


def _per_value(values: pd.Series, convert) -> np.ndarray:
    """``convert`` (Series of distinct texts -> array-like) applied to each distinct value once.

    Files hold few distinct dates, counts or event types, so this is much cheaper than
    converting every row.
    """
    codes, uniques = pd.factorize(values.fillna("").astype(str), use_na_sentinel=False)
    return np.asarray(convert(pd.Series(uniques, dtype=object)))[codes]


def parse_dates(values: pd.Series) -> pd.Series:
    """The one parser of event dates: ``YYYY-MM-DD`` in ASCII digits, zero-padded, a real day.

    ``2023-3-5``, full-width digits and ``2023-02-30`` give NaT, like any other text.

    Parameters
    ----------
    values
        Dates as text (surrounding spaces are ignored).

    Returns
    -------
    pandas.Series
        Timestamps, NaT where the text is not such a date.
    """
    def parse(text: pd.Series) -> pd.Series:
        text = text.str.strip()
        iso = text.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fillna(False).astype(bool)
        return pd.to_datetime(text.where(iso, ""), format="%Y-%m-%d", errors="coerce")

    return pd.Series(_per_value(values, parse), index=values.index)


def _iso_date(s: pd.Series) -> pd.Series:
    return parse_dates(s).notna()


def _not_before_first(s: pd.Series) -> pd.Series:
    parsed = parse_dates(s)
    return parsed.isna() | (parsed >= pd.Timestamp(FIRST_DATE))


def _not_future(s: pd.Series) -> pd.Series:
    parsed = parse_dates(s)
    return parsed.isna() | (parsed <= pd.Timestamp.today().normalize())


def _int_in(allowed: set[int]):
    def check(s: pd.Series) -> pd.Series:
        num = pd.to_numeric(s, errors="coerce")
        return num.isin(allowed) | s.isna() | (s.astype(str).str.strip() == "")

    return check


def _numbers(s: pd.Series) -> pd.Series:
    """Text as floats (NaN where not a number), so 10^20 or 2^63 never wrap around as integers."""
    return pd.Series(_per_value(s, lambda t: pd.to_numeric(t, errors="coerce").astype(float)), index=s.index)


def _non_negative_int(s: pd.Series) -> pd.Series:
    num = _numbers(s)
    blank = s.isna() | (s.astype(str).str.strip() == "")
    return blank | (np.isfinite(num) & (num >= 0) & (num == num.round()))


def _at_most(limit: int):
    def check(s: pd.Series) -> pd.Series:
        num = _numbers(s)
        return ~(np.isfinite(num) & (num > limit))

    return check


def _in_range(lo: float, hi: float):
    def check(s: pd.Series) -> pd.Series:
        num = pd.to_numeric(s, errors="coerce")
        blank = s.isna() | (s.astype(str).str.strip() == "")
        return blank | num.between(lo, hi)

    return check


def _vocabulary_key(s: pd.Series) -> pd.Series:
    return pd.Series(_per_value(s, lambda t: t.str.strip().str.casefold()), index=s.index, dtype=object)


def _in_vocabulary(table: dict[str, str]):
    def check(s: pd.Series) -> pd.Series:
        key = _vocabulary_key(s)
        return (key == "") | key.isin(list(table))

    return check


def _not_blank(s: pd.Series) -> pd.Series:
    return s.notna() & (s.astype(str).str.strip() != "")


#: Row-level rules for incident files, checked lazily so every problem is reported at once.
INCIDENT_SCHEMA = pa.DataFrameSchema(
    {
        "incident_id": pa.Column(**_STR, checks=pa.Check(_not_blank, error="is empty")),
        "event_date": pa.Column(
            **_STR,
            checks=[
                pa.Check(_iso_date, error="is not a real date in YYYY-MM-DD form"),
                pa.Check(_not_before_first, error=f"is before {FIRST_DATE}"),
                pa.Check(_not_future, error="is in the future"),
            ],
        ),
        "time_precision": pa.Column(
            **_STR, required=False, checks=pa.Check(_int_in({1, 2, 3}), error="must be 1, 2 or 3")
        ),
        "actor1": pa.Column(**_STR, checks=pa.Check(_not_blank, error="is empty")),
        "location": pa.Column(**_STR, checks=pa.Check(_not_blank, error="is empty")),
        "latitude": pa.Column(
            **_STR, required=False, checks=pa.Check(_in_range(-90, 90), error="is not a latitude")
        ),
        "longitude": pa.Column(
            **_STR, required=False, checks=pa.Check(_in_range(-180, 180), error="is not a longitude")
        ),
        "geo_precision": pa.Column(
            **_STR, required=False, checks=pa.Check(_int_in({1, 2, 3}), error="must be 1, 2 or 3")
        ),
        "fatalities": pa.Column(
            **_STR,
            required=False,
            checks=[
                pa.Check(_non_negative_int, error="is not a whole number of 0 or more"),
                pa.Check(_at_most(MAX_FATALITIES), error=f"is over {MAX_FATALITIES:,}, the most accepted for one event"),
            ],
        ),
        "event_type": pa.Column(
            **_STR,
            required=False,
            checks=pa.Check(_in_vocabulary(_EVENT_TYPE), error=f"is not one of ACLED's event types ({', '.join(EVENT_TYPES)})"),
        ),
        "sub_event_type": pa.Column(
            **_STR,
            required=False,
            checks=pa.Check(_in_vocabulary(_SUB_EVENT_TYPE), error="is not one of ACLED's sub-event types"),
        ),
        "verification": pa.Column(
            **_STR,
            required=False,
            checks=pa.Check(
                lambda s: s.isna() | s.astype(str).str.strip().str.lower().isin([*VERIFICATION, ""]),
                error=f"must be one of {', '.join(VERIFICATION)}",
            ),
        ),
    },
    strict=False,
)


PROBLEMS = PROBLEM  # one problem per row: where, what and why (geo._csv's table of them)
#: Rows looked at to guess whether a column is worth taking value by distinct value.
_SAMPLE = 10_000


@dataclass(frozen=True)
class Distinct:
    """A text column as the positions of its distinct values: ``column == values[codes]``.

    Incident files repeat a few hundred dates, places and counts a million times, so checking
    and tidying each distinct value once, then taking the results by ``codes``, costs a pass
    over the few values instead of a dozen over the rows.
    """

    codes: np.ndarray
    values: pd.Series


def distinct(values: pd.Series, *, always: bool = False) -> Distinct | None:
    """``values`` as :class:`Distinct`, or None when its first rows are mostly distinct (ids, notes).

    Parameters
    ----------
    values
        A column as read (text).
    always
        Encode the column whatever its first rows hold.
    """
    if not always and len(values) > _SAMPLE and pd.unique(values.iloc[:_SAMPLE]).size > _SAMPLE // 2:
        return None  # hashing a million distinct values costs more than the passes it saves
    if _in_arrow(values):
        codes, uniques = _arrow_codes(values)
        return Distinct(codes, pd.Series(uniques.to_pandas(), dtype=values.dtype))
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return Distinct(np.asarray(codes), pd.Series(uniques))


def _in_arrow(values: pd.Series) -> bool:
    """Whether ``values`` is text kept by Arrow (as pandas keeps what pyarrow reads)."""
    return isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"


def _arrow_codes(values: pd.Series):
    """Codes and distinct values (in order of first appearance, missing ones included) of text
    in Arrow, by Arrow's hash: pandas' factorize costs twice as much."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array(values.array)
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    # One dictionary for all chunks: the codes of every chunk index the same values.
    encoded = pc.dictionary_encode(pa.chunked_array(chunks, type=array.type), null_encoding="encode")
    codes = np.concatenate([np.empty(0, dtype=np.int32), *(c.indices.to_numpy(zero_copy_only=False) for c in encoded.chunks)])
    return codes, (encoded.chunk(0).dictionary if encoded.num_chunks else pa.array([], type=array.type))


def _hash_codes(values: pd.Series) -> np.ndarray:
    """Codes of the text ``values``, equal where the values are (pandas would make a Python
    string of each of a million ids first)."""
    return _arrow_codes(values)[0] if _in_arrow(values) else pd.factorize(values, use_na_sentinel=False)[0]


def _lines(rows: np.ndarray, codes: np.ndarray, failures: pd.DataFrame) -> pd.DataFrame:
    """One problem line per row and failure of its distinct value (``failures.index``: value positions).

    Lines of one row keep the order of ``failures`` (the schema's checks, in order).
    """
    failures = failures.sort_index(kind="stable")
    positions = failures.index.to_numpy()
    start = np.searchsorted(positions, codes[rows], side="left")
    count = np.searchsorted(positions, codes[rows], side="right") - start
    hit = count > 0
    rows, start, count = rows[hit], start[hit], count[hit]
    line = np.repeat(start, count) + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return pd.DataFrame({"row": np.repeat(rows, count), "column": failures["column"].to_numpy()[line],
                         "value": failures["value"].to_numpy()[line], "reason": failures["reason"].to_numpy()[line]})


def _schema_failures(frame: pd.DataFrame) -> pd.DataFrame:
    """:data:`INCIDENT_SCHEMA`'s failures on ``frame`` (its columns only): index, column, value, reason."""
    try:
        INCIDENT_SCHEMA.select_columns(list(frame.columns)).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        fc = exc.failure_cases.dropna(subset=["index"])
        return pd.DataFrame({"column": fc["column"].astype(str).to_numpy(), "value": fc["failure_case"].astype(str).to_numpy(),
                             "reason": fc["check"].astype(str).to_numpy()}, index=fc["index"].astype(int).to_numpy())
    return pd.DataFrame(columns=["column", "value", "reason"], index=np.empty(0, dtype=int))


def row_problems(frame: pd.DataFrame, encoded: dict[str, Distinct | None] | None = None) -> pd.DataFrame:
    """Every problem that rejects a row of an incident table: all the row checks, in one place.

    :data:`INCIDENT_SCHEMA` (each column on its own), then what spans rows or columns: a
    repeated ``incident_id`` and a sub-event type of another event type. Vectorised, so any
    reader that yields a table of text (the csv module today) can use it. Each column's
    distinct values are checked once (its checks look at one value at a time) and their
    failures given to every row holding them, so the report is what checking every row gives.

    Parameters
    ----------
    frame
        Rows as text, indexed by their row number in the file.
    encoded
        :func:`distinct` of some columns, already made (None for a column checked row by row).

    Returns
    -------
    pandas.DataFrame
        One line per problem: row, column, value, reason; sorted by row and column.
    """
    encoded = dict(encoded or {})
    checked = [c for c in INCIDENT_SCHEMA.columns if c in frame]
    for col in checked:
        if col not in encoded:
            encoded[col] = distinct(frame[col])
    problems = []
    # The columns taken by distinct value are validated as one frame of their distinct values
    # (shorter columns repeat their last one: failures past a column's own length are dropped).
    few = {c: encoded[c] for c in checked if encoded[c] is not None and len(encoded[c].values)}
    if few:
        size = max(len(e.values) for e in few.values())
        values = pd.DataFrame({c: e.values.array.take(np.minimum(np.arange(size), len(e.values) - 1))
                               for c, e in few.items()})
        failures = _schema_failures(values)
        for col, enc in few.items():
            mine = failures[(failures["column"] == col).to_numpy() & (failures.index < len(enc.values))]
            if len(mine):
                bad = np.zeros(len(enc.values), dtype=bool)
                bad[mine.index.to_numpy()] = True
                rows = np.flatnonzero(bad[enc.codes])
                problems.append(_lines(rows, enc.codes, mine).assign(row=lambda t: frame.index.to_numpy()[t["row"]]))
    many = [c for c in checked if encoded[c] is None]
    if many:
        failures = _schema_failures(frame[many])
        problems.append(failures.rename_axis("row").reset_index()[PROBLEMS])
    if encoded.get("incident_id") is not None:  # stripped distinct ids, then repeats among their codes
        enc = encoded["incident_id"]
        stripped = enc.values.fillna("").astype(str).str.strip()
        same, _ = pd.factorize(stripped)
        again = pd.Series(same[enc.codes]).duplicated(keep="first").to_numpy()
        dup = again & (stripped != "").to_numpy()[enc.codes]
    else:
        ids = frame["incident_id"].fillna("").astype(str).str.strip()
        dup = pd.Series(_hash_codes(ids)).duplicated(keep="first").to_numpy() & (ids != "").to_numpy()
    if dup.any():
        problems.append(
            pd.DataFrame(
                {"row": frame.index[dup], "column": "incident_id", "value": frame["incident_id"].to_numpy()[dup],
                 "reason": "duplicates an earlier incident_id in the same file"}
            )
        )
    if "event_type" in frame and "sub_event_type" in frame:
        kinds = encoded.get("event_type") or distinct(frame["event_type"], always=True)
        subs = encoded.get("sub_event_type") or distinct(frame["sub_event_type"], always=True)
        # Each distinct event type and sub-event type as the number of its event type (-1: none).
        number = {t: i for i, t in enumerate(EVENT_TYPES)}
        kind = _vocabulary_key(kinds.values).map(lambda k: number.get(_EVENT_TYPE.get(k), -1)).to_numpy(dtype=int)
        parent = _vocabulary_key(subs.values).map(lambda k: number.get(_PARENT.get(k), -1)).to_numpy(dtype=int)
        k, p = kind[kinds.codes], parent[subs.codes]
        wrong = (k >= 0) & (p >= 0) & (p != k)
        if wrong.any():
            names = np.array(list(EVENT_TYPES), dtype=object)
            problems.append(
                pd.DataFrame(
                    {"row": frame.index[wrong], "column": "sub_event_type",
                     "value": frame["sub_event_type"].to_numpy()[wrong],
                     "reason": "is a sub-event type of " + names[p[wrong]] + ", not of " + names[k[wrong]]}
                )
            )
    if not problems:
        return pd.DataFrame(columns=PROBLEMS)
    table = pd.concat(problems, ignore_index=True)
    table["row"] = table["row"].astype(int)
    return table.sort_values(["row", "column"], ignore_index=True)


def spell_event_types(frame: pd.DataFrame) -> pd.DataFrame:
    """``event_type`` and ``sub_event_type`` in ACLED's spelling (the check ignores case and spaces)."""
    out = frame.copy()
    for col, table in (("event_type", _EVENT_TYPE), ("sub_event_type", _SUB_EVENT_TYPE)):
        if col in out:
            # Each distinct spelling once, then taken for every row in the column's own dtype
            # (an object array of a million strings would be converted back string by string).
            codes, uniques = pd.factorize(out[col].fillna("").astype(str), use_na_sentinel=False)
            spelt = pd.Series([table.get(v.strip().casefold(), v) for v in uniques], dtype=out[col].dtype)
            out[col] = pd.Series(spelt.array.take(codes), index=out.index, dtype=out[col].dtype)
    return out
