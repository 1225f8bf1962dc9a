"""geo extract on the classes of error real reports showed (issue 13), one sentence per class.

Every sentence here is written for the test (no evaluation text is copied): each exhibits one
class of error that ``python -m geo.eval extract`` found on real ACLED notes and wire reports.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from geo.actors import actor_problem, canonical_actor
from geo.extract import Article, extract_incidents, find_fatalities, find_places

ISKP, TALIBAN, CIVILIANS = "Islamic State Khorasan Province (ISKP)", "Taliban", "Civilians (Afghanistan)"
UNIDENTIFIED = "Unidentified Armed Group (Afghanistan)"
POLICE_2014, MILITARY_2014 = "Police Forces of Afghanistan (2014-2021)", "Military Forces of Afghanistan (2014-2021)"


def extract(text: str, published: date | None = date(2023, 6, 12)):
    return extract_incidents([Article("t.txt", text, published, "T")])


def only(text: str, published: date | None = date(2023, 6, 12)) -> pd.Series:
    found = extract(text, published).incidents
    assert len(found) == 1, found[["location", "event_date", "actor1", "actor2"]]
    return found.iloc[0]


# --- common words, people and datelines are not places ------------------------------------------
def test_headline_and_dateline_with_a_date_are_not_incidents(boundaries_dir):
    text = ("Explosion Kills Four In Northern City\n"
            "JALALABAD, 11 June 2023, (XNA): Four people were killed when a bomb exploded in a market in Kunduz "
            "city on Saturday, police said.\n")
    rec = only(text)
    assert (rec["admin2_pcode"], rec["event_date"], rec["fatalities"]) == ("AF1901", "2023-06-10", 4)


def test_lower_case_words_and_peoples_names_are_not_places(boundaries_dir):
    # "for a" folds to a key of Farah; Zadran is a district of Paktya and a family name.
    rec = only("Gunmen shot dead a shopkeeper for a dispute in Spin Boldak district of Kandahar on Sunday, "
               "said Ahmad Zadran, a local official.\n")
    assert (rec["admin2_pcode"], rec["actor2"], rec["fatalities"]) == ("AF2711", CIVILIANS, 1)
    assert [p.text for p in find_places("the attack for a reason, said Ahmad Zadran")] == []


# --- names the geocoder knows, and the province the text names -----------------------------------
@pytest.mark.parametrize(("text", "code"), [
    # A district spelled otherwise, before "district": found by sound, in the province named.
    ("A roadside bomb killed two Taliban fighters in the Khakraiz district of Kandahar province on Friday.\n", "AF2707"),
    # A district alone between commas.
    ("Unknown gunmen killed a teacher near the Shahr-e Naw area, Panjwayi, Kandahar, on Friday.\n", "AF2704"),
    # "Dara district" is in Panjsher; with the word before it, in the province named, it is Muhmand Dara.
    ("Three civilians were killed in clashes in Mohmand Dara district, Nangarhar, on Saturday.\n", "AF0617"),
    # A name two provinces share: a capital named bare ("Kandahar") gives the province.
    ("Gunmen killed two farmers in Arghandab district, Kandahar, on Monday.\n", "AF2702"),
])
def test_places_resolve_in_the_province_the_text_names(boundaries_dir, text, code):
    rec = only(text)
    assert rec["admin2_pcode"] == code and rec["match_status"] == "matched"


# --- actors ----------------------------------------------------------------------------------------
def test_state_forces_are_named_by_period(boundaries_dir):
    text = "A bomb hit a police vehicle in Kunduz city on Monday, killing two policemen, officials said.\n"
    assert only(text, date(2019, 5, 8))["actor2"] == POLICE_2014
    assert only(text, date(2023, 5, 8))["actor2"] == TALIBAN  # the Taliban's police after August 2021
    assert canonical_actor("Afghan soldiers", date(2020, 1, 1)) == MILITARY_2014
    assert canonical_actor("NDS", date(2020, 1, 1)) == f"{POLICE_2014} National Directorate of Security"
    # Without a date such a name is not guessed: it is kept as written (and flagged where read).
    assert canonical_actor("Afghan police") == "Afghan police"


@pytest.mark.parametrize("name", ["National Resistance Front", "NRF", "Police Forces of Afghanistan (2014-2021)",
                                  "Military Forces of Afghanistan (2014-2021)", "Taliban and/or IS", "NATO"])
def test_acled_names_are_known_actors(name):
    assert actor_problem(name) is None


def test_the_nrf_attacking_and_the_taliban_attacked(boundaries_dir):
    rec = only("Fighters of the National Resistance Front attacked a Taliban checkpoint in Panjshir province on Tuesday, "
               "killing three.\n", date(2023, 5, 12))
    assert (rec["actor1"], rec["actor2"], rec["fatalities"]) == ("NRF: National Resistance Front", TALIBAN, 3)


def test_and_or_actors_whose_attack_was_repulsed(boundaries_dir):
    rec = only("Five Taliban and/or IS militants were killed when Afghan forces repulsed their attack in Arghandab "
               "district, Kandahar, on Monday.\n", date(2020, 3, 4))
    assert (rec["actor1"], rec["actor2"]) == ("Taliban and/or Islamic State Khorasan Province (ISKP)", MILITARY_2014)
    assert rec["fatalities"] == 5


@pytest.mark.parametrize("text", [
    # A party quoted is not the perpetrator.
    "An explosion ripped through a wedding hall in Herat city on Thursday, killing five guests, a Taliban commander "
    "in Herat told reporters.\n",
    # Nor is a party only suspected.
    "It is believed that the Taliban were behind the attack on a school in Herat city on Thursday, which killed five "
    "students.\n",
])
def test_speakers_and_suspects_are_not_perpetrators(boundaries_dir, text):
    rec = only(text)
    assert (rec["actor1"], rec["actor2"], rec["admin2_pcode"]) == (UNIDENTIFIED, CIVILIANS, "AF3201")


def test_a_claim_of_responsibility_joins_the_incident_it_claims(boundaries_dir):
    text = ("Daesh on Wednesday claimed responsibility for a bombing in Jalalabad that killed five people.\n"
            "An explosion in Jalalabad city on Tuesday killed at least five people and wounded ten, police said.\n")
    rec = only(text, date(2023, 6, 8))
    # The bombing was on Tuesday; Wednesday is when the claim was made.
    assert (rec["event_date"], rec["actor1"], rec["actor2"], rec["fatalities"]) == ("2023-06-06", ISKP, CIVILIANS, 5)


def test_victims_no_armed_group_is_named_for_are_civilians_and_unnamed_sides_unidentified(boundaries_dir):
    rec = only("Gunmen killed a tribal elder in Khost city on Sunday.\n")
    assert (rec["actor1"], rec["actor2"]) == (UNIDENTIFIED, CIVILIANS)
    assert "coded as civilians" in rec["review"]
    rec = only("Clashes between armed groups in Burka district of Baghlan on Sunday left two fighters dead.\n")
    assert (rec["actor1"], rec["actor2"], rec["fatalities"]) == (UNIDENTIFIED, UNIDENTIFIED, 2)
    rec = only("Two gunmen shot and killed a former police officer in Maimana city on Saturday.\n")
    assert (rec["actor2"], rec["fatalities"]) == (CIVILIANS, 1)  # former forces are civilians; two is the gunmen


# --- one incident, one record; background is context ----------------------------------------------
def test_a_quoted_restatement_is_the_same_incident(boundaries_dir):
    text = ("An explosion hit a mosque in Kunduz city on Friday, killing three worshippers.\n"
            "\"A blast happened inside the mosque in Kunduz city during prayers,\" a local official told reporters.\n")
    assert only(text)["fatalities"] == 3


def test_background_with_an_earlier_year_is_context(boundaries_dir):
    text = ("A blast killed three worshippers at a mosque in Kunduz city on Friday, police said.\n"
            "The deadliest attack on the city was in 2021, when a suicide bomber killed dozens of people at another "
            "mosque in Kunduz.\n"
            "In 2019, a similar attack killed two elders in Gardez.\n")
    found = extract(text)
    assert found.incidents["event_date"].tolist() == ["2023-06-09"]
    assert found.context["kind"].tolist() == ["background", "background"]


def test_the_opening_incident_without_a_date_takes_the_publication_date(boundaries_dir):
    found = extract("Gunmen killed a tribal elder in Khost city.\n"
                    "A bombing in Kunduz city, which the police did not date, killed two.\n").incidents
    lead = found.iloc[0]
    assert (lead["event_date"], lead["time_precision"], lead["date_status"]) == ("2023-06-12", 2, "publication")
    assert "publication date is used" in lead["review"]
    # Only the incident the article opens with: later ones stay undated, for review.
    assert found.iloc[1]["event_date"] == "" and found.iloc[1]["date_status"] == "missing"
    assert extract("Gunmen killed a tribal elder in Khost city.\n", None).incidents.iloc[0]["event_date"] == ""


# --- numbers that are not deaths ------------------------------------------------------------------
@pytest.mark.parametrize(("sentence", "expected"), [
    ("the gunmen fired four more bullets into the dead man", None),
    ("a similar killing took place three weeks ago", None),
    ("two Taliban members shot and killed a former police officer", 1),
    ("the blast killed or injured at least 15 people", None),
    ("more than 15 killed and injured", None),
    ("two teachers and one student were killed", 3),
    ("a commander of the 9th police district was killed", 1),
    ("2-3 people were killed", 2),
    ("a police officer was shot dead by gunmen", 1),
    ("the bomb killed two people", 2),
    ("four militants were killed, a Taliban spokesman said", 4),
])
def test_only_deaths_count_as_fatalities(sentence, expected):
    assert find_fatalities(sentence)[0] == expected
