"""geopy integration: the gazetteer as a geopy geocoder, and an online fallback.

:class:`Gazetteer` answers ``geocode()`` and ``reverse()`` like any geopy geocoder, with
``geopy.location.Location`` objects, from the installed gazetteer and boundaries (no network).

:class:`OnlineFallback` sends the names the gazetteer cannot resolve to a geopy geocoder
(Nominatim by default), one request a second through geopy's ``RateLimiter``, and keeps every
answer in an on-disk JSON cache (written atomically) so a name is asked once. It is used only
when asked for (``geo geocode --online``); tests use a fake backend or a server on 127.0.0.1.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from geopy.point import Point

from geo._csv import read_input
from geo._errors import GeoError
from geo._fetch import require_network
from geo._io import atomic_write_text
from geo.gazetteer import PRECISION
from geo.geocode import Match, resolve_place, reverse_geocode

#: Identifies the project to Nominatim, as its usage policy asks.
USER_AGENT = "geo-conflict-maps/0.1 (offline-first incident mapping; https://nominatim.org/release-docs/latest/api/)"
#: A self-hosted Nominatim (or a test server) instead of nominatim.openstreetmap.org.
DOMAIN_VAR, SCHEME_VAR = "GEO_NOMINATIM_DOMAIN", "GEO_NOMINATIM_SCHEME"
#: Where the online answers are kept (a JSON file); default ``~/.cache/geo/online-geocode.json``.
CACHE_VAR = "GEO_GEOCODE_CACHE"
#: Nominatim's usage policy: at most one request a second.
MIN_DELAY_SECONDS = 1.0
#: After this many failed requests in a row the service is taken to be down for this run.
MAX_FAILURES = 3
#: Nominatim address types that name a whole district or province, with their geo_precision.
_AREA_PRECISION = {"state": 3, "province": 3, "region": 3, "county": 2, "district": 2, "state_district": 2,
                   "municipality": 2}


def _address(entry: dict) -> str:
    parts = [entry.get("name", "")] if entry.get("kind") == "place" else []
    parts += [entry.get("admin2", ""), entry.get("admin1", ""), "Afghanistan"]
    out: list[str] = []
    for p in parts:
        if p and p not in out:
            out.append(p)
    return ", ".join(out)


def _location(entry: dict, match: Match | None = None) -> Location:
    raw = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in entry.items()}
    if match is not None:
        raw |= {"match_status": match.status, "match_score": match.score, "match_method": match.method,
                "match_note": match.note}
    return Location(_address(entry), (float(entry["latitude"]), float(entry["longitude"])), raw)


class Gazetteer(Geocoder):
    """The project's gazetteer as a geopy geocoder (offline).

    Parameters
    ----------
    gaz
        A gazetteer table; default the installed one (:func:`geo.gazetteer.gazetteer`).

    Examples
    --------
    >>> g = Gazetteer()                                      # doctest: +SKIP
    >>> g.geocode("Nahri Shahi").raw["admin2_pcode"]         # doctest: +SKIP
    'AF2102'
    >>> g.reverse("36.71, 67.11").address                    # doctest: +SKIP
    'Mazar-e-Sharif, Balkh, Afghanistan'
    """

    def __init__(self, gaz: pd.DataFrame | None = None) -> None:
        super().__init__(user_agent=USER_AGENT)
        self._gaz = gaz

    def geocode(
        self, query: str, *, exactly_one: bool = True, province: str | None = None, district: str | None = None,
        timeout: Any = None,
    ) -> Location | list[Location] | None:
        """Resolve a place name.

        Parameters
        ----------
        query
            The place as reported, in any spelling ("Mazar-i-Sharif", "PD 5 of Kabul").
        exactly_one
            Return one Location, or None when the name is unknown or ambiguous (never a
            guess); with False, a list: the match, or one Location per candidate when
            ambiguous, or empty.
        province, district
            Optional context, in any spelling or as P-codes.
        timeout
            Accepted for geopy compatibility; nothing here waits on a network.

        Returns
        -------
        geopy.location.Location, list of them, or None
            ``raw`` holds the gazetteer row (admin names and P-codes, ``geo_precision``,
            ``kind``) and the match status, score, method and note.
        """
        match = resolve_place(query, province, self._gaz, district)
        if match.status == "matched":
            loc = _location(match.entry, match)
            return loc if exactly_one else [loc]
        if exactly_one:
            return None
        return [_location(option, match) for option in match.options]

    def reverse(self, query: Any, *, exactly_one: bool = True, timeout: Any = None) -> Location | list[Location] | None:
        """The district and province at a point.

        Parameters
        ----------
        query
            Anything ``geopy.point.Point`` reads: ``"36.71, 67.11"``, ``(36.71, 67.11)``, a Point.
        exactly_one
            Return a Location (or None outside every unit), else a list.

        Returns
        -------
        geopy.location.Location, list of them, or None
            The point given, with the district as address and the admin fields in ``raw``.
        """
        point = Point(query)
        found = reverse_geocode([point.latitude], [point.longitude]).iloc[0]
        if not found["inside"]:
            return None if exactly_one else []
        entry = {k: found[k] for k in ("admin1", "admin1_pcode", "admin2", "admin2_pcode")}
        entry |= {"kind": "adm2", "name": found["admin2"], "latitude": point.latitude, "longitude": point.longitude}
        loc = Location(_address(entry), (point.latitude, point.longitude), entry)
        return loc if exactly_one else [loc]


def default_cache_path() -> Path:
    """``$GEO_GEOCODE_CACHE``, or ``online-geocode.json`` in the project's cache folder
    (:func:`geo.boundaries.cache_dir`: ``$GEO_CACHE`` or the user cache folder)."""
    from geo.boundaries import cache_dir

    if os.environ.get(CACHE_VAR, "").strip():
        return Path(os.environ[CACHE_VAR]).expanduser()
    return cache_dir() / "online-geocode.json"


def default_online_geocoder() -> Geocoder:
    """Nominatim at ``$GEO_NOMINATIM_DOMAIN`` (default nominatim.openstreetmap.org).

    Raises
    ------
    GeoError
        When ``$GEO_OFFLINE`` forbids the network.
    """
    require_network("asking Nominatim about place names", "geocode without --online")
    domain = os.environ.get(DOMAIN_VAR, "").strip() or "nominatim.openstreetmap.org"
    scheme = os.environ.get(SCHEME_VAR, "").strip() or "https"
    return Nominatim(user_agent=USER_AGENT, domain=domain, scheme=scheme, timeout=10)


class OnlineFallback:
    """Ask an online geocoder about the names the gazetteer cannot resolve.

    Parameters
    ----------
    geocoder
        Any geopy geocoder (an object with ``geocode(query)`` returning a Location or None);
        default :func:`default_online_geocoder`.
    cache_path
        The JSON cache; default :func:`default_cache_path`.
    min_delay_seconds
        Pause between requests (geopy ``RateLimiter``); default :data:`MIN_DELAY_SECONDS`, as
        Nominatim allows one request a second.
    progress
        Optional ``progress(iterable, length, label)`` wrapper that shows progress.

    Notes
    -----
    Only names that came out ``unmatched``, or known only to their province, are asked,
    once each; answers (including "not found") are cached. An answer counts only if it falls
    inside an admin unit of the boundaries, and inside the province given if one was; its
    admin codes then come from the boundaries, by point-in-polygon.
    """

    def __init__(
        self, geocoder: Any | None = None, *, cache_path: str | os.PathLike[str] | None = None,
        min_delay_seconds: float | None = None,
        progress: Callable[[Iterable, int, str], Iterable] | None = None,
    ) -> None:
        self.geocoder = geocoder if geocoder is not None else default_online_geocoder()
        self.cache_path = Path(cache_path) if cache_path is not None else default_cache_path()
        self.cache = self._load_cache()
        self.progress = progress
        self.requests = 0
        self.failures: list[str] = []
        kwargs = {"country_codes": "af", "addressdetails": False} if isinstance(self.geocoder, Nominatim) else {}
        if min_delay_seconds is None:
            min_delay_seconds = MIN_DELAY_SECONDS
        limited = RateLimiter(self.geocoder.geocode, min_delay_seconds=min_delay_seconds, max_retries=1,
                              error_wait_seconds=min_delay_seconds, swallow_exceptions=False)
        self._ask = lambda query: limited(query, **kwargs)

    @property
    def name(self) -> str:
        """The backend's class name, for notes ("Nominatim")."""
        return type(self.geocoder).__name__

    def _load_cache(self) -> dict[str, dict | None]:
        if not self.cache_path.exists():
            return {}
        try:
            # The guarded reader: a FIFO or device named by --cache is refused, never waited on.
            data = json.loads(read_input(self.cache_path, "online geocoding cache").decode("utf-8"))
        except GeoError:
            raise
        except (OSError, ValueError) as exc:
            raise GeoError(f"The online geocoding cache {self.cache_path} is not readable JSON ({exc}); "
                           "delete it or point $GEO_GEOCODE_CACHE elsewhere.") from None
        if not isinstance(data, dict):
            return {}
        # Read, never trusted: an answer of another shape is dropped (and asked again), not used.
        return {q: a for q, a in data.items() if isinstance(q, str) and (a is None or _answer_ok(a))}

    def save(self) -> None:
        """Write the cache atomically."""
        atomic_write_text(self.cache_path, json.dumps(self.cache, ensure_ascii=False, indent=0, sort_keys=True))

    def lookup(self, query: str) -> dict | None:
        """The cached or fresh answer for ``query``: latitude, longitude, address, type; or None."""
        if query in self.cache:
            return self.cache[query]
        if len(self.failures) >= MAX_FAILURES and all(self.failures[-MAX_FAILURES:]):
            return None
        self.requests += 1
        try:
            loc = self._ask(query)
        except GeopyError as exc:
            self.failures.append(f"{type(exc).__name__}: {exc}")
            return None
        self.failures.append("")
        answer = None
        if loc is not None:
            raw = loc.raw if isinstance(loc.raw, dict) else {}
            answer = {"latitude": float(loc.latitude), "longitude": float(loc.longitude), "address": str(loc.address),
                      "type": str(raw.get("addresstype") or raw.get("type") or "")}
        self.cache[query] = answer
        if self.requests % 25 == 0:
            self.save()
        return answer

    @property
    def unavailable(self) -> bool:
        """Whether the service failed :data:`MAX_FAILURES` times in a row."""
        return len(self.failures) >= MAX_FAILURES and all(self.failures[-MAX_FAILURES:])

    def resolve_unmatched(self, locations: Sequence[str], admin1: Sequence[str], matches: list[Match]) -> list[Match]:
        """Replace unmatched (and province-only) matches by online answers inside the boundaries."""
        todo = [i for i, m in enumerate(matches)
                if str(locations[i]).strip() and (m.status == "unmatched" or m.method == "context")]
        if not todo:
            return matches
        queries = {i: ", ".join(filter(None, [str(locations[i]).strip(), str(admin1[i] or "").strip(), "Afghanistan"]))
                   for i in todo}
        items: Iterable[int] = todo
        if self.progress is not None:
            items = self.progress(todo, len(todo), f"asking {self.name} (cached answers are not asked again)")
        answers = {i: self.lookup(queries[i]) for i in items}
        self.save()
        found = [i for i in todo if answers[i] is not None]
        out = list(matches)
        if found:
            where = reverse_geocode([answers[i]["latitude"] for i in found], [answers[i]["longitude"] for i in found])
            for i, row in zip(found, where.itertuples(index=False)):
                a = answers[i]
                given = matches[i].entry["admin1_pcode"] if matches[i].method == "context" else None
                if not row.inside:
                    out[i] = _noted(matches[i], f"{self.name} placed it outside every admin unit ({a['address']})")
                elif given and row.admin1_pcode != given:
                    out[i] = _noted(matches[i], f"{self.name} placed it outside the province given ({a['address']})")
                else:
                    entry = {"name": a["address"].split(",")[0], "kind": "place", "admin1": row.admin1,
                             "admin1_pcode": row.admin1_pcode, "admin2": row.admin2, "admin2_pcode": row.admin2_pcode,
                             "latitude": round(a["latitude"], 5), "longitude": round(a["longitude"], 5),
                             "geo_precision": _AREA_PRECISION.get(a["type"], PRECISION["place"])}
                    out[i] = Match("matched", entry=entry, score=math.nan, method="online",
                                   note=f"{self.name}: {a['address']}")
        if self.unavailable:
            for i in todo:
                if out[i] is matches[i]:
                    out[i] = _noted(matches[i], f"{self.name} unavailable ({self.failures[-1]})")
        return out


def _answer_ok(answer: object) -> bool:
    """Whether a cached answer has the shape :meth:`OnlineFallback.lookup` writes."""
    if not isinstance(answer, dict) or not all(isinstance(answer.get(k), str) for k in ("address", "type")):
        return False
    lat, lon = answer.get("latitude"), answer.get("longitude")
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (lat, lon))
    return numbers and -90 <= lat <= 90 and -180 <= lon <= 180


def _noted(match: Match, note: str) -> Match:
    return Match(match.status, match.entry, match.candidates, match.score, match.method,
                 "; ".join(filter(None, [match.note, note])), match.options)
