"""Evaluation of ``geo extract`` on real text labelled by others (``python -m geo.eval extract``).

Two kinds of development data are read in place from ``../shared/eval`` (or ``--data``); none of
it is ever copied into the repository:

``acled/*.csv``
    ACLED events with their one-sentence ``notes``. Each note is extracted as an article
    published on the event date and scored against ACLED's own labels: the district that
    contains ACLED's coordinates (``gold_coord_pcode``) or the one ACLED names (``admin2``
    within ``admin1``), the date, the actors and the fatalities. When ACLED knew only the
    province (``geo_precision`` 3), the province alone, or its capital, is right.
``wire/gold.json``
    Wire and local news reports with hand labels of every incident they report (P-code,
    accepted dates and actors, killed). Records are matched to the labelled incidents of their
    article: a record in the province of an incident reports it (the best such record counts,
    the others are duplicates); a record that reports none is spurious.

Actors are compared after :func:`geo.actors.canonical_actor`; a state force's sub-unit in the
label ("Police Forces of Afghanistan (2014-2021) National Directorate of Security") is also
matched by the force itself. Verification has no label in either set: its values are counted.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from geo._errors import GeoError
from geo.actors import canonical_actor
from geo.extract import Article, extract_incidents
from geo.geocode import resolve_place

#: Targets of issue 13 on the development corpus.
TARGETS = {"acled_district": 0.90, "acled_district_date_actor1": 0.85, "acled_wrong_district": 0.02,
           "wire_found": 0.90, "wire_spurious_per_article": 0.20, "wire_duplicates": 0,
           "wire_district_date_actors": 0.75}
FIELDS = ["found", "province", "district", "date", "actor1", "actor2", "fatalities"]


def default_data() -> Path:
    """``$GEO_EVAL_DATA``, else ``shared/eval`` beside the checkout (as CI lays it out)."""
    if os.environ.get("GEO_EVAL_DATA"):
        return Path(os.environ["GEO_EVAL_DATA"])
    for base in (Path.cwd(), Path(__file__).resolve().parents[1]):
        candidate = base.parent / "shared" / "eval"
        if candidate.is_dir():
            return candidate
    return Path.cwd().parent / "shared" / "eval"


def same_actor(got: str, accepted: list[str]) -> bool:
    """Whether an extracted actor is one of the accepted labels (canonical names compared)."""
    got = canonical_actor(got)
    for label in accepted:
        label = canonical_actor(label)
        if got == label or (got.endswith(")") and label.startswith(got + " ")):
            return True
    return False


@dataclass
class Gold:
    """One labelled incident."""

    key: str
    article: str
    text: str
    province: str
    districts: set[str]
    province_only: bool
    dates: set[str]
    actor1: list[str]
    actor2: list[str]
    fatalities: int | None
    extra: dict = field(default_factory=dict)


def _score(rec: pd.Series | None, g: Gold) -> dict:
    """Per-field verdicts of one record against one labelled incident."""
    if rec is None:
        return dict.fromkeys(FIELDS, False) | {"wrong_district": False, "got": "nothing extracted"}
    a2, a1 = str(rec["admin2_pcode"] or ""), str(rec["admin1_pcode"] or "")
    if g.province_only:
        district = a1 == g.province and (not a2 or a2 in g.districts)
    else:
        district = a2 in g.districts
    counts_none = "no fatality figure" in str(rec["review"])
    # A labelled figure is matched by the value coded (0 when the text gives none); a label of
    # "no figure" by a record that says so.
    fat = (counts_none or int(rec["fatalities"]) == 0) if g.fatalities is None else int(rec["fatalities"]) == g.fatalities
    got = (f"{rec['location']!r} -> {a2 or a1 or rec['match_status']}; date {rec['event_date'] or '-'}"
           f" ({rec['date_text'] or rec['date_status']}); {rec['actor1']} | {rec['actor2']}; killed {rec['fatalities']}"
           f"{' (no figure)' if counts_none else ''}; {rec['verification']}")
    return {"found": True, "province": a1 == g.province, "district": district,
            "wrong_district": bool(a2) and not district and not (g.province_only and a2 in g.districts),
            "date": str(rec["event_date"]) in g.dates, "actor1": same_actor(rec["actor1"], g.actor1),
            "actor2": same_actor(rec["actor2"], g.actor2), "fatalities": fat, "got": got,
            "verification": rec["verification"]}


def _weight(s: dict) -> tuple:
    return (s["district"], s["province"], s["date"], s["actor1"] + s["actor2"], s["fatalities"])


# -- ACLED notes ---------------------------------------------------------------------------------
def acled_gold(path: Path) -> list[Gold]:
    """The labelled events of one ACLED export."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = []
    for row in frame.itertuples(index=False):
        districts = {row.gold_coord_pcode} if row.gold_coord_pcode else set()
        named = resolve_place(f"{row.admin2} district", row.admin1)
        if named.status == "matched" and named.entry["admin2_pcode"]:
            districts.add(named.entry["admin2_pcode"])
        out.append(Gold(
            key=row.event_id_cnty, article=row.event_id_cnty, text=row.notes, province=row.gold_coord_adm1,
            districts=districts, province_only=row.geo_precision == "3", dates={row.event_date},
            actor1=[row.actor1], actor2=[row.actor2], fatalities=int(row.fatalities),
            extra={"published": date.fromisoformat(row.event_date), "label": f"{row.admin1}/{row.admin2}/{row.location}"},
        ))
    return out


def evaluate_acled(golds: list[Gold]) -> pd.DataFrame:
    """Extract every note and score the best record; other records are counted as extra."""
    rows = []
    for g in golds:
        found = extract_incidents([Article(f"{g.key}.txt", g.text, g.extra["published"], "ACLED")]).incidents
        scored = [_score(r, g) for _, r in found.iterrows()] or [_score(None, g)]
        best = max(scored, key=_weight)
        rows.append({"key": g.key, "records": len(found), "extra": max(0, len(found) - 1), **best,
                     "label": g.extra["label"], "text": g.text, "gold": _gold_text(g)})
    return pd.DataFrame(rows)


# -- wire reports --------------------------------------------------------------------------------
def wire_gold(folder: Path) -> tuple[list[Article], list[Gold]]:
    """The articles of ``gold.json`` and their labelled incidents."""
    try:
        labels = json.loads((folder / "gold.json").read_text(encoding="utf-8"))["articles"]
    except (OSError, ValueError, KeyError) as exc:
        raise GeoError(f"Could not read the wire labels in {folder}: {exc}.") from None
    articles, golds = [], []
    for key, a in labels.items():
        text = (folder / a["file"]).read_text(encoding="utf-8")
        articles.append(Article(a["file"], text, date.fromisoformat(a["published"]), a["source"]))
        for inc in a["incidents"]:
            code = inc["pcode"]
            golds.append(Gold(
                key=inc["id"], article=a["file"], text=inc["place"], province=code[:4],
                districts={code} if len(code) > 4 else set(), province_only=len(code) == 4,
                dates=set(inc["dates"]), actor1=inc["actor1"], actor2=inc["actor2"], fatalities=inc["fatalities"],
            ))
    return articles, golds


def evaluate_wire(articles: list[Article], golds: list[Gold]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per labelled incident, one row per spurious or duplicate record)."""
    rows, others = [], []
    for article in articles:
        found = extract_incidents([article]).incidents
        mine = [g for g in golds if g.article == article.name]
        taken: dict[int, str] = {}
        for g in mine:
            candidates = [(i, _score(r, g)) for i, r in found.iterrows()
                          if r["admin1_pcode"] == g.province and i not in taken]
            if candidates:
                i, best = max(candidates, key=lambda c: _weight(c[1]))
                taken[i] = g.key
            else:
                best = _score(None, g)
            rows.append({"key": g.key, "article": article.name, **best, "gold": _gold_text(g)})
        for i, r in found.iterrows():
            if i in taken:
                continue
            dup = next((g.key for g in mine if r["admin1_pcode"] == g.province), None)
            others.append({"article": article.name, "kind": "duplicate" if dup else "spurious", "of": dup or "",
                           "record": f"{r['location']!r} {r['admin2_pcode'] or r['admin1_pcode']} {r['event_date']} "
                                     f"{r['actor1']} | {r['actor2']}", "evidence": r["evidence"]})
    return pd.DataFrame(rows), pd.DataFrame(others, columns=["article", "kind", "of", "record", "evidence"])


def _gold_text(g: Gold) -> str:
    where = g.province if g.province_only else "/".join(sorted(g.districts))
    return (f"{where}; {'|'.join(sorted(g.dates))}; {' or '.join(g.actor1)} | {' or '.join(g.actor2)}; "
            f"killed {g.fatalities if g.fatalities is not None else 'not given'}")


# -- the whole evaluation ------------------------------------------------------------------------
def evaluate(data: Path | None = None) -> dict:
    """Score extraction on the ACLED notes and the wire reports under ``data``.

    Returns
    -------
    dict
        ``acled`` and ``wire`` (DataFrames, one row per labelled incident with a boolean per
        field), ``others`` (spurious and duplicate wire records), ``articles`` (the number of
        wire articles) and ``scores`` (the headline numbers, see :func:`scores`).
    """
    data = Path(data) if data is not None else default_data()
    if not data.is_dir():
        raise GeoError(f"No evaluation data in {data}; point --data (or GEO_EVAL_DATA) at the eval folder.")
    acled_files = sorted((data / "acled").glob("*.csv"))
    acled = pd.concat([evaluate_acled(acled_gold(p)) for p in acled_files], ignore_index=True) if acled_files else pd.DataFrame()
    articles, golds = wire_gold(data / "wire")
    wire, others = evaluate_wire(articles, golds)
    result = {"acled": acled, "wire": wire, "others": others, "articles": len(articles)}
    result["scores"] = scores(result)
    return result


def scores(result: dict) -> dict[str, float]:
    """The headline numbers that :data:`TARGETS` names, and each field's share right."""
    a, w, o = result["acled"], result["wire"], result["others"]
    out: dict[str, float] = {}
    if len(a):
        for f in FIELDS:
            out[f"acled_{f}"] = float(a[f].mean())
        out["acled_wrong_district"] = float(a["wrong_district"].mean())
        out["acled_district_date_actor1"] = float((a["district"] & a["date"] & a["actor1"]).mean())
        out["acled_extra_records"] = float(a["extra"].sum())
    for f in FIELDS:
        out[f"wire_{f}"] = float(w[f].mean())
    out["wire_district_date_actors"] = float((w["district"] & w["date"] & w["actor1"] & w["actor2"]).mean())
    out["wire_spurious"] = float((o["kind"] == "spurious").sum())
    out["wire_spurious_per_article"] = out["wire_spurious"] / max(result["articles"], 1)
    out["wire_duplicates"] = float((o["kind"] == "duplicate").sum())
    return out


def unscored(s: dict[str, float]) -> list[str]:
    """The targets the scores lack (e.g. a folder without ACLED notes, a renamed score)."""
    return [k for k in TARGETS if k not in s]


def meets_targets(s: dict[str, float]) -> bool:
    """Whether the scores reach every one of :data:`TARGETS` (wrong districts, spurious and
    duplicates at most); a target the scores lack is not met."""
    at_most = {"acled_wrong_district", "wire_spurious_per_article", "wire_duplicates"}
    return not unscored(s) and all((s[k] <= v) if k in at_most else (s[k] >= v) for k, v in TARGETS.items())


def report(result: dict) -> str:
    """The evaluation as text: per-field scores, the targets, and every miss."""
    s, a, w, o = result["scores"], result["acled"], result["wire"], result["others"]
    pct = lambda x: f"{100 * x:5.1f}%"  # noqa: E731
    lines = []
    if len(a):
        lines.append(f"ACLED notes: {len(a)} events")
        lines.append("  " + "  ".join(f"{f} {pct(s['acled_' + f])}" for f in FIELDS))
        lines.append(f"  district+date+actor1 {pct(s['acled_district_date_actor1'])} (target >= {pct(TARGETS['acled_district_date_actor1'])}); "
                     f"wrong district {pct(s['acled_wrong_district'])} (target <= {pct(TARGETS['acled_wrong_district'])}); "
                     f"extra records {int(s['acled_extra_records'])}")
        lines.append("  verification: " + ", ".join(f"{k} {v}" for k, v in a["verification"].fillna("-").value_counts().items())
                     + " (not labelled)")
    lines.append(f"wire reports: {result['articles']} articles, {len(w)} labelled incidents")
    lines.append("  " + "  ".join(f"{f} {pct(s['wire_' + f])}" for f in FIELDS))
    lines.append(f"  district+date+both actors {pct(s['wire_district_date_actors'])} (target >= {pct(TARGETS['wire_district_date_actors'])}); "
                 f"spurious {int(s['wire_spurious'])} ({s['wire_spurious_per_article']:.2f} per article, target <= "
                 f"{TARGETS['wire_spurious_per_article']:.2f}); duplicates {int(s['wire_duplicates'])} (target 0)")
    missing = unscored(s)
    lines.append(f"targets met: {'yes' if meets_targets(s) else 'no'}" + (f" (not scored: {', '.join(missing)})" if missing else ""))
    for name, frame in (("ACLED", a), ("wire", w)):
        if not len(frame):
            continue
        misses = frame[~(frame["district"] & frame["date"] & frame["actor1"] & frame["actor2"] & frame["fatalities"])]
        lines.append(f"{name} misses: {len(misses)}")
        for r in misses.itertuples():
            wrong = [f for f in FIELDS[1:] if not getattr(r, f)] if r.found else ["not found"]
            lines.append(f"  {r.key}: wrong {', '.join(wrong)}")
            lines.append(f"      gold: {r.gold}")
            lines.append(f"      got:  {r.got}")
            if name == "ACLED":
                lines.append(f"      text: {r.text}")
    lines.append(f"spurious and duplicate records: {len(o)}")
    for r in o.itertuples():
        lines.append(f"  {r.article}: {r.kind}{' of ' + r.of if r.of else ''}: {r.record}")
        lines.append(f"      evidence: {r.evidence}")
    return "\n".join(lines)
