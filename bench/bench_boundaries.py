"""Benchmark the boundaries stage: load times, web geometry weight and coverage, render times.

Run from the repository root (boundaries from ../shared/boundaries unless $GEO_BOUNDARIES says):

    python bench/bench_boundaries.py            # prints Markdown tables for docs/BENCHMARKS.md

Every ratio is against a baseline measured in the same process, on the same files. Caches are
isolated in a temporary $GEO_CACHE; "cold" means that cache is empty and nothing is loaded in
the process, "disk" that the process forgot what it loaded (as a new process would) but the
GeoParquet cache is there, "memory" a second call in the same process.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("GEO_BOUNDARIES", str(REPO.parent / "shared" / "boundaries"))
os.environ["GEO_CACHE"] = tempfile.mkdtemp(prefix="geo-bench-")

import geopandas as gpd  # noqa: E402
import shapely  # noqa: E402

from geo import boundaries, load_incidents, render_map  # noqa: E402
from geo.boundaries import (  # noqa: E402
    coverage_report, find_boundary_file, forget_loaded, load_admin, tolerance_for_zoom, web_geometry,
)
from geo.maps import map_html  # noqa: E402

REPEATS = 5


def timed(fn, repeats: int = 1, before=None) -> float:
    """Best of ``repeats`` wall-clock seconds of ``fn()``; ``before()`` runs untimed each time."""
    best = float("inf")
    for _ in range(repeats):
        if before:
            before()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def clear_disk() -> None:
    for sub in ("parsed", "web"):
        for path in (Path(os.environ["GEO_CACHE"]) / sub).glob("*"):
            path.unlink()


def cold() -> None:
    clear_disk()
    forget_loaded()


def geojson_layers(html: str) -> dict[int, int]:
    decoder = json.JSONDecoder()
    out = {}
    for call in re.finditer(r"geo_json_\w+_add\(", html):
        data, end = decoder.raw_decode(html, call.end())
        out[len(data["features"])] = len(html[call.end():end].encode("utf-8"))
    return out


def both_levels() -> None:
    load_admin(1)
    load_admin(2)


def main() -> None:
    files = [find_boundary_file(n) for n in (1, 2)]
    print(f"Files: {', '.join(p.name for p in files)}; Python {sys.version.split()[0]}, "
          f"shapely {shapely.__version__}, geopandas {gpd.__version__}; best of {REPEATS}.\n")

    # 1. Loading: the raw read (what the spine did) vs parse + normalise + check, cached.
    raw_read = timed(lambda: [gpd.read_file(p, engine="pyogrio") for p in files], REPEATS)
    cold_load = timed(both_levels, REPEATS, before=cold)
    both_levels()
    disk_load = timed(both_levels, REPEATS, before=forget_loaded)
    memory_load = timed(both_levels, REPEATS)
    print("| provinces + districts | seconds | vs raw read |\n|---|---:|---:|")
    for label, value in [
        ("raw `gpd.read_file` of the two zips (baseline, no checks)", raw_read),
        ("cold: read, normalise, repair, hierarchy check, write GeoParquet", cold_load),
        ("warm, new process: from the GeoParquet cache", disk_load),
        ("warm, same process: from memory", memory_load),
    ]:
        print(f"| {label} | {value:.3f} | {value / raw_read:.2f}× |")

    # 2. Web geometry: vertices, bytes, gaps and overlaps, per tolerance.
    print("\n| level | tolerance (zoom) | vertices | GeoJSON bytes | overlap km² | gap km² | valid coverage |")
    print("|---|---|---:|---:|---:|---:|---|")
    for level in (1, 2):
        units = load_admin(level)
        geometry_only = units[["geometry"]]
        raw = coverage_report(units)
        print(f"| {level} | raw | {raw['vertices']:,} | {len(geometry_only.to_json()):,} | "
              f"{raw['overlap_km2']:.1e} | {raw['gap_km2']:.1e} | {raw['valid_coverage']} |")
        for tolerance, zoom in [(tolerance_for_zoom(z), z) for z in (10, 9, 8, 7, 6)] + [(boundaries.WEB_TOLERANCE, None)]:
            light = web_geometry(units, tolerance)
            rep = coverage_report(light)
            label = f"{tolerance:.5f}° (zoom {zoom})" if zoom is not None else f"{tolerance}° (default)"
            print(f"| {level} | {label} | {rep['vertices']:,} | {len(light[['geometry']].to_json()):,} | "
                  f"{rep['overlap_km2']:.1e} | {rep['gap_km2']:.1e} | {rep['valid_coverage']} |")

    # 3. Simplification: computed vs cached.
    districts = load_admin(2)
    simplify_cold = timed(lambda: web_geometry(districts), REPEATS, before=cold)
    web_geometry(districts)
    simplify_disk = timed(lambda: web_geometry(districts), REPEATS, before=forget_loaded)
    simplify_memory = timed(lambda: web_geometry(districts), REPEATS)
    print("\n| district web geometry | seconds | vs computing |\n|---|---:|---:|")
    for label, value in [("computed (coverage_simplify + rounding)", simplify_cold),
                         ("cached on disk (new process)", simplify_disk),
                         ("cached in memory (same process)", simplify_memory)]:
        print(f"| {label} | {value:.3f} | {value / simplify_cold:.2f}× |")

    # 4. The map: the district layer's bytes vs explore(), and first vs warm renders.
    raw_districts = gpd.read_file(files[1], engine="pyogrio")
    explore_bytes = geojson_layers(raw_districts.explore().get_root().render())[399]
    incidents = load_incidents(month="2023-03")
    cold()
    start = time.perf_counter()
    html = map_html(render_map(incidents))
    first = time.perf_counter() - start
    ours = geojson_layers(html)
    warm = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        map_html(render_map(incidents))
        warm.append(time.perf_counter() - start)
    disk = timed(lambda: map_html(render_map(incidents)), REPEATS, before=forget_loaded)
    print("\n| map of March 2023 | value |\n|---|---:|")
    print(f"| district layer, `GeoDataFrame.explore()` on the raw districts | {explore_bytes:,} bytes |")
    print(f"| district layer, `geo render` | {ours[399]:,} bytes ({ours[399] / explore_bytes:.3f}× explore) |")
    print(f"| province layer, `geo render` | {ours[34]:,} bytes |")
    print(f"| whole HTML file | {len(html.encode('utf-8')):,} bytes |")
    print(f"| first render (cold caches) | {first:.3f} s |")
    print(f"| render in a new process, disk cache warm (best of {REPEATS}) | {disk:.3f} s ({disk / first:.2f}× the first) |")
    print(f"| warm render, same process (median of {REPEATS}) | {statistics.median(warm):.3f} s "
          f"({statistics.median(warm) / first:.2f}× the first) |")


if __name__ == "__main__":
    main()
