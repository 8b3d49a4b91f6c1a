"""What a run status, and a coordinator's heartbeat, mean to everyone who waits on a run
(CLI follower, coordinator, UI)."""

from __future__ import annotations

import pytest

from upstream.storage.records import (
    ALIVE_WITHIN,
    CoordinatorRecord,
    CoordinatorState,
    RunStatus,
)


def test_only_success_failure_and_canceled_have_ended() -> None:
    """A CANCELING run is still going: its steps in flight have yet to report."""
    ended = {status for status in RunStatus if status.ended}
    assert ended == {RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.CANCELED}


@pytest.mark.parametrize(
    ("state", "seen_ago", "alive", "leading"),
    [
        (CoordinatorState.ACTIVE, 1.0, True, True),
        (CoordinatorState.ACTIVE, ALIVE_WITHIN + 1, False, False),  # died or hung
        (CoordinatorState.STANDBY, 1.0, True, False),
        (CoordinatorState.BROKER_UNREACHABLE, 1.0, True, False),
        (CoordinatorState.STOPPED, 0.0, False, False),
    ],
)
def test_only_a_fresh_active_heartbeat_leads(
    state: CoordinatorState, seen_ago: float, alive: bool, leading: bool
) -> None:
    """Runs submitted now will run only if some coordinator leads and reaches the broker."""
    record = CoordinatorRecord("host-1", state, 0.0, 100.0, seen_ago)
    assert (record.alive, record.leading) == (alive, leading)
