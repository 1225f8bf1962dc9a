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


boundaries_app = typer.Typer(
    name="boundaries",
    help=(
        "Admin boundaries: fetch them from a publisher, register local files, list what is "
        "installed, describe one unit, check the hierarchy.\n\n"
        "Files are looked for in $GEO_BOUNDARIES (only there, when set), else among the files "
        "registered by 'add' and 'fetch', else in ./boundaries; when none is installed at all, "
        "the first command that needs them fetches COD-AB Afghanistan into the cache ($GEO_CACHE)."
    ),
    no_args_is_help=True,
)
_TableFormat = Annotated[str, typer.Option("--format", "-f", help="text, csv or json.")]


def _print_layers(table: pd.DataFrame, fmt: str) -> None:
    if fmt == "text":
        shown = table.assign(in_use=table["in_use"].map({True: "yes", False: "no"})) if "in_use" in table else table
        shown = shown.loc[:, [c for c in shown.columns if (shown[c].astype(str) != "").any()]]  # no empty columns
        shown = shown.rename(columns=lambda c: c.replace("_", " "))
        sys.stdout.write(shown.to_string(index=False) + "\n")
    else:
        sys.stdout.write(format_table(table, fmt))


def _note_env_overrides() -> None:
    import os

    from geo.boundaries import ENV_VAR

    if os.environ.get(ENV_VAR, "").strip():
        _err(f"note: ${ENV_VAR} is set, so commands read that folder only; unset it to use registered files")


@boundaries_app.command("fetch")
def boundaries_fetch(
    source: Annotated[str, typer.Option("--source", "-s", help="cod-ab (OCHA, via HDX), geoboundaries or gadm.")] = "cod-ab",
    country: Annotated[str, typer.Option("--country", "-c", help="ISO 3166 alpha-3 country code.")] = "AFG",
    levels: Annotated[
        Optional[list[int]], typer.Option("--level", "-l", help="Admin level to fetch; repeatable. Default: 0, 1 and 2.")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar per file (on stderr).")] = True,
) -> None:
    """Download boundaries through the publisher's API into the cache, verified, and register them.

    Every file is checked against a checksum (pinned in geo, published by the API, or recorded
    at the first fetch of that URL) and its size; a partial or corrupted download is never
    kept, so running the command again restarts it. GEO_HDX_URL, GEO_GEOBOUNDARIES_URL and
    GEO_GADM_URL point the publishers' base URLs at a mirror.
    """
    from geo.boundaries import describe, fetch_boundaries, registry_entries

    with _user_errors():
        files = fetch_boundaries(source.lower(), country, tuple(levels or (0, 1, 2)), progress=progress)
        how = {(e["path"], e.get("layer") or ""): e for e in registry_entries()}
        for f in sorted(files, key=lambda f: f.level):
            row = pd.Series(describe(f))
            entry = how.get((row.path, row.layer), {})
            typer.echo(
                f"level {row.level}: {row.features} units ({row.publisher}, valid from {row.valid_from or 'unknown'}; "
                f"licence: {row.licence}); sha256 {entry.get('sha256', '')[:16]}… ({entry.get('verified', '')}); {row.path}"
            )
    _note_env_overrides()


@boundaries_app.command("list")
def boundaries_list(fmt: _TableFormat = "text") -> None:
    """List the boundary layers installed, in the order they are picked for each level.

    Shows level, whether it is the one in use, publisher, feature count, licence, validity
    date, geometries repaired, hierarchy mismatches against the level above, and where it is.
    """
    from geo.boundaries import installed

    if fmt not in ("text", "csv", "json"):
        raise typer.BadParameter("use one of text, csv, json", param_hint="--format")
    with _user_errors():
        table = installed().sort_values(["level", "in_use"], ascending=[True, False], kind="stable")
        if table.empty:
            _err("No boundary files are installed; run 'geo boundaries fetch', 'geo boundaries add PATH' or set GEO_BOUNDARIES")
            return
        _print_layers(table, fmt)


@boundaries_app.command("info")
def boundaries_info(
    query: Annotated[str, typer.Argument(help="A code (AF2102) or a name in any spelling the files carry (Dari too).")],
    level: Annotated[Optional[int], typer.Option("--level", "-l", help="Only this admin level: 0, 1 or 2.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Describe one admin unit: names, parent, area in km² (equal-area) and neighbours."""
    import json

    from geo.boundaries import unit_info

    if fmt not in ("text", "json"):
        raise typer.BadParameter("use one of text, json", param_hint="--format")
    with _user_errors():
        units = unit_info(query, level)
        if fmt == "json":
            sys.stdout.write(json.dumps(units, ensure_ascii=False, indent=2) + "\n")
            return
        for u in units:
            parent = f" in {u['parent_name']} ({u['parent_code']})" if u["parent_code"] else ""
            typer.echo(f"{u['name']} ({u['code']}): {u['kind']}, admin level {u['level']}{parent}")
            typer.echo(f"  other names: {', '.join(u['alt_names']) or '(none in the file)'}")
            typer.echo(f"  area: {u['area_km2']:,.1f} km² (EPSG:6933, equal-area)")
            typer.echo(f"  neighbours ({len(u['neighbours'])}): " + ", ".join(f"{n} ({c})" for c, n in u["neighbours"]))
            typer.echo(f"  source: {u['publisher']}, valid from {u['valid_from'] or 'unknown'}, licence: {u['licence']}; {u['source']}")


@boundaries_app.command("add")
def boundaries_add(
    paths: Annotated[list[Path], typer.Argument(help="Boundary files: shapefile (zipped or not), GeoJSON, GeoPackage, GeoParquet.", exists=True, dir_okay=False)],
    licence: Annotated[Optional[str], typer.Option(help="Licence to record when the file does not say.")] = None,
    valid_from: Annotated[Optional[str], typer.Option(help="Validity date (YYYY-MM-DD) to record when the file does not say.")] = None,
) -> None:
    """Register local boundary files of any publisher (read in place, never copied).

    The schema (COD-AB, geoBoundaries, GADM) and the admin level are read from each file's
    columns; every layer is parsed and checked before it is registered.
    """
    from geo.boundaries import add_boundaries, describe

    with _user_errors():
        files = add_boundaries(paths, licence=licence, valid_from=valid_from)
        table = pd.DataFrame([describe(f) for f in files]).drop(columns="in_use").sort_values("level", kind="stable")
        _print_layers(table, "text")
    _note_env_overrides()


@boundaries_app.command("check")
def boundaries_check(fmt: _TableFormat = "text") -> None:
    """Check the hierarchy: every unit lies in exactly one parent, by code and by geometry.

    Prints the mismatches (exit 1 when there are any) and how many geometries were repaired.
    """
    from geo.boundaries import check_hierarchy, load_admin

    if fmt not in ("text", "csv", "json"):
        raise typer.BadParameter("use one of text, csv, json", param_hint="--format")
    with _user_errors():
        try:
            parents = load_admin(0)
        except GeoError:  # no country outline installed: provinces are not checked
            parents = None
        frames = []
        for level in (1, 2):
            units = load_admin(level)
            if parents is not None:
                found = check_hierarchy(units, parents)
                frames.append(found.assign(level=level))
                _err(f"level {level}: {len(units)} units, {len(found)} mismatches against level {level - 1}, "
                     f"{units.attrs.get('repaired', 0)} geometries repaired, "
                     f"{units.attrs.get('duplicate_codes', 0)} duplicate codes")
            parents = units
        table = pd.concat(frames, ignore_index=True)
        if len(table):
            sys.stdout.write(table.to_string(index=False) + "\n" if fmt == "text" else format_table(table, fmt))
            raise typer.Exit(1)


app.add_typer(boundaries_app, name="boundaries")


def main() -> None:
    """Console-script entry point."""
    app()
