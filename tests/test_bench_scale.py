"""The scale benchmark runs at its smallest sizes in the suite, so it cannot rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import scale  # noqa: E402


def test_synthetic_incidents_are_valid_realistic_rows():
    frame = scale.make_incidents(2000, seed=3)
    assert len(frame) == 2000 and frame["incident_id"].is_unique
    assert set(frame["event_date"].str[:7]) == set(scale.MONTHS)
    assert 0.85 < (frame["latitude"] != "").mean() < 0.95  # most rows carry coordinates, some only a name
    assert frame["location"].nunique() > 300 and frame["location"].value_counts().iloc[0] > 50  # Zipf-like
    march = scale.make_incidents(500, month="2023-03")
    assert set(march["event_date"].str[:7]) == {"2023-03"}


def test_benchmark_runs_end_to_end(tmp_path):
    here = tmp_path / "cwd"
    here.mkdir()
    done = subprocess.run([sys.executable, str(REPO / "bench" / "scale.py"), "--sizes", "1000", "--render", "1000",
                           "--keep", str(tmp_path)], capture_output=True, text=True, timeout=600, cwd=here)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not list(here.iterdir())  # side files (warnings, rejects) go to the benchmark's folder
    out = done.stdout
    for row in ("| read (ours: + validate) |", "| **total** |", "`geo aggregate --by month,actor,adm2`",
                "baseline: `python bench/scale.py --baseline FILE`", "### A month of 1,000 incidents", "| HTML |"):
        assert row in out, row
    assert "read 1000 = kept " in out and "`geo --help`: " in out
    # The commands wrote real tables: every month, real district codes; ours counts fewer
    # incidents (rows rejected, places unresolved) but not many fewer.
    baseline = pd.read_csv(tmp_path / "baseline_1000.csv")
    ours = pd.read_csv(tmp_path / "pandas_1000.csv")
    for table in (baseline, ours):
        assert table["month"].nunique() == 12 and table["admin2_pcode"].dropna().str.match(r"^AF\d{4}$").all()
    assert 0.8 * baseline["incidents"].sum() < ours["incidents"].sum() <= 1.1 * baseline["incidents"].sum()


def test_benchmark_leaves_no_side_files_where_it_runs(tmp_path):
    # 50,000 rows carry enough warnings (unknown actors, unplaced names) for the commands to
    # write every one of them to a side file: it belongs with the benchmark's files.
    done = subprocess.run([sys.executable, str(REPO / "bench" / "scale.py"), "--sizes", "50000", "--repeat", "1"],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "The last command wrote" in done.stdout
    assert not list(tmp_path.iterdir())
