"""The Celery peer's app: `celery -A benchmarks.celery_app worker` imports this.

The same RabbitMQ as upstream's cluster, tasks acknowledged late (after they ran, as
upstream's workers do), results through the `rpc://` backend (replies over the broker, no
extra store). The queue is named by BENCH_CELERY_QUEUE so a benchmark run never shares one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import worker_ready

BROKER_URL = os.environ.get("UPSTREAM_BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")

app = Celery("benchmarks", broker=BROKER_URL, backend="rpc://")


def configure(queue: str) -> None:
    """Route every task through `queue` (and its exchange of the same name)."""
    app.conf.update(
        task_default_queue=queue,
        task_default_exchange=queue,
        task_default_routing_key=queue,
        task_acks_late=True,
        worker_prefetch_multiplier=4,  # Celery's default, stated: it matters for no-ops
        worker_enable_remote_control=False,  # no pidbox queues left on the broker
        worker_send_task_events=False,
        broker_connection_retry_on_startup=True,
        task_serializer="json",
        result_serializer="json",
    )


configure(os.environ.get("BENCH_CELERY_QUEUE", "bench.celery"))


@app.task(acks_late=True)  # type: ignore[untyped-decorator]  # celery ships no hints
def root() -> int:
    return 1


@app.task(acks_late=True)  # type: ignore[untyped-decorator]  # celery ships no hints
def child(value: int) -> int:
    return value


@worker_ready.connect  # type: ignore[untyped-decorator]
def _announce_ready(**_: Any) -> None:
    """Tell the benchmark this worker consumes now (a file, as logging is kept quiet)."""
    ready_dir = os.environ.get("BENCH_CELERY_READY_DIR")
    if ready_dir:
        (Path(ready_dir) / f"ready-{os.getpid()}").touch()
