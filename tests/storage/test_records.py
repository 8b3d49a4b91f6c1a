"""What a run status means to everyone who waits on a run (CLI follower, coordinator, UI)."""

from __future__ import annotations

from upstream.storage.records import RunStatus


def test_only_success_failure_and_canceled_have_ended() -> None:
    """A CANCELING run is still going: its steps in flight have yet to report."""
    ended = {status for status in RunStatus if status.ended}
    assert ended == {RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.CANCELED}
