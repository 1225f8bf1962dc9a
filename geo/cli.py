"""The ``geo`` command line: a thin layer over the Python API.

Data goes to stdout, diagnostics to stderr; the exit code is 0 only on success.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Iterator, Optional

import pandas as pd
import typer

from geo._errors import GeoError
from geo._formats import format_table
from geo.actors import canonical_actor
from geo.aggregate import KEYS, aggregate, parse_keys
from geo.geocode import geocode
from geo.incidents import filter_month, parse_month, read_incidents, to_schema
from geo.maps import METRICS, TILES, render_map, save_map

app = typer.Typer(
    name="geo",
    help=(
        "Turn conflict incident reports into maps an analyst can defend.\n\n"
        "Boundaries are read from the folder in $GEO_BOUNDARIES (COD-AB zipped shapefiles), "
        "or ./boundaries. Without --incidents, commands use the sample incidents transcribed "
        "from the two seed articles."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

IncidentsOpt = Annotated[
    Optional[list[Path]],
    typer.Option(
        "--incidents", "-i",
        help="Incident CSV in the geo schema or an ACLED export; repeat for several. Default: the sample set.",
        dir_okay=False,
    ),
]
MonthOpt = Annotated[Optional[str], typer.Option("--month", "-m", help="Only this month, as YYYY-MM.")]


def _err(message: str) -> None:
    typer.echo(message, err=True)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Print a GeoError as one line and exit 1, instead of a traceback."""
    try:
        yield
    except GeoError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(1) from None


def _check_month(month: str | None) -> str | None:
    if month is None:
        return None
    try:
        return parse_month(month)
    except GeoError as exc:
        raise typer.BadParameter(str(exc), param_hint="--month") from None


def _load(paths: list[Path] | None, month: str | None) -> pd.DataFrame:
    """Read, report, filter and geocode: the common first half of every command."""
    frame, report = read_incidents(paths)
    for rec in report.rejected.itertuples(index=False):
        _err(f"rejected: {rec.file} row {rec.row}: {rec.column} '{rec.value}' {rec.reason}")
    for warning in report.warnings:
        _err(f"warning: {warning}")
    if report.rejected_rows:
        _err(report.summary())
    located = geocode(filter_month(frame, month))
    for rec in located[located["match_status"].isin(["ambiguous", "unmatched", "outside"])].itertuples():
        detail = f" (candidates: {rec.match_note})" if rec.match_status == "ambiguous" else ""
        _err(
            f"warning: {rec.incident_id}: place '{rec.location}' is {rec.match_status}{detail}; "
            "kept without admin codes"
        )
    return located


@app.command()
def incidents(
    month: MonthOpt = None,
    paths: IncidentsOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, json or geojson.")] = "csv",
) -> None:
    """Print geocoded incidents in the geo schema (20 columns, fixed order) to stdout."""
    month = _check_month(month)
    with _user_errors():
        located = _load(paths, month)
        sys.stdout.write(format_table(to_schema(located), fmt, points=True))


@app.command(name="aggregate")
def aggregate_cmd(
    by: Annotated[str, typer.Option("--by", "-b", help=f"Comma list of keys: {', '.join(KEYS)}.")],
    month: MonthOpt = None,
    paths: IncidentsOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv or json.")] = "csv",
) -> None:
    """Count incidents and sum fatalities by month, actor, admin unit, event type or verification.

    By actor, an incident counts once for each distinct actor involved (actor1 or actor2).
    """
    month = _check_month(month)
    with _user_errors():
        keys = parse_keys(by)
        table = aggregate(to_schema(_load(paths, month)), keys)
        sys.stdout.write(format_table(table, fmt))


@app.command()
def render(
    month: Annotated[str, typer.Option("--month", "-m", help="The month to map, as YYYY-MM.")],
    paths: IncidentsOpt = None,
    out: Annotated[
        Optional[Path],
        typer.Option("--out", "-o", help="Where to write the HTML; '-' for stdout. Default: maps/YYYY-MM.html."),
    ] = None,
    actor: Annotated[
        Optional[list[str]],
        typer.Option("--actor", "-a", help="Only incidents involving this actor (any known spelling); repeatable."),
    ] = None,
    title: Annotated[Optional[str], typer.Option(help="Map title. Default: 'Conflict incidents in Afghanistan, <month>'.")] = None,
    metric: Annotated[str, typer.Option(help="What the choropleths shade: incidents or fatalities.")] = "incidents",
    tiles: Annotated[
        str, typer.Option(help="Optional base tiles layer (off until ticked; needs the network): openstreetmap or none.")
    ] = "none",
) -> None:
    """Write a self-contained HTML map of one month's incidents (draws with no network).

    Layers: a province and a district choropleth, and one point layer per actor. The last
    line printed is the path written.
    """
    month = _check_month(month)
    if metric not in METRICS:
        raise typer.BadParameter(f"use one of {', '.join(METRICS)}", param_hint="--metric")
    tiles_key = tiles.lower()
    if tiles_key not in (*TILES, "none"):
        raise typer.BadParameter(f"use one of {', '.join([*TILES, 'none'])}", param_hint="--tiles")
    with _user_errors():
        frame = to_schema(_load(paths, month))
        if actor:
            wanted = {canonical_actor(a) for a in actor}
            frame = frame[frame["actor1"].isin(wanted) | frame["actor2"].isin(wanted)].reset_index(drop=True)
            if frame.empty:
                _err(f"warning: no incidents in {month} involve {', '.join(sorted(wanted))}")
        label = pd.Period(month, freq="M").strftime("%B %Y")
        fmap = render_map(
            frame,
            title=title or f"Conflict incidents in Afghanistan, {label}",
            metric=metric,
            tiles=None if tiles_key == "none" else tiles_key,
        )
        if out is not None and str(out) == "-":
            from geo.maps import map_html

            sys.stdout.write(map_html(fmap))
            return
        path = save_map(fmap, out or Path("maps") / f"{month}.html")
        typer.echo(str(path))


@app.command(name="geocode")
def geocode_cmd(
    path: Annotated[
        Path,
        typer.Argument(
            help="CSV with a 'location' column; optional 'admin1' (province) and 'admin2' (district) hints "
            "in any spelling, and 'latitude'/'longitude' (reverse-geocoded).",
            dir_okay=False,
        ),
    ],
    out: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Write the CSV here (atomically) instead of to stdout.")
    ] = None,
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="Ask OpenStreetMap's Nominatim (one request a second, answers cached on disk) about names "
            "the gazetteer cannot resolve. Off by default: without it nothing leaves this machine.",
        ),
    ] = False,
    cache: Annotated[
        Optional[Path],
        typer.Option(help="The --online answer cache (JSON). Default: $GEO_GEOCODE_CACHE or ~/.cache/geo/online-geocode.json."),
    ] = None,
) -> None:
    """Geocode place names as reporters spell them: every row comes out, in order.

    Adds latitude, longitude, admin1, admin1_pcode, admin2, admin2_pcode, geo_precision, match_name, match_score,
    match_status and match_note.

    geo_precision: 1 a town or landmark, 2 a district, 3 a province. match_score: 100 for an exact spelling.

    match_status: matched, ambiguous (the candidates are in match_note: add a province to choose) or unresolved.

    Hint columns admin1/admin2 are kept as admin1_given/admin2_given. A summary line goes to stderr.
    """
    import time

    from geo._io import atomic_write_text
    from geo.geocode import geocode_places, read_places, status_summary

    with _user_errors():
        started = time.perf_counter()
        frame = read_places(path)
        fallback = None
        if online:
            from geo.geocoders import OnlineFallback

            def progress(items, length, label):
                with typer.progressbar(items, length=length, label=label, file=sys.stderr) as bar:
                    yield from bar

            fallback = OnlineFallback(cache_path=cache, progress=progress)
        located = geocode_places(frame, online=fallback)
        text = located.to_csv(index=False)
        if out is not None:
            atomic_write_text(out, text)
        else:
            sys.stdout.write(text)
        distinct = located["location"].nunique()
        _err(f"geocoded {len(located)} rows ({distinct} distinct locations) in {time.perf_counter() - started:.1f} s: "
             f"{status_summary(located['match_status'])}")
        if fallback is not None:
            _err(f"online: {fallback.requests} requests to {fallback.name}, cache {fallback.cache_path}")
            if fallback.unavailable:
                _err(f"warning: {fallback.name} did not answer ({fallback.failures[-1]}); names it was to look up stay unresolved")


def main() -> None:
    """Console-script entry point."""
    app()
