"""Benchmarks: the same graphs timed on upstream, Dagster and Celery (see README.md)."""
