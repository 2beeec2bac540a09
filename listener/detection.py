"""The detection job: per brand, replay stored bucket counts through the detector and act on the result.

The incident change, the detector cursor and the outbox rows commit in one transaction, so an alert
is never lost or doubled by a crash between them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.evaluate import evaluate_brand
from alerts.evidence import fold_reposts, signal_weights, top_keywords
from alerts.payload import incident_payload
from alerts.playbook import Playbook, choose_playbook
from alerts.types import Incident
from listener.config import Config
from listener.responses import incident_response
from listener.routing import notifications_for
from listener.store import Store

log = logging.getLogger("listener.detect")
EVIDENCE_POSTS = 5


@dataclass(frozen=True)
class DetectionEvent:
    brand: str
    event: str
    incident: Incident
    notifications: int


def _history_start(store: Store, brand: str, config: Config, now: datetime) -> datetime | None:
    first = store.first_mention_at(brand)
    if first is None:
        return None
    return max(first, now - timedelta(seconds=config.detector.baseline_seconds))


def build_payload(store: Store, config: Config, event: str, incident: Incident, playbooks: dict[str, Playbook],
                  now: datetime) -> dict:
    window = store.mentions(brand=incident.brand, since=incident.window_start, until=now + timedelta(seconds=1),
                            label="negative", limit=2000)
    posts = fold_reposts(window)[:EVIDENCE_POSTS]
    weights = signal_weights(window)
    base = config.incident_url_base
    payload = incident_payload(
        event, incident, posts=posts, keywords=top_keywords(window, 10), signals=[c for c, _ in weights.most_common()],
        playbook=choose_playbook(playbooks, weights), incident_url=f"{base}/incidents/{incident.incident_id}"
        if base else None, sent_at=now,
    )
    # The response clock (黄金4小时): how long the brand has been silent, or how its statement landed.
    clock = incident_response(store, incident, bucket_seconds=config.detector.bucket_seconds, now=now)
    payload["response"] = {**clock.as_dict(), "summary": clock.summary()}
    return payload


def detect(store: Store, config: Config, playbooks: dict[str, Playbook], now: datetime) -> list[DetectionEvent]:
    """Evaluate every brand once; returns the notifications it queued."""
    events = []
    for spec in config.brands:
        start = _history_start(store, spec.name, config, now)
        if start is None:
            continue
        buckets = store.bucket_counts(spec.name, since=start, until=now, bucket_seconds=config.detector.bucket_seconds)
        evaluation = evaluate_brand(
            spec.name, buckets, incident=store.active_incident(spec.name), cursor=store.detector_cursor(spec.name),
            now=now, detector=config.detector, settings=config.incidents,
        )
        notifications = []
        silenced = store.silenced_until(spec.name, now)
        if evaluation.event and evaluation.incident and silenced:
            log.info("%s: %s not sent, brand silenced until %s", spec.name, evaluation.event, silenced.isoformat())
        elif evaluation.event and evaluation.incident:
            payload = build_payload(store, config, evaluation.event, evaluation.incident, playbooks, now)
            notifications = notifications_for(config, evaluation.event, payload, now=now, brand=spec.name,
                                              severity=evaluation.incident.severity,
                                              incident_id=evaluation.incident.incident_id)
        with store.transaction() as conn:
            if evaluation.incident and evaluation.changed:
                store.save_incident(evaluation.incident, conn)
            store.save_detector_cursor(spec.name, evaluation.cursor, now, conn)
            for notification in notifications:
                store.enqueue(notification, conn)
        if evaluation.event and evaluation.incident:
            log.warning("%s: %s (%s, %d negative vs baseline %.1f)", spec.name, evaluation.event,
                        evaluation.incident.severity, evaluation.incident.negative, evaluation.incident.baseline)
            events.append(DetectionEvent(spec.name, evaluation.event, evaluation.incident, len(notifications)))
    return events
