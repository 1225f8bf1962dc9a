"""A newcomer's first hour (issue 14): what following the README exactly ran into.

Each test names the defect it holds fixed; the visual ones are in tests/test_browser.py.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


# --- 1. a relative GEO_BOUNDARIES ----------------------------------------------------------------


def _geo(*args: str, cwd: Path, boundaries: str) -> subprocess.CompletedProcess:
    """The real CLI, started in ``cwd`` with ``$GEO_BOUNDARIES`` as given."""
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "GEO_BOUNDARIES": boundaries})


def test_a_relative_geo_boundaries_is_read_from_the_folder_geo_runs_in(boundaries_dir, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = _geo("incidents", "--month", "2023-04", cwd=elsewhere,
                  boundaries=os.path.relpath(boundaries_dir, elsewhere))
    assert result.returncode == 0, result.stderr
    assert sorted(pd.read_csv(io.StringIO(result.stdout))["admin2_pcode"]) == ["AF2102", "AF3401"]


def test_a_wrong_relative_geo_boundaries_names_the_absolute_folder_searched(boundaries_dir, tmp_path):
    result = _geo("incidents", cwd=tmp_path, boundaries="no/such/boundaries")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert f"found in {tmp_path / 'no' / 'such' / 'boundaries'} (from $GEO_BOUNDARIES=no/such/boundaries, " \
           "relative to the current folder)" in line
    assert "export GEO_BOUNDARIES=$PWD/../shared/boundaries" in line


def test_a_relative_geo_boundaries_follows_the_current_folder_in_python(boundaries_dir, tmp_path):
    # Normal relative-path semantics: the folder current at the call, whenever geo was imported.
    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / "bnd").symlink_to(boundaries_dir, target_is_directory=True)  # tmp_path has no bnd
    code = ("import os, geo.boundaries as b\n"
            f"os.chdir({str(moved)!r})\n"
            "os.environ['GEO_BOUNDARIES'] = 'bnd'\n"
            "print(len(b.load_admin(1)), b.find_boundary_file(2))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    count, found = done.stdout.split()
    assert count == "34" and moved / "bnd" in Path(found).parents


def test_ci_runs_the_readme_as_written_and_deletes_no_virtual_environment():
    # CI starts from a clean clone; run locally, `rm -rf .venv` would delete the developer's own.
    script = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.split("#")[0] for line in script.splitlines()]
    assert not [c for c in commands if re.search(r"\brm\b.*\.venv", c)]
    assert 'readme_block "## Set up and draw the March 2023 map"' in script and 'eval "$setup"' in script


# --- 9. options are checked before any work --------------------------------------------------------


@pytest.mark.parametrize("args, text", [
    (["incidents", "--format", "xml"], "Unknown format 'xml'"),
    (["incidents", "--format", "gpkg"], "--format gpkg writes a file: give its path with --out"),
    (["aggregate", "--by", "province"], "Unknown aggregation key"),
    (["aggregate", "--by", "actor", "--format", "geojson"], "add adm1 or adm2 to --by"),
])
def test_bad_options_fail_before_any_input_is_read(args, text):
    # The input does not exist: had the command read it first, that would be the error.
    result = run(*args, "-i", "/no/such/incidents.csv")
    assert result.exit_code == 2 and text in " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())
    assert "/no/such/incidents.csv" not in result.output and "read " not in result.output


# --- 10. a PNG is readable like every other output ------------------------------------------------


def test_png_gets_the_mode_of_every_other_output(tmp_path, boundaries_dir, monkeypatch):
    # A stand-in browser that writes a PNG where --screenshot= says: the mode is geo's doing.
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\nfor a in \"$@\"; do case $a in --screenshot=*) "
                    "printf '\\211PNG\\r\\n\\032\\n' > \"${a#--screenshot=}\";; esac; done\n")
    fake.chmod(0o755)
    monkeypatch.setenv("GEO_CHROMIUM", str(fake))
    html, png = tmp_path / "m.html", tmp_path / "m.png"
    result = run("render", "--month", "2023-04", "--out", str(html), "--png", str(png))
    assert result.exit_code == 0, result.output
    assert png.read_bytes().startswith(b"\x89PNG")
    assert png.stat().st_mode & 0o777 == html.stat().st_mode & 0o777 == 0o666 & ~_umask()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake-chromium", "m.html", "m.png"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- 11. sources are publications ----------------------------------------------------------------


def test_the_sample_set_names_its_publications_not_article_files(boundaries_dir, tmp_path):
    import io

    import pandas as pd

    result = run("incidents")
    sources = pd.read_csv(io.StringIO(result.stdout), dtype=str)["source"]
    assert set(sources) == {"Kabul Now", "Sputnik", "Kabul Now; Sputnik"}
    out = tmp_path / "m.html"
    assert run("render", "--month", "2023-03", "--out", str(out)).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert "Sources\\u003c/th\\u003e\\u003ctd\\u003eKabul Now; Sputnik\\u003c/td\\u003e" in html  # in the popup data
    assert "000_8325e2d66f731f35" not in html


# --- 12. the military airport is the airfield ------------------------------------------------------


def test_kabul_military_airport_is_placed_at_the_airfield(boundaries_dir):
    import geo

    match = geo.resolve_place("Kabul military airport")
    entry = match.entry
    assert match.status == "matched" and entry["admin2_pcode"] == "AF0101" and int(entry["geo_precision"]) == 1
    assert (round(entry["latitude"], 4), round(entry["longitude"], 4)) == (34.5659, 69.2123)
    city = geo.resolve_place("Kabul").entry
    assert (entry["latitude"], entry["longitude"]) != (city["latitude"], city["longitude"])
    sample = geo.load_incidents().set_index("incident_id")
    assert sample.loc["AFG-SEED-002", ["latitude", "longitude"]].round(4).tolist() == [34.5659, 69.2123]


# --- 14. an unresolved row has no precision --------------------------------------------------------


def test_an_unresolved_row_has_no_geo_precision(write_csv, boundaries_dir):
    import io

    import pandas as pd

    path = write_csv("location,latitude,longitude\nParis,48.85,2.35\nSwapped,69.2,34.5\nKabul,34.5,69.2\nAtlantis,,\n")
    result = run("geocode", str(path))
    table = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    assert table["match_status"].tolist() == ["unresolved", "unresolved", "matched", "unresolved"]
    assert table["geo_precision"].tolist() == ["", "", "1", ""]


# --- 8. --help reads as prose ----------------------------------------------------------------------

COMMANDS = [["incidents"], ["aggregate"], ["render"], ["extract"], ["geocode"], ["boundaries"],
            ["boundaries", "fetch"], ["boundaries", "list"], ["boundaries", "info"], ["boundaries", "add"],
            ["boundaries", "check"], []]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "geo")
def test_help_shows_words_not_python_types(command):
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "300"})
    assert result.exit_code == 0
    for python in ("<str>", "<bool>", "<int>", "<path>", "<file>", "<list[", "{path", "{article", "{query"):
        assert python not in result.stdout, f"{python} in geo {' '.join(command)} --help"


def test_every_option_and_argument_declares_the_word_help_shows():
    # Declared where the option is, not patched into typer's objects at run time (which broke on
    # typer upgrades): every parameter that takes a value names it.
    import typer.main

    def commands(group):
        for command in group.commands.values():
            yield from commands(command) if hasattr(command, "commands") else [command]

    missing = [f"{command.name} {param.name}" for command in commands(typer.main.get_command(app))
               for param in command.params if not getattr(param, "is_flag", False) and not param.metavar]
    assert missing == []


@pytest.mark.parametrize("columns", [80, 120])
def test_render_help_fits_the_terminal(columns):
    text = _help("render", columns=columns)
    assert max(len(line) for line in text.splitlines()) <= columns
    assert "  -o, --out FILE " in text and "  --population FILE " in text and "  --cluster / --no-cluster " in text


def _help(*command: str, columns: int) -> str:
    """``geo COMMAND --help`` as a terminal this wide shows it (the test runner would force 80 columns)."""
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "geo", *command, "--help"], capture_output=True, text=True, check=True,
                          env={**os.environ, "COLUMNS": str(columns)}).stdout


def test_help_paragraphs_are_not_broken_mid_sentence():
    lines = [line.strip(" │") for line in _help("geocode", columns=300).splitlines()]
    assert "Adds latitude, longitude, admin1, admin1_pcode, admin2, admin2_pcode, geo_precision, match_name, " \
           "match_score, match_status and match_note." in lines
    assert any(line.strip().startswith("Layers, each toggleable:") and "one point layer per actor" in line
               for line in _help("render", columns=300).splitlines())


# --- 2 and 3. default names follow the options; titles keep the month and show filters ------------


def test_maps_made_with_other_options_get_their_own_files(tmp_path, boundaries_dir, monkeypatch, write_csv):
    monkeypatch.chdir(tmp_path)
    drafts = write_csv("incident_id,event_date,actor1,location\nD1,2023-03-02,Taliban,Zaranj\n", name="drafts.csv")
    runs = [[], ["--actor", "Daesh"], ["--incidents", str(drafts)], ["--metric", "fatalities", "--title", "Deaths"],
            ["--level", "adm2"]]
    written = [run("render", "--month", "2023-03", *args).stdout.strip().splitlines()[-1] for args in runs]
    assert written == ["maps/2023-03.html", "maps/2023-03_iskp.html", "maps/2023-03_drafts.html",
                       "maps/2023-03_fatalities_deaths.html", "maps/2023-03_adm2.html"]
    assert run("render", "--compare", "2023-02", "2023-03").stdout.strip().splitlines()[-1] == \
        "maps/2023-02_vs_2023-03.html"


@pytest.mark.parametrize("options, name", [
    ({}, "2023-03"),
    ({"title": "Deaths by district"}, "2023-03_deaths-by-district"),
    ({"title": "Deaths (ISKP)"}, "2023-03_deaths-iskp"),  # a title is not an actor: no acronym
    ({"tiles": "OpenTopoMap"}, "2023-03_tiles-opentopomap"),
    ({"tiles": "none"}, "2023-03"),
    ({"cluster": True}, "2023-03_cluster"),
    ({"cluster": False}, "2023-03_nocluster"),
    ({"cdn": True}, "2023-03_cdn"),
    ({"per": 100000, "population": Path("pop.csv")}, "2023-03_per100000_pop"),
    ({"per": 100000, "population": Path("data/pop 2024.csv")}, "2023-03_per100000_pop-2024"),
])
def test_the_default_name_follows_every_option_that_changes_the_map(options, name):
    from geo.cli import _default_name

    options = {"per": None, **options}
    assert _default_name(["2023-03"], None, None, [], "incidents", "all", **options) == name


def test_maps_differing_in_title_tiles_clustering_assets_or_population_are_not_overwritten(
        tmp_path, boundaries_dir, monkeypatch, write_csv):
    monkeypatch.chdir(tmp_path)
    write_csv("pcode,population\nAF21,1500000\n", name="pop.csv")
    write_csv("pcode,population\nAF21,3000000\n", name="pop2.csv")
    same = ["--title", "Deaths", "--tiles", "OpenTopoMap", "--cluster", "--cdn", "--per", "1000"]
    written = [run("render", "--month", "2023-04", *same, "--population", pop).stdout.strip().splitlines()[-1]
               for pop in ("pop.csv", "pop2.csv")]
    assert written == ["maps/2023-04_per1000_pop_deaths_tiles-opentopomap_cluster_cdn.html",
                       "maps/2023-04_per1000_pop2_deaths_tiles-opentopomap_cluster_cdn.html"]
    assert all((tmp_path / name).is_file() for name in written)


def test_a_custom_title_keeps_the_month_and_the_actor_filter_is_shown(tmp_path, boundaries_dir):
    out = tmp_path / "m.html"
    assert run("render", "--month", "2023-03", "--actor", "Daesh", "--title", "Daesh", "--out", str(out)).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert "<h1>Daesh</h1><div data-geo-step=\"0\">March 2023: 4 incidents, 10 reported fatalities</div>" in html
    assert html.count("Only incidents involving Islamic State Khorasan Province (ISKP)") == 2  # title box and legend
