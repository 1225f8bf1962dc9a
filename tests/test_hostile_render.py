"""Hostile text in incident files and options never runs as a template when a map is built.

branca parses some rendered output as a Jinja2 template a second time, so text that reached the
page with its braces intact used to run (``{{ ... }}``) or crash the render (``{#``). These
files are generated at run time from the sample set with payloads in every free-text column.
"""

from __future__ import annotations

import csv
import io
import re
from importlib.resources import files

import pytest
from typer.testing import CliRunner

from geo.cli import app

runner = CliRunner()

#: Quote-free, so HTML escaping alone does not defuse it: it runs ``$GEO_PWN`` in a shell if
#: it is ever evaluated as a template.
EXEC = "{{ lipsum.__globals__.os.popen(lipsum.__globals__.os.environ.GEO_PWN).read() }}"
ARITH = "{{ 7*191919 }}"  # would print 1343433
PAYLOADS = [EXEC, ARITH, "{# unclosed comment", "{% if %}", "{{- x", "{%- raw %}",
            "}}{{", "</script><img src=x onerror=alert(1)>", "a\u2028b`${x}`\\"]
TEXT_COLUMNS = ["incident_id", "actor1", "actor2", "location", "notes", "source", "source_url"]


def _hostile_csv(path, column_values: dict[str, str] | None = None) -> None:
    rows = list(csv.DictReader(io.StringIO((files("geo") / "data" / "sample_incidents.csv").read_text("utf-8"))))
    march = [r for r in rows if r["event_date"].startswith(("2023-03", "2023-04"))]
    for i, row in enumerate(march):
        payload = PAYLOADS[i % len(PAYLOADS)]
        row["notes"] = f"{EXEC} {payload}"
        row["source"] = f"{payload}; Kabul Now"
        row["source_url"] = f"https://example.org/?q={ARITH}"
        row["incident_id"] = f"{row['incident_id']}{payload}"
    # An actor's name becomes a layer name in folium's layer control (folium's own template).
    march[0]["actor2"] = f"{ARITH} Front"
    # A place as reported, drawn because its coordinates are given (Mazar-e-Sharif).
    march[1]["location"] = f"{EXEC} {ARITH}"
    march[1]["latitude"], march[1]["longitude"] = "36.709", "67.110"
    for key, value in (column_values or {}).items():
        march[2][key] = value
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(march)


def _assert_inert(html: str, marker) -> None:
    assert not marker.exists(), "a payload ran a shell command"
    assert "1343433" not in html, "a payload was evaluated"
    for raw in (EXEC, ARITH, "{# unclosed", "{% if %}", "</script><img"):
        assert raw not in html, f"{raw!r} reached the page unescaped"
    # The text is still there for the reader, escaped (HTML entities, or \u escapes in JSON).
    assert "&#123;&#123; 7*191919 &#125;&#125;" in html


@pytest.mark.parametrize("mode", [
    ["--month", "2023-03"],
    ["--from", "2023-03", "--to", "2023-04"],
    ["--month", "2023-03", "--cluster"],
    ["--month", "2023-03", "--level", "adm2", "--tiles", "openstreetmap"],
], ids=["month", "range", "cluster", "districts-tiles"])
def test_payloads_in_every_text_column_and_the_title_are_inert(tmp_path, boundaries_dir, monkeypatch, mode):
    marker = tmp_path / "pwned"
    monkeypatch.setenv("GEO_PWN", f"touch {marker}")
    src = tmp_path / "hostile.csv"
    _hostile_csv(src)
    out = tmp_path / "map.html"
    result = runner.invoke(app, ["render", *mode, "--incidents", str(src), "--out", str(out),
                                 "--title", f"Title {EXEC} {ARITH} {{#"])
    assert result.exit_code == 0, result.output
    assert result.exception is None
    counts = re.search(r"read (\d+) = kept (\d+) \+ rejected (\d+)", result.stderr)
    assert counts and int(counts[1]) == int(counts[2]) + int(counts[3]) and int(counts[3]) == 0
    html = out.read_text(encoding="utf-8")
    _assert_inert(html, marker)
    assert "Title &#123;&#123;" in html  # the title box shows the title as written
    assert "&#123;&#123; 7*191919 &#125;&#125; Front" in html  # the actor's layer name


def test_payload_map_written_to_stdout_is_inert(tmp_path, boundaries_dir, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.setenv("GEO_PWN", f"touch {marker}")
    src = tmp_path / "hostile.csv"
    _hostile_csv(src)
    result = runner.invoke(app, ["render", "--month", "2023-03", "--incidents", str(src), "--out", "-",
                                 "--title", EXEC])
    assert result.exit_code == 0, result.output
    assert result.stdout.lstrip().startswith("<!DOCTYPE html>")
    _assert_inert(result.stdout, marker)


@pytest.mark.parametrize("column", TEXT_COLUMNS)
@pytest.mark.parametrize("payload", ["{#", "{{", "{%", "{{ 7*191919 }}"])
def test_each_column_alone_cannot_break_the_render(tmp_path, boundaries_dir, column, payload):
    # One opening brace pair in one cell used to end the command with TemplateSyntaxError.
    src = tmp_path / "one.csv"
    rows = list(csv.DictReader(io.StringIO((files("geo") / "data" / "sample_incidents.csv").read_text("utf-8"))))
    row = next(r for r in rows if r["event_date"].startswith("2023-03") and r["location"].startswith("Mazar"))
    row[column] = f"x {payload} y" if column != "location" else f"Mazar-e-Sharif {payload}"
    if column == "location":
        row["latitude"], row["longitude"] = "36.709", "67.110"
    with open(src, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerow(row)
    out = tmp_path / "m.html"
    result = runner.invoke(app, ["render", "--month", "2023-03", "--incidents", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "1343433" not in html
    assert f"x {payload} y" not in html and "&#123;" in html
