"""Evaluate one brand: replay its bucket counts through the detector, then move its incident along.

Stateless apart from the incident and a cursor (the last closed bucket already acted on), both of
which the caller stores: a restart, a late post or a re-run never produces a second alert.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.incidents import (
    IncidentSettings,
    advance,
    mark_notified,
    may_open,
    notification_due,
    open_incident,
)
from alerts.share import BrandDetector, ShareSettings, ShareVerdict
from alerts.spikes import DetectorSettings, Verdict
from alerts.types import Incident


@dataclass(frozen=True)
class BucketCount:
    start: datetime
    negative: int
    volume: int
    weight: float = 1.0  # mean weight per negative mention (reach, crisis signals); 1 = ordinary


@dataclass(frozen=True)
class Evaluation:
    incident: Incident | None  # the brand's incident after this run (possibly just resolved)
    event: str | None  # what to notify now
    cursor: datetime | None  # start of the last closed bucket acted on
    verdicts: list[Verdict]
    changed: bool
    figures: dict[str, Any] = field(default_factory=dict)  # share and volume context for the alert


def window_figures(usual_share: float | None, expected_volume: float) -> dict[str, Any]:
    """The share/volume context of an incident's window, as the payload's optional `counts` fields."""
    if usual_share is None:
        return {}
    return {"baseline_share": round(usual_share, 4), "expected_volume": round(expected_volume, 2)}


def bucket_floor(when: datetime, bucket_seconds: int) -> datetime:
    seconds = int(when.timestamp())
    return datetime.fromtimestamp(seconds - seconds % bucket_seconds, UTC)


def act_on_bucket(brand: str, active: Incident | None, verdict: Verdict, *, closed: bool, cursor: datetime | None,
                  now: datetime, bucket_seconds: int, settings: IncidentSettings,
                  previous: Incident | None) -> tuple[Incident | None, bool]:
    """One bucket's verdict applied to the incident; False if the bucket was already acted on.

    Shared by the replay (`evaluate_brand`) and the stored-state run (`alerts.stream`), so both open,
    escalate and resolve by the same rules.
    """
    start = verdict.bucket_start
    if closed and cursor is not None and start <= cursor:
        return active, False  # already acted on in an earlier run
    if closed and active is not None and start + timedelta(seconds=bucket_seconds) <= active.window_end:
        return active, False  # already inside the incident's counted window (a lost cursor must not replay it)
    if active is None or not active.is_active:
        if may_open(verdict, bucket_seconds=bucket_seconds, now=now, settings=settings, previous=previous):
            active = open_incident(brand, verdict, now=now)
    else:
        active = advance(active, verdict, now=now, closed=closed, settings=settings)
    return active, True


def evaluate_brand(
    brand: str, buckets: list[BucketCount], *, incident: Incident | None, cursor: datetime | None,
    now: datetime, detector: DetectorSettings, settings: IncidentSettings, previous: Incident | None = None,
    share: ShareSettings | None = None,
) -> Evaluation:
    """`buckets` are consecutive and oldest first; the last one may still be filling (it contains `now`).

    `previous` is the brand's most recent resolved incident (or None): a spike within
    `settings.cooldown_seconds` of its resolution is that story again and opens nothing unless it is worse
    and materially bigger (`alerts.incidents.cooling`). The daemon passes it (`listener.detection`); without
    it there is no cooldown.
    """
    spike = BrandDetector(detector, share or ShareSettings())
    span = timedelta(seconds=detector.bucket_seconds)
    verdicts: list[Verdict] = []
    shares: list[ShareVerdict] = []
    active = incident if incident and incident.is_active else None
    original = active
    new_cursor = cursor
    for bucket in buckets:
        closed = bucket.start + span <= now
        verdict, share_verdict = (
            spike.update(bucket.start, bucket.negative, bucket.volume, bucket.weight) if closed
            else spike.judge(bucket.start, bucket.negative, bucket.volume, bucket.weight))
        verdicts.append(verdict)
        shares.append(share_verdict)
        active, acted = act_on_bucket(brand, active, verdict, closed=closed, cursor=cursor, now=now,
                                      bucket_seconds=detector.bucket_seconds, settings=settings, previous=previous)
        if not acted:
            continue
        if closed:
            new_cursor = bucket.start
        if active is not None and active.status == "resolved":
            break  # report the resolution first; a later spike opens a new incident on the next run
    if active is None:
        return Evaluation(None, None, new_cursor, verdicts, False)
    active = _with_totals(active, buckets, verdicts, span, now)
    event = notification_due(active, settings)
    if event:
        active = mark_notified(active)
    end = active.resolved_at or now
    inside = [s for b, s in zip(buckets, shares, strict=False) if active.window_start <= b.start < end]
    figures = window_figures(inside[0].usual_share if inside else None, sum(s.expected_volume for s in inside))
    return Evaluation(active, event, new_cursor, verdicts, active != original or event is not None, figures)


def _with_totals(incident: Incident, buckets: list[BucketCount], verdicts: list[Verdict], span: timedelta,
                 now: datetime) -> Incident:
    """Counts over the incident's window, from its first anomalous bucket to the latest (or its resolution)."""
    end = incident.resolved_at or now
    inside = [(b, v) for b, v in zip(buckets[: len(verdicts)], verdicts, strict=True)
              if incident.window_start <= b.start < end]
    if not inside:
        return incident
    last_end = min(inside[-1][0].start + span, now)
    return replace(
        incident,
        window_end=max(incident.window_end, last_end),
        negative=sum(b.negative for b, _ in inside),
        baseline=round(sum(v.expected for _, v in inside), 2),
        volume=sum(b.volume for b, _ in inside),
        peak_bucket_negative=max(b.negative for b, _ in inside),
    )
