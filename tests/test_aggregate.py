import pandas as pd
import pytest

from geo import GeoError, aggregate, load_incidents

ISKP = "Islamic State Khorasan Province (ISKP)"


def test_march_by_actor_and_province_counts_what_a_reader_of_the_seeds_expects(boundaries_dir):
    table = aggregate(load_incidents(month="2023-03"), "actor,adm1")
    assert list(table.columns) == ["actor", "admin1", "admin1_pcode", "incidents", "fatalities"]
    got = {(r.actor, r.admin1_pcode): (r.incidents, r.fatalities) for r in table.itertuples()}
    assert got == {
        # Balkh: governor's office bombing (1 killed), raids of 18 March (0) and 26 March (3).
        ("Taliban", "AF21"): (3, 4),
        (ISKP, "AF21"): (3, 4),
        # Kabul: the Foreign Ministry bombing, at least six killed.
        (ISKP, "AF01"): (1, 6),
        ("Civilians (Afghanistan)", "AF01"): (1, 6),
    }


def test_by_month_and_district_over_the_whole_sample(boundaries_dir):
    table = aggregate(load_incidents(), ["month", "adm2"])
    april = table[table["month"] == "2023-04"].set_index("admin2_pcode")
    assert april["incidents"].to_dict() == {"AF2102": 1, "AF3401": 1}
    assert table["incidents"].sum() == 8


def test_an_actor_is_counted_once_per_incident():
    frame = pd.DataFrame(
        {
            "incident_id": ["a", "b"],
            "event_date": ["2023-03-01", "2023-03-02"],
            "actor1": ["Taliban", "Taliban"],
            "actor2": ["Taliban", ""],
            "fatalities": [2, 3],
        }
    )
    table = aggregate(frame, "actor")
    assert table.to_dict("records") == [{"actor": "Taliban", "incidents": 2, "fatalities": 5}]


def test_unknown_keys_are_a_clear_error():
    with pytest.raises(GeoError, match="Unknown aggregation key.*province.*use a comma list of month, actor"):
        aggregate(pd.DataFrame(), "actor,province")
