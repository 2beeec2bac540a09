"""The SQLite store. Every write that must be atomic happens in one `transaction()`.

Thread use: one Store (one connection) per thread; the daemon gives writes a single thread.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alerts.evaluate import BucketCount, bucket_floor
from alerts.types import Incident, Notification
from analyzers import Mention
from collectors import FeedState
from listener.store.codec import (
    MENTION_COLUMNS,
    StoredMention,
    dumps,
    from_ts,
    incident_from_row,
    incident_row,
    mention_from_row,
    stored_mention,
    ts,
)
from listener.store.db import StoreError, connect

__all__ = ["Store", "StoreError"]

_INSERT_MENTION = (f"INSERT OR IGNORE INTO mentions ({', '.join(MENTION_COLUMNS)})"
                   f" VALUES ({', '.join('?' for _ in MENTION_COLUMNS)})")
_INSERT_BRAND = ("INSERT OR IGNORE INTO mention_brands (mention_id, brand, spans, published_ts, label, official)"
                 " VALUES (?, ?, ?, ?, ?, ?)")


class Store:
    def __init__(self, path: Path | str):
        self.path = path
        self.db = connect(path)
        self.conn = self.db.conn
        self.conn.row_factory = sqlite3.Row
        try:
            self._catch_up_search()
        except sqlite3.Error as exc:
            raise StoreError(f"store: cannot index {path} for search: {exc}") from exc

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT: take the write lock up front so two writers never deadlock."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- mentions -------------------------------------------------------------------------------

    def save_mentions(self, mentions: Iterable[Mention]) -> list[Mention]:
        """Insert mentions not already stored (by stable id); return only the new ones."""
        with self.transaction() as conn:
            return self.insert_mentions(mentions, conn)

    def insert_mentions(self, mentions: Iterable[Mention], conn: sqlite3.Connection) -> list[Mention]:
        """`save_mentions` inside the caller's transaction, so a round can store many feeds in one commit.

        Prepared `executemany` for the rows and brand links, then the search index filled in one statement
        (migration 8): one FTS5 insert per row from a trigger cost more than everything else together.
        """
        mentions = list(mentions)
        pending = set(self.insert_stored([stored_mention(m) for m in mentions], conn))
        new = []
        for mention in mentions:
            if mention.mention_id in pending:  # an id twice in the batch: only its first Mention was stored
                pending.discard(mention.mention_id)
                new.append(mention)
        return new

    def insert_stored(self, stored: list[StoredMention], conn: sqlite3.Connection, *, index: bool = True) -> list[str]:
        """Rows built by `codec.stored_mention` (in the analysis workers) inserted unless stored already;
        returns the ids inserted. The same id twice in one batch: the first one wins.

        `index=False` leaves the search index to one `index_search` call at the end of the caller's
        transaction (a round stores many feeds in one commit: one index insert instead of one a feed)."""
        known = self.known_mention_ids((row[0] for row, _ in stored), conn)
        rows, links, new = [], [], []
        for row, brand_links in stored:
            if row[0] in known:
                continue
            known.add(row[0])
            new.append(row[0])
            rows.append(row)
            links.extend(brand_links)
        if rows:
            conn.executemany(_INSERT_MENTION, rows)
            conn.executemany(_INSERT_BRAND, links)
        if index:
            self.index_search(conn)
        return new

    def index_search(self, conn: sqlite3.Connection) -> None:
        """Add every mention the search index has not seen (rowids above its highest) in one statement.

        Rows inserted any other way (a seeding script, an older build) are caught up here and when a
        Store opens, so search always sees every stored mention, as the old per-row trigger ensured.
        """
        conn.execute("INSERT INTO mentions_fts (rowid, title, text) SELECT rowid, title, text FROM mentions"
                     " WHERE rowid > (SELECT coalesce(max(id), 0) FROM mentions_fts_docsize)")

    def _catch_up_search(self) -> None:
        row = self.conn.execute("SELECT (SELECT coalesce(max(rowid), 0) FROM mentions)"
                                " > (SELECT coalesce(max(id), 0) FROM mentions_fts_docsize)").fetchone()
        if row[0]:
            with self.transaction() as conn:
                self.index_search(conn)

    def known_mention_ids(self, ids: Iterable[str], conn: sqlite3.Connection | None = None) -> set[str]:
        ids = list(ids)
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            found.update(r[0] for r in (conn or self.conn).execute(
                f"SELECT mention_id FROM mentions WHERE mention_id IN ({marks})", chunk))
        return found

    def mentions(
        self, *, brand: str | None = None, since: datetime | None = None, until: datetime | None = None,
        label: str | None = None, search: str | None = None, limit: int | None = 100,
        order: str = "published_ts DESC",
    ) -> list[Mention]:
        """Query stored mentions; `search` uses the FTS index (substring fallback for 1-2 characters)."""
        where, params = [], []
        if brand:
            where.append("m.mention_id IN (SELECT mention_id FROM mention_brands WHERE brand = ?)")
            params.append(brand)
        if since:
            where.append("m.published_ts >= ?")
            params.append(int(since.timestamp()))
        if until:
            where.append("m.published_ts < ?")
            params.append(int(until.timestamp()))
        if label:
            where.append("m.label = ?")
            params.append(label)
        if search:
            if len(search.strip()) >= 3:
                where.append("m.rowid IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?)")
                params.append('"' + search.strip().replace('"', '""') + '"')
            else:
                where.append("(instr(m.title, ?) > 0 OR instr(m.text, ?) > 0)")
                params.extend([search.strip(), search.strip()])
        sql = "SELECT m.* FROM mentions m"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY m.{order}"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        rows = [dict(r) for r in self.conn.execute(sql, params)]
        return self._with_brands(rows)

    def _with_brands(self, rows: list[dict[str, Any]]) -> list[Mention]:
        if not rows:
            return []
        brands: dict[str, list[tuple[str, str]]] = {r["mention_id"]: [] for r in rows}
        ids = list(brands)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            for r in self.conn.execute(
                    f"SELECT mention_id, brand, spans FROM mention_brands WHERE mention_id IN ({marks})", chunk):
                brands[r[0]].append((r[1], r[2]))
        return [mention_from_row(r, brands[r["mention_id"]]) for r in rows]

    def count_mentions(self) -> int:
        return self.conn.execute("SELECT count(*) FROM mentions").fetchone()[0]

    def first_mention_at(self, brand: str) -> datetime | None:
        row = self.conn.execute("SELECT min(published_ts) FROM mention_brands WHERE brand = ? AND official = 0",
                                (brand,)).fetchone()
        return datetime.fromtimestamp(row[0], UTC) if row and row[0] is not None else None

    def bucket_counts(self, brand: str, *, since: datetime, until: datetime, bucket_seconds: int) -> list[BucketCount]:
        """Negative and total public mentions per bucket (the brand's own posts excluded), oldest first."""
        start = bucket_floor(since, bucket_seconds)
        rows = self.conn.execute(
            "SELECT (published_ts / ?) * ? AS b, sum(label = 'negative'), count(*) FROM mention_brands"
            " WHERE brand = ? AND official = 0 AND published_ts >= ? AND published_ts < ? GROUP BY b",
            (bucket_seconds, bucket_seconds, brand, int(start.timestamp()), int(until.timestamp())),
        ).fetchall()
        by_start = {r[0]: (r[1], r[2]) for r in rows}
        out = []
        cursor = start
        while cursor <= until:
            negative, volume = by_start.get(int(cursor.timestamp()), (0, 0))
            out.append(BucketCount(start=cursor, negative=negative, volume=volume))
            cursor += timedelta(seconds=bucket_seconds)
        return out

    def daily_counts(self, brand: str, *, since: datetime, until: datetime) -> dict[str, int]:
        row = self.conn.execute(
            "SELECT count(*), sum(label = 'negative'), sum(label = 'neutral'), sum(label = 'positive')"
            " FROM mention_brands WHERE brand = ? AND official = 0 AND published_ts >= ? AND published_ts < ?",
            (brand, int(since.timestamp()), int(until.timestamp())),
        ).fetchone()
        return {"volume": row[0] or 0, "negative": row[1] or 0, "neutral": row[2] or 0, "positive": row[3] or 0}

    def keyword_counts(self, brand: str, *, since: datetime, until: datetime) -> Counter[str]:
        """In how many public mentions of the brand each keyword appears (the baseline of rising keywords)."""
        counts: Counter[str] = Counter()
        for (keywords,) in self.conn.execute(
                "SELECT m.keywords FROM mention_brands b JOIN mentions m ON m.mention_id = b.mention_id"
                " WHERE b.brand = ? AND b.official = 0 AND b.published_ts >= ? AND b.published_ts < ?",
                (brand, int(since.timestamp()), int(until.timestamp()))):
            counts.update(set(json.loads(keywords or "[]")))
        return counts

    # --- feeds ----------------------------------------------------------------------------------

    def feed_state(self, feed: str) -> FeedState | None:
        row = self.conn.execute("SELECT * FROM feeds WHERE feed = ?", (feed,)).fetchone()
        if row is None:
            return None
        return FeedState(
            feed=row["feed"], etag=row["etag"], last_modified=row["last_modified"],
            last_success_at=from_ts(row["last_success_at"]), last_error=row["last_error"],
            last_error_at=from_ts(row["last_error_at"]), consecutive_failures=row["consecutive_failures"] or 0,
            next_attempt_at=from_ts(row["next_attempt_at"]),
        )

    def save_feed_state(self, state: FeedState, *, url: str, items_seen: int, new_mentions: int,
                        now: datetime, conn: sqlite3.Connection | None = None) -> None:
        (conn or self.conn).execute(
            "INSERT INTO feeds (feed, url, etag, last_modified, last_success_at, last_error, last_error_at,"
            " consecutive_failures, next_attempt_at, items_seen, new_mentions, unhealthy_notified, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)"
            " ON CONFLICT(feed) DO UPDATE SET url = excluded.url, etag = excluded.etag,"
            " last_modified = excluded.last_modified, last_success_at = excluded.last_success_at,"
            " last_error = excluded.last_error, last_error_at = excluded.last_error_at,"
            " consecutive_failures = excluded.consecutive_failures, next_attempt_at = excluded.next_attempt_at,"
            " items_seen = excluded.items_seen, new_mentions = feeds.new_mentions + excluded.new_mentions,"
            " updated_at = excluded.updated_at",
            (state.feed, url, state.etag, state.last_modified, ts(state.last_success_at), state.last_error,
             ts(state.last_error_at), state.consecutive_failures, ts(state.next_attempt_at), items_seen,
             new_mentions, ts(now)),
        )

    def save_feed_warning(self, feed: str, warning: str | None, now: datetime,
                          conn: sqlite3.Connection | None = None) -> None:
        """Record (or clear, with None) the damage a successful round salvaged items from."""
        (conn or self.conn).execute("UPDATE feeds SET last_warning = ?, last_warning_at = ? WHERE feed = ?",
                                    (warning, ts(now) if warning else None, feed))

    def feed_unhealthy_notified(self, feed: str) -> bool:
        """Whether the PR team was told this feed is down (and not yet that it recovered)."""
        row = self.conn.execute("SELECT unhealthy_notified FROM feeds WHERE feed = ?", (feed,)).fetchone()
        return bool(row and row[0])

    def set_feed_unhealthy_notified(self, feed: str, value: bool, conn: sqlite3.Connection | None = None) -> None:
        (conn or self.conn).execute("UPDATE feeds SET unhealthy_notified = ? WHERE feed = ?", (int(value), feed))

    def feed_rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM feeds ORDER BY feed")]

    # --- incidents and detection -----------------------------------------------------------------

    def active_incident(self, brand: str) -> Incident | None:
        row = self.conn.execute(
            "SELECT * FROM incidents WHERE brand = ? AND status IN ('open', 'acknowledged')"
            " ORDER BY opened_at DESC LIMIT 1", (brand,)).fetchone()
        return incident_from_row(dict(row)) if row else None

    def incident(self, incident_id: str) -> Incident | None:
        row = self.conn.execute("SELECT * FROM incidents WHERE incident_id = ?", (incident_id,)).fetchone()
        return incident_from_row(dict(row)) if row else None

    def incidents(self, *, brand: str | None = None, since: datetime | None = None,
                  status: str | None = None) -> list[Incident]:
        sql, params = "SELECT * FROM incidents WHERE 1 = 1", []
        if brand:
            sql += " AND brand = ?"
            params.append(brand)
        if since:
            sql += " AND (window_end >= ? OR status != 'resolved')"
            params.append(ts(since))
        if status:
            sql += " AND status = ?"
            params.append(status)
        return [incident_from_row(dict(r)) for r in self.conn.execute(sql + " ORDER BY opened_at DESC", params)]

    def save_incident(self, incident: Incident, conn: sqlite3.Connection | None = None) -> None:
        row = incident_row(incident)
        columns = ", ".join(row)
        updates = ", ".join(f"{k} = excluded.{k}" for k in row if k != "incident_id")
        (conn or self.conn).execute(
            f"INSERT INTO incidents ({columns}) VALUES ({', '.join('?' for _ in row)})"
            f" ON CONFLICT(incident_id) DO UPDATE SET {updates}", list(row.values()))

    def set_incident_status(self, incident_id: str, status: str, now: datetime) -> Incident | None:
        incident = self.incident(incident_id)
        if incident is None:
            return None
        changed = replace(incident, status=status, updated_at=now,
                          acknowledged_at=now if status == "acknowledged" else incident.acknowledged_at,
                          resolved_at=now if status == "resolved" else incident.resolved_at)
        with self.transaction() as conn:
            self.save_incident(changed, conn)
        return changed

    def detector_cursor(self, brand: str) -> datetime | None:
        row = self.conn.execute("SELECT cursor FROM detector_cursors WHERE brand = ?", (brand,)).fetchone()
        return from_ts(row[0]) if row else None

    def save_detector_cursor(self, brand: str, cursor: datetime | None, now: datetime,
                             conn: sqlite3.Connection | None = None) -> None:
        (conn or self.conn).execute(
            "INSERT INTO detector_cursors (brand, cursor, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(brand) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
            (brand, ts(cursor), ts(now)))

    # --- alert silences (issue 5) ---------------------------------------------------------------

    def silence(self, brand: str, until: datetime, now: datetime, reason: str | None = None) -> None:
        """Mute incident notifications for a brand until `until` (incidents are still tracked)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO alert_silences (brand, until, created_at, reason) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(brand) DO UPDATE SET until = excluded.until, created_at = excluded.created_at,"
                " reason = excluded.reason", (brand, ts(until), ts(now), reason))

    def unsilence(self, brand: str) -> bool:
        with self.transaction() as conn:
            return conn.execute("DELETE FROM alert_silences WHERE brand = ?", (brand,)).rowcount > 0

    def silenced_until(self, brand: str, now: datetime) -> datetime | None:
        row = self.conn.execute("SELECT until FROM alert_silences WHERE brand = ?", (brand,)).fetchone()
        until = from_ts(row[0]) if row else None
        return until if until is not None and until > now else None

    def silences(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM alert_silences ORDER BY brand")]

    # --- outbox and deliveries -------------------------------------------------------------------

    def enqueue(self, notification: Notification, conn: sqlite3.Connection | None = None) -> None:
        (conn or self.conn).execute(
            "INSERT OR IGNORE INTO outbox (delivery_id, channel, event, incident_id, payload, status, attempts,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
            (notification.delivery_id, notification.channel, notification.event, notification.incident_id,
             dumps(notification.payload), ts(notification.created_at), ts(notification.created_at)))

    def due_notifications(self, now: datetime, limit: int = 100) -> list[Notification]:
        rows = self.conn.execute(
            "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY created_at LIMIT ?",
            (ts(now), limit)).fetchall()
        return [Notification(delivery_id=r["delivery_id"], channel=r["channel"], event=r["event"],
                             payload=json.loads(r["payload"]), incident_id=r["incident_id"],
                             created_at=from_ts(r["created_at"]), attempts=r["attempts"]) for r in rows]

    def record_delivery(self, notification: Notification, *, ok: bool, error: str | None, now: datetime,
                        next_attempt_at: datetime | None, failed: bool) -> None:
        """One attempt: log it and move the outbox row to sent, failed, or pending with a later retry."""
        status = "sent" if ok else ("failed" if failed else "pending")
        with self.transaction() as conn:
            conn.execute("INSERT INTO deliveries (delivery_id, channel, attempted_at, ok, error)"
                         " VALUES (?, ?, ?, ?, ?)",
                         (notification.delivery_id, notification.channel, ts(now), int(ok), error))
            conn.execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, sent_at = ?,"
                " next_attempt_at = coalesce(?, next_attempt_at) WHERE delivery_id = ?",
                (status, error, ts(now) if ok else None, ts(next_attempt_at), notification.delivery_id))

    def defer_notification(self, delivery_id: str, until: datetime) -> None:
        """Hold a row (quiet hours, rate limit) without counting an attempt."""
        with self.transaction() as conn:
            conn.execute("UPDATE outbox SET next_attempt_at = ? WHERE delivery_id = ? AND status = 'pending'",
                         (ts(until), delivery_id))

    def attempts_since(self, channel: str, since: datetime) -> int:
        """Requests made to a channel since a time: what a platform's rate limit counts."""
        row = self.conn.execute("SELECT count(*) FROM deliveries WHERE channel = ? AND attempted_at >= ?",
                                (channel, ts(since))).fetchone()
        return int(row[0])

    def outbox_counts(self) -> dict[str, int]:
        return {r[0]: r[1] for r in self.conn.execute("SELECT status, count(*) FROM outbox GROUP BY status")}

    def outbox_rows(self, *, status: str | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT * FROM outbox", []
        if status:
            sql += " WHERE status = ?"
            params.append(status)
        return [dict(r) for r in self.conn.execute(sql + " ORDER BY created_at", params)]

    # --- digests and jobs ------------------------------------------------------------------------

    def save_digest(self, *, brand: str, day: str, html_path: str, markdown: str, json_text: str,
                    now: datetime) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO digests (digest_id, brand, day, html_path, markdown, json, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(digest_id) DO UPDATE SET html_path = excluded.html_path,"
                " markdown = excluded.markdown, json = excluded.json, created_at = excluded.created_at",
                (f"{brand}:{day}", brand, day, html_path, markdown, json_text, ts(now)))

    def digests(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM digests ORDER BY day DESC, brand")]

    def record_job(self, job: str, *, ok: bool, error: str | None, seconds: float, now: datetime) -> None:
        failed = 0 if ok else 1
        self.conn.execute(
            "INSERT INTO jobs (job, last_run_at, last_ok, last_error, seconds, runs, failures, consecutive_failures,"
            " last_failure_at, last_failure) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)"
            " ON CONFLICT(job) DO UPDATE SET last_run_at = excluded.last_run_at, last_ok = excluded.last_ok,"
            " last_error = excluded.last_error, seconds = excluded.seconds, runs = coalesce(jobs.runs, 0) + 1,"
            " failures = coalesce(jobs.failures, 0) + excluded.failures,"
            " consecutive_failures = CASE WHEN excluded.last_ok THEN 0"
            " ELSE coalesce(jobs.consecutive_failures, 0) + 1 END,"
            " last_failure_at = coalesce(excluded.last_failure_at, jobs.last_failure_at),"
            " last_failure = coalesce(excluded.last_failure, jobs.last_failure)",
            (job, ts(now), int(ok), error, seconds, failed, failed, None if ok else ts(now), error))

    def job_rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM jobs ORDER BY job")]
