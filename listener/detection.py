"""The detection job: per brand, feed the buckets since its last run to its stored detector and act.

Each brand's detector state is stored (`detector_state`), so a run reads and learns only the buckets since
the last one (plus the last `detector.settle` of buckets, recounted for late posts: `alerts.stream`). A
missing, corrupt or outdated state is rebuilt once by replaying `detector.baseline` of history. The
incident change, the detector cursor, the detector state and the outbox rows commit in one transaction,
so an alert is never lost or doubled by a crash between them. Before counting, posts are put into voices
(near-duplicates folded), so a repost wave counts once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.evaluate import Evaluation
from alerts.evidence import fold_reposts, signal_weights, top_keywords
from alerts.payload import incident_payload
from alerts.playbook import Playbook, choose_playbook
from alerts.stream import DetectorMemory, StateError, decode, encode, evaluate_stream, fingerprint
from alerts.types import Incident
from listener.config import Config
from listener.responses import incident_response
from listener.routing import notifications_for
from listener.store import Store
from listener.store.detection import assign_voices, load_state, save_state, voice_counts

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
                  now: datetime, figures: dict | None = None) -> dict:
    """`figures`: the detector's share/volume context of the window (`Evaluation.figures`)."""
    window = store.mentions(brand=incident.brand, since=incident.window_start, until=now + timedelta(seconds=1),
                            label="negative", limit=2000)
    voices = fold_reposts(window)
    posts = voices[:EVIDENCE_POSTS]
    weights = signal_weights(window)
    base = config.incident_url_base
    payload = incident_payload(
        event, incident, posts=posts, keywords=top_keywords(window, 10), signals=[c for c, _ in weights.most_common()],
        playbook=choose_playbook(playbooks, weights), incident_url=f"{base}/incidents/{incident.incident_id}"
        if base else None, sent_at=now, reach_total=sum(v.reach_total for v in voices), figures=figures,
    )
    # The response clock (黄金4小时): how long the brand has been silent, or how its statement landed.
    clock = incident_response(store, incident, bucket_seconds=config.detector.bucket_seconds, now=now)
    payload["response"] = {**clock.as_dict(), "summary": clock.summary()}
    return payload


def state_fingerprint(config: Config) -> str:
    """What a stored state must have been made with: the model, the detector settings, what a bucket counts."""
    c = config.counting
    return fingerprint(config.detector, (c.fold_reposts, c.weight_reach, c.weight_signals), config.share)


def _memory(store: Store, brand: str, config: Config, incident: Incident | None, now: datetime,
            print_: str) -> DetectorMemory | None:
    """The brand's stored detector state, or None (logged in one line) when it must be rebuilt."""
    text = load_state(store, brand)
    try:
        memory = decode(text, print_)
        if memory.through is None or memory.through < now - timedelta(seconds=config.detector.baseline_seconds):
            raise StateError("stored state is older than the baseline span")
        active = incident if incident and incident.is_active else None
        carried = memory.totals.incident_id if memory.totals else None
        if active and active.window_start <= memory.through and carried != active.incident_id:
            raise StateError("stored state does not belong to the open incident")
        return memory
    except StateError as exc:
        log.info("%s: detector state rebuilt from history (%s)", brand, exc)
        return None


def evaluate(store: Store, config: Config, brand: str, now: datetime,
             print_: str | None = None) -> tuple[Evaluation, DetectorMemory] | None:
    """One brand's run: its voices assigned, its new buckets through its stored detector. Writes no alert."""
    print_ = print_ or state_fingerprint(config)
    incident = store.active_incident(brand)
    memory = _memory(store, brand, config, incident, now, print_)
    span = timedelta(seconds=config.detector.bucket_seconds)
    since = memory.through + span if memory and memory.through else _history_start(store, brand, config, now)
    if since is None:
        return None
    if config.counting.fold_reposts:
        assign_voices(store, brand, since=since)
    buckets = voice_counts(store, brand, since=since, until=now, bucket_seconds=config.detector.bucket_seconds,
                           counting=config.counting)
    return evaluate_stream(brand, memory, buckets, incident=incident, cursor=store.detector_cursor(brand), now=now,
                           detector=config.detector, settings=config.incidents,
                           settle_seconds=config.counting.settle_seconds, share=config.share,
                           previous=None if incident else _last_resolved(store, brand))


def _last_resolved(store: Store, brand: str) -> Incident | None:
    """The brand's most recently resolved incident: a flare within the cooldown after it is the same story."""
    resolved = [i for i in store.incidents(brand=brand, status="resolved") if i.resolved_at is not None]
    return max(resolved, key=lambda i: i.resolved_at, default=None)


def detect(store: Store, config: Config, playbooks: dict[str, Playbook], now: datetime) -> list[DetectionEvent]:
    """Evaluate every brand once; returns the notifications it queued."""
    events = []
    print_ = state_fingerprint(config)
    for spec in config.brands:
        result = evaluate(store, config, spec.name, now, print_)
        if result is None:
            continue
        evaluation, memory = result
        notifications = []
        silenced = store.silenced_until(spec.name, now)
        if evaluation.event and evaluation.incident and silenced:
            log.info("%s: %s not sent, brand silenced until %s", spec.name, evaluation.event, silenced.isoformat())
        elif evaluation.event and evaluation.incident:
            payload = build_payload(store, config, evaluation.event, evaluation.incident, playbooks, now,
                                    evaluation.figures)
            notifications = notifications_for(config, evaluation.event, payload, now=now, brand=spec.name,
                                              severity=evaluation.incident.severity,
                                              incident_id=evaluation.incident.incident_id)
        with store.transaction() as conn:
            if evaluation.incident and evaluation.changed:
                store.save_incident(evaluation.incident, conn)
            store.save_detector_cursor(spec.name, evaluation.cursor, now, conn)
            save_state(store, spec.name, encode(memory, print_), memory.through, now, conn)
            for notification in notifications:
                store.enqueue(notification, conn)
        if evaluation.event and evaluation.incident:
            log.warning("%s: %s (%s, %s negative vs baseline %.1f)", spec.name, evaluation.event,
                        evaluation.incident.severity, evaluation.incident.negative, evaluation.incident.baseline)
            events.append(DetectionEvent(spec.name, evaluation.event, evaluation.incident, len(notifications)))
    return events
