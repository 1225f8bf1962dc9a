"""Where the boundary files are: looked up on every gazetteer call, scanned again only when a
folder changed (a file added, removed or renamed anywhere below the folder searched)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from geo import boundaries
from geo.boundaries import find_boundary_file


def _age(folder: Path, seconds: int = 60) -> None:
    """Date every folder under ``folder`` (itself included) ``seconds`` back."""
    past = time.time() - seconds
    for where, dirs, _ in os.walk(folder):
        os.utime(where, (past, past))


def _file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}", encoding="utf-8")  # named like a boundary file: the lookup reads names only
    return path


def test_files_added_or_removed_after_a_lookup_are_seen(tmp_path):
    old = _file(tmp_path / "cod" / "afg_admbnda_adm2_2018.geojson")
    _age(tmp_path)
    assert find_boundary_file(2, tmp_path) == old
    newer = _file(tmp_path / "cod" / "afg_admbnda_adm2_2023.geojson")  # the newer name wins
    assert find_boundary_file(2, tmp_path) == newer
    newer.unlink()
    assert find_boundary_file(2, tmp_path) == old
    _age(tmp_path)
    deeper = _file(tmp_path / "more" / "inside" / "afg_admbnda_adm2_2030.geojson")  # new folders too
    assert find_boundary_file(2, tmp_path) == deeper
    deeper.rename(deeper.with_name("notes.txt"))
    assert find_boundary_file(2, tmp_path) == old


def test_a_folder_is_not_scanned_again_while_nothing_changes(tmp_path, monkeypatch):
    scans = []
    real = boundaries._scan_now
    monkeypatch.setattr(boundaries, "_scan_now", lambda folder: scans.append(folder) or real(folder))
    adm1 = _file(tmp_path / "afg_admbnda_adm1_2018.geojson")
    adm2 = _file(tmp_path / "afg_admbnda_adm2_2018.geojson")
    # Just written: a folder changed in the last seconds is scanned each time (its clock may be coarse).
    assert [find_boundary_file(2, tmp_path) for _ in range(3)] == [adm2] * 3 and len(scans) == 3
    _age(tmp_path)
    assert [find_boundary_file(level, tmp_path) for level in (1, 2, 1, 2)] == [adm1, adm2, adm1, adm2]
    assert len(scans) == 4  # one more scan, then none
    (tmp_path / "readme.txt").write_text("x", encoding="utf-8")
    assert find_boundary_file(2, tmp_path) == adm2 and len(scans) == 5


def test_the_lookup_through_geo_boundaries_follows_the_variable(tmp_path, monkeypatch):
    one = _file(tmp_path / "one" / "afg_admbnda_adm2_2018.geojson")
    two = _file(tmp_path / "two" / "afg_admbnda_adm2_2019.geojson")
    _age(tmp_path)
    monkeypatch.setenv("GEO_BOUNDARIES", str(tmp_path / "one"))
    assert find_boundary_file(2) == one
    monkeypatch.setenv("GEO_BOUNDARIES", str(tmp_path / "two"))
    assert find_boundary_file(2) == two
