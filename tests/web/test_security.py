"""What the UI refuses: cross-site POSTs, foreign Host headers, requests without the token."""

from __future__ import annotations

from pathlib import Path

from tests.web.conftest import HEADERS, open_dev

from upstream.web.app import WebSettings

TOKEN = "s3cret-token"


async def test_a_post_without_the_csrf_header_is_refused(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        response = await dev.client.post("/api/runs", json={"selection": "*"})
        assert response.status_code == 403
        assert "X-Upstream-Csrf" in response.json()["error"]
        assert (await dev.client.get("/api/runs")).json() == []


async def test_a_post_from_another_origin_is_refused(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        for headers in (
            {**HEADERS, "Origin": "https://evil.example"},
            {**HEADERS, "Origin": "null"},
            {**HEADERS, "Sec-Fetch-Site": "cross-site"},
            {**HEADERS, "Referer": "https://evil.example/page"},
        ):
            response = await dev.client.post("/api/runs", json={"selection": "*"}, headers=headers)
            assert response.status_code == 403, headers
            assert "cross-site" in response.json()["error"]
        same = {**HEADERS, "Origin": "http://127.0.0.1:3000"}
        ok = await dev.client.post("/api/runs", json={"selection": "sales/orders"}, headers=same)
        assert ok.status_code == 201
        await dev.wait_run(ok.json()["run_ids"][0])


async def test_a_foreign_host_header_is_refused(tmp_path: Path) -> None:
    """DNS rebinding: evil.example resolving to 127.0.0.1 still sends its own Host."""
    async with open_dev(tmp_path) as dev:
        response = await dev.client.get("/api/info", headers={"Host": "evil.example:3000"})
        assert response.status_code == 400
        assert "Host" in response.json()["error"]


async def test_pages_forbid_framing_and_foreign_scripts(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        page = await dev.client.get("/")
        assert page.headers["x-frame-options"] == "DENY"
        assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_with_a_token_nothing_is_served_without_it(tmp_path: Path) -> None:
    settings = WebSettings(token=TOKEN, allowed_hosts=("127.0.0.1",))
    async with open_dev(tmp_path, settings) as dev:
        api = await dev.client.get("/api/info")
        assert api.status_code == 401 and "token" in api.json()["error"]
        page = await dev.client.get("/runs")
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/runs"
        assert (await dev.client.get("/login")).status_code == 200
        query = await dev.client.get("/runs?status=FAILURE")
        assert query.headers["location"] == "/login?next=/runs%3Fstatus%3DFAILURE"
        assert (await dev.client.get("/static/common.js")).status_code == 200  # login needs it

        bearer = await dev.client.get("/api/info", headers={"Authorization": f"Bearer {TOKEN}"})
        assert bearer.status_code == 200
        wrong = await dev.client.get("/api/info", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401


async def test_the_login_form_sets_a_cookie_and_never_redirects_off_site(tmp_path: Path) -> None:
    settings = WebSettings(token=TOKEN, allowed_hosts=("127.0.0.1",))
    async with open_dev(tmp_path, settings) as dev:
        bad = await dev.client.post("/login", data={"token": "nope", "next": "/runs"})
        assert bad.status_code == 401
        assert "not right" in bad.text

        away = await dev.client.post("/login", data={"token": TOKEN, "next": "//evil.example/"})
        assert away.status_code == 303 and away.headers["location"] == "/"

        good = await dev.client.post("/login", data={"token": TOKEN, "next": "/runs"})
        assert good.status_code == 303 and good.headers["location"] == "/runs"
        cookie = good.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        # the client keeps the cookie: pages and the API now answer
        assert (await dev.client.get("/runs")).status_code == 200
        assert (await dev.client.get("/api/info")).status_code == 200
