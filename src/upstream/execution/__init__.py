"""Execution: run one asset — inputs via IO managers, the call, the output, its metadata."""

from upstream.execution.io_managers import FilesystemIOManager, InMemoryIOManager
from upstream.execution.records import ErrorInfo, LogLine, StepResult
from upstream.execution.step import execute_step

__all__ = [
    "ErrorInfo",
    "FilesystemIOManager",
    "InMemoryIOManager",
    "LogLine",
    "StepResult",
    "execute_step",
]
