"""The ready-set tracker: pure, incremental, and correct on any DAG."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from upstream.planning.ready import ReadySet, Skipped

DIAMOND = {"raw": [], "left": ["raw"], "right": ["raw"], "report": ["left", "right"]}


def test_a_step_waits_for_its_last_parent() -> None:
    """A child becomes ready only when its last parent succeeds, exactly once."""
    ready = ReadySet(DIAMOND)
    assert ready.initial() == ["raw"]
    assert sorted(ready.succeeded("raw")) == ["left", "right"]
    assert ready.succeeded("left") == []
    assert ready.succeeded("right") == ["report"]
    assert ready.succeeded("report") == []
    assert ready.complete


def test_a_repeated_event_changes_nothing() -> None:
    """A redelivered result returns nothing new and does not double-count parents."""
    ready = ReadySet(DIAMOND)
    ready.initial()
    ready.succeeded("raw")
    assert ready.succeeded("raw") == []
    ready.succeeded("left")
    assert ready.succeeded("left") == []  # would wrongly release `report` if counted twice
    assert ready.succeeded("right") == ["report"]


def test_initial_is_returned_once() -> None:
    """The roots are handed out once, so a second call publishes nothing twice."""
    ready = ReadySet({"a": [], "b": []})
    assert sorted(ready.initial()) == ["a", "b"]
    assert ready.initial() == []


def test_a_failure_skips_exactly_its_descendants() -> None:
    """Every descendant of a failed step is skipped; an independent branch carries on."""
    ready = ReadySet({**DIAMOND, "other": [], "after_other": ["other"]})
    ready.initial()
    ready.succeeded("raw")
    skipped = ready.failed("left")
    assert skipped == [Skipped("report", "left")]
    assert ready.succeeded("right") == []  # report was skipped; it never becomes ready
    assert ready.succeeded("other") == ["after_other"]
    ready.succeeded("after_other")
    assert ready.complete
    assert ready.failed_steps == {"left"}
    assert ready.skipped_steps == {"report"}


def test_a_failure_after_a_skip_does_not_skip_twice() -> None:
    """Two failing parents skip their common child once."""
    ready = ReadySet(DIAMOND)
    ready.initial()
    ready.succeeded("raw")
    assert ready.failed("left") == [Skipped("report", "left")]
    assert ready.failed("right") == []


def test_an_unknown_step_is_an_error() -> None:
    """A result for a step outside the plan is a bug to surface, not to absorb."""
    ready = ReadySet(DIAMOND)
    try:
        ready.succeeded("nope")
    except KeyError as exc:
        assert "nope" in str(exc)
    else:
        raise AssertionError("expected KeyError")


@st.composite
def dags(draw: st.DrawFn) -> tuple[dict[str, list[str]], set[str], int]:
    """A random DAG (edges only from lower to higher index), a failing set, and a seed."""
    n = draw(st.integers(min_value=1, max_value=30))
    names = [f"s{i}" for i in range(n)]
    parents = {
        names[j]: sorted(
            draw(st.sets(st.sampled_from(names[:j]), max_size=min(j, 4))) if j else set()
        )
        for j in range(n)
    }
    failing = draw(st.sets(st.sampled_from(names), max_size=max(1, n // 4)))
    return parents, failing, draw(st.integers(0, 2**32 - 1))


def _ancestors(parents: dict[str, list[str]], step: str) -> set[str]:
    seen: set[str] = set()
    stack = list(parents[step])
    while stack:
        up = stack.pop()
        if up not in seen:
            seen.add(up)
            stack.extend(parents[up])
    return seen


@settings(max_examples=300, deadline=None)
@given(dags())
def test_random_dags_run_in_order_once_and_skip_exactly_descendants(
    case: tuple[dict[str, list[str]], set[str], int],
) -> None:
    """On any DAG, in any completion order: each step runs once, after all its parents;
    failures skip exactly the steps with a failing ancestor; duplicates change nothing."""
    parents, failing, seed = case
    rng = random.Random(seed)
    ready = ReadySet(parents)
    running = list(ready.initial())
    ran: list[str] = []
    skipped: set[str] = set()
    while running:
        step = running.pop(rng.randrange(len(running)))
        assert step not in ran and step not in skipped
        assert all(p in ran and p not in failing for p in parents[step])
        ran.append(step)
        if step in failing:
            new_skips = ready.failed(step)
            assert ready.failed(step) == []
            skipped.update(s.step for s in new_skips)
        else:
            running.extend(ready.succeeded(step))
            assert ready.succeeded(step) == []
        assert not (set(running) & skipped)
    doomed = {s for s in parents if _ancestors(parents, s) & failing}
    assert skipped == doomed
    assert set(ran) == set(parents) - doomed
    assert len(ran) == len(set(ran))
    assert ready.complete


def test_replaying_recorded_outcomes_leaves_what_must_be_published_again() -> None:
    """A restarted coordinator replays storage into a fresh tracker; in_flight is then the
    set of ready steps without a result, and nothing finished is handed out again."""
    ready = ReadySet({**DIAMOND, "side": []})
    ready.initial()
    ready.succeeded("raw")
    assert sorted(ready.in_flight) == ["left", "right", "side"]
    ready.succeeded("left")
    ready.failed("side")
    assert ready.in_flight == ["right"]
    assert ready.succeeded("right") == ["report"]
    assert ready.in_flight == ["report"]


def test_cancel_skips_every_unstarted_step_and_keeps_those_in_flight() -> None:
    ready = ReadySet({"a": [], "b": ["a"], "c": ["b"], "d": []})
    assert sorted(ready.initial()) == ["a", "d"]
    assert sorted(ready.cancel()) == ["b", "c"]
    assert ready.cancel() == []
    assert not ready.complete
    assert ready.succeeded("a") == []  # b was skipped: nothing becomes ready
    ready.failed("d")
    assert ready.complete
    assert ready.skipped_steps == {"b", "c"}


def test_follow_hands_out_what_can_run_right_after_a_set() -> None:
    """Descendants whose other parents are done come with the parents they must wait for,
    in topological order; once followed, they are never handed out again as ready."""
    ready = ReadySet({**DIAMOND, "tail": ["report"]})
    assert ready.initial() == ["raw"]
    assert ready.follow(["raw"], 10) == [
        ("left", ("raw",)),
        ("right", ("raw",)),
        ("report", ("left", "right")),
        ("tail", ("report",)),
    ]
    assert ready.follow(["raw"], 10) == []  # each is followed once
    for step in ("raw", "left", "right", "report"):
        assert ready.succeeded(step) == []
    ready.succeeded("tail")
    assert ready.complete


def test_follow_stops_at_a_parent_that_is_neither_done_nor_followed() -> None:
    """A child with a parent in flight elsewhere waits to be handed out as ready."""
    ready = ReadySet({"a": [], "b": [], "c": ["a"], "d": ["a", "b"], "e": ["c"]})
    ready.initial()
    assert ready.follow(["a"], 10) == [("c", ("a",)), ("e", ("c",))]
    assert ready.succeeded("a") == []
    assert ready.succeeded("b") == ["d"]


def test_follow_takes_a_done_parent_as_given_and_respects_limit_and_accept() -> None:
    ready = ReadySet({"a": [], "b": ["a"], "c": ["a", "b"], "d": ["c"], "x": ["b"]})
    ready.initial()
    assert ready.succeeded("a") == ["b"]
    assert ready.follow(["b"], 1, accept=lambda s: s != "c") == [("x", ("b",))]
    assert ready.follow(["b"], 1) == [("c", ("b",))]  # a succeeded: c waits for b only
    assert ready.succeeded("b") == []
    assert ready.succeeded("c") == ["d"]
    assert ready.follow(["d"], 0) == []


def test_a_followed_step_is_skipped_when_a_parent_fails_and_kept_on_cancel() -> None:
    ready = ReadySet({"a": [], "b": ["a"], "c": ["b"], "d": []})
    ready.initial()
    assert ready.follow(["a"], 1) == [("b", ("a",))]
    assert ready.cancel() == ["c"]  # b is handed out: it still reports
    assert ready.failed("a") == [Skipped("b", "a")]
    ready.failed("d")
    assert ready.complete


@settings(max_examples=300, deadline=None)
@given(dags())
def test_random_dags_with_followed_steps_run_in_order_once(
    case: tuple[dict[str, list[str]], set[str], int],
) -> None:
    """As above, with part of each handed-out set's descendants followed: a followed step
    runs once its listed parents succeeded (its others had already), and is dropped
    exactly when the tracker skips it."""
    parents, failing, seed = case
    rng = random.Random(seed)
    ready = ReadySet(parents)
    running = list(ready.initial())
    waiting: dict[str, tuple[str, ...]] = dict(ready.follow(running, rng.randrange(4)))
    ran: list[str] = []
    skipped: set[str] = set()
    while running or waiting:
        runnable = running + [s for s, after in waiting.items() if set(after) <= set(ran)]
        step = rng.choice(runnable)
        if step in waiting:
            del waiting[step]
        else:
            running.remove(step)
        assert step not in ran and step not in skipped
        assert all(p in ran and p not in failing for p in parents[step])
        ran.append(step)
        if step in failing:
            skipped.update(s.step for s in ready.failed(step))
            for gone in skipped & set(waiting):  # the worker does not run these
                del waiting[gone]
        else:
            new = ready.succeeded(step)
            running.extend(new)
            waiting.update(ready.follow(new, rng.randrange(4)))
        assert not (set(running) & skipped)
    doomed = {s for s in parents if _ancestors(parents, s) & failing}
    assert skipped == doomed
    assert set(ran) == set(parents) - doomed
    assert ready.complete
