"""The signed generic webhook, exactly per the contract in DESIGN.md.

Signature: `X-Listener-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`, so a
receiver can check both the body and its freshness (reject old timestamps to stop replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from alerts.channels.base import ChannelSpec
from alerts.channels.http import request_timeout
from alerts.errors import DeliveryError
from alerts.privacy import mask_payload
from alerts.types import Notification


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, max_age: int = 300,
           now: float | None = None) -> bool:
    """What a receiver does: constant-time compare, and refuse stale timestamps."""
    now = time.time() if now is None else now
    if not timestamp.isdigit() or abs(now - int(timestamp)) > max_age:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel:
    def __init__(self, spec: ChannelSpec):
        if not spec.url:
            raise DeliveryError(f"channel {spec.name}: webhook needs a url", retryable=False)
        self.spec = spec

    def send(self, notification: Notification, client: httpx.Client) -> None:
        payload = notification.payload
        if self.spec.options.get("mask_pii", True):
            payload = mask_payload(payload)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Listener-Event": notification.event,
            "X-Listener-Delivery": notification.delivery_id,
            "X-Listener-Timestamp": timestamp,
        }
        if self.spec.secret:
            headers["X-Listener-Signature"] = sign(self.spec.secret.reveal(), timestamp, body)
        try:
            response = client.post(self.spec.url, content=body, headers=headers, timeout=request_timeout(self.spec))
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{self.spec.name}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            retryable = response.status_code >= 500 or response.status_code in (408, 429)
            raise DeliveryError(f"{self.spec.name}: HTTP {response.status_code}", retryable=retryable)
