"""Opening the SQLite store: WAL, a busy timeout, and the numbered migrations."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from listener.store.migrations import MIGRATIONS

CACHE_KIB = 32 * 1024  # page cache per connection, at most (SQLite allocates it as pages are used)
CHECKPOINT_PAGES = 10_000  # WAL pages (4 KiB) between automatic checkpoints


class StoreError(Exception):
    """The database cannot be opened or written."""


def connect(path: Path | str) -> sqlite_utils.Database:
    """A connection with WAL and a busy timeout, migrated to the latest schema."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA foreign_keys = ON")
        db = sqlite_utils.Database(conn)
        if str(path) != ":memory:":
            db.enable_wal()
        conn.execute("PRAGMA synchronous = NORMAL")
        # A collection round inserts into several indexes and the trigram search index at once: with
        # SQLite's default 2 MB page cache and a checkpoint every 4 MB of WAL, the same index pages are read
        # back and copied to the database again and again. 32 MB and a 40 MB WAL between checkpoints took
        # 15% off the parent's CPU in a 50,000-mention round (bench/collect_bench.py, bench/README.md).
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")
        migrate(db)
    except sqlite3.Error as exc:
        raise StoreError(f"store: cannot open {path}: {exc}") from exc
    return db


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Apply migrations not yet recorded; returns the versions applied."""
    conn = db.conn
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    done = {row[0] for row in conn.execute("SELECT version FROM _migrations")}
    applied = []
    for version, name, apply in MIGRATIONS:
        if version in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the write lock.
            if conn.execute("SELECT 1 FROM _migrations WHERE version = ?", (version,)).fetchone():
                conn.execute("COMMIT")
                continue
            apply(db)
            conn.execute("INSERT INTO _migrations VALUES (?, ?, ?)",
                         (version, name, datetime.now(UTC).isoformat(timespec="seconds")))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied
