"""Shared fixtures: the real COD-AB boundaries from ../shared/boundaries, read in place."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_BOUNDARIES = (REPO.parent / "shared" / "boundaries").resolve()

# Tests and CI read the real files beside the checkout unless the caller points elsewhere. A
# relative path (the README's `export GEO_BOUNDARIES=../shared/boundaries`) is made absolute here,
# where it was given, so tests that change folder or start a process elsewhere still find it.
_given = os.environ.get("GEO_BOUNDARIES", "").strip()
os.environ["GEO_BOUNDARIES"] = str(Path(_given).expanduser().resolve()) if _given else str(SHARED_BOUNDARIES)


@pytest.fixture(scope="session")
def boundaries_dir() -> Path:
    from geo.boundaries import find_boundary_file

    # Any publisher's files will do (COD-AB zips, geoBoundaries, GADM): the suite runs on each.
    path = Path(os.environ["GEO_BOUNDARIES"])
    assert find_boundary_file(2, path).is_file(), f"admin boundaries are expected in {path}"
    return path


@pytest.fixture()
def write_csv(tmp_path):
    """Write text to a CSV in tmp_path and return its path."""

    def write(text: str, name: str = "incidents.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


# Parsed and simplified boundaries are cached on disk: tests use a fresh folder per session,
# never the user's cache.
if not os.environ.get("GEO_CACHE"):
    os.environ["GEO_CACHE"] = tempfile.mkdtemp(prefix="geo-test-cache-")
    atexit.register(shutil.rmtree, os.environ["GEO_CACHE"], True)


# Property-based tests: bounded and reproducible in CI (fixed seed via derandomize).
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "geo", max_examples=150, derandomize=True, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("geo")
