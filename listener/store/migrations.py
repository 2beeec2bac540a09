"""Numbered schema migrations; each runs once, in order, inside a transaction."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

# Written out rather than via enable_fts(): executescript() would commit our migration transaction halfway.
FTS_STATEMENTS = [
    "CREATE VIRTUAL TABLE mentions_fts USING fts5(title, text, content=[mentions], content_rowid=rowid,"
    " tokenize='trigram')",
    "CREATE TRIGGER mentions_ai AFTER INSERT ON mentions BEGIN"
    " INSERT INTO mentions_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text); END",
    "CREATE TRIGGER mentions_ad AFTER DELETE ON mentions BEGIN"
    " INSERT INTO mentions_fts (mentions_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);"
    " END",
    "CREATE TRIGGER mentions_au AFTER UPDATE ON mentions BEGIN"
    " INSERT INTO mentions_fts (mentions_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);"
    " INSERT INTO mentions_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text); END",
]


def _initial(db: sqlite_utils.Database) -> None:
    db["feeds"].create({
        "feed": str, "url": str, "etag": str, "last_modified": str, "last_success_at": str,
        "last_error": str, "last_error_at": str, "consecutive_failures": int, "next_attempt_at": str,
        "items_seen": int, "new_mentions": int, "unhealthy_notified": int, "updated_at": str,
    }, pk="feed")
    db["mentions"].create({
        "mention_id": str, "feed": str, "url": str, "title": str, "text": str, "clean_text": str,
        "author": str, "published_at": str, "published_ts": int, "fetched_at": str, "sentiment": float,
        "label": str, "keywords": str, "signals": str, "urls": str, "handles": str, "topics": str,
        "emoticons": str, "metrics": str, "reach": int, "simhash": int, "official": int,
        "had_published_at": int,
    }, pk="mention_id", not_null={"feed", "published_at", "published_ts", "label"})
    db["mentions"].create_index(["published_ts"])
    db["mentions"].create_index(["feed", "published_ts"])
    # Trigram tokens make substring search work for Chinese, which has no spaces between words.
    for statement in FTS_STATEMENTS:
        db.execute(statement)
    db["mention_brands"].create({
        "mention_id": str, "brand": str, "spans": str, "published_ts": int, "label": str, "official": int,
    }, pk=("mention_id", "brand"), foreign_keys=[("mention_id", "mentions", "mention_id")])
    db["mention_brands"].create_index(["brand", "published_ts"])
    db["incidents"].create({
        "incident_id": str, "brand": str, "status": str, "severity": str, "opened_at": str, "updated_at": str,
        "window_start": str, "window_end": str, "negative": int, "baseline": float, "volume": int,
        "peak_bucket_negative": int, "quiet_buckets": int, "notified_negative": int, "notified_severity": str,
        "resolved_at": str, "acknowledged_at": str,
    }, pk="incident_id")
    db["incidents"].create_index(["brand", "status"])
    db["detector_cursors"].create({"brand": str, "cursor": str, "updated_at": str}, pk="brand")
    db["outbox"].create({
        "delivery_id": str, "channel": str, "event": str, "incident_id": str, "payload": str, "status": str,
        "attempts": int, "next_attempt_at": str, "created_at": str, "sent_at": str, "last_error": str,
    }, pk="delivery_id", not_null={"channel", "event", "payload", "status"})
    db["outbox"].create_index(["status", "next_attempt_at"])
    db["deliveries"].create({
        "id": int, "delivery_id": str, "channel": str, "attempted_at": str, "ok": int, "error": str,
    }, pk="id", foreign_keys=[("delivery_id", "outbox", "delivery_id")])
    db["deliveries"].create_index(["delivery_id"])
    db["digests"].create({
        "digest_id": str, "brand": str, "day": str, "html_path": str, "markdown": str, "json": str,
        "created_at": str,
    }, pk="digest_id")
    db["jobs"].create({"job": str, "last_run_at": str, "last_ok": int, "last_error": str, "seconds": float},
                      pk="job")


def _feed_warnings(db: sqlite_utils.Database) -> None:
    """Feed health: a round that salvaged items from a damaged document records why (collectors issue)."""
    db["feeds"].add_column("last_warning", str)
    db["feeds"].add_column("last_warning_at", str)


def _dashboard_indexes(db: sqlite_utils.Database) -> None:
    """Indexes the dashboard needs to answer in < 200 ms over a million mentions (bench/dashboard_bench.py)."""
    # Covering index: daily label counts per brand read the index alone, never the table.
    db.execute("CREATE INDEX IF NOT EXISTS idx_mention_brands_daily ON mention_brands"
               " (brand, published_ts, official, label)")
    # The explorer filtered by brand and label, newest first.
    db.execute("CREATE INDEX IF NOT EXISTS idx_mention_brands_label ON mention_brands (brand, label, published_ts)")
    # The explorer filtered by label alone, newest first.
    db.execute("CREATE INDEX IF NOT EXISTS idx_mentions_label ON mentions (label, published_ts)")


def _job_health(db: sqlite_utils.Database) -> None:
    """Job failure history for `listener status`: a later success must not hide that a job was failing."""
    for column, kind in (("runs", int), ("failures", int), ("consecutive_failures", int),
                         ("last_failure_at", str), ("last_failure", str)):
        db["jobs"].add_column(column, kind)


def _alert_silences(db: sqlite_utils.Database) -> None:
    """Issue 5: `listener alerts silence BRAND --until ...` mutes a brand's incident notifications."""
    db["alert_silences"].create({"brand": str, "until": str, "created_at": str, "reason": str}, pk="brand")


def _feed_silence(db: sqlite_utils.Database) -> None:
    """Alert delivery: remember that a feed's silence beyond its rhythm was reported (feed_watch.py)."""
    db.execute("ALTER TABLE feeds ADD COLUMN silent_notified INTEGER DEFAULT 0")


BRAND_HOURLY_STATEMENTS = [
    "CREATE TABLE brand_hourly (brand TEXT NOT NULL, hour INTEGER NOT NULL, label TEXT NOT NULL,"
    " official INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (brand, hour, label, official)) WITHOUT ROWID",
    "INSERT INTO brand_hourly (brand, hour, label, official, n) SELECT brand, published_ts / 3600, label,"
    " coalesce(official, 0), count(*) FROM mention_brands WHERE true GROUP BY 1, 2, 3, 4",
    "CREATE TRIGGER mention_brands_hourly_ai AFTER INSERT ON mention_brands BEGIN"
    " INSERT INTO brand_hourly (brand, hour, label, official, n) VALUES"
    " (new.brand, new.published_ts / 3600, new.label, coalesce(new.official, 0), 1)"
    " ON CONFLICT (brand, hour, label, official) DO UPDATE SET n = n + 1; END",
    "CREATE TRIGGER mention_brands_hourly_ad AFTER DELETE ON mention_brands BEGIN"
    " UPDATE brand_hourly SET n = n - 1 WHERE brand = old.brand AND hour = old.published_ts / 3600"
    " AND label = old.label AND official = coalesce(old.official, 0); END",
    "CREATE TRIGGER mention_brands_hourly_au AFTER UPDATE OF brand, published_ts, label, official ON mention_brands"
    " BEGIN"
    " UPDATE brand_hourly SET n = n - 1 WHERE brand = old.brand AND hour = old.published_ts / 3600"
    " AND label = old.label AND official = coalesce(old.official, 0);"
    " INSERT INTO brand_hourly (brand, hour, label, official, n) VALUES"
    " (new.brand, new.published_ts / 3600, new.label, coalesce(new.official, 0), 1)"
    " ON CONFLICT (brand, hour, label, official) DO UPDATE SET n = n + 1; END",
]


def _brand_hourly(db: sqlite_utils.Database) -> None:
    """Hourly label counts per brand, kept by triggers: the overview's 7-day trend reads a few hundred rows
    instead of every mention of the week."""
    for statement in BRAND_HOURLY_STATEMENTS:
        db.execute(statement)


def _bulk_search_index(db: sqlite_utils.Database) -> None:
    """Collection speed (issue 3): the search index is filled once per saved batch by `Store.insert_mentions`
    (one INSERT ... SELECT over the new rowids) instead of by a trigger per row, which was two thirds of the
    cost of saving a mention. Deletes and updates keep their triggers (rare; search stays exact). The
    (brand, published_ts) index goes: the daily covering index starts with the same two columns."""
    db.execute("DROP TRIGGER IF EXISTS mentions_ai")
    db.execute("DROP INDEX IF EXISTS idx_mention_brands_brand_published_ts")
    # A database written by an older build is fully indexed already; this only catches up rows (if any) that
    # reached the table without the trigger.
    db.execute("INSERT INTO mentions_fts (rowid, title, text) SELECT rowid, title, text FROM mentions"
               " WHERE rowid > (SELECT coalesce(max(id), 0) FROM mentions_fts_docsize)")


def _detector_state(db: sqlite_utils.Database) -> None:
    """Issue 5: each brand's detector state survives restarts, so a run reads only the new buckets; and
    issue 4: near-duplicate clusters ("voices") per brand, assigned by the detection job after each save."""
    db.execute("CREATE TABLE detector_state (brand TEXT PRIMARY KEY, state TEXT NOT NULL, through TEXT,"
               " updated_at TEXT)")
    db.execute("CREATE TABLE voices (brand TEXT NOT NULL, voice_id TEXT NOT NULL, simhash INTEGER NOT NULL,"
               " first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, members INTEGER NOT NULL, reach INTEGER NOT NULL,"
               " PRIMARY KEY (brand, voice_id)) WITHOUT ROWID")
    db.execute("CREATE INDEX idx_voices_live ON voices (brand, last_ts)")
    db.execute("CREATE TABLE voice_members (brand TEXT NOT NULL, mention_id TEXT NOT NULL, voice_id TEXT NOT NULL,"
               " PRIMARY KEY (brand, mention_id)) WITHOUT ROWID")


def _feed_urls_redacted(db: sqlite_utils.Database) -> None:
    """Issue 3: a feed URL's credentials (`?key=`, `token=`, `user:pass@`) are never stored. Rows written by an
    older build get their URL masked, and the secrets scrubbed from their error and warning texts."""
    from alerts.channels.redact import redact_url, scrub, url_secrets

    rows = db.execute("SELECT feed, url, last_error, last_warning FROM feeds WHERE url IS NOT NULL").fetchall()
    for feed, url, error, warning in rows:
        secrets = url_secrets(url, all_params=False)
        if redact_url(url) != url or secrets:
            db.execute("UPDATE feeds SET url = ?, last_error = ?, last_warning = ? WHERE feed = ?",
                       (redact_url(url), scrub(error, secrets), scrub(warning, secrets), feed))


MIGRATIONS: list[tuple[int, str, Callable[[sqlite_utils.Database], None]]] = [
    (1, "initial schema", _initial),
    (2, "feed warnings", _feed_warnings),
    (3, "dashboard indexes", _dashboard_indexes),
    (4, "job health for status", _job_health),
    (5, "alert silences", _alert_silences),
    (6, "feed silence flag (alert delivery)", _feed_silence),
    (7, "dashboard hourly rollup", _brand_hourly),
    (8, "search index filled per batch (collection speed)", _bulk_search_index),
    (9, "detector state and near-duplicate voices", _detector_state),
    (10, "feed URLs stored with their credentials masked", _feed_urls_redacted),
]
