"""Faults outside the daemon: DNS failure, a dead webhook, a locked database, a full disk.

Each runs the real daemon. It must keep running, show the fault in `listener status`, and recover on its
own when the fault goes. (SMTP and webhook 500s/hangs are the alert channels' tests.)
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from alerts.types import Notification
from listener.store import Store
from tests.procs import BRAND_TOML, DaemonProc, mention_count, query, rss, status, wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_feed(server_url: str, db: str, extra: str = "") -> str:
    return (f'[store]\npath = "{db}"\n[logging]\nlevel = "info"\n{BRAND_TOML}'
            f'[[feeds]]\nname = "f"\nurl = "{server_url}/f"\ninterval = "10s"\n{extra}')


def failure_on_record(db: Path, text: str) -> bool:
    """Some job saw the fault (whichever reached the writer first) and collect:f has succeeded since."""
    seen = query(db, "SELECT count(*) FROM jobs WHERE last_failure LIKE ?", (f"%{text}%",))
    return bool(seen and seen[0][0]) and job(db, "collect:f").get("last_ok") == 1


def job(db: Path, name: str) -> dict:
    rows = query(db, "SELECT last_ok, last_failure, failures FROM jobs WHERE job = ?", (name,))
    return dict(zip(("last_ok", "last_failure", "failures"), rows[0], strict=True)) if rows else {}


def test_dns_failure_and_dead_webhook_are_reported_then_delivery_recovers(write_config, feeds, tmp_path) -> None:
    server, routes = feeds
    routes.serve("/f", rss("f", 5))
    port = free_port()  # nothing listens here until the receiver comes up
    config = write_config(one_feed(server.url, "faults.db", f"""
[[feeds]]
name = "nodns"
url = "http://nonexistent.invalid/feed"
interval = "10s"
[[channels]]
name = "hook"
type = "webhook"
url = "http://127.0.0.1:{port}/hook"
"""))
    db = tmp_path / "faults.db"
    store = Store(db)
    now = datetime.now(UTC)
    store.enqueue(Notification(delivery_id="waiting-1", channel="hook", event="test", created_at=now,
                               payload={"event": "test", "sent_at": now.isoformat()}))
    store.close()
    daemon = DaemonProc(config, tmp_path / "daemon.log")
    try:
        def reported() -> dict | None:
            report = status(config)
            failing = {f["feed"]: f for f in report["feeds"]["failing"]}
            pending = report["outbox"]["oldest_pending"]
            if "nodns" in failing and pending and pending["last_error"] and mention_count(db) == 5:
                return report
            return None
        report = wait_until(reported, 120, "the DNS failure and the dead webhook in status", every=1)
        assert report["ok"] is False and report["daemon"]["running"]
        assert "nonexistent.invalid" in report["feeds"]["failing"][0]["last_error"]
        assert any(p.startswith("feed nodns: failed") for p in report["problems"])
        assert report["outbox"]["pending"] == 1 and report["outbox"]["oldest_pending"]["attempts"] >= 1
        assert "f" not in {f["feed"] for f in report["feeds"]["failing"]}  # the good feed is not held up

        received: list[str] = []

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append(self.headers.get("X-Listener-Delivery"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        hook = ThreadingHTTPServer(("127.0.0.1", port), Hook)
        threading.Thread(target=hook.serve_forever, daemon=True).start()
        try:
            wait_until(lambda: "waiting-1" in received, 150, "the retry to reach the webhook once it is up", every=1)
            wait_until(lambda: query(db, "SELECT status FROM outbox WHERE delivery_id = 'waiting-1'") == [("sent",)],
                       60, "the outbox row marked sent")
            assert len(received) == len(set(received))  # later alerts (nodns is unhealthy by now) arrive once each
            report = status(config)
            assert report["outbox"]["sent"] >= 1 and report["outbox"]["failed"] == 0
        finally:
            hook.shutdown()
            hook.server_close()
        assert daemon.alive(), daemon.stderr()
        assert daemon.stop() == 0
    finally:
        daemon.cleanup()


def test_database_locked_by_another_process_is_reported_then_recovered(write_config, feeds, tmp_path) -> None:
    server, routes = feeds
    routes.serve("/f", rss("f", 5))
    config = write_config(one_feed(server.url, "locked.db"))
    db = tmp_path / "locked.db"
    daemon = DaemonProc(config, tmp_path / "daemon.log")
    try:
        wait_until(lambda: mention_count(db) == 5 and job(db, "collect:f"), 120, "the first round")
        routes.serve("/f", rss("f", 10))
        holder = subprocess.Popen([sys.executable, "-c", (
            "import sqlite3, sys\n"
            f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\nprint('locked', flush=True)\n"
            "sys.stdin.readline()\nc.execute('ROLLBACK')\n")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "locked"
            report = status(config)  # readers are not blocked (WAL); the lock itself is reported
            assert "locked" in (report["database"]["write_error"] or "")
            assert any("not writable" in p for p in report["problems"]) and report["ok"] is False
            # Held until the daemon's writer gives up (its busy timeout is 30 s), however late its round starts.
            wait_until(lambda: "listener.daemon: job " in daemon.stderr(), 150, "a job to fail on the lock", every=1)
            assert "database is locked" in daemon.stderr()
            assert daemon.alive() and mention_count(db) == 5  # nothing new got in, nothing crashed
            holder.stdin.write("release\n")
            holder.stdin.flush()
            assert holder.wait(timeout=60) == 0
        finally:
            holder.kill()
            holder.wait()
            holder.stdin.close()
            holder.stdout.close()
        wait_until(lambda: mention_count(db) == 10, 120, "the new posts once the lock is gone")
        wait_until(lambda: failure_on_record(db, "locked"), 90, "the failure on record, then a success")
        report = status(config)
        assert report["database"]["write_error"] is None and report["daemon"]["running"]
        assert daemon.alive() and daemon.stop() == 0
    finally:
        daemon.cleanup()
    assert query(db, "PRAGMA integrity_check") == [("ok",)]


FILL_SECONDS = 60


def mount_tiny_disk(where: Path) -> bool:
    """A 64 MB tmpfs (root only); False where the test cannot make one."""
    where.mkdir()
    if os.environ.get("LISTENER_TEST_NO_MOUNT") or os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    return filler


SIMULATED_FULL = """\
import os, sqlite3, sys
from listener import store
original = store.Store.save_mentions
def save_mentions(self, mentions):  # the store boundary answers as SQLite does when the disk is full
    if os.path.exists(sys.argv[1]):
        raise sqlite3.OperationalError("database or disk is full")
    return original(self, mentions)
store.Store.save_mentions = save_mentions
from listener.cli import main
sys.exit(main(["run", "--config", sys.argv[2]]))
"""


def test_disk_full_is_reported_then_recovered(write_config, feeds, tmp_path) -> None:
    server, routes = feeds
    routes.serve("/f", rss("f", 5))
    disk = tmp_path / "disk"
    mounted = mount_tiny_disk(disk)
    config = write_config(one_feed(server.url, str(disk / "full.db")))
    db = disk / "full.db"
    marker = tmp_path / "disk-is-full"
    argv = None if mounted else [sys.executable, "-c", SIMULATED_FULL, str(marker), str(config)]
    daemon = DaemonProc(config, tmp_path / "daemon.log", argv=argv)
    try:
        wait_until(lambda: mention_count(db) == 5, 120, "the first round")
        filler = fill(disk) if mounted else marker
        marker.touch()
        # A round that must grow the files: 300 long posts (about 3 MB with the index) need room the disk no longer has.
        routes.serve("/f", rss("f", 300).replace(b"</description>", "很长的投诉".encode() * 100 + b"</description>"))
        wait_until(lambda: "listener.daemon: job " in daemon.stderr(), 150, "a job to fail on the full disk")
        assert "disk is full" in daemon.stderr()
        if mounted:
            report = status(config)
            assert any("bytes free" in p for p in report["problems"]) and report["ok"] is False
        assert daemon.alive() and mention_count(db) == 5
        filler.unlink()
        marker.unlink(missing_ok=True)
        wait_until(lambda: mention_count(db) == 300, 180, "every post once the disk has room")
        wait_until(lambda: failure_on_record(db, "full"), 90, "the failure on record, then a success")
        assert daemon.alive() and daemon.stop() == 0
        assert query(db, "PRAGMA integrity_check") == [("ok",)]
        report = status(config)
        assert not any("bytes free" in p for p in report["problems"])
    finally:
        daemon.cleanup()
        time.sleep(0.2)
        if mounted:
            subprocess.run(["umount", "-l", str(disk)], check=False)


def test_status_of_a_fresh_store_is_ok(write_config, tmp_path) -> None:
    config = write_config('[store]\npath = "fresh.db"\n')
    report = status(config)
    assert report["ok"] is True and report["problems"] == []
    assert report["daemon"] == {"running": False, "pid": None}
    assert {"jobs", "feeds", "outbox", "database"} <= set(report)
    assert report["database"]["bytes"] > 0 and report["outbox"]["oldest_pending"] is None
    sqlite3.connect(tmp_path / "fresh.db").close()
