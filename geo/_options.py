"""Choices and thresholds the command line names in its help.

They live here, apart from the modules that use them (:mod:`geo.maps` re-exports them), so that
building the CLI's help imports nothing heavy: ``geo --help`` must not load pandas or folium.
"""

from __future__ import annotations

#: What the choropleths can shade.
METRICS = ("incidents", "fatalities")
#: ``--level`` choices and the admin levels each one draws.
LEVEL_CHOICES = {"adm1": (1,), "adm2": (2,), "all": (1, 2)}
#: Points are clustered automatically when one actor has more markers than this in one month.
CLUSTER_AT = 100
#: Engines that run read → geocode → aggregate: in this process, or on a dask.distributed cluster.
ENGINES = ("pandas", "dask")
