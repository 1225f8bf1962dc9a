"""Resolving reported place names: normalisation, tiers, context, ambiguity, landmarks."""

import pytest

from geo import resolve_place
from geo.gazetteer import check_aliases, gazetteer, level_hint, normalise, phonetic, skeleton


@pytest.mark.parametrize(
    "a, b",
    [
        ("Nahr-e-Shahi", "Nahr-i-Shahi"),  # ezafe -e- / -i-
        ("Nahr-e-Shahi", "Nahr e Shahi"),  # ezafe as a word
        ("Qal'ah-ye Now", "Qalah Now"),  # -ye- and the apostrophe
        ("Jalalabad", "Jalaalabaad"),  # doubled vowels
        ("Shiberghan", "Sheeberghan"),
        ("Khust", "Khoost"),
        ("Spin Boldak", "Spin-Boldak"),  # hyphen and space
        ("Spin Boldak", "SPINBOLDAK"),  # case, joined
        ("Mazar-e Sharif", "Mazār-e Sharīf"),  # diacritics
        ("Reg (Shiga)", "Reg"),  # bracketed alternate
        ("Woleswali Nahr-e-Shahi", "Nahr-e-Shahi district"),  # generic words
        ("Wuluswali Achin", "Achin district centre"),
        ("Alakakhdari Ziruk", "Ziruk"),  # a generic word in a Russian romanisation
        ("Kandahar province", "Wilayat-e Kandahar"),
        ("Jabal os Saraj", "Jabal Saraj"),  # the Arabic article
        ("Tala Wa Barfak", "Tala-o-Barfak"),  # "and"
        ("سانچارك", "سانچارک"),  # Arabic kaf for Persian kaf
        ("علي آباد", "علی آباد"),  # Arabic yeh
        ("میر\u200cبچه کوت", "میر بچه کوت"),  # zero-width non-joiner
        ("ولسوالی پغمان", "پغمان"),  # the Dari word for district
        ("کَابل", "کابل"),  # short-vowel marks
    ],
)
def test_normalise_folds_romanisation_and_script_variants(a, b):
    assert normalise(a) == normalise(b) != ""


@pytest.mark.parametrize(
    "a, b",
    [("Qandahar", "Kandahar"), ("Kharabagh", "Qarabagh"), ("Ghazni", "Gazni"), ("Wardak", "Vardak"),
     ("Herat", "Hirat"), ("Kondoz", "Kunduz"), ("Dowlatabad", "Daulatabad"), ("Paktia", "Paktya"),
     ("Sayyidabad", "Sayidabad"), ("Mahmoud Raqi", "Mahmood Raqi")],
)
def test_phonetic_key_folds_one_sound_spelled_several_ways(a, b):
    assert normalise(a) != normalise(b)
    assert phonetic(normalise(a)) == phonetic(normalise(b))


@pytest.mark.parametrize(
    "a, b",
    [("Dzhalalabad", "Jalalabad"), ("Tsowkey", "Chawkay"), ("Dowlatobod", "Dowlatabad"), ("Khowst", "Khost"),
     ("Czarikar", "Charikar"), ("Maymana", "Meymene")],
)
def test_skeleton_keeps_the_consonants_other_romanisations_share(a, b):
    assert phonetic(normalise(a)) != phonetic(normalise(b))
    assert skeleton(normalise(a)) == skeleton(normalise(b))


def test_generic_words_give_the_level_in_any_spelling():
    assert level_hint("Woluswali Achin") == level_hint("Ulusvali-Alingar") == level_hint("ولسوالی پغمان") == "adm2"
    assert level_hint("Provence of Kabul") == level_hint("ولایت کابل") == "adm1"
    assert level_hint("Gomal Kelay") == "place"
    assert level_hint("Shindand") is None


def _codes(match):
    e = match.entry
    return (match.status, e["kind"], e["admin1_pcode"], e["admin2_pcode"], e["geo_precision"])


@pytest.mark.parametrize(
    "location, expected",
    [
        # The seed articles' places, as the sample incidents spell them.
        ("Kabul", ("matched", "place", "AF01", "AF0101", 1)),
        ("Kabul military airport", ("matched", "place", "AF01", "AF0101", 1)),
        ("Balkh governor's office, Mazar-e-Sharif", ("matched", "place", "AF21", "AF2101", 1)),
        ("Mazar-e-Sharif", ("matched", "place", "AF21", "AF2101", 1)),
        ("Mazar-e-Sharif (police districts 5, 8 and 10)", ("matched", "place", "AF21", "AF2101", 1)),
        ("Foreign Ministry, Kabul", ("matched", "place", "AF01", "AF0101", 1)),
        ("Nahr-e-Shahi district, Balkh province", ("matched", "adm2", "AF21", "AF2102", 2)),
        ("Zaranj city, Nimroz province", ("matched", "place", "AF34", "AF3401", 1)),
        # The spellings.
        ("Mazar-i-Sharif", ("matched", "place", "AF21", "AF2101", 1)),
        ("Mazār-e Sharīf", ("matched", "place", "AF21", "AF2101", 1)),
        ("Mazar", ("matched", "place", "AF21", "AF2101", 1)),
        ("Nahri Shahi", ("matched", "adm2", "AF21", "AF2102", 2)),
        ("Nahr-i-Shahi", ("matched", "adm2", "AF21", "AF2102", 2)),
        ("Hirat province", ("matched", "adm1", "AF32", "", 3)),
        ("Helmand", ("matched", "adm1", "AF30", "", 3)),
        ("Hilmand", ("matched", "adm1", "AF30", "", 3)),
        ("Paktia", ("matched", "adm1", "AF13", "", 3)),
        ("Paktya province", ("matched", "adm1", "AF13", "", 3)),
        ("Nimruz", ("matched", "adm1", "AF34", "", 3)),
        ("Sar-e Pol province", ("matched", "adm1", "AF22", "", 3)),
        ("Sari Pul province", ("matched", "adm1", "AF22", "", 3)),
        ("Sar-e-Pul", ("matched", "place", "AF22", "AF2201", 1)),
        ("MAZAR-E-SHARIF", ("matched", "place", "AF21", "AF2101", 1)),
        ("مزار شریف", ("matched", "place", "AF21", "AF2101", 1)),
        ("ولسوالی نهر شاهی", ("matched", "adm2", "AF21", "AF2102", 2)),
    ],
)
def test_places_resolve_to_cod_ab_codes_with_precision(boundaries_dir, location, expected):
    assert _codes(resolve_place(location)) == expected


@pytest.mark.parametrize(
    "name, candidates, province, code",
    [
        ("Jani Khel", ["Jani Khel (AF1209)", "Jani Khel (AF1309)"], "Paktya", "AF1309"),
        ("Jani Khel", ["Jani Khel (AF1209)", "Jani Khel (AF1309)"], "Paktika", "AF1209"),
        ("Arghandab", ["Arghandab (AF2605)", "Arghandab (AF2702)"], "Kandahar", "AF2702"),
        ("Arghandab", ["Arghandab (AF2605)", "Arghandab (AF2702)"], "Zabul", "AF2605"),
        ("Surobi", ["Surobi (AF0115)", "Surobi (AF1210)"], "Kabul", "AF0115"),
        ("Muqur", ["Muqur (AF1115)", "Muqur (AF3103)"], "Badghis", "AF3103"),
        ("Jaghatu", ["Jaghatu (AF0408)", "Jaghatu (AF1106)"], "Maidan Wardak", "AF0408"),
    ],
)
def test_duplicate_district_names_are_ambiguous_until_a_province_is_given(boundaries_dir, name, candidates, province, code):
    alone = resolve_place(name)
    assert (alone.status, alone.entry, alone.candidates) == ("ambiguous", None, candidates)
    assert {o["admin2_pcode"] for o in alone.options} == {c[-7:-1] for c in candidates}
    # The province as a column, in the text, in another spelling or in Dari, picks one.
    assert resolve_place(name, province=province).entry["admin2_pcode"] == code
    assert resolve_place(f"{name}, {province}").entry["admin2_pcode"] == code
    assert resolve_place(f"{name} district of {province} province").entry["admin2_pcode"] == code


def test_province_context_in_any_spelling(boundaries_dir):
    assert resolve_place("Jani Khel", province="Paktia").entry["admin2_pcode"] == "AF1309"
    assert resolve_place("Jani Khel", province="پکتیا").entry["admin2_pcode"] == "AF1309"
    assert resolve_place("Jani Khel", province="AF13").entry["admin2_pcode"] == "AF1309"
    assert resolve_place("Arghandab", province="Zaboul").entry["admin2_pcode"] == "AF2605"
    assert resolve_place("Arghandab (Zabul)").entry["admin2_pcode"] == "AF2605"


def test_a_district_hint_narrows_and_stands_in_for_an_unknown_village(boundaries_dir):
    assert resolve_place("Arghandab", district="AF2702").entry["admin2_pcode"] == "AF2702"
    village = resolve_place("Qala-e Gulbahar-e-Nau", province="Kandahar", district="Arghandab")
    assert (village.status, village.method, village.entry["kind"], village.entry["admin2_pcode"]) == (
        "matched", "context", "adm2", "AF2702")
    assert "only the district is known" in village.note


def test_an_unknown_place_in_a_known_province_keeps_the_province_only(boundaries_dir):
    m = resolve_place("Qala-e Gulbahar-e-Nau, Kabul")
    # Kabul here is the province: the unknown village is not put in Kabul city.
    assert (m.status, m.method, m.entry["kind"], m.entry["admin1_pcode"], m.entry["geo_precision"]) == (
        "matched", "context", "adm1", "AF01", 3)


def test_places_spelled_exactly_beat_phonetic_lookalikes_elsewhere(boundaries_dir):
    # "Shahran" is a village in Badakhshan; "Sharan" the capital of Paktika.
    assert resolve_place("Shahran").entry["admin2_pcode"] == "AF1705"
    assert resolve_place("Sharan").entry["admin2_pcode"] == "AF1201"


def test_official_names_decide_between_disagreeing_candidates(boundaries_dir):
    # "Khost" is the official name of a province (and its capital's), and only an
    # alternate name of Khost Wa Fereng district in Baghlan.
    m = resolve_place("Khost")
    assert (m.status, m.entry["kind"], m.entry["admin2_pcode"]) == ("matched", "place", "AF1401")
    assert resolve_place("Khost", province="Baghlan").entry["admin2_pcode"] == "AF0913"


def test_three_faizabads_are_ambiguous(boundaries_dir):
    m = resolve_place("Faizabad")
    assert m.status == "ambiguous"
    assert [c[-7:-1] for c in m.candidates] == ["AF1701", "AF2808", "AF2906"]
    assert resolve_place("Faizabad, Badakhshan").entry["admin2_pcode"] == "AF1701"


@pytest.mark.parametrize(
    "location, method, code",
    [
        ("Qandahar", "exact", "AF2701"),  # a GeoNames alternate
        ("Kondoz", "exact", "AF1901"),
        ("Lashkargah city", "exact", "AF3001"),
        ("Musa Qalah district", "phonetic", "AF3009"),
        ("Panjwai", "phonetic", "AF2704"),
        ("Chahar Dara", "phonetic", "AF1902"),
        ("Czaparhar", "skeleton", "AF0604"),
        ("Tsaparhar", "skeleton", "AF0604"),
        ("Maymaneh", "skeleton", "AF2901"),
        ("Jalalabbat", "fuzzy", "AF0601"),
        ("Shaparhar", "fuzzy", "AF0604"),
        ("Shiberghaan district", "exact", "AF2801"),
        ("Khwaja Sabzposh", "exact", "AF2903"),
        ("Surkh-i-Parsa", "exact", "AF0309"),
    ],
)
def test_tiers(boundaries_dir, location, method, code):
    m = resolve_place(location)
    assert (m.status, m.method, m.entry["admin2_pcode"]) == ("matched", method, code)
    assert (m.score == 100) == (method == "exact")


def test_context_admits_looser_matches_than_a_bare_name(boundaries_dir):
    # "Jalalbat" is two letters from Jalalabad: too far alone...
    assert resolve_place("Jalalbat").status == "unmatched"
    # ...and close enough among the names of one province.
    m = resolve_place("Jalalbat", province="Nangarhar")
    assert (m.status, m.method, m.entry["admin2_pcode"]) == ("matched", "fuzzy", "AF0601")
    assert 74 <= m.score < 86


@pytest.mark.parametrize("location", ["Atlantis", "Tehran", "Peshawar", "Dushanbe", "Quetta", "", "   ", "district"])
def test_names_not_in_afghanistan_stay_unmatched(boundaries_dir, location):
    assert resolve_place(location).status == "unmatched"


@pytest.mark.parametrize(
    "location, code, note",
    [
        ("PD 5, Kabul", "AF0101", "police district 5"),
        ("Kabul PD9", "AF0101", "police district 9"),
        ("police district 3 of Mazar-e-Sharif", "AF2101", "police district 3"),
        ("ناحیه ۵ شهر کابل", "AF0101", "police district 5"),
        ("Mazar-e-Sharif (police districts 5, 8 and 10)", "AF2101", "police district 5, 8, 10"),
    ],
)
def test_city_police_districts_resolve_to_their_city(boundaries_dir, location, code, note):
    m = resolve_place(location)
    assert (m.status, m.entry["kind"], m.entry["admin2_pcode"], m.entry["geo_precision"]) == ("matched", "place", code, 1)
    assert note in m.note


@pytest.mark.parametrize(
    "location, code, lat",
    [
        ("HKIA", "AF0101", 34.5659),
        ("Hamid Karzai International Airport", "AF0101", 34.5659),
        ("Bagram Airfield", "AF0302", 34.9461),
        ("Kandahar airport", "AF2701", 31.5058),
        ("Ministry of Interior", "AF0101", 34.52813),
        ("Blue Mosque", "AF2101", 36.70904),
        ("Tashkurgan", "AF2110", 36.69736),
    ],
)
def test_landmarks_resolve_with_precision_1(boundaries_dir, location, code, lat):
    m = resolve_place(location)
    assert (m.status, m.entry["admin2_pcode"], m.entry["geo_precision"]) == ("matched", code, 1)
    assert m.entry["latitude"] == pytest.approx(lat)


def test_curated_aliases_point_at_one_place_and_landmarks_lie_in_their_unit(boundaries_dir):
    assert check_aliases(gazetteer()) == []


def test_gazetteer_is_built_from_every_source(boundaries_dir):
    gaz = gazetteer()
    assert gaz.loc[gaz["kind"] == "adm1", "admin1_pcode"].nunique() == 34
    assert gaz.loc[gaz["kind"] == "adm2", "admin2_pcode"].nunique() == 399
    assert set(gaz["source"]) >= {"boundaries", "geonames", "alias", "boundaries+rule", "geonames+rule"}
    # Dari names of all 399 districts and all 34 provinces.
    dari = gaz[gaz["variant"].str.contains("[\u0600-\u06ff]", regex=True)]
    assert dari.loc[dari["kind"] == "adm2", "admin2_pcode"].nunique() == 399
    assert dari.loc[dari["kind"] == "adm1", "admin1_pcode"].nunique() == 34
    # GeoNames populated places (population 500 and over), with alternate names.
    places = gaz[gaz["kind"] == "place"]
    assert places["entity"].str.startswith("geonames:").sum() > 2000
    assert places.loc[places["entity"].str.startswith("geonames:"), "entity"].nunique() > 300
    # No "nan" from empty name fields.
    assert not (gaz["key"] == "nan").any()


def test_towns_take_their_admin_codes_from_the_boundaries(boundaries_dir):
    import geopandas as gpd

    from geo import load_admin

    gaz = gazetteer()
    towns = gaz[gaz["kind"] == "place"].drop_duplicates("entity")
    pts = gpd.GeoDataFrame(towns, geometry=gpd.points_from_xy(towns["longitude"], towns["latitude"]), crs=4326)
    joined = pts.sjoin(load_admin(2)[["admin2_pcode", "geometry"]], predicate="within")
    assert len(joined) == len(towns)
    assert (joined["admin2_pcode_left"] == joined["admin2_pcode_right"]).all()


def test_resolving_with_a_table_of_ones_own(boundaries_dir):
    gaz = gazetteer()
    only_balkh = gaz[gaz["admin1_pcode"] == "AF21"].copy()
    assert resolve_place("Nahri Shahi", gaz=only_balkh).entry["admin2_pcode"] == "AF2102"
    assert resolve_place("Kabul", gaz=only_balkh).status == "unmatched"


def test_docstring_examples_hold():
    import doctest
    import sys

    assert doctest.testmod(sys.modules["geo.gazetteer"]).failed == 0
