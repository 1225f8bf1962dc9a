"""Benchmark: the pipeline at scale, 1,000 to 1,000,000 incidents, against naive geopandas.

Run from a checkout, with the boundaries where the tests find them::

    GEO_BOUNDARIES=../shared/boundaries python bench/scale.py                  # 1e3 … 1e6 rows
    python bench/scale.py --sizes 1000,100000 --repeat 3
    python bench/scale.py --sizes 1000000 --engine dask   # also the --engine dask command
    python bench/scale.py --sizes 0 --render 100000       # only the map of a 100,000-incident month

For each size it writes a synthetic incident CSV (:func:`make_incidents`: about 2,000 places
named as the gazetteer spells them, Zipf-weighted, with their coordinates on 90 % of rows;
12 months; a few actors under their aliases; a sprinkling of rows to reject and to flag), then:

1. **stages, in this process**, ours and the baseline interleaved, each with the peak resident
   memory it reached (sampled): ours is ``read_incidents`` → ``geocode`` → ``aggregate(by
   month, actor, adm2)``; the baseline is what a geopandas user would write without
   validation or geocoding: ``pandas.read_csv`` → ``points_from_xy`` + ``sjoin`` to the
   districts → melt the two actor columns and ``groupby``;
2. **whole commands, in fresh processes** (wall time and peak RSS from ``wait4``):
   ``geo aggregate --by month,actor,adm2 -i FILE`` against this script's ``--baseline FILE``
   (the same baseline as a command of its own).

``--render N`` writes a month of N incidents and times ``geo render`` on it (fresh process),
the HTML's size, and how long headless Chromium (Playwright, Debian's ``chromium``, every
network request refused) takes to open it and draw the points.

Tables are printed as Markdown for docs/BENCHMARKS.md. Ratios are against the baseline run in
the same process or command: the machine is shared, so absolute seconds move with its load.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
BY = "month,actor,adm2"
MONTHS = [f"2023-{m:02d}" for m in range(1, 13)]
#: actor1 spellings and weights: aliases the table knows, and names it does not (flagged).
ACTOR1 = {"Taliban": 30, "Taliban forces": 8, "Islamic Emirate": 4, "ISKP": 8, "Daesh": 6,
          "Islamic State Khorasan Province (ISKP)": 6, "Unidentified Armed Group (Afghanistan)": 20,
          "unknown gunmen": 8, "Civilians (Afghanistan)": 6, "National Resistance Front": 3,
          "Afghanistan Freedom Front": 1}
ACTOR2 = {"": 50, "Civilians (Afghanistan)": 25, "civilians": 5, "Taliban": 15, "ISKP": 5}
EVENTS = [("Battles", "Armed clash"), ("Explosions/Remote violence", "Remote explosive/landmine/IED"),
          ("Explosions/Remote violence", "Air/drone strike"), ("Violence against civilians", "Attack"),
          ("Violence against civilians", "Abduction/forced disappearance"), ("Protests", "Peaceful protest"),
          ("Strategic developments", "Arrests")]
SOURCES = ["Pajhwok Afghan News", "TOLOnews", "Kabul Now", "Afghanistan International", "Hasht-e Subh"]


# -- data ---------------------------------------------------------------------------------------
def _pick(rng: np.random.Generator, table: dict[str, int], n: int) -> np.ndarray:
    weights = np.array(list(table.values()), dtype=float)
    return rng.choice(np.array(list(table), dtype=object), n, p=weights / weights.sum())


def make_incidents(n_rows: int, *, seed: int = 12, places: int = 2000, month: str | None = None,
                   coordinates: float = 0.9, bad: float = 0.002) -> pd.DataFrame:
    """``n_rows`` synthetic incidents in the geo schema, every value as text.

    Places are gazetteer entries (towns, villages, districts) under any spelling the gazetteer
    lists, Zipf-weighted so that a few are named often; ``coordinates`` of the rows carry the
    place's coordinates (4 decimals, as ACLED writes them), the rest only the name. Dates
    spread over 2023 (or all in ``month``); a share ``bad`` of rows has an impossible date,
    negative fatalities or a latitude out of range, so some rows are rejected.
    """
    from geo.gazetteer import gazetteer

    rng = np.random.default_rng(seed)
    gaz = gazetteer()
    gaz = gaz[gaz["kind"].isin(["place", "adm2"]) & gaz["latitude"].notna() & gaz["variant"].str.isascii()]
    entries = gaz.drop_duplicates("variant")
    entries = entries.sample(min(places, len(entries)), random_state=seed)
    weights = 1.0 / np.arange(1, len(entries) + 1)
    pick = rng.choice(len(entries), n_rows, p=weights / weights.sum())
    chosen = entries.iloc[pick]
    located = rng.random(n_rows) < coordinates
    lat = np.where(located, chosen["latitude"].round(4).map("{:.4f}".format), "")
    lon = np.where(located, chosen["longitude"].round(4).map("{:.4f}".format), "")
    days = rng.integers(1, 29, n_rows)
    if month is not None:
        dates = np.char.add(f"{month}-", np.char.zfill(days.astype(str), 2))
    else:
        months = np.array(MONTHS)[rng.integers(0, 12, n_rows)]
        dates = np.char.add(np.char.add(months, "-"), np.char.zfill(days.astype(str), 2))
    events = np.array(EVENTS, dtype=object)[rng.integers(0, len(EVENTS), n_rows)]
    fatalities = rng.geometric(0.45, n_rows) - 1
    frame = pd.DataFrame({
        "incident_id": np.char.add("SYN-", np.arange(n_rows).astype(str)),
        "event_date": dates.astype(object),
        "time_precision": rng.choice(np.array(["1", "2", "3"], dtype=object), n_rows, p=[0.8, 0.15, 0.05]),
        "actor1": _pick(rng, ACTOR1, n_rows),
        "actor2": _pick(rng, ACTOR2, n_rows),
        "event_type": events[:, 0],
        "sub_event_type": events[:, 1],
        "location": chosen["variant"].to_numpy(dtype=object),
        "latitude": lat.astype(object),
        "longitude": lon.astype(object),
        "geo_precision": np.where(chosen["kind"].to_numpy() == "adm2", "2", "1").astype(object),
        "fatalities": fatalities.astype(str).astype(object),
        "verification": rng.choice(np.array(["corroborated", "claimed", "unknown"], dtype=object), n_rows),
        "source": rng.choice(np.array(SOURCES, dtype=object), n_rows),
        "notes": np.char.add("Reported clash near the district centre; figures from local officials, report ",
                             np.arange(n_rows).astype(str)).astype(object),
    })
    broken = np.flatnonzero(rng.random(n_rows) < bad)
    for i, col in zip(broken, rng.integers(0, 3, len(broken))):
        column, value = [("event_date", frame.at[i, "event_date"][:8] + "31"), ("fatalities", "-1"),
                         ("latitude", "95.0")][col]
        if column == "event_date" and value.endswith(("01-31", "03-31", "05-31", "07-31", "08-31", "10-31", "12-31")):
            value = value[:8] + "32"
        frame.at[i, column] = value
    return frame


def write_incidents(path: Path, n_rows: int, **kwargs) -> Path:
    """Write :func:`make_incidents` rows to ``path`` as CSV and return it."""
    make_incidents(n_rows, **kwargs).to_csv(path, index=False)
    return path


# -- measuring ----------------------------------------------------------------------------------
def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def peak_rss(result: dict) -> Iterator[None]:
    """Time the block and sample this process's resident memory every 5 ms; store the peak."""
    done = threading.Event()
    peak = [_rss()]

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], _rss())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    started = time.perf_counter()
    try:
        yield
    finally:
        result["seconds"] = time.perf_counter() - started
        done.set()
        thread.join()
        result["peak_mb"] = max(peak[0], _rss()) / 1e6


#: Runs a command and prints its peak RSS (KB) and exit code: spawned from this small process,
#: so the peak is the command's own, not that of the big benchmark process that forked it.
_SPAWN = """
import os, sys
report, args = sys.argv[1], sys.argv[2:]
_, status, usage = os.wait4(os.posix_spawn(args[0], args, os.environ), 0)
with open(report, "w") as f:
    print(usage.ru_maxrss, os.waitstatus_to_exitcode(status), file=f)
"""


def run_command(args: list[str], stdout: Path | None = None, stderr: Path | None = None) -> dict:
    """Run a command in a fresh process; its wall time, peak RSS (MB) and exit code."""
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as report, \
            open(stdout or os.devnull, "wb") as out, open(stderr or os.devnull, "wb") as err:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", _SPAWN, report.name, *args],
                       stdout=out, stderr=err, check=True)
        wall = time.perf_counter() - started
        kb, code = report.read().split()
    return {"seconds": wall, "peak_mb": int(kb) / 1e3, "code": int(code)}


# -- the two pipelines ----------------------------------------------------------------------------
def baseline(path: Path) -> tuple[pd.DataFrame, dict]:
    """Naive geopandas: read, points, sjoin to districts, count by month × actor × district."""
    import geopandas as gpd

    from geo.boundaries import load_admin

    stages: dict[str, dict] = {}
    with peak_rss(stages.setdefault("read", {})):
        frame = pd.read_csv(path)
        districts = load_admin(2)[["admin2", "admin2_pcode", "geometry"]]  # the boundaries, read once
    with peak_rss(stages.setdefault("place", {})):
        points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["longitude"], frame["latitude"]), crs=4326)
        joined = points.sjoin(districts, predicate="within")
    with peak_rss(stages.setdefault("aggregate", {})):
        joined["month"] = joined["event_date"].str[:7]
        long = joined.melt(id_vars=["incident_id", "month", "admin2", "admin2_pcode", "fatalities"],
                           value_vars=["actor1", "actor2"], value_name="actor").dropna(subset=["actor"])
        long = long.drop_duplicates(["incident_id", "actor"])
        table = long.groupby(["month", "actor", "admin2", "admin2_pcode"]).agg(
            incidents=("incident_id", "size"), fatalities=("fatalities", "sum")).reset_index()
    return table, stages


def ours(path: Path) -> tuple[pd.DataFrame, dict]:
    """geo's API: read and validate, geocode, aggregate by month × actor × district."""
    from geo.aggregate import aggregate
    from geo.geocode import geocode
    from geo.incidents import read_incidents, to_schema

    stages: dict[str, dict] = {}
    with peak_rss(stages.setdefault("read", {})):
        frame, report = read_incidents([path])
    with peak_rss(stages.setdefault("place", {})):
        located = geocode(frame)
    with peak_rss(stages.setdefault("aggregate", {})):
        table = aggregate(to_schema(located), BY)
    stages["read"]["note"] = report.summary()
    return table, stages


def _warm_up() -> None:
    """Load what every run needs once (imports, gazetteer, boundaries), so neither side pays it."""
    import geopandas  # noqa: F401

    from geo.boundaries import load_admin
    from geo.geocode import resolver

    load_admin(1), load_admin(2), resolver()


# -- reports ----------------------------------------------------------------------------------
def bench_size(n_rows: int, folder: Path, repeat: int, commands: bool, engines: list[str],
               profile: Path | None = None) -> list[str]:
    path = write_incidents(folder / f"incidents_{n_rows}.csv", n_rows)
    mb = path.stat().st_size / 1e6
    lines = [f"\n### {n_rows:,} rows ({mb:.1f} MB CSV)\n",
             "| stage | ours s | baseline s | ours / baseline | ours peak MB | baseline peak MB |",
             "|---|---:|---:|---:|---:|---:|"]
    runs: dict[str, list[dict]] = {"ours": [], "baseline": []}
    note = ""
    for _ in range(repeat):
        for name, fn in (("baseline", baseline), ("ours", ours)):  # interleaved: load changes hit both
            gc.collect()
            table, stages = fn(path)
            runs[name].append(stages)
            if name == "ours":
                note = stages["read"]["note"]
            del table
    med = {name: {stage: statistics.median(r[stage]["seconds"] for r in rs) for stage in rs[0]} for name, rs in runs.items()}
    peak = {name: {stage: max(r[stage]["peak_mb"] for r in rs) for stage in rs[0]} for name, rs in runs.items()}
    labels = {"read": "read (ours: + validate)", "place": "place (ours: geocode; baseline: sjoin)",
              "aggregate": "aggregate month × actor × adm2"}
    for stage in ("read", "place", "aggregate"):
        o, b = med["ours"][stage], med["baseline"][stage]
        lines.append(f"| {labels[stage]} | {o:.2f} | {b:.2f} | {o / b:.2f}× | {peak['ours'][stage]:,.0f} | "
                     f"{peak['baseline'][stage]:,.0f} |")
    o, b = sum(med["ours"].values()), sum(med["baseline"].values())
    lines.append(f"| **total** | **{o:.2f}** | **{b:.2f}** | **{o / b:.2f}×** | {max(peak['ours'].values()):,.0f} | "
                 f"{max(peak['baseline'].values()):,.0f} |")
    lines.append(f"\nOurs: {note} (median of {repeat}; peak = resident memory of this process during the stage).")
    if commands:
        lines += ["", "| whole command, fresh process | wall s | vs baseline | peak MB | vs baseline |", "|---|---:|---:|---:|---:|"]
        geo = str(Path(sys.executable).with_name("geo"))
        variants = [("baseline: `python bench/scale.py --baseline FILE`",
                     [sys.executable, __file__, "--baseline", str(path)], "baseline")]
        for engine in engines:
            extra = [] if engine == "pandas" else ["--engine", engine]
            variants.append((f"`geo aggregate --by {BY}{' --engine ' + engine if extra else ''}`",
                             [geo, "aggregate", "--by", BY, "-i", str(path), "--rejects", str(folder / "rejects.csv"), "--warnings", str(folder / "warnings.csv"), *extra],
                             engine))
        results: dict[str, list[dict]] = {label: [] for label, _, _ in variants}
        for _ in range(repeat):
            for label, args, name in variants:
                res = run_command(args, stdout=folder / f"{name}_{n_rows}.csv", stderr=folder / "stderr.txt")
                if res["code"] != 0:
                    raise SystemExit(f"{label} failed:\n{(folder / 'stderr.txt').read_text()[-2000:]}")
                results[label].append(res)
        base = results[variants[0][0]]
        b_s, b_m = statistics.median(r["seconds"] for r in base), max(r["peak_mb"] for r in base)
        for label, rs in results.items():
            s, m = statistics.median(r["seconds"] for r in rs), max(r["peak_mb"] for r in rs)
            lines.append(f"| {label} | {s:.2f} | {s / b_s:.2f}× | {m:,.0f} | {m / b_m:.2f}× |")
        warnings = (folder / "stderr.txt").read_text(encoding="utf-8").count("\n")
        lines.append(f"\nThe last command wrote {warnings:,} lines to stderr.")
        if profile is not None:  # where the time of the default engine's command goes
            profile.mkdir(parents=True, exist_ok=True)
            out = profile / f"aggregate_{n_rows}.txt"
            subprocess.run([sys.executable, "-m", "pyinstrument", "-o", str(out), "-m", "geo", "aggregate", "--by", BY,
                            "-i", str(path), "--rejects", str(folder / "rejects.csv"), "--warnings", str(folder / "warnings.csv")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            lines.append(f"Profile of `geo aggregate` (pyinstrument): {out}")
    return lines


def bench_help(runs: int = 9) -> str:
    """``geo --help`` in a fresh process: the median wall time of ``runs`` (imports included)."""
    geo = str(Path(sys.executable).with_name("geo"))
    times = [run_command([geo, "--help"])["seconds"] for _ in range(runs)]
    return f"`geo --help`: {statistics.median(times):.3f} s (median of {runs} fresh processes)."


def bench_render(n_rows: int, folder: Path) -> list[str]:
    """A month of ``n_rows`` incidents: render it (fresh process), then open it in Chromium."""
    path = write_incidents(folder / f"month_{n_rows}.csv", n_rows, month="2023-03")
    html = folder / f"month_{n_rows}.html"
    geo = str(Path(sys.executable).with_name("geo"))
    res = run_command([geo, "render", "--month", "2023-03", "-i", str(path), "--out", str(html),
                       "--rejects", str(folder / "rejects.csv"), "--warnings", str(folder / "warnings.csv")], stderr=folder / "render.txt")
    if res["code"] != 0:
        raise SystemExit("geo render failed:\n" + (folder / "render.txt").read_text()[-2000:])
    lines = [f"\n### A month of {n_rows:,} incidents\n", "| | value |", "|---|---:|",
             f"| `geo render --month 2023-03` (fresh process: read, geocode, render, write) | {res['seconds']:.2f} s |",
             f"| its peak RSS | {res['peak_mb']:,.0f} MB |",
             f"| HTML | {html.stat().st_size / 1e6:.2f} MB |"]
    opened = open_in_chromium(html)
    if opened is None:
        lines.append("| opened in Chromium | (chromium or playwright not installed) |")
    else:
        lines.append(f"| opened in headless Chromium: navigation to `load` | {opened['load']:.2f} s |")
        lines.append(f"| … and the points on the map | {opened['drawn']:.2f} s ({opened['markers']:,} markers and clusters) |")
    return lines


def open_in_chromium(html: Path, timeout_s: float = 60) -> dict | None:
    """Seconds Chromium takes to load ``html`` and to have its point markers on the map."""
    import shutil

    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--host-resolver-rules=MAP * ~NOTFOUND"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        started = time.perf_counter()
        page.goto(html.as_uri(), wait_until="load", timeout=timeout_s * 1000)
        load = time.perf_counter() - started
        count = page.wait_for_function(
            "() => { let n = 0; Object.values(window).forEach(v => { if (v instanceof L.Map) "
            "v.eachLayer(l => { if (l instanceof L.CircleMarker || l instanceof L.Marker) n++; }); }); return n; }",
            timeout=timeout_s * 1000).json_value()
        drawn = time.perf_counter() - started
        browser.close()
    return {"load": load, "drawn": drawn, "markers": int(count)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000",
                        help="Comma list of row counts (0 for none).")
    parser.add_argument("--repeat", type=int, default=1, help="Runs of each measurement (the median is shown).")
    parser.add_argument("--no-commands", action="store_true", help="Only the in-process stages.")
    parser.add_argument("--engine", action="append", default=None,
                        help="Engines whose `geo aggregate` command to time (default: pandas); repeatable.")
    parser.add_argument("--render", type=int, default=0, help="Also a month of this many incidents: render and open.")
    parser.add_argument("--keep", type=Path, help="Write the generated files here and keep them.")
    parser.add_argument("--profile", type=Path, help="Also profile each `geo aggregate` command (pyinstrument) into this folder.")
    parser.add_argument("--baseline", type=Path, help=argparse.SUPPRESS)  # the baseline as a command of its own
    args = parser.parse_args(argv)

    if args.baseline is not None:
        table, _ = baseline(args.baseline)
        sys.stdout.write(table.to_csv(index=False))
        return 0
    sizes = [int(float(s)) for s in args.sizes.split(",") if float(s) > 0]
    engines = args.engine or ["pandas"]
    started = time.perf_counter()
    _warm_up()
    print(f"warm-up (imports, gazetteer, boundaries): {time.perf_counter() - started:.1f} s", file=sys.stderr)
    lines = [f"Machine: {platform.machine()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}, "
             f"load average {os.getloadavg()[0]:.1f} at the start.", "", bench_help()]
    with tempfile.TemporaryDirectory(prefix="geo-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for n in sizes:
            lines += bench_size(n, folder, args.repeat, not args.no_commands, engines, args.profile)
            print("\n".join(lines), file=sys.stderr)
        if args.render:
            lines += bench_render(args.render, folder)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
