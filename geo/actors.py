"""Actor names: the spellings reporters use, mapped to ACLED's canonical names.

The table lives in ``geo/data/actor_aliases.csv``; this module only reads it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

import pandas as pd


def actor_key(name: str) -> str:
    """Return the lookup key of an actor name: case, dashes and spacing folded.

    >>> actor_key("Islamic State – Khorasan")
    'islamic state khorasan'
    """
    return re.sub(r"[\W_]+", " ", name.casefold()).strip()


@lru_cache(maxsize=1)
def actor_aliases() -> dict[str, str]:
    """Return the alias table as ``{actor_key(alias): canonical name}``."""
    table = pd.read_csv(files("geo") / "data" / "actor_aliases.csv", dtype=str)
    return {actor_key(a): c for a, c in zip(table["alias"], table["actor"])}


def canonical_actor(name: str | None) -> str:
    """Return the canonical name of ``name``; unknown names come back stripped but unchanged.

    Parameters
    ----------
    name
        An actor as written in a report, e.g. ``"Daesh"`` or ``"Taliban special forces"``.

    Returns
    -------
    str
        ``"Islamic State Khorasan Province (ISKP)"``, ``"Taliban"``, ... or ``""`` for no actor.
    """
    if name is None or (isinstance(name, float) and pd.isna(name)):
        return ""
    text = str(name).strip()
    return actor_aliases().get(actor_key(text), text)


def canonical_actors(values: pd.Series) -> pd.Series:
    """Vectorised :func:`canonical_actor` over a column (each distinct value looked up once)."""
    uniques = pd.unique(values.fillna(""))
    return values.fillna("").map({u: canonical_actor(u) for u in uniques})


def is_known_actor(name: str) -> bool:
    """True when ``name`` is a canonical actor or one of its aliases."""
    key = actor_key(name)
    return key in actor_aliases() or name in set(actor_aliases().values())
