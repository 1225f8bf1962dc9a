"""The rendered map, opened in headless Chromium with every host unresolvable."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from geo.cli import app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"),
]


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    return subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing may come from the network
            f"--user-data-dir={profile}", "--window-size=1400,900", "--virtual-time-budget=8000", *args,
        ],
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module")
def march_map(tmp_path_factory, boundaries_dir):
    out = tmp_path_factory.mktemp("browser") / "2023-03.html"
    result = CliRunner().invoke(app, ["render", "--month", "2023-03", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_map_draws_its_layers_with_no_network(march_map, tmp_path):
    dom = chromium(tmp_path, "--dump-dom", march_map.as_uri()).stdout
    # Leaflet ran: the layer control lists both choropleths and one layer per actor.
    control = re.search(r'class="leaflet-control-layers-overlays">(.*?)</section>', dom, re.S)
    assert control, "the layer control was not drawn"
    text = re.sub(r"<[^>]+>", " ", control.group(1))
    for name in ("Provinces: incidents", "Districts: incidents", "Taliban",
                 "Islamic State Khorasan Province (ISKP)", "Civilians (Afghanistan)"):
        assert name in text
    # 34 province polygons (districts are off until ticked) and one marker per actor and place:
    # ISKP in Mazar-e-Sharif and Kabul, Taliban in Mazar-e-Sharif, civilians in Kabul.
    assert dom.count('class="leaflet-interactive"') == 34 + 4
    assert "geo-legend" in dom and "Conflict incidents in Afghanistan, March 2023" in dom


def test_screenshot_is_a_drawn_map(march_map, tmp_path):
    png = tmp_path / "map.png"
    chromium(tmp_path, f"--screenshot={png}", march_map.as_uri())
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 40_000  # a blank page of this size compresses to a few kB
