"""Secrets given by environment variable never show: not in DEBUG logs, check-config, the database or errors."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.types import Notification
from listener.store import Store
from tests.procs import BRAND_TOML, DaemonProc, query, rss, status, wait_until
from tests.test_faults import free_port

HOOK_SECRET = "whsec-9f8e7d6c5b4a3921"
PROXY_PASSWORD = "pr0xy-Pa55w0rd-77"
ENV = {"WEBHOOK_SECRET": HOOK_SECRET, "PROXY_PASSWORD": PROXY_PASSWORD}
NEEDLES = [HOOK_SECRET, PROXY_PASSWORD, base64.b64encode(f"alice:{PROXY_PASSWORD}".encode()).decode()]


def assert_clean(where: str, text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    for needle in NEEDLES:
        assert needle.encode() not in data, f"{needle[:6]}… leaked into {where}"


def test_secrets_never_leave_the_process(write_config, feeds, tmp_path: Path) -> None:
    server, routes = feeds
    routes.serve("/f", rss("f", 3))
    dead_proxy, hook_port = free_port(), free_port()
    config = write_config(f"""
[store]
path = "secrets.db"
[logging]
level = "debug"
[collector]
proxy = "http://alice:${{PROXY_PASSWORD}}@127.0.0.1:{dead_proxy}"
{BRAND_TOML}
[[feeds]]
name = "f"
url = "{server.url}/f"
interval = "10s"
[[channels]]
name = "hook"
type = "webhook"
url = "http://127.0.0.1:{hook_port}/hook"
secret = "${{WEBHOOK_SECRET}}"
""")
    env = {**os.environ, **ENV}

    checked = subprocess.run([sys.executable, "-m", "listener", "check-config", "--config", str(config)],
                             capture_output=True, text=True, env=env, timeout=120)
    assert checked.returncode == 0, checked.stderr
    assert '"***"' in checked.stdout
    assert_clean("check-config", checked.stdout + checked.stderr)

    tested = subprocess.run([sys.executable, "-m", "listener", "test-channel", "hook", "--config", str(config)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert tested.returncode == 1 and tested.stderr.startswith("listener: ")
    assert_clean("the test-channel error", tested.stdout + tested.stderr)

    db = tmp_path / "secrets.db"
    store = Store(db)
    now = datetime.now(UTC)
    store.enqueue(Notification(delivery_id="secret-1", channel="hook", event="test", created_at=now,
                               payload={"event": "test", "sent_at": now.isoformat()}))
    store.close()
    daemon = DaemonProc(config, tmp_path / "daemon.log", env=ENV, argv=[
        sys.executable, "-m", "listener", "run", "--log-level", "debug", "--config", str(config)])
    try:
        report = wait_until(lambda: (r := status(config, ENV)) and r["feeds"]["failing"]
                            and r["outbox"]["oldest_pending"] and r["outbox"]["oldest_pending"]["last_error"] and r,
                            120, "a failed fetch through the dead proxy and a failed delivery", every=1)
        assert_clean("listener status", repr(report))
        assert daemon.stop() == 0
    finally:
        daemon.cleanup()
    log = daemon.stderr()
    assert "DEBUG" in log and "fetch:" in log
    assert_clean("the DEBUG log", log)
    for path in tmp_path.glob("secrets.db*"):
        assert_clean(path.name, path.read_bytes())


# --- tokens inside chat webhook URLs --------------------------------------------------------------

DT, WC, FS = "dtCANARY0a1b2c3d4e5f6071", "wcCANARY-693a-4bc4-97a0", "fsCANARY-2c3f6e1a-9b7d-4c5e"
SL, FEED_KEY = "slCANARY3xyzabcdefghijk", "rsshubCANARYkey42"
URL_CANARIES = [DT, WC, FS, SL, FEED_KEY]


class EchoingPlatform:
    """A robot endpoint that refuses everything and quotes the request URL back, as a careless gateway might."""

    def __init__(self) -> None:
        import json
        from http.server import BaseHTTPRequestHandler

        from listener.demo.servers import LocalServer

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if "/services/" in self.path:
                    status, data = 404, f"no_service {self.path}".encode()
                elif "/hook/" in self.path:
                    status, data = 200, json.dumps({"code": 19001, "msg": f"param invalid: {self.path}"}).encode()
                else:
                    status, data = 200, json.dumps({"errcode": 300001, "errmsg": f"token bad {self.path}"}).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self.send_error(503, f"down: {self.path}")

        self.server = LocalServer(Handler)


def assert_no_canary(where: str, text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    for canary in URL_CANARIES:
        assert canary.encode() not in data, f"{canary[:8]}… leaked into {where}"


def chat_config(base: str, dead: int) -> str:
    return f"""
[store]
path = "chat.db"
[logging]
level = "debug"
{BRAND_TOML}
[[feeds]]
name = "rsshub"
url = "{base}/weibo/keyword/x?key={FEED_KEY}&limit=20"
interval = "10s"
[[channels]]
name = "dt"
type = "dingtalk"
url = "{base}/robot/send?access_token={DT}"
[[channels]]
name = "wc"
type = "wecom"
url = "{base}/cgi-bin/webhook/send?key={WC}"
[[channels]]
name = "fs"
type = "feishu"
url = "{base}/open-apis/bot/v2/hook/{FS}"
[[channels]]
name = "sl"
type = "slack"
url = "{base}/services/T0CANARY1/B0CANARY2/{SL}"
[[channels]]
name = "gone"
type = "dingtalk"
url = "http://127.0.0.1:{dead}/robot/send?access_token={DT}"
[delivery]
first_retry = "1s"
"""


def test_webhook_url_tokens_never_show(write_config, tmp_path: Path, capsys) -> None:
    import json

    from listener.cli import main
    from listener.config import ConfigError, load_config

    platform = EchoingPlatform()
    with platform.server as server:
        config = write_config(chat_config(server.url, free_port()))

        # A config error about the URL names the key, not the token.
        bad = write_config(chat_config(server.url, 1).replace(f"{server.url}/robot", "htps://oapi.dingtalk.com/robot"),
                           "bad.toml")
        with pytest.raises(ConfigError, match=r"channels\[0\]\.url: .*not an http\(s\) URL") as error:
            load_config(bad)
        assert "access_token=***" in str(error.value)
        assert_no_canary("a config error", str(error.value))

        assert main(["check-config", "--config", str(config)]) == 0
        out = capsys.readouterr()
        assert "access_token=***" in out.out and "/hook/***" in out.out and "key=***" in out.out
        assert json.loads(out.out)["channels"][3]["url"].endswith("/services/***/***/***")
        assert_no_canary("check-config", out.out + out.err)

        for name in ("dt", "wc", "fs", "sl", "gone"):
            assert main(["test-channel", name, "--config", str(config)]) == 1
            out = capsys.readouterr()
            assert out.err.startswith("listener: ") and name in out.err
            assert_no_canary(f"test-channel {name}", out.out + out.err)

        db = tmp_path / "chat.db"
        store = Store(db)
        now = datetime.now(UTC)
        with store.transaction() as conn:
            for name in ("dt", "wc", "fs", "sl", "gone"):
                store.enqueue(Notification(delivery_id=f"c-{name}", channel=name, event="test", created_at=now,
                                           payload={"event": "test", "sent_at": now.isoformat()}), conn)
        store.close()
        daemon = DaemonProc(config, tmp_path / "daemon.log", argv=[
            sys.executable, "-m", "listener", "run", "--log-level", "debug", "--config", str(config)])
        try:
            wait_until(lambda: len(query(db, "SELECT 1 FROM outbox WHERE attempts >= 1")) == 5
                       and query(db, "SELECT 1 FROM feeds WHERE consecutive_failures >= 1"), 90,
                       "every channel tried and the feed failing", every=1)
            report = status(config)
            # The platforms refused for good (4); the dead port is retried (1).
            assert (report["outbox"]["failed"], report["outbox"]["pending"]) == (4, 1) and report["feeds"]["failing"]
            assert "key=***" in report["feeds"]["failing"][0]["url"]
            assert_no_canary("listener status", json.dumps(report, ensure_ascii=False))
            assert main(["outbox", "--config", str(config)]) == 0
            out = capsys.readouterr()
            assert out.out.count('"delivery_id"') == 5 and "token bad" in out.out
            assert_no_canary("listener outbox", out.out + out.err)
            assert daemon.stop() == 0
        finally:
            daemon.cleanup()
    log = daemon.stderr()
    assert "DEBUG" in log and "will be retried" in log and "***" in log
    assert_no_canary("the DEBUG log", log)
    errors = [r[0] for r in query(db, "SELECT last_error FROM outbox")]
    assert len(errors) == 5 and all(errors) and any("access_token=***" in e or "***" in e for e in errors)
    for path in tmp_path.glob("chat.db*"):
        for canary in (DT, WC, FS, SL):  # feed URLs are the collector's (stored as configured); tokens are ours
            assert canary.encode() not in path.read_bytes(), f"{canary[:8]}… stored in {path.name}"


@pytest.mark.parametrize("url, shown", [
    ("https://oapi.dingtalk.com/robot/send?access_token=abcdef123456", "https://oapi.dingtalk.com/robot/send?access_token=***"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a-4bc4", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"),
    ("https://open.feishu.cn/open-apis/bot/v2/hook/2c3f6e1a-9b7d", "https://open.feishu.cn/open-apis/bot/v2/hook/***"),
    ("https://hooks.slack.com/services/T0001/B0002/XyZ123", "https://hooks.slack.com/services/***/***/***"),
    ("http://user:pa55word@relay.example:8080/hook", "http://user:***@relay.example:8080/hook"),
    ("http://127.0.0.1:9000/hook", "http://127.0.0.1:9000/hook"),
])
def test_channel_urls_are_shown_without_their_tokens(url: str, shown: str) -> None:
    from alerts.channels.redact import redact_channel_url, scrub, url_secrets

    assert redact_channel_url(url) == shown
    error = f"ConnectError: cannot reach {url} (tried {url.replace('://', '://x.')})"
    assert scrub(error, url_secrets(url)).count("***") >= shown.count("***") * 2
    for piece in url_secrets(url):
        assert piece not in scrub(error, url_secrets(url))


def test_feed_urls_keep_harmless_parameters() -> None:
    from alerts.channels.redact import redact_url

    assert redact_url("http://rsshub.local/weibo/keyword/栖云?key=s3cr3t&limit=20") == \
        "http://rsshub.local/weibo/keyword/栖云?key=***&limit=20"


FEED_CANARIES = {"key": "kyCANARYfeed0001", "token": "tkCANARYfeed0002", "access_token": "atCANARYfeed0003",
                 "apikey": "apCANARYfeed0004", "sign": "sgCANARYfeed0005", "password": "pwCANARYfeed0006"}


def assert_no_feed_canary(where: str, text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    for name, canary in FEED_CANARIES.items():
        assert canary.encode() not in data, f"the feed URL's {name} leaked into {where}"


def test_feed_url_credentials_are_never_stored_shown_or_logged(write_config, tmp_path: Path, capsys) -> None:
    """RSSHub `?key=`, API `token=`/`access_token=`/`apikey=`/`sign=` and `user:pass@`: masked in the feeds
    table, `listener feeds`, `listener status`, the dashboard's feeds page, error texts and DEBUG logs,
    while the fetch itself goes to the real URL."""
    import asyncio

    import httpx

    from listener.cli import main
    from listener.config import load_config
    from listener.web.app import create_app
    from tests.fault_server import FaultServer, Reply

    c = FEED_CANARIES
    with FaultServer() as server:
        host = server.url.split("://", 1)[1]
        server.routes["/ok"] = Reply(rss("ok", 3), headers={"Content-Type": "application/rss+xml"})
        server.routes["/auth"] = lambda n, headers: Reply(
            rss("auth", 2) if headers.get("Authorization") == "Basic " + base64.b64encode(
                f"reader:{c['password']}".encode()).decode() else b"who are you", 200 if headers.get(
                "Authorization") else 401, headers={"Content-Type": "application/rss+xml"})
        server.routes["/broken"] = Reply(b"oops", 500)
        feeds = {"ok": f"{server.url}/ok?key={c['key']}&limit=20",
                 "auth": f"http://reader:{c['password']}@{host}/auth?access_token={c['access_token']}",
                 "broken": f"{server.url}/broken?token={c['token']}",
                 "dead": f"http://127.0.0.1:{free_port()}/weibo?apikey={c['apikey']}&sign={c['sign']}"}
        config = write_config("[store]\npath = \"feedkeys.db\"\n[logging]\nlevel = \"debug\"\n"
                              "[collector]\nretries = 0\nanalysis_workers = 0\n" + BRAND_TOML + "".join(
                                  f'[[feeds]]\nname = "{name}"\nurl = "{url}"\n' for name, url in feeds.items()))
        collected = subprocess.run([sys.executable, "-m", "listener", "collect", "--log-level", "debug",
                                    "--config", str(config)], capture_output=True, text=True, timeout=300)
    assert collected.returncode == 1, collected.stderr  # two feeds fail
    assert "DEBUG" in collected.stderr and "***" in collected.stderr
    assert_no_feed_canary("`listener collect` output and DEBUG log", collected.stdout + collected.stderr)
    reports = {r["feed"]: r for r in map(json.loads, collected.stdout.splitlines())}
    assert (reports["ok"]["new"], reports["auth"]["new"]) == (3, 2)  # fetched with the real key and password
    assert "HTTP 500" in reports["broken"]["error"] and "token=***" in reports["broken"]["error"]
    assert "apikey=***" in reports["dead"]["error"] and "sign=***" in reports["dead"]["error"]

    db = tmp_path / "feedkeys.db"
    stored = dict(query(db, "SELECT feed, url FROM feeds"))
    assert stored["ok"].endswith("/ok?key=***&limit=20")
    assert stored["auth"] == f"http://reader:***@{host}/auth?access_token=***"
    for path in tmp_path.glob("feedkeys.db*"):
        assert_no_feed_canary(f"the database ({path.name})", path.read_bytes())

    assert main(["feeds", "--jsonl", "--config", str(config)]) == 0
    assert main(["feeds", "--config", str(config)]) == 0
    out = capsys.readouterr()
    assert "key=***" in out.out and "HTTP 500" in out.out
    assert_no_feed_canary("`listener feeds`", out.out + out.err)
    report = status(config)
    assert {f["feed"] for f in report["feeds"]["failing"]} == {"broken", "dead"}
    assert_no_feed_canary("`listener status`", json.dumps(report, ensure_ascii=False))

    async def feeds_page() -> httpx.Response:
        app = create_app(load_config(config))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080") as cl:
            return await cl.get("/feeds")
    page = asyncio.run(feeds_page())
    assert page.status_code == 200 and "broken" in page.text and "***" in page.text
    assert_no_feed_canary("the dashboard's feeds page", page.text)


def test_an_old_database_has_its_feed_urls_masked_on_open(tmp_path: Path) -> None:
    """Rows written before URLs were masked (migration 10): URL masked, its secrets scrubbed from the error."""
    import sqlite3

    from listener.store.migrations import MIGRATIONS

    db = tmp_path / "old.db"
    store = Store(db)
    store.close()
    url = f"https://rsshub.example/weibo/user/1?key={FEED_CANARIES['key']}"
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM _migrations WHERE version = 10")
        conn.execute("INSERT INTO feeds (feed, url, last_error, consecutive_failures) VALUES (?, ?, ?, 1)",
                     ("old", url, f"HTTP 500 from {url}"))
    assert any(version == 10 for version, _, _ in MIGRATIONS)
    Store(db).close()
    assert query(db, "SELECT url, last_error FROM feeds") == [
        ("https://rsshub.example/weibo/user/1?key=***", "HTTP 500 from https://rsshub.example/weibo/user/1?key=***")]
