"""kill -9 of the real daemon mid-collection and mid-analysis, then a restart: nothing lost, nothing doubled.

(A kill during delivery, and the outbox's exactly-once promise, are tested with the alert channels.)
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.procs import BRAND_TOML, DaemonProc, mention_count, query, rss, wait_until

FEEDS, ITEMS = 3, 80


def config_text(server_url: str, db: str) -> str:
    feeds = "".join(f'\n[[feeds]]\nname = "f{i}"\nurl = "{server_url}/f{i}"\ninterval = "10s"\n'
                    for i in range(FEEDS))
    return f'[store]\npath = "{db}"\n[logging]\nlevel = "info"\n{BRAND_TOML}{feeds}'


def assert_whole(db: Path, expected: int) -> None:
    """The database after the crash: intact, every listed post once, every mention with its brand row."""
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA foreign_key_check") == []
    query(db, "INSERT INTO mentions_fts(mentions_fts) VALUES ('integrity-check')")  # raises if the index drifted
    assert mention_count(db) == expected
    assert query(db, "SELECT count(DISTINCT url) FROM mentions") == [(expected,)]
    assert query(db, "SELECT count(*) FROM mention_brands") == [(expected,)]
    listed = {f"https://x.example/f{i}/{n}" for i in range(FEEDS) for n in range(ITEMS)}
    assert {r[0] for r in query(db, "SELECT url FROM mentions")} == listed


def restart_and_finish(config: Path, db: Path, log: Path) -> None:
    again = DaemonProc(config, log)
    try:
        wait_until(lambda: mention_count(db) >= FEEDS * ITEMS, 180, "every mention after the restart", every=0.5)
        time.sleep(1)
        assert again.stop() == 0, again.stderr()
    finally:
        again.cleanup()


def test_kill_during_collection_then_restart_loses_nothing(write_config, feeds, tmp_path: Path) -> None:
    server, routes = feeds
    in_flight, slow = [], threading.Event()
    slow.set()

    def serve(i: int):
        body = rss(f"f{i}", ITEMS)

        def render() -> tuple[bytes, str]:
            in_flight.append(i)
            if slow.is_set():
                time.sleep(4)  # the first daemon is killed while every fetch is still waiting on us
            return body, "application/rss+xml; charset=utf-8"
        return render

    for i in range(FEEDS):
        routes[f"/f{i}"] = serve(i)
    config = write_config(config_text(server.url, "crash.db"))
    db = tmp_path / "crash.db"
    first = DaemonProc(config, tmp_path / "first.log")
    try:
        wait_until(lambda: in_flight, 90, "the daemon to start fetching")
        assert mention_count(db) == 0
        first.kill()
    finally:
        first.cleanup()
    slow.clear()
    restart_and_finish(config, db, tmp_path / "second.log")
    assert_whole(db, FEEDS * ITEMS)


def test_kill_during_analysis_then_restart_loses_nothing(write_config, feeds, tmp_path: Path) -> None:
    server, routes = feeds
    for i in range(FEEDS):
        routes.serve(f"/f{i}", rss(f"f{i}", ITEMS))
    config = write_config(config_text(server.url, "analysis.db"))
    db = tmp_path / "analysis.db"
    first = DaemonProc(config, tmp_path / "first.log")
    try:
        # The writer thread analyses and stores one feed at a time: once one is in, the next is mid-analysis.
        stored = wait_until(lambda: mention_count(db), 120, "the first feed's mentions", every=0.05)
        first.kill()
        assert 0 < stored < FEEDS * ITEMS, "the kill must land between feeds, during analysis"
    finally:
        first.cleanup()
    partial = mention_count(db)
    assert partial % ITEMS == 0  # a feed's mentions land in one transaction: all of them or none
    restart_and_finish(config, db, tmp_path / "second.log")
    assert_whole(db, FEEDS * ITEMS)
