"""The coordinator service: a thin loop around the pure ready-set tracker."""

from upstream.coordinator.service import Coordinator, RunHandle

__all__ = ["Coordinator", "RunHandle"]
