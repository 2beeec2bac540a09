"""kill -9 of the real daemon mid-collection and mid-analysis, then a restart: nothing lost, nothing doubled.

(A kill during delivery, and the outbox's exactly-once promise, are tested with the alert channels.)
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.procs import BRAND_TOML, DaemonProc, mention_count, query, rss, wait_until

FEEDS, ITEMS = 3, 80
# Kill during analysis: feed 0 is small and lands first; 1 and 2 are big, so their analysis is still
# running when feed 0's mentions appear, however fast the machine (a fixed 3 x 80 once raced past the kill).
BIG = 1500
SIZES = {0: ITEMS, 1: BIG, 2: BIG}


def config_text(server_url: str, db: str) -> str:
    feeds = "".join(f'\n[[feeds]]\nname = "f{i}"\nurl = "{server_url}/f{i}"\ninterval = "10s"\n'
                    for i in range(FEEDS))
    return f'[store]\npath = "{db}"\n[logging]\nlevel = "info"\n{BRAND_TOML}{feeds}'


def assert_whole(db: Path, sizes: dict[int, int]) -> None:
    """The database after the crash: intact, every listed post once, every mention with its brand row."""
    expected = sum(sizes.values())
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA foreign_key_check") == []
    query(db, "INSERT INTO mentions_fts(mentions_fts) VALUES ('integrity-check')")  # raises if the index drifted
    assert mention_count(db) == expected
    assert query(db, "SELECT count(DISTINCT url) FROM mentions") == [(expected,)]
    assert query(db, "SELECT count(*) FROM mention_brands") == [(expected,)]
    listed = {f"https://x.example/f{i}/{n}" for i, size in sizes.items() for n in range(size)}
    assert {r[0] for r in query(db, "SELECT url FROM mentions")} == listed


def feed_counts(db: Path) -> dict[int, int]:
    return {i: query(db, "SELECT count(*) FROM mentions WHERE url LIKE ?", (f"https://x.example/f{i}/%",))[0][0]
            for i in range(FEEDS)}


def restart_and_finish(config: Path, db: Path, log: Path, total: int) -> None:
    again = DaemonProc(config, log)
    try:
        wait_until(lambda: mention_count(db) >= total, 180, "every mention after the restart", every=0.5)
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
    restart_and_finish(config, db, tmp_path / "second.log", FEEDS * ITEMS)
    assert_whole(db, dict.fromkeys(range(FEEDS), ITEMS))


def test_kill_during_analysis_then_restart_loses_nothing(write_config, feeds, tmp_path: Path) -> None:
    server, routes = feeds
    served: list[int] = []
    together = threading.Barrier(FEEDS, timeout=60)  # the scheduler staggers first runs: answer all at once

    def serve(i: int):
        body = rss(f"f{i}", SIZES[i])

        def render() -> tuple[bytes, str]:
            if len(served) < FEEDS:  # only the first daemon's first fetches; the restart is not held
                together.wait()
            served.append(i)
            return body, "application/rss+xml; charset=utf-8"
        return render

    for i in range(FEEDS):
        routes[f"/f{i}"] = serve(i)
    config = write_config(config_text(server.url, "analysis.db"))
    db = tmp_path / "analysis.db"
    first = DaemonProc(config, tmp_path / "first.log")
    try:
        # The writer stores one feed per transaction: once the small feed is in, the big ones are mid-analysis.
        stored = wait_until(lambda: mention_count(db), 120, "the first feed's mentions", every=0.02)
        first.kill()
        assert sorted(served) == [0, 1, 2], "every feed was fetched before the kill"
        assert 0 < stored < sum(SIZES.values()), "the kill must land between feeds, during analysis"
    finally:
        first.cleanup()
    for i, count in feed_counts(db).items():
        assert count in (0, SIZES[i]), f"feed f{i}: a feed's mentions land in one transaction, all or none"
    restart_and_finish(config, db, tmp_path / "second.log", sum(SIZES.values()))
    assert_whole(db, SIZES)
