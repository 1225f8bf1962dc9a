"""Spatial queries on the real COD-AB boundaries, checked against independent computations:
geopy's geodesic distance and geographiclib's geodesic polygon area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geographiclib.geodesic import Geodesic
from geopy.distance import geodesic
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

import geo
from geo.incidents import sample_path

ISKP = "Islamic State Khorasan Province (ISKP)"
MAZAR = (36.70904, 67.11087)  # GeoNames' Mazār-e Sharīf, as the gazetteer resolves it
HEADER = "incident_id,event_date,time_precision,actor1,actor2,event_type,location,latitude,longitude,fatalities,verification\n"


@pytest.fixture(scope="module")
def sample(boundaries_dir) -> pd.DataFrame:
    return geo.load_incidents()


@pytest.fixture(scope="module")
def districts(boundaries_dir) -> gpd.GeoDataFrame:
    return geo.load_admin(2).set_index("admin2_pcode")


def geopy_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    return geodesic(a, b).meters  # WGS84, Karney's algorithm via geographiclib


def latlon(point: Point) -> tuple[float, float]:
    return point.y, point.x


def geodesic_area_km2(geometry) -> float:
    """Area on the WGS84 ellipsoid, ring by ring, with geographiclib (no projection at all)."""

    def ring(coords) -> float:
        poly = Geodesic.WGS84.Polygon()
        for lon, lat in list(coords)[:-1]:
            poly.AddPoint(lat, lon)
        return abs(poly.Compute(False, True)[2])

    parts = geometry.geoms if geometry.geom_type == "MultiPolygon" else [geometry]
    return sum(ring(p.exterior.coords) - sum(ring(h.coords) for h in p.interiors) for p in parts) / 1e6


# --- incidents as points -------------------------------------------------------------------------


def test_incident_points_are_the_geocoded_coordinates_in_wgs84(sample):
    points = geo.incident_points(sample)
    assert isinstance(points, gpd.GeoDataFrame) and points.crs.to_epsg() == 4326
    assert len(points) == 8 and points.attrs["unplaced"] == 0
    assert (points.geometry.x == sample["longitude"]).all() and (points.geometry.y == sample["latitude"]).all()
    assert list(points.columns[: len(geo.COLUMNS)]) == geo.COLUMNS
    assert geo.load_incident_points(month="2023-04")["admin2_pcode"].tolist() == ["AF2102", "AF3401"]


def test_rows_without_coordinates_are_kept_with_empty_geometry(write_csv, boundaries_dir):
    path = write_csv(HEADER + "U1,2023-03-02,1,Taliban,,Battles,Nowhere-i-Atall,,,0,claimed\n"
                     "U2,2023-03-02,1,Taliban,,Battles,Jani Khel,,,0,claimed\n")
    points = geo.load_incident_points([path])
    assert len(points) == 2 and points.attrs["unplaced"] == 2
    assert points.geometry.isna().all()
    assert geo.incidents_within_km(points, MAZAR, 10_000).empty
    assert geo.assign_units(points)["admin2_pcode"].tolist() == ["", ""]


def test_a_frame_without_coordinates_or_points_is_a_clear_error(boundaries_dir):
    with pytest.raises(geo.GeoError, match="no latitude or longitude column; geocode them first"):
        geo.incident_points(pd.DataFrame({"incident_id": ["A"]}))
    with pytest.raises(geo.GeoError, match="must be points, not Polygon"):
        geo.incidents_within_km(geo.load_admin(1), MAZAR, 10)


def test_results_keep_the_input_index_to_join_back(sample):
    near = geo.incidents_within_km(sample, "Mazar-e-Sharif", 50)
    assert near.index.tolist() == [2, 3, 4, 6]
    assert (near["incident_id"] == sample.loc[near.index, "incident_id"]).all()
    nearest = geo.nearest_incidents(sample, "Zaranj", k=1)
    assert nearest.index.tolist() == [7]


# --- within N km of a named place ----------------------------------------------------------------


def test_march_incidents_within_50_km_of_mazar_are_the_three_balkh_incidents(boundaries_dir):
    march = geo.load_incidents(month="2023-03")
    near = geo.incidents_within_km(march, "Mazar-e-Sharif", 50)
    assert near["incident_id"].tolist() == ["AFG-SEED-003", "AFG-SEED-004", "AFG-SEED-005"]
    assert near["distance_m"].tolist() == [0.0, 0.0, 0.0]
    # Metres in the UTM zone estimate_utm_crs picks for Mazar-e-Sharif (67.1°E): 42N.
    assert near.attrs["distance_crs"] == "EPSG:32642"
    assert near.attrs["origin"] == MAZAR
    assert near.crs.to_epsg() == 4326


def test_all_months_within_50_km_of_mazar_add_nahr_e_shahi_at_its_geopy_distance(sample):
    near = geo.incidents_within_km(sample, "Mazar", 50)  # an alias reporters use
    assert near["incident_id"].tolist() == ["AFG-SEED-003", "AFG-SEED-004", "AFG-SEED-005", "AFG-SEED-007"]
    nahr = near.iloc[3]
    expected = geopy_m(MAZAR, (nahr["latitude"], nahr["longitude"]))
    assert 14_000 < expected < 16_000
    assert nahr["distance_m"] == pytest.approx(expected, rel=0.005)
    assert nahr["geo_precision"] == 2  # measured from a point inside the district, and it says so


def test_the_radius_is_in_kilometres_and_inclusive(sample):
    nahr = sample.set_index("incident_id").loc["AFG-SEED-007"]
    metres = geopy_m(MAZAR, (nahr["latitude"], nahr["longitude"]))
    inside = geo.incidents_within_km(sample, MAZAR, metres / 1000 * 1.005)
    outside = geo.incidents_within_km(sample, MAZAR, metres / 1000 * 0.995)
    assert "AFG-SEED-007" in set(inside["incident_id"]) and "AFG-SEED-007" not in set(outside["incident_id"])
    assert len(geo.incidents_within_km(sample, MAZAR, 0)) == 3  # the three at the town's own point


def test_the_utm_zone_follows_the_place_and_matches_geopy_across_zone_41(sample):
    near = geo.incidents_within_km(sample, "Herat", 400)
    assert near.attrs["distance_crs"] == "EPSG:32641"  # Herat is at 62.2°E
    assert near["incident_id"].tolist() == ["AFG-SEED-008"]  # Zaranj, ~377 km south
    zaranj = near.iloc[0]
    expected = geopy_m(near.attrs["origin"], (zaranj["latitude"], zaranj["longitude"]))
    assert 370_000 < expected < 385_000
    assert zaranj["distance_m"] == pytest.approx(expected, rel=0.005)
    geodesic_m = geo.incidents_within_km(sample, "Herat", 400, method="geodesic")["distance_m"].iloc[0]
    assert geodesic_m == pytest.approx(expected, rel=1e-6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lat=st.floats(29.5, 38.5), lon=st.floats(60.5, 74.8),
    dlat=st.floats(-1.5, 1.5), dlon=st.floats(-1.5, 1.5),
)
def test_distances_in_metres_agree_with_geopy(lat, lon, dlat, dlon):
    origin, target = (lat, lon), (lat + dlat, lon + dlon)
    expected = geopy_m(origin, target)
    assume(expected > 1_000)  # relative error is meaningless at a few metres
    points = gpd.GeoSeries([Point(target[1], target[0])], crs=4326)
    utm = geo.distances_m(points, Point(lon, lat), method="utm").iloc[0]
    exact = geo.distances_m(points, Point(lon, lat), method="geodesic").iloc[0]
    assert utm == pytest.approx(expected, rel=0.005)
    assert exact == pytest.approx(expected, rel=1e-6)


def test_utm_distances_stay_within_0_2_percent_up_to_300_km_anywhere_in_afghanistan(boundaries_dir):
    country = geo.load_admin(1).union_all()
    grid = gpd.GeoSeries(gpd.points_from_xy(*[a.ravel() for a in np.meshgrid(
        np.arange(60.6, 75.0, 0.4), np.arange(29.5, 38.5, 0.4))]), crs=4326)
    grid = grid[grid.within(country)]
    assert len(grid) > 350
    worst, zones = 0.0, set()
    for origin in grid.iloc[::12]:  # origins across zones 41, 42 and 43
        utm = geo.distances_m(grid, origin, "utm")
        exact = geo.distances_m(grid, origin, "geodesic")
        zones.add(utm.attrs["crs"])
        near = (exact > 1_000) & (exact <= 300_000)
        worst = max(worst, float((utm[near] / exact[near] - 1).abs().max()))
    assert {"EPSG:32641", "EPSG:32642"} <= zones
    assert worst < 0.002


def test_distances_are_never_in_degrees_even_from_a_projected_frame(sample):
    points = geo.incident_points(sample).to_crs(32642)
    got = geo.distances_m(points.geometry, Point(MAZAR[1], MAZAR[0]))
    kabul = sample.iloc[0]
    assert got.iloc[0] == pytest.approx(geopy_m(MAZAR, (kabul["latitude"], kabul["longitude"])), rel=1e-6)
    assert got.iloc[0] > 300_000


def test_place_errors_say_what_to_do(sample):
    with pytest.raises(geo.GeoError, match=r"Jani Khel \(AF1209\), Jani Khel \(AF1309\).*after a comma"):
        geo.incidents_within_km(sample, "Jani Khel", 20)
    with pytest.raises(geo.GeoError, match="not in the gazetteer"):
        geo.incidents_within_km(sample, "Atlantis", 20)
    with pytest.raises(geo.GeoError, match="latitude comes first"):
        geo.incidents_within_km(sample, (136.7, 67.1), 20)
    with pytest.raises(geo.GeoError, match="kilometres of 0 or more"):
        geo.incidents_within_km(sample, MAZAR, -1)
    # With its province, the Paktya Jani Khel is a place like any other.
    assert geo.place_point("Jani Khel, Paktya").within(geo.admin_unit("AF13").geometry.iloc[0])


# --- nearest incidents ---------------------------------------------------------------------------


def test_nearest_incidents_follow_geopy_order_and_keep_ties(sample):
    point = (34.5, 69.2)
    expected = sorted(
        (geopy_m(point, (r.latitude, r.longitude)), r.incident_id) for r in sample.itertuples()
    )
    nearest = geo.nearest_incidents(sample, point, k=1)
    # Two Kabul incidents share the city's point: asking for one returns both, tied; the airport
    # bombing (AFG-SEED-002) is at the airfield, farther out.
    assert nearest["incident_id"].tolist() == ["AFG-SEED-001", "AFG-SEED-006"]
    assert nearest["distance_m"].tolist() == pytest.approx([d for d, _ in expected[:2]], rel=1e-6)
    assert [i for _, i in expected[:3]] == ["AFG-SEED-001", "AFG-SEED-006", "AFG-SEED-002"]
    four = geo.nearest_incidents(sample, point, k=4)
    assert four["incident_id"].tolist() == [i for _, i in expected[:6]]  # 4th is a Mazar tie
    assert four["incident_id"].iloc[3:].tolist() == ["AFG-SEED-003", "AFG-SEED-004", "AFG-SEED-005"]
    assert geo.nearest_incidents(sample, "Zaranj", k=1)["incident_id"].tolist() == ["AFG-SEED-008"]
    with pytest.raises(geo.GeoError, match="at least one"):
        geo.nearest_incidents(sample, point, k=0)


# --- inside a province or district ---------------------------------------------------------------


def test_units_are_found_by_code_name_alias_and_level_word(boundaries_dir):
    def code(unit, level=None):
        found = geo.admin_unit(unit, level)
        return found.iloc[0][f"admin{found.attrs['level']}_pcode"]

    assert code("AF21") == "AF21" and code("af2101") == "AF2101"
    assert code("Balkh province") == code("Balkh", 1) == "AF21"
    assert code("Balkh", 2) == "AF2106"
    assert code("Herat") == "AF32"  # the alias table's news spelling of Hirat
    assert code("Nahri Shahi district") == "AF2102"
    assert code("Jani Khel, Paktika") == "AF1209"
    with pytest.raises(geo.GeoError, match=r"province Kabul \(AF01\), district Kabul \(AF0101\).*level=1"):
        geo.admin_unit("Kabul")
    with pytest.raises(geo.GeoError, match="did you mean Balkh"):
        geo.admin_unit("Balk province")
    with pytest.raises(geo.GeoError, match="P-code AF99"):
        geo.admin_unit("AF99")
    with pytest.raises(geo.GeoError, match="No district has the P-code AF21"):
        geo.admin_unit("AF21", 2)


def test_incidents_in_a_province_or_district(sample):
    def ids(unit, level=None):
        return geo.incidents_in_unit(sample, unit, level)["incident_id"].tolist()

    balkh = ["AFG-SEED-003", "AFG-SEED-004", "AFG-SEED-005", "AFG-SEED-007"]
    assert ids("Balkh province") == ids("AF21") == balkh
    assert ids("Mazar-e-Sharif") == balkh[:3]
    assert ids("Nahri Shahi") == ["AFG-SEED-007"]
    assert ids("Kabul", 1) == ids("AF0101") == ["AFG-SEED-001", "AFG-SEED-002", "AFG-SEED-006"]
    assert ids("Nimroz") == ["AFG-SEED-008"]
    empty = geo.incidents_in_unit(sample, "Herat")
    assert empty.empty and empty.attrs["unit"] == ("Hirat", "AF32")


def test_membership_is_spatial_not_read_from_the_codes(districts):
    # Bare points with no admin columns at all: the polygons decide.
    points = gpd.GeoDataFrame(
        {"incident_id": ["in-mazar", "in-nahr", "in-kabul"]},
        geometry=[Point(67.11, 36.71), districts.loc["AF2102", "geometry"].representative_point(), Point(69.17, 34.53)],
        crs=4326,
    )
    assert geo.incidents_in_unit(points, "AF2101")["incident_id"].tolist() == ["in-mazar"]
    assert geo.incidents_in_unit(points, "Balkh province")["incident_id"].tolist() == ["in-mazar", "in-nahr"]
    assert geo.assign_units(points)["admin2_pcode"].tolist() == ["AF2101", "AF2102", "AF0101"]


def test_spatial_units_agree_with_the_geocoder_on_the_sample(sample):
    assigned = geo.assign_units(sample)
    assert assigned["admin2_pcode"].tolist() == sample["admin2_pcode"].tolist()
    assert geo.assign_units(sample, 1)["admin1_pcode"].tolist() == sample["admin1_pcode"].tolist()


def test_a_point_on_a_shared_edge_belongs_to_both_units_but_is_counted_once(districts):
    mazar, nahr = districts.loc["AF2101", "geometry"], districts.loc["AF2102", "geometry"]
    shared = sorted(set(map(tuple, shapely.get_coordinates(mazar))) & set(map(tuple, shapely.get_coordinates(nahr))))
    points = gpd.GeoDataFrame({"incident_id": ["edge"]}, geometry=[Point(shared[0])], crs=4326)
    assert len(geo.incidents_in_unit(points, "AF2101")) == len(geo.incidents_in_unit(points, "AF2102")) == 1
    assert geo.assign_units(points)["admin2_pcode"].tolist() == ["AF2101"]


def test_province_only_incidents_count_for_the_province_but_no_district(write_csv, districts):
    path = write_csv(HEADER + "P1,2023-03-09,1,Taliban,,Battles,Balkh province,,,0,claimed\n")
    vague = geo.load_incidents([path])
    assert vague["geo_precision"].tolist() == [3]
    # The geocoder puts it at a point inside Balkh; find the district that point falls in.
    point = Point(vague["longitude"].iloc[0], vague["latitude"].iloc[0])
    host = districts.index[districts.contains(point)][0]
    assert host.startswith("AF21")
    assert geo.incidents_in_unit(vague, "Balkh province")["incident_id"].tolist() == ["P1"]
    in_host = geo.incidents_in_unit(vague, host)
    assert in_host.empty and in_host.attrs["province_only"] == 1
    assert geo.assign_units(vague)["admin2_pcode"].tolist() == [""]
    assert geo.assign_units(vague, 1)["admin1_pcode"].tolist() == ["AF21"]


# --- consecutive months --------------------------------------------------------------------------


def test_sample_consecutive_months_cross_the_year_but_not_the_district_border(sample):
    pairs = geo.active_in_consecutive_months(sample)
    assert isinstance(pairs, gpd.GeoDataFrame) and pairs.crs.to_epsg() == 4326
    got = pairs[["admin2_pcode", "month", "next_month", "incidents", "next_incidents"]].values.tolist()
    # Kabul: December 2022 then January 2023. Mazar-e-Sharif (March) and its neighbour
    # Nahr-e-Shahi (April) are different districts, so they make no pair...
    assert got == [["AF0101", "2022-12", "2023-01", 1, 1]]
    assert pairs.geometry.iloc[0].equals(geo.admin_unit("AF0101").geometry.iloc[0])
    # ...but one province, Balkh, so they do at province level.
    provinces = geo.active_in_consecutive_months(sample, level=1)
    assert provinces[["admin1_pcode", "month", "next_month", "incidents", "next_incidents"]].values.tolist() == [
        ["AF01", "2022-12", "2023-01", 1, 1],
        ["AF21", "2023-03", "2023-04", 3, 1],
    ]


def test_consecutive_months_on_a_designed_file(write_csv, boundaries_dir):
    path = write_csv(
        HEADER
        + "C1,2023-04-20,1,Taliban,ISKP,Battles,Mazar-e-Sharif,,,1,claimed\n"  # Mazar: March -> April
        + "C2,2023-02-11,1,ISKP,Civilians,Explosions/Remote violence,Kabul,,,2,corroborated\n"  # Kabul: Jan, Feb, Mar
        + "C3,2023-06-01,3,Taliban,,Battles,Zaranj,,,0,claimed\n"  # Zaranj: April, June (a gap)
        + "C4,2023-05-02,1,Taliban,,Battles,Balkh province,,,0,claimed\n"  # province only: no district
    )
    frame = geo.load_incidents([sample_path(), path])
    got = geo.active_in_consecutive_months(frame)[["admin2_pcode", "month", "next_month", "incidents", "next_incidents"]]
    assert got.values.tolist() == [
        ["AF0101", "2022-12", "2023-01", 1, 1],
        ["AF0101", "2023-01", "2023-02", 1, 1],
        ["AF0101", "2023-02", "2023-03", 1, 1],
        ["AF2101", "2023-03", "2023-04", 3, 1],
    ]
    provinces = geo.active_in_consecutive_months(frame, level=1)
    assert ["AF21", "2023-04", "2023-05", 2, 1] in provinces[
        ["admin1_pcode", "month", "next_month", "incidents", "next_incidents"]].values.tolist()


# --- incidents by actor per 10,000 km² -----------------------------------------------------------


def test_unit_areas_are_equal_area_km2_matching_geodesic_areas(districts):
    areas = geo.unit_areas_km2(2)
    assert len(areas) == 399 and (areas > 0).all()
    assert areas.sum() == pytest.approx(geo.unit_areas_km2(1).sum(), rel=1e-6)  # the levels tile alike
    assert 600_000 < areas.sum() < 660_000  # Afghanistan is about 652,000 km²
    for code in ("AF2101", "AF2102", "AF0101", "AF3401"):
        assert areas[code] == pytest.approx(geodesic_area_km2(districts.loc[code, "geometry"]), rel=0.005)


def test_actor_density_per_10000_km2_of_district(sample):
    density = geo.actor_density(sample)
    assert isinstance(density, gpd.GeoDataFrame) and density.crs.to_epsg() == 4326
    table = density.set_index(["actor", "admin2_pcode"])
    assert table.loc[(ISKP, "AF2101"), "incidents"] == 3
    assert table.loc[("Taliban", "AF2101"), "incidents"] == 3
    assert table.loc[("Civilians (Afghanistan)", "AF0101"), "incidents"] == 3
    area = geodesic_area_km2(geo.admin_unit("AF2101").geometry.iloc[0])
    assert table.loc[(ISKP, "AF2101"), "incidents_per_10000_km2"] == pytest.approx(3 / area * 10_000, rel=0.005)
    # Each actor's incidents are all there once: ISKP is in all eight.
    assert density.groupby("actor")["incidents"].sum().to_dict() == {
        "Civilians (Afghanistan)": 3, ISKP: 8, "Taliban": 5,
    }
    assert density.attrs["unassigned"] == 0
    iskp = density[density["actor"] == ISKP]["incidents_per_10000_km2"].tolist()
    assert iskp == sorted(iskp, reverse=True)


def test_actor_density_leaves_out_province_only_incidents_and_says_so(write_csv, boundaries_dir):
    path = write_csv(HEADER + "P1,2023-03-09,1,Taliban,,Battles,Balkh province,,,0,claimed\n"
                     "P2,2023-03-10,1,Taliban,,Battles,Mazar-e-Sharif,,,0,claimed\n")
    frame = geo.load_incidents([path])
    districts = geo.actor_density(frame)
    assert districts[["actor", "admin2_pcode", "incidents"]].values.tolist() == [["Taliban", "AF2101", 1]]
    assert districts.attrs["unassigned"] == 1
    provinces = geo.actor_density(frame, level=1)
    assert provinces[["actor", "admin1_pcode", "incidents"]].values.tolist() == [["Taliban", "AF21", 2]]
    area = geodesic_area_km2(geo.admin_unit("AF21").geometry.iloc[0])
    assert provinces["incidents_per_10000_km2"].iloc[0] == pytest.approx(2 / area * 10_000, rel=0.005)
