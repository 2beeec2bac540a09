"""`listener detect`: the spike detector over a bare series, strictly streaming.

One alert when a spike starts, one more only if it gets worse (warning -> critical) and materially bigger
(a bucket `growth_factor` times the largest alerted on); the episode ends after the configured quiet
buckets, and a spike within `cooldown_seconds` after that continues it silently (the same story flaring
again), as the live incidents do (`alerts.incidents.cooling`). Rows are judged in order, never revisited.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from alerts.incidents import IncidentSettings
from alerts.spikes import DetectorSettings, SpikeDetector
from alerts.types import severity_rank


def detect_series(points: Iterable[tuple[datetime, float, str]], detector: DetectorSettings,
                  settings: IncidentSettings) -> Iterator[dict[str, Any]]:
    """`points` are (bucket start, value, the timestamp as written); alerts echo the timestamp as written."""
    spike: SpikeDetector | None = None
    pending: list[tuple[datetime, float, str]] = []
    episode_severity: str | None = None
    peak = 0.0  # the largest bucket count alerted on in this episode
    cooling_until: datetime | None = None  # the last episode's cooldown: a spike before this continues it
    last_severity = "warning"
    quiet = 0
    for when, value, label in points:
        if spike is None:
            pending.append((when, value, label))
            if len(pending) < 2:
                continue
            spacing = int((pending[1][0] - pending[0][0]).total_seconds())
            spike = SpikeDetector(replace(detector, bucket_seconds=spacing) if spacing > 0 else detector)
            todo, pending = pending, []
        else:
            todo = [(when, value, label)]
        for bucket, count, written in todo:
            verdict = spike.update(bucket, count)
            if verdict.anomalous:
                quiet = 0
                if episode_severity is None and cooling_until is not None and bucket < cooling_until:
                    episode_severity = last_severity  # the same story flaring again: continue it silently
                if episode_severity is None:
                    event, peak = "opened", 0.0
                elif (severity_rank(verdict.severity) > severity_rank(episode_severity)
                      and count >= settings.growth_factor * max(1.0, peak)):
                    event = "escalated"
                else:
                    event = None
                if event:
                    episode_severity, peak = verdict.severity, max(peak, count)
                    yield {"timestamp": written, "value": count, "baseline": verdict.expected,
                           "severity": verdict.severity, "event": event, "p_value": verdict.p_value}
            elif episode_severity is not None and not verdict.elevated:
                quiet += 1
                if quiet * spike.settings.bucket_seconds >= settings.resolve_after_buckets * detector.bucket_seconds:
                    last_severity, episode_severity, quiet = episode_severity, None, 0
                    cooling_until = bucket + timedelta(seconds=settings.cooldown_seconds)
