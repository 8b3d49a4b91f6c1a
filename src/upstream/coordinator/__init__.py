"""The coordinator service: a thin loop around the pure ready-set tracker."""

from upstream.coordinator.service import Coordinator, CoordinatorSettings, RunHandle

__all__ = ["Coordinator", "CoordinatorSettings", "RunHandle"]
