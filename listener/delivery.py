"""The delivery worker: send due outbox rows, retry with exponential back-off, give up after a maximum age.

Guarantees: a row leaves `pending` only when its channel accepted it (`sent`) or it can never be sent
(`failed`: refused for good, or older than `delivery.max_age`); failures for good are logged and reported
to the brand's other channels (`delivery.failed`). The same delivery id goes out on every retry
(`X-Listener-Delivery`, the e-mail Message-ID), so a receiver that dedupes on it sees each alert once even
if the daemon is killed between a send and its commit. Quiet hours and per-channel rate limits defer a
row without counting an attempt; critical incident messages ignore quiet hours.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx

from alerts.channels import Channel, ChannelSpec, build_channel
from alerts.channels.redact import scrub
from alerts.errors import DeliveryError
from alerts.types import Notification
from listener.channel_config import DeliverySettings
from listener.config import Config
from listener.redaction import config_secrets
from listener.routing import notifications_for
from listener.store import Store

log = logging.getLogger("listener.deliver")
RATE_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0


def retry_delay(attempts: int, settings: DeliverySettings | None = None) -> timedelta:
    s = settings or DeliverySettings()
    return timedelta(seconds=min(s.first_retry_seconds * 2 ** max(0, attempts - 1), s.max_retry_seconds))


def quiet_until(now: datetime, window: tuple[tuple[int, int], tuple[int, int]] | None, tz: ZoneInfo) -> datetime | None:
    """The end of the quiet window if `now` falls inside it (the window may wrap past midnight)."""
    if not window:
        return None
    local = now.astimezone(tz)
    start, end = time(*window[0]), time(*window[1])
    t = local.time().replace(tzinfo=None)
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_at = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if end_at <= local:
        end_at += timedelta(days=1)
    return end_at


def ignores_quiet_hours(notification: Notification) -> bool:
    p = notification.payload
    urgent = ("incident.opened", "incident.escalated", "delivery.failed", "test")
    return notification.event in urgent and p.get("severity") == "critical"


def _hold(notification: Notification, spec: ChannelSpec, store: Store, now: datetime) -> datetime | None:
    """When this row may go out, if not now: quiet hours, then the channel's rate limit."""
    tz = spec.options.get("timezone")
    quiet = quiet_until(now, spec.options.get("quiet_hours"), tz if isinstance(tz, ZoneInfo) else ZoneInfo("UTC"))
    if quiet and not ignores_quiet_hours(notification):
        return quiet
    limit = int(spec.options.get("rate_limit") or 0)
    if limit and store.attempts_since(spec.name, now - RATE_WINDOW) >= limit:
        return now + timedelta(seconds=max(1, 60 // limit))
    return None


def deliver_due(store: Store, config: Config, now: datetime, *, client: httpx.Client | None = None) -> DeliveryReport:
    channels: dict[str, Channel] = {}
    specs = {c.name: c for c in config.channels}
    sent = retrying = failed = deferred = 0
    own_client = client is None
    client = client or httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0), trust_env=False)
    settings = config.delivery
    secrets = config_secrets(config)  # error texts are stored and logged: no token may ride along
    try:
        for notification in store.due_notifications(now):
            spec = specs.get(notification.channel)
            hold = _hold(notification, spec, store, now) if spec else None
            if hold:
                store.defer_notification(notification.delivery_id, hold)
                deferred += 1
                continue
            ok, error, give_up = _attempt(notification, spec, channels, client)
            error = scrub(error, secrets)
            attempts = notification.attempts + 1
            too_old = (notification.created_at is not None
                       and now - notification.created_at > timedelta(seconds=settings.max_age_seconds))
            failed_now = not ok and (give_up or too_old)
            store.record_delivery(notification, ok=ok, error=error, now=now, failed=failed_now,
                                  next_attempt_at=None if ok else now + retry_delay(attempts, settings))
            if ok:
                sent += 1
            elif failed_now:
                failed += 1
                log.error("%s to %s failed for good after %d attempts: %s", notification.event,
                          notification.channel, attempts, error)
                _report_failure(store, config, notification, error, now)
            else:
                retrying += 1
                log.warning("%s to %s will be retried: %s", notification.event, notification.channel, error)
    finally:
        if own_client:
            client.close()
    return DeliveryReport(sent, retrying, failed, deferred)


def _attempt(notification: Notification, spec: ChannelSpec | None, channels: dict[str, Channel],
             client: httpx.Client) -> tuple[bool, str | None, bool]:
    """(ok, error, give up now)."""
    if spec is None:
        return False, f"deliver: channel {notification.channel!r} is no longer configured", True
    try:
        channel = channels.get(spec.name) or channels.setdefault(spec.name, build_channel(spec))
        channel.send(notification, client)
    except DeliveryError as exc:
        return False, str(exc), not exc.retryable
    return True, None, False


def _report_failure(store: Store, config: Config, notification: Notification, error: str | None,
                    now: datetime) -> None:
    """Tell the brand's other channels that an alert never arrived, so nobody mistakes silence for calm."""
    if not notification.event.startswith("incident."):
        return
    brand = notification.payload.get("brand")
    payload = {"event": "delivery.failed", "brand": brand, "channel": notification.channel,
               "failed_event": notification.event, "incident_id": notification.incident_id,
               "severity": notification.payload.get("severity"), "error": error,
               "url": notification.payload.get("url"), "sent_at": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
    targets = [n for n in notifications_for(config, notification.event, payload, now=now, brand=brand)
               if n.channel != notification.channel]
    with store.transaction() as conn:
        for target in targets:
            store.enqueue(Notification(delivery_id=target.delivery_id, channel=target.channel,
                                       event="delivery.failed", payload=payload,
                                       incident_id=notification.incident_id, created_at=now), conn)
