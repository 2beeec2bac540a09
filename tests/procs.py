"""Helpers for tests that drive `listener` as real processes: the daemon, the CLI, feeds of many items."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BRAND_TOML = """
[[brands]]
name = "栖云乳业"
aliases = ["栖云牛奶", "栖云酸奶"]
"""
COMPLAINTS = ["喝完肚子疼", "包装漏了", "客服不理人", "价格又涨了", "味道很好", "物流太慢", "有异味", "孩子喜欢"]


def rss(feed: str, count: int, start: int = 0) -> bytes:
    """A feed of `count` distinct posts about the brand, guids `feed-<n>`."""
    items = "".join(
        f"<item><title>栖云牛奶 {feed} 第{n}条</title><guid>{feed}-{n}</guid><link>https://x.example/{feed}/{n}</link>"
        f"<pubDate>Wed, 02 Dec 2026 0{n % 10}:{n % 60:02d}:00 GMT</pubDate>"
        f"<description>栖云牛奶{COMPLAINTS[n % len(COMPLAINTS)]}，编号{n}，{feed}</description></item>"
        for n in range(start, start + count))
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{feed}</title>{items}'
            "</channel></rss>").encode()


class DaemonProc:
    """`listener run` as a child process; stderr goes to a file (a pipe would need draining)."""

    def __init__(self, config: Path, log: Path, *, env: dict[str, str] | None = None,
                 argv: list[str] | None = None):
        self.log = log
        with open(log, "w", encoding="utf-8") as err:
            self.proc = subprocess.Popen(argv or [sys.executable, "-m", "listener", "run", "--config", str(config)],
                                         stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, **(env or {})})

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_log(self, text: str, timeout: float = 90) -> None:
        wait_until(lambda: text in self.stderr() or not self.alive(), timeout, f"{text!r} in the daemon log")
        assert self.alive(), self.stderr()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def cleanup(self) -> None:
        if self.alive():
            self.proc.kill()
            self.proc.wait()


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read the daemon's database from outside (WAL: readers never wait for the writer)."""
    if not db.exists():
        return []
    for _ in range(50):
        try:
            with sqlite3.connect(db, timeout=5) as conn:
                return conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            time.sleep(0.1)
    raise AssertionError(f"cannot read {db}")


def mention_count(db: Path) -> int:
    rows = query(db, "SELECT count(*) FROM mentions")
    return rows[0][0] if rows else 0


def status(config: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = subprocess.run([sys.executable, "-m", "listener", "status", "--jsonl", "--config", str(config)],
                            capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is (result.returncode == 0)
    return report
