import pandas as pd
import pytest

from geo import resolve_place
from geo.gazetteer import gazetteer, level_hint, normalise


@pytest.mark.parametrize(
    "a, b",
    [
        ("Mazar-e-Sharif", "Mazar-i-Sharif"),
        ("Mazar-e-Sharif", "Mazār-e Sharīf"),
        ("Mazar-e-Sharif", "MAZAR E SHARIF"),
        ("Nahr-e-Shahi district", "Nahr-e-Shahi"),
        ("Balkh province", "balkh"),
        ("Zaranj (Nimroz)", "Zaranj city"),
    ],
)
def test_normalise_folds_reporter_spellings(a, b):
    assert normalise(a) == normalise(b) != ""


def test_level_hint_reads_generic_words():
    assert level_hint("Nahr-e-Shahi district") == "adm2"
    assert level_hint("Nimroz province") == "adm1"
    assert level_hint("Zaranj city") == "place"
    assert level_hint("Kabul") is None


@pytest.mark.parametrize(
    "location, kind, adm1, adm2, precision",
    [
        ("Kabul", "place", "AF01", "AF0101", 1),
        ("Foreign Ministry, Kabul", "place", "AF01", "AF0101", 1),
        ("Mazar-i-Sharif", "place", "AF21", "AF2101", 1),
        ("Balkh governor's office, Mazar-e-Sharif", "place", "AF21", "AF2101", 1),
        ("Nahr-e-Shahi district, Balkh province", "adm2", "AF21", "AF2102", 2),
        ("Nahri Shahi", "adm2", "AF21", "AF2102", 2),
        ("Zaranj city, Nimroz province", "place", "AF34", "AF3401", 1),
        ("Nimroz", "adm1", "AF34", "", 3),
        ("Herat province", "adm1", "AF32", "", 3),
        ("Herat", "place", "AF32", "AF3201", 1),
        ("مزار شریف", "place", "AF21", "AF2101", 1),
    ],
)
def test_seed_places_resolve_to_cod_ab_codes(boundaries_dir, location, kind, adm1, adm2, precision):
    match = resolve_place(location)
    assert match.status == "matched"
    assert (match.entry["kind"], match.entry["admin1_pcode"], match.entry["admin2_pcode"]) == (kind, adm1, adm2)
    assert match.entry["geo_precision"] == precision


def test_a_name_shared_by_two_provinces_is_ambiguous_not_guessed(boundaries_dir):
    match = resolve_place("Jani Khel")
    assert match.status == "ambiguous" and match.entry is None
    assert match.candidates == ["Jani Khel (AF1209)", "Jani Khel (AF1309)"]
    # A province named alongside picks the right one.
    assert resolve_place("Jani Khel, Paktya").entry["admin2_pcode"] == "AF1309"
    assert resolve_place("Arghandab", province="Zabul").entry["admin2_pcode"] == "AF2605"


def test_unknown_place_is_unmatched(boundaries_dir):
    assert resolve_place("Atlantis").status == "unmatched"


def test_every_curated_alias_points_at_an_installed_place(boundaries_dir):
    from importlib.resources import files

    aliases = pd.read_csv(files("geo") / "data" / "place_aliases.csv")
    gaz = gazetteer()
    keys = set(zip(gaz["key"], gaz["kind"]))
    # A landmark with coordinates of its own (an airfield) is a place inside its target unit.
    kinds = aliases["target_kind"].where(aliases["latitude"].isna(), "place")
    missing = [a for a, k in zip(aliases["alias"], kinds) if (normalise(a), k) not in keys]
    assert missing == []


def test_unit_points_lie_inside_their_unit(boundaries_dir):
    from geo import load_admin
    import geopandas as gpd

    gaz = gazetteer()
    units = gaz[gaz["kind"] == "adm2"].drop_duplicates("admin2_pcode")
    points = gpd.GeoDataFrame(units, geometry=gpd.points_from_xy(units["longitude"], units["latitude"]), crs=4326)
    joined = points.sjoin(load_admin(2)[["admin2_pcode", "geometry"]], predicate="within")
    assert (joined["admin2_pcode_left"] == joined["admin2_pcode_right"]).sum() == 399
