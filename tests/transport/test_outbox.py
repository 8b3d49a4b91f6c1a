"""The outbox behind both services' publishers: what piles up goes out together, in order."""

from __future__ import annotations

import anyio

from upstream.transport.outbox import Outbox


async def test_items_put_while_the_publisher_is_busy_go_out_together() -> None:
    """Group commit: one item at once when idle; then everything that waited, in order,
    never more than the limit at a time; and what was put before close() still goes out."""
    outbox = Outbox[int](limit=3)
    taken: list[list[int]] = []
    busy = anyio.Event()
    go_on = anyio.Event()

    async def publisher() -> None:
        async for batch in outbox.batches():
            taken.append(batch)
            if len(taken) == 1:
                busy.set()
                await go_on.wait()  # awaiting a confirm, say

    async with anyio.create_task_group() as group:
        group.start_soon(publisher)
        outbox.put(0)
        await busy.wait()
        outbox.extend([1, 2, 3, 4])
        outbox.put(5)
        outbox.close()
        go_on.set()
    assert taken == [[0], [1, 2, 3], [4, 5]]


async def test_a_closed_empty_outbox_ends_at_once() -> None:
    outbox = Outbox[str](limit=1)
    outbox.close()
    with anyio.fail_after(1):
        assert [batch async for batch in outbox.batches()] == []


async def test_a_short_batch_lingers_only_while_more_is_coming() -> None:
    """With a linger, items put soon after join the batch; with nothing coming, no wait."""
    coming = True
    outbox = Outbox[int](limit=10, linger=0.5, more_coming=lambda: coming)
    outbox.put(1)
    batches = outbox.batches()
    async with anyio.create_task_group() as group:

        async def later() -> None:
            nonlocal coming
            await anyio.sleep(0.05)
            outbox.put(2)
            coming = False  # the last one: the batch goes now, not at the linger's end
            outbox.put(3)

        group.start_soon(later)
        with anyio.fail_after(0.4):
            assert await anext(batches) == [1, 2, 3]
