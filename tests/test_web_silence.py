"""Silencing a brand from the dashboard: the form and the JSON API, over the real store and detection job."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from alerts.playbook import load_playbooks
from listener.config import load_config
from listener.detection import detect
from listener.status import status_report
from listener.store import Store
from listener.web.app import create_app
from listener.web.security import CSRF_COOKIE
from tests.test_incidents_cli import config_file, fill_history
from tests.web_seed import BRAND, INCIDENT_ID, NOW, OTHER, seeded_config

HOSTILE_REASON = '<img src=x onerror="window.__pwned=1">发布会'


def session(app: Any, steps: Any) -> Any:
    """Run `steps(client)` in one client, so the CSRF cookie set by the first page persists."""
    async def run() -> Any:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080") as c:
            return await steps(c)
    return asyncio.run(run())


def _token(page: httpx.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]


def _silences(path: Path) -> list[dict[str, Any]]:
    store = Store(path)
    try:
        return store.silences()
    finally:
        store.close()


def test_silence_form_needs_the_csrf_token(tmp_path: Path) -> None:
    app = create_app(seeded_config(tmp_path), clock=lambda: NOW)
    form = {"brand": BRAND, "duration": "4h", "next": "/"}

    async def steps(c: httpx.AsyncClient) -> list[httpx.Response]:
        page = await c.get("/")
        missing = await c.post("/silences", data=form)
        wrong = await c.post("/silences", data={**form, "csrf_token": "guess"})
        cross = await c.post("/silences", data={**form, "csrf_token": _token(page)},
                             headers={"origin": "http://evil.example"})
        api = await c.post("/api/silences", json={"brand": BRAND, "duration": "4h"})
        return [missing, wrong, cross, api]
    for response in session(app, steps):
        assert response.status_code == 403
    assert _silences(tmp_path / "listener.db") == []

    async def done(c: httpx.AsyncClient) -> list[httpx.Response]:
        page = await c.get("/")
        made = await c.post("/silences", data={**form, "csrf_token": _token(page)})
        forged_lift = await c.post(f"/silences/{BRAND}/lift", data={"next": "/"})
        forged_delete = await c.delete(f"/api/silences/{BRAND}")
        return [made, forged_lift, forged_delete]
    made, forged_lift, forged_delete = session(app, done)
    assert made.status_code == 303 and made.headers["location"] == "/"
    assert forged_lift.status_code == 403 and forged_delete.status_code == 403
    [row] = _silences(tmp_path / "listener.db")
    assert row["brand"] == BRAND and row["until"] == "2026-11-23T08:00:00Z"  # NOW + 4 h


def test_silence_api_respects_auth(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DASH_TOKEN", "s3cret-token")
    app = create_app(seeded_config(tmp_path, '[web]\ntoken = "${DASH_TOKEN}"\n'), clock=lambda: NOW)
    bearer = {"authorization": "Bearer s3cret-token"}

    async def steps(c: httpx.AsyncClient) -> list[httpx.Response]:
        return [await c.get("/api/silences"),
                await c.post("/api/silences", json={"brand": BRAND, "duration": "1h"}),
                await c.post("/silences", data={"brand": BRAND, "duration": "1h"}),
                await c.post("/api/silences", json={"brand": BRAND, "duration": "1h", "reason": "演练"},
                             headers=bearer),
                await c.get("/api/silences", headers=bearer),
                await c.delete(f"/api/silences/{BRAND}", headers={"authorization": "Bearer wrong"}),
                await c.delete(f"/api/silences/{BRAND}", headers=bearer),
                await c.delete(f"/api/silences/{BRAND}", headers=bearer)]
    anon_list, anon_post, anon_form, made, listed, wrong, lifted, again = session(app, steps)
    assert anon_list.status_code == anon_post.status_code == anon_form.status_code == 401
    assert made.status_code == 201 and made.json() == {"brand": BRAND, "until": "2026-11-23T05:00:00Z",
                                                       "created_at": "2026-11-23T04:00:00Z", "reason": "演练"}
    assert [s["brand"] for s in listed.json()] == [BRAND]
    assert wrong.status_code == 401
    assert lifted.json() == {"brand": BRAND, "lifted": True} and again.json() == {"brand": BRAND, "lifted": False}
    assert _silences(tmp_path / "listener.db") == []


def test_bad_silence_requests_are_one_readable_line_and_change_nothing(tmp_path: Path) -> None:
    app = create_app(seeded_config(tmp_path), clock=lambda: NOW)
    cases = [({"brand": "无此品牌", "duration": "1h"}, "不是已配置的品牌"),
             ({"brand": BRAND, "duration": "3y"}, "应为 1h、4h、24h 或 7d"),
             ({"brand": BRAND, "duration": "custom", "until": "2026-11-23T11:00"}, "已经过去"),  # 11:00 < 12:00 local
             ({"brand": BRAND, "duration": "custom", "until": "下周吧"}, "不是日期时间"),
             ({"brand": BRAND, "duration": "custom", "until": "2027-06-01T00:00"}, "最长静默 30 天"),
             ({"brand": BRAND, "duration": "4h", "until": "2026-11-23T18:00"}, "请只选一种"),
             ({"brand": BRAND, "duration": "custom"}, "请选择静默时长"),
             ({"brand": BRAND, "duration": "1h", "reason": "长" * 201}, "最多 200 字")]

    async def steps(c: httpx.AsyncClient) -> list[tuple[httpx.Response, httpx.Response, str]]:
        out = []
        page = await c.get(f"/incidents/{INCIDENT_ID}")
        for fields, expect in cases:
            html = await c.post("/silences", data={**fields, "csrf_token": _token(page),
                                                   "next": f"/incidents/{INCIDENT_ID}"})
            api = await c.post("/api/silences", json={k: v for k, v in fields.items() if v != "custom"},
                               headers={"x-csrf-token": c.cookies[CSRF_COOKIE]})
            out.append((html, api, expect))
        return out
    for html, api, expect in session(app, steps):
        assert html.status_code == 400 and api.status_code == 400, expect
        [shown] = re.findall(r'<p class="error" role="alert" id="silence-error">([^<]*)</p>', html.text)
        assert expect in shown and "\n" not in shown, shown
        assert "应对建议" in html.text  # the error is shown on the incident page the form was on
        detail = api.json()["detail"]
        assert isinstance(detail, str) and "\n" not in detail and detail.startswith("silence: "), detail
        if "请只选一种" not in expect and "请选择" not in expect:
            assert expect in detail, detail
    assert _silences(tmp_path / "listener.db") == []


def test_silenced_brand_is_shown_escaped_on_overview_incident_and_status(tmp_path: Path) -> None:
    config = seeded_config(tmp_path)
    app = create_app(config, clock=lambda: NOW)

    async def steps(c: httpx.AsyncClient) -> tuple[httpx.Response, ...]:
        page = await c.get(f"/incidents/{INCIDENT_ID}")
        made = await c.post("/silences", data={"brand": BRAND, "duration": "custom", "until": "2026-11-24 09:30",
                                               "reason": HOSTILE_REASON, "csrf_token": _token(page),
                                               "next": f"/incidents/{INCIDENT_ID}"})
        escape = await c.post("/silences", data={"brand": OTHER, "duration": "1h", "csrf_token": _token(page),
                                                 "next": "//evil.example/x"})
        return made, escape, await c.get("/"), await c.get(f"/incidents/{INCIDENT_ID}"), await c.get("/api/overview")
    made, escape, overview, incident, api = session(app, steps)
    assert made.status_code == 303 and made.headers["location"].startswith("/incidents/")
    assert escape.status_code == 303 and escape.headers["location"] == "/"  # no open redirect
    for html in (overview.text, incident.text):
        assert "<img src=x" not in html and "&lt;img src=x onerror=" in html
        assert 'data-silenced-until="2026-11-24T09:30"' in html and "解除静默" in html
    assert overview.text.count('class="silence-form"') == 0  # both brands are silenced: no form, two lift buttons
    assert overview.text.count('class="inline lift"') == 2
    assert 'class="silence-form"' not in incident.text
    assert {s["brand"]: s["until"] for s in api.json()["silences"]} == {BRAND: "2026-11-24T01:30:00Z",
                                                                         OTHER: "2026-11-23T05:00:00Z"}
    report = status_report(config, NOW)
    assert sorted(s["brand"] for s in report["silences"]) == sorted([BRAND, OTHER])
    assert status_report(config, NOW + timedelta(days=2))["silences"] == []  # expired silences are not listed

    async def lift(c: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        page = await c.get("/")
        done = await c.post(f"/silences/{BRAND}/lift", data={"csrf_token": _token(page), "next": "/"})
        return done, await c.get("/")
    done, after = session(app, lift)
    assert done.status_code == 303
    assert after.text.count('class="silence-form"') == 1 and f'data-brand="{BRAND}"' in after.text


def _detection_config(write_config, tmp_path: Path, now: datetime) -> Any:
    """A brand with three days of history and a burst of complaints right now, and a webhook to tell."""
    path = config_file(write_config)
    path.write_text(path.read_text(encoding="utf-8") + '\n[[channels]]\nname = "hook"\ntype = "webhook"\n'
                    'url = "http://127.0.0.1:9/hook"\n', encoding="utf-8")
    fill_history(tmp_path / "bt.db", now, spike_hours_ago=0.05)
    return load_config(path)


def _form_silence(app: Any, *, lift: bool) -> None:
    async def steps(c: httpx.AsyncClient) -> None:
        page = await c.get("/")
        made = await c.post("/silences", data={"brand": BRAND, "duration": "24h", "csrf_token": _token(page)})
        assert made.status_code == 303
        if lift:
            lifted = await c.post(f"/silences/{BRAND}/lift", data={"csrf_token": _token(page)})
            assert lifted.status_code == 303
    session(app, steps)


def _detect_now(config: Any, now: datetime) -> tuple[list[tuple[str, int]], int]:
    store = Store(config.store_path)
    try:
        events = detect(store, config, load_playbooks(), now)
        assert store.active_incident(BRAND) is not None  # silenced or not, the incident is tracked
        return [(e.event, e.notifications) for e in events], store.outbox_counts().get("pending", 0)
    finally:
        store.close()


def test_a_dashboard_silence_stops_the_new_incidents_notifications(write_config, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    config = _detection_config(write_config, tmp_path, now)
    _form_silence(create_app(config, clock=lambda: now), lift=False)
    assert _detect_now(config, now) == ([("incident.opened", 0)], 0)


def test_a_lifted_silence_lets_the_new_incident_be_notified(write_config, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    config = _detection_config(write_config, tmp_path, now)
    _form_silence(create_app(config, clock=lambda: now), lift=True)
    assert _silences(config.store_path) == []
    assert _detect_now(config, now) == ([("incident.opened", 1)], 1)


def test_openapi_lists_the_silence_endpoints(tmp_path: Path) -> None:
    app = create_app(seeded_config(tmp_path), clock=lambda: NOW)
    schema = session(app, lambda c: c.get("/api/openapi.json")).json()
    assert {"get", "post"} <= set(schema["paths"]["/api/silences"])
    assert "delete" in schema["paths"]["/api/silences/{brand}"]
    assert "SilenceIn" in schema["components"]["schemas"]
