"""Aggregation: incidents and fatalities by month, actor, admin unit, event type, verification."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from geo._errors import GeoError

if TYPE_CHECKING:  # the CLI's help reads KEYS without loading pandas
    import pandas as pd

#: Aggregation keys and the output columns each one gives.
KEYS: dict[str, list[str]] = {
    "month": ["month"],
    "actor": ["actor"],
    "adm1": ["admin1", "admin1_pcode"],
    "adm2": ["admin2", "admin2_pcode"],
    "event_type": ["event_type"],
    "verification": ["verification"],
}


def parse_keys(by: str | Sequence[str]) -> list[str]:
    """Turn ``"actor,adm1"`` (or a list) into validated keys, in the order given."""
    keys = [k.strip() for k in (by.split(",") if isinstance(by, str) else by) if k.strip()]
    unknown = [k for k in keys if k not in KEYS]
    if not keys or unknown:
        raise GeoError(
            f"Unknown aggregation key(s) {', '.join(unknown) or '(none given)'}; "
            f"use a comma list of {', '.join(KEYS)}."
        )
    return list(dict.fromkeys(keys))


def aggregate(incidents: pd.DataFrame, by: str | Sequence[str]) -> pd.DataFrame:
    """Count incidents and sum fatalities by ``by``.

    Parameters
    ----------
    incidents
        Geocoded incidents in the schema; a dask frame (from :func:`geo.distributed.load_incidents`)
        is counted on its cluster, with the same result.
    by
        Keys from ``month, actor, adm1, adm2, event_type, verification``. By ``actor``, an
        incident counts once for each distinct actor involved (actor1 or actor2), as conflict
        analysts count actor involvement; its fatalities count with each of them.

    Returns
    -------
    pandas.DataFrame
        The key columns (``month`` as ``YYYY-MM``; ``adm1`` gives ``admin1, admin1_pcode``;
        ``adm2`` gives ``admin2, admin2_pcode``; ``actor`` gives ``actor``), then
        ``incidents`` and ``fatalities``, sorted by the keys. Rows with no admin code are kept
        under an empty code rather than dropped.
    """
    keys = parse_keys(by)
    if hasattr(incidents, "npartitions"):  # a dask frame (geo.distributed): counted on its cluster
        from geo.distributed import aggregate as aggregate_distributed

        return aggregate_distributed(incidents, keys)
    import pandas as pd

    cols = [c for k in keys for c in KEYS[k]]
    # Only the columns counted: a million rows of notes and sources need not be copied.
    used = ["incident_id", "event_date", "fatalities", *(["actor1", "actor2"] if "actor" in keys else []),
            *[c for c in cols if c not in ("month", "actor")]]
    frame = incidents[list(dict.fromkeys(used))]
    frame = frame.assign(month=frame["event_date"].astype(str).str[:7])
    # With one row per incident (the usual case: ids repeat only across files), each group holds
    # an incident at most once, so counting rows is counting incidents, and far quicker.
    unique = frame["incident_id"].is_unique
    if "actor" in keys and unique:
        first, second = frame["actor1"].fillna(""), frame["actor2"].fillna("")
        frame = pd.concat([frame[first != ""].assign(actor=first[first != ""]),
                           frame[(second != "") & (second != first)].assign(actor=second[(second != "") & (second != first)])])
    elif "actor" in keys:
        actors = frame[["incident_id", "actor1", "actor2"]].melt(id_vars="incident_id", value_name="actor")
        actors = actors[actors["actor"].fillna("") != ""].drop_duplicates(["incident_id", "actor"])
        frame = frame.merge(actors[["incident_id", "actor"]], on="incident_id")
    frame[cols] = frame[cols].fillna("")
    grouped = frame.groupby(cols, sort=True, dropna=False).agg(
        incidents=("incident_id", "size" if unique else "nunique"), fatalities=("fatalities", "sum")
    )
    out = grouped.reset_index()
    out["fatalities"] = out["fatalities"].astype(int)
    return out


def with_unit_geometry(table: pd.DataFrame):
    """Counts from :func:`aggregate` with the outline of the unit each row counts, for GIS.

    Rows keyed by district get the district's polygon, else by province the province's
    (EPSG:4326, as the boundary files draw them); rows without a code get an empty geometry.

    Raises
    ------
    GeoError
        When ``table`` has no admin unit key (``adm1`` or ``adm2``) to draw.
    """
    import geopandas as gpd

    from geo.boundaries import load_admin

    for level in (2, 1):
        code = f"admin{level}_pcode"
        if code in table.columns:
            units = load_admin(level)[[code, "geometry"]].drop_duplicates(code)
            joined = table.merge(units, on=code, how="left")
            return gpd.GeoDataFrame(joined, geometry="geometry", crs=units.crs)
    raise GeoError("Geometries need an admin unit to draw: add adm1 or adm2 to --by (e.g. --by month,adm1).")
