"""`BackfillPolicy`: how many partitions one run of a backfill covers."""

from __future__ import annotations

from dataclasses import dataclass

from upstream.model.errors import DefinitionsError

__all__ = ["BackfillPolicy"]


@dataclass(frozen=True)
class BackfillPolicy:
    """Dagster's: `single_run()` (one run for every partition, a range) or
    `multi_run(max_partitions_per_run=1)` (runs of at most that many partitions)."""

    max_partitions_per_run: int | None = 1  # None: a single run

    @staticmethod
    def single_run() -> BackfillPolicy:
        return BackfillPolicy(max_partitions_per_run=None)

    @staticmethod
    def multi_run(max_partitions_per_run: int = 1) -> BackfillPolicy:
        if max_partitions_per_run < 1:
            raise DefinitionsError(
                f"max_partitions_per_run must be at least 1, got {max_partitions_per_run}"
            )
        return BackfillPolicy(max_partitions_per_run=max_partitions_per_run)

    @property
    def policy_type(self) -> str:
        """Dagster's `BackfillPolicyType` name: "SINGLE_RUN" or "MULTI_RUN"."""
        return "SINGLE_RUN" if self.max_partitions_per_run is None else "MULTI_RUN"
