"""`listener backtest`: replay a brand's stored history through the detector with the current settings.

Shows which incidents would have fired, when, how big they grew and when they would have resolved,
without touching the store (no incident, cursor or outbox row is written): a safe way to try a new
`[detector]` setting against last month before deploying it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from alerts.evaluate import BucketCount
from alerts.incidents import IncidentSettings
from alerts.spikes import DetectorSettings, SpikeDetector
from alerts.types import severity_rank


@dataclass
class Replayed:
    """One incident as it would have happened."""

    brand: str
    opened_at: datetime
    severity: str
    notifications: list[str] = field(default_factory=list)
    negative: int = 0
    baseline: float = 0.0
    volume: int = 0
    peak_bucket_negative: int = 0
    notified_negative: int = 0
    quiet: int = 0
    resolved_at: datetime | None = None

    def row(self) -> dict[str, Any]:
        return {"brand": self.brand, "opened_at": self.opened_at.isoformat(), "severity": self.severity,
                "negative": self.negative, "baseline": round(self.baseline, 2), "volume": self.volume,
                "negative_share": round(self.negative / self.volume, 4) if self.volume else 0.0,
                "peak_bucket_negative": self.peak_bucket_negative, "notifications": self.notifications,
                "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None}


def replay_brand(brand: str, buckets: list[BucketCount], *, detector: DetectorSettings,
                 incidents: IncidentSettings, now: datetime) -> Iterator[Replayed]:
    """The incidents of one brand over closed buckets, oldest first, with the live lifecycle rules."""
    spike = SpikeDetector(detector)
    span = timedelta(seconds=detector.bucket_seconds)
    current: Replayed | None = None
    for bucket in buckets:
        if bucket.start + span > now:
            break  # the bucket still filling is the live detector's business
        verdict = spike.update(bucket.start, bucket.negative)
        if current is None:
            if not verdict.anomalous:
                continue
            current = Replayed(brand, bucket.start, verdict.severity or "warning", ["incident.opened"])
        current.negative += bucket.negative
        current.volume += bucket.volume
        current.baseline += verdict.expected
        current.peak_bucket_negative = max(current.peak_bucket_negative, bucket.negative)
        if verdict.anomalous:
            current.quiet = 0
            worse = severity_rank(verdict.severity) > severity_rank(current.severity)
            if worse:
                current.severity = verdict.severity or current.severity
            grew = current.negative >= max(1, current.notified_negative) * incidents.growth_factor
            if current.notified_negative and (worse or grew):
                current.notifications.append("incident.escalated")
                current.notified_negative = current.negative
            elif not current.notified_negative:
                current.notified_negative = current.negative
        elif verdict.elevated:
            current.quiet = 0  # still clearly above normal: not quiet yet
        else:
            current.quiet += 1
            if current.quiet >= incidents.resolve_after_buckets:
                current.resolved_at = bucket.start + span
                current.notifications.append("incident.resolved")
                yield current
                current = None
    if current is not None:
        yield current  # still open at the end of the history
