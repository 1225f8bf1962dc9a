"""Benchmark: what neutralising spreadsheet formulas adds to writing a CSV.

Every CSV ``geo`` writes goes through ``geo._formats.csv_text``, which quotes text cells that
a spreadsheet would run as formulas (see docs/SECURITY.md). This measures that step against
``DataFrame.to_csv`` of the same table, in the same process: a ``geo geocode`` output of
1,000,000 rows (12 columns, 9 of them text), once with no risky cell and once with a sixth
of the locations starting with ``=`` (each of those then needs a quote)::

    python bench/bench_csv_formulas.py [--rows N]

CPU time is ``time.process_time()``, the median of 3 runs.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from geo._formats import neutralise_formulas


def geocode_output(rows: int, risky: bool) -> pd.DataFrame:
    """A table shaped like ``geo geocode``'s output."""
    names = ["Kabul", "Mazar-e-Sharif", "Nahr-e-Shahi", "Jani Khel", "Zaranj", "=HYPERLINK(\"x\")" if risky else "Herat"]
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "location": np.array(names)[rng.integers(0, len(names), rows)], "latitude": rng.random(rows) * 9 + 29,
        "longitude": rng.random(rows) * 14 + 60, "admin1": "Kabul", "admin1_pcode": "AF01", "admin2": "Kabul",
        "admin2_pcode": "AF0101", "geo_precision": 1, "match_name": "Kabul", "match_score": 100.0,
        "match_status": "matched", "match_note": "Kabul (place, exact)",
    })


def cpu(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"| {args.rows:,} rows | to_csv CPU s | neutralise CPU s | ratio |")
    print("|---|---:|---:|---:|")
    for risky in (False, True):
        table = geocode_output(args.rows, risky)
        write = cpu(lambda: table.to_csv(index=False, lineterminator="\n"))
        check = cpu(lambda: neutralise_formulas(table))
        label = "a sixth of the locations start with =" if risky else "no risky cell"
        print(f"| {label} | {write:.2f} | {check:.2f} | {check / write:.3f} |")


if __name__ == "__main__":
    main()
