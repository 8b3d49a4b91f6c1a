"""The dispatch policy as tables: what results teach it, and how it cuts a ready set."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from upstream.planning.dispatch import Costs, Task, cut_messages, split_tasks
from upstream.planning.ready import ReadySet


@dataclass(frozen=True)
class _Ran:
    step_key: str
    worker_id: str
    started_at: float
    ended_at: float


def _side_by_side(count: int, seconds: float, worker: str = "w1") -> list[_Ran]:
    """`count` steps that ran together on one worker, in `seconds` for all."""
    return [_Ran(f"p{n}", worker, 10.0, 10.0 + seconds) for n in range(count)]


def _one_by_one(count: int, seconds: float) -> list[list[_Ran]]:
    """`count` steps started together on one worker, ending `seconds` apart, each
    reported in a message of its own."""
    return [[_Ran(f"p{n}", "w1", 10.0, 10.0 + seconds * (n + 1))] for n in range(count)]


@pytest.mark.parametrize(
    ("messages", "per_step", "last"),
    [
        ([[]], None, {}),  # nothing reported: nothing known
        ([_side_by_side(1, 0.004)], 0.004, {"p0": 0.004}),
        # 8 steps side by side in 8 ms took the worker 1 ms each
        ([_side_by_side(8, 0.008)], 0.001, dict.fromkeys([f"p{n}" for n in range(8)], 0.001)),
        # the same, reported as they ended: each message counts from the previous one's end
        (_one_by_one(8, 0.001), 0.001, dict.fromkeys([f"p{n}" for n in range(8)], 0.001)),
        # two workers in one message: each one's time is its own
        (
            [[*_side_by_side(1, 0.002, "w1"), _Ran("q", "w2", 10.0, 10.004)]],
            0.003,
            {"p0": 0.002, "q": 0.004},
        ),
        # a message ending before the worker's previous one: no time of its own
        (
            [[_Ran("a", "w1", 10.0, 10.01)], [_Ran("b", "w1", 10.0, 10.005)]],
            0.005,
            {"a": 0.01, "b": 0.0},
        ),
    ],
)
def test_costs_learn_the_time_workers_spent(
    messages: list[list[_Ran]], per_step: float | None, last: dict[str, float]
) -> None:
    """Steps that ran side by side share their worker's time, however they were reported."""
    costs = Costs()
    for message in messages:
        costs.learn(message)
    assert costs.per_step == (None if per_step is None else pytest.approx(per_step))
    for step, cost in last.items():
        assert costs.last(step) == pytest.approx(cost)
    assert costs.last("never-ran") is None


def test_a_new_run_knows_its_code_locations_last_costs_but_not_an_average() -> None:
    """Step costs outlive a run (following needs them); the per-run average starts empty."""
    shared: dict[str, float] = {}
    Costs(shared).learn([_Ran("a", "w1", 0.0, 0.002)])
    second = Costs(shared)
    assert second.last("a") == pytest.approx(0.002)
    assert second.per_step is None


def _timed(seconds: float | None) -> Costs:
    """A run whose steps have cost `seconds` each so far (None: none has reported)."""
    costs = Costs()
    if seconds is not None:
        costs.learn([_Ran("done", "w1", 10.0, 10.0 + seconds)])
    return costs


@pytest.mark.parametrize(
    ("ready", "consumers", "seconds", "sizes"),
    [
        (0, 1, None, []),
        (40, 1, None, [8] * 5),  # untimed: at most 8 a message
        (10, 2, None, [5, 5]),  # untimed: shared among every consumer
        (3, 3, None, [1, 1, 1]),
        (40, 1, 0.001, [20, 20]),  # quick: up to 32 a message, evenly
        (40, 1, 0.0, [20, 20]),  # free: as quick as it gets
        (40, 1, 0.1, [2] * 20),  # about a quarter second of work a message
        (5, 1, 1.0, [1] * 5),  # slow: one a message
        (3, 2, 0.001, [3]),  # 3 ms of work: not worth a second worker
        (3, 2, 0.004, [2, 1]),  # 12 ms: shared
        (10, 3, 0.0012, [5, 5]),  # 12 ms: work enough for two workers, not three
        (10, 4, 0.003, [3, 3, 2, 2]),  # 30 ms: shared by all four
    ],
)
def test_a_ready_set_is_cut_by_what_the_runs_steps_cost(
    ready: int, consumers: int, seconds: float | None, sizes: list[int]
) -> None:
    steps = [f"s{n}" for n in range(ready)]
    messages = cut_messages(steps, consumers, _timed(seconds))
    assert [len(m) for m in messages] == sizes
    assert [t for m in messages for t in m] == [(s, ()) for s in steps]


def test_split_tasks_keeps_order_and_never_exceeds_the_limit() -> None:
    items = list(range(1000))
    parts = split_tasks(items, shares=3, limit=7)
    assert [x for part in parts for x in part] == items
    assert max(map(len, parts)) == 7 and min(map(len, parts)) >= 6


# root -> s1 -> s2 -> s3, and root -> side
CHAIN = {"root": (), "side": ("root",), "s1": ("root",), "s2": ("s1",), "s3": ("s2",)}
QUICK = dict.fromkeys(CHAIN, 0.001)


def _follow_root(
    last: dict[str, float], accept: set[str] | None = None, *, traced: bool = True
) -> list[list[Task]]:
    """The messages for the chain's first ready set, its steps having cost `last` before."""
    tracker = ReadySet(CHAIN)
    costs = Costs(dict(last))
    allow = None if accept is None else accept.__contains__
    return cut_messages(tracker.initial(), 1, costs, tracker if traced else None, allow)


@pytest.mark.parametrize(
    ("last", "accept", "expected"),
    [
        (  # all quick: the whole chain rides with its root, each task after its parent
            QUICK,
            None,
            [
                [
                    ("root", ()),
                    ("side", ("root",)),
                    ("s1", ("root",)),
                    ("s2", ("s1",)),
                    ("s3", ("s2",)),
                ]
            ],
        ),
        (  # a slow step neither is carried nor carries
            {**QUICK, "s2": 1.0},
            None,
            [[("root", ()), ("side", ("root",)), ("s1", ("root",))]],
        ),
        ({}, None, [[("root", ())]]),  # nothing known: nothing follows
        ({**QUICK, "root": None}, None, [[("root", ())]]),  # the message's own step unknown
        ({**QUICK, "root": 0.05}, None, [[("root", ())]]),  # its own work fills the budget
        (  # the budget (50 ms) takes the next two steps of 20 ms, not a third
            {**QUICK, "side": 0.02, "s1": 0.02, "s2": 0.02},
            None,
            [[("root", ()), ("side", ("root",)), ("s1", ("root",))]],
        ),
        (  # only the steps `accept` takes (e.g. of the same queue)
            QUICK,
            {"s1", "s2"},
            [[("root", ()), ("s1", ("root",)), ("s2", ("s1",))]],
        ),
    ],
)
def test_quick_steps_carry_what_may_follow_them(
    last: dict[str, float | None], accept: set[str] | None, expected: list[list[Task]]
) -> None:
    known = {step: cost for step, cost in last.items() if cost is not None}
    assert _follow_root(known, accept) == expected


def test_nothing_follows_without_a_tracker() -> None:
    """A canceled run hands out nothing more."""
    assert _follow_root(QUICK, traced=False) == [[("root", ())]]


def test_followed_steps_are_claimed_and_capped_at_the_message_size() -> None:
    """A message holds at most 128 tasks; followed steps are never handed out again."""
    fan = {"root": (), **{f"c{n}": ("root",) for n in range(200)}}
    tracker = ReadySet(fan)
    costs = Costs(dict.fromkeys(fan, 0.0001))
    [message] = cut_messages(tracker.initial(), 1, costs, tracker)
    assert len(message) == 128
    followed = {step for step, _ in message[1:]}
    assert sorted(tracker.succeeded("root")) == sorted(set(fan) - followed - {"root"})


def test_a_ready_set_is_cut_into_even_messages_one_share_each_at_least() -> None:
    """Few tasks go one per message; many go several per message, never over the cap, in
    enough messages for every share."""
    tasks = [str(n) for n in range(10_000)]
    assert [len(p) for p in split_tasks(tasks[:2], shares=3)] == [1, 1]
    assert [len(p) for p in split_tasks(tasks[:10], shares=2)] == [5, 5]
    assert [len(p) for p in split_tasks(tasks[:10], shares=4)] == [3, 3, 2, 2]
    assert [len(p) for p in split_tasks(tasks[:10], shares=1)] == [10]
    assert [len(p) for p in split_tasks(tasks[:40], shares=0)] == [20, 20]
    wide = split_tasks(tasks, shares=2)
    assert max(map(len, wide)) - min(map(len, wide)) <= 1 and max(map(len, wide)) <= 32
    assert [t for part in wide for t in part] == tasks
