"""The worker service: a thin loop around `upstream.execution`."""

from upstream.worker.service import Worker, WorkerSettings

__all__ = ["Worker", "WorkerSettings"]
