"""The benchmark topologies as Dagster assets (imports dagster: only the Dagster rows use it)."""

from __future__ import annotations

import dagster as dg

from benchmarks.graphs import BODIES, Kind, Topology, input_names, name, topology

MAX_CONCURRENT = 2  # one step process per core, as upstream's 2-worker row


def dagster_assets(topo: Topology) -> list[dg.AssetsDefinition]:
    """The topology as `@dg.asset`s with `ins={...: AssetIn(...)}`, the same bodies."""
    built = []
    for i, parents in enumerate(topo):
        ins = {
            param: dg.AssetIn(key=name(p))
            for param, p in zip(input_names(len(parents)), parents, strict=True)
        }
        built.append(dg.asset(name=name(i), ins=ins)(BODIES[len(parents)]))
    return built


def multiprocess_job(kind: Kind, n: int) -> dg.JobDefinition:
    """The all-assets job on the multiprocess executor.

    A module-level function so `dg.build_reconstructable_job` can rebuild the job in each
    step process, which is how Dagster's multiprocess executor works."""
    defs = dg.Definitions(
        assets=dagster_assets(topology(kind, n)),
        jobs=[dg.define_asset_job("all", selection="*")],
        executor=dg.multiprocess_executor.configured({"max_concurrent": MAX_CONCURRENT}),
    )
    return defs.resolve_job_def("all")
