"""The run lifecycle's one home: open the state, submit, cancel, re-execute, follow, and
run in-process (`materialize()`). The CLI, the web and automation call this package.

Opening a cluster's state needs its drivers: import `upstream.runs.state` by path, so that
`import upstream` stays light.
"""

from upstream.runs.embedded import DEFAULT_CONCURRENCY, run_embedded
from upstream.runs.follow import follow_run
from upstream.runs.lifecycle import (
    ClusterRuns,
    EmbeddedRuns,
    NothingToReexecute,
    Runs,
    reexecute_selection,
    reexecution_tags,
)
from upstream.runs.materialize import ExecuteInProcessResult, materialize, materialize_to_memory
from upstream.runs.observe import ObserveExecutionResult, observe, run_observations

__all__ = [
    "DEFAULT_CONCURRENCY",
    "ClusterRuns",
    "EmbeddedRuns",
    "ExecuteInProcessResult",
    "NothingToReexecute",
    "ObserveExecutionResult",
    "Runs",
    "follow_run",
    "materialize",
    "materialize_to_memory",
    "observe",
    "reexecute_selection",
    "reexecution_tags",
    "run_embedded",
    "run_observations",
]
