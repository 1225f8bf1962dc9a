"""geo extract: the seed articles, wire-style passages, merging, and the CLI round trip."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.cli import app
from geo.extract import EXTRA_COLUMNS, Article, extract_incidents, find_fatalities, find_places, read_article, split_sentences
from geo.schema import COLUMNS

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
A000 = SEEDS / "000_8325e2d66f731f35.txt"
A004 = SEEDS / "004_a4c7c5db470ad6e8.txt"
# Publication dates (seeds/README.md): 000 on Tuesday 4 April 2023; 004 "in the last days of March
# 2023, after" Monday 27 March, which it calls "Monday's": any day from the 28th to the 31st
# gives the same results; we use Wednesday 29 March.
PUB_000, PUB_004 = date(2023, 4, 4), date(2023, 3, 29)
ISKP, TALIBAN, CIVILIANS = "Islamic State Khorasan Province (ISKP)", "Taliban", "Civilians (Afghanistan)"
UNIDENTIFIED = "Unidentified Armed Group (Afghanistan)"


@pytest.fixture(scope="module")
def seeds(boundaries_dir):
    docs = [read_article(A000, PUB_000, "Kabul Now"), read_article(A004, PUB_004, "Sputnik")]
    return docs, extract_incidents(docs)


def one(table: pd.DataFrame, **where) -> pd.Series:
    rows = table
    for col, value in where.items():
        rows = rows[rows[col].astype(str) == str(value)]
    assert len(rows) == 1, f"{len(rows)} rows match {where}:\n{table[['event_date', 'location', 'admin2_pcode']]}"
    return rows.iloc[0]


def extract_text(text: str, published: date | None, name: str = "wire.txt"):
    return extract_incidents([Article(name, text, published, name)])


# --- the seed articles ----------------------------------------------------------------------
def test_seed_incidents_are_the_ones_a_careful_reader_finds(seeds):
    _, found = seeds
    t = found.incidents
    assert list(t.columns) == [*COLUMNS, *EXTRA_COLUMNS]
    dated = t[t["date_status"] == "resolved"]
    got = sorted(zip(dated["event_date"], dated["admin2_pcode"], dated["time_precision"].astype(int)))
    assert got == [
        ("2022-12-15", "AF0101", 2),  # Kabul hotel, "in mid-December" (the previous December)
        ("2023-03-01", "AF2101", 3),  # Balkh governor, "Earlier this month"
        ("2023-03-18", "AF2101", 1),  # Mazar-e-Sharif raid, "on March 18"
        ("2023-03-26", "AF2101", 1),  # Mazar-e-Sharif raid, both articles
        ("2023-03-27", "AF0101", 1),  # Foreign Ministry bombing, "Monday's"
        ("2023-04-03", "AF2102", 1),  # Nahr-e-Shahi, "on Monday evening"
        ("2023-04-03", "AF3401", 1),  # Zaranj
    ]
    # The only other record is the airport bombing, which the article does not date.
    undated = t[t["date_status"] != "resolved"]
    assert len(undated) == 1 and undated.iloc[0]["sub_event_type"] == "Remote explosive/landmine/IED"
    assert undated.iloc[0]["event_date"] == "" and "no date" in undated.iloc[0]["review"]


def test_seed_monday_raids(seeds):
    t = seeds[1].incidents
    nahr = one(t, admin2_pcode="AF2102")
    assert (nahr["actor1"], nahr["actor2"]) == (TALIBAN, ISKP)
    assert nahr["fatalities"] == 6 and nahr["verification"] == "claimed"
    assert nahr["location"] == "Nahr-e-Shahi district, Balkh province" and nahr["geo_precision"] == 2
    assert nahr["event_type"] == "Battles" and nahr["source"] == "Kabul Now"
    zaranj = one(t, admin2_pcode="AF3401")
    assert (zaranj["actor1"], zaranj["actor2"], zaranj["event_date"]) == (TALIBAN, ISKP, "2023-04-03")
    assert zaranj["verification"] == "corroborated"  # "Independent sources have only confirmed explosions"
    assert zaranj["location"] == "Zaranj city, Nimroz province"


def test_seed_late_march_raid_is_one_record_with_two_sources(seeds):
    t = seeds[1].incidents
    raid = one(t, event_date="2023-03-26")
    assert raid["source"] == "Kabul Now; Sputnik"
    assert (raid["actor1"], raid["actor2"], raid["admin2_pcode"]) == (TALIBAN, ISKP, "AF2101")
    assert raid["fatalities"] == 3  # "eliminated three key Daesh commanders" (the second article)
    assert raid["verification"] == "claimed"
    assert raid["supporting"].count("000_8325e2d66f731f35.txt:") == 3
    assert raid["supporting"].count("004_a4c7c5db470ad6e8.txt:") == 2
    assert "5th, 8th and 10th districts" in raid["location"]
    march18 = one(t, event_date="2023-03-18")
    assert march18["source"] == "Kabul Now" and march18["verification"] == "claimed"


def test_seed_kabul_and_balkh_attacks(seeds):
    t = seeds[1].incidents
    ministry = one(t, event_date="2023-03-27")
    assert (ministry["actor1"], ministry["actor2"]) == (ISKP, CIVILIANS)  # "the notorious terrorist group" = Daesh
    assert ministry["sub_event_type"] == "Suicide bomb" and ministry["fatalities"] == 6
    assert ministry["date_text"] == "Monday's" and ministry["location"] == "Foreign Ministry, Kabul province"
    governor = one(t, event_date="2023-03-01")
    assert governor["time_precision"] == 3 and governor["admin1"] == "Balkh" and governor["admin2"] == "Mazar-e-Sharif"
    assert governor["sub_event_type"] == "Suicide bomb" and governor["fatalities"] == 1  # "leaving him dead"
    assert (governor["actor1"], governor["actor2"]) == (UNIDENTIFIED, TALIBAN)
    assert "perpetrator not named" in governor["review"]
    hotel = one(t, event_date="2022-12-15")
    assert (hotel["actor1"], hotel["actor2"], hotel["sub_event_type"]) == (ISKP, CIVILIANS, "Attack")


def test_evidence_offsets_point_at_the_sentence_in_the_article(seeds):
    docs, found = seeds
    texts = {d.source: d.text for d in docs}
    for rec in found.incidents.itertuples():
        first = rec.source.split("; ")[0]
        assert texts[first][rec.evidence_start : rec.evidence_end] == rec.evidence
    nahr = one(found.incidents, admin2_pcode="AF2102")
    assert "Nahr-e-Shahi district" in nahr["evidence"]
    for span in nahr["supporting"].split("; "):
        name, offsets = span.rsplit(":", 1)
        a, b = map(int, offsets.split("-"))
        assert texts["Kabul Now"][a:b].strip() != ""


def test_aggregate_statements_are_context_not_incidents(seeds):
    context = seeds[1].context
    aggregates = context[context["kind"] == "aggregate"]
    assert sorted(aggregates["count"].astype(int)) == [8, 8]
    occasions = aggregates[aggregates["text"].str.contains("eight occasions")].iloc[0]
    assert (occasions["date_from"], occasions["date_to"]) == ("2023-03-03", "2023-03-26")
    assert aggregates["text"].str.contains("number of Daesh attacks").any()
    incidents = seeds[1].incidents
    assert not incidents["evidence"].str.contains("eight occasions|number of Daesh attacks").any()


def test_seeds_without_publication_dates_are_flagged_not_guessed(boundaries_dir):
    found = extract_incidents([read_article(A000), read_article(A004)])
    t = found.incidents
    relative = t[t["date_text"].str.contains("Monday|mid-December|Earlier this month", regex=True)]
    assert len(relative) >= 4
    assert (relative["event_date"] == "").all() and (relative["date_status"] == "unresolved").all()
    assert relative["review"].str.contains("no publication date").all()
    # Day-month phrases have no year without the publication date either.
    assert (t.loc[t["date_text"] == "March 18", "event_date"] == "").all()


# --- wire-style passages: other provinces, spellings and date phrasings ---------------------
def test_nangarhar_roadside_bomb_with_dateline(boundaries_dir):
    text = (
        "JALALABAD, Afghanistan (Reuters) - A roadside bomb killed three Taliban fighters in Nangarhar "
        "province's Achin district on Sunday, a provincial spokesman said. No group immediately claimed responsibility.\n"
    )
    rec = extract_text(text, date(2023, 6, 12)).incidents.iloc[0]
    assert (rec["event_date"], rec["time_precision"]) == ("2023-06-11", 1)  # the Sunday before a Monday
    assert (rec["admin2_pcode"], rec["admin1"]) == ("AF0615", "Nangarhar")  # Achin, not the Jalalabad dateline
    assert rec["sub_event_type"] == "Remote explosive/landmine/IED" and rec["fatalities"] == 3
    assert (rec["actor1"], rec["actor2"]) == (UNIDENTIFIED, TALIBAN)
    assert rec["verification"] == "claimed"


def test_kunduz_magnetic_bomb_counts_the_dead_not_the_wounded(boundaries_dir):
    text = ("Two civilians were killed and four others wounded when a magnetic bomb attached to a vehicle "
            "exploded in Kunduz city on Thursday morning, police said.\n")
    rec = extract_text(text, date(2023, 5, 5)).incidents.iloc[0]
    assert (rec["event_date"], rec["admin2_pcode"], rec["fatalities"]) == ("2023-05-04", "AF1901", 2)
    assert (rec["actor2"], rec["event_type"]) == (CIVILIANS, "Explosions/Remote violence")
    assert rec["date_text"] == "Thursday morning"


def test_helmand_spelling_and_last_week(boundaries_dir):
    text = ("Taliban forces clashed with gunmen in Helmand's Nad-e-Ali district last week, killing five of them, "
            "the provincial police chief told reporters.\n")
    rec = extract_text(text, date(2023, 2, 20)).incidents.iloc[0]
    assert (rec["admin1"], rec["admin1_pcode"], rec["admin2_pcode"]) == ("Hilmand", "AF30", "AF3002")
    assert (rec["event_date"], rec["time_precision"]) == ("2023-02-16", 2)  # middle of 13-19 February
    assert (rec["actor1"], rec["actor2"], rec["fatalities"]) == (TALIBAN, UNIDENTIFIED, 5)


def test_mazar_i_sharif_on_friday_reported_by_residents(boundaries_dir):
    rec = extract_text("Gunmen shot dead a Taliban commander in Mazar-i-Sharif on Friday, residents said.\n",
                       date(2023, 4, 10)).incidents.iloc[0]
    assert (rec["event_date"], rec["admin2_pcode"], rec["geo_precision"]) == ("2023-04-07", "AF2101", 1)
    assert (rec["actor1"], rec["actor2"], rec["fatalities"]) == (UNIDENTIFIED, TALIBAN, 1)
    assert rec["verification"] == "unknown"  # residents are not a party


def test_nahri_shahi_spelling_words_for_numbers_and_unverified_claim(boundaries_dir):
    text = ("Earlier this month, Taliban special forces raided an ISKP hideout in Nahri Shahi district of Balkh "
            "province and killed four militants, the Taliban's intelligence directorate said in a statement. "
            "The claim could not be independently verified.\n")
    rec = extract_text(text, date(2023, 5, 20)).incidents.iloc[0]
    assert (rec["event_date"], rec["time_precision"], rec["admin2_pcode"]) == ("2023-05-01", 3, "AF2102")
    assert (rec["actor1"], rec["actor2"], rec["fatalities"], rec["verification"]) == (TALIBAN, ISKP, 4, "claimed")


def test_explicit_date_needs_no_publication_date(boundaries_dir):
    text = ("KABUL (AP) — A suicide bomber struck near a Shiite mosque in Kabul on 14 October 2022, killing at least "
            "12 worshippers, officials said.\n")
    rec = extract_text(text, None).incidents.iloc[0]
    assert (rec["event_date"], rec["time_precision"], rec["date_status"]) == ("2022-10-14", 1, "resolved")
    assert (rec["sub_event_type"], rec["fatalities"], rec["actor2"]) == ("Suicide bomb", 12, CIVILIANS)
    assert rec["location"] == "Kabul, Kabul province"


def test_relative_date_without_publication_date_is_unresolved(boundaries_dir):
    text = "Taliban fighters raided a house in Kunduz on Monday night, killing two suspected IS-K members.\n"
    rec = extract_text(text, None).incidents.iloc[0]
    assert rec["event_date"] == "" and pd.isna(rec["time_precision"]) and rec["date_status"] == "unresolved"
    assert rec["date_text"] == "Monday night" and "no publication date" in rec["review"]
    assert (rec["admin2_pcode"], rec["actor1"], rec["actor2"], rec["fatalities"]) == ("AF1901", TALIBAN, ISKP, 2)


def test_separate_attacks_on_the_same_day_stay_separate(boundaries_dir):
    text = ("On Friday, a bomb exploded in Kandahar city, killing two civilians.\n"
            "In a separate attack in Kandahar on Friday, gunmen killed a Taliban official.\n")
    t = extract_text(text, date(2023, 7, 8)).incidents
    assert len(t) == 2 and set(t["admin2_pcode"]) == {"AF2701"} and set(t["event_date"]) == {"2023-07-07"}
    assert sorted(t["actor2"]) == [CIVILIANS, TALIBAN] and sorted(t["fatalities"]) == [1, 2]


def test_counts_of_raids_are_context(boundaries_dir):
    found = extract_text("Taliban forces have conducted 15 raids against IS-K cells in Kunar province since January.\n",
                         date(2023, 7, 8))
    assert found.incidents.empty
    assert found.context[["kind", "count"]].values.tolist() == [["aggregate", 15]]


def test_summary_then_detail_refines_the_province(boundaries_dir):
    text = ("Taliban forces launched raids on IS-K hideouts in Kunduz and Baghlan provinces on Saturday night.\n"
            "In Kunduz, the raid took place in Imam Sahib district, where four militants were killed, a Taliban spokesman said.\n"
            "In Baghlan, the operation targeted a compound in Pul-e-Khumri city.\n")
    t = extract_text(text, date(2023, 9, 4)).incidents
    assert sorted(t["admin2_pcode"]) == ["AF0901", "AF1905"]
    assert set(t["event_date"]) == {"2023-09-02"}
    assert one(t, admin2_pcode="AF1905")["fatalities"] == 4


def test_two_wire_reports_of_one_raid_merge(boundaries_dir):
    a = Article("a.txt", "Taliban forces raided an ISKP hideout in Mazar-i-Sharif on Saturday, killing two militants.\n",
                date(2023, 5, 8), "Wire A")
    b = Article("b.txt", "Last weekend the Taliban killed two Daesh members in a raid in Mazar-e-Sharif, a spokesman said.\n",
                date(2023, 5, 10), "Wire B")
    c = Article("c.txt", "A Taliban raid on an ISKP cell in Mazar-e-Sharif on 20 April killed one militant.\n",
                date(2023, 5, 10), "Wire C")
    t = extract_incidents([a, b, c]).incidents
    assert len(t) == 2
    merged = one(t, event_date="2023-05-06")
    assert merged["source"] == "Wire A; Wire B" and merged["fatalities"] == 2 and merged["time_precision"] == 1
    assert one(t, event_date="2023-04-20")["source"] == "Wire C"


def test_same_place_and_day_but_other_actors_do_not_merge(boundaries_dir):
    a = Article("a.txt", "Taliban forces raided an ISKP hideout in Kunduz city on Saturday.\n", date(2023, 5, 8), "A")
    b = Article("b.txt", "A bomb killed three civilians in Kunduz city on Saturday.\n", date(2023, 5, 8), "B")
    assert len(extract_incidents([a, b]).incidents) == 2


def test_numbered_city_districts_are_the_provincial_capital(boundaries_dir):
    text = "Gunmen attacked a Taliban checkpoint in the 7th district of Kabul city on Tuesday, killing two guards.\n"
    rec = extract_text(text, date(2023, 8, 10)).incidents.iloc[0]
    assert rec["admin2_pcode"] == "AF0101" and rec["event_date"] == "2023-08-08"


def test_ambiguous_names_are_reported_not_guessed(boundaries_dir):
    rec = extract_text("Taliban forces raided a house in Jani Khel on Friday.\n", date(2023, 5, 8)).incidents.iloc[0]
    assert rec["match_status"] == "ambiguous" and rec["admin2_pcode"] == "" and "AF1209" in rec["review"] and "AF1309" in rec["review"]
    # The province named nearby settles it.
    rec = extract_text("In Paktika province, Taliban forces raided a house in Jani Khel on Friday.\n",
                       date(2023, 5, 8)).incidents.iloc[0]
    assert rec["match_status"] == "matched" and rec["admin1"] == "Paktika"


# --- pieces ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("the Taliban killed at least six members of IS-K group", 6),
        ("left at least six people dead and several more injured", 6),
        ("the Taliban eliminated three key Daesh commanders last weekend", 3),
        ("a suicide bomber detonated explosives, leaving him dead", 1),
        ("ISIS men were killed in the 5th, 8th and 10th districts on March 26", None),
        ("an attack on three ISIS hideouts in Mazar-e-Sharif on March 18", None),
        ("there were no casualties among Taliban fighters", 0),
        ("12 people were killed and 30 wounded", 12),
        ("killing 2,000 fighters", 2000),
    ],
)
def test_fatalities(sentence, expected):
    assert find_fatalities(sentence, [(sentence.find("March"), len(sentence))] if "March" in sentence else [])[0] == expected


def test_sentences_keep_offsets_and_mark_headings():
    text = "Big Raid In Balkh\n\n  • The Taliban said: it ended. Mr. Smith left at 9 p.m. on Monday.\nZoom out: Later."
    sents = split_sentences(text)
    assert [s.heading for s in sents] == [True, False, False, False]
    for s in sents:
        assert text[s.start : s.end] == s.text
    assert sents[2].text == "Mr. Smith left at 9 p.m. on Monday." and sents[3].text == "Later."


# --- CLI ------------------------------------------------------------------------------------
runner = CliRunner()


def test_cli_extract_feeds_render_unchanged(tmp_path, boundaries_dir):
    out, ctx = tmp_path / "drafts.csv", tmp_path / "context.csv"
    result = runner.invoke(app, ["extract", str(A000), str(A004), "--published", "2023-04-04", "--published", "2023-03-29",
                                 "--source", "Kabul Now", "--source", "Sputnik", "-o", str(out), "--context", str(ctx)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert "extracted 8 incident(s) from 2 article(s), 1 reported by several; 10 context statement(s)" in result.stderr
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(table.columns[:20]) == COLUMNS and len(table) == 8
    assert len(pd.read_csv(ctx)) == 10

    html = tmp_path / "april.html"
    result = runner.invoke(app, ["render", "--incidents", str(out), "--month", "2023-04", "--out", str(html)])
    assert result.exit_code == 0, result.output
    assert "2 incidents" in html.read_text(encoding="utf-8")
    result = runner.invoke(app, ["incidents", "--incidents", str(out), "--month", "2023-03"])
    assert result.exit_code == 0
    march = pd.read_csv(io.StringIO(result.stdout), dtype=str)
    assert sorted(march["admin2_pcode"]) == ["AF0101", "AF2101", "AF2101", "AF2101"]
    # The undated airport bombing is reported by the reader, not silently dropped.
    assert "read 8 = kept 7 + rejected 1" in result.stderr


def test_cli_extract_to_stdout_and_context_on_stderr(boundaries_dir):
    result = runner.invoke(app, ["extract", str(A004), "-p", "2023-03-29", "-s", "Sputnik"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout), dtype=str)
    assert len(table) == 3 and set(table["source"]) == {"Sputnik"}
    assert "context: Sputnik: aggregate:" in result.stderr and "eight occasions" in result.stderr


def test_cli_extract_errors_are_one_line(tmp_path, boundaries_dir):
    result = runner.invoke(app, ["extract", str(A000), str(A004), "-p", "2023-04-04", "-p", "2023-03-29", "-p", "2023-03-30"])
    assert result.exit_code == 2 and "once per article" in result.output
    result = runner.invoke(app, ["extract", str(A000), "-p", "4 April"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
    result = runner.invoke(app, ["extract", str(tmp_path / "missing.txt")])
    assert result.exit_code == 1 and result.stderr.startswith("error: Could not read the article")
    result = runner.invoke(app, ["extract", str(A000), "-p", "unknown"])
    assert result.exit_code == 0 and "no publication date" in result.stderr


@pytest.mark.parametrize(
    ("published", "text", "expected"),
    [
        (date(2021, 10, 9),
         "KUNDUZ, Afghanistan (AP) — An Islamic State suicide bomber attacked a Shiite mosque in Kunduz on Friday, "
         "killing at least 46 worshippers. The Islamic State group later claimed responsibility for the bombing.\n",
         ("2021-10-08", "AF1901", ISKP, CIVILIANS, "Suicide bomb", 46)),
        (date(2023, 6, 3),
         "Three Taliban soldiers were killed when gunmen ambushed their vehicle in Herat's Shindand district late on Thursday.\n",
         ("2023-06-01", "AF3214", UNIDENTIFIED, TALIBAN, "Armed clash", 3)),
        (date(2023, 6, 3),
         "The Taliban said on Wednesday they had killed seven IS-K fighters.\n"
         "The raid took place in Chaparhar district of Nangarhar province, the group's spokesman added.\n",
         ("2023-05-31", "AF0604", TALIBAN, ISKP, "Armed clash", 7)),
        (date(2023, 8, 1),
         "Airstrikes hit the Barmal district of Paktika province on Sunday, killing eight people, including women and "
         "children, local officials said.\n",
         ("2023-07-30", "AF1214", UNIDENTIFIED, CIVILIANS, "Air/drone strike", 8)),
    ],
)
def test_more_wire_reports(boundaries_dir, published, text, expected):
    t = extract_text(text, published).incidents
    assert len(t) == 1
    rec = t.iloc[0]
    got = (rec["event_date"], rec["admin2_pcode"], rec["actor1"], rec["actor2"], rec["sub_event_type"], rec["fatalities"])
    assert got == expected


class OneSpan:
    """A stand-in for a statistical NER: proposes one span by position."""

    def __init__(self, word: str):
        self.word = word

    def spans(self, text: str) -> list[tuple[int, int]]:
        at = text.find(self.word)
        return [(at, at + len(self.word))] if at >= 0 else []


def test_a_place_finder_can_add_spans_the_rules_skip(boundaries_dir):
    # A lower-case bare village name is skipped by the rules (it could be an ordinary word) ...
    text = "Taliban forces raided a compound near achin on Friday, killing two IS-K members.\n"
    assert extract_text(text, date(2023, 5, 8)).incidents.empty
    # ... but a model that proposes it gets it resolved with the same gazetteer.
    found = extract_incidents([Article("w.txt", text, date(2023, 5, 8), "w")], finder=OneSpan("achin"))
    assert found.incidents.iloc[0]["admin2_pcode"] == "AF0615"


def test_dates_are_not_places(boundaries_dir):
    # GeoNames knows a village called March (Badakhshan); "on March 18" is a date.
    places = find_places("an attack on three ISIS hideouts in Mazar-e-Sharif on March 18, and on Friday")
    assert [(p.text, p.admin2_pcode) for p in places] == [("Mazar-e-Sharif", "AF2101")]
