"""No evaluation text in the repository: no tracked file shares a run of six words with ../shared/eval.

DEVELOPERS.md forbids copying the evaluation data (real ACLED notes, wire reports and their hand
labels), or anything derived from it, into the repository: ACLED's terms forbid redistribution,
and a hidden set of the same kinds is scored, so examples, comments and tests must be invented
sentences of the same class, never the ones the rules were checked on. Words are compared
case-folded with punctuation stripped ("Mazar-e-Sharif" is three words, "Shi'ite" one), across
line breaks.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: As CI lays it out: ../shared beside the clone (GEO_EVAL_DATA elsewhere, as python -m geo.eval).
EVAL = Path(os.environ.get("GEO_EVAL_DATA") or REPO.parent / "shared" / "eval")
RUN = 6

#: A shared run made only of these words copies nothing; the allow-list, with the reason for each.
ALLOWED: dict[str, str] = {
    # Function words: a run of them alone says nothing about any text.
    "the a an of in on at and or to for by with from as is was were": "very common words",
    # ACLED's published actor vocabulary: the alias table must spell these exactly as ACLED does.
    "Police Forces of Afghanistan (2014-2021) National Directorate of Security Afghan Local Police Prison Guards":
        "ACLED standard actor names (state forces by period and their sub-units)",
    "Military Forces of Afghanistan (2014-2021)": "ACLED standard actor name",
    "Taliban and/or Islamic State Khorasan Province (ISKP)": "ACLED standard actor names",
    "Unidentified Armed Group (Afghanistan) Civilians (Afghanistan)": "ACLED standard actor names",
    "NATO: North Atlantic Treaty Organization": "ACLED standard actor name",
    # Place names are facts the gazetteer holds; ACLED's own label columns name them (below).
    "province provinces district districts city capital": "admin level words that go with admin names",
}
#: The columns of an ACLED file whose values are admin names (their words join the allow-list).
ADMIN_COLUMNS = ("admin1", "admin2", "admin3", "location")
#: Files in the eval folder that describe the data rather than hold it.
NOT_DATA = {"README.md"}


def words(text: str) -> list[str]:
    """Case-folded words, punctuation stripped; apostrophes join ("Shi’ite" is one word)."""
    return re.findall(r"[^\W_]+", re.sub(r"[’'`]", "", text.casefold()))


def eval_texts(folder: Path) -> tuple[list[str], set[str]]:
    """Every text of the eval folder (each CSV cell, each JSON string, each article) and the
    words of the admin names its ACLED labels give."""
    texts: list[str] = []
    admin: set[str] = set()

    def strings(node) -> Iterator[str]:
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for v in node.values():
                yield from strings(v)
        elif isinstance(node, list):
            for v in node:
                yield from strings(v)

    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in NOT_DATA):
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as f:
                for row in csv.DictReader(f):
                    texts += [v for v in row.values() if isinstance(v, str)]
                    admin.update(w for c in ADMIN_COLUMNS for w in words(row.get(c) or ""))
        elif path.suffix == ".json":
            texts += strings(json.loads(path.read_text(encoding="utf-8")))
        else:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return texts, admin


def grams(texts: Iterable[str], allowed: set[str]) -> set[tuple[str, ...]]:
    """The runs of :data:`RUN` words of the texts, but those made only of allowed words."""
    out: set[tuple[str, ...]] = set()
    for text in texts:
        w = words(text)
        out.update(g for g in zip(*(w[k:] for k in range(RUN))) if not allowed.issuperset(g))
    return out


def shared_runs(text: str, known: set[tuple[str, ...]]) -> list[tuple[int, str]]:
    """(line, words) of each longest run of ``text`` made of runs in ``known``."""
    folded = re.sub(r"[’'`]", "", text.casefold())
    spans = [m for m in re.finditer(r"[^\W_]+", folded)]
    w = [m.group() for m in spans]
    hits = [i for i, g in enumerate(zip(*(w[k:] for k in range(RUN)))) if g in known]
    out: list[tuple[int, str]] = []
    while hits:
        first = last = hits.pop(0)
        while hits and hits[0] < last + RUN:  # overlapping runs are one
            last = hits.pop(0)
        out.append((folded.count("\n", 0, spans[first].start()) + 1, " ".join(w[first : last + RUN])))
    return out


def tracked_texts() -> Iterator[tuple[str, str]]:
    """(path, text) of every file git tracks that is UTF-8 text."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: no list of tracked files")
    for name in listed.decode().split("\0"):
        path = REPO / name
        if not name or not path.is_file():
            continue
        raw = path.read_bytes()
        if b"\0" in raw:
            continue
        try:
            yield name, raw.decode("utf-8")
        except UnicodeDecodeError:
            continue


def allowed_words(admin: set[str]) -> set[str]:
    return {w for phrase in ALLOWED for w in words(phrase)} | admin


def test_no_tracked_file_shares_six_words_with_the_eval_data():
    if not (EVAL / "wire").is_dir() and not (EVAL / "acled").is_dir():
        pytest.skip(f"no evaluation data at {EVAL} (CI puts ../shared/eval beside the clone): nothing to compare")
    texts, admin = eval_texts(EVAL)
    known = grams(texts, allowed_words(admin))
    assert len(known) > 1000, f"the eval data at {EVAL} looks empty"
    found = [f"{name}:{line}: {run}" for name, text in tracked_texts() for line, run in shared_runs(text, known)]
    assert not found, ("Tracked files repeat the evaluation data (replace with invented text of the same class):\n"
                       + "\n".join(found))


# --- the check itself -------------------------------------------------------------------------------
def test_runs_are_found_across_case_punctuation_and_lines():
    known = grams(["Gunmen on a motorbike shot a shopkeeper twice near the old bazaar."], allowed_words(set()))
    assert shared_runs("Gunmen on a motor-bike shot a", known) == []  # "motor bike" is not "motorbike"
    text = "x\n# GUNMEN, on a\n# motorbike shot a shopkeeper twice near the old bazaar!"
    assert shared_runs(text, known) == [(2, "gunmen on a motorbike shot a shopkeeper twice near the old bazaar")]
    # Five words in a row are not a run; two runs apart are reported apart.
    assert shared_runs("a motorbike shot a shopkeeper", known) == []
    two = "gunmen on a motorbike shot a. Then: shopkeeper twice near the old bazaar"
    assert [r for _, r in shared_runs(two, known)] == ["gunmen on a motorbike shot a", "shopkeeper twice near the old bazaar"]


def test_runs_of_allowed_words_are_not_copies():
    allowed = allowed_words({"kandahar", "spin", "boldak"})
    known = grams(["Police Forces of Afghanistan (2014-2021) National Directorate of Security",
                   "in Spin Boldak district of Kandahar province and in Kandahar city"], allowed)
    assert known == set()
    known = grams(["a roadside bomb in Spin Boldak district of Kandahar province"], allowed)
    assert shared_runs("A roadside bomb in Spin Boldak district", known) == [(1, "a roadside bomb in spin boldak district")]
