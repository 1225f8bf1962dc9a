"""Geocoding: reported place names and coordinates resolved to admin units and points.

A row with coordinates is reverse-geocoded by point-in-polygon; a row with only a place name
is looked up in the gazetteer, using any province named in the same text or in an ``admin1``
column (and a district in an ``admin2`` column) as context. Names are matched in tiers: the
normalised key or the looser phonetic key, then the consonant skeleton, then fuzzy similarity
(rapidfuzz), with thresholds calibrated on a labelled set (:class:`Thresholds`). Nothing is
guessed: a name that fits several units, or several units within a whisker of each other, is
``ambiguous`` with its candidates; one that fits none is ``unmatched``; both keep their row
with empty codes.

Work is done once per distinct (location, admin1, admin2), not per row, then joined back.
"""

from __future__ import annotations

import os
import re
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from geo._csv import read_table, shown
from geo._errors import GeoError
from geo.boundaries import load_admin
from geo.gazetteer import KIND_ORDER, _BRACKETS, gazetteer, level_hint, normalise, phonetic, skeleton

ADMIN_FIELDS = ["admin1", "admin1_pcode", "admin2", "admin2_pcode"]
#: Columns :func:`geocode` fills.
GEOCODE_FIELDS = [*ADMIN_FIELDS, "latitude", "longitude", "geo_precision", "match_name", "match_score",
                  "match_status", "match_note"]


@dataclass(frozen=True)
class Thresholds:
    """How close a spelling must come to a gazetteer name, tier by tier.

    Scores are rapidfuzz ``ratio`` (0-100) between phonetic keys. "Context" is a province or
    district given alongside the name (column or text): it leaves a few hundred candidate
    names instead of thousands, so a looser match is as safe there. Calibrated with
    ``python -m geo.eval calibrate --vary NAME --values ...`` on the labelled set (6,533
    spellings of districts and towns) and on 967 foreign towns that must stay unmatched;
    the full table is in docs/BENCHMARKS.md ("Fuzzy thresholds").
    """

    #: Fuzzy tier, no context. At 86: 11 wrong districts in 6,533 spellings and 48 of 967
    #: foreign towns matched (most are namesakes across the border: Farkhor, Guliston,
    #: Ishqoshim). At 84, 9 more right answers cost 17 more foreign matches; at 88, 5 fewer
    #: right answers save only 3.
    fuzzy: float = 86.0
    #: Fuzzy tier within a province or district. 74 gets 18 more right answers than 78 for one
    #: more wrong district; at 70, 22 more right answers cost 4 more wrong districts.
    fuzzy_context: float = 74.0
    #: Skeleton tier (same consonants), no context: the phonetic keys must still be this close.
    #: At 70 against 80: 29 more right answers, no more wrong ones, 5 more foreign matches; at
    #: 60, 10 more right answers cost a wrong district and 11 more foreign matches.
    skeleton: float = 70.0
    #: Skeleton tier within a province or district: the consonants are enough (0 and 40 give
    #: the same answers; 60 loses 5 right ones).
    skeleton_context: float = 0.0
    #: Candidates scoring within this many points of the best are a near-tie: ambiguous
    #: (0 to 5 give the same answers on the labelled set; 8 turns one right answer ambiguous).
    near_tie: float = 3.0


#: The thresholds in use.
THRESHOLDS = Thresholds()
#: Fuzzy matching needs this many letters of phonetic key; shorter names must match a tier above.
FUZZY_MIN_LEN = 4
#: Latin keys this short match only as written: no phonetic, skeleton or fuzzy tier.
SHORT_KEY = 2
#: Skeleton matching needs this many consonants ("Kabul", kbl, yes; "Bak", bk, no), or
#: two within a province or district given as context.
SKELETON_MIN_LEN = 3

_PCODE1 = re.compile(r"^AF\d{2}$", re.IGNORECASE)
_PCODE2 = re.compile(r"^AF\d{4}$", re.IGNORECASE)
#: "PD 5", "PD5", "police district 5", "District 5", "Nahia 5", "ناحیه ۵": a city's police
#: district, resolved to the city it belongs to (named alongside) with geo_precision 1.
_POLICE_DISTRICT = re.compile(
    r"(?:\bp\.?\s?d\.?|\bpolice\s+districts?|\bdistricts?|\bnahi[y]?ah?|ناحیه|ناحيه)\s*(?:no\.?|#)?\s*"
    r"([0-9\u0660-\u0669\u06f0-\u06f9]{1,2}(?:\s*(?:,|and|&)\s*[0-9\u0660-\u0669\u06f0-\u06f9]{1,2})*)\b"
    r"(?:\s+of\b)?",
    re.IGNORECASE,
)
#: Head words of "X of Y" names (city, centre, market, fort of Y): Y is the place meant.
_HEAD = re.compile(r"^\s*(?:shahr|markaz|bazaa?r|qal[‘'`ʿ]?[ae]h?|kala|qala|شهر|مرکز|بازار|قلعه)"
                   r"(?:[-\s\u200c]+(?:e|i|ye|-)?)+\s*(\S.*)$", re.IGNORECASE)
#: Separators between the parts of a location: "Jani Khel, Paktya", "Sangin - Helmand", and
#: the words of "Nahr-e-Shahi district in Balkh province", "outskirts of Kabul".
_SEGMENTS = re.compile(r"\s*(?:[,;/،]|\s[-–]\s)\s*")
_WORD_SEPARATORS = re.compile(r"\s+(?:of|in|near)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Match:
    """The outcome of resolving one reported place.

    Attributes
    ----------
    status
        ``matched``, ``ambiguous`` or ``unmatched``.
    entry
        The gazetteer row matched (``name``, ``kind``, ``geo_precision``, admin names and
        P-codes, ``latitude``, ``longitude``...), or None.
    candidates
        For ``ambiguous``: one label per candidate unit, "Name (P-code)", sorted.
    score
        Similarity of the reported name to the matched one: 100 exact, less for the
        looser tiers (rapidfuzz ``ratio`` of the keys); 0 when nothing matched, NaN when
        only the context (province or district given) resolved.
    method
        ``exact``, ``phonetic``, ``skeleton``, ``fuzzy``, ``context`` (only the admin1/admin2 hint
        resolved) or ``""``.
    note
        What was done, in words, when it needs saying (a fallback, a police district).
    options
        For ``ambiguous``: the best gazetteer row of each candidate unit.
    """

    status: str  # "matched", "ambiguous" or "unmatched"
    entry: dict | None = None
    candidates: list[str] = field(default_factory=list)
    score: float = 0.0
    method: str = ""
    note: str = ""
    options: tuple[dict, ...] = ()


class Resolver:
    """Name resolution over one gazetteer table, with its lookup indexes built once.

    Parameters
    ----------
    gaz
        A gazetteer as :func:`geo.gazetteer.gazetteer` returns it.
    thresholds
        How close spellings must come, tier by tier (see :class:`Thresholds`).
    """

    def __init__(self, gaz: pd.DataFrame, thresholds: Thresholds = THRESHOLDS) -> None:
        self.gaz = gaz.reset_index(drop=True)
        self.t = thresholds
        g = self.gaz
        self.kind = g["kind"].to_numpy(dtype=object)
        self.rank = g["rank"].to_numpy() if "rank" in g else np.zeros(len(g), dtype=np.int64)
        self.a1 = g["admin1_pcode"].fillna("").to_numpy(dtype=object)
        self.a2 = g["admin2_pcode"].fillna("").to_numpy(dtype=object)
        self.population = g["population"].fillna(0).to_numpy() if "population" in g else np.zeros(len(g))
        self.keys = g["key"].to_numpy(dtype=object)
        self.phon = (g["phonetic"] if "phonetic" in g else g["key"].map(phonetic)).to_numpy(dtype=object)
        skel = (g["skeleton"] if "skeleton" in g else g["key"].map(skeleton)).to_numpy(dtype=object)
        # Plain dicts of every row, made once: a match hands out a copy of one.
        self.records = self.gaz.to_dict("records")
        self.by_key = _index(self.keys)
        # The rows of each district and province as a unit, for the context fallback.
        unit = np.where(self.kind == "adm1", self.a1, self.a2)
        self.unit_rows = {k: v for k, v in _index(np.char.add(self.kind.astype(str), unit.astype(str))).items()
                          if k.startswith("adm")}
        self.by_phon = _index(self.phon)
        self.by_skel = {k: v for k, v in _index(skel).items() if len(k) >= 2 and k.isascii()}
        # Fuzzy choices: the distinct phonetic keys long enough to compare.
        self.choices = [k for k in self.by_phon if len(k) >= FUZZY_MIN_LEN]
        self._fuzzy_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._hint_cache: dict[tuple[str, str, frozenset], frozenset] = {}

    # -- tiers ------------------------------------------------------------------------------
    def prefetch_fuzzy(self, keys: Iterable[str]) -> None:
        """Score many keys against the gazetteer at once (one vectorised ``cdist`` call)."""
        todo = sorted({phonetic(k) for k in keys if k} - self._fuzzy_cache.keys())
        todo = [p for p in todo if len(p) >= FUZZY_MIN_LEN]
        if not todo or not self.choices:
            return
        cutoff = min(self.t.fuzzy, self.t.fuzzy_context)
        for start in range(0, len(todo), 2000):  # bounded memory: 2,000 x choices at a time
            chunk = todo[start:start + 2000]
            scores = process.cdist(chunk, self.choices, scorer=fuzz.ratio, score_cutoff=cutoff,
                                   dtype=np.float32, workers=1)
            for i, p in enumerate(chunk):
                hit = np.flatnonzero(scores[i])
                self._fuzzy_cache[p] = (hit, scores[i, hit])

    def _fuzzy(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """Rows whose phonetic key scores at least the lower fuzzy cutoff against ``key``'s."""
        p = phonetic(key)
        if len(p) < FUZZY_MIN_LEN:
            return np.empty(0, dtype=np.int64), np.empty(0)
        if p not in self._fuzzy_cache:
            self.prefetch_fuzzy([key])
        hit, scores = self._fuzzy_cache.get(p, (np.empty(0, dtype=np.int64), np.empty(0)))
        if not len(hit):
            return np.empty(0, dtype=np.int64), np.empty(0)
        rows = [self.by_phon[self.choices[h]] for h in hit]
        return np.concatenate(rows), np.repeat(scores.astype(float), [len(r) for r in rows])

    def candidates(
        self, key: str, kinds: Sequence[str] | None = None, provinces: frozenset = frozenset(),
        districts: frozenset = frozenset(),
    ) -> tuple[np.ndarray, np.ndarray, str]:
        """Gazetteer rows for ``key`` in the first tier that has any within the filters.

        Tiers: the name (rows whose key or phonetic key equals ``key``'s, scored 100 and by
        rapidfuzz ``ratio`` of the keys), the skeleton (same consonants; scored by ratio of
        phonetic keys) and fuzzy (ratio of phonetic keys). Returns row indices, their scores
        and the method: ``exact`` (some row's key is ``key`` itself), ``phonetic``,
        ``skeleton``, ``fuzzy``; ``""`` when none.
        """
        empty = (np.empty(0, dtype=np.int64), np.empty(0), "")
        if not any(c.isalpha() for c in key):
            return empty  # digits and punctuation name no place
        context = bool(provinces or districts)

        def keep(rows: np.ndarray) -> np.ndarray:
            if not (kinds or provinces or districts) or not len(rows):
                return rows
            return rows[[(not kinds or self.kind[r] in kinds) and (not provinces or self.a1[r] in provinces)
                         and (not districts or self.a2[r] in districts) for r in rows]]

        none = np.empty(0, dtype=np.int64)
        exact = keep(self.by_key.get(key, none))
        if len(key) <= SHORT_KEY and key.isascii():
            # Two letters are a name only as written ("Ty" is not TII, Tarinkot's airport).
            return (exact, np.full(len(exact), 100.0), "exact") if len(exact) else empty
        rows = np.union1d(exact, keep(self.by_phon.get(phonetic(key), none)))
        if len(rows):
            scores = np.array([100.0 if self.keys[r] == key else fuzz.ratio(key, self.keys[r]) for r in rows])
            return rows, scores, "exact" if len(exact) else "phonetic"
        sk = skeleton(key)
        if len(sk) >= (2 if context else SKELETON_MIN_LEN):
            rows = keep(self.by_skel.get(sk, none))
            if not context:
                rows = rows[self.rank[rows] <= 1]
            if len(rows):
                scores = np.array([fuzz.ratio(phonetic(key), self.phon[r]) for r in rows], dtype=float)
                ok = scores >= (self.t.skeleton_context if context else self.t.skeleton)
                if ok.any():
                    return rows[ok], scores[ok], "skeleton"
        rows, scores = self._fuzzy(key)
        if len(rows):
            ok = np.isin(rows, keep(rows)) & (scores >= (self.t.fuzzy_context if context else self.t.fuzzy))
            if not context:
                ok &= self.rank[rows] <= 1
            if ok.any():
                return rows[ok], scores[ok], "fuzzy"
        return empty

    # -- decisions --------------------------------------------------------------------------
    def _label(self, rows: np.ndarray) -> str:
        r = rows[np.argsort([KIND_ORDER.index(k) for k in self.kind[rows]])]
        kinds = self.kind[r]
        unit = [x for x, k in zip(r, kinds) if k == "adm2"] or [x for x, k in zip(r, kinds) if k == "adm1"]
        if unit:
            row = self.records[unit[0]]
            code = row["admin2_pcode"] if row["kind"] == "adm2" else row["admin1_pcode"]
            return f"{row['name']} ({code})"
        row = self.records[r[0]]
        return f"{row['name']} in {row['admin2']} ({row['admin2_pcode']})"

    def decide(self, rows: np.ndarray, scores: np.ndarray, method: str) -> Match:
        """Pick the match among candidate rows, or say they are ambiguous.

        For the skeleton and fuzzy tiers, the best-scoring rows and those within
        :data:`NEAR_TIE` of it are candidates; for the name tier, all rows. Candidates must point at one district
        (places and districts) inside one province (provinces). When they do not, the rows
        spelt exactly as reported decide if they agree among themselves ("Shahran" is a village
        in Badakhshan, "Sharan" a district in Paktika), then the most authoritative names
        ("Khost" is the official name of a province and only an alternate name of a district
        in Baghlan); otherwise the answer is ``ambiguous``. The match is then the most precise
        candidate inside the unit decided (the city of Khost).
        """
        if method in ("skeleton", "fuzzy"):
            top = scores >= scores.max() - self.t.near_tie
            rows, scores = rows[top], scores[top]
        groups = self._groups(rows)
        if len(groups) > 1:
            for subset in (scores == 100.0, self.rank[rows] == self.rank[rows].min()):
                if subset.any() and len(chosen := self._groups(rows[subset])) == 1:
                    unit = next(iter(chosen))
                    inside = np.array([self._within(r, unit) for r in rows])
                    rows, scores = rows[inside], scores[inside]
                    groups = self._groups(rows)
                    break
        score = round(float(scores.max()), 1)
        if len(groups) > 1:
            labels = sorted({self._label(np.asarray(g)) for g in groups.values()})
            options = tuple(self._best(np.asarray(g)) for g in groups.values())
            return Match("ambiguous", candidates=labels, score=score, method=method, options=options)
        return Match("matched", entry=self._best(rows), score=score, method=method)

    def _within(self, row: int, unit: str) -> bool:
        """Whether gazetteer ``row`` lies in (or contains, for a province row) the unit code."""
        if self.kind[row] == "adm1":
            return unit.startswith(self.a1[row])
        return self.a2[row] == unit or (len(unit) == 4 and self.a1[row] == unit)

    def _groups(self, rows: np.ndarray) -> dict[str, list[int]]:
        """Candidate rows grouped by the unit they point at: a district, or a province none
        of the candidate districts lies in."""
        groups: dict[str, list[int]] = {}
        for r in rows:
            groups.setdefault(self.a2[r] if self.kind[r] != "adm1" else self.a1[r], []).append(r)
        districts = [c for c in groups if len(c) > 4]
        merged = {c: g for c, g in groups.items() if len(c) > 4}
        for c, g in groups.items():
            if len(c) <= 4:
                inside = [d for d in districts if d.startswith(c)]
                if len(inside) == 1:
                    merged[inside[0]] = merged[inside[0]] + g
                elif not inside:
                    merged[c] = g
        return merged

    def _best(self, rows: np.ndarray) -> dict:
        """The most precise kind, then the most populous place, among consistent rows."""
        order = sorted(rows, key=lambda r: (KIND_ORDER.index(self.kind[r]), -self.population[r], r))
        return dict(self.records[order[0]])

    # -- hints --------------------------------------------------------------------------------
    def hint_codes(self, text: str, kind: str, within: frozenset = frozenset()) -> frozenset:
        """P-codes a province (``adm1``) or district (``adm2``) hint names, in any spelling."""
        text = str(text or "").strip()
        if not text:
            return frozenset()
        if (kind == "adm1" and _PCODE1.match(text)) or (kind == "adm2" and _PCODE2.match(text)):
            return frozenset({text.upper()})
        cache_key = (text, kind, within)
        if cache_key not in self._hint_cache:
            rows, scores, method = self.candidates(normalise(text), [kind], provinces=within)
            codes: frozenset = frozenset()
            if len(rows):
                top = rows[scores >= scores.max() - self.t.near_tie]
                codes = frozenset((self.a1 if kind == "adm1" else self.a2)[top])
            self._hint_cache[cache_key] = codes
        return self._hint_cache[cache_key]

    # -- one place ------------------------------------------------------------------------------
    def resolve(self, location: str, province: str | None = None, district: str | None = None) -> Match:
        """Resolve one reported place; see :func:`resolve_place`."""
        text = str(location or "")
        note = ""
        police = _POLICE_DISTRICT.search(text)
        if police:
            numbers = ", ".join(str(int(d)) for d in re.findall(r"\d+", police.group(1)))
            note = f"police district {numbers}: resolved to the city"
            text = _POLICE_DISTRICT.sub(" ", text)
        inner = [m.strip() for m in _BRACKETS.findall(text) if m.strip()]
        parts = self._parts(_BRACKETS.sub(" ", text))

        provinces = self.hint_codes(province or "", "adm1")
        # Later parts and bracketed remarks that name a province are context for the first,
        # not places: "Sarobi, Kabul" is somewhere in Kabul province, not in Kabul city.
        pieces = [*parts, *inner]
        context = set()
        for i, extra in enumerate(pieces[1:], start=1):
            if level_hint(extra) in (None, "adm1"):
                rows, _, method = self.candidates(normalise(extra), ["adm1"])
                if method in ("exact", "phonetic", "skeleton"):
                    context.add(i)
                    provinces = provinces or frozenset(self.a1[rows])
        districts = self.hint_codes(district or "", "adm2", provinces)
        if districts and not provinces:
            provinces = frozenset(c[:4] for c in districts)

        elsewhere = ""
        for part in [p for i, p in enumerate(pieces) if i not in context]:
            wanted = level_hint(part)
            # "Bazar-e Zurmat", "Shahr-e Ghazni", "Markaz-e Sayyidabad": when the whole does not
            # resolve, the place the head word belongs to does.
            head = _HEAD.match(part)
            for text_tried in [part, *([head.group(1)] if head else [])]:
                key = normalise(text_tried)
                for kinds in ([[wanted]] if wanted else []) + [None]:
                    rows, scores, method = self.candidates(key, kinds, provinces, districts)
                    if len(rows):
                        extra = f"'{text_tried}' of '{part}'" if text_tried != part else ""
                        return _with_note(self.decide(rows, scores, method), "; ".join(filter(None, [note, extra])))
            key = normalise(part)
            if (provinces or districts) and not elsewhere and len(self.candidates(key)[0]):
                elsewhere = f"'{part}' names a place outside the province or district given"
        # Nothing named resolved: fall back on the district or province given as context.
        for codes, kind in ((districts, "adm2"), (provinces, "adm1")):
            if len(codes) == 1:
                code = next(iter(codes))
                rows = self.unit_rows.get(kind + code, np.empty(0, dtype=np.int64))
                if len(rows):
                    unit = "district" if kind == "adm2" else "province"
                    what = elsewhere or f"'{location}' not found"
                    return Match("matched", entry=self._best(rows), score=float("nan"), method="context",
                                 note="; ".join(filter(None, [note, f"{what}: only the {unit} is known"])))
        return Match("unmatched", note="; ".join(filter(None, [note, elsewhere])))

    def _parts(self, text: str) -> list[str]:
        """The parts of a location, most specific first.

        Split at commas and the like; a part is split again at "of", "in", "near" unless it
        is a known name as a whole ("Ministry of Foreign Affairs").
        """
        out = []
        for segment in _SEGMENTS.split(text):
            if not normalise(segment):
                continue
            if normalise(segment) in self.by_key:
                out.append(segment.strip())
            else:
                out.extend(p.strip() for p in _WORD_SEPARATORS.split(segment) if normalise(p))
        return out


def _index(values: np.ndarray) -> dict[str, np.ndarray]:
    """Row numbers of each distinct value."""
    return {k: np.asarray(v) for k, v in pd.Series(values).groupby(values, sort=False).indices.items()}


def _with_note(match: Match, note: str) -> Match:
    if not note:
        return match
    return Match(match.status, match.entry, match.candidates, match.score, match.method,
                 "; ".join(filter(None, [note, match.note])), match.options)


#: Resolvers by the id of their gazetteer table (DataFrames are not hashable); a weak
#: reference tells a live table from a new one that reuses a dead one's id.
_RESOLVERS: dict[int, tuple[weakref.ref, Resolver]] = {}


def resolver(gaz: pd.DataFrame | None = None) -> Resolver:
    """The :class:`Resolver` of ``gaz`` (default: the installed gazetteer), built once per table."""
    gaz = gazetteer() if gaz is None else gaz
    found = _RESOLVERS.get(id(gaz))
    if found is not None and found[0]() is gaz:
        return found[1]
    res = Resolver(gaz)
    key = id(gaz)
    _RESOLVERS[key] = (weakref.ref(gaz, lambda _ref: _RESOLVERS.pop(key, None)), res)
    return res


def resolve_place(
    location: str, province: str | None = None, gaz: pd.DataFrame | None = None, district: str | None = None
) -> Match:
    """Resolve one reported place to a gazetteer entry.

    Parameters
    ----------
    location
        The place as reported, e.g. ``"Nahr-e-Shahi district, Balkh province"``. Parts
        separated by commas, "of", "in" are tried in order; later parts that name a province
        serve as context; "PD 5 of Kabul" resolves to the city.
    province
        An optional province name (any spelling) or P-code that restricts candidates.
    gaz
        The gazetteer; defaults to :func:`geo.gazetteer.gazetteer`.
    district
        An optional district name (any spelling) or P-code that restricts candidates.

    Returns
    -------
    Match
        ``matched`` with the entry, or ``ambiguous`` with the candidates, or ``unmatched``.
    """
    return resolver(gaz).resolve(location, province, district)


# -- rows -----------------------------------------------------------------------------------
def _as_row(match: Match) -> dict:
    """A match as the columns geocoding fills."""
    if match.entry is None:
        note = "; ".join(filter(None, ["; ".join(match.candidates), match.note])) or "no such name in the gazetteer"
        return dict.fromkeys(ADMIN_FIELDS, "") | {
            "latitude": np.nan, "longitude": np.nan, "geo_precision": np.nan, "match_name": "",
            "match_score": match.score if match.status == "ambiguous" else np.nan,
            "match_status": match.status, "match_note": note,
        }
    entry = match.entry
    note = f"{entry['name']} ({entry['kind']}, {match.method})"
    return {k: entry[k] for k in (*ADMIN_FIELDS, "latitude", "longitude", "geo_precision")} | {
        "match_name": entry["name"], "match_score": match.score, "match_status": match.status,
        "match_note": "; ".join(filter(None, [note, match.note])),
    }


def _distinct(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Group codes of the rows of ``frame`` (in order of first appearance) and each group's first row."""
    codes = np.zeros(len(frame), dtype=np.int64)
    for col in frame.columns:  # each column factorised on its own, the codes combined (no row tuples)
        column, uniques = pd.factorize(frame[col], use_na_sentinel=False)
        codes, _ = pd.factorize(codes * max(len(uniques), 1) + column)
    codes, first = np.asarray(codes), np.unique(codes, return_index=True)[1]
    return codes, first


def _numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Text (or numbers) as floats, NaN where not a number, each distinct value converted once;
    and the codes of the distinct values (equal codes, equal values)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return pd.to_numeric(pd.Series(uniques), errors="coerce").to_numpy(dtype=float)[codes], np.asarray(codes)


def _reverse_points(ulat: np.ndarray, ulon: np.ndarray) -> pd.DataFrame:
    """:func:`reverse_geocode` of distinct points: one row each."""
    districts = load_admin(2)[[*ADMIN_FIELDS, "geometry"]]

    def locate(y: np.ndarray, x: np.ndarray) -> pd.DataFrame:
        valid = np.isfinite(y) & np.isfinite(x) & (np.abs(y) <= 90) & (np.abs(x) <= 180)
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x[valid], y[valid]), index=np.flatnonzero(valid), crs=4326)
        joined = pts.sjoin(districts, how="left", predicate="within")
        joined = joined[~joined.index.duplicated()]  # a point on a shared edge: the first unit
        return joined[ADMIN_FIELDS].reindex(range(len(y)))

    found = locate(ulat, ulon)
    inside = found["admin2_pcode"].notna().to_numpy()
    note = np.full(len(ulat), "", dtype=object)
    valid = np.isfinite(ulat) & np.isfinite(ulon) & (np.abs(ulat) <= 90) & (np.abs(ulon) <= 180)
    note[~valid] = "not valid coordinates (latitude must lie within ±90 and longitude within ±180)"
    out_idx = np.flatnonzero(~inside & valid)
    note[out_idx] = "coordinates fall outside every admin unit"
    swapped = np.flatnonzero(~inside)
    if len(swapped):
        alt = locate(ulon[swapped], ulat[swapped])
        hit = alt["admin2_pcode"].notna().to_numpy()
        for i, row in zip(swapped[hit], alt[hit].itertuples(index=False)):
            note[i] = (f"coordinates fall outside every admin unit; latitude and longitude look swapped "
                       f"(swapped, the point lies in {row.admin2}, {row.admin1} {row.admin2_pcode})")
    return found.fillna("").assign(inside=inside, note=note)


def reverse_geocode(latitude: Sequence[float], longitude: Sequence[float]) -> pd.DataFrame:
    """Admin units of points, by point-in-polygon on the district layer.

    Parameters
    ----------
    latitude, longitude
        Coordinates in degrees (WGS84), same length.

    Returns
    -------
    pandas.DataFrame
        One row per point, in order: the admin fields (empty when outside), ``inside``
        (bool) and ``note``: why an outside point is outside, saying so when swapping
        latitude and longitude would put it inside a unit.
    """
    lat = pd.to_numeric(pd.Series(latitude), errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(pd.Series(longitude), errors="coerce").to_numpy(dtype=float)
    # Distinct points only: a million rows name a few thousand places.
    codes, first = _distinct(pd.DataFrame({"lat": lat, "lon": lon}))
    return _reverse_points(lat[first], lon[first]).iloc[codes].reset_index(drop=True)


def geocode(frame: pd.DataFrame, *, online: object | None = None) -> pd.DataFrame:
    """Fill admin names, P-codes, coordinates and ``geo_precision`` of rows naming places.

    Parameters
    ----------
    frame
        Rows with a ``location`` column, and optionally ``latitude``/``longitude``
        (reverse-geocoded, kept as given), ``admin1`` (province context) and ``admin2``
        (district context), in any spelling or as P-codes.
    online
        An optional fallback for names the gazetteer cannot resolve: an
        :class:`geo.geocoders.OnlineFallback` (geopy geocoder, rate-limited and cached).

    Returns
    -------
    pandas.DataFrame
        A copy with ``admin1``, ``admin1_pcode``, ``admin2``, ``admin2_pcode``, ``latitude``,
        ``longitude`` and ``geo_precision`` filled where the place resolves, plus
        ``match_name`` (the gazetteer name matched), ``match_score`` (100 exact, less for
        phonetic and fuzzy matches), ``match_status`` (``matched``, ``coordinates``,
        ``ambiguous``, ``unmatched``, ``outside``) and ``match_note`` (how it matched, the
        candidates, or why not).
    """
    out = frame.copy()
    n = len(out)
    # Work is done per distinct point and per distinct (place, province, district): each row then
    # takes its outcome from one small table (points first, then names), one take per column, so
    # a million rows never become a million Python strings.
    number, written = {}, {}
    for col in ("latitude", "longitude", "geo_precision"):
        number[col], written[col] = _numbers(out[col]) if col in out else (np.full(n, np.nan), np.zeros(n, dtype=np.intp))
        out[col] = number[col]
    has_xy = ~np.isnan(number["latitude"]) & ~np.isnan(number["longitude"])
    pick = np.zeros(n, dtype=np.int64)  # each row's line in the table of outcomes
    parts = []
    idx = np.flatnonzero(has_xy)
    if len(idx):
        # Points as written: a million rows write a few thousand (two spellings of one point are
        # two lines of the table, with the same outcome).
        codes, first = _distinct(pd.DataFrame({"lat": written["latitude"][idx], "lon": written["longitude"][idx]}))
        found = _reverse_points(number["latitude"][idx[first]], number["longitude"][idx[first]])
        inside = found["inside"].to_numpy()
        parts.append(pd.DataFrame({
            **{col: found[col].to_numpy(dtype=object) for col in ADMIN_FIELDS},
            "latitude": np.nan, "longitude": np.nan, "geo_precision": np.nan,  # the rows' own, set below
            "match_name": np.where(inside, found["admin2"].to_numpy(dtype=object), ""),
            "match_score": np.where(inside, 100.0, np.nan),
            # Object arrays throughout: np.where over strings would make a fixed-width text array.
            "match_status": np.array(["outside", "coordinates"], dtype=object)[inside.astype(np.intp)],
            "match_note": np.where(inside, "reverse-geocoded from the coordinates given", found["note"].to_numpy(dtype=object)),
        }, columns=GEOCODE_FIELDS))
        pick[idx] = codes
    todo = np.flatnonzero(~has_xy)
    if len(todo):
        blank = pd.Series("", index=out.index)
        text = {c: (out[c].fillna("").astype(str) if c in out else blank).iloc[todo].reset_index(drop=True)
                for c in ("location", "admin1", "admin2")}
        # One resolution per distinct (place, province, district), then a join back by code.
        codes, first = _distinct(pd.DataFrame(text))
        table = resolve_table(*(text[c].iloc[first].to_numpy() for c in ("location", "admin1", "admin2")), online=online)
        pick[todo] = codes + sum(len(p) for p in parts)
        parts.append(table)
    outcomes = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=GEOCODE_FIELDS)
    for col in GEOCODE_FIELDS:
        # Built as the whole column would be (object text becomes the frame's string type), then taken.
        values = pd.Series(outcomes[col].to_numpy(dtype=float if col in number or col == "match_score" else object))
        out[col] = pd.Series(values.array.take(pick), index=out.index) if n else values.iloc[:0].set_axis(out.index)
    inside = has_xy & (out["match_status"] == "coordinates").to_numpy()
    for col in ("latitude", "longitude"):  # coordinates given are kept as given
        out[col] = np.where(has_xy, number[col], out[col].to_numpy())
    gp = np.where(has_xy, number["geo_precision"], out["geo_precision"].to_numpy())
    # Coordinates inside a unit place the incident exactly; outside every unit they place it nowhere.
    gp = np.where(np.isnan(gp) & inside, 1, gp)
    out["geo_precision"] = pd.array(np.where(np.isnan(gp), pd.NA, gp), dtype="Int64")
    return out


def resolve_table(
    locations: Sequence[str], admin1: Sequence[str] | None = None, admin2: Sequence[str] | None = None,
    *, gaz: pd.DataFrame | None = None, online: object | None = None,
) -> pd.DataFrame:
    """Resolve distinct (location, admin1, admin2) triples to the columns :func:`geocode` fills.

    Fuzzy scores of all names that need them are computed in one vectorised call first.
    """
    res = resolver(gaz)
    locations = [str(x) for x in locations]
    admin1 = [str(x) for x in admin1] if admin1 is not None else [""] * len(locations)
    admin2 = [str(x) for x in admin2] if admin2 is not None else [""] * len(locations)
    keys = {normalise(p) for loc in locations for seg in _SEGMENTS.split(_BRACKETS.sub(" ", loc))
            for p in [seg, *_WORD_SEPARATORS.split(seg)]}
    keys |= {normalise(h) for h in (*admin1, *admin2)}
    res.prefetch_fuzzy(k for k in keys if k and k not in res.by_key and phonetic(k) not in res.by_phon)
    matches = [res.resolve(loc, a1 or None, a2 or None) for loc, a1, a2 in zip(locations, admin1, admin2)]
    if online is not None:
        matches = online.resolve_unmatched(locations, admin1, matches)
    table = pd.DataFrame([_as_row(m) for m in matches], columns=GEOCODE_FIELDS)
    table["geo_precision"] = table["geo_precision"].astype(float)
    table["match_score"] = table["match_score"].astype(float)
    return table


# -- files of places ------------------------------------------------------------------------
#: ``match_status`` of :func:`geocode_places`: what :func:`geocode` found, in three words.
STATUS_3 = {"matched": "matched", "coordinates": "matched", "ambiguous": "ambiguous", "unmatched": "unresolved",
            "outside": "unresolved", "": "unresolved"}
#: Columns :func:`geocode_places` adds, in order.
PLACE_COLUMNS = ["latitude", "longitude", "admin1", "admin1_pcode", "admin2", "admin2_pcode", "geo_precision",
                 "match_name", "match_score", "match_status", "match_note"]


def read_places(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV of places to geocode (UTF-8 with or without BOM, UTF-16 with BOM, or
    Windows-1252; comma, semicolon or tab separated), every value as text.

    Lines in another encoding than the rest of the file are read in theirs and listed, one
    message each, in ``frame.attrs["warnings"]``.

    Raises
    ------
    GeoError
        When the file cannot be read (not a regular file, over the size limit, binary: see
        :func:`geo._csv.read_input`), repeats a column name or has no ``location`` column.
    """
    path = Path(path)
    frame, decoded = read_table(path, "file of places")
    if "location" not in frame.columns:
        raise GeoError(f"{path} has no 'location' column (found: {', '.join(frame.columns) or 'none'}); "
                       "add one with the place names to geocode.")
    lines = decoded.text.split("\n") if decoded.mixed else []
    frame.attrs["warnings"] = [f"{path} line {n}: '{shown(lines[n - 1].rstrip())}' {decoded.mixed_reason}"
                               for n in decoded.mixed]
    return frame


def geocode_places(frame: pd.DataFrame, *, online: object | None = None) -> pd.DataFrame:
    """Geocode a table of places: every row, in order, with its coordinates and admin units.

    Parameters
    ----------
    frame
        A ``location`` column, and optional ``admin1`` (province) and ``admin2`` (district)
        hints in any spelling, and ``latitude``/``longitude`` (reverse-geocoded).
    online
        Optional :class:`geo.geocoders.OnlineFallback` for names the gazetteer cannot resolve.

    Returns
    -------
    pandas.DataFrame
        The input columns (hints given as ``admin1``/``admin2`` renamed ``admin1_given``/
        ``admin2_given``), then :data:`PLACE_COLUMNS`: ``match_status`` is ``matched``,
        ``ambiguous`` or ``unresolved``; ``match_note`` says how (the tier, the candidates,
        coordinates outside every unit or looking swapped).
    """
    located = geocode(frame, online=online)
    out = frame.rename(columns={c: f"{c}_given" for c in ("admin1", "admin2") if c in frame.columns})
    out = out.drop(columns=[c for c in PLACE_COLUMNS if c in out.columns and c not in ("latitude", "longitude")])
    for col in PLACE_COLUMNS:
        values = located[col] if col != "match_status" else located[col].map(STATUS_3)
        out[col] = pd.Series(values.array, index=out.index)
    blank = (located["location"].fillna("").astype(str).str.strip() == "") & (located["match_status"] == "unmatched")
    out.loc[blank.to_numpy(), "match_note"] = "no location given"
    out["latitude"] = pd.to_numeric(out["latitude"], errors="coerce").round(5)
    out["longitude"] = pd.to_numeric(out["longitude"], errors="coerce").round(5)
    out["match_score"] = pd.to_numeric(out["match_score"], errors="coerce").round(1)
    cols = [c for c in out.columns if c not in PLACE_COLUMNS] + PLACE_COLUMNS
    return out[cols]


def status_summary(statuses: pd.Series) -> str:
    """One line with the count of each status: ``matched 990, ambiguous 4, unresolved 6``."""
    counts = statuses.value_counts()
    return ", ".join(f"{s} {int(counts.get(s, 0))}" for s in ("matched", "ambiguous", "unresolved"))
