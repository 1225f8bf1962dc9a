"""geo extract on whole invented articles in the style of wire reports (tests/data/invented_wire).

Each article tells several incidents, quotes spokesmen, reports claims and denials and ends
with background; ``gold.json`` labels every incident as the evaluation's wire labels do, and the
articles are scored by the same code as ``python -m geo.eval extract``. Every incident must be
found with its district, date, both actors and its death toll, and nothing else reported.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo import _eval_extract as ev
from geo.extract import extract_incidents

FOLDER = Path(__file__).parent / "data" / "invented_wire"
FIELDS = ["found", "province", "district", "date", "actor1", "actor2", "fatalities"]


@pytest.fixture(scope="module")
def scored(boundaries_dir):
    articles, golds = ev.wire_gold(FOLDER)
    wire, others = ev.evaluate_wire(articles, golds)
    result = {"acled": pd.DataFrame(), "wire": wire, "others": others, "articles": len(articles)}
    result["scores"] = ev.scores(result)
    return articles, result


def test_the_fixtures_are_nineteen_articles_and_twenty_seven_incidents(scored):
    articles, result = scored
    assert len(articles) == 19 and len(result["wire"]) == 27
    assert {a.name for a in articles} == {p.name for p in FOLDER.glob("*.txt")}


def test_every_invented_incident_is_extracted_right(scored):
    _, result = scored
    wire = result["wire"]
    wrong = wire[~wire[FIELDS].all(axis=1)]
    assert wrong.empty, ev.report(result)


def test_no_spurious_or_duplicate_records(scored):
    _, result = scored
    assert result["others"].empty, ev.report(result)


def test_background_and_trends_are_context_not_incidents(scored):
    articles, _ = scored
    by_name = {a.name: a for a in articles}
    context = extract_incidents([by_name["a03_lashkargah_claim.txt"], by_name["a11_kabul_ministry.txt"],
                                 by_name["a01_jalalabad_market.txt"]]).context
    kinds = {text.split(",")[0]: kind for text, kind in zip(context["text"], context["kind"])}
    assert kinds == {"Helmand's capital was last hit by a major bombing in 2019": "background",
                     "In 2021": "background", "Jalalabad has seen several bombings in recent months": "generic"}


def test_claims_and_statements_mark_verification(scored):
    articles, _ = scored
    by_name = {a.name: a for a in articles}
    found = extract_incidents([by_name["a05_panjshir_nrf.txt"], by_name["a12_faryab_qaysar.txt"]]).incidents
    # "no independent confirmation", "could not be independently verified"
    assert found["verification"].tolist() == ["claimed", "claimed"]
