"""The incident schema: one place for the columns every output uses and their vocabularies."""

from __future__ import annotations

import pandas as pd
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

#: ACLED's event types and the sub-event types this project uses (ACLED codebook 2023).
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

_STR = dict(dtype=str, nullable=True, coerce=True)


def _iso_date(s: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    return parsed.notna()


def _not_future(s: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    return parsed.isna() | (parsed <= pd.Timestamp.today().normalize())


def _int_in(allowed: set[int]):
    def check(s: pd.Series) -> pd.Series:
        num = pd.to_numeric(s, errors="coerce")
        return num.isin(allowed) | s.isna() | (s.astype(str).str.strip() == "")

    return check


def _non_negative_int(s: pd.Series) -> pd.Series:
    num = pd.to_numeric(s, errors="coerce")
    blank = s.isna() | (s.astype(str).str.strip() == "")
    return blank | ((num >= 0) & (num == num.round()))


def _in_range(lo: float, hi: float):
    def check(s: pd.Series) -> pd.Series:
        num = pd.to_numeric(s, errors="coerce")
        blank = s.isna() | (s.astype(str).str.strip() == "")
        return blank | num.between(lo, hi)

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
            checks=pa.Check(_non_negative_int, error="is not a whole number of 0 or more"),
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
