"""The dask engine: read → geocode → aggregate on a ``dask.distributed`` cluster.

Each stage runs the default engine's own code on partitions, so the results are the same row
for row and count for count (``tests/test_distributed.py`` compares them):

- **read**: the files are read and validated by one task on a worker, with
  :func:`geo.incidents.read_incidents` (every row accounted for, in file order, with the
  same messages); the kept rows are then split into partitions across the workers. The files
  must therefore be readable by the workers at the same paths (a shared disk on a real cluster).
- **geocode**: each partition is geocoded with :func:`geo.geocode.geocode` on its worker
  (each distinct place resolved once per partition, coordinates reverse-geocoded by a spatial
  join per partition); the result is a dask-geopandas ``GeoDataFrame`` of points, in EPSG:4326.
- **aggregate**: rows are shuffled by ``incident_id``, so that every row of one incident is in
  one partition, then :func:`geo.aggregate.aggregate` counts each partition and the partial
  counts are added up (an incident is in one partition only, so distinct counts add up).

A ``LocalCluster`` with one single-threaded worker process per core is started when no
scheduler address is given. Workers need ``geo`` installed and the boundaries where
``$GEO_BOUNDARIES`` (or the registry) says, like any other process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from os import PathLike
from typing import TYPE_CHECKING

from geo._errors import GeoError

if TYPE_CHECKING:
    import dask.dataframe as dd
    import distributed
    import pandas as pd

    from geo.incidents import LoadReport

#: Rows per partition at most: per-partition work (a resolver lookup per distinct place, a
#: spatial join) stays small next to the rows, and a partition small next to a worker's memory.
PARTITION_ROWS = 100_000
#: Set to True on a frame :func:`load_incidents` returns when its incident ids are unique (no id
#: repeated across files): :func:`aggregate` counts it without shuffling. It belongs to that
#: collection object only, so a frame derived from it (filtered, say) is shuffled, as any other.
UNIQUE_IDS = "geo_unique_ids"
#: How long to keep trying to reach a scheduler given by address.
CONNECT_TIMEOUT = "10s"
#: Rows per partition at least, when splitting so that every worker has some (twice each).
MIN_PARTITION_ROWS = 5_000


def _require() -> None:
    try:
        import dask.dataframe  # noqa: F401
        import dask_geopandas  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise GeoError(
            f"The dask engine needs dask, distributed and dask-geopandas ({exc.name} is missing); "
            "install them with: pip install 'geo[dask]'."
        ) from None


@contextmanager
def connect(scheduler: str | None = None, *, workers: int | None = None) -> Iterator[distributed.Client]:
    """A client of the cluster at ``scheduler``, or of a new local cluster; closed on exit.

    Parameters
    ----------
    scheduler
        Address of a running scheduler, e.g. ``tcp://10.0.0.5:8786``; ``None`` starts a
        ``LocalCluster`` (one single-threaded worker process per core, no dashboard) for the
        duration of the block.
    workers
        Worker processes of the local cluster; default: the number of cores.

    Raises
    ------
    GeoError
        When dask is not installed or the scheduler cannot be reached.
    """
    _require()
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise GeoError(f"Could not reach the dask scheduler at {scheduler}: {exc}.") from None
        with client:
            yield client
        return
    n = workers or os.cpu_count() or 1
    # The HTTP server on a free local port: the default 8787 may be taken by another cluster.
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


def _partitions(rows: int, workers: int) -> int:
    """Partitions for ``rows``: at most :data:`PARTITION_ROWS` each, two per worker when there are enough."""
    return max(1, -(-rows // PARTITION_ROWS), min(2 * workers, rows // MIN_PARTITION_ROWS))


def read_incidents(
    paths: Sequence[str | PathLike[str]] | None, client: distributed.Client
) -> tuple[dd.DataFrame, LoadReport]:
    """Read and validate incident files on a worker; the kept rows as a partitioned dask frame.

    Returns
    -------
    (dask.dataframe.DataFrame, LoadReport)
        The rows :func:`geo.incidents.read_incidents` keeps, in the same order, persisted on
        the cluster; and its report (rejected and flagged rows), on this side.
    """
    return _read(paths, client)[:2]


def _read(paths: Sequence[str | PathLike[str]] | None, client: distributed.Client) -> tuple[dd.DataFrame, LoadReport, bool]:
    """:func:`read_incidents`, and whether every kept row has its own ``incident_id``."""
    import dask.dataframe as dd

    from geo.incidents import read_incidents as read

    files = [os.path.abspath(p) for p in paths] if paths else None  # workers may run elsewhere
    future = client.submit(read, files, pure=False)
    frame_future = client.submit(lambda pair: pair[0], future)
    report = client.submit(lambda pair: pair[1], future).result()
    unique = client.submit(lambda pair: bool(pair[0]["incident_id"].is_unique), future).result()
    rows = report.kept
    meta = client.submit(lambda f: f.head(0), frame_future).result()
    frame = dd.from_delayed([frame_future], meta=meta, divisions=(0, max(rows - 1, 0)) if rows else None,
                            verify_meta=False)
    parts = _partitions(rows, sum(client.nthreads().values()))
    frame = frame.repartition(npartitions=parts) if parts > 1 else frame
    return client.persist(frame), report, unique


def geocode(frame: dd.DataFrame) -> dd.DataFrame:
    """:func:`geo.geocode.geocode` on each partition of ``frame`` (a lazy dask frame)."""
    from geo.geocode import geocode as geocode_partition

    return frame.map_partitions(geocode_partition, meta=geocode_partition(frame._meta))


def load_incidents(
    paths: Sequence[str | PathLike[str]] | None = None, month: str | None = None, *, client: distributed.Client,
) -> tuple[dd.DataFrame, LoadReport]:
    """Read, filter and geocode incidents on the cluster: the default engine's pipeline, partitioned.

    Parameters
    ----------
    paths
        Incident files (our CSV schema or ACLED exports), readable by the workers; ``None``
        for the sample set.
    month
        ``YYYY-MM`` to keep one month, or ``None`` for all.
    client
        A client from :func:`connect`.

    Returns
    -------
    (dask_geopandas.GeoDataFrame, LoadReport)
        The geocoded rows (the columns of :func:`geo.geocode.geocode`, plus point geometry
        where coordinates are known), persisted on the cluster; and the read report.
    """
    import dask_geopandas

    from geo.incidents import filter_month, parse_month

    if month is not None:
        month = parse_month(month)
    frame, report, unique = _read(paths, client)
    if month is not None:
        frame = frame.map_partitions(filter_month, month, meta=frame._meta, clear_divisions=True)
    located = geocode(frame)
    located = dask_geopandas.from_dask_dataframe(
        located, geometry=dask_geopandas.points_from_xy(located, "longitude", "latitude")).set_crs("EPSG:4326")
    located = client.persist(located)
    setattr(located, UNIQUE_IDS, unique)
    return located, report


def aggregate(incidents: dd.DataFrame, by: str | Sequence[str]) -> pd.DataFrame:
    """:func:`geo.aggregate.aggregate` of a dask frame, computed on its cluster.

    Rows are shuffled by ``incident_id`` first, so each incident lies in one partition: the
    partitions' counts of distinct incidents then add up to the whole's. Frames straight from
    :func:`load_incidents` whose ids are all distinct need no shuffle.
    """
    import pandas as pd

    from geo.aggregate import KEYS, parse_keys
    from geo.aggregate import aggregate as aggregate_partition

    keys = parse_keys(by)
    cols = [c for k in keys for c in KEYS[k]]
    wanted = ["incident_id", "event_date", "actor1", "actor2", "fatalities",
              *[c for c in cols if c not in ("month", "actor")]]
    frame = incidents[list(dict.fromkeys(wanted))]
    if incidents.npartitions > 1 and not getattr(incidents, UNIQUE_IDS, False):
        frame = frame.shuffle("incident_id")
    empty = aggregate_partition(frame._meta, keys)
    partial = frame.map_partitions(aggregate_partition, keys, meta=empty).compute()
    if partial.empty:
        return empty
    out = partial.groupby(cols, sort=True, dropna=False)[["incidents", "fatalities"]].sum().reset_index()
    return out.astype({"incidents": "int64", "fatalities": "int64"}).reset_index(drop=True).pipe(pd.DataFrame)
