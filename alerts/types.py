"""The alerting layer's data: the Incident we track and the Notification we send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SEVERITIES = ("warning", "critical")
EVENTS = ("incident.opened", "incident.escalated", "incident.resolved", "feed.unhealthy", "feed.recovered",
          "digest", "test")


def severity_rank(severity: str | None) -> int:
    return SEVERITIES.index(severity) + 1 if severity in SEVERITIES else 0


@dataclass(frozen=True)
class Incident:
    """A negative spike about one brand, from the first anomalous bucket until it has been quiet long enough."""

    incident_id: str
    brand: str
    status: str  # open | acknowledged | resolved
    severity: str  # warning | critical
    opened_at: datetime
    updated_at: datetime
    window_start: datetime  # start of the first anomalous bucket
    window_end: datetime  # end of the latest bucket counted
    negative: int  # negative mentions in the window
    baseline: float  # negative mentions the baseline expected in the window
    volume: int  # all mentions in the window
    peak_bucket_negative: int = 0
    quiet_buckets: int = 0
    notified_negative: int = 0  # the negative count in the last notification, to judge material growth
    notified_severity: str | None = None
    resolved_at: datetime | None = None
    acknowledged_at: datetime | None = None

    @property
    def negative_share(self) -> float:
        return round(self.negative / self.volume, 4) if self.volume else 0.0

    @property
    def is_active(self) -> bool:
        return self.status in ("open", "acknowledged")


@dataclass(frozen=True)
class Notification:
    """One message for one channel; `delivery_id` is the same on every retry so receivers can dedupe."""

    delivery_id: str
    channel: str
    event: str
    payload: dict[str, Any]
    incident_id: str | None = None
    created_at: datetime | None = None
    attempts: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
