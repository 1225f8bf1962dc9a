"""`geo --help` answers at once: the heavy libraries load only when a command needs them."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "pyarrow", "geopandas", "shapely", "pandera", "offlinefolium", "folium", "rich", "dask")


def _imported_by(code: str) -> set[str]:
    """Top-level packages a fresh interpreter has imported after running ``code``."""
    done = subprocess.run(  # the modules go to stderr: help text on stdout names some of them
        [sys.executable, "-c", f"{code}\nimport sys; print(*sorted({{m.split('.')[0] for m in sys.modules}}), "
                               "file=sys.stderr)"],
        capture_output=True, text=True, check=True,
    )
    assert "typer" in done.stderr.split() or "geo" in done.stderr.split()
    return set(done.stderr.split())


@pytest.mark.parametrize("args", [[], ["render"], ["aggregate"], ["boundaries"]])
def test_help_imports_nothing_heavy(args):
    code = ("import sys\nfrom geo.cli import app\n"
            f"try:\n    app({[*args, '--help']!r})\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code")
    assert not _imported_by(code) & set(HEAVY)


def test_import_geo_is_light_and_every_public_name_resolves():
    assert not _imported_by("import geo") & set(HEAVY)
    import geo

    for name in geo.__all__:
        assert getattr(geo, name) is not None, name
    assert set(dir(geo)) >= set(geo.__all__)
    with pytest.raises(AttributeError):
        geo.no_such_name  # noqa: B018
    # Submodules are attributes too, as when `import geo` loaded them all.
    subprocess.run([sys.executable, "-c", "import geo; assert callable(geo.incidents.to_schema); "
                                          "assert geo.spatial.__name__ == 'geo.spatial'"], check=True)


def test_functions_keep_their_names_when_their_modules_load():
    # `geo.aggregate` and `geo.geocode` are both modules and functions: the function wins, as
    # with the eager imports, whichever is imported first.
    code = ("import geo.aggregate, geo.geocode, geo\n"
            "assert callable(geo.aggregate) and geo.aggregate.__module__ == 'geo.aggregate'\n"
            "assert geo.geocode.__module__ == 'geo.geocode' and not hasattr(geo.geocode, '__path__')\n"
            "from geo.aggregate import KEYS; assert 'actor' in KEYS")
    subprocess.run([sys.executable, "-c", code], check=True)
