"""Downloads of admin boundaries through each publisher's documented API, with ``pooch``.

* COD-AB: HDX's CKAN action API, ``{HDX}/api/3/action/package_show?id=cod-ab-{iso3}``, lists the
  dataset's resources (file name, URL, format, size, sometimes a hash), its licence and date.
* geoBoundaries: ``{GB}/api/current/gbOpen/{ISO3}/ADM{n}/`` describes one level
  (``gjDownloadURL``, ``boundaryLicense``, ``boundaryYearRepresented``, ``admUnitCount``).
* GADM: versioned download paths, ``{GADM}/gadm4.1/json/gadm41_{ISO3}_{n}.json``.

Each base URL can be pointed elsewhere (a mirror, or a test server on 127.0.0.1) with an
environment variable: ``GEO_HDX_URL``, ``GEO_GEOBOUNDARIES_URL``, ``GEO_GADM_URL``.

pooch streams each file to a temporary name in the destination folder, checks its hash and
only then renames it: an interrupted or corrupted download never becomes a cache entry, and a
rerun starts it again. Transient failures are retried by pooch (``GEO_FETCH_RETRIES``, default 2).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pooch
import requests

from geo._errors import GeoError
from geo._schemas import DEFAULT_LICENCE, GADM_RELEASED, GADM_VERSION, LABELS

#: Publisher -> (environment variable overriding its base URL, default base URL).
BASE_URLS = {
    "cod-ab": ("GEO_HDX_URL", "https://data.humdata.org"),
    "geoboundaries": ("GEO_GEOBOUNDARIES_URL", "https://www.geoboundaries.org"),
    "gadm": ("GEO_GADM_URL", "https://geodata.ucdavis.edu/gadm"),
}
#: Who answers for each publisher (OCHA publishes COD-AB on HDX).
HOSTS = {"cod-ab": "HDX", "geoboundaries": "geoBoundaries", "gadm": "GADM"}
TIMEOUT_ENV, RETRIES_ENV = "GEO_HTTP_TIMEOUT", "GEO_FETCH_RETRIES"
#: Set to anything but 0 to forbid every network access (downloads, APIs, online geocoding).
OFFLINE_ENV = "GEO_OFFLINE"
#: Formats read through pyogrio, best first, as HDX names them or as file names end.
_FORMATS = {"shp": 0, "zipped shapefile": 0, "geopackage": 1, "gpkg": 1, "geojson": 2, "geoparquet": 3}
_SUFFIXES = {".zip": 0, ".gpkg": 1, ".geojson": 2, ".json": 2, ".parquet": 3}
_HEX = {32: "md5", 40: "sha1", 64: "sha256"}


@dataclass(frozen=True)
class Resource:
    """One file to download, as a publisher's API describes it."""

    publisher: str
    url: str
    filename: str
    #: Admin levels the file holds, when its name or the API says; empty when one file holds several.
    levels: tuple[int, ...]
    #: Bytes, when the API says (checked before the file is kept).
    size: int | None
    licence: str
    valid_from: str
    described_by: str
    #: ``"sha256:…"`` (or md5/sha1), or ``None`` when nothing publishes one.
    known_hash: str | None = None
    #: Where ``known_hash`` comes from, said in the registry: "pinned in geo", "published by HDX"…
    hash_from: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)


def base_url(publisher: str) -> str:
    """The publisher's base URL: from its environment variable, else the public one."""
    env, default = BASE_URLS[publisher]
    return (os.environ.get(env, "").strip() or default).rstrip("/")


def offline() -> bool:
    """Whether ``$GEO_OFFLINE`` forbids the network (set, and not ``0``)."""
    return os.environ.get(OFFLINE_ENV, "").strip() not in ("", "0")


def require_network(what: str, instead: str) -> None:
    """Refuse ``what`` (a network access) before any socket is opened, when :func:`offline`.

    Raises
    ------
    GeoError
        Saying that ``$GEO_OFFLINE`` forbids it, and what to do ``instead``.
    """
    if offline():
        raise GeoError(f"{OFFLINE_ENV}={os.environ[OFFLINE_ENV].strip()} forbids network access ({what}); "
                       f"unset {OFFLINE_ENV} to allow it, or {instead}.")


def _timeout() -> float:
    return float(os.environ.get(TIMEOUT_ENV, "") or 60)


def brief(exc: BaseException) -> str:
    """A short, one-sentence account of an error, to go in parentheses."""
    text = " ".join(str(exc).split()).replace(". ", "; ").rstrip(".")
    return text if len(text) < 160 else text[:157] + "…"


def _get_json(url: str, publisher: str, params: dict | None = None) -> object:
    try:
        response = requests.get(url, params=params, timeout=_timeout())
        response.raise_for_status()
        return response.json()
    except requests.HTTPError as exc:
        raise GeoError(
            f"{HOSTS[publisher]} answered {exc.response.status_code} for {exc.response.url}; "
            "check the country code, or try again later."
        ) from None
    except requests.RequestException as exc:
        env = BASE_URLS[publisher][0]
        raise GeoError(
            f"Could not reach {HOSTS[publisher]} at {url} ({brief(exc)}); check the network "
            f"(or ${env}), or set GEO_BOUNDARIES to a folder that holds boundary files."
        ) from None
    except ValueError:
        raise GeoError(f"{HOSTS[publisher]} did not answer JSON at {url}; try again later.") from None


@lru_cache(maxsize=1)
def _pinned() -> dict[tuple[str, str], str]:
    table = pd.read_csv(files("geo") / "data" / "boundary_checksums.csv", dtype=str)
    return {(p, f): h for p, f, h in zip(table["publisher"], table["file"], table["sha256"])}


def _known_hash(publisher: str, filename: str, published: str | None = None) -> dict:
    """``known_hash`` and ``hash_from`` of a file: a sha256 pinned in
    ``geo/data/boundary_checksums.csv``, else the hash the publisher's API gives, else none."""
    pinned = _pinned().get((publisher, filename))
    if pinned:
        return {"known_hash": f"sha256:{pinned}", "hash_from": "pinned in geo/data/boundary_checksums.csv"}
    algo, sep, digest = (published or "").strip().lower().rpartition(":")
    if not sep:  # a bare hex digest: its length says the algorithm
        algo = _HEX.get(len(digest), "")
    if re.fullmatch(r"[0-9a-f]+", digest) and _HEX.get(len(digest)) == algo:
        return {"known_hash": f"{algo}:{digest}", "hash_from": f"{algo} published by {LABELS[publisher]}"}
    return {"known_hash": None, "hash_from": ""}


def _filename(url: str, fallback: str) -> str:
    name = Path(unquote(urlparse(url).path)).name
    return name or fallback


def level_in_name(name: str) -> int | None:
    """The admin level a file or layer name states (``adm2``, ``ADM_ADM_2``, ``gadm41_AFG_2``)."""
    found = re.search(r"(?:adm_?|gadm\d+_[a-z]{3}_)(\d)(?!\d)", name, re.IGNORECASE)
    return int(found.group(1)) if found else None


def _resolve_cod_ab(country: str, levels: tuple[int, ...]) -> list[Resource]:
    api = f"{base_url('cod-ab')}/api/3/action/package_show"
    dataset = f"cod-ab-{country.lower()}"
    payload = _get_json(api, "cod-ab", {"id": dataset})
    if not isinstance(payload, dict) or not payload.get("success") or not isinstance(payload.get("result"), dict):
        raise GeoError(f"HDX has no dataset {dataset} (package_show at {api} did not succeed); check the country code.")
    result = payload["result"]
    licence = str(result.get("license_title") or result.get("license_other") or DEFAULT_LICENCE["cod-ab"])
    dates = re.findall(r"\d{4}-\d{2}-\d{2}", str(result.get("dataset_date") or ""))
    valid_from = dates[0] if dates else ""
    readable = []
    for res in result.get("resources") or []:
        url, name = str(res.get("url") or ""), str(res.get("name") or "")
        filename = _filename(url, name)
        fmt = str(res.get("format") or "").strip().lower()
        rank = _FORMATS.get(fmt, _SUFFIXES.get(Path(filename).suffix.lower()))
        if not url or rank is None:
            continue
        size = pd.to_numeric(res.get("size"), errors="coerce")
        level = level_in_name(filename) if level_in_name(filename) is not None else level_in_name(name)
        readable.append((rank, filename, level, Resource(
            "cod-ab", url, filename, (level,) if level is not None else (),
            size=int(size) if pd.notna(size) and size > 0 else None, licence=licence, valid_from=valid_from,
            described_by=f"{api}?id={dataset}", **_known_hash("cod-ab", filename, res.get("hash")),
        )))
    chosen: dict[str, Resource] = {}
    for level in levels:
        per_level = sorted((r for r in readable if r[2] == level), key=lambda r: (r[0], r[1]))
        every_level = sorted((r for r in readable if r[2] is None), key=lambda r: (r[0], r[1]))
        pick = (per_level or every_level or [None])[0]
        if pick is None:
            found = ", ".join(r[1] for r in readable) or "no file in a format geo reads"
            raise GeoError(f"HDX dataset {dataset} has no admin level {level} boundary file (it lists {found}).")
        chosen[pick[1]] = pick[3]
    return list(chosen.values())


def _resolve_geoboundaries(country: str, levels: tuple[int, ...]) -> list[Resource]:
    out = []
    for level in levels:
        api = f"{base_url('geoboundaries')}/api/current/gbOpen/{country.upper()}/ADM{level}/"
        meta = _get_json(api, "geoboundaries")
        meta = meta[0] if isinstance(meta, list) and meta else meta
        url = meta.get("gjDownloadURL") if isinstance(meta, dict) else None
        if not url:
            raise GeoError(f"geoBoundaries has no ADM{level} file for {country.upper()} ({api} gives no gjDownloadURL).")
        filename = _filename(url, f"geoBoundaries-{country.upper()}-ADM{level}.geojson")
        licence = str(meta.get("boundaryLicense") or DEFAULT_LICENCE["geoboundaries"])
        count = pd.to_numeric(meta.get("admUnitCount"), errors="coerce")
        out.append(Resource(
            "geoboundaries", url, filename, (level,), size=None, licence=licence,
            valid_from=str(meta.get("boundaryYearRepresented") or ""), described_by=api,
            extra={"features": int(count) if pd.notna(count) else None, "source": str(meta.get("boundarySource") or "")},
            **_known_hash("geoboundaries", filename),
        ))
    return out


def _resolve_gadm(country: str, levels: tuple[int, ...]) -> list[Resource]:
    tag = GADM_VERSION.replace(".", "")
    out = []
    for level in levels:
        url = f"{base_url('gadm')}/gadm{GADM_VERSION}/json/gadm{tag}_{country.upper()}_{level}.json"
        filename = _filename(url, "")
        out.append(Resource("gadm", url, filename, (level,), size=None, licence=DEFAULT_LICENCE["gadm"],
                            valid_from=GADM_RELEASED, described_by=url, **_known_hash("gadm", filename)))
    return out


def resolve(publisher: str, country: str, levels: tuple[int, ...]) -> list[Resource]:
    """The files ``publisher`` offers for ``country`` (ISO3) at ``levels``, through its API."""
    if not re.fullmatch(r"[A-Za-z]{3}", country or ""):
        raise GeoError(f"'{country}' is not an ISO 3166 alpha-3 country code such as AFG.")
    require_network(f"asking {HOSTS[publisher]} for boundaries",
                    "register files you have with 'geo boundaries add PATH' or set GEO_BOUNDARIES")
    resolver = {"cod-ab": _resolve_cod_ab, "geoboundaries": _resolve_geoboundaries, "gadm": _resolve_gadm}
    return resolver[publisher](country, levels)


class _SizeMismatch(ValueError):
    """The file on disk has fewer (or more) bytes than the publisher says."""


class _CheckedDownloader(pooch.HTTPDownloader):
    """pooch's HTTP downloader, plus a size check before pooch renames the temporary file."""

    def __init__(self, size: int | None, **kwargs):
        super().__init__(**kwargs)
        self.size = size

    def __call__(self, url, output_file, pooch_, check_only=False):
        result = super().__call__(url, output_file, pooch_, check_only=check_only)
        if not check_only and self.size is not None and os.path.getsize(output_file) != self.size:
            raise _SizeMismatch(f"{os.path.getsize(output_file)} bytes instead of {self.size}")
        return result


def download(resources: list[Resource], folder: Path, progress: bool = True) -> list[Path]:
    """Download ``resources`` into ``folder`` (verified, atomically) and return their paths.

    A file already there whose hash matches is not downloaded again.

    Raises
    ------
    GeoError
        On a checksum or size mismatch, an interrupted transfer or an HTTP error; nothing is
        left in ``folder`` for that file.
    """
    require_network("downloading boundary files",
                    "register files you have with 'geo boundaries add PATH' or set GEO_BOUNDARIES")
    retries = int(os.environ.get(RETRIES_ENV, "") or 2)
    store = pooch.create(
        path=folder, base_url="", retry_if_failed=retries, allow_updates=True,
        registry={r.filename: r.known_hash for r in resources}, urls={r.filename: r.url for r in resources},
    )
    paths = []
    for res in resources:
        downloader = _CheckedDownloader(res.size, progressbar=progress, timeout=_timeout(), chunk_size=65536)
        try:
            paths.append(Path(store.fetch(res.filename, downloader=downloader)))
        except _SizeMismatch as exc:
            raise GeoError(
                f"The download of {res.filename} from {res.url} was cut short ({exc}), so it was not saved; "
                "run the command again to restart it."
            ) from None
        except ValueError as exc:
            if "hash" not in str(exc).lower():
                raise
            raise GeoError(
                f"The file {res.filename} downloaded from {res.url} does not match its known checksum "
                f"({res.known_hash}), so it was not saved; run the command again, and if it fails again "
                "the publisher's file has changed or the download is being tampered with."
            ) from None
        except requests.HTTPError as exc:
            raise GeoError(
                f"{HOSTS[res.publisher]} answered {exc.response.status_code} for {res.url}, so nothing was saved; "
                "try again later."
            ) from None
        except requests.RequestException as exc:
            raise GeoError(
                f"The download of {res.filename} from {res.url} was interrupted ({brief(exc)}), so nothing "
                "was saved; run the command again to restart it."
            ) from None
        except OSError as exc:
            raise GeoError(
                f"Could not write {res.filename} into {folder} ({brief(exc)}); set GEO_CACHE to a writable folder."
            ) from None
    return paths
