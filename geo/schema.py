"""The incident schema: one place for the columns every output uses, their vocabularies and row checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa

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


PROBLEMS = ["row", "column", "value", "reason"]


def row_problems(frame: pd.DataFrame) -> pd.DataFrame:
    """Every problem that rejects a row of an incident table: all the row checks, in one place.

    :data:`INCIDENT_SCHEMA` (each column on its own), then what spans rows or columns: a
    repeated ``incident_id`` and a sub-event type of another event type. Vectorised, so any
    reader that yields a table of text (the csv module today) can use it.

    Parameters
    ----------
    frame
        Rows as text, indexed by their row number in the file.

    Returns
    -------
    pandas.DataFrame
        One line per problem: row, column, value, reason; sorted by row and column.
    """
    problems = []
    try:
        INCIDENT_SCHEMA.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        fc = exc.failure_cases.dropna(subset=["index"])
        problems.append(
            pd.DataFrame(
                {
                    "row": fc["index"].astype(int).to_numpy(),
                    "column": fc["column"].astype(str).to_numpy(),
                    "value": fc["failure_case"].astype(str).to_numpy(),
                    "reason": fc["check"].astype(str).to_numpy(),
                }
            )
        )
    ids = frame["incident_id"].fillna("").astype(str).str.strip()
    dup = ids.duplicated(keep="first") & (ids != "")
    if dup.any():
        problems.append(
            pd.DataFrame(
                {"row": frame.index[dup], "column": "incident_id", "value": frame.loc[dup, "incident_id"],
                 "reason": "duplicates an earlier incident_id in the same file"}
            )
        )
    if "event_type" in frame and "sub_event_type" in frame:
        kind, sub = _vocabulary_key(frame["event_type"]), _vocabulary_key(frame["sub_event_type"])
        parent = sub.map(_PARENT)
        wrong = kind.isin(list(_EVENT_TYPE)) & parent.notna() & (parent != kind.map(_EVENT_TYPE))
        if wrong.any():
            problems.append(
                pd.DataFrame(
                    {"row": frame.index[wrong], "column": "sub_event_type", "value": frame.loc[wrong, "sub_event_type"],
                     "reason": "is a sub-event type of " + parent[wrong] + ", not of " + kind[wrong].map(_EVENT_TYPE)}
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
