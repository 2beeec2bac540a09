"""Which channels hear which events: brand filters, minimum severity, subscribed events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from alerts.channels import ChannelSpec
from alerts.types import Notification, severity_rank
from listener.config import Config


def channels_for(config: Config, event: str, *, brand: str | None = None,
                 severity: str | None = None) -> list[ChannelSpec]:
    chosen = []
    for spec in config.channels:
        if event not in spec.options.get("events", ()):
            continue
        if brand and spec.brands and brand not in spec.brands:
            continue
        if severity and severity_rank(severity) < severity_rank(spec.min_severity):
            continue
        if event.startswith("feed.") and spec.min_severity == "critical":
            continue  # collector health is a lower-severity notice: not for critical-only channels
        chosen.append(spec)
    return chosen


def notifications_for(config: Config, event: str, payload: dict[str, Any], *, now: datetime,
                      brand: str | None = None, severity: str | None = None,
                      incident_id: str | None = None) -> list[Notification]:
    """One Notification per routed channel, each with its own delivery id (kept across retries)."""
    return [
        Notification(delivery_id=uuid.uuid4().hex, channel=spec.name, event=event, payload=payload,
                     incident_id=incident_id, created_at=now)
        for spec in channels_for(config, event, brand=brand, severity=severity)
    ]
