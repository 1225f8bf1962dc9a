"""Maps: incidents and admin choropleths as one self-contained Leaflet HTML file.

All folium code lives here. The map uses ``offlinefolium`` (folium with Leaflet's, jQuery's and
Bootstrap's JavaScript and CSS inlined), so the file draws with no network at all; base tiles are
an optional layer, off by default. Every text that came from an input is escaped with
:func:`escape` before it reaches HTML, a tooltip or a popup.
"""

from __future__ import annotations

import hashlib
import html
import math
from functools import lru_cache
from importlib.resources import files
from os import PathLike
from pathlib import Path

import branca.colormap
import geopandas as gpd
import mapclassify
import numpy as np
import offlinefolium as folium
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template

from geo._io import atomic_write_text
from geo.aggregate import aggregate
from geo.boundaries import load_admin, web_geometry
from geo.schema import GEO_PRECISION, TIME_PRECISION

#: Sequential colours for counts; zero gets its own neutral class.
_RAMP = branca.colormap.linear.OrRd_09.scale(0, 1)
ZERO_COLOUR = "#f7f7f7"
#: Colours for actors the table does not list: stable across runs and machines.
_FALLBACK = ["#e41a1c", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#377eb8", "#4daf4a", "#999999"]
#: Base tiles offered as an optional layer (they need the network; the map does not).
TILES = {"openstreetmap": ("OpenStreetMap", "OpenStreetMap tiles (online only)")}
METRICS = ("incidents", "fatalities")
LEVELS = {1: ("adm1", "admin1", "Provinces"), 2: ("adm2", "admin2", "Districts")}


def escape(text: object) -> str:
    """HTML-escape ``text`` for popups and tooltips.

    Folium puts popup and tooltip HTML inside JavaScript template literals, so besides
    ``& < > " '`` this also neutralises backticks, ``${`` and backslashes.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    out = html.escape(str(text), quote=True)
    return out.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


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


def classify(values: pd.Series, k: int = 5) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Classes for a skewed count: zero alone, then natural breaks (or one class per value).

    Returns
    -------
    (numpy.ndarray, list)
        Class index per value (0 = zero class) and each non-zero class's (low, high) bounds.
    """
    values = pd.Series(values, dtype=float).fillna(0)
    positive = values[values > 0]
    if positive.empty:
        return np.zeros(len(values), dtype=int), []
    uniques = np.unique(positive)
    if len(uniques) <= k:  # few distinct counts: one class each, labelled exactly
        bins, bounds = uniques, [(u, u) for u in uniques]
    else:
        bins = mapclassify.NaturalBreaks(positive.to_numpy(), k=k).bins
        lows = [uniques.min(), *[uniques[uniques > b].min() for b in bins[:-1]]]
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


def _choropleth(fmap: folium.Map, incidents: pd.DataFrame, level: int, metric: str, show: bool) -> dict:
    key, name_col, label = LEVELS[level]
    code_col = f"{name_col}_pcode"
    units = web_geometry(load_admin(level))
    counts = aggregate(incidents, key) if len(incidents) else pd.DataFrame(columns=[code_col, *METRICS])
    units = units.merge(counts[[code_col, *METRICS]], on=code_col, how="left")
    units[list(METRICS)] = units[list(METRICS)].fillna(0).astype(int)
    idx, bounds = classify(units[metric])
    colours = _class_colours(len(bounds))
    props = gpd.GeoDataFrame(
        {
            "unit": [escape(f"{n} ({c})") for n, c in zip(units[name_col], units[code_col])],
            "incidents": units["incidents"],
            "fatalities": units["fatalities"],
            "colour": [colours[i] for i in idx],
        },
        geometry=units.geometry,
        crs=4326,
    )
    folium.GeoJson(
        props,
        name=f"{label}: {metric}",
        show=show,
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "fillOpacity": 0.75,
            "color": "#555555" if level == 1 else "#9a9a9a",
            "weight": 1.2 if level == 1 else 0.5,
        },
        highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["unit", "incidents", "fatalities"],
            aliases=[label[:-1], "Incidents", "Fatalities"],
        ),
        smooth_factor=0.5,
    ).add_to(fmap)
    return {"label": label, "metric": metric, "colours": colours, "bounds": bounds}


def _date_text(row: pd.Series) -> str:
    tp = int(row["time_precision"]) if pd.notna(row["time_precision"]) else 1
    date = row["event_date"][:7] if tp == 3 else row["event_date"]
    return date if tp == 1 else f"{date} ({TIME_PRECISION[tp]})"


def _popup_row(row: pd.Series) -> str:
    actors = " vs ".join(a for a in (row["actor1"], row["actor2"]) if a)
    resolved = ", ".join(
        f"{row[n]} ({row[n + '_pcode']})" for n in ("admin2", "admin1") if row.get(n + "_pcode")
    )
    gp = row.get("geo_precision")
    precision = GEO_PRECISION.get(int(gp), "") if pd.notna(gp) else ""
    sources = "; ".join(_link(s) for s in str(row["source"]).split(";") if s.strip())
    if row.get("source_url"):
        sources += ("; " if sources else "") + _link(row["source_url"])
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
    if row.get("notes"):
        cells += f"<tr><th>Notes</th><td>{escape(row['notes'])}</td></tr>"
    return f'<table class="geo-popup"><caption>{escape(row["incident_id"])}</caption>{cells}</table>'


def _actor_layers(fmap: folium.Map, incidents: pd.DataFrame) -> list[str]:
    placed = incidents[incidents["latitude"].notna() & incidents["longitude"].notna()]
    # One row per (incident, actor involved): an incident shows in each of its actors' layers.
    roles = placed.reset_index(names="row").melt(
        id_vars=[c for c in ("row", *placed.columns) if c not in ("actor1", "actor2")],
        value_vars=["actor1", "actor2"], value_name="actor",
    ).drop(columns="variable")
    roles = roles[roles["actor"] != ""].drop_duplicates(["row", "actor"]).join(placed[["actor1", "actor2"]], on="row")
    sizes = roles.groupby("actor").size()
    order = sorted(sizes.index, key=lambda a: (-sizes[a], a))
    # Markers of several actors at one place are drawn as concentric rings: first actor biggest.
    radius = {a: 7 + 5 * (len(order) - 1 - i) for i, a in enumerate(order)}
    for actor in order:
        group = folium.FeatureGroup(name=f"<span style='color:{actor_colour(actor)}'>&#9679;</span> {escape(actor)}", show=True)
        mine = roles[roles["actor"] == actor]
        for (lat, lon), here in mine.groupby(["latitude", "longitude"], sort=True):
            exact = (here["geo_precision"].astype(float) <= 1).all()
            claimed = (here["verification"] == "claimed").all()
            n = len(here)
            place = here["location"].iloc[0] if here["location"].nunique() == 1 else here["admin2"].iloc[0]
            popup = "<hr>".join(_popup_row(r) for _, r in here.sort_values("event_date").iterrows())
            folium.CircleMarker(
                location=[lat, lon],
                radius=radius[actor],
                color=actor_colour(actor),
                weight=2.5,
                dash_array=None if not claimed else "5 4",
                fill=True,
                fill_color=actor_colour(actor),
                fill_opacity=0.85 if exact else 0.0,
                popup=folium.Popup(f'<div class="geo-popups">{popup}</div>', max_width=420),
                tooltip=folium.Tooltip(escape(f"{actor} · {place} · {n} incident{'s' if n > 1 else ''}")),
            ).add_to(group)
        group.add_to(fmap)
    return order


_LEGEND = Template(
    """
{% macro html(this, kwargs) %}
<style>
  .geo-box { position: fixed; z-index: 9999; background: rgba(255,255,255,0.94); padding: 8px 12px;
    border-radius: 6px; box-shadow: 0 1px 5px rgba(0,0,0,0.35); font: 13px/1.35 system-ui, sans-serif; color: #222; }
  .geo-title { top: 10px; left: 60px; max-width: 60%; }
  .geo-title h1 { font-size: 17px; margin: 0 0 2px 0; }
  .geo-legend { bottom: 24px; right: 10px; max-width: 320px; }
  .geo-legend h2 { font-size: 13px; margin: 6px 0 3px 0; }
  .geo-legend .sw { display: inline-block; width: 14px; height: 12px; margin-right: 6px; vertical-align: middle; border: 1px solid #999; }
  .geo-legend .dot { display: inline-block; width: 12px; height: 12px; border-radius: 50%; margin-right: 6px; vertical-align: middle; border: 2.5px solid #444; box-sizing: border-box; }
  .geo-legend ul { list-style: none; margin: 0; padding: 0; }
  .geo-popup caption { caption-side: top; font-weight: 600; text-align: left; }
  .geo-popup th { text-align: left; padding-right: 8px; vertical-align: top; white-space: nowrap; }
  .geo-popups { max-height: 320px; overflow-y: auto; }
</style>
<div class="geo-box geo-title"><h1>{{ this.title }}</h1>{{ this.subtitle }}</div>
<div class="geo-box geo-legend">
  {% for scale in this.scales %}
  <h2>{{ scale.label }}: {{ scale.metric }} per unit</h2>
  <ul>{% for colour, text in scale.classes %}<li><span class="sw" style="background:{{ colour }}"></span>{{ text }}</li>{% endfor %}</ul>
  {% endfor %}
  <h2>Incidents by actor</h2>
  <ul>{% for colour, actor in this.actors %}<li><span class="dot" style="background:{{ colour }};border-color:{{ colour }}"></span>{{ actor }}</li>{% endfor %}</ul>
  <h2>Symbols</h2>
  <ul>
    <li><span class="dot" style="background:#777"></span>town or landmark known</li>
    <li><span class="dot" style="background:transparent"></span>only district or province known (drawn inside it)</li>
    <li><span class="dot" style="background:transparent;border-style:dashed"></span>claimed by a party only</li>
  </ul>
  {% if this.unplaced %}<p>{{ this.unplaced }}</p>{% endif %}
</div>
{% endmacro %}
"""
)


class _Overlay(MacroElement):
    """Title box and legend, drawn as plain HTML and CSS (no legend plugin, nothing to fetch)."""

    _template = _LEGEND

    def __init__(self, title: str, subtitle: str, scales: list[dict], actors: list[str], unplaced: str):
        super().__init__()
        self._name = "GeoOverlay"
        self.title, self.subtitle, self.unplaced = escape(title), escape(subtitle), escape(unplaced)
        self.actors = [(actor_colour(a), escape(a)) for a in actors]
        self.scales = [
            {
                "label": escape(s["label"]),
                "metric": escape(s["metric"]),
                "classes": [(s["colours"][0], "0")]
                + [(c, _fmt_range(lo, hi)) for c, (lo, hi) in zip(s["colours"][1:], s["bounds"])],
            }
            for s in scales
        ]

    def render(self, **kwargs):
        super().render(**kwargs)
        self.get_root().html.add_child(Element(self._template.module.html(self, kwargs)))


def render_map(
    incidents: pd.DataFrame,
    *,
    title: str = "Conflict incidents in Afghanistan",
    subtitle: str | None = None,
    metric: str = "incidents",
    tiles: str | None = None,
) -> folium.Map:
    """Draw geocoded incidents on a self-contained Leaflet map.

    Parameters
    ----------
    incidents
        Geocoded incidents in the schema (see :func:`geo.load_incidents`).
    title, subtitle
        Text of the title box; the subtitle defaults to counts of incidents and fatalities.
    metric
        What the choropleths shade: ``"incidents"`` or ``"fatalities"``.
    tiles
        ``None`` for no base tiles (nothing needs the network), or ``"openstreetmap"`` to
        offer OpenStreetMap as an optional layer, off until the reader ticks it.

    Returns
    -------
    folium.Map
        With a province and a district choropleth and one point layer per actor, each
        toggleable in the layer control, a legend, and bounds fitted to Afghanistan.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}")
    provinces = load_admin(1)
    minx, miny, maxx, maxy = provinces.total_bounds
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=6, tiles=None,
                      control_scale=True, zoom_snap=0.25)
    fmap.get_root().header.add_child(Element("<style>.leaflet-container{background:#dfe6ea}</style>"))
    if tiles:
        url, label = TILES[tiles.lower()]
        folium.TileLayer(url, name=label, overlay=True, show=False).add_to(fmap)
    scales = [
        # Provinces read best at country scale; districts are one tick away.
        _choropleth(fmap, incidents, 1, metric, show=True),
        _choropleth(fmap, incidents, 2, metric, show=False),
    ]
    actors = _actor_layers(fmap, incidents)
    unplaced = int((incidents["latitude"].isna() | incidents["longitude"].isna()).sum()) if len(incidents) else 0
    if subtitle is None:
        subtitle = (
            f"{len(incidents)} incident{'s' if len(incidents) != 1 else ''}, "
            f"{int(incidents['fatalities'].sum()) if len(incidents) else 0} reported fatalities"
        )
    _Overlay(title, subtitle, scales, actors,
             f"{unplaced} incident(s) could not be placed and are not drawn." if unplaced else "").add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def map_html(fmap: folium.Map) -> str:
    """The map as one HTML document."""
    return fmap.get_root().render()


def save_map(fmap: folium.Map, path: str | PathLike[str]) -> Path:
    """Write the map atomically (temporary file, then rename) and return the path."""
    return atomic_write_text(path, map_html(fmap))
