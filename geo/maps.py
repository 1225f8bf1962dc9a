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

import hashlib
import html
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Sequence
from functools import lru_cache
from importlib.resources import files
from os import PathLike
from pathlib import Path

import branca.colormap
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
from geo.aggregate import aggregate
from geo.boundaries import load_admin, web_geometry
from geo.schema import GEO_PRECISION, TIME_PRECISION

#: Sequential colours for counts; zero gets its own neutral class.
_RAMP = branca.colormap.linear.OrRd_09.scale(0, 1)
ZERO_COLOUR = "#f7f7f7"
#: Colours for actors the table does not list: stable across runs and machines.
_FALLBACK = ["#e41a1c", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#377eb8", "#4daf4a", "#999999"]
#: Friendly tile names; any other xyzservices provider name (e.g. OpenTopoMap) works too.
TILES = {"openstreetmap": "OpenStreetMap.Mapnik"}
METRICS = ("incidents", "fatalities")
LEVELS = {1: ("adm1", "admin1", "Provinces"), 2: ("adm2", "admin2", "Districts")}
#: ``--level`` choices and the admin levels each one draws.
LEVEL_CHOICES = {"adm1": (1,), "adm2": (2,), "all": (1, 2)}
#: Points are clustered automatically when one actor has more markers than this in one month.
CLUSTER_AT = 100
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


def actor_colour(actor: str) -> str:
    """The colour of ``actor`` on every map: from ``geo/data/actors.csv``, else a stable pick."""
    known = _actor_table()
    if actor in known:
        return known[actor]
    digest = int(hashlib.sha1(actor.encode("utf-8")).hexdigest(), 16)
    return _FALLBACK[digest % len(_FALLBACK)]


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
    Otherwise the non-zero values are split by :class:`mapclassify.FisherJenks` (optimal,
    deterministic natural breaks); above 600 values it runs on 600 evenly spaced quantiles,
    which keeps the distribution's shape and the run time flat.

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
        import mapclassify  # imports scikit-learn and scipy: ~1 s, paid only when classes are needed

        sample = positive
        if positive.size > 600:
            sample = np.quantile(positive, np.linspace(0, 1, 600), method="inverted_cdf")
        with warnings.catch_warnings():  # "Numba not installed": pure Python is quick at this size
            warnings.simplefilter("ignore", UserWarning)
            bins = np.unique(mapclassify.FisherJenks(sample, k=k).bins)
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


def _choropleth(fmap: folium.Map, incidents: pd.DataFrame, level: int, metric: str, show: bool,
                months: list[str]) -> dict:
    """Add the choropleth of admin ``level`` (values and class per month) and return its legend scale."""
    key, name_col, label = LEVELS[level]
    code_col = f"{name_col}_pcode"
    units = web_geometry(load_admin(level))
    counts = (
        aggregate(incidents, ["month", key])
        if len(incidents)
        else pd.DataFrame(columns=["month", code_col, *METRICS])
    )
    full = pd.MultiIndex.from_product([units[code_col], months], names=[code_col, "month"])
    table = counts.set_index([code_col, "month"])[list(METRICS)].reindex(full, fill_value=0).astype(int)
    values = {m: table[m].to_numpy().reshape(len(units), len(months)) for m in METRICS}
    idx, bounds = classify(pd.Series(values[metric].ravel()))
    classes = idx.reshape(len(units), len(months))
    properties = [
        {"c": code, "u": escape(f"{name} ({code})"), "n": n.tolist(), "f": f.tolist(), "k": k.tolist()}
        for code, name, n, f, k in zip(units[code_col], units[name_col], values["incidents"],
                                       values["fatalities"], classes)
    ]
    colours = _class_colours(len(bounds))
    layer = _Choropleth(
        f"{label}: {metric}",
        _geojson(units.geometry.values, properties),
        {
            "colours": colours,
            "stroke": "#555555" if level == 1 else "#9a9a9a",
            "weight": 1.2 if level == 1 else 0.5,
            "legend": f"geo-scale-{level}",
        },
        show,
    )
    layer.add_to(fmap)
    return {"id": f"geo-scale-{level}", "label": label, "metric": metric, "colours": colours,
            "bounds": bounds, "show": show}


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
                  assets: _Assets) -> tuple[list[str], bool]:
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
    sizes = roles.groupby("actor")["row"].nunique()
    order = sorted(sizes.index, key=lambda a: (-sizes[a], a))
    # Several actors at one place show as concentric rings: the most active actor outermost.
    radius = {a: min(6 + 9 * (len(order) - 1 - i), 42) for i, a in enumerate(order)}
    for i, actor in enumerate(order):
        colour = actor_colour(actor)
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
        for (step, lat, lon, exact), place_rows in mine.groupby(["step", "latitude", "longitude", "exact"], sort=True):
            main = place_rows["rank"].min()
            # The best-verified incidents here make the marker; claims and unassessed reports at
            # the same place ring it as a wider, unfilled halo, so neither hides the other.
            for rank, here in place_rows.groupby("rank", sort=True):
                check, halo = _CHECKS[rank], rank != main
                if (check, exact, halo) not in styles:
                    styles[check, exact, halo] = len(style_list)
                    style_list.append({
                        "radius": radius[actor] + (_HALO[check] if halo else 0),
                        "color": colour, "weight": 2.5, "opacity": 1, "dashArray": _DASH[check],
                        "fill": True, "fillColor": colour, "fillOpacity": 0.85 if exact and not halo else 0.0,
                        "className": "geo-mark",
                    })
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
      return {fillColor: o.colours[f.properties.k[step]], fillOpacity: 0.75, color: o.stroke,
              weight: o.weight, opacity: 1};
    }
    function tip(f) {
      var p = f.properties;
      return '<b>' + p.u + '</b>' + (p.n.length > 1 ? '<br>' + labels[step] : '') +
        '<br>Incidents: ' + p.n[step] + '<br>Reported fatalities: ' + p.f[step];
    }
    layer = L.geoJson(data, {
      pane: pane(map, 'geoAreas', 350),  // below every marker, whichever layer is ticked last
      style: style,
      onEachFeature: function (f, l) {
        units[f.properties.c] = f;
        l.bindTooltip(function () { return tip(f); }, {sticky: true});
        l.on('mouseover', function () { l.setStyle({weight: o.weight + 2, color: '#000000'}); });
        l.on('mouseout', function () { layer.resetStyle(l); });
      }
    });
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

  function points(group, data, o) {
    // data rows: [lat, lon, step, style, tooltip html, popup html, unit code or "", incidents]
    function fill() {
      var made = [];
      group.clearLayers();
      data.forEach(function (d) {
        if (d[2] !== step) { return; }
        var m = L.circleMarker([d[0], d[1]], L.extend({geoCount: d[7]}, o.styles[d[3]]));
        m.bindTooltip(d[4]);
        m.bindPopup(d[5], {maxWidth: 440});
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

  function setStep(i) {
    if (i < 0 || i >= Math.max(labels.length, 1) || i === step) { return; }
    step = i;
    outline.clearLayers();
    timed.forEach(function (l) { l.geoRefresh(); });
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
    if (window.innerWidth >= 760 && window.innerHeight >= 560) { return; }
    document.querySelectorAll('details.geo-legend').forEach(function (el) { el.open = false; });
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
          setStep: setStep, step: function () { return step; },
          label: function () { return labels[step] || ''; }};
})();
"""

_RUNTIME_CSS = """
.leaflet-container { background: #dfe6ea; }
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
@media (max-width: 760px), (max-height: 560px) {
  .geo-title { max-width: calc(100% - 120px); padding: 5px 8px; } .geo-title h1 { font-size: 14px; } }
"""

_LEGEND = Template(
    """
{% macro html(this, kwargs) %}
<div class="geo-box geo-title"><h1>{{ this.title }}</h1>
{%- for text in this.subtitles %}<div data-geo-step="{{ loop.index0 }}"{% if not loop.first %} hidden{% endif %}>{{ text }}</div>{% endfor %}
</div>
<details class="geo-box geo-legend" open><summary>Legend</summary>
  {% for scale in this.scales %}
  <section id="{{ scale.id }}"{% if not scale.show %} hidden{% endif %}>
  <h2>{{ scale.title }}</h2>
  <ul>{% for colour, text in scale.classes %}<li><span class="sw" style="background:{{ colour }}"></span>{{ text }}</li>{% endfor %}</ul>
  </section>
  {% endfor %}
  {% if this.actors %}
  <h2>Incidents by actor</h2>
  <ul>{% for colour, actor in this.actors %}<li><span class="dot" style="background:{{ colour }};border-color:{{ colour }}"></span>{{ actor }}</li>{% endfor %}</ul>
  <h2>Symbols</h2>
  <ul>
    <li><span class="dot" style="background:#777"></span>town or landmark known</li>
    <li><span class="dot" style="background:transparent"></span>only the district or province known: drawn at its centre, outlined on hover</li>
    <li><span class="dot" style="background:transparent;border-style:solid"></span>solid ring: corroborated</li>
    <li><span class="dot" style="background:transparent;border-style:dashed"></span>dashed: claimed by a party only</li>
    <li><span class="dot" style="background:transparent;border-style:dotted"></span>dotted: verification unknown</li>
    <li>a wider dashed or dotted halo: such reports at a corroborated place</li>
    {% if this.cluster %}<li>numbered disc: that actor's incidents grouped at this zoom (actors' discs fan out)</li>{% endif %}
  </ul>
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
                 notes: list[str], per_month: bool, cluster: bool):
        super().__init__()
        self._name = "GeoOverlay"
        self.title = escape(title)
        self.subtitles = [escape(s) for s in subtitles]
        self.notes = [escape(n) for n in notes]
        self.cluster = cluster
        self.actors = [(actor_colour(a), escape(a)) for a in actors]
        what = {"incidents": "Incidents", "fatalities": "Reported fatalities"}
        self.scales = [
            {
                "id": s["id"],
                "show": s["show"],
                "title": escape(f"{s['label']}: {what[s['metric']]} per {s['label'][:-1].lower()}"
                                + (" and month (same classes every month)" if per_month else "")),
                "classes": [(s["colours"][0], "0")]
                + [(c, _fmt_range(lo, hi)) for c, (lo, hi) in zip(s["colours"][1:], s["bounds"])],
            }
            for s in scales
        ]


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
    scales = [
        # Provinces read best at country scale; districts are one tick away when both are drawn.
        _choropleth(fmap, frame, lvl, metric, show=(lvl == 1 or level == "adm2"), months=steps)
        for lvl in LEVEL_CHOICES[level]
    ]
    actors, clustered = _actor_layers(fmap, frame, steps, cluster, assets)
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
    else:
        subtitles = [_summary(frame)]
    _Overlay(title, subtitles, scales, actors, notes, len(steps) > 1, clustered).add_to(fmap)
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
