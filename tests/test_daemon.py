"""The daemon as a real process: collects at start, one per database, stops cleanly, restarts after kill -9."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

RSS = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>
<item><title>栖云牛奶今天打折</title><guid>g1</guid><link>https://x.example/1</link>
<description>栖云牛奶今天打折，买了两箱</description></item>
<item><title>栖云酸奶</title><guid>g2</guid><link>https://x.example/2</link><description>栖云酸奶有点贵</description></item>
</channel></rss>""".encode()


class Daemon:
    """`listener run` as a child process, its stderr captured to a file (pipes would need draining)."""

    def __init__(self, config: Path, log: Path):
        self.log = log
        with open(log, "w", encoding="utf-8") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "listener", "run", "--config", str(config)],
                                         stdout=subprocess.DEVNULL, stderr=err)

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_for_mentions(db: Path, expected: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        if db.exists():
            try:
                with sqlite3.connect(db) as conn:
                    count = conn.execute("SELECT count(*) FROM mentions").fetchone()[0]
            except sqlite3.OperationalError:
                count = 0
            if count >= expected:
                return count
        time.sleep(0.3)
    return count


def test_daemon_lifecycle(write_config, feeds, tmp_path: Path) -> None:
    server, routes = feeds
    routes.serve("/weibo", RSS)
    config = write_config(f"""
        [store]
        path = "daemon.db"
        [logging]
        level = "info"
        [[brands]]
        name = "栖云乳业"
        aliases = ["栖云牛奶", "栖云酸奶"]
        [[feeds]]
        name = "weibo"
        url = "{server.url}/weibo"
        interval = "10s"
    """)
    db = tmp_path / "daemon.db"
    first = Daemon(config, tmp_path / "first.log")
    try:
        assert wait_for_mentions(db, 2) == 2, first.stderr()
        second = subprocess.run([sys.executable, "-m", "listener", "run", "--config", str(config)],
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "already running" in second.stderr and len(second.stderr.strip().splitlines()) == 1
        assert first.stop(signal.SIGTERM) == 0
        assert "stopped" in first.stderr()
    finally:
        first.cleanup()

    # kill -9 leaves no lock behind that blocks a restart, and nothing is stored twice.
    third = Daemon(config, tmp_path / "third.log")
    try:
        time.sleep(4)
        third.stop(signal.SIGKILL, timeout=10)
    finally:
        third.cleanup()
    fourth = Daemon(config, tmp_path / "fourth.log")
    try:
        deadline = time.monotonic() + 60  # under load, start-up can outlast a fixed sleep: SIGINT would kill it
        while "listener running" not in fourth.stderr() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert fourth.proc.poll() is None, fourth.stderr()
        assert fourth.stop(signal.SIGINT) == 0
    finally:
        fourth.cleanup()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM mentions").fetchone()[0] == 2
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT last_ok FROM jobs WHERE job = 'collect:weibo'").fetchone()[0] == 1
