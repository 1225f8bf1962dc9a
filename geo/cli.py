"""The ``geo`` command line: a thin layer over the Python API.

Data goes to stdout, diagnostics to stderr; the exit code is 0 only on success.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Callable, Iterator, Optional

import typer
from typer.core import TyperArgument, TyperGroup

# Only light modules at the top: pandas, geopandas, pandera and folium are imported by the
# commands that use them, so `geo --help` answers at once (tests/test_lazy_imports.py).
from geo._errors import GeoError
from geo._formats import (FILE_FORMATS, GEO_FORMATS, SUFFIX_FORMATS, check_format, csv_text, format_table,
                          geojson_text, write_table)
from geo._io import atomic_write_text, silence_stdout
from geo._options import CLUSTER_AT, ENGINES, LEVEL_CHOICES, METRICS
from geo.aggregate import KEYS, aggregate, parse_keys, with_unit_geometry

if TYPE_CHECKING:
    import distributed
    import pandas as pd

class _Argument(TyperArgument):
    """An argument shown by its declared metavar alone: "geo extract [OPTIONS] ARTICLE..." and
    "ARTICLE...  Plain-text news articles", where typer would write "{articles}..." and
    "articles... <list[Path]>". (Options need nothing of the kind: their metavars are declared.)"""

    def display_type_rich(self, ctx):  # typer's plain help appends this to the argument's name
        return None

    def get_usage_pieces(self, ctx) -> list[str]:
        return [self.metavar] if self.metavar else super().get_usage_pieces(ctx)


class _Group(TyperGroup):
    """Commands whose arguments read as their metavars (see :class:`_Argument`)."""

    def get_command(self, ctx, cmd_name: str):
        command = super().get_command(ctx, cmd_name)
        for param in getattr(command, "params", []):
            if isinstance(param, TyperArgument) and param.metavar:
                param.__class__ = _Argument  # typer makes the parameters itself: no way to pass a class
        return command


app = typer.Typer(
    cls=_Group,
    name="geo",
    help=(
        "Turn conflict incident reports into maps an analyst can defend.\n\n"
        "Boundaries (COD-AB, geoBoundaries or GADM files) are read from the folder in "
        "$GEO_BOUNDARIES, else from the files 'geo boundaries fetch' or 'add' registered, or "
        "./boundaries. Without --incidents, commands use the sample incidents transcribed from "
        "the two seed articles."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: rich's help renderer costs 0.2 s of imports on every `geo --help`. Like
    # rich, it fills the terminal's width (click alone would stop at 80 columns).
    rich_markup_mode=None,
    context_settings={"max_content_width": 1000},
)

IncidentsOpt = Annotated[
    Optional[list[Path]],
    typer.Option(
        "--incidents", "-i", metavar="PATH",
        help="Incident CSV in the geo schema or an ACLED export (or a .parquet/.geoparquet table of the same "
             "columns); repeat for several. Default: the sample set.",
        dir_okay=False,
    ),
]
MonthOpt = Annotated[Optional[str], typer.Option("--month", "-m", metavar="YYYY-MM", help="Only this month.")]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="Any problem in the input (a rejected, flagged or unplaced row) is fatal.")
]
RejectsOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--rejects", metavar="FILE",
        help="Where rejected rows go with their reasons (CSV). Default: <first input>.rejects.csv here.",
        dir_okay=False,
    ),
]
WarningsOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--warnings", metavar="FILE",
        help="Where every warning goes (CSV) when stderr shows only the first 10 of a reason. "
             "Default: <first input>.warnings.csv here.",
        dir_okay=False,
    ),
]

EngineOpt = Annotated[
    str,
    typer.Option(metavar="pandas|dask",
                 help="Where read, geocode and aggregate run: pandas (this process) or dask (a dask.distributed "
                      "cluster: a local one with a worker per core, or the one at --scheduler). Same results."),
]
SchedulerOpt = Annotated[
    Optional[str],
    typer.Option(metavar="ADDRESS",
                 help="Address of a running dask scheduler for --engine dask, e.g. tcp://10.0.0.5:8786; the input "
                      "files must be readable by its workers at the same paths. Default: a local cluster."),
]


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _out(text: str) -> None:
    """Write data to stdout now, so that a full disk is an error here rather than a traceback
    (or a lost flush at exit); a closed pipe (``geo incidents | head``) is left to click."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        silence_stdout()
        raise GeoError(f"Could not write to standard output ({exc.strerror or exc}).") from None


@contextmanager
def _user_errors() -> Iterator[None]:
    """Print a GeoError as one line and exit 1, instead of a traceback."""
    try:
        yield
    except GeoError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(1) from None


def _check_month(month: str | None) -> str | None:
    from geo.incidents import parse_month

    if month is None:
        return None
    try:
        return parse_month(month)
    except GeoError as exc:
        raise typer.BadParameter(str(exc), param_hint="--month") from None


@contextmanager
def _engine(engine: str, scheduler: str | None) -> Iterator[distributed.Client | None]:
    """None for the pandas engine; a client of the cluster for the dask engine (closed on exit)."""
    if engine not in ENGINES:
        raise typer.BadParameter(f"use one of {', '.join(ENGINES)}", param_hint="--engine")
    if engine == "pandas":
        if scheduler:
            raise typer.BadParameter("a scheduler is only used with --engine dask", param_hint="--scheduler")
        yield None
        return
    from geo.distributed import connect

    with _user_errors(), connect(scheduler) as client:
        yield client


def _arrow_allocator() -> None:
    """Give Arrow's memory to jemalloc in this process, unless ``ARROW_DEFAULT_MEMORY_POOL`` says otherwise.

    Reading a million rows allocates and frees a few gigabytes of column buffers. mimalloc,
    pyarrow's default, hands freed pages back to the system and takes new ones, each paid for
    by a page fault; jemalloc keeps them for the next column: a third less time for `geo
    aggregate` of a million rows, and less memory at its peak (docs/BENCHMARKS.md).
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # a pyarrow built without jemalloc keeps its default
        pass


def _load(
    paths: list[Path] | None, month: str | None, *, strict: bool = False, rejects: Path | None = None,
    warnings: Path | None = None, client: distributed.Client | None = None,
    choose: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Read, report, filter and geocode: the common first half of every command.

    Every problem is printed to stderr with file, row, column and value; the totals line
    ``read N = kept K + rejected R`` is always printed; rejected rows go to a side file, and
    so do all warnings when there are too many to print.
    With a dask ``client`` the work runs on its cluster and a dask frame is returned.
    ``choose`` picks the rows to geocode from those kept (default: the month's, or all).
    """
    import pandas as pd

    from geo.boundaries import load_admin
    from geo.geocode import geocode
    from geo.incidents import filter_month, read_incidents

    _arrow_allocator()
    if client is None:
        frame, report = read_incidents(paths)
        chosen = filter_month(frame, month) if choose is None else choose(frame)
        del frame  # geocoding copies the rows chosen
        located = geocode(chosen)
    else:
        from geo.distributed import load_incidents

        located, report = load_incidents(paths, month, client=client)
        chosen = located  # the month's rows, geocoded: as many
    first = Path(paths[0]) if paths else Path("incidents")
    target = rejects or Path(f"{first.stem}.rejects.csv")
    # Named from the input, never from --rejects, which may be /dev/null or a FIFO.
    notes = warnings or Path(f"{first.stem}.warnings.csv")
    _print_problems("rejected", report.rejected, target)
    counted = _print_problems("warning", report.flagged, notes)
    for level in (1, 2):  # geocoding has loaded both levels; say if either needed repairs
        units = load_admin(level)
        if units.attrs.get("repaired"):
            _err(f"warning: {units.attrs['repaired']} invalid geometries repaired with make_valid in {units.attrs['source']}")
    unplaced = located[located["match_status"].isin(["ambiguous", "unmatched", "outside"])]
    if client is not None:
        unplaced = unplaced.compute()
    unplaced = pd.DataFrame({
        "file": unplaced["input_file"].to_numpy(), "row": unplaced["input_row"].to_numpy(), "column": "location",
        "value": unplaced["location"].to_numpy(),
        "reason": ("is " + unplaced["match_status"] + unplaced["match_note"].where(unplaced["match_note"] == "",
                   " (" + unplaced["match_note"] + ")") + "; kept without admin codes").to_numpy(),
        "status": unplaced["match_status"].to_numpy(),
    })
    counted |= _print_problems("warning", unplaced, notes, by=["status"])
    _err(report.summary())
    if month is not None:  # the filter accounts for its rows too
        _err(f"{len(chosen)} of the {report.kept} rows kept are in {month}")
    problems = len(report.rejected) + len(report.flagged) + len(unplaced)
    if strict and problems:
        raise GeoError(f"--strict: {problems} problem(s) in the input (listed above); nothing was written.")
    if report.rejected_rows:
        atomic_write_text(target, csv_text(report.rejected))
        _err(f"rejected rows and their reasons written to {target}")
    if counted:  # warnings were counted on stderr: every one of them goes to a side file
        everything = pd.concat([report.flagged, unplaced.drop(columns="status")], ignore_index=True)
        atomic_write_text(notes, csv_text(everything.sort_values(["file", "row"], kind="stable")))
        _err(f"all {len(everything)} warnings written to {notes}")
    return located


#: Problems of one reason printed on stderr, one line each; past this many, the rest of that
#: reason is one line with their number (a million rows can make tens of thousands of lines),
#: and the full list goes to the side file (rejects, or warnings).
SHOWN_PER_REASON = 10


def _print_problems(kind: str, table: pd.DataFrame, side: Path, by: list[str] | None = None) -> bool:
    """Print each problem of ``table`` (file, row, column, value, reason) as one ``kind:`` line.

    Problems are grouped by ``by`` (default: column and reason); past :data:`SHOWN_PER_REASON`
    lines in a group, one line says how many more there are and where they all are. Returns
    whether any group was cut short so.
    """
    if table.empty:
        return False
    groups = table.groupby(by or ["column", "reason"], sort=False, dropna=False)
    rank = groups.cumcount().to_numpy()
    for rec in table[rank < SHOWN_PER_REASON].itertuples(index=False):
        _err(f"{kind}: {rec.file} row {rec.row}: {rec.column} '{rec.value}' {rec.reason}")
    sizes = groups.size()
    for rec, size in zip(groups.head(1).itertuples(index=False), sizes.to_numpy()):
        if size > SHOWN_PER_REASON:
            what = f"location is {rec.status}" if by else f"{rec.column} {rec.reason}"
            _err(f"{kind}: … and {size - SHOWN_PER_REASON:,} more rows: {what} (all {size:,} in {side})")
    return bool((sizes > SHOWN_PER_REASON).any())


FormatOpt = Annotated[
    Optional[str],
    typer.Option("--format", "-f", metavar="FORMAT",
                 help="csv, json, geojson, gpkg (GeoPackage, for QGIS) or xlsx (Excel); gpkg and xlsx need --out. "
                      "Default: from the --out suffix, else csv."),
]
TableOutOpt = Annotated[
    Optional[Path],
    typer.Option("--out", "-o", metavar="FILE", dir_okay=False,
                 help="Write to this file (atomically) instead of stdout, and print its path."),
]
TABLE_FORMATS = ("csv", "json", "geojson", *FILE_FORMATS)


def _table_format(fmt: str | None, out: Path | None) -> str:
    """The output format asked for (or implied by --out's suffix), checked before any work."""
    if fmt is None:
        fmt = SUFFIX_FORMATS.get(out.suffix.lower(), "csv") if out is not None and str(out) != "-" else "csv"
    try:
        return check_format(fmt, TABLE_FORMATS, out)
    except GeoError as exc:
        raise typer.BadParameter(str(exc), param_hint="--format") from None


def _emit(table: pd.DataFrame, fmt: str, out: Path | None, layer: str, *, points: bool = False) -> None:
    """Print ``table`` to stdout, or write it to ``out``; files in GIS formats carry geometries."""
    if fmt in FILE_FORMATS:
        if fmt == "gpkg":
            from geo.spatial import incident_points

            table = incident_points(table) if points else with_unit_geometry(table)
        _out(f"{write_table(table, fmt, out, layer=layer)}\n")
        return
    if fmt == "geojson" and not points:
        text = geojson_text(with_unit_geometry(table))
    else:
        text = format_table(table, fmt, points=points)
    if out is None or str(out) == "-":
        _out(text)
    else:
        _out(f"{atomic_write_text(out, text)}\n")


@app.command()
def incidents(
    month: MonthOpt = None,
    paths: IncidentsOpt = None,
    fmt: FormatOpt = None,
    out: TableOutOpt = None,
    strict: StrictOpt = False,
    rejects: RejectsOpt = None,
    warnings: WarningsOpt = None,
    engine: EngineOpt = "pandas",
    scheduler: SchedulerOpt = None,
) -> None:
    """Print geocoded incidents in the geo schema (20 columns, fixed order) to stdout, or write them to --out.

    geojson and gpkg carry each incident as a point (incidents that could not be placed have an empty geometry); xlsx is the same table for Excel, text always kept as text.

    Example: geo incidents --month 2023-03 --out march.gpkg
    """
    from geo.incidents import to_schema

    month = _check_month(month)
    fmt = _table_format(fmt, out)
    with _engine(engine, scheduler) as client, _user_errors():
        located = _load(paths, month, strict=strict, rejects=rejects, warnings=warnings, client=client)
        if client is not None:
            located = located.compute()
        _emit(to_schema(located), fmt, out, "incidents", points=True)


@app.command(name="aggregate")
def aggregate_cmd(
    by: Annotated[str, typer.Option("--by", "-b", metavar="KEYS", help=f"Comma list of keys: {', '.join(KEYS)}.")],
    month: MonthOpt = None,
    paths: IncidentsOpt = None,
    fmt: FormatOpt = None,
    out: TableOutOpt = None,
    strict: StrictOpt = False,
    rejects: RejectsOpt = None,
    warnings: WarningsOpt = None,
    engine: EngineOpt = "pandas",
    scheduler: SchedulerOpt = None,
) -> None:
    """Count incidents and sum fatalities by month, actor, admin unit, event type or verification.

    By actor, an incident counts once for each distinct actor involved (actor1 or actor2).

    geojson and gpkg give each row the outline of its unit (the district with adm2, else the province with adm1), for QGIS; they need adm1 or adm2 in --by.

    Example: geo aggregate --by month,adm1 --out provinces.gpkg
    """
    from geo.incidents import to_schema

    month = _check_month(month)
    fmt = _table_format(fmt, out)
    try:
        keys = parse_keys(by)
    except GeoError as exc:
        raise typer.BadParameter(str(exc), param_hint="--by") from None
    if fmt in GEO_FORMATS and not {"adm1", "adm2"} & set(keys):
        raise typer.BadParameter(f"--format {fmt} draws each row's admin unit: add adm1 or adm2 to --by "
                                 "(e.g. --by month,adm1)", param_hint="--by")
    with _engine(engine, scheduler) as client, _user_errors():
        located = _load(paths, month, strict=strict, rejects=rejects, warnings=warnings, client=client)
        table = aggregate(located if client is not None else to_schema(located), keys)
        _emit(table, fmt, out, "aggregate")


def _check_range(month: str | None, first: str | None, last: str | None) -> tuple[str, str] | None:
    """The months asked for, as (first, last); None when only a range's open end is given."""
    from geo.incidents import parse_month

    checked = {}
    for hint, value in (("--month", month), ("--from", first), ("--to", last)):
        try:
            checked[hint] = parse_month(value) if value is not None else None
        except GeoError as exc:
            raise typer.BadParameter(str(exc), param_hint=hint) from None
    if month is not None and (first or last):
        raise typer.BadParameter("give either --month or --from/--to, not both", param_hint="--month")
    if month is None and first is None and last is None:
        raise typer.BadParameter("give the month to map (--month YYYY-MM) or a range (--from YYYY-MM --to YYYY-MM)",
                                 param_hint="--month")
    if month is not None:
        return checked["--month"], checked["--month"]
    if first and last and first > last:
        raise typer.BadParameter(f"--from {first} is after --to {last}", param_hint="--from")
    return checked["--from"], checked["--to"]


@app.command()
def render(
    month: Annotated[Optional[str], typer.Option("--month", "-m", metavar="YYYY-MM", help="The month to map.")] = None,
    first: Annotated[
        Optional[str],
        typer.Option("--from", metavar="YYYY-MM", help="First month of a range; the map gets a month-by-month time control."),
    ] = None,
    last: Annotated[
        Optional[str],
        typer.Option("--to", metavar="YYYY-MM", help="Last month of a range. Default with --from: the last month with incidents."),
    ] = None,
    compare: Annotated[
        Optional[tuple[str, str]],
        typer.Option("--compare", metavar="YYYY-MM YYYY-MM",
                     help="Map the change per unit from the first month to the second, in diverging colours "
                          "(red: more, blue: fewer); points are the second month's."),
    ] = None,
    paths: IncidentsOpt = None,
    out: Annotated[
        Optional[Path],
        typer.Option("--out", "-o", metavar="FILE",
                     help="Where to write the HTML; '-' for stdout. Default: maps/<months>.html, its name extended "
                          "by every other option that changes the map (e.g. maps/2023-03_iskp_fatalities.html), so "
                          "maps made with other options get other names (titles, actors and file names shortened "
                          "to 32 lower-case letters, digits and hyphens)."),
    ] = None,
    actor: Annotated[
        Optional[list[str]],
        typer.Option("--actor", "-a", metavar="NAME", help="Only incidents involving this actor (any known spelling); repeatable."),
    ] = None,
    title: Annotated[Optional[str], typer.Option(metavar="TEXT", help="Map title. Default: 'Conflict incidents in Afghanistan, <months>'; the months are shown under any title.")] = None,
    metric: Annotated[str, typer.Option(metavar="incidents|fatalities", help="What the choropleths shade.")] = "incidents",
    per: Annotated[
        Optional[int],
        typer.Option("--per", metavar="N", min=1, help="Shade the metric per N people (e.g. 100000); needs --population."),
    ] = None,
    population: Annotated[
        Optional[Path],
        typer.Option("--population", metavar="FILE", dir_okay=False,
                     help="CSV of population by unit: a 'pcode' column (province or district P-codes, e.g. AF21, "
                          "AF2101) and a 'population' column. Provinces it leaves out are summed from their districts."),
    ] = None,
    level: Annotated[
        str, typer.Option(metavar="adm1|adm2|all", help="Choropleths to draw: provinces, districts or both (districts off until ticked).")
    ] = "all",
    tiles: Annotated[
        str,
        typer.Option(metavar="NAME", help="Optional base tiles layer (off until ticked; needs the network): none, openstreetmap, "
                          "or an xyzservices provider name such as OpenTopoMap."),
    ] = "none",
    cluster: Annotated[
        Optional[bool],
        typer.Option("--cluster/--no-cluster", help=f"Cluster each actor's markers. Default: only when an actor has "
                                                    f"over {CLUSTER_AT} markers in one month."),
    ] = None,
    cdn: Annotated[
        bool, typer.Option("--cdn", help="Link Leaflet and plugins from their CDNs: a smaller file that only draws online.")
    ] = False,
    png: Annotated[
        Optional[Path],
        typer.Option("--png", metavar="FILE", help="Also save a PNG picture of the map here (needs headless Chromium).", dir_okay=False),
    ] = None,
    strict: StrictOpt = False,
    rejects: RejectsOpt = None,
    warnings: WarningsOpt = None,
) -> None:
    """Write one self-contained HTML map: a month, a range of months (with a time control), or the change between two months.

    Layers, each toggleable: a province and a district choropleth (--level), and one point layer per actor; province names, neighbouring countries and a trend panel (incidents per month by actor, for the whole map or a clicked unit). The file draws with no network unless --cdn is given. The last line printed is the path written (the PNG's last, when --png is given).

    Examples: geo render --month 2023-03; geo render --compare 2023-02 2023-03; geo render --month 2023-03 --per 100000 --population pop.csv
    """
    import pandas as pd

    from geo.actors import canonical_actor
    from geo.incidents import to_schema
    from geo.maps import map_html, read_population, render_map, save_map, save_png, tile_provider, trend_months

    if compare is not None:
        if month or first or last:
            raise typer.BadParameter("give either --compare or --month/--from/--to, not both", param_hint="--compare")
        before, after = (_check_month_hint(m, "--compare") for m in compare)
        if before == after:
            raise typer.BadParameter("compare two different months", param_hint="--compare")
        months = (after, after)
    else:
        months = _check_range(month, first, last)
    if metric not in METRICS:
        raise typer.BadParameter(f"use one of {', '.join(METRICS)}", param_hint="--metric")
    if level not in LEVEL_CHOICES:
        raise typer.BadParameter(f"use one of {', '.join(LEVEL_CHOICES)}", param_hint="--level")
    if (per is None) != (population is None):
        raise typer.BadParameter("--per and --population go together (e.g. --per 100000 --population pop.csv)",
                                 param_hint="--per" if per is None else "--population")
    if per is not None and compare is not None:
        raise typer.BadParameter("--per cannot be combined with --compare", param_hint="--per")
    tiles_key = tiles.strip()
    if tiles_key.lower() != "none":
        try:
            tile_provider(tiles_key)
        except GeoError as exc:
            raise typer.BadParameter(str(exc), param_hint="--tiles") from None
    with _user_errors():
        people = read_population(population) if population is not None else None
        wanted = sorted({canonical_actor(a) for a in actor}) if actor else []
        scope: dict = {}

        def choose(kept: pd.DataFrame) -> pd.DataFrame:
            """The rows the map can show: the months mapped and the trend panel's (the twelve
            months up to the last one mapped); only these are geocoded."""
            if wanted:
                kept = kept[kept["actor1"].isin(wanted) | kept["actor2"].isin(wanted)]
            dated = kept["event_date"].str[:7]
            scope["rows"], scope["since"] = len(kept), (dated.min() if len(kept) else None)
            lo = scope["lo"] = months[0] or (dated.min() if len(kept) else months[1])
            hi = scope["hi"] = months[1] or (dated.max() if len(kept) else months[0])
            if lo > hi:
                return kept.iloc[:0]
            steps = [str(p) for p in pd.period_range(lo, hi, freq="M")]
            needed = {*steps, *((before, after) if compare is not None else ()), *trend_months(steps[-1], scope["since"])}
            return kept[dated.isin(needed).to_numpy()].reset_index(drop=True)

        everything = to_schema(_load(paths, None, strict=strict, rejects=rejects, warnings=warnings, choose=choose))
        lo, hi = scope["lo"], scope["hi"]
        if lo > hi:
            raise GeoError(f"No incidents fall in the range asked for (the data ends {hi}, before {lo}).")
        dated = everything["event_date"].str[:7]
        steps = [str(p) for p in pd.period_range(lo, hi, freq="M")]
        shown = [before, after] if compare is not None else steps
        within = dated.isin(shown)
        span = " and ".join(shown) if compare is not None else (lo if lo == hi else f"{lo} to {hi}")
        _err(f"{int(within.sum())} of the {scope['rows']} rows kept{' that involve the actors asked for' if wanted else ''} "
             f"are in {span}")
        frame = everything[within].reset_index(drop=True)
        if frame.empty:
            who = f" involve {', '.join(wanted)}" if wanted else ""
            _err(f"warning: no incidents in {span}{who}; the map shows empty choropleths")
        label = f"{_period_label([before])} → {_period_label([after])}" if compare is not None else _period_label(steps)
        filters = [f"Only incidents involving {', '.join(wanted)}"] if wanted else []
        fmap = render_map(
            frame,
            title=title or (f"Change in conflict incidents in Afghanistan, {label}" if compare is not None
                            else f"Conflict incidents in Afghanistan, {label}"),
            metric=metric,
            tiles=None if tiles_key.lower() == "none" else tiles_key,
            level=level,
            months=steps,
            cluster=cluster,
            cdn=cdn,
            filters=filters,
            compare=(before, after) if compare is not None else None,
            per=per,
            population=people,
            trend=everything,
            trend_since=scope["since"],
        )
        name = _default_name(steps, compare, paths, wanted, metric, level, per, population=population,
                             title=title or None, tiles=tiles_key, cluster=cluster, cdn=cdn)
        if out is not None and str(out) == "-":
            _out(map_html(fmap))
            if png is not None:
                with tempfile.TemporaryDirectory() as tmp:
                    typer.echo(str(save_png(save_map(fmap, Path(tmp) / f"{name}.html"), png)), err=True)
            return
        path = save_map(fmap, out or Path("maps") / f"{name}.html")
        _out(f"{path}\n")
        if png is not None:
            _out(f"{save_png(path, png)}\n")


def _check_month_hint(value: str, hint: str) -> str:
    from geo.incidents import parse_month

    try:
        return parse_month(value)
    except GeoError as exc:
        raise typer.BadParameter(str(exc), param_hint=hint) from None


def _slug(text: str, limit: int = 32, *, acronym: bool = True) -> str:
    """A short file-name-safe form of ``text``: 'Islamic State Khorasan Province (ISKP)' → 'iskp'
    (with ``acronym``), 'Deaths by district' → 'deaths-by-district'."""
    bracket = re.search(r"\(([^()]+)\)\s*$", text) if acronym else None  # an actor's acronym names it best
    words = re.sub(r"[^0-9a-z]+", "-", (bracket.group(1) if bracket else text).lower()).strip("-")
    return words[:limit].rstrip("-") or "x"


def _default_name(steps: list[str], compare: tuple[str, str] | None, paths: list[Path] | None, actors: list[str],
                  metric: str, level: str, per: int | None, *, population: Path | None = None,
                  title: str | None = None, tiles: str = "none", cluster: bool | None = None,
                  cdn: bool = False) -> str:
    """maps/<name>.html: the months, then every other option that changes what the map shows or how."""
    parts = [f"{compare[0]}_vs_{compare[1]}" if compare else
             steps[0] if len(steps) == 1 else f"{steps[0]}_{steps[-1]}"]
    parts += [_slug(Path(p).stem) for p in paths or []]
    parts += [_slug(a) for a in actors]
    if metric != "incidents":
        parts.append(metric)
    if per is not None:
        parts.append(f"per{per}")
    if population is not None:
        parts.append(_slug(Path(population).stem))
    if level != "all":
        parts.append(level)
    if title is not None:
        parts.append(_slug(title, acronym=False))
    if tiles.strip().lower() != "none":
        parts.append(f"tiles-{_slug(tiles)}")
    if cluster is not None:
        parts.append("cluster" if cluster else "nocluster")
    if cdn:
        parts.append("cdn")
    return "_".join(parts)


def _period_label(months: list[str]) -> str:
    """'March 2023', 'March–April 2023' or 'December 2022 – April 2023'."""
    import pandas as pd

    first, last = pd.Period(months[0], freq="M"), pd.Period(months[-1], freq="M")
    if first == last:
        return first.strftime("%B %Y")
    if first.year == last.year:
        return f"{first.strftime('%B')}–{last.strftime('%B %Y')}"
    return f"{first.strftime('%B %Y')} – {last.strftime('%B %Y')}"


def _per_article(values: list[str] | None, count: int, option: str) -> list[str | None]:
    """One value per article: none given, one for all, or one each in file order."""
    if not values:
        return [None] * count
    if len(values) == 1:
        return values * count
    if len(values) != count:
        raise typer.BadParameter(
            f"give {option} once (for every article) or once per article in file order; "
            f"got {len(values)} for {count} articles",
            param_hint=option,
        )
    return list(values)


def _publication_date(value: str | None) -> date | None:
    if value is None or value.strip().lower() in ("", "unknown", "-"):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date in YYYY-MM-DD form (or 'unknown')", param_hint="--published") from None


@app.command()
def extract(
    articles: Annotated[list[Path], typer.Argument(metavar="ARTICLE...", help="Plain-text news articles (UTF-8 or Windows-1252).",
                                                   dir_okay=False)],
    published: Annotated[
        Optional[list[str]],
        typer.Option(
            "--published", "-p", metavar="YYYY-MM-DD",
            help="Publication date that 'on Monday' or 'earlier this month' count from. Give it once "
            "for all articles or once per article in file order; 'unknown' for an article without one (its "
            "relative dates are then left empty and flagged, not guessed).",
        ),
    ] = None,
    source: Annotated[
        Optional[list[str]],
        typer.Option("--source", "-s", metavar="NAME", help="Source name for the `source` column: once for all, or once per article in file order. Default: the file name."),
    ] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="FILE", help="Write the incident CSV here (atomically) instead of stdout.", dir_okay=False)] = None,
    context: Annotated[
        Optional[Path],
        typer.Option("--context", "-c", metavar="FILE", help="Write aggregate and generic statements ('on eight occasions this month') to this CSV instead of stderr.", dir_okay=False),
    ] = None,
) -> None:
    """Draft incident records from news articles, each with the sentence that supports it.

    Output: the 20 schema columns (so `geo render --incidents OUT.csv` reads it unchanged), then evidence, evidence_start and evidence_end (character offsets in the article), then review columns: date_text, date_status, match_status, supporting (every sentence used, as FILE:start-end) and review (what to check).

    Reports of the same incident in several articles (same district and actors, dates at most a day apart) merge into one record listing every source. Counts such as 'on eight occasions this month' are context, not incidents.

    Example: geo extract a.txt b.txt -p 2023-04-04 -p 2023-03-29 -s "Kabul Now" -s Sputnik -o drafts.csv
    """
    from geo._io import atomic_write_text
    from geo.extract import extract_incidents, read_article

    dates = [_publication_date(v) for v in _per_article(published, len(articles), "--published")]
    sources = _per_article(source, len(articles), "--source")
    with _user_errors():
        docs = [read_article(path, when, name) for path, when, name in zip(articles, dates, sources)]
        for doc in docs:
            if doc.published is None:
                _err(f"warning: {doc.name}: no publication date; relative dates stay unresolved and are flagged")
        found = extract_incidents(docs)
        table = found.incidents
        for rec in table.itertuples():
            if rec.date_status != "resolved":
                _err(f"warning: {rec.incident_id}: {rec.review.split('; ')[0]} (geo render reports rows without a date as rejected)")
            if rec.match_status != "matched":
                _err(f"warning: {rec.incident_id}: place '{rec.location}' is {rec.match_status}; kept without admin codes")
        merged = int(table["source"].str.contains("; ").sum())
        _err(
            f"extracted {len(table)} incident(s) from {len(docs)} article(s)"
            + (f", {merged} reported by several" if merged else "")
            + f"; {len(found.context)} context statement(s)"
        )
        if context is not None:
            atomic_write_text(context, csv_text(found.context))
        else:
            for rec in found.context.itertuples():
                _err(f"context: {rec.source}: {rec.kind}: {rec.text}")
        text = csv_text(table)
        if out is None:
            _out(text)
        else:
            _out(f"{atomic_write_text(out, text)}\n")


boundaries_app = typer.Typer(
    cls=_Group,
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
_TableFormat = Annotated[str, typer.Option("--format", "-f", metavar="text|csv|json", help="How to print the table.")]


def _print_layers(table: pd.DataFrame, fmt: str) -> None:
    if fmt == "text":
        shown = table.assign(in_use=table["in_use"].map({True: "yes", False: "no"})) if "in_use" in table else table
        shown = shown.loc[:, [c for c in shown.columns if (shown[c].astype(str) != "").any()]]  # no empty columns
        shown = shown.rename(columns=lambda c: c.replace("_", " "))
        _out(shown.to_string(index=False) + "\n")
    else:
        _out(format_table(table, fmt))


def _note_env_overrides() -> None:
    import os

    from geo.boundaries import ENV_VAR

    if os.environ.get(ENV_VAR, "").strip():
        _err(f"note: ${ENV_VAR} is set, so commands read that folder only; unset it to use registered files")


@boundaries_app.command("fetch")
def boundaries_fetch(
    source: Annotated[str, typer.Option("--source", "-s", metavar="PUBLISHER",
                                        help="cod-ab (OCHA, via HDX), geoboundaries or gadm.")] = "cod-ab",
    country: Annotated[str, typer.Option("--country", "-c", metavar="ISO3", help="ISO 3166 alpha-3 country code.")] = "AFG",
    levels: Annotated[
        Optional[list[int]],
        typer.Option("--level", "-l", metavar="N", help="Admin level to fetch; repeatable. Default: 0, 1 and 2."),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar per file (on stderr).")] = True,
) -> None:
    """Download boundaries through the publisher's API into the cache, verified, and register them.

    Every file is checked against a checksum (pinned in geo, published by the API, or recorded
    at the first fetch of that URL) and its size; a partial or corrupted download is never
    kept, so running the command again restarts it. GEO_HDX_URL, GEO_GEOBOUNDARIES_URL and
    GEO_GADM_URL point the publishers' base URLs at a mirror.
    """
    import pandas as pd

    from geo.boundaries import describe, fetch_boundaries, registry_entries

    with _user_errors():
        files = fetch_boundaries(source.lower(), country, tuple(levels or (0, 1, 2)), progress=progress)
        how = {(e["path"], e.get("layer") or ""): e for e in registry_entries()}
        for f in sorted(files, key=lambda f: f.level):
            row = pd.Series(describe(f))
            entry = how.get((row.path, row.layer), {})
            _out(
                f"level {row.level}: {row.features} units ({row.publisher}, valid from {row.valid_from or 'unknown'}; "
                f"licence: {row.licence}); sha256 {entry.get('sha256', '')[:16]}… ({entry.get('verified', '')}); {row.path}\n"
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
    query: Annotated[str, typer.Argument(metavar="UNIT", help="A code (AF2102) or a name in any spelling the files carry (Dari too).")],
    level: Annotated[Optional[int], typer.Option("--level", "-l", metavar="N", help="Only this admin level: 0, 1 or 2.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="text|json", help="How to print the unit.")] = "text",
) -> None:
    """Describe one admin unit: names, parent, area in km² (equal-area) and neighbours."""
    import json

    from geo.boundaries import unit_info

    if fmt not in ("text", "json"):
        raise typer.BadParameter("use one of text, json", param_hint="--format")
    with _user_errors():
        units = unit_info(query, level)
        if fmt == "json":
            _out(json.dumps(units, ensure_ascii=False, indent=2) + "\n")
            return
        for u in units:
            parent = f" in {u['parent_name']} ({u['parent_code']})" if u["parent_code"] else ""
            _out(f"{u['name']} ({u['code']}): {u['kind']}, admin level {u['level']}{parent}\n")
            _out(f"  other names: {', '.join(u['alt_names']) or '(none in the file)'}\n")
            _out(f"  area: {u['area_km2']:,.1f} km² (EPSG:6933, equal-area)\n")
            _out(f"  neighbours ({len(u['neighbours'])}): " + ", ".join(f"{n} ({c})" for c, n in u["neighbours"]) + "\n")
            _out(f"  source: {u['publisher']}, valid from {u['valid_from'] or 'unknown'}, licence: {u['licence']}; {u['source']}\n")


@boundaries_app.command("add")
def boundaries_add(
    paths: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Boundary files: shapefile (zipped or not), GeoJSON, GeoPackage, GeoParquet.", exists=True, dir_okay=False)],
    licence: Annotated[Optional[str], typer.Option(metavar="TEXT", help="Licence to record when the file does not say.")] = None,
    valid_from: Annotated[Optional[str], typer.Option(metavar="YYYY-MM-DD", help="Validity date to record when the file does not say.")] = None,
) -> None:
    """Register local boundary files of any publisher (read in place, never copied).

    The schema (COD-AB, geoBoundaries, GADM) and the admin level are read from each file's
    columns; every layer is parsed and checked before it is registered.
    """
    import pandas as pd

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
    import pandas as pd

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
            _out(table.to_string(index=False) + "\n" if fmt == "text" else format_table(table, fmt))
            raise typer.Exit(1)


app.add_typer(boundaries_app, name="boundaries")


@app.command(name="geocode")
def geocode_cmd(
    path: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="CSV with a 'location' column; optional 'admin1' (province) and 'admin2' (district) hints "
            "in any spelling, and 'latitude'/'longitude' (reverse-geocoded).",
            dir_okay=False,
        ),
    ],
    out: Annotated[
        Optional[Path], typer.Option("--out", "-o", metavar="FILE", help="Write the CSV here (atomically) instead of to stdout.")
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
        typer.Option(metavar="FILE", help="The --online answer cache (JSON). Default: $GEO_GEOCODE_CACHE or ~/.cache/geo/online-geocode.json."),
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
        for warning in frame.attrs.get("warnings", []):
            _err(f"warning: {warning}")
        fallback = None
        if online:
            from geo.geocoders import OnlineFallback

            def progress(items, length, label):
                with typer.progressbar(items, length=length, label=label, file=sys.stderr) as bar:
                    yield from bar

            fallback = OnlineFallback(cache_path=cache, progress=progress)
        located = geocode_places(frame, online=fallback)
        text = csv_text(located)
        if out is not None:
            atomic_write_text(out, text)
        else:
            _out(text)
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
