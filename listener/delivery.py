"""The delivery worker: send due outbox rows, retry with exponential back-off, give up after a maximum age."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from alerts.channels import Channel, build_channel
from alerts.errors import DeliveryError
from alerts.types import Notification
from listener.config import Config
from listener.store import Store

log = logging.getLogger("listener.deliver")
MAX_AGE = timedelta(hours=24)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), LONGEST_RETRY)


def deliver_due(store: Store, config: Config, now: datetime, *, client: httpx.Client | None = None) -> DeliveryReport:
    channels: dict[str, Channel] = {}
    sent = retrying = failed = 0
    own_client = client is None
    client = client or httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0), trust_env=False)
    try:
        for notification in store.due_notifications(now):
            ok, error, give_up = _attempt(notification, channels, config, client)
            attempts = notification.attempts + 1
            too_old = notification.created_at is not None and now - notification.created_at > MAX_AGE
            failed_now = not ok and (give_up or too_old)
            store.record_delivery(notification, ok=ok, error=error, now=now, failed=failed_now,
                                  next_attempt_at=None if ok else now + retry_delay(attempts))
            if ok:
                sent += 1
            elif failed_now:
                failed += 1
                log.error("%s to %s failed for good: %s", notification.event, notification.channel, error)
            else:
                retrying += 1
                log.warning("%s to %s will be retried: %s", notification.event, notification.channel, error)
    finally:
        if own_client:
            client.close()
    return DeliveryReport(sent, retrying, failed)


def _attempt(notification: Notification, channels: dict[str, Channel], config: Config,
             client: httpx.Client) -> tuple[bool, str | None, bool]:
    """(ok, error, give up now)."""
    spec = next((c for c in config.channels if c.name == notification.channel), None)
    if spec is None:
        return False, f"deliver: channel {notification.channel!r} is no longer configured", True
    try:
        channel = channels.get(spec.name) or channels.setdefault(spec.name, build_channel(spec))
        channel.send(notification, client)
    except DeliveryError as exc:
        return False, str(exc), not exc.retryable
    return True, None, False
