"""Actor names: the spellings reporters use, mapped to ACLED's canonical names.

The table lives in ``geo/data/actor_aliases.csv``; this module only reads it. An alias may hold
for a period only (``from``/``to``, inclusive ISO dates): "Afghan police" are ACLED's "Police
Forces of Afghanistan (2014-2021)" until the fall of Kabul on 15 August 2021 and the
Taliban's forces after it. Without a date such an alias is not resolved: it is kept as written
(and flagged where unknown actors are), never guessed.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from importlib.resources import files

import numpy as np
import pandas as pd


def actor_key(name: str) -> str:
    """Return the lookup key of an actor name: case, dashes and spacing folded.

    >>> actor_key("Islamic State – Khorasan")
    'islamic state khorasan'
    """
    return re.sub(r"[\W_]+", " ", name.casefold()).strip()


@lru_cache(maxsize=1)
def actor_table() -> pd.DataFrame:
    """The alias table: ``alias``, ``actor``, and ``from``/``to`` dates (``None`` when open)."""
    table = pd.read_csv(files("geo") / "data" / "actor_aliases.csv", dtype=str, keep_default_na=False)
    for col in ("from", "to"):
        table[col] = [date.fromisoformat(v) if v else None for v in table[col]]
    return table


@lru_cache(maxsize=256)
def actor_aliases(on: date | None = None) -> dict[str, str]:
    """Return the alias table as ``{actor_key(alias): canonical name}``, as it holds ``on`` a
    date (default: no date, so only the aliases that hold at all times)."""
    table = actor_table()
    out: dict[str, str] = {}
    for alias, actor, start, end in zip(table["alias"], table["actor"], table["from"], table["to"]):
        if on is None:
            valid = start is None and end is None
        else:
            valid = (start is None or start <= on) and (end is None or on <= end)
        if valid:
            out[actor_key(alias)] = actor
    return out


def canonical_actor(name: str | None, on: date | None = None) -> str:
    """Return the canonical name of ``name``; unknown names come back stripped but unchanged.

    Parameters
    ----------
    name
        An actor as written in a report, e.g. ``"Daesh"`` or ``"Taliban special forces"``.
    on
        The date of the event, for aliases that change meaning ("Afghan police" before and
        after August 2021); without it such aliases come back unchanged.

    Returns
    -------
    str
        ``"Islamic State Khorasan Province (ISKP)"``, ``"Taliban"``, ... or ``""`` for no actor.
    """
    if name is None or (isinstance(name, float) and pd.isna(name)):
        return ""
    text = str(name).strip()
    return actor_aliases(on).get(actor_key(text), text)


def canonical_actors(values: pd.Series, on: pd.Series | None = None, *, codes: np.ndarray | None = None) -> pd.Series:
    """Vectorised :func:`canonical_actor` over a column (each distinct value looked up once).

    Parameters
    ----------
    values
        Actors as written.
    on
        The rows' event dates (``YYYY-MM-DD`` text, aligned with ``values``), for the aliases
        that hold for a period only; without them such aliases stay as written.
    codes
        When given, ``values`` holds each distinct name once and ``codes`` the rows' positions
        in it (the rows are then numbered as ``on`` is, or from 0).
    """
    names = values.fillna("")
    if codes is None:
        codes, uniques = pd.factorize(names)
        index = values.index
    else:
        uniques = names.to_numpy()
        index = on.index if on is not None else pd.RangeIndex(len(codes))
    # Each distinct name looked up once, then taken for every row (a million rows name a dozen actors).
    canonical = pd.Series(uniques, dtype=names.dtype).map({u: canonical_actor(u) for u in uniques})
    out = pd.Series(canonical.array.take(codes), index=index)
    if on is None:
        return out
    periods = actor_table().dropna(subset=["from", "to"], how="all")
    keys = np.array([actor_key(u) for u in uniques], dtype=object)
    for alias, actor, start, end in zip(periods["alias"], periods["actor"], periods["from"], periods["to"]):
        # Only the rows naming the alias are looked at; ISO dates compare as text.
        named = keys == actor_key(alias)
        if not named.any():
            continue
        rows = np.flatnonzero(named[codes])
        dates = on.iloc[rows].astype(str)
        hit = np.array(dates.str.fullmatch(r"\d{4}-\d{2}-\d{2}"), dtype=bool)  # no date: as written
        if start is not None:
            hit &= (dates >= start.isoformat()).to_numpy()
        if end is not None:
            hit &= (dates <= end.isoformat()).to_numpy()
        out.iloc[rows[hit]] = actor
    return out


def actor_problem(name: str) -> str | None:
    """Why ``name`` (after :func:`canonical_actors`) is not a canonical actor, or None when it is.

    A name the table knows only for some period, left as written because the row's date falls
    outside every such period (or there was no date), is told apart from a name it never knew.
    """
    table = actor_table()
    if name in set(table["actor"]) or actor_key(name) in actor_aliases():
        return None
    if actor_key(name) in set(table["alias"].map(actor_key)):
        return "names different actors in different periods and the date fits none of them; kept as written"
    return "is not in the actor table; kept as written"
