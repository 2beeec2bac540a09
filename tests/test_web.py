"""The dashboard and JSON API in-process (httpx over the ASGI transport) on a seeded store."""

from __future__ import annotations

import asyncio
import base64
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from listener.config import WebSettings
from listener.store import Store
from listener.web.app import create_app
from listener.web.security import CSRF_COOKIE
from listener.web.server import exposure_warning
from tests.web_seed import BRAND, HOSTILE, INCIDENT_ID, NOW, seeded_config


def call(app: Any, *requests: tuple[str, str, dict[str, Any]]) -> list[httpx.Response]:
    """Run requests in order in one client (cookies persist between them)."""
    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080") as c:
            return [await c.request(method, url, **kw) for method, url, kw in requests]
    return asyncio.run(run())


def get(app: Any, url: str, **kw: Any) -> httpx.Response:
    return call(app, ("GET", url, kw))[0]


@pytest.fixture
def app(tmp_path: Path):
    config = seeded_config(tmp_path)
    return create_app(config, clock=lambda: NOW)


def _csrf(response: httpx.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.text)[1]


def test_every_page_loads_from_the_seeded_store(app) -> None:
    for url, expect in [("/", "近 7 日情感趋势"), ("/mentions", "共 <b>"), ("/incidents", "严重"),
                        (f"/incidents/{INCIDENT_ID}", "应对建议"), ("/feeds", "fetch: HTTP 503"), ("/digests", "日报")]:
        response = get(app, url)
        assert response.status_code == 200, url
        assert expect in response.text, url
        assert "script-src 'self'" in response.headers["content-security-policy"]
    overview = get(app, "/").text
    assert overview.count('<svg class="chart"') == 2 and 'class="bar bar-negative"' in overview
    incident = get(app, f"/incidents/{INCIDENT_ID}").text
    assert 'class="window"' in incident and 'id="statement-check"' in incident and "另有" in incident
    assert get(app, "/incidents/nope").status_code == 404


def test_hostile_mention_is_escaped_everywhere(app) -> None:
    for url in ("/mentions?label=negative", f"/incidents/{INCIDENT_ID}", "/mentions?q=onerror"):
        html = get(app, url).text
        assert "<img src=x" not in html and "<script>window.__pwned" not in html, url
        assert "&lt;img src=x onerror=" in html or "&lt;img src=x <mark>onerror</mark>=" in html, url
    data = get(app, "/api/mentions?q=onerror").json()
    assert data["mentions"][0]["text"] == HOSTILE  # JSON carries the text as written, for clients to escape


def test_filters_and_search_narrow_the_list(app) -> None:
    def total(query: str) -> int:
        return get(app, f"/api/mentions?{query}").json()["total"]

    everything = total("")
    negative = get(app, "/api/mentions?label=negative").json()
    assert 0 < negative["total"] < everything and {m["label"] for m in negative["mentions"]} == {"negative"}
    assert {b for m in get(app, "/api/mentions?brand=北岭茶饮").json()["mentions"] for b in m["brands"]} == {"北岭茶饮"}
    assert {m["feed"] for m in get(app, "/api/mentions?feed=news").json()["mentions"]} == {"news"}
    searched = get(app, "/api/mentions?q=拉肚子").json()
    assert 0 < searched["total"] < negative["total"] and all("拉肚子" in m["text"] for m in searched["mentions"])
    assert 0 < total("q=异味") < everything  # two characters: below the trigram index, substring fallback
    assert 0 < total("since=2026-11-23") < total("since=2026-11-20")
    assert total("since=2026-11-20&until=2026-11-20") > 0
    assert total(f"brand={BRAND}&label=negative&q=客服") < total(f"brand={BRAND}&label=negative")
    html = get(app, "/mentions?q=拉肚子").text
    assert "<mark>拉肚子</mark>" in html


def test_pages_follow_a_cursor_without_overlap(app) -> None:
    seen: list[str] = []
    url = f"/api/mentions?brand={BRAND}"
    pages = 0
    while url:
        data = get(app, url).json()
        seen += [m["id"] for m in data["mentions"]]
        url = f"/api/mentions?brand={BRAND}&cursor={data['next_cursor']}" if data["next_cursor"] else None
        pages += 1
    assert pages > 3 and len(seen) == len(set(seen))
    assert len(seen) == get(app, f"/api/mentions?brand={BRAND}").json()["total"]
    html = get(app, f"/mentions?brand={BRAND}").text
    assert 'rel="next"' in html


def test_bad_filters_are_one_readable_line(app) -> None:
    response = get(app, "/mentions?since=昨天下午")
    assert response.status_code == 400 and "since: &#39;昨天下午&#39; 不是日期" in response.text
    assert get(app, "/api/mentions?brand=nobody").status_code == 400
    assert get(app, "/api/mentions?cursor=abc").status_code == 400
    assert get(app, "/api/mentions?label=angry").status_code == 422


def test_acknowledge_needs_the_csrf_token(app, tmp_path: Path) -> None:
    url = f"/incidents/{INCIDENT_ID}"
    page, forged = call(app, ("GET", url, {}), ("POST", url + "/ack", {"data": {}}))
    assert forged.status_code == 403
    assert Store(tmp_path / "listener.db").incident(INCIDENT_ID).status == "open"
    token = _csrf(page)
    cross = call(app, ("GET", url, {}), ("POST", url + "/ack", {"data": {"csrf_token": token},
                                                                 "headers": {"origin": "http://evil.example"}}))[1]
    assert cross.status_code == 403
    _, wrong = call(app, ("GET", url, {}), ("POST", url + "/ack", {"data": {"csrf_token": "guess"}}))
    assert wrong.status_code == 403

    async def ack() -> tuple[httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080") as c:
            first = await c.get(url)
            done = await c.post(url + "/ack", data={"csrf_token": _csrf(first)})
            return done, await c.get(url)
    done, after = asyncio.run(ack())
    assert done.status_code == 303 and 'data-status="acknowledged"' in after.text
    assert Store(tmp_path / "listener.db").incident(INCIDENT_ID).status == "acknowledged"


def test_every_state_changing_route_requires_csrf(app) -> None:
    from listener.web import api, auth_pages, pages

    routes = [(r.path, r.methods) for r in [*pages.router.routes, *auth_pages.router.routes]]
    routes += [("/api" + r.path, r.methods) for r in api.router.routes]
    unsafe = [(path, method) for path, methods in routes for method in methods & {"POST", "PUT", "PATCH", "DELETE"}]
    assert len(unsafe) >= 9
    for path, method in unsafe:
        path = path.replace("{incident_id}", INCIDENT_ID).replace("{brand:path}", BRAND)
        response = call(app, ("GET", "/", {}), (method, path, {"data": {"token": "x"}} if method == "POST" else {}))[1]
        assert response.status_code == 403, path


def test_api_state_change_with_the_csrf_header(app) -> None:
    async def run() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080") as c:
            await c.get("/")
            return await c.post(f"/api/incidents/{INCIDENT_ID}/resolve",
                                headers={"x-csrf-token": c.cookies[CSRF_COOKIE]})
    response = asyncio.run(run())
    assert response.status_code == 200 and response.json()["status"] == "resolved"
    again = call(app, ("GET", "/", {}))[0]
    assert again.status_code == 200


def test_openapi_schema_lists_the_api(app) -> None:
    schema = get(app, "/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/overview", "/api/mentions", "/api/incidents", "/api/incidents/{incident_id}",
                 "/api/incidents/{incident_id}/ack", "/api/incidents/{incident_id}/resolve", "/api/feeds",
                 "/api/digests"):
        assert path in schema["paths"], path
    assert not any(p.startswith("/incidents") for p in schema["paths"])  # HTML pages stay out of the API schema
    detail = get(app, f"/api/incidents/{INCIDENT_ID}").json()
    assert max(p["reposts_folded"] for p in detail["posts"]) >= 5 and detail["playbook"]["steps"] and detail["timeline"]
    overview = get(app, "/api/overview").json()
    assert [b["brand"] for b in overview["brands"]] == [BRAND, "北岭茶饮"] and len(overview["brands"][0]["trend"]) == 7


def test_token_auth_login_cookie_and_bearer(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DASH_TOKEN", "s3cret-token")
    app = create_app(seeded_config(tmp_path, '[web]\ntoken = "${DASH_TOKEN}"\n'), clock=lambda: NOW)
    page = get(app, "/mentions?label=negative")
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
    assert get(app, "/api/mentions").status_code == 401
    assert get(app, "/healthz").status_code == 200
    bearer = {"authorization": "Bearer s3cret-token"}
    assert get(app, "/api/mentions", headers=bearer).status_code == 200
    assert get(app, "/api/mentions", headers={"authorization": "Bearer wrong"}).status_code == 401
    acked = call(app, ("POST", f"/api/incidents/{INCIDENT_ID}/ack", {"headers": bearer}))[0]
    assert acked.status_code == 200  # a bearer token is never sent by a browser on its own: no CSRF needed

    async def login(token: str, target: str) -> tuple[httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080") as c:
            form = await c.get("/login")
            response = await c.post("/login", data={"csrf_token": _csrf(form), "token": token, "next": target})
            return response, await c.get("/feeds")
    bad, after_bad = asyncio.run(login("nope", "/feeds"))
    assert bad.status_code == 401 and after_bad.status_code == 303
    good, after = asyncio.run(login("s3cret-token", "//evil.example/x"))
    assert good.status_code == 303 and good.headers["location"] == "/"  # no open redirect
    assert "s3cret-token" not in good.headers["set-cookie"]
    assert after.status_code == 200 and "数据源健康" in after.text


def test_basic_auth_and_csrf_still_applies(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DASH_PW", "pa55")
    app = create_app(seeded_config(tmp_path, '[web]\nuser = "pr"\npassword = "${DASH_PW}"\n'), clock=lambda: NOW)
    denied = get(app, "/")
    assert denied.status_code == 401 and denied.headers["www-authenticate"].startswith("Basic")
    good = {"authorization": "Basic " + base64.b64encode(b"pr:pa55").decode()}
    bad = {"authorization": "Basic " + base64.b64encode(b"pr:nope").decode()}
    assert get(app, "/", headers=good).status_code == 200 and get(app, "/", headers=bad).status_code == 401
    forged = call(app, ("POST", f"/incidents/{INCIDENT_ID}/ack", {"headers": good}))[0]
    assert forged.status_code == 403  # browsers replay basic credentials on forged requests


def test_default_bind_is_loopback_and_exposure_is_warned() -> None:
    assert WebSettings().host == "127.0.0.1"
    assert exposure_warning(WebSettings()) is None
    assert "without web.token" in exposure_warning(WebSettings(host="0.0.0.0"))


def test_config_rejects_user_without_password(write_config) -> None:
    from listener.config import ConfigError, load_config

    with pytest.raises(ConfigError, match=r"web\.user and web\.password go together"):
        load_config(write_config('[web]\nuser = "pr"\n'))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: Any, seconds: float = 60) -> httpx.Response:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited early"
        try:
            return httpx.get(url, timeout=2, trust_env=False)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


@pytest.mark.parametrize("command", ["serve", "run"])
def test_serve_and_daemon_answer_on_loopback_and_stop_on_sigterm(tmp_path: Path, command: str) -> None:
    import signal
    import subprocess
    import sys

    port = _free_port()
    config = seeded_config(tmp_path, f'[web]\nlisten = "127.0.0.1:{port}"\n')
    with open(tmp_path / "stderr.log", "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "listener", command, "--config", str(config.path)],
                                stdout=subprocess.DEVNULL, stderr=err)
        try:
            assert _wait_for(f"http://127.0.0.1:{port}/healthz", proc).json() == {"ok": True}
            page = httpx.get(f"http://127.0.0.1:{port}/incidents/{INCIDENT_ID}", trust_env=False, timeout=10)
            assert page.status_code == 200 and BRAND in page.text
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_hourly_rollup_matches_the_mentions_it_counts(tmp_path: Path) -> None:
    from listener.web.queries import daily_trend

    config = seeded_config(tmp_path)
    store = Store(config.store_path)
    today = NOW.astimezone(config.timezone).date()
    trend = daily_trend(store, BRAND, end_day=today, days=8, tz=config.timezone)
    for day in trend:
        start = int(datetime.combine(date.fromisoformat(day["day"]), datetime.min.time(),
                                     tzinfo=config.timezone).timestamp())
        row = store.conn.execute(
            "SELECT count(*), sum(label = 'negative') FROM mention_brands WHERE brand = ? AND official = 0"
            " AND published_ts >= ? AND published_ts < ?", (BRAND, start, start + 86400)).fetchone()
        assert (day["volume"], day["negative"]) == (row[0], row[1] or 0), day
    store.conn.execute("UPDATE mention_brands SET label = 'positive' WHERE mention_id = 'm1'")
    store.conn.execute("DELETE FROM mention_brands WHERE mention_id = 'm2'")
    total = store.conn.execute("SELECT sum(n) FROM brand_hourly WHERE brand = ?", (BRAND,)).fetchone()[0]
    assert total == store.conn.execute("SELECT count(*) FROM mention_brands WHERE brand = ?", (BRAND,)).fetchone()[0]


DEFENSIVE_DRAFT = ("针对网上流传的不实信息，我司高度重视。经初步调查，系个别员工操作不当所致，"
                   "对恶意造谣者我们将保留追究法律责任的权利。<script>window.__pwned=1</script>")


def test_incident_page_checks_a_draft_statement_and_escapes_it(app) -> None:
    url = f"/incidents/{INCIDENT_ID}"

    async def run() -> tuple[httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080") as c:
            page = await c.get(url)
            forged = await c.post(url + "/check-statement", data={"draft": DEFENSIVE_DRAFT})
            checked = await c.post(url + "/check-statement", data={"csrf_token": _csrf(page), "draft": DEFENSIVE_DRAFT})
            return forged, checked
    forged, checked = asyncio.run(run())
    assert forged.status_code == 403
    assert checked.status_code == 200
    text = checked.text
    score = int(re.search(r'id="statement-report" data-score="(\d+)"', text)[1])
    assert score < 30
    assert "<mark>不实信息</mark>" in text and "<mark>个别员工操作不当</mark>" in text
    assert "<script>window.__pwned" not in text and "&lt;script&gt;window.__pwned" in text
    assert 'id="response-clock"' in text and "黄金4小时" in text


def test_api_checks_a_statement_with_the_json_contract(app) -> None:
    async def run() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080") as c:
            await c.get("/")
            return await c.post("/api/statements/check", json={"text": DEFENSIVE_DRAFT},
                                headers={"x-csrf-token": c.cookies[CSRF_COOKIE]})
    body = asyncio.run(run()).json()
    assert set(body) == {"score", "findings", "missing", "skeleton"}
    categories = {f["category"] for f in body["findings"]}
    assert {"denial", "blame_shifting", "legal_threat"} <= categories, categories
    for finding in body["findings"]:
        assert DEFENSIVE_DRAFT[finding["start"]:finding["end"]] == finding["span"]
    detail = get(app, f"/api/incidents/{INCIDENT_ID}").json()
    assert detail["response_clock"]["status"] in ("running", "responded", "unanswered")
    assert "黄金4小时" in detail["response_clock"]["summary"] or detail["response_clock"]["status"] != "running"


def test_api_status_is_the_status_report_behind_auth(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DASH_TOKEN", "s3cret-token")
    app = create_app(seeded_config(tmp_path, '[web]\ntoken = "${DASH_TOKEN}"\n'), clock=lambda: NOW)
    assert get(app, "/api/status").status_code == 401
    response = get(app, "/api/status", headers={"authorization": "Bearer s3cret-token"})
    report = response.json()
    assert {"ok", "jobs", "feeds", "outbox", "database"} <= set(report), set(report)
    # The seeded store has a feed failing with HTTP 503: the report says so and the status is not 200.
    assert report["ok"] is False and response.status_code == 503
    assert "s3cret-token" not in response.text


def test_overview_says_how_much_of_today_it_counts_and_colours_bad_news_red(app) -> None:
    html = get(app, "/").text
    assert "今日数据截至 12:00" in html  # NOW is 12:00 in Shanghai: half a day against yesterday's whole one
    card = html.split(f'data-brand="{BRAND}"', 1)[1].split("</section>", 1)[0]
    positive = card.split('class="pos"', 1)[1]
    assert '较昨日 <span class="up">-50%</span>' in positive  # fewer positive posts: the red class
    volume = card.split('class="n">', 1)[1]
    assert '较昨日 <span class="up">+' in volume  # more mentions than yesterday: red as well
