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

# Tests and CI read the real files beside the checkout unless the caller points elsewhere.
os.environ.setdefault("GEO_BOUNDARIES", str(SHARED_BOUNDARIES))


@pytest.fixture(scope="session")
def boundaries_dir() -> Path:
    path = Path(os.environ["GEO_BOUNDARIES"])
    assert any(path.rglob("*adm2*.zip")), f"the COD-AB files are expected in {path}"
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
