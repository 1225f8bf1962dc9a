"""At scale, stderr says each reason's first rows and how many more; the side files hold them all."""

from __future__ import annotations

import os

import pandas as pd
from typer.testing import CliRunner

from geo.cli import SHOWN_PER_REASON, app


def test_many_problems_are_counted_per_reason_and_listed_in_full(tmp_path, monkeypatch, boundaries_dir):
    rows = ["incident_id,event_date,actor1,location"]
    rows += [f"B{i},2023-02-30,Taliban,Kabul" for i in range(30)]  # rejected: no such day
    rows += [f"U{i},2023-03-01,Front of Nowhere {i % 3},Kabul" for i in range(25)]  # flagged: unknown actor
    rows += [f"P{i},2023-03-02,Taliban,Zzyzx village {i}" for i in range(15)]  # unplaced
    rows += [f"G{i},2023-03-03,Taliban,Mazar-e-Sharif" for i in range(5)]
    (tmp_path / "many.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["aggregate", "--by", "actor", "-i", "many.csv"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert sum(line.startswith("rejected: many.csv row ") for line in lines) == SHOWN_PER_REASON == 10
    assert sum("is not in the actor table" in line for line in lines) == SHOWN_PER_REASON + 1
    assert "rejected: … and 20 more rows: event_date is not a real date in YYYY-MM-DD form " \
           "(all 30 in many.rejects.csv)" in lines
    assert "warning: … and 15 more rows: actor1 is not in the actor table; kept as written " \
           "(all 25 in many.warnings.csv)" in lines
    assert "warning: … and 5 more rows: location is unmatched (all 15 in many.warnings.csv)" in lines
    assert "read 75 = kept 45 + rejected 30" in lines and "all 40 warnings written to many.warnings.csv" in lines
    rejected = pd.read_csv(tmp_path / "many.rejects.csv")
    warnings = pd.read_csv(tmp_path / "many.warnings.csv")
    assert rejected["row"].tolist() == list(range(2, 32))
    assert warnings["row"].tolist() == list(range(32, 72)) and set(warnings["column"]) == {"actor1", "location"}
    assert (warnings["reason"].str.startswith("is unmatched (no such name in the gazetteer)")).sum() == 15
    # A few problems are each printed as before, and no warnings file is written.
    (tmp_path / "few.csv").write_text("\n".join(rows[:4] + rows[31:34]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["aggregate", "--by", "actor", "-i", "few.csv"])
    assert "…" not in result.stderr and not (tmp_path / "few.warnings.csv").exists()
    assert sum(line.startswith(("rejected: few.csv", "warning: few.csv")) for line in result.stderr.splitlines()) == 6


def test_the_warnings_file_is_named_from_the_input_never_from_rejects(tmp_path, monkeypatch, boundaries_dir):
    # README: `<input>.warnings.csv`, here. Rejects may go to /dev/null or a FIFO (here a FIFO, which
    # is never opened: no row is rejected); a file named after it must not appear beside it.
    data, work = tmp_path / "data", tmp_path / "work"
    data.mkdir(), work.mkdir()
    rows = ["incident_id,event_date,actor1,location"] + [f"U{i},2023-03-01,Front of Nowhere,Kabul" for i in range(12)]
    (data / "w.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    sink = tmp_path / "sink"
    os.mkfifo(sink)
    monkeypatch.chdir(work)
    result = CliRunner().invoke(app, ["incidents", "-i", str(data / "w.csv"), "--rejects", str(sink)])
    assert result.exit_code == 0, result.output
    assert "all 12 warnings written to w.warnings.csv" in result.stderr.splitlines()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "sink", "work"]
    assert sorted(p.name for p in work.iterdir()) == ["w.warnings.csv"]
    assert len(pd.read_csv(work / "w.warnings.csv")) == 12
    # A regular rejects file elsewhere: the warnings still go to <input>.warnings.csv here.
    rows.append("B1,2023-02-30,Taliban,Kabul")
    (data / "w.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["incidents", "-i", str(data / "w.csv"), "--rejects", str(tmp_path / "bad.csv")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "bad.csv").is_file() and not (tmp_path / "bad.warnings.csv").exists()
    assert f"rejected rows and their reasons written to {tmp_path / 'bad.csv'}" in result.stderr.splitlines()
    assert "all 12 warnings written to w.warnings.csv" in result.stderr.splitlines()
    # --warnings names the file.
    chosen = tmp_path / "notes" / "all.csv"
    result = CliRunner().invoke(app, ["incidents", "-i", str(data / "w.csv"), "--warnings", str(chosen)])
    assert result.exit_code == 0 and f"all 12 warnings written to {chosen}" in result.stderr.splitlines()
    assert len(pd.read_csv(chosen)) == 12
