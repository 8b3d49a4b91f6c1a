"""Bad input anywhere in the API is a 4xx with a short message naming the limit: never a
5xx, a traceback, nor where the state store lives. On `upstream dev` (SQLite) and, where the
store is what failed, on `upstream web` over a cluster's PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from starlette.routing import Route
from tests.web.conftest import HEADERS, open_cluster, open_dev

from upstream.web.server import settings_for

STORES = ["dev", pytest.param("cluster", marks=pytest.mark.integration)]
INT64_MAX = 2**63 - 1
INTERNALS = ("127.0.0.1", "5432", "postgres", "schema", "test_", "Traceback", "state.db")


@asynccontextmanager
async def open_api(kind: str, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A client of `upstream dev` or of `upstream web` on a cluster, and a run it shows."""
    if kind == "dev":
        async with open_dev(tmp_path) as dev:
            run_id = await dev.launch("sales/orders")
            await dev.wait_run(run_id)
            yield dev.client, run_id
        return
    async with open_cluster(tmp_path) as cluster:
        launch = await cluster.client.post(
            "/api/runs", json={"selection": "sales/orders"}, headers=HEADERS
        )
        assert launch.status_code == 201, launch.text
        yield cluster.client, launch.json()["run_ids"][0]


def refused(response: httpx.Response, status: int = 400) -> str:
    """The error message of `response`, checked to be a short one without internals."""
    assert response.status_code == status, response.text[:500]
    message = str(response.json()["error"])
    assert len(message) <= 1_100, f"{len(message)} characters"
    for word in INTERNALS:
        assert word not in message, message
    return message


@pytest.mark.parametrize("kind", STORES)
async def test_a_run_id_with_a_nul_is_a_400(kind: str, tmp_path: Path) -> None:
    async with open_api(kind, tmp_path) as (client, _):
        for path in ("/api/runs/a%00b", "/api/runs/a%00b/events", f"/api/runs/{'r' * 129}"):
            assert "printable" in refused(await client.get(path)), path
        for action in ("cancel", "reexecute"):
            post = await client.post(f"/api/runs/a%00b/{action}", json={}, headers=HEADERS)
            assert "printable" in refused(post), action
        page = await client.get("/runs/a%00b")
        assert page.status_code == 404 and "Traceback" not in page.text


@pytest.mark.parametrize("kind", STORES)
async def test_an_event_id_beyond_int64_is_a_400(kind: str, tmp_path: Path) -> None:
    async with open_api(kind, tmp_path) as (client, run_id):
        for after in (INT64_MAX + 1, 10**30, -1, "x"):
            response = await client.get(f"/api/runs/{run_id}/events", params={"after": after})
            assert "int" in refused(response), after
        last = await client.get(f"/api/runs/{run_id}/events", params={"after": INT64_MAX})
        assert last.status_code == 200 and last.json() == []
        many = await client.get("/api/runs", params={"limit": 10**30})
        assert "limit" in refused(many)
        most = await client.get("/api/runs", params={"limit": INT64_MAX})
        assert [r["run_id"] for r in most.json()] == [run_id]


async def test_deeply_nested_json_is_a_400(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        body = b"[" * 100_000 + b"]" * 100_000
        response = await dev.client.post("/api/runs", content=body, headers=HEADERS)
        assert "nested" in refused(response)


async def test_a_post_body_must_be_the_documented_json(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        run_id = await dev.launch("broken")
        await dev.wait_run(run_id)
        again = await dev.client.post(
            f"/api/runs/{run_id}/reexecute", json={"from_failure": "no"}, headers=HEADERS
        )
        assert "from_failure" in refused(again)
        for path in ("/api/reload", f"/api/runs/{run_id}/cancel"):
            response = await dev.client.post(path, content=b"null", headers=HEADERS)
            assert "JSON object" in refused(response), path
        assert len((await dev.client.get("/api/runs")).json()) == 1


async def test_a_body_over_1_mib_is_a_413(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        huge = {"selection": "x" * (20 << 20)}
        response = await dev.client.post("/api/runs", json=huge, headers=HEADERS)
        assert "1 MiB" in refused(response, 413)
        assert len(response.content) < 1_000  # not the 20 MiB echoed back

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
            yield b'{"selection": "'
            for _ in range(2 << 10):
                yield b"x" * 1024
            yield b'"}'

        streamed = await dev.client.post("/api/runs", content=chunks(), headers=HEADERS)
        assert "1 MiB" in refused(streamed, 413)
        assert (await dev.client.get("/api/runs")).json() == []


async def test_an_error_echoes_a_long_selection_cut_short(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        long = "x" * 9_000  # within the limit, matches nothing: the error quotes it
        launch = await dev.client.post("/api/runs", json={"selection": long}, headers=HEADERS)
        assert "matches no asset" in refused(launch)
        query = await dev.client.get("/api/selection", params={"q": long})
        assert "matches no asset" in refused(query)
        over = await dev.client.post("/api/runs", json={"selection": "x" * 10_001}, headers=HEADERS)
        assert "limit" in refused(over)
        control = await dev.client.post("/api/runs", json={"selection": "a\x00"}, headers=HEADERS)
        assert "control character" in refused(control)


@pytest.mark.integration
async def test_an_unavailable_store_is_a_503_that_never_names_the_database(
    tmp_path: Path,
) -> None:
    async with open_cluster(tmp_path) as cluster:
        await cluster.storage.close()
        for path in ("/api/runs", "/api/runs/some-run"):
            assert "unavailable" in refused(await cluster.client.get(path), 503)


async def test_openapi_declares_the_parameters_of_every_templated_path(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        document = (await dev.client.get("/api/openapi.json")).json()
        served = {
            (route.path.replace(":path", ""), method.lower())
            for route in dev.app.routes
            if isinstance(route, Route) and route.path.startswith("/api/")
            for method in route.methods or ()
            if method != "HEAD"
        }
        paths = document["paths"].items()
        assert {(path, method) for path, ops in paths for method in ops} == served
        for path, operations in document["paths"].items():
            named = {part[1:-1] for part in path.split("/") if part.startswith("{")}
            for method, operation in operations.items():
                declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
                assert declared == named, f"{method} {path}"
                assert any(code.startswith("2") for code in operation["responses"])


async def test_only_loopback_host_headers_pass_on_a_loopback_address(tmp_path: Path) -> None:
    """DNS rebinding: a name that merely begins like a loopback one is someone else's."""
    async with open_dev(tmp_path, settings_for("127.0.0.1", None, None)) as dev:
        for host in ("[::1]evil.example", "[::1]:3000.evil.example", "127.0.0.1:x", "[::1"):
            response = await dev.client.get("/api/info", headers={"Host": host})
            assert response.status_code == 400 and "Host" in response.json()["error"], host
        for host in ("[::1]", "[::1]:3000", "127.0.0.1:3000", "localhost:3000", "localhost"):
            response = await dev.client.get("/api/info", headers={"Host": host})
            assert response.status_code == 200, host
