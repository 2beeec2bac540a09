"""`listener backtest`: what the daemon would have done over a brand's stored history, with the current settings.

Why "like the daemon": a user trying a `[detector]` setting on last month must see the incidents the live
job would have raised, or the backtest misleads. So it counts what the job counts (voices: near-duplicate
reposts folded by the same `VoiceIndex`, optionally weighted by reach and signals), judges with the same
models (count and share, `alerts.share.BrandDetector`), and moves incidents with the same step
(`alerts.evaluate.act_on_bucket`, `notification_due`, the cooldown after the last resolved incident), as if
the job had run once as each bucket closed. Settling changes nothing here: history is complete, so every
bucket holds the posts a settled bucket would hold. A test runs the real detection job bucket by bucket
with an injected clock over the same store and compares.

It writes nothing: voices are folded in memory, no incident, cursor, state or outbox row is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.evaluate import BucketCount, act_on_bucket, bucket_floor, window_figures
from alerts.incidents import IncidentSettings, mark_notified, notification_due
from alerts.share import BrandDetector, ShareSettings
from alerts.spikes import DetectorSettings
from alerts.stream import WindowTotals
from alerts.types import Incident
from alerts.voices import DEDUP_WINDOW, CountSettings, VoiceRow, weighted_buckets
from analyzers.dedup import Post, VoiceIndex
from listener.store import Store
from listener.store.detection import signal_weight


@dataclass
class Replayed:
    """One incident as it would have happened, with every notification it would have sent."""

    incident: Incident
    notifications: list[str] = field(default_factory=list)
    notified_at: list[datetime] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        i = self.incident
        return {"brand": i.brand, "opened_at": i.opened_at.isoformat(), "severity": i.severity,
                "window_start": i.window_start.isoformat(), "negative": i.negative, "baseline": round(i.baseline, 2),
                "volume": i.volume, "negative_share": i.negative_share, **self.figures,
                "peak_bucket_negative": i.peak_bucket_negative, "notifications": self.notifications,
                "notified_at": [t.isoformat() for t in self.notified_at],
                "resolved_at": i.resolved_at.isoformat() if i.resolved_at else None}


def history_buckets(store: Store, brand: str, *, since: datetime, until: datetime, bucket_seconds: int,
                    counting: CountSettings) -> list[BucketCount]:
    """Per bucket what the detection job counts (`listener.store.detection.voice_counts`), voices folded in
    memory from the posts alone, oldest first, in the job's order, so nothing is written to the store."""
    start = bucket_floor(since, bucket_seconds)
    rows = store.conn.execute(
        "SELECT b.mention_id, b.published_ts, m.simhash, coalesce(m.reach, 0), b.label = 'negative', m.signals"
        " FROM mention_brands b JOIN mentions m ON m.mention_id = b.mention_id"
        " WHERE b.brand = ? AND b.official = 0 AND b.published_ts >= ? AND b.published_ts < ?"
        " ORDER BY b.published_ts, b.mention_id", (brand, int(start.timestamp()), int(until.timestamp()))).fetchall()
    index = VoiceIndex(DEDUP_WINDOW)
    heads: list[tuple[int, bool, Any, str]] = []  # (published_ts, negative, cluster or reach, signals)
    for mention_id, published_ts, simhash, reach, negative, signals in rows:
        if counting.fold_reposts:
            cluster = index.assign(Post(mention_id, simhash or 0, datetime.fromtimestamp(published_ts, UTC), reach))
            if cluster.representative == mention_id:
                heads.append((published_ts, bool(negative), cluster, signals))
        else:
            heads.append((published_ts, bool(negative), reach, signals))
    voices = [VoiceRow(ts, negative, held.reach if counting.fold_reposts else held, signal_weight(signals))
              for ts, negative, held, signals in heads]
    buckets = weighted_buckets(voices, since=start, until=until, bucket_seconds=bucket_seconds, settings=counting)
    if counting.weighted:
        return buckets
    return [replace(b, negative=int(b.negative), volume=int(b.volume)) for b in buckets]  # whole counts stay whole


def replay_brand(brand: str, buckets: list[BucketCount], *, detector: DetectorSettings,
                 incidents: IncidentSettings, now: datetime, share: ShareSettings | None = None,
                 previous: Incident | None = None) -> Iterator[Replayed]:
    """The incidents of one brand over its closed buckets, oldest first, as the live job would have run them.

    `previous` is the brand's last resolved incident before this history (for the cooldown), if any.
    """
    model = BrandDetector(detector, share or ShareSettings())
    span = timedelta(seconds=detector.bucket_seconds)
    active: Replayed | None = None
    totals: WindowTotals | None = None
    for bucket in buckets:
        at = bucket.start + span  # the job's run just after this bucket closed
        if at > now:
            break  # the bucket still filling is the live detector's business
        verdict, share_verdict = model.update(bucket.start, bucket.negative, bucket.volume, bucket.weight)
        incident, _ = act_on_bucket(brand, active.incident if active else None, verdict, closed=True, cursor=None,
                                    now=at, bucket_seconds=detector.bucket_seconds, settings=incidents,
                                    previous=None if active else previous)
        if incident is None:
            continue
        if active is None or totals is None:
            active, totals = Replayed(incident), WindowTotals(incident.incident_id)
        totals = totals.plus(bucket, verdict, share_verdict)
        incident = replace(incident, window_end=at, negative=_tidy(totals.negative),
                           baseline=round(totals.baseline, 2), volume=_tidy(totals.volume),
                           peak_bucket_negative=_tidy(totals.peak))
        event = notification_due(incident, incidents)
        if event:
            incident = mark_notified(incident)
            active.notifications.append(event)
            active.notified_at.append(at)
        active.incident = incident
        active.figures = window_figures(totals.usual_share, totals.expected_volume)
        if incident.status == "resolved":
            yield active
            previous, active, totals = incident, None, None
    if active is not None:
        yield active  # still open at the end of the history


def _tidy(value: float) -> float:
    return int(value) if float(value).is_integer() else round(value, 2)


def backtest_rows(store: Store, brand: str, *, start: datetime, now: datetime, detector: DetectorSettings,
                  incidents: IncidentSettings, counting: CountSettings,
                  share: ShareSettings | None) -> Iterator[Replayed]:
    buckets = history_buckets(store, brand, since=start, until=now, bucket_seconds=detector.bucket_seconds,
                              counting=counting)
    yield from replay_brand(brand, buckets, detector=detector, incidents=incidents, now=now, share=share)
