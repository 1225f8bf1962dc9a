"""Benchmark: ``geo geocode`` on 1,000,000 rows naming about 2,000 distinct places.

Run from a checkout, with the boundaries where the tests find them::

    GEO_BOUNDARIES=../shared/boundaries .venv/bin/python bench/geocode_bench.py [--rows 1000000]

It generates the rows at run time from the installed gazetteer (names as the gazetteer lists
them, respelled by the evaluation's romanisation rules, with a province for a third of the
rows, and some names no gazetteer knows), then times, in this one process:

- the baseline: resolving row by row (``resolve_place`` for every row), on a sample, as rows/s;
- ``geocode_places`` on all rows: one resolution per distinct (place, province), joined back;
- the command itself, ``geo geocode IN.csv -o OUT.csv``, in a fresh process: read, geocode,
  write, every row out in order (checked).

and prints a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from geo.eval import LATIN_RULES, _variants
from geo.gazetteer import gazetteer
from geo.geocode import geocode_places, resolve_place


def spellings(n_places: int, seed: int) -> list[str]:
    """About ``n_places`` distinct place spellings: gazetteer names, respellings, unknowns."""
    gaz = gazetteer()
    latin = gaz[gaz["variant"].str.isascii()]["variant"].drop_duplicates()
    dari = gaz[~gaz["variant"].str.isascii() & (gaz["rank"] == 0)]["variant"].drop_duplicates()
    rng = np.random.default_rng(seed)
    names = list(rng.choice(latin.to_numpy(), n_places // 2, replace=False))
    names += list(rng.choice(dari.to_numpy(), n_places // 10, replace=False))
    for name in rng.choice(latin.to_numpy(), n_places // 2, replace=False):
        names += [v for _, v in _variants(str(name), LATIN_RULES, {}, str(name), 1, 0)]
    unknown = [f"Unknown village {i}" for i in range(n_places // 50)]
    return list(dict.fromkeys(names))[: n_places - len(unknown)] + unknown


def make_rows(n_rows: int, names: list[str], seed: int) -> pd.DataFrame:
    """``n_rows`` rows naming ``names`` (Zipf-like: a few places named often), a third with a province."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, len(names) + 1)
    location = rng.choice(np.array(names, dtype=object), n_rows, p=weights / weights.sum())
    provinces = np.array(["", "", "", "", "Balkh", "Kandahar", "Helmand", "Paktia", "Kabul", "Nangarhar"], dtype=object)
    admin1 = rng.choice(provinces, n_rows)
    return pd.DataFrame({"id": np.arange(n_rows).astype(str), "location": location, "admin1": admin1})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--places", type=int, default=2000)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    started = time.perf_counter()
    gazetteer()
    t_gaz = time.perf_counter() - started
    names = spellings(args.places, args.seed)
    frame = make_rows(args.rows, names, args.seed)
    distinct = frame[["location", "admin1"]].drop_duplicates().shape[0]
    print(f"{args.rows:,} rows, {frame['location'].nunique():,} distinct places, {distinct:,} distinct (place, province)",
          file=sys.stderr)

    # Warm up the resolver's indexes so that both ways start equal.
    geocode_places(frame.head(100))

    # Baseline: row by row, on a sample (the whole would take minutes).
    sample = frame.head(args.baseline_rows)
    t0 = time.perf_counter()
    for loc, hint in zip(sample["location"], sample["admin1"]):
        resolve_place(loc, hint or None)
    per_row_rate = len(sample) / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    out = geocode_places(frame)
    t_unique = time.perf_counter() - t0
    assert len(out) == len(frame) and out["id"].equals(frame["id"])
    per_place_rate = len(frame) / t_unique

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        frame.to_csv(src, index=False)
        geo = Path(sys.executable).with_name("geo")
        t0 = time.perf_counter()
        done = subprocess.run([str(geo), "geocode", str(src), "-o", str(dst)], capture_output=True, text=True,
                              env=os.environ.copy())
        t_cli = time.perf_counter() - t0
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        back = pd.read_csv(dst, dtype=str, keep_default_na=False)
        assert len(back) == len(frame) and back["id"].equals(frame["id"]), "rows lost or reordered"
        summary = done.stderr.strip().splitlines()[-1]
        size_mb = src.stat().st_size / 1e6

    statuses = out["match_status"].value_counts().to_dict()
    print(f"| {args.rows:,} rows ({size_mb:.0f} MB), {frame['location'].nunique():,} places, "
          f"{distinct:,} (place, province) pairs | |")
    print("|---|---|")
    print(f"| gazetteer build (once per process) | {t_gaz:.1f} s |")
    print(f"| baseline: row by row (`resolve_place`), {len(sample):,}-row sample | {per_row_rate:,.0f} rows/s "
          f"(1,000,000 rows: {1e6 / per_row_rate:.0f} s) |")
    print(f"| per distinct place (`geocode_places`), all rows in memory | {t_unique:.2f} s = {per_place_rate:,.0f} rows/s |")
    print(f"| speed-up, same process | **{per_place_rate / per_row_rate:.0f}x** |")
    print(f"| `geo geocode IN.csv -o OUT.csv`, fresh process: read, geocode, write | {t_cli:.1f} s |")
    print(f"| statuses | {', '.join(f'{k} {v:,}' for k, v in sorted(statuses.items()))} |")
    print(f"\ncommand's own summary: {summary}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
