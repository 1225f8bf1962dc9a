"""A newcomer's first hour (issue 14): what following the README exactly ran into.

Each test names the defect it holds fixed; the visual ones are in tests/test_browser.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from geo.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


# --- 1. a relative GEO_BOUNDARIES ----------------------------------------------------------------


def test_a_relative_geo_boundaries_is_read_from_where_it_was_given(boundaries_dir, tmp_path, monkeypatch):
    from geo import boundaries

    # As the README has it: relative to the folder geo was started in, then the process moves.
    monkeypatch.setenv("GEO_BOUNDARIES", os.path.relpath(boundaries_dir, boundaries._LAUNCH_DIR))
    monkeypatch.chdir(tmp_path)
    assert Path(boundaries_dir).resolve() in boundaries.find_boundary_file(2).resolve().parents


def test_a_wrong_relative_geo_boundaries_names_the_folder_searched(boundaries_dir, tmp_path, monkeypatch):
    from geo import boundaries

    monkeypatch.setenv("GEO_BOUNDARIES", "no/such/boundaries")
    monkeypatch.chdir(tmp_path)
    result = run("incidents")
    assert result.exit_code == 1
    line = result.stderr.strip().splitlines()[-1]
    searched = os.path.normpath(boundaries._LAUNCH_DIR / "no" / "such" / "boundaries")
    assert f"found in {searched} (from $GEO_BOUNDARIES=no/such/boundaries, relative to {boundaries._LAUNCH_DIR}" in line
    assert "export GEO_BOUNDARIES=$PWD/../shared/boundaries" in line
