"""The feed-silence job: a feed that answers but has gone quiet far beyond its rhythm raises a notice.

It is the second half of collector health (the first, consecutive failures, lives in collection.py): the
notice is `feed.unhealthy` with `reason = "silent"`, sent once, and `feed.recovered` follows the next new
item. The flag and the outbox rows commit in one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from alerts.feedhealth import describe, judge
from listener.config import Config
from listener.routing import notifications_for
from listener.store import Store
from listener.store.codec import from_ts, ts

log = logging.getLogger("listener.feeds")
HISTORY = 60  # recent new items used to learn a feed's rhythm


@dataclass(frozen=True)
class SilenceEvent:
    feed: str
    event: str


def _item_times(store: Store, feed: str) -> list[datetime]:
    rows = store.conn.execute("SELECT fetched_at FROM mentions WHERE feed = ? ORDER BY fetched_at DESC LIMIT ?",
                              (feed, HISTORY)).fetchall()
    return [t for t in (from_ts(r[0]) for r in rows) if t is not None]


def check_silence(store: Store, config: Config, now: datetime) -> list[SilenceEvent]:
    events = []
    for source in config.feeds:
        row = store.conn.execute("SELECT last_success_at, silent_notified FROM feeds WHERE feed = ?",
                                 (source.name,)).fetchone()
        if row is None:
            continue
        verdict = judge(_item_times(store, source.name), now, source.interval_seconds)
        notified = bool(row["silent_notified"])
        if verdict.silent == notified:
            continue
        if verdict.silent and not row["last_success_at"]:
            continue  # never fetched successfully: the failure stream speaks for it
        event = "feed.unhealthy" if verdict.silent else "feed.recovered"
        payload = {"event": event, "reason": "silent", "feed": source.name, "brand": source.brand,
                   "last_item_at": ts(verdict.last_item_at), "last_success_at": row["last_success_at"],
                   "rhythm": describe(verdict.typical_gap),
                   "silent_for_seconds": int((now - verdict.last_item_at).total_seconds())
                   if verdict.last_item_at else None,
                   "threshold_seconds": int(verdict.threshold.total_seconds()) if verdict.threshold else None,
                   "sent_at": ts(now)}
        with store.transaction() as conn:
            conn.execute("UPDATE feeds SET silent_notified = ? WHERE feed = ?", (int(verdict.silent), source.name))
            for notification in notifications_for(config, event, payload, now=now, brand=source.brand):
                store.enqueue(notification, conn)
        log.warning("feed %s: %s", source.name, "silent beyond its rhythm" if verdict.silent else "items again")
        events.append(SilenceEvent(source.name, event))
    return events
