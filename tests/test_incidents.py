import pytest

from geo import COLUMNS, GeoError, geocode, load_incidents, read_incidents
from geo.incidents import filter_month, parse_month

ISKP = "Islamic State Khorasan Province (ISKP)"
HEADER = "incident_id,event_date,time_precision,actor1,actor2,location,fatalities,verification\n"


def test_sample_set_is_read_whole():
    frame, report = read_incidents()
    assert (report.read, report.kept, report.rejected_rows) == (8, 8, 0)
    assert frame["incident_id"].is_unique
    # Actors come out in ACLED's canonical spelling whatever the reporter wrote.
    assert set(frame["actor1"]) | set(frame["actor2"]) == {"Taliban", ISKP, "Civilians (Afghanistan)"}


def test_march_sample_incidents_are_geocoded_to_kabul_and_mazar(boundaries_dir):
    march = load_incidents(month="2023-03")
    assert list(march.columns[: len(COLUMNS)]) == COLUMNS
    assert march["incident_id"].tolist() == ["AFG-SEED-003", "AFG-SEED-004", "AFG-SEED-005", "AFG-SEED-006"]
    assert march.set_index("incident_id")["admin2_pcode"].to_dict() == {
        "AFG-SEED-003": "AF2101",
        "AFG-SEED-004": "AF2101",
        "AFG-SEED-005": "AF2101",
        "AFG-SEED-006": "AF0101",
    }
    kabul = march.set_index("incident_id").loc["AFG-SEED-006"]
    assert (kabul["event_date"], kabul["fatalities"], kabul["actor1"]) == ("2023-03-27", 6, ISKP)
    # The governor's office bombing is dated only to the month by its article.
    assert march.set_index("incident_id").loc["AFG-SEED-003", "time_precision"] == 3


def test_april_raids_are_on_2023_04_03_in_nahr_e_shahi_and_zaranj(boundaries_dir):
    april = load_incidents(month="2023-04").set_index("admin2_pcode")
    assert sorted(april.index) == ["AF2102", "AF3401"]
    assert set(april["event_date"]) == {"2023-04-03"}
    assert april.loc["AF2102", "geo_precision"] == 2  # the district, not a town, is known
    assert april.loc["AF3401", "geo_precision"] == 1  # Zaranj city is named
    assert april.loc["AF2102", "verification"] == "claimed"
    assert april.loc["AF3401", "verification"] == "corroborated"


def test_an_incident_two_articles_report_is_one_row_naming_both():
    frame, _ = read_incidents()
    both = frame[frame["source"] == "Kabul Now; Sputnik"]  # the publications, not the article files
    assert both["event_date"].tolist() == ["2023-03-26"]


def test_bad_rows_are_reported_with_row_column_value_and_reason(write_csv):
    path = write_csv(
        HEADER
        + "A1,2023-03-05,1,Taliban,Daesh,Kabul,2,claimed\n"
        + "A2,2023-13-05,1,Taliban,Daesh,Kabul,2,claimed\n"
        + "A3,2023-03-06,1,Taliban,Daesh,Kabul,-4,claimed\n"
        + "A4,2023-03-06,1,Taliban,Daesh,Kabul,1,rumoured\n"
        + "A1,2023-03-07,1,Taliban,Daesh,Kabul,1,claimed\n"
    )
    frame, report = read_incidents([path])
    assert (report.read, report.kept, report.rejected_rows) == (5, 1, 4)
    assert frame["incident_id"].tolist() == ["A1"]
    rejected = report.rejected.set_index("row")
    assert rejected.loc[3, ["column", "value"]].tolist() == ["event_date", "2023-13-05"]
    assert rejected.loc[4, ["column", "value"]].tolist() == ["fatalities", "-4"]
    assert rejected.loc[5, "column"] == "verification"
    assert rejected.loc[6, "reason"].startswith("duplicates")
    assert report.summary() == "read 5 = kept 1 + rejected 4"


def test_missing_required_columns_name_what_was_found(write_csv):
    path = write_csv("id,date,place\n1,2023-03-01,Kabul\n")
    with pytest.raises(GeoError, match=r"incident_id, event_date, actor1, location.*found: id, date, place"):
        read_incidents([path])


def test_windows_1252_and_semicolons_are_read(write_csv):
    path = write_csv(HEADER.replace(",", ";") + "W1;2023-03-05;1;Taliban;Daesh;Mazâr-é Sharif – centre;0;claimed\n", encoding="cp1252")
    frame, report = read_incidents([path])
    assert report.kept == 1
    assert frame.loc[0, "location"] == "Mazâr-é Sharif – centre"


def test_acled_exports_are_converted_and_reverse_geocoded(write_csv, boundaries_dir):
    path = write_csv(
        "event_id_cnty,event_date,year,time_precision,event_type,sub_event_type,actor1,actor2,"
        "admin1,admin2,location,latitude,longitude,geo_precision,source,notes,fatalities\n"
        "AFG1001,03 April 2023,2023,1,Battles,Armed clash,Taliban,Islamic State Khorasan Province (ISKP),"
        "Balkh,Nahri Shahi,Nahri Shahi,36.8259,67.1884,2,Pajhwok,raid,6\n"
    )
    frame, report = read_incidents([path])
    assert report.kept == 1
    row = geocode(frame).iloc[0]
    assert (row["incident_id"], row["event_date"], row["verification"]) == ("AFG1001", "2023-04-03", "unknown")
    assert (row["admin1_pcode"], row["admin2_pcode"], row["match_status"]) == ("AF21", "AF2102", "coordinates")
    assert row["geo_precision"] == 2  # as ACLED coded it


def test_coordinates_outside_every_unit_are_flagged_not_dropped(write_csv, boundaries_dir):
    path = write_csv(
        "incident_id,event_date,actor1,location,latitude,longitude\nX1,2023-03-01,Taliban,Somewhere,67.11,36.71\n"
    )
    frame, _ = read_incidents([path])
    row = geocode(frame).iloc[0]
    assert row["match_status"] == "outside" and row["admin2_pcode"] == ""


def test_month_filter_and_validation():
    frame, _ = read_incidents()
    assert len(filter_month(frame, "2023-03")) == 4
    assert len(filter_month(frame, "2022-12")) == 1
    assert len(filter_month(frame, "2024-01")) == 0
    for bad in ("2023-3", "2023-13", "March"):
        with pytest.raises(GeoError, match="YYYY-MM"):
            parse_month(bad)


def test_actors_named_by_period_follow_the_event_date(write_csv):
    """"Afghan army" is the Republic's army until 14 August 2021 and the Taliban's after; a date
    outside both periods keeps the name as written and says why."""
    path = write_csv(HEADER + "A1,2021-08-14,1,Afghan army,Taliban,Kabul,0,unknown\n"
                              "A2,2021-08-15,1,Afghan National Army,ISKP,Kabul,0,unknown\n"
                              "A3,2010-01-01,1,afghan army,,Kabul,0,unknown\n")
    frame, report = read_incidents([path])
    assert frame["actor1"].tolist() == ["Military Forces of Afghanistan (2014-2021)", "Taliban", "afghan army"]
    assert frame["actor2"].tolist() == ["Taliban", ISKP, ""]
    flagged = report.flagged.set_index("row")
    assert flagged.index.tolist() == [4]
    assert flagged.loc[4, "reason"].startswith("names different actors in different periods")


def test_cells_geo_quoted_against_spreadsheet_formulas_read_back_as_written(write_csv, tmp_path):
    """A CSV geo wrote (``'=1+2``, ``'-note``) is read back as a spreadsheet shows it."""
    from typer.testing import CliRunner

    from geo.cli import app

    path = write_csv(HEADER.replace("verification", "verification,notes")
                     + "A1,2023-03-01,1,Taliban,,Kabul,0,unknown,=1+2 as written\n"
                       "A2,2023-03-02,1,Taliban,,Kabul,0,unknown,- a dash first\n")
    out = tmp_path / "out.csv"
    assert CliRunner().invoke(app, ["incidents", "-i", str(path), "-o", str(out)]).exit_code == 0
    assert "'=1+2 as written" in out.read_text(encoding="utf-8")  # inert in a spreadsheet
    frame, _ = read_incidents([out])
    assert frame["notes"].tolist() == ["=1+2 as written", "- a dash first"]
