"""Incident lifecycle: open on a spike, escalate only on material growth, resolve after quiet buckets.

Pure functions of (incident, verdict): the caller persists the result. One incident per spike,
however often a bucket is re-judged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from alerts.spikes import Verdict
from alerts.types import Incident, severity_rank


@dataclass(frozen=True)
class IncidentSettings:
    resolve_after_buckets: int = 6  # an hour of quiet with 10-minute buckets
    growth_factor: float = 2.0  # re-notify when negatives reach this multiple of the last notified count
    open_horizon_seconds: int = 3600  # an anomaly older than this is history (a backfill), never a new alert
    # A spike this soon after the brand's last incident resolved is that story flaring again: it pages only
    # if it is worse (critical after a warning) and materially bigger (growth_factor x the old peak bucket).
    # Why a day: mention storms ebb and flow for a day; on NAB realTweets a 1-hour memory re-pages the same
    # story (74.3 vs 79.1), while 1.5 days already swallows distinct events (67.8).
    cooldown_seconds: int = 86400


def may_open(verdict: Verdict, *, bucket_seconds: int, now: datetime, settings: IncidentSettings,
             previous: Incident | None = None) -> bool:
    """A spike opens an incident only if it is recent (replaying old posts must not page anyone) and is not
    the brand's last incident (`previous`, resolved) flaring again within the cooldown."""
    bucket_end = verdict.bucket_start + timedelta(seconds=bucket_seconds)
    if not (verdict.anomalous and bucket_end >= now - timedelta(seconds=settings.open_horizon_seconds)):
        return False
    return not cooling(previous, verdict, settings)


def cooling(previous: Incident | None, verdict: Verdict, settings: IncidentSettings) -> bool:
    """True if this spike is `previous` (the brand's last, resolved incident) again, not news."""
    if previous is None or previous.resolved_at is None:
        return False
    if verdict.bucket_start >= previous.resolved_at + timedelta(seconds=settings.cooldown_seconds):
        return False
    worse = severity_rank(verdict.severity) > severity_rank(previous.severity)
    bigger = verdict.count >= settings.growth_factor * max(1, previous.peak_bucket_negative)
    return not (worse and bigger)


def open_incident(brand: str, verdict: Verdict, *, now: datetime) -> Incident:
    return Incident(
        incident_id=uuid.uuid4().hex[:16], brand=brand, status="open", severity=verdict.severity or "warning",
        opened_at=now, updated_at=now, window_start=verdict.bucket_start, window_end=verdict.bucket_start,
        negative=0, baseline=0.0, volume=0,
    )


def advance(incident: Incident, verdict: Verdict, *, now: datetime, closed: bool,
            settings: IncidentSettings) -> Incident:
    """Fold one more bucket's verdict into an active incident (quiet count, severity, resolution)."""
    if verdict.anomalous:
        severity = max(incident.severity, verdict.severity or "warning", key=severity_rank)
        return replace(incident, severity=severity, quiet_buckets=0, updated_at=now)
    if not closed:
        return incident  # a quiet partial bucket proves nothing yet
    if verdict.elevated:
        return replace(incident, quiet_buckets=0, updated_at=now)  # below the alarm, but not quiet yet
    quiet = incident.quiet_buckets + 1
    if quiet >= settings.resolve_after_buckets:
        return replace(incident, quiet_buckets=quiet, status="resolved", resolved_at=now, updated_at=now)
    return replace(incident, quiet_buckets=quiet, updated_at=now)


def notification_due(incident: Incident, settings: IncidentSettings) -> str | None:
    """The event to send now, if any: opened once, escalated on material growth, resolved once."""
    if incident.status == "resolved":
        return "incident.resolved"
    if incident.notified_severity is None:
        return "incident.opened"
    worse = severity_rank(incident.severity) > severity_rank(incident.notified_severity)
    grew = incident.negative >= max(1, incident.notified_negative) * settings.growth_factor
    return "incident.escalated" if worse or grew else None


def mark_notified(incident: Incident) -> Incident:
    return replace(incident, notified_negative=incident.negative, notified_severity=incident.severity)
