"""Store functions of the detection job: persisted detector state, near-duplicate voices, voice counts.

Kept apart from `save_mentions` on purpose: saving stays one cheap insert per post, and the detection job
assigns voices afterwards (`assign_voices`), for the few posts each run has not seen.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

from alerts.evaluate import BucketCount, bucket_floor
from alerts.voices import DEDUP_WINDOW, CountSettings, VoiceRow, weighted_buckets
from analyzers.dedup import Cluster, Post, VoiceIndex
from listener.store import Store
from listener.store.codec import from_ts, ts

# A mention is a voice of its own unless it folded into an earlier one (unassigned posts count, as before).
_HEAD = "(v.voice_id IS NULL OR v.voice_id = b.mention_id)"
_WINDOW = "b.brand = ? AND b.official = 0 AND b.published_ts >= ? AND b.published_ts < ?"


def load_state(store: Store, brand: str) -> str | None:
    row = store.conn.execute("SELECT state FROM detector_state WHERE brand = ?", (brand,)).fetchone()
    return row[0] if row else None


def state_through(store: Store, brand: str) -> datetime | None:
    row = store.conn.execute("SELECT through FROM detector_state WHERE brand = ?", (brand,)).fetchone()
    return from_ts(row[0]) if row else None


def save_state(store: Store, brand: str, state: str, through: datetime | None, now: datetime,
               conn: sqlite3.Connection) -> None:
    """Inside the caller's transaction, with the incident, the cursor and the outbox rows."""
    conn.execute(
        "INSERT INTO detector_state (brand, state, through, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(brand) DO UPDATE SET state = excluded.state, through = excluded.through,"
        " updated_at = excluded.updated_at", (brand, state, ts(through), ts(now)))


def assign_voices(store: Store, brand: str, *, since: datetime, window: timedelta = DEDUP_WINDOW) -> int:
    """Put the brand's public posts since `since` that have no voice yet into one; returns how many.

    A post joins the nearest live voice (SimHash within 6 bits, within `window` of its latest copy) or
    starts its own; it is the voice's representative then, and only representatives are counted.
    """
    conn = store.conn
    rows = conn.execute(
        "SELECT b.mention_id, b.published_ts, m.simhash, m.reach FROM mention_brands b"
        " JOIN mentions m ON m.mention_id = b.mention_id"
        " WHERE b.brand = ? AND b.official = 0 AND b.published_ts >= ? AND NOT EXISTS"
        " (SELECT 1 FROM voice_members v WHERE v.brand = b.brand AND v.mention_id = b.mention_id)"
        " ORDER BY b.published_ts, b.mention_id", (brand, int(since.timestamp()))).fetchall()
    if not rows:
        return 0
    index = VoiceIndex(window)
    members: dict[str, int] = {}
    seed_from = rows[0][1] - int(window.total_seconds())
    for voice_id, simhash, first_ts, last_ts, count, reach in conn.execute(
            "SELECT voice_id, simhash, first_ts, last_ts, members, reach FROM voices"
            " WHERE brand = ? AND last_ts >= ? ORDER BY first_ts", (brand, seed_from)):
        index.add(Cluster(voice_id, simhash, _at(first_ts), _at(last_ts), [], reach))
        members[voice_id] = count
    assigned: list[tuple[str, str, str]] = []
    touched: dict[str, Cluster] = {}
    for mention_id, published_ts, simhash, reach in rows:
        cluster = index.assign(Post(mention_id, simhash or 0, _at(published_ts), reach or 0))
        assigned.append((brand, mention_id, cluster.representative))
        touched[cluster.representative] = cluster
    with store.transaction() as tx:
        tx.executemany("INSERT OR IGNORE INTO voice_members (brand, mention_id, voice_id) VALUES (?, ?, ?)",
                       assigned)
        tx.executemany(
            "INSERT INTO voices (brand, voice_id, simhash, first_ts, last_ts, members, reach)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(brand, voice_id) DO UPDATE SET last_ts = excluded.last_ts,"
            " members = excluded.members, reach = excluded.reach",
            [(brand, c.representative, c.simhash, int(c.first_at.timestamp()), int(c.last_at.timestamp()),
              members.get(c.representative, 0) + len(c.members), c.reach) for c in touched.values()])
    return len(assigned)


def voice_counts(store: Store, brand: str, *, since: datetime, until: datetime, bucket_seconds: int,
                 counting: CountSettings) -> list[BucketCount]:
    """Per bucket, what the detector counts: `store.bucket_counts` but one per voice, and weighted if asked."""
    if not counting.fold_reposts and not counting.weighted:
        return store.bucket_counts(brand, since=since, until=until, bucket_seconds=bucket_seconds)
    start = bucket_floor(since, bucket_seconds)
    params = (brand, int(start.timestamp()), int(until.timestamp()))
    head = _HEAD if counting.fold_reposts else "1"
    if counting.weighted:
        reach = "coalesce(c.reach, m.reach, 0)" if counting.fold_reposts else "coalesce(m.reach, 0)"
        rows = store.conn.execute(
            f"SELECT b.published_ts, b.label = 'negative', {reach}, m.signals"
            " FROM mention_brands b JOIN mentions m ON m.mention_id = b.mention_id"
            " LEFT JOIN voice_members v ON v.brand = b.brand AND v.mention_id = b.mention_id"
            " LEFT JOIN voices c ON c.brand = b.brand AND c.voice_id = b.mention_id"
            f" WHERE {_WINDOW} AND {head}", params)
        voices = (VoiceRow(r[0], bool(r[1]), r[2], signal_weight(r[3])) for r in rows)
        return weighted_buckets(voices, since=start, until=until, bucket_seconds=bucket_seconds, settings=counting)
    rows = store.conn.execute(
        "SELECT (b.published_ts / ?) * ? AS k, sum(b.label = 'negative'), count(*) FROM mention_brands b"
        " LEFT JOIN voice_members v ON v.brand = b.brand AND v.mention_id = b.mention_id"
        f" WHERE {_WINDOW} AND {head} GROUP BY k", (bucket_seconds, bucket_seconds, *params)).fetchall()
    by_start = {r[0]: (r[1], r[2]) for r in rows}
    out, cursor, span = [], start, timedelta(seconds=bucket_seconds)
    while cursor <= until:
        negative, volume = by_start.get(int(cursor.timestamp()), (0, 0))
        out.append(BucketCount(start=cursor, negative=negative, volume=volume))
        cursor += span
    return out


def voice_of(store: Store, brand: str, mention_id: str) -> tuple[str, int, int] | None:
    """(voice id, copies, summed reach) of a post, for evidence and tests."""
    row = store.conn.execute(
        "SELECT c.voice_id, c.members, c.reach FROM voice_members v JOIN voices c"
        " ON c.brand = v.brand AND c.voice_id = v.voice_id WHERE v.brand = ? AND v.mention_id = ?",
        (brand, mention_id)).fetchone()
    return (row[0], row[1], row[2]) if row else None


def signal_weight(signals: str | None) -> float:
    """The heaviest crisis-signal weight of a post's stored signals (0 if none or unreadable)."""
    try:
        return max((float(s.get("weight", 1.0)) for s in json.loads(signals or "[]")), default=0.0)
    except (ValueError, TypeError, AttributeError):
        return 0.0


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
