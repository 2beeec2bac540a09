"""What every HTTP chat channel shares: render the payload, POST it, read the platform's verdict."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from alerts.channels.base import ChannelSpec
from alerts.errors import DeliveryError
from alerts.privacy import mask_payload
from alerts.render import SHANGHAI, Message, build_message
from alerts.types import Notification


def message_for(spec: ChannelSpec, notification: Notification) -> Message:
    """The neutral message, with personal data masked unless the channel opted out (`mask_pii = false`)."""
    payload = notification.payload
    if spec.options.get("mask_pii", True):
        payload = mask_payload(payload)
    tz = spec.options.get("timezone")
    return build_message(payload, delivery_id=notification.delivery_id,
                         tz=tz if isinstance(tz, ZoneInfo) else SHANGHAI)


def request_timeout(spec: ChannelSpec) -> Any:
    """The channel's `timeout` for one request (connecting gets at most 5 s of it), else the client's."""
    timeout = spec.options.get("timeout")
    if not timeout:
        return httpx.USE_CLIENT_DEFAULT
    return httpx.Timeout(float(timeout), connect=min(5.0, float(timeout)))


def post_json(client: httpx.Client, spec: ChannelSpec, url: str, body: dict[str, Any],
              headers: dict[str, str] | None = None) -> httpx.Response:
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    try:
        response = client.post(url, content=raw, headers={"Content-Type": "application/json; charset=utf-8",
                                                          **(headers or {})}, timeout=request_timeout(spec))
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{spec.name}: {type(exc).__name__}: {exc}") from exc
    if response.status_code >= 300:
        retryable = response.status_code >= 500 or response.status_code in (408, 429)
        raise DeliveryError(f"{spec.name}: HTTP {response.status_code}", retryable=retryable)
    return response


def check_code(spec: ChannelSpec, response: httpx.Response, keys: tuple[str, ...],
               retryable: frozenset[int]) -> None:
    """Chat platforms answer HTTP 200 with an error code in the body; 0 is success."""
    try:
        data = response.json()
    except ValueError:
        raise DeliveryError(f"{spec.name}: answer is not JSON: {response.text[:120]!r}", retryable=True) from None
    code = next((data[k] for k in keys if isinstance(data, dict) and k in data), None)
    if code in (0, None):
        return
    message = str(data.get("errmsg") or data.get("msg") or data.get("StatusMessage") or "")[:200]
    raise DeliveryError(f"{spec.name}: platform error {code}: {message}", retryable=int(code) in retryable)
