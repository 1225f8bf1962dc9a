"""Benchmark: the March 2023 map (both choropleths, every point) against GeoDataFrame.explore().

Run from a checkout with the test extra installed (it brings folium and matplotlib, which
``explore()`` needs)::

    GEO_BOUNDARIES=../shared/boundaries python bench/bench_maps.py

Every number is measured in this one process (the CLI row in a child process), on the same
incidents and the same boundary files already read into memory, so the ratios compare like
with like. CPU time is ``time.process_time()`` (user + system), the median of several runs.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd

from geo import aggregate, load_admin, load_incidents
from geo.boundaries import web_geometry
from geo.maps import map_html, render_map

MONTH = "2023-03"


def cpu(fn, repeat: int) -> tuple[float, object]:
    """Median CPU seconds of ``fn()`` over ``repeat`` runs, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
    return statistics.median(times), result


def ours(incidents, **kwargs) -> str:
    return map_html(render_map(incidents, months=[MONTH], **kwargs))


def explore(incidents, simplify: bool) -> str:
    """What a geopandas user would write for the same content: two choropleths and the points."""
    import folium

    layers = []
    for level, key, name in ((1, "adm1", "Provinces"), (2, "adm2", "Districts")):
        units = load_admin(level)
        if simplify:
            units = web_geometry(units)
        code = f"admin{level}_pcode"
        counts = aggregate(incidents, key)[[code, "incidents", "fatalities"]]
        units = units.drop(columns=f"admin{level}_alt").merge(counts, on=code, how="left").fillna({"incidents": 0, "fatalities": 0})
        layers.append((units, name))
    (provinces, _), (districts, _) = layers
    m = provinces.explore(column="incidents", scheme="FisherJenks", k=3, name="Provinces", cmap="OrRd",
                          tooltip=["admin1", "admin1_pcode", "incidents", "fatalities"])
    districts.explore(m=m, column="incidents", scheme="FisherJenks", k=3, name="Districts", cmap="OrRd", show=False,
                      tooltip=["admin2", "admin2_pcode", "incidents", "fatalities"])
    points = gpd.GeoDataFrame(
        incidents.drop(columns=["match_status", "match_note"], errors="ignore"),
        geometry=gpd.points_from_xy(incidents["longitude"], incidents["latitude"]), crs=4326,
    )
    points.explore(m=m, name="Incidents", column="actor1", marker_type="circle_marker",
                   popup=["incident_id", "event_date", "actor1", "actor2", "location", "fatalities", "verification"])
    folium.LayerControl().add_to(m)
    return m.get_root().render()


def cli_cpu(repeat: int) -> float:
    """Median CPU seconds (user + system) of the whole ``geo render --month`` process."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([str(Path(sys.executable).with_name("geo")), "render", "--month", MONTH, "--out", f"{tmp}/m.html"],
                           check=True, capture_output=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times)


def uncached(incidents) -> str:
    """``ours`` as before the neighbours cache: the countries around unioned and cut on every render."""
    from geo import maps

    cached, maps.neighbours = maps.neighbours, lambda units, margin=8.0: maps._find_neighbours(units, margin)
    try:
        return ours(incidents)
    finally:
        maps.neighbours = cached


def neighbours_cost(repeat: int = 5) -> None:
    """CPU of maps.neighbours: computed, read from the disk cache (as a new process does), in memory."""
    from geo import maps

    provinces = load_admin(1)
    maps.neighbours(provinces)  # the cache entry exists from here on
    computed, _ = cpu(lambda: maps._find_neighbours(provinces, 8.0), repeat)
    from_disk, _ = cpu(lambda: (maps._NEIGHBOURS_MEMO.clear(), maps.neighbours(provinces)), repeat)
    in_memory, _ = cpu(lambda: maps.neighbours(provinces), repeat)
    print(f"neighbours(): computed {computed:.3f} s, from the disk cache {from_disk:.3f} s "
          f"({from_disk / computed:.2f}x), in memory {in_memory:.4f} s (CPU, median of {repeat})")


def main() -> None:
    incidents = load_incidents(month=MONTH)  # reads and caches both boundary files too
    load_admin(1)
    rows = []
    for label, fn, repeat in (
        ("geo render_map, inline assets (default)", lambda: ours(incidents), 5),
        ("geo render_map, inline assets, neighbours computed on every render (before their cache)", lambda: uncached(incidents), 5),
        ("geo render_map, --cdn", lambda: ours(incidents, cdn=True), 5),
        ("GeoDataFrame.explore(), COD-AB outlines as read", lambda: explore(incidents, simplify=False), 3),
        ("GeoDataFrame.explore(), outlines simplified as geo does", lambda: explore(incidents, simplify=True), 3),
    ):
        seconds, html = cpu(fn, repeat)
        rows.append((label, seconds, len(html.encode("utf-8"))))
    base_s, base_b = rows[3][1], rows[3][2]
    print(f"March 2023 map: both choropleths and all {len(incidents)} points; CPU = median process_time\n")
    print("| map | CPU s | size MB | CPU vs explore() | size vs explore() | draws offline |")
    print("|---|---:|---:|---:|---:|---|")
    for label, seconds, size in rows:
        offline = "yes" if "inline" in label else "no (CDN links)"
        print(f"| {label} | {seconds:.2f} | {size / 1e6:.2f} | {seconds / base_s:.2f} | {size / base_b:.3f} | {offline} |")
    print()
    neighbours_cost()
    print(f"\nWhole `geo render --month {MONTH}` process (imports, reading, geocoding, render, write): "
          f"{cli_cpu(3):.2f} s CPU (median of 3)")
    print(f"Machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
