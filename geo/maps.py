"""Maps: incidents and admin choropleths as one self-contained Leaflet HTML file.

All folium code lives here. The map is built with ``offlinefolium`` (folium whose JavaScript and
CSS assets ship inside the package), and only what the map uses is inlined: Leaflet itself, plus
Leaflet.markercluster when points are clustered and Leaflet.TimeDimension (the library behind
folium's ``TimestampedGeoJson``) when a range of months is drawn. No jQuery, Bootstrap or icon
fonts: popups and tooltips are plain HTML strings and markers are circles. The file therefore
draws with no network at all; base tiles are an optional layer, off by default. ``cdn=True``
links the same assets from their CDNs instead, for a smaller file.

The layers are data-driven: each choropleth is one GeoJSON document whose features carry their
value and class for every month, and each actor's points are one list, drawn by a small script
(:data:`_RUNTIME_JS`, written for this project) that also steps them through time. Every text
that came from an input is escaped with :func:`escape` before it reaches HTML, a tooltip or a
popup, and every JSON document is embedded with :func:`_js` so it cannot close its ``<script>``.
"""

from __future__ import annotations

import colorsys
import hashlib
import html
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib.resources import files
from os import PathLike
from pathlib import Path

import branca.colormap
import geopandas as gpd
import jenkspy
import numpy as np
import offlinefolium as folium
import pandas as pd
import shapely
import xyzservices
from branca.element import Element, MacroElement
from jinja2 import Template
from offlinefolium.elements import _res as _FOLIUM_ASSETS  # the asset texts folium-offline ships
from offlinefolium.map import FitBounds, Layer

from geo._errors import GeoError
from geo._io import atomic_path, atomic_write_text
from geo._options import CLUSTER_AT, LEVEL_CHOICES, METRICS  # noqa: F401 (defined apart for a fast `geo --help`)
from geo.aggregate import aggregate
from geo.boundaries import _geometry_key, _memo_get, _memo_put, cache_dir, load_admin, web_geometry
from geo.schema import GEO_PRECISION, TIME_PRECISION

#: Sequential colours for counts; zero gets its own neutral class.
_RAMP = branca.colormap.linear.OrRd_09.scale(0, 1)
ZERO_COLOUR = "#f7f7f7"
#: Decreases in a comparison map.
_BLUES = branca.colormap.linear.Blues_09.scale(0, 1)
#: Units a per-capita map cannot shade (no population given).
MISSING_COLOUR = "#c8c8c8"
#: ColorBrewer's qualitative schemes (from branca) whose colours go to actors the table does not list.
_FALLBACK_SCHEMES = (("Dark2", 8), ("Set1", 9), ("Paired", 12))
#: Friendly tile names; any other xyzservices provider name (e.g. OpenTopoMap) works too.
TILES = {"openstreetmap": "OpenStreetMap.Mapnik"}
LEVELS = {1: ("adm1", "admin1", "Provinces"), 2: ("adm2", "admin2", "Districts")}
#: Decimals kept in embedded outlines: 1e-4 degrees is about 11 m, far below the simplification.
COORD_DECIMALS = 4
#: What the map needs from folium-offline's asset lists, by folium's own asset names: Leaflet
#: from ``Map``, the clusters from ``plugins.MarkerCluster``, and the time control from
#: ``plugins.TimestampedGeoJson`` (its Leaflet.TimeDimension, without jQuery, jQuery UI or moment).
_LEAFLET = ({"leaflet"}, {"leaflet_css"})
_CLUSTER = ({"markerclusterjs"}, {"markerclustercss", "markerclusterdefaultcss"})
_TIME = ({"iso8601", "leaflet.timedimension"}, {"leaflet.timedimension_css"})
#: Verification as a ring: solid, dotted or dashed.
_DASH = {"corroborated": None, "claimed": "6 4", "unknown": "1 4"}
_CHECKS = ("corroborated", "unknown", "claimed")
_CHECK_RANK = {c: i for i, c in enumerate(_CHECKS)}
_HALO = {"unknown": 3, "claimed": 5}  # pixels beyond the marker, within the 9 px between actors' rings
_VERIFICATION_TEXT = {"corroborated": "", "claimed": "claimed by a party only", "unknown": "verification unknown"}


def escape(text: object) -> str:
    """HTML-escape ``text`` for popups and tooltips.

    Besides ``& < > " '`` this also neutralises backticks, ``${`` and backslashes, so the
    result is inert inside a JavaScript template literal too (folium puts some HTML there), and
    braces, so it is inert as Jinja2 template source: branca parses some rendered output as a
    template again, and input text must never be read as one.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)) or text is pd.NA:
        return ""
    return html.escape(str(text), quote=True).translate(_HTML_EXTRA)


#: Characters :func:`html.escape` leaves that would be live in a JS template literal or in Jinja2.
_HTML_EXTRA = str.maketrans({"\\": "&#92;", "`": "&#96;", "$": "&#36;", "{": "&#123;", "}": "&#125;"})
#: A brace that would open a Jinja2 tag (``{{``, ``{%``, ``{#``); in JSON text only a string can hold one.
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def _js(obj: object) -> str:
    """``obj`` as compact JSON that is safe inside an inline ``<script>``.

    ``<`` and ``>`` (and the JavaScript line separators) are written as ``\\u`` escapes, so no
    string can close the script element or open an HTML comment in it, and so is a brace that
    would open a Jinja2 tag: JSON's own braces never do (an object's ``{`` is followed by ``"`` or
    ``}``), so every such brace is inside a string, where ``\\u007b`` means the same.
    """
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    for char in "<>\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return _JINJA_OPEN.sub(r"\\u007b", text)


def _link(url: str) -> str:
    url = str(url or "").strip()
    if url.lower().startswith(("http://", "https://")):
        return f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{escape(url)}</a>'
    return escape(url)


@lru_cache(maxsize=1)
def _actor_table() -> dict[str, str]:
    table = pd.read_csv(files("geo") / "data" / "actors.csv", dtype=str)
    return dict(zip(table["actor"], table["colour"]))


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _apart(a: str, b: str) -> float:
    """How far apart two colours look: the "redmean" weighted RGB distance (0 to about 765)."""
    (r1, g1, b1), (r2, g2, b2) = _rgb(a), _rgb(b)
    red = (r1 + r2) / 2
    return math.sqrt((2 + red / 256) * (r1 - r2) ** 2 + 4 * (g1 - g2) ** 2 + (2 + (255 - red) / 256) * (b1 - b2) ** 2)


def _luminance(colour: str) -> float:
    """Relative luminance (WCAG): 0 black, 1 white."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (x / 255 for x in _rgb(colour))]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@lru_cache(maxsize=1)
def fallback_palette() -> tuple[str, ...]:
    """Colours for actors ``geo/data/actors.csv`` does not list, in the order they are handed out.

    ColorBrewer's Dark2, Set1 and Paired, less the colours too pale for a marker on the map
    (luminance over 0.5), the greys (they read as "no data", or as ISKP's near-black), those that
    look like a listed actor's (Taliban's green, the Civilians' blue...) and those that look
    like one kept before them.
    """
    from branca.utilities import color_brewer

    fixed = list(_actor_table().values())
    kept: list[str] = []
    for name, n in _FALLBACK_SCHEMES:
        for colour in color_brewer(name, n):
            if _luminance(colour) <= 0.5 and max(_rgb(colour)) - min(_rgb(colour)) >= 48 \
                    and all(_apart(colour, c) >= 120 for c in fixed) and all(_apart(colour, c) >= 100 for c in kept):
                kept.append(colour)
    return tuple(kept)


def actor_colour(actor: str) -> str:
    """The colour of ``actor`` on every map: from ``geo/data/actors.csv``, else its own pick of
    :func:`fallback_palette` by a hash of its name (stable across runs and machines).

    On a map, two unlisted actors whose names pick the same colour are told apart by
    :func:`actor_colours`.
    """
    return actor_colours([actor])[actor]


def actor_colours(actors: Iterable[str]) -> dict[str, str]:
    """The colours of the actors on one map, every one different.

    Actors ``geo/data/actors.csv`` lists get theirs. Any other gets the colour of
    :func:`fallback_palette` its name hashes to, so the same on every map, unless an actor
    before it (by name) on this map has it already: then the next free one. Past the palette,
    further colours turn round the hue circle by the golden angle.

    Parameters
    ----------
    actors
        Canonical actor names.

    Returns
    -------
    dict
        Actor name to ``#rrggbb``.
    """
    known = _actor_table()
    palette = fallback_palette()
    names = sorted(set(actors))
    out = {a: known[a] for a in names if a in known}
    taken = set(out.values())
    extra = 0
    for actor in (a for a in names if a not in known):
        first = int(hashlib.sha1(actor.encode("utf-8")).hexdigest(), 16) % len(palette)
        free = [c for c in palette[first:] + palette[:first] if c not in taken]
        if free:
            colour = free[0]
        else:
            extra += 1
            red, green, blue = colorsys.hls_to_rgb((extra * 0.618034) % 1, 0.42, 0.6)
            colour = f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"
        out[actor] = colour
        taken.add(colour)
    return out


def tile_provider(name: str) -> xyzservices.TileProvider:
    """The base tiles called ``name``: ``openstreetmap`` or any xyzservices provider name.

    Raises
    ------
    GeoError
        When no provider has that name, or the provider needs an API key.
    """
    try:
        provider = xyzservices.providers.query_name(TILES.get(name.strip().lower(), name))
    except ValueError:
        raise GeoError(
            f"Unknown tiles '{name}'; use none, openstreetmap or an xyzservices provider name "
            "such as OpenTopoMap or Esri.WorldImagery."
        ) from None
    if provider.requires_token():
        raise GeoError(f"The tiles '{name}' need an API key; use none, openstreetmap or OpenTopoMap.")
    return provider


def classify(values: pd.Series, k: int = 5) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Classes for a skewed count: zero alone, then Fisher-Jenks natural breaks.

    With at most ``k`` distinct non-zero values each gets its own class, labelled exactly.
    Otherwise the non-zero values are split by Fisher-Jenks natural breaks (optimal and
    deterministic, by jenkspy: mapclassify's classes without its 1-2 s of imports);
    above 600 values it runs on 600 evenly spaced quantiles, which keeps the distribution's
    shape and the run time flat.

    Returns
    -------
    (numpy.ndarray, list)
        Class index per value (0 = zero class) and each non-zero class's (low, high) bounds.
    """
    values = pd.Series(values, dtype=float).fillna(0)
    positive = np.sort(values[values > 0].to_numpy())
    if positive.size == 0:
        return np.zeros(len(values), dtype=int), []
    uniques = np.unique(positive)
    if len(uniques) <= k:
        bins, bounds = uniques, [(u, u) for u in uniques]
    else:
        sample = positive
        if positive.size > 600:
            sample = np.quantile(positive, np.linspace(0, 1, 600), method="inverted_cdf")
        bins = np.unique(jenkspy.jenks_breaks(sample, n_classes=k)[1:]).astype(float)
        bins[-1] = uniques[-1]
        lows = [uniques[0], *[uniques[uniques > b].min() for b in bins[:-1]]]
        bounds = list(zip(lows, bins))
    idx = np.where(values > 0, np.searchsorted(bins, values, side="left") + 1, 0)
    return idx, bounds


def _class_colours(n: int) -> list[str]:
    if n == 1:  # a lone class should read as "some", not as the palest shade
        return [ZERO_COLOUR, _RAMP(0.6)]
    return [ZERO_COLOUR] + [_RAMP(0.25 + 0.75 * i / (n - 1)) for i in range(n)]


def _fmt_range(lo: float, hi: float) -> str:
    lo, hi = int(lo), int(hi)
    return f"{lo}" if lo == hi else f"{lo}–{hi}"


def _month_label(month: str) -> str:
    return pd.Period(month, freq="M").strftime("%B %Y")


def _geojson(geometry: np.ndarray, properties: list[dict]) -> str:
    """A FeatureCollection as compact text, outlines rounded to :data:`COORD_DECIMALS`.

    Rounding is exact on shared vertices, so neighbouring units still meet without gaps.
    """
    rounded = shapely.transform(geometry, lambda xy: np.round(xy, COORD_DECIMALS))
    shapes = shapely.to_geojson(rounded)
    features = ",".join(
        f'{{"type":"Feature","properties":{_js(p)},"geometry":{g}}}' for p, g in zip(properties, shapes)
    )
    return f'{{"type":"FeatureCollection","features":[{features}]}}'


class _Raw(Element):
    """Text put into the page as it is: asset texts are not Jinja templates (they hold braces)."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _Macro(MacroElement):
    """A MacroElement whose rendered macros go into the page as they are.

    branca's ``MacroElement.render`` wraps each macro's output in ``Element(text)``, which parses
    that text as a Jinja2 template a second time when the page is rendered: any ``{{ }}`` that
    reached the output would run. Ours add the output as :class:`_Raw` text instead, so what a
    macro writes is never read as a template (input text is also escaped brace-free on its way
    in, for folium's own elements).
    """

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        module = self._template.module
        for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            macro = getattr(module, part, None)
            if macro is not None:
                target.add_child(_Raw(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


class _Choropleth(Layer, _Macro):
    """One admin level shaded by class, with every month's values in its features."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = geoMap.choropleth({{ this._parent.get_name() }}, {{ this.data }}, {{ this.options }});
{% endmacro %}
"""
    )

    def __init__(self, name: str, data: str, options: dict, show: bool):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "Choropleth"
        self.data, self.options = data, _js(options)


def _diverging(values: np.ndarray) -> tuple[np.ndarray, list[str], list[str]]:
    """Classes for a change that may be negative: decreases blue, no change pale, increases red.

    Returns each value's class index, the class colours and the class labels (signed bounds).
    """
    values = np.asarray(values, dtype=float)
    up_idx, up = classify(pd.Series(np.where(values > 0, values, 0)), k=3)
    down_idx, down = classify(pd.Series(np.where(values < 0, -values, 0)), k=3)
    n_down = len(down)
    idx = np.where(values < 0, n_down - down_idx, np.where(values > 0, n_down + up_idx, n_down))
    blues = [_BLUES(0.35 + 0.65 * i / max(n_down - 1, 1)) for i in range(n_down)][::-1]
    reds = [_RAMP(0.35 + 0.65 * i / max(len(up) - 1, 1)) for i in range(len(up))]
    labels = [f"−{_fmt_range(lo, hi).replace('–', ' to −')}" for lo, hi in down][::-1]
    labels += ["no change"] + [f"+{_fmt_range(lo, hi).replace('–', ' to +')}" for lo, hi in up]
    return idx.astype(int), [*blues, ZERO_COLOUR, *reds], labels


def _choropleth(fmap: folium.Map, incidents: pd.DataFrame, level: int, metric: str, show: bool,
                months: list[str], *, compare: tuple[str, str] | None = None, per: int | None = None,
                population: pd.DataFrame | None = None) -> dict:
    """Add the choropleth of admin ``level`` (values and class per month) and return its legend scale.

    With ``compare`` (two months) each unit is shaded by the change from the first to the
    second; with ``per`` and ``population`` by the metric per ``per`` people.
    """
    key, name_col, label = LEVELS[level]
    code_col = f"{name_col}_pcode"
    units = web_geometry(load_admin(level))
    columns = list(compare) if compare else months
    counts = (
        aggregate(incidents, ["month", key])
        if len(incidents)
        else pd.DataFrame(columns=["month", code_col, *METRICS])
    )
    full = pd.MultiIndex.from_product([units[code_col], columns], names=[code_col, "month"])
    table = counts.set_index([code_col, "month"])[list(METRICS)].reindex(full, fill_value=0).astype(int)
    values = {m: table[m].to_numpy().reshape(len(units), len(columns)) for m in METRICS}
    shaded = values[metric].astype(float)
    extra: dict[str, list] = {}
    legend_labels = None
    if compare:
        change = shaded[:, 1] - shaded[:, 0]
        idx, colours, legend_labels = _diverging(change)
        classes = idx.reshape(len(units), 1)
        extra["d"] = [[int(v)] for v in change]
        bounds = []
    else:
        if per is not None:
            people = unit_population(population, units, level)
            with np.errstate(divide="ignore", invalid="ignore"):
                shaded = np.where(people[:, None] > 0, shaded / people[:, None] * per, np.nan)
            extra["r"] = [[None if np.isnan(v) else float(f"{v:.3g}") for v in row] for row in shaded]
        idx, bounds = classify(pd.Series(np.nan_to_num(shaded.ravel(), nan=0.0)))
        idx = np.where(np.isnan(shaded.ravel()), -1, idx)  # no population: a class of its own
        classes = idx.reshape(len(units), len(columns))
        colours = _class_colours(len(bounds))
    anchors = shapely.point_on_surface(units.geometry.values)  # where each unit's label sits
    first = np.abs(np.nan_to_num(change if compare else shaded[:, 0], nan=0.0))
    # Labels that collide give way: units with the highest values first, then the largest.
    rank = np.empty(len(units), dtype=int)
    rank[np.lexsort((-shapely.area(units.geometry.values), -first))] = np.arange(len(units))
    properties = [
        {"c": code, "u": escape(f"{name} ({code})"), "n": n.tolist(), "f": f.tolist(), "k": k.tolist(),
         "l": escape(name), "p": [round(pt.y, 4), round(pt.x, 4)], "q": int(q)}
        | {key_: vals[i] for key_, vals in extra.items()}
        for i, (code, name, n, f, k, pt, q) in enumerate(zip(units[code_col], units[name_col], values["incidents"],
                                                             values["fatalities"], classes, anchors, rank))
    ]
    options = {
        "colours": colours,
        "missing": MISSING_COLOUR,
        "stroke": "#555555" if level == 1 else "#9a9a9a",
        "weight": 1.2 if level == 1 else 0.5,
        "legend": f"geo-scale-{level}",
        "labels": level == 1,
        "metric": metric,
        "per": per,
        "compare": [_month_label(m) for m in compare] if compare else None,
    }
    layer = _Choropleth(f"{label}: {metric}", _geojson(units.geometry.values, properties), options, show)
    layer.add_to(fmap)
    # The units with the highest values (first month), listed in the legend: small ones hide under markers.
    order = [i for i in np.argsort(-first, kind="stable")[:3] if first[i] > 0]
    top = [(units[code_col].iloc[i], escape(units[name_col].iloc[i]),
            _fmt_value(change[i] if compare else shaded[i, 0], signed=bool(compare))) for i in order]
    return {"id": f"geo-scale-{level}", "label": label, "metric": metric, "colours": colours,
            "bounds": bounds, "show": show, "labels": legend_labels, "per": per,
            "compare": [_month_label(m) for m in compare] if compare else None,
            "missing": bool((classes < 0).any()), "top": top}


def _fmt_value(value: float, signed: bool = False) -> str:
    """A count as an integer, a rate with three significant digits; a change with its sign."""
    text = f"{int(value)}" if float(value).is_integer() else f"{value:.3g}"
    return f"+{text}" if signed and value > 0 else text.replace("-", "−")


def read_population(path: str | PathLike[str]) -> pd.DataFrame:
    """Read a population table keyed by P-code: columns ``pcode`` and ``population``.

    ``admin1_pcode``/``admin2_pcode`` (or ``code``) are accepted for ``pcode`` and ``pop`` for
    ``population``; provinces and districts may share one file.

    Raises
    ------
    GeoError
        When the file cannot be read (as an incident file: a regular file within the size limit,
        see :func:`geo._csv.read_table`), repeats a column name, lacks either column, or has a
        population that is not a positive number or a P-code given twice (each such row is named).
    """
    from geo._csv import check_header, read_table

    path = Path(path)
    table, _ = read_table(path, "population table")
    table.columns = [c.lower() for c in table.columns]
    check_header(list(table.columns), path, "population table")  # 'Population' and 'population' too
    code = next((c for c in ("pcode", "admin2_pcode", "admin1_pcode", "code") if c in table.columns), None)
    count = next((c for c in ("population", "pop") if c in table.columns), None)
    if code is None or count is None:
        raise GeoError(f"{path} needs a 'pcode' and a 'population' column (found: {', '.join(table.columns) or 'none'}).")
    out = pd.DataFrame({"pcode": table[code].str.strip().str.upper(),
                        "population": pd.to_numeric(table[count].str.replace(",", "").str.strip(), errors="coerce")})
    bad = out[~(out["population"] > 0)]
    if len(bad):
        rows = ", ".join(f"row {i + 2} ({table[count].iloc[i]!r})" for i in bad.index[:5])
        raise GeoError(f"{path}: population must be a positive number: {rows}.")
    twice = out[out["pcode"].duplicated()]
    if len(twice):
        raise GeoError(f"{path}: P-code {twice['pcode'].iloc[0]} is given twice; give each unit once.")
    return out


def unit_population(population: pd.DataFrame, units: pd.DataFrame, level: int) -> np.ndarray:
    """Population of each unit of ``units`` (NaN where unknown): given, or summed from districts.

    A province the table leaves out is the sum of its districts when the table has all of them.
    """
    code_col = f"admin{level}_pcode"
    given = population.set_index("pcode")["population"]
    people = units[code_col].map(given).to_numpy(dtype=float)
    if level == 1 and np.isnan(people).any():
        districts = load_admin(2)[["admin1_pcode", "admin2_pcode"]]
        per_district = districts.assign(pop=districts["admin2_pcode"].map(given))
        sums = per_district.groupby("admin1_pcode")["pop"].agg(lambda v: v.sum() if v.notna().all() else np.nan)
        people = np.where(np.isnan(people), units[code_col].map(sums).to_numpy(dtype=float), people)
    return people


def _date_text(row: pd.Series) -> str:
    tp = int(row["time_precision"]) if pd.notna(row["time_precision"]) else 1
    date = row["event_date"][:7] if tp == 3 else row["event_date"]
    return date if tp == 1 else f"{date} ({TIME_PRECISION[tp]})"


def _text(value: object) -> str:
    """A cell as text: missing values (None, NaN, NA) are empty."""
    return "" if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else str(value)


def _popup_row(row: pd.Series) -> str:
    actors = " vs ".join(a for a in (row["actor1"], row["actor2"]) if a)
    resolved = ", ".join(
        f"{row[n]} ({row[n + '_pcode']})" for n in ("admin2", "admin1") if row.get(n + "_pcode")
    )
    gp = row.get("geo_precision")
    precision = GEO_PRECISION.get(int(gp), "") if pd.notna(gp) else ""
    if pd.notna(gp) and int(gp) >= 2:
        unit = "district" if int(gp) == 2 else "province"
        precision += f"; drawn hollow at the {unit}'s centre, its outline shows when selected"
    sources = "; ".join(_link(s) for s in _text(row.get("source")).split(";") if s.strip())
    if _text(row.get("source_url")):
        sources += ("; " if sources else "") + _link(_text(row["source_url"]))
    fields = [
        ("Date", _date_text(row)),
        ("Actors", actors),
        ("Event", " / ".join(x for x in (row["event_type"], row["sub_event_type"]) if x)),
        ("Place reported", row["location"]),
        ("Resolved to", f"{resolved} — {precision}" if precision else resolved),
        ("Fatalities", row["fatalities"]),
        ("Verification", row["verification"]),
    ]
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in fields)
    cells += f"<tr><th>Sources</th><td>{sources}</td></tr>"
    if _text(row.get("notes")):
        cells += f"<tr><th>Notes</th><td>{escape(row['notes'])}</td></tr>"
    return f'<table class="geo-popup"><caption>{escape(row["incident_id"])}</caption>{cells}</table>'


class _Points(_Macro):
    """An actor's markers, drawn into its layer (a feature group or a cluster group)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
geoMap.points({{ this._parent.get_name() }}, {{ this.data }}, {{ this.options }});
{% endmacro %}
"""
    )

    def __init__(self, data: list, styles: list[dict]):
        super().__init__()
        self._name = "Points"
        self.data, self.options = _js(data), _js({"styles": styles})


def _roles(incidents: pd.DataFrame) -> pd.DataFrame:
    """One row per (placed incident, actor involved): an incident shows in each actor's layer."""
    placed = incidents[incidents["latitude"].notna() & incidents["longitude"].notna()]
    roles = placed.reset_index(names="row").melt(
        id_vars=[c for c in ("row", *placed.columns) if c not in ("actor1", "actor2")],
        value_vars=["actor1", "actor2"], value_name="actor",
    ).drop(columns="variable")
    roles = roles[roles["actor"].fillna("") != ""].drop_duplicates(["row", "actor"])
    return roles.join(placed[["actor1", "actor2"]], on="row")


def _actor_layers(fmap: folium.Map, incidents: pd.DataFrame, months: list[str], cluster: bool | None,
                  assets: _Assets, colours: dict[str, str]) -> tuple[list[str], bool]:
    """Add one point layer per actor; return the actors (most incidents first) and whether clustered.

    Markers group the incidents of one actor, month, place, precision and verification class.
    """
    roles = _roles(incidents)
    if roles.empty:
        return [], False
    roles["step"] = roles["event_date"].str[:7].map({m: i for i, m in enumerate(months)})
    roles["exact"] = roles["geo_precision"].astype(float).fillna(1) <= 1
    roles["check"] = roles["verification"].where(roles["verification"].isin(["claimed", "corroborated"]), "unknown")
    per_marker = roles.groupby(["actor", "step", "latitude", "longitude", "check", "exact"]).size()
    if cluster is None:  # cluster only when some actor's month is crowded
        cluster = bool(per_marker.groupby(["actor", "step"]).size().max() > CLUSTER_AT)
    if cluster:
        from offlinefolium.plugins import MarkerCluster  # the plugins package takes 0.2 s to import

        assets.need(MarkerCluster, *_CLUSTER)
    summarise = len(roles) > SUMMARY_AT
    if summarise:
        fmap.options["prefer_canvas"] = True  # thousands of vector markers draw far faster on a canvas
    sizes = roles.groupby("actor")["row"].nunique()
    order = sorted(sizes.index, key=lambda a: (-sizes[a], a))
    # Several actors at one place show as concentric rings: the most active actor outermost.
    radius = {a: min(6 + 9 * (len(order) - 1 - i), 42) for i, a in enumerate(order)}
    for i, actor in enumerate(order):
        colour = colours[actor]
        name = f"<span style='color:{colour}'>&#9679;</span> {escape(actor)}"
        if cluster:
            # Actors' clusters at one place would hide each other: fan them out around it.
            angle = -math.pi / 2 + 2 * math.pi * i / len(order)
            dx, dy = (0, 0) if len(order) == 1 else (round(15 * math.cos(angle)), round(15 * math.sin(angle)))
            group = MarkerCluster(name=name, show=True, icon_create_function=f"geoMap.clusterIcon({_js(colour)}, {dx}, {dy})",
                                  maxClusterRadius=40, spiderfyOnMaxZoom=True)
            group.default_js, group.default_css = [], []  # inlined once by _Assets
        else:
            group = folium.FeatureGroup(name=name, show=True)
        styles: dict[tuple[str, bool, bool], int] = {}
        style_list: list[dict] = []
        data = []
        mine = roles[roles["actor"] == actor].sort_values("event_date", kind="stable")
        mine["rank"] = mine["check"].map(_CHECK_RANK)
        if summarise:
            group.add_child(_summary_points(mine, actor, radius[actor], colour))
            group.add_to(fmap)
            continue
        for (step, lat, lon, exact), place_rows in mine.groupby(["step", "latitude", "longitude", "exact"], sort=True):
            main = place_rows["rank"].min()
            # The best-verified incidents here make the marker; claims and unassessed reports at
            # the same place ring it as a wider, unfilled halo, so neither hides the other.
            for rank, here in place_rows.groupby("rank", sort=True):
                check, halo = _CHECKS[rank], rank != main
                if (check, exact, halo) not in styles:
                    styles[check, exact, halo] = len(style_list)
                    style_list.append(_marker_style(radius[actor], colour, check, exact, halo))
                n = len(here)
                first = here.iloc[0]
                place = first["location"] if here["location"].nunique() == 1 else first["admin2"]
                gp = int(first["geo_precision"]) if pd.notna(first["geo_precision"]) else 1
                unit = "" if exact else (first["admin2_pcode"] if gp == 2 else first["admin1_pcode"]) or ""
                notes = [x for x in (_VERIFICATION_TEXT[check],
                                     "" if exact else f"only the {'district' if gp == 2 else 'province'} is known") if x]
                tooltip = f"{actor} · {place} · {n} incident{'s' if n > 1 else ''}" + "".join(f" · {x}" for x in notes)
                popup = "<hr>".join(_popup_row(r) for _, r in here.iterrows())
                data.append([round(lat, 5), round(lon, 5), int(step), styles[check, exact, halo], escape(tooltip),
                             f'<div class="geo-popups">{popup}</div>', unit, n])
        group.add_child(_Points(data, style_list))
        group.add_to(fmap)
    return order, cluster


def _marker_style(radius: float, colour: str, check: str, exact: bool, halo: bool) -> dict:
    """Leaflet options of a marker: filled when the place is known, ring dashed by verification."""
    return {
        "radius": radius + (_HALO[check] if halo else 0),
        "color": colour, "weight": 2.5, "opacity": 1, "dashArray": _DASH[check],
        # A halo is a ring only: unfilled, so the marker it surrounds still takes clicks.
        "fill": not halo, "fillColor": colour, "fillOpacity": 0.85 if exact and not halo else 0.0,
        "className": "geo-mark",
    }


# -- big maps ------------------------------------------------------------------------------------
#: Above this many incidents drawn (counting each actor's), markers summarise their incidents
#: instead of listing each one in the popup, and are drawn on a canvas: a month of 100,000
#: incidents would otherwise be a file of over 100 MB that no browser opens.
SUMMARY_AT = 1000
_SUMMARY_NOTE = ("Over {:,} incidents are drawn, so each marker's popup counts its incidents instead of listing "
                 "them; map fewer months or one actor to see every incident.")


class _SummaryPoints(_Macro):
    """An actor's markers in a big map: compact rows whose tooltips and popups the browser writes."""

    _template = Template(
        """
{% macro header(this, kwargs) %}<script>{{ this.runtime }}</script>{% endmacro %}
{% macro script(this, kwargs) %}
geoSummary({{ this._parent.get_name() }}, {{ this.data }}, {{ this.options }});
{% endmacro %}
"""
    )

    def __init__(self, data: list, options: dict):
        super().__init__()
        self._name = "SummaryPoints"
        self.runtime = _SUMMARY_JS
        self.data, self.options = _js(data), _js(options)

    def render(self, **kwargs) -> None:
        # The expanding script once per page, whatever the number of actors.
        module = self._template.module
        self.get_root().header.add_child(_Raw(module.header(self, kwargs)), name="geo_summary_runtime")
        self.get_root().script.add_child(_Raw(module.script(self, kwargs)), name=self.get_name())


def _summary_points(mine: pd.DataFrame, actor: str, radius: float, colour: str) -> _SummaryPoints:
    """One actor's markers in a big map, computed in one groupby.

    The markers are those :func:`_actor_layers` draws (one per month, place and precision, the
    best-verified incidents as the marker and the others as its halo); each is one compact row
    of counts, and the browser writes its tooltip and a summary popup (:data:`_SUMMARY_JS`):
    number of incidents, dates, place as reported and as resolved, fatalities, verification,
    event types. Every text is escaped here; the script only joins them.
    """
    keys = ["step", "latitude", "longitude", "exact"]
    frame = mine.assign(main=mine.groupby(keys)["rank"].transform("min"))
    markers = frame.groupby([*keys, "rank"], sort=True).agg(
        n=("row", "size"), fatalities=("fatalities", "sum"), first=("event_date", "min"), last=("event_date", "max"),
        main=("main", "first"), places=("location", "nunique"), location=("location", "first"),
        admin1=("admin1", "first"), admin1_pcode=("admin1_pcode", "first"), admin2=("admin2", "first"),
        admin2_pcode=("admin2_pcode", "first"), gp=("geo_precision", "first"),
    ).reset_index()
    gp = pd.to_numeric(markers["gp"], errors="coerce").fillna(1).astype(int).to_numpy()
    exact = markers["exact"].to_numpy(dtype=bool)
    check = np.array(_CHECKS, dtype=object)[markers["rank"].to_numpy()]
    halo = (markers["rank"] != markers["main"]).to_numpy()
    # Styles, place texts and tooltip notes as small tables; rows point into them.
    style_keys = list(zip(check, exact, halo))
    style_list = list(dict.fromkeys(style_keys))
    style_idx = pd.Index(style_list).get_indexer(style_keys)
    label = markers["location"].where(markers["places"] == 1, markers["admin2"]).fillna("").astype(str)
    resolved = [", ".join(f"{n} ({c})" for n, c in ((a2, c2), (a1, c1)) if c)
                for a2, c2, a1, c1 in zip(markers["admin2"], markers["admin2_pcode"], markers["admin1"],
                                          markers["admin1_pcode"])]
    place_codes, place_table = pd.factorize(pd.Series([(escape(a), escape(b)) for a, b in zip(label, resolved)]))
    unit = np.where(exact, "", np.where(gp == 2, markers["admin2_pcode"], markers["admin1_pcode"]))
    notes = pd.Series([
        "".join(f" · {x}" for x in (_VERIFICATION_TEXT[c], "" if e else
                                    f"only the {'district' if g == 2 else 'province'} is known") if x)
        for c, e, g in zip(check, exact, gp)
    ])
    note_codes, note_table = pd.factorize(notes)
    # Event types per marker, as [type, count, type, count, ...].
    events = frame.groupby([*keys, "rank", "event_type"], sort=True).size()
    type_codes, type_table = pd.factorize(events.index.get_level_values("event_type").fillna(""))
    owner = pd.MultiIndex.from_frame(markers[[*keys, "rank"]]).get_indexer(events.index.droplevel("event_type"))
    per_marker: list[list[int]] = [[] for _ in range(len(markers))]
    for i, t, c in zip(owner, type_codes, events.to_numpy()):
        per_marker[i] += (int(t), int(c))
    data = [
        [round(float(lat), 5), round(float(lon), 5), int(step), int(st), int(pc), str(u or ""), int(n), int(f),
         escape(a), escape(b), ev, int(nc)]
        for lat, lon, step, st, pc, u, n, f, a, b, ev, nc in zip(
            markers["latitude"], markers["longitude"], markers["step"], style_idx, place_codes, unit, markers["n"],
            markers["fatalities"].fillna(0), markers["first"], markers["last"], per_marker, note_codes)
    ]
    return _SummaryPoints(data, {
        # geoSummary: the place's popup counts this marker's incidents, not its one summary.
        "styles": [_marker_style(radius, colour, c, e, h) | {"geoSummary": True} for c, e, h in style_list],
        "checks": [escape(c) for c, _, _ in style_list],
        "actor": escape(actor), "places": [list(p) for p in place_table],
        "events": [escape(t) for t in type_table], "notes": list(note_table),
    })


#: Writes the tooltips and summary popups of :class:`_SummaryPoints` rows in the browser, then
#: draws them as any other markers (``geoMap.points``). Every text it joins was escaped in Python.
_SUMMARY_JS = r"""
function geoSummary(group, rows, o) {
  "use strict";
  // rows: [lat, lon, step, style, place, unit code, incidents, fatalities, first date, last date,
  //        [event type, count, ...], tooltip note]
  function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }
  function row(k, v) { return '<tr><th>' + k + '</th><td>' + v + '</td></tr>'; }
  geoMap.points(group, rows.map(function (d) {
    var place = o.places[d[4]], events = [];
    for (var i = 0; i < d[10].length; i += 2) { events.push(o.events[d[10][i]] + ' ' + d[10][i + 1]); }
    var tip = o.actor + ' · ' + place[0] + ' · ' + plural(d[6], 'incident') + o.notes[d[11]];
    var popup = '<table class="geo-popup"><caption>' + plural(d[6], 'incident') + '</caption>' +
      row('Dates', d[8] === d[9] ? d[8] : d[8] + ' – ' + d[9]) + row('Actor', o.actor) +
      row('Place reported', place[0]) + row('Resolved to', place[1]) + row('Fatalities', d[7]) +
      row('Verification', o.checks[d[3]]) + row('Events', events.join('; ')) + '</table>';
    return [d[0], d[1], d[2], d[3], tip, '<div class="geo-popups">' + popup + '</div>', d[5], d[6]];
  }), o);
}
"""


class _Assets(_Macro):
    """The JavaScript and CSS the map uses and nothing else, inlined (offline) or linked (CDN).

    The texts come from the installed folium-offline package; the map's own runtime script
    and styles follow them.
    """

    def __init__(self, cdn: bool):
        super().__init__()
        self._name = "Assets"
        self.cdn = cdn
        self.js: list[tuple[str, str]] = []
        self.css: list[tuple[str, str]] = []

    def need(self, source: type, js: set[str], css: set[str]) -> None:
        """Use the assets called ``js`` and ``css`` in folium's list for ``source``."""
        for wanted, listed, out in ((js, source.default_js, self.js), (css, source.default_css, self.css)):
            for name, url in listed:
                if name in wanted and (name, url) not in out:
                    out.append((name, url))

    def _tag(self, url: str, script: bool) -> str:
        if self.cdn:
            return f'<script src="{url}"></script>' if script else f'<link rel="stylesheet" href="{url}"/>'
        if url not in _FOLIUM_ASSETS:
            raise GeoError(f"The installed folium-offline does not ship {url}; reinstall geo to get a matching one.")
        text = _FOLIUM_ASSETS[url]
        return f"<script>{text}</script>" if script else f"<style>{text}</style>"

    def render(self, **kwargs):
        header = self.get_root().header
        for name, url in self.css:
            header.add_child(_Raw(self._tag(url, script=False)), name=f"geo_css_{name}")
        for name, url in self.js:
            header.add_child(_Raw(self._tag(url, script=True)), name=f"geo_js_{name}")
        header.add_child(_Raw(f"<style>{_RUNTIME_CSS}</style><script>{_RUNTIME_JS}</script>"), name="geo_runtime")
        super().render(**kwargs)


class _TimeControl(_Macro):
    """A month-by-month player and slider (Leaflet.TimeDimension) that steps every layer."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
geoMap.time({{ this._parent.get_name() }}, {{ this.times }}, {{ this.labels }});
{% endmacro %}
"""
    )

    def __init__(self, months: list[str]):
        super().__init__()
        self._name = "TimeControl"
        starts = [int(pd.Timestamp(f"{m}-01", tz="UTC").timestamp() * 1000) for m in months]
        self.times, self.labels = _js(starts), _js([_month_label(m) for m in months])


#: The map's own script (written for this project, no library code): draws the data-driven
#: layers, keeps each choropleth's legend in step with its layer, outlines the unit of an
#: imprecise incident while it is selected, and redraws everything when the month changes.
_RUNTIME_JS = r"""
var geoMap = (function () {
  "use strict";
  var step = 0, labels = [], timed = [], units = {}, outline = L.layerGroup();
  var places = {}, names = [], trendPanel = null, labelsShort = [];

  function setHidden(id, hidden) {
    var el = document.getElementById(id);
    if (el) { el.hidden = hidden; }
  }

  function pane(map, name, z) {
    if (!map.getPane(name)) { map.createPane(name).style.zIndex = z; }
    return name;
  }

  function choropleth(map, data, o) {
    var layer;
    function style(f) {
      var k = f.properties.k[step];
      return {fillColor: k < 0 ? o.missing : o.colours[k], fillOpacity: 0.75, color: o.stroke,
              weight: o.weight, opacity: 1};
    }
    function signed(v) { return (v > 0 ? '+' : '') + String(v).replace('-', '\u2212'); }
    function tip(f) {
      var p = f.properties, what = o.metric === 'fatalities' ? 'Reported fatalities' : 'Incidents';
      if (o.compare) {
        return '<b>' + p.u + '</b><br>' + what + ': ' + o.compare[0] + ' ' + (o.metric === 'fatalities' ? p.f[0] : p.n[0]) +
          ', ' + o.compare[1] + ' ' + (o.metric === 'fatalities' ? p.f[1] : p.n[1]) + '<br>Change: ' + signed(p.d[0]);
      }
      var rate = o.per ? '<br>' + what + ' per ' + o.per.toLocaleString('en') + ' people: ' +
        (p.r[step] === null ? 'no population given' : p.r[step]) : '';
      return '<b>' + p.u + '</b>' + (p.n.length > 1 ? '<br>' + labels[step] : '') +
        '<br>Incidents: ' + p.n[step] + '<br>Reported fatalities: ' + p.f[step] + rate +
        '<br><i>click: its trend</i>';
    }
    layer = L.geoJson(data, {
      pane: pane(map, 'geoAreas', 350),  // below every marker, whichever layer is ticked last
      style: style,
      onEachFeature: function (f, l) {
        units[f.properties.c] = f;
        l.bindTooltip(function () { return tip(f); }, {sticky: true});
        l.on('mouseover', function () { l.setStyle({weight: o.weight + 2, color: '#000000'}); });
        l.on('mouseout', function () { layer.resetStyle(l); });
        l.on('click', function () { showTrend(f.properties.c, f.properties.u); });
        if (o.labels) { names.push(label(map, f.properties.p, f.properties.l, 'geo-label', f.properties.q)); }
      }
    });
    if (o.labels) { watchLabels(map); }
    layer.geoRefresh = function () { layer.setStyle(style); };
    layer.on('add', function () { setHidden(o.legend, false); });
    layer.on('remove', function () { setHidden(o.legend, true); });
    timed.push(layer);
    return layer;
  }

  function showOutline(marker, code) {
    var f = units[code], map = marker._map;
    if (!f || !map) { return; }
    outline.clearLayers();
    L.geoJson(f, {interactive: false, pane: pane(map, 'geoOutline', 390),
      style: {color: marker.options.color, weight: 3,
      dashArray: '8 5', fill: false}}).addTo(outline);
    outline.addTo(map);
  }

  // Names on the map (provinces, neighbouring countries): plain text that never takes a click,
  // thinned so that no two overlap (the highest-ranked, q smallest, are kept).
  function label(map, latlng, text, cls, q) {
    var m = L.marker(latlng, {interactive: false, keyboard: false, pane: pane(map, 'geoLabels', 380),
      icon: L.divIcon({className: cls, html: '<span>' + text + '</span>', iconSize: null})});
    m.geoRank = q;
    m.addTo(map);
    return m;
  }

  function declutter(map) {
    var box = map.getContainer().getBoundingClientRect();
    // The title, legend, panels and controls are drawn over the map: a name under them is hidden.
    var kept = Array.prototype.map.call(document.querySelectorAll('.geo-box, .geo-panel, .leaflet-control'),
      function (el) { return el.getBoundingClientRect(); }).filter(function (r) { return r.width > 0; });
    // So are names under an incident's marker: the marker stays readable, the name half-hidden is not.
    Object.keys(places).forEach(function (k) {
      places[k].forEach(function (x) {
        if (x._map !== map || !x.getRadius) { return; }
        var p = map.latLngToContainerPoint(x.getLatLng()), r = x.getRadius() + (x.options.weight || 0) / 2;
        kept.push({left: box.left + p.x - r, right: box.left + p.x + r, top: box.top + p.y - r, bottom: box.top + p.y + r});
      });
    });
    names.slice().sort(function (a, b) { return a.geoRank - b.geoRank; }).forEach(function (m) {
      var el = m.getElement();
      if (!el) { return; }
      el.style.visibility = 'visible';
      var r = el.firstChild.getBoundingClientRect();
      var clash = r.left < box.left || r.right > box.right || r.top < box.top || r.bottom > box.bottom ||
        kept.some(function (k) {
          return r.left < k.right + 3 && r.right > k.left - 3 && r.top < k.bottom + 1 && r.bottom > k.top - 1;
        });
      if (clash) { el.style.visibility = 'hidden'; } else { kept.push(r); }
    });
  }

  function watchLabels(map) {
    if (map.geoLabelsWatched) { return; }
    map.geoLabelsWatched = true;
    map.on('zoomend moveend resize', function () { declutter(map); });
    map.whenReady(function () { setTimeout(function () { declutter(map); }, 0); });
  }

  function neighbours(map, data) {
    L.geoJson(data, {pane: pane(map, 'geoNeighbours', 340), interactive: false,
      style: {fillColor: '#ecebe6', fillOpacity: 1, color: '#b8b4a8', weight: 0.8}}).addTo(map);
    data.features.forEach(function (f) {
      names.push(label(map, f.properties.p, f.properties.l, 'geo-label geo-country', 1000));
    });
    watchLabels(map);
  }

  // Every incident at a place, whatever marker was clicked: halos and concentric rings can
  // never hide one. The clicked marker's incidents come first; each incident once.
  function placePopup(m) {
    var seen = {}, parts = [], n = 0;
    [m].concat(places[m.geoPlace] || []).forEach(function (x) {
      if (x !== m && !(x.geoGroup && x.geoGroup._map)) { return; }
      x.geoPopup.split('<hr>').forEach(function (part) {
        var key = part.replace(/<\/?div[^>]*>/g, '');
        // A big map's marker summarises its incidents in one part (geoSummary): count them all.
        if (!seen[key]) { seen[key] = true; parts.push(key); n += x.options.geoSummary ? x.options.geoCount : 1; }
      });
    });
    var head = n > 1 ? '<p class="geo-here">' + n + ' incidents at this place</p>' : '';
    return head + '<div class="geo-popups">' + parts.join('<hr>') + '</div>';
  }

  function points(group, data, o) {
    // data rows: [lat, lon, step, style, tooltip html, popup html, unit code or "", incidents]
    function fill() {
      var made = [];
      group.clearLayers();
      data.forEach(function (d) {
        if (d[2] !== step) { return; }
        var m = L.circleMarker([d[0], d[1]], L.extend({geoCount: d[7]}, o.styles[d[3]]));
        m.geoPlace = d[2] + ':' + d[0] + ',' + d[1];
        m.geoPopup = d[5];
        m.geoGroup = group;
        (places[m.geoPlace] = places[m.geoPlace] || []).push(m);
        m.bindTooltip(d[4]);
        // On a small screen a popup opens clear of the title box (which spans the screen there).
        var title = window.innerWidth < 760 && document.querySelector('.geo-title');
        m.bindPopup(function () { return placePopup(m); }, {maxWidth: 440,
          autoPanPaddingTopLeft: title ? [12, title.getBoundingClientRect().bottom + 12] : null});
        if (d[6]) {
          m.on('mouseover popupopen', function () { showOutline(m, d[6]); });
          m.on('mouseout', function () { if (!m.isPopupOpen()) { outline.clearLayers(); } });
          m.on('popupclose', function () { outline.clearLayers(); });
        }
        made.push(m);
      });
      if (group.addLayers) { group.addLayers(made); } else { made.forEach(function (m) { group.addLayer(m); }); }
    }
    group.geoRefresh = fill;
    timed.push(group);
    fill();
  }

  function clusterIcon(colour, dx, dy) {
    return function (cluster) {
      var n = 0;
      cluster.getAllChildMarkers().forEach(function (m) { n += m.options.geoCount || 1; });
      return L.divIcon({html: '<div style="background:' + colour + '"><span>' + n + '</span></div>',
                        className: 'marker-cluster geo-cluster', iconSize: L.point(40, 40),
                        iconAnchor: L.point(20 - dx, 20 - dy)});
    };
  }

  // The trend panel: incidents (or fatalities) per month by actor, as inline SVG, for the whole
  // map or the unit last clicked. Bars stand side by side, not stacked: an incident counts once
  // for each of its actors, so a stack would add up to more incidents than there were.
  function trend(map, t) {
    var Panel = L.Control.extend({
      onAdd: function () {
        var box = L.DomUtil.create('details', 'geo-panel geo-trend');
        box.open = true;
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    trendPanel = {data: t, code: null, name: '', el: new Panel({position: 'bottomleft'}).addTo(map).getContainer()};
    drawTrend();
  }

  function showTrend(code, name) {
    if (!trendPanel) { return; }
    trendPanel.code = code;
    trendPanel.name = name;
    trendPanel.el.open = true;
    drawTrend();
  }

  function drawTrend() {
    var t = trendPanel.data, code = trendPanel.code, rows = code ? (t.units[code] || []) : t.total;
    var what = t.metric === 'fatalities' ? 'Reported fatalities' : 'Incidents';
    var where = code ? trendPanel.name : 'whole map';
    var n = t.months.length, w = 280, h = 110, left = 26, bottom = 18, top = 8;
    var max = Math.max.apply(null, [1].concat.apply([], rows));
    var bw = (w - left - 4) / Math.max(n, 1), svg = [], any = false;
    var shown = rows.filter(function (r) { return r.some(Boolean); }).length || 1;
    var sub = Math.max((bw - 2) / shown, 1), every = Math.ceil(n / Math.floor((w - left) / 44));
    var now = labels.length ? t.labels.indexOf(labelsShort[step]) : n - 1;
    svg.push('<line x1="' + left + '" y1="' + (h - bottom) + '" x2="' + w + '" y2="' + (h - bottom) + '" stroke="#999"/>');
    svg.push('<text x="' + (left - 4) + '" y="' + (top + 8) + '" text-anchor="end">' + max + '</text>');
    svg.push('<text x="' + (left - 4) + '" y="' + (h - bottom) + '" text-anchor="end">0</text>');
    t.months.forEach(function (_, j) {
      var x = left + j * bw + 1, k = 0;
      rows.forEach(function (r, a) {
        if (!r.some(Boolean)) { return; }  // an actor with nothing in these months takes no slot
        var bh = r[j] / max * (h - bottom - top), bx = x + k * sub;
        k += 1;
        if (!r[j]) { return; }
        any = true;
        svg.push('<rect x="' + bx.toFixed(1) + '" y="' + (h - bottom - bh).toFixed(1) + '" width="' +
          Math.max(sub - 0.5, 0.8).toFixed(1) + '" height="' + bh.toFixed(1) + '" fill="' + t.colours[a] +
          '"><title>' + t.actors[a] + ', ' + t.labels[j] + ': ' + r[j] + '</title></rect>');
      });
      if (j === now) {
        svg.push('<rect class="geo-now" x="' + (x - 1).toFixed(1) + '" y="' + top + '" width="' + bw.toFixed(1) +
          '" height="' + (h - bottom - top) + '" fill="none" stroke="#333" stroke-dasharray="2 2"/>');
      }
      if ((n - 1 - j) % every === 0) {  // every month when they fit, else every few, always the last
        svg.push('<text x="' + (x + bw / 2).toFixed(1) + '" y="' + (h - 5) + '" text-anchor="middle">' +
          t.labels[j].replace(' 20', ' \u2019') + '</text>');
      }
    });
    trendPanel.el.innerHTML = '<summary>' + what + ' per month by actor: <b>' + where + '</b></summary>' +
      '<svg class="geo-trend-svg" viewBox="0 0 ' + w + ' ' + h + '" width="' + w + '" height="' + h +
      '" role="img" aria-label="' + what + ' per month, ' + where + '">' + svg.join('') + '</svg>' +
      '<p>' + (any ? '' : 'None in these months. ') +
      (code ? '<a href="#" class="geo-whole">whole map</a> · ' : '') + 'click a province or district for its own</p>';
    var back = trendPanel.el.querySelector('.geo-whole');
    if (back) { back.addEventListener('click', function (e) { e.preventDefault(); showTrend(null, ''); }); }
  }

  function setStep(i) {
    if (i < 0 || i >= Math.max(labels.length, 1) || i === step) { return; }
    step = i;
    outline.clearLayers();
    timed.forEach(function (l) { l.geoRefresh(); });
    if (trendPanel) { drawTrend(); }
    document.querySelectorAll('[data-geo-step]').forEach(function (el) {
      el.hidden = Number(el.getAttribute('data-geo-step')) !== i;
    });
  }

  function time(map, times, monthLabels) {
    var td = L.timeDimension({times: times, currentTime: times[0]});
    var Control = L.Control.TimeDimension.extend({
      _getDisplayDateFormat: function (date) { return labels[times.indexOf(date.getTime())] || ''; }
    });
    labels = monthLabels;
    labelsShort = times.map(function (t) {
      var d = new Date(t);
      return d.toLocaleString('en', {month: 'short', timeZone: 'UTC'}) + ' ' + d.getUTCFullYear();
    });
    if (trendPanel) { drawTrend(); }
    map.timeDimension = td;
    new Control({timeDimension: td, position: 'bottomleft', autoPlay: false, loopButton: true,
                 speedSlider: false, timeSliderDragUpdate: true,
                 playerOptions: {transitionTime: 1500, loop: true, startOver: true}}).addTo(map);
    td.on('timeload', function (e) { setStep(times.indexOf(e.time)); });
  }

  // On a small screen the legend and the layer list start folded, so the map stays visible
  // (the legend's summary line and the layers button unfold them; a click on the map folds
  // the layer list again).
  document.addEventListener('DOMContentLoaded', function () {
    // Legend links to the units with the highest values: zoom there (small ones hide under markers).
    document.querySelectorAll('[data-geo-unit]').forEach(function (a) {
      a.addEventListener('click', function (e) {
        var f = units[a.getAttribute('data-geo-unit')], el = document.querySelector('.folium-map');
        e.preventDefault();
        if (f && el && window[el.id]) {
          window[el.id].fitBounds(L.geoJson(f).getBounds(), {maxZoom: 10, padding: [40, 40]});
          showTrend(f.properties.c, f.properties.u);
        }
      });
    });
    // No tooltip over an open popup.
    document.querySelectorAll('.folium-map').forEach(function (el) {
      var map = window[el.id];
      if (!map || !map.on) { return; }
      map.on('popupopen', function () { el.classList.add('geo-popup-open'); });
      map.on('popupclose', function () { el.classList.remove('geo-popup-open'); });
    });
    if (window.innerWidth >= 760 && window.innerHeight >= 560) { return; }
    document.querySelectorAll('details.geo-legend, details.geo-trend').forEach(function (el) { el.open = false; });
    var fold = function () {
      document.querySelectorAll('.leaflet-control-layers').forEach(function (el) {
        el.classList.remove('leaflet-control-layers-expanded');
      });
    };
    fold();
    document.querySelectorAll('.folium-map').forEach(function (el) {
      el.addEventListener('click', function (e) { if (!e.target.closest('.leaflet-control-layers')) { fold(); } });
    });
  });

  return {choropleth: choropleth, points: points, clusterIcon: clusterIcon, time: time,
          neighbours: neighbours, trend: trend, showTrend: showTrend,
          setStep: setStep, step: function () { return step; },
          label: function () { return labels[step] || ''; }};
})();
"""

_RUNTIME_CSS = """
.leaflet-container { background: #ecebe6; }  /* the neighbouring countries' colour: their coarse outlines leave no gaps */
.geo-box { position: fixed; z-index: 1000; background: rgba(255,255,255,0.95); padding: 8px 12px;
  border-radius: 6px; box-shadow: 0 1px 5px rgba(0,0,0,0.35); font: 13px/1.35 system-ui, sans-serif; color: #222; }
.geo-title { top: 10px; left: 56px; max-width: calc(100% - 420px); }
.geo-title h1 { font-size: 17px; margin: 0 0 2px 0; }
.geo-legend { bottom: 28px; right: 10px; width: 300px; max-height: calc(100% - 330px); overflow-y: auto; }
.geo-legend summary { cursor: pointer; font-weight: 600; color: #555; margin-bottom: 2px; }
.geo-legend:not([open]) { width: auto; }
.geo-legend h2 { font-size: 13px; margin: 6px 0 3px 0; }
.geo-legend p { margin: 6px 0 0 0; color: #444; }
.geo-legend ul { list-style: none; margin: 0; padding: 0; }
.geo-legend li { margin: 1px 0; }
.geo-legend .sw { display: inline-block; width: 16px; height: 12px; margin-right: 6px; vertical-align: middle; border: 1px solid #999; }
.geo-legend .dot { display: inline-block; width: 14px; height: 14px; border-radius: 50%; margin-right: 6px;
  vertical-align: middle; border: 2.5px solid #444; box-sizing: border-box; }
.geo-legend [hidden], .geo-title [hidden] { display: none; }
.geo-popup { border-collapse: collapse; font-size: 12.5px; }
.geo-popup caption { caption-side: top; font-weight: 600; text-align: left; padding-bottom: 2px; }
.geo-popup th { text-align: left; padding: 1px 8px 1px 0; vertical-align: top; white-space: nowrap; }
.geo-popup td { padding: 1px 0; overflow-wrap: anywhere; }
.geo-popups { max-height: 320px; overflow-y: auto; }
.geo-mark { filter: drop-shadow(0 0 1px #fff) drop-shadow(0 0 1px #fff); }
.geo-cluster { background: rgba(255,255,255,0.7); }
.geo-cluster div { width: 32px; height: 32px; margin: 4px; border-radius: 16px; color: #fff;
  font: 600 12px/32px system-ui, sans-serif; text-align: center; text-shadow: 0 0 2px #000; }
.geo-cluster span { line-height: 32px; }
.leaflet-control-layers-overlays label { margin: 1px 0; }
.geo-filter { font-weight: 600; color: #7a3b00; }
.geo-top a { color: #124e8c; }
.geo-symbols { border-collapse: collapse; font-size: 12px; }
.geo-symbols th { font-weight: 500; color: #555; font-size: 11px; text-align: center; padding: 0 4px 2px 0; line-height: 1.15; }
.geo-symbols td { padding: 1px 4px 1px 0; text-align: center; } .geo-symbols td:last-child { text-align: left; }
.geo-symbols .dot { margin: 0; }
.geo-label { pointer-events: none; }
.geo-label span { position: absolute; transform: translate(-50%, -50%); white-space: nowrap;
  font: 600 11px/1 system-ui, sans-serif; color: #333;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff; }
.geo-country span { font: italic 500 12px/1 system-ui, sans-serif; color: #8a8577; letter-spacing: 0.04em; }
.geo-panel { background: rgba(255,255,255,0.95); padding: 6px 10px; border-radius: 6px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.35); font: 12px/1.35 system-ui, sans-serif; color: #222; max-width: 300px; }
.geo-panel summary { cursor: pointer; color: #444; }
.geo-panel p { margin: 2px 0 0 0; color: #555; }
.geo-trend-svg { display: block; margin-top: 4px; }
.geo-trend-svg text { font: 10px system-ui, sans-serif; fill: #444; }
.geo-here { margin: 0 0 4px 0; font-weight: 600; }
/* A popup never wider than the screen (its close button stays on it), and no tooltip over it. */
.leaflet-popup-content { max-width: calc(100vw - 90px); overflow-x: auto; }
.geo-popup-open .leaflet-tooltip-pane { display: none; }
@media (max-width: 760px), (max-height: 560px) {
  .geo-title { box-sizing: border-box; max-width: calc(100% - 126px); padding: 5px 8px; } .geo-title h1 { font-size: 14px; }
  .geo-legend { width: calc(100% - 40px); max-width: 300px; }
  .geo-popups { max-height: 45vh; } .geo-panel { max-width: calc(100vw - 150px); } }
"""

_LEGEND = Template(
    """
{% macro html(this, kwargs) %}
<div class="geo-box geo-title"><h1>{{ this.title }}</h1>
{%- for text in this.subtitles %}<div data-geo-step="{{ loop.index0 }}"{% if not loop.first %} hidden{% endif %}>{{ text }}</div>{% endfor %}
{%- for text in this.filters %}<div class="geo-filter">{{ text }}</div>{% endfor %}
</div>
<details class="geo-box geo-legend" open><summary>Legend</summary>
  {% for text in this.filters %}<p class="geo-filter">{{ text }}</p>{% endfor %}
  {% for scale in this.scales %}
  <section id="{{ scale.id }}"{% if not scale.show %} hidden{% endif %}>
  <h2>{{ scale.title }}</h2>
  <ul>{% for colour, text in scale.classes %}<li><span class="sw" style="background:{{ colour }}"></span>{{ text }}</li>{% endfor %}</ul>
  {% if scale.top %}<p class="geo-top">{{ scale.top_label }}: {% for code, name, value in scale.top %}<a href="#" data-geo-unit="{{ code }}">{{ name }}</a> {{ value }}{% if not loop.last %} · {% endif %}{% endfor %}</p>{% endif %}
  </section>
  {% endfor %}
  {% if this.actors %}
  <h2>Incidents by actor</h2>
  <ul>{% for colour, actor in this.actors %}<li><span class="dot" style="background:{{ colour }};border-color:{{ colour }}"></span>{{ actor }}</li>{% endfor %}</ul>
  <h2>Symbols</h2>
  <table class="geo-symbols">
    <tr><th>place known</th><th>district or province only</th><th></th></tr>
    {%- for style, text in [("solid", "corroborated"), ("dashed", "claimed by a party only"), ("dotted", "verification unknown")] %}
    <tr><td><span class="dot" style="background:#777;border-style:{{ style }}"></span></td>
      <td><span class="dot" style="background:transparent;border-style:{{ style }}"></span></td><td>{{ style }} ring: {{ text }}</td></tr>
    {%- endfor %}
  </table>
  <p>Hollow symbols sit at the centre of the district or province, outlined on hover.
  A wider dashed or dotted halo: such reports at a corroborated place. A click lists every incident at the place.</p>
  {% if this.cluster %}<p>Numbered disc: that actor's incidents grouped at this zoom (actors' discs fan out).</p>{% endif %}
  {% endif %}
  {% for note in this.notes %}<p>{{ note }}</p>{% endfor %}
</details>
{% endmacro %}
"""
)


class _Overlay(_Macro):
    """Title box and legend, drawn as plain HTML and CSS (no legend plugin, nothing to fetch)."""

    _template = _LEGEND

    def __init__(self, title: str, subtitles: list[str], scales: list[dict], actors: list[str],
                 notes: list[str], per_month: bool, cluster: bool, filters: Sequence[str] = (),
                 colours: dict[str, str] | None = None):
        super().__init__()
        self._name = "GeoOverlay"
        self.title = escape(title)
        self.subtitles = [escape(s) for s in subtitles]
        self.filters = [escape(f) for f in filters]
        self.notes = [escape(n) for n in notes]
        self.cluster = cluster
        colours = colours if colours is not None else actor_colours(actors)
        self.actors = [(colours[a], escape(a)) for a in actors]
        self.scales = [self._scale(s, per_month) for s in scales]

    @staticmethod
    def _scale(s: dict, per_month: bool) -> dict:
        what = {"incidents": "Incidents", "fatalities": "Reported fatalities"}[s["metric"]]
        unit = s["label"][:-1].lower()
        if s["compare"]:
            title = f"{s['label']}: change in {what.lower()}, {s['compare'][0]} → {s['compare'][1]}"
            classes = list(zip(s["colours"], s["labels"]))
        else:
            if s["per"]:
                title = f"{s['label']}: {what.lower()} per {s['per']:,} people"
            else:
                title = f"{s['label']}: {what} per {unit}"
            title += " and month (same classes every month)" if per_month else ""
            classes = [(s["colours"][0], "0")] + [
                (c, _fmt_value(lo) if lo == hi else f"{_fmt_value(lo)}–{_fmt_value(hi)}")
                for c, (lo, hi) in zip(s["colours"][1:], s["bounds"])]
            if s["missing"]:
                classes.append((MISSING_COLOUR, "no population given"))
        return {"id": s["id"], "show": s["show"], "title": escape(title),
                "classes": [(c, escape(t)) for c, t in classes], "top": s["top"],
                "top_label": "Largest change" if s["compare"] else "Highest"}


@lru_cache(maxsize=1)
def _countries() -> tuple[tuple[str, object], ...]:
    """Every country outline the ``countryinfo`` package ships (Natural Earth, 1:110m), by name."""
    from countryinfo import all_countries

    out = []
    for country in all_countries():
        features = (country.geo_json() or {}).get("features") or []
        shapes = [shapely.geometry.shape(f["geometry"]) for f in features if f.get("geometry")]
        if shapes:
            out.append((country.name(), shapely.GeometryCollection(shapes)))  # made valid when used
    return tuple(out)


#: Bump when :func:`neighbours` computes something else, so older cache entries are not read.
_NEIGHBOURS_VERSION = 1
_NEIGHBOURS_MEMO: OrderedDict[str, tuple[list[str], np.ndarray, np.ndarray]] = OrderedDict()


def neighbours(units: pd.DataFrame, margin: float = 8.0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The countries around the mapped one, for orientation: names, outlines and label points.

    Outlines come from the ``countryinfo`` package (installed, so nothing is fetched), are cut
    to ``margin`` degrees around ``units`` and never overlap them; the country the units belong
    to (the one covering most of them) is left out. The result depends on the units' outlines
    only, so it is cached in memory and on disk (``$GEO_CACHE/neighbours``) by their content,
    ``margin`` and the ``countryinfo`` version, like :func:`geo.boundaries.web_geometry`: the
    unions and repairs (about 0.2 s) are paid once, not on every render.
    """
    from importlib.metadata import version

    key = _geometry_key(np.asarray(units.geometry.values), "neighbours", _NEIGHBOURS_VERSION, float(margin),
                        version("countryinfo"))
    found = _memo_get(_NEIGHBOURS_MEMO, key)
    if found is None:
        path = cache_dir() / "neighbours" / f"{key}.parquet"
        found = _read_neighbours(path, units, margin)
        if found is None:
            found = _find_neighbours(units, margin)
            names, shapes, anchors = found
            try:
                with atomic_path(path) as tmp:
                    gpd.GeoDataFrame({"name": pd.Series(names, dtype=object), "anchor": gpd.GeoSeries(anchors)},
                                     geometry=gpd.GeoSeries(shapes), crs=4326).to_parquet(tmp)
            except OSError:  # an unwritable cache costs time, nothing else
                pass
        _memo_put(_NEIGHBOURS_MEMO, key, found)
    return found


def _read_neighbours(path: Path, units: pd.DataFrame, margin: float) -> tuple[list[str], np.ndarray, np.ndarray] | None:
    """A cache entry of :func:`neighbours`, or None when missing or not what it writes.

    The cache folder is the user's: an entry cut short, swapped or edited is rebuilt, not
    trusted (names as text, each once; outlines polygonal and label points inside the view).
    """
    try:
        table = gpd.read_parquet(path)
        names, shapes, anchors = table["name"].tolist(), np.asarray(table.geometry.values), np.asarray(table["anchor"].values)
        minx, miny, maxx, maxy = units.total_bounds
        view = shapely.box(minx - margin - 1e-6, miny - margin - 1e-6, maxx + margin + 1e-6, maxy + margin + 1e-6)
        if not (all(isinstance(n, str) and n for n in names) and len(set(names)) == len(names)
                and np.isin(shapely.get_type_id(shapes), (3, 6, 7)).all()
                and (shapely.get_type_id(anchors) == 0).all()
                and shapely.covers(view, shapes).all() and shapely.covers(view, anchors).all()):
            raise ValueError("not the neighbours of these units")
    except (OSError, ValueError, KeyError, TypeError, shapely.errors.GEOSException):
        return None
    return names, shapes, anchors


def _find_neighbours(units: pd.DataFrame, margin: float) -> tuple[list[str], np.ndarray, np.ndarray]:
    """:func:`neighbours`, computed."""
    minx, miny, maxx, maxy = units.total_bounds
    view = shapely.box(minx - margin, miny - margin, maxx + margin, maxy + margin)
    near = shapely.box(minx - 3, miny - 2, maxx + 3, maxy + 2)  # labels sit close to the border
    home = shapely.union_all(shapely.make_valid(units.geometry.values))
    found = [(name, shapely.union_all(shapely.make_valid(np.array(shape.geoms))))
             for name, shape in _countries() if shapely.box(*shape.bounds).intersects(view)]
    found = [(name, shape) for name, shape in found if shape.intersects(view)]
    if not found:
        return [], np.array([]), np.array([])
    itself = max(found, key=lambda item: item[1].intersection(home).area)[0]
    names, shapes, anchors = [], [], []
    for name, shape in found:
        if name == itself:
            continue
        clipped = shape.intersection(view).difference(home)
        close = clipped.intersection(near)
        if clipped.is_empty or close.is_empty:
            continue
        names.append(name)
        shapes.append(shapely.simplify(clipped, 0.01))
        anchors.append(shapely.point_on_surface(max(getattr(close, "geoms", [close]), key=lambda g: g.area)))
    return names, np.array(shapes, dtype=object), np.array(anchors, dtype=object)


class _Neighbours(_Macro):
    """Neighbouring countries, faint and named, under everything else (drawn offline)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
geoMap.neighbours({{ this._parent.get_name() }}, {{ this.data }});
{% endmacro %}
"""
    )

    def __init__(self, units: pd.DataFrame):
        super().__init__()
        self._name = "Neighbours"
        names, shapes, anchors = neighbours(units)
        props = [{"l": escape(n), "p": [round(a.y, 3), round(a.x, 3)]} for n, a in zip(names, anchors)]
        self.data = _geojson(shapes, props) if names else '{"type":"FeatureCollection","features":[]}'


#: Months the trend panel shows, up to the last month mapped.
TREND_MONTHS = 12


class _Trend(_Macro):
    """The trend panel: incidents (or fatalities) per month by actor, for the map or a clicked unit."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
geoMap.trend({{ this._parent.get_name() }}, {{ this.data }});
{% endmacro %}
"""
    )

    def __init__(self, incidents: pd.DataFrame, last: str | None, metric: str, actors: list[str],
                 since: str | None = None, colours: dict[str, str] | None = None):
        super().__init__()
        self._name = "Trend"
        self.data = _js(trend_data(incidents, last, metric, actors, since=since, colours=colours))


def trend_months(last: str, since: str | None = None) -> list[str]:
    """The ``YYYY-MM`` months of the trend panel of a map whose last month is ``last``.

    Parameters
    ----------
    last
        The last month mapped.
    since
        The first month with incidents: the panel starts there when that is later than
        :data:`TREND_MONTHS` months before ``last`` (and not after it).
    """
    start = pd.Period(last, freq="M") - (TREND_MONTHS - 1)
    if since is not None and since <= last:
        start = max(start, pd.Period(since, freq="M"))
    return [str(m) for m in pd.period_range(start, last, freq="M")]


def trend_data(incidents: pd.DataFrame, last: str | None, metric: str, actors: Sequence[str] = (), *,
               since: str | None = None, colours: dict[str, str] | None = None) -> dict:
    """Counts per month by actor for the trend panel: the whole map and every unit with incidents.

    The months are :func:`trend_months` up to ``last``. Returns ``months`` (labels), ``actors``
    and ``colours``, ``total`` (per actor, per month) and ``units`` (P-code to the same, for
    provinces and districts). ``since`` is the first month with incidents when ``incidents``
    holds only some months (the trend's); default: the first in ``incidents``. ``colours``: the
    map's :func:`actor_colours` (default: those of the actors counted).
    """
    dated = incidents["event_date"].astype(str).str[:7] if len(incidents) else pd.Series(dtype=str)
    last = last or (dated.max() if len(dated) else None)
    if last is None:
        return {"months": [], "labels": [], "actors": [], "colours": [], "total": [], "units": {}, "metric": metric}
    months = trend_months(last, since if since is not None else (dated.min() if len(dated) else None))
    frame = incidents[dated.isin(months)] if len(incidents) else incidents
    by = aggregate(frame, ["month", "actor"]) if len(frame) else pd.DataFrame(columns=["month", "actor", *METRICS])
    totals = by.groupby("actor")[metric].sum()
    order = [a for a in actors if a in totals.index] + sorted(
        (a for a in totals.index if a not in actors), key=lambda a: (-totals[a], a))

    def matrix(rows: pd.DataFrame) -> list[list[int]]:
        table = rows.pivot_table(index="actor", columns="month", values=metric, aggfunc="sum", fill_value=0)
        table = table.reindex(index=order, columns=months, fill_value=0)
        return table.astype(int).values.tolist()

    units = {}
    for key, code in (("adm1", "admin1_pcode"), ("adm2", "admin2_pcode")):
        if not len(frame):
            break
        per_unit = aggregate(frame, ["month", "actor", key])
        per_unit = per_unit[per_unit[code] != ""]
        # Every unit's matrix at once (a pivot per unit took seconds for a big month's 400 units).
        codes = sorted(per_unit[code].unique())
        cube = per_unit.groupby([code, "actor", "month"])[metric].sum().reindex(
            pd.MultiIndex.from_product([codes, order, months]), fill_value=0)
        cube = cube.to_numpy().astype(int).reshape(len(codes), len(order), len(months))
        units.update(zip(codes, cube.tolist()))
    return {"months": months, "labels": [pd.Period(m, freq="M").strftime("%b %Y") for m in months],
            "actors": [escape(a) for a in order], "colours": [(colours or actor_colours(order))[a] for a in order],
            "total": matrix(by) if len(by) else [], "units": units, "metric": metric}


def _summary(frame: pd.DataFrame) -> str:
    n = len(frame)
    deaths = int(frame["fatalities"].fillna(0).sum()) if n else 0
    return f"{n} incident{'s' if n != 1 else ''}, {deaths} reported fatalities"


def render_map(
    incidents: pd.DataFrame,
    *,
    title: str = "Conflict incidents in Afghanistan",
    subtitle: str | None = None,
    metric: str = "incidents",
    tiles: str | None = None,
    level: str = "all",
    months: Sequence[str] | None = None,
    cluster: bool | None = None,
    cdn: bool = False,
    filters: Sequence[str] = (),
    compare: tuple[str, str] | None = None,
    per: int | None = None,
    population: pd.DataFrame | None = None,
    trend: pd.DataFrame | None = None,
    trend_since: str | None = None,
) -> folium.Map:
    """Draw geocoded incidents on a self-contained Leaflet map.

    Parameters
    ----------
    incidents
        Geocoded incidents in the schema (see :func:`geo.load_incidents`).
    title, subtitle
        Text of the title box; the subtitle defaults to counts of incidents and fatalities
        (per month when there are several).
    metric
        What the choropleths shade: ``"incidents"`` or ``"fatalities"``.
    tiles
        ``None`` for no base tiles (nothing needs the network), or ``"openstreetmap"`` or any
        xyzservices provider name to offer those tiles as an optional layer, off until ticked.
    level
        Which choropleths to draw: ``"adm1"`` (provinces), ``"adm2"`` (districts) or ``"all"``.
    months
        The ``YYYY-MM`` months to draw, in order. One month gives a single map; several give a
        time control stepping month by month, with the choropleths and points of each month
        (classes shared by all months, so colours compare). Default: every month from the
        first to the last incident. Incidents outside these months are left out (the legend
        says how many).
    cluster
        Group each actor's markers into clusters; ``None`` clusters when an actor has more
        than :data:`CLUSTER_AT` markers in one month.
    cdn
        Link Leaflet and its plugins from their CDNs instead of inlining them: a smaller file
        that only draws online.
    filters
        Lines saying how the incidents were selected (e.g. "Only incidents involving Taliban"),
        shown under the title and in the legend.
    compare
        Two ``YYYY-MM`` months: the choropleths shade the change per unit from the first to the
        second (diverging colours); the points are the second month's.
    per, population
        Shade the metric per ``per`` people, from a table of :func:`read_population`.
    trend
        Incidents (any months) for the trend panel: counts per month by actor over the twelve
        months up to the last one mapped (:func:`trend_months`). Default: ``incidents``.
    trend_since
        The first month with incidents, when ``trend`` holds only the months the panel shows
        (its first months may have none); default: the first month in ``trend``.

    Returns
    -------
    folium.Map
        With the choropleths and one point layer per actor, each toggleable in the layer
        control, a legend, and bounds fitted to Afghanistan.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}")
    if level not in LEVEL_CHOICES:
        raise ValueError(f"level must be one of {tuple(LEVEL_CHOICES)}")
    frame = incidents.reset_index(drop=True)
    dated = frame["event_date"].astype(str).str[:7] if len(frame) else pd.Series(dtype=str)
    if months is None:
        months = (
            [str(p) for p in pd.period_range(dated.min(), dated.max(), freq="M")] if len(frame) else []
        )
    months = list(dict.fromkeys(months))
    notes = []
    areas = frame
    if compare:  # the choropleths compare two months; the points are the later month's
        months = [compare[1]]
        areas = frame[dated.isin(compare)].reset_index(drop=True)
        frame = frame[dated == compare[1]].reset_index(drop=True)
        dated = frame["event_date"].astype(str).str[:7]
    if len(frame) and months:
        outside = ~dated.isin(months)
        if outside.any():
            notes.append(f"{int(outside.sum())} incident(s) outside the months shown are not drawn.")
            frame = frame[~outside].reset_index(drop=True)
    steps = months or [""]  # no months and no incidents: one empty step

    provinces = load_admin(1)
    minx, miny, maxx, maxy = provinces.total_bounds
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=6, tiles=None,
                      control_scale=True, zoom_snap=0.25, minZoom=4, maxZoom=18)
    fmap.default_js, fmap.default_css = [], []  # jQuery, Bootstrap and icon fonts are not used
    fmap.get_root().title = escape(title)
    assets = _Assets(cdn)
    assets.need(folium.Map, *_LEAFLET)
    fmap.add_child(assets)
    if tiles:
        provider = tile_provider(tiles)
        label = "OpenStreetMap" if tiles.strip().lower() in TILES else provider.name
        folium.TileLayer(provider, name=f"{escape(label)} tiles (online only)", overlay=True,
                         show=False).add_to(fmap)
    _Neighbours(provinces).add_to(fmap)
    scales = [
        # Provinces read best at country scale; districts are one tick away when both are drawn.
        _choropleth(fmap, areas, lvl, metric, show=(lvl == 1 or level == "adm2"), months=steps,
                    compare=compare, per=per, population=population)
        for lvl in LEVEL_CHOICES[level]
    ]
    trend = trend if trend is not None else incidents
    # One colour per actor for the points, the legend and the trend panel, all told apart.
    named = [t[c] for t in (frame, trend) if len(t) for c in ("actor1", "actor2")]
    colours = actor_colours(a for a in pd.unique(pd.concat(named).fillna("")) if a) if named else {}
    actors, clustered = _actor_layers(fmap, frame, steps, cluster, assets, colours)
    if fmap.options.get("prefer_canvas"):  # a big map (_actor_layers): its markers count incidents
        notes.append(_SUMMARY_NOTE.format(SUMMARY_AT))
    if len(steps) > 1:
        from offlinefolium.plugins import TimestampedGeoJson

        assets.need(TimestampedGeoJson, *_TIME)
        _TimeControl(steps).add_to(fmap)
    unplaced = int((frame["latitude"].isna() | frame["longitude"].isna()).sum()) if len(frame) else 0
    if unplaced:
        notes.append(f"{unplaced} incident(s) could not be placed and are not drawn.")
    if subtitle is not None:
        subtitles = [subtitle]
    elif len(steps) > 1:
        by_month = frame["event_date"].astype(str).str[:7] if len(frame) else pd.Series(dtype=str)
        subtitles = [f"{_month_label(m)}: {_summary(frame[by_month == m])}" for m in steps]
    elif compare:
        before = areas[areas["event_date"].astype(str).str[:7] == compare[0]] if len(areas) else areas
        subtitles = [f"{_month_label(compare[0])}: {_summary(before)}; {_month_label(compare[1])}: {_summary(frame)}"]
    else:
        # The month stays on the map whatever the title says.
        period = _month_label(steps[0]) if steps[0] else ""
        subtitles = [_summary(frame) if not period or period in title else f"{period}: {_summary(frame)}"]
    _Overlay(title, subtitles, scales, actors, notes, len(steps) > 1, clustered, filters, colours).add_to(fmap)
    _Trend(trend, steps[-1] or None, metric, actors, since=trend_since, colours=colours).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fit = FitBounds([[miny, minx], [maxy, maxx]])
    fit.options["animate"] = False  # the first view is drawn at once (and screenshots are stable)
    fmap.add_child(fit)
    return fmap


def map_html(fmap: folium.Map) -> str:
    """The map as one HTML document."""
    return fmap.get_root().render()


def save_map(fmap: folium.Map, path: str | PathLike[str]) -> Path:
    """Write the map atomically (temporary file, then rename) and return the path."""
    return atomic_write_text(path, map_html(fmap))


#: Where :func:`find_chromium` looks, after ``$GEO_CHROMIUM``.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """Path of a Chromium or Chrome executable: ``$GEO_CHROMIUM``, else the first on ``PATH``."""
    env = os.environ.get("GEO_CHROMIUM", "").strip()
    if env:
        return shutil.which(env) or (env if Path(env).is_file() else None)
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


def save_png(html_path: str | PathLike[str], png_path: str | PathLike[str],
             size: tuple[int, int] = (1400, 900)) -> Path:
    """Screenshot a saved map with headless Chromium, with every network host blocked.

    The PNG is written like every output (:func:`geo._io.atomic_path`): to a temporary file, then
    renamed onto ``png_path``.

    Raises
    ------
    GeoError
        When no Chromium is installed (saying how to get one) or it fails to draw the page.
    """
    browser = find_chromium()
    if browser is None:
        raise GeoError(
            "A PNG needs headless Chromium, which was not found; install it "
            "(Debian/Ubuntu: apt-get install chromium) or set GEO_CHROMIUM to its path."
        )
    png_path = Path(png_path)
    try:
        with atomic_path(png_path, suffix=".png") as tmp, tempfile.TemporaryDirectory() as profile:
            result = subprocess.run(
                [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND",
                 f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
                 "--virtual-time-budget=5000", f"--screenshot={tmp}", Path(html_path).resolve().as_uri()],
                capture_output=True, text=True, timeout=120,
            )
            if result.returncode != 0 or tmp.stat().st_size == 0:
                raise GeoError(f"Chromium ({browser}) could not draw the map: {result.stderr.strip()[-300:]}")
    except subprocess.TimeoutExpired:
        raise GeoError(f"Chromium ({browser}) took over two minutes to draw the map.") from None
    return png_path
