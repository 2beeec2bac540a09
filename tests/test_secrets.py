"""Secrets given by environment variable never show: not in DEBUG logs, check-config, the database or errors."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from alerts.types import Notification
from listener.store import Store
from tests.procs import BRAND_TOML, DaemonProc, rss, status, wait_until
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
