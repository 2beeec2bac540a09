"""DingTalk (钉钉) custom group robot: markdown message, optional 加签 signing, @ by mobile number.

Signing, as DingTalk documents it for custom robots (安全设置 → 加签; see
https://open.dingtalk.com/document/robots/customize-robot-security-settings, restated in
https://apifox.com/apidoc/docs-site/467052/doc-3550006): string_to_sign = timestamp + "\n" + secret, with
timestamp in milliseconds; sign = urlEncode(base64(HmacSHA256(key=secret, msg=string_to_sign))); both are
appended to the webhook URL as `&timestamp=...&sign=...`. The timestamp must be within an hour of
DingTalk's clock. A robot accepts about 20 messages a minute (errcode 130101 when exceeded).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

import httpx

from alerts.channels.base import ChannelSpec
from alerts.channels.http import check_code, message_for, post_json
from alerts.errors import DeliveryError
from alerts.render_chat import defang, markdown
from alerts.types import Notification

RETRYABLE = frozenset({130101, -1})  # sending too fast; system busy


def sign(secret: str, timestamp_ms: str) -> str:
    """The `sign` query value (already URL-encoded)."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str | None, timestamp_ms: str) -> str:
    if not secret:
        return url
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign(secret, timestamp_ms)}"


class DingTalkChannel:
    def __init__(self, spec: ChannelSpec):
        if not spec.url:
            raise DeliveryError(f"channel {spec.name}: dingtalk needs the robot's webhook url", retryable=False)
        self.spec = spec

    def body(self, notification: Notification) -> dict:
        message = message_for(self.spec, notification)
        text = markdown(message, flavour="dingtalk")
        mobiles = [m for m in self.spec.options.get("at_mobiles", ()) if m.isdigit()]
        at_now = bool(mobiles) and message.event in ("incident.opened", "incident.escalated")
        if at_now:  # DingTalk only notifies numbers that also appear as @number in the text
            text += "\n\n" + " ".join(f"@{m}" for m in mobiles)
        return {"msgtype": "markdown", "markdown": {"title": defang(message.headline)[:60], "text": text},
                "at": {"atMobiles": mobiles if at_now else [], "isAtAll": False}}

    def send(self, notification: Notification, client: httpx.Client) -> None:
        timestamp = str(int(time.time() * 1000))
        secret = self.spec.secret.reveal() if self.spec.secret else None
        response = post_json(client, self.spec, signed_url(self.spec.url or "", secret, timestamp),
                             self.body(notification))
        check_code(self.spec, response, ("errcode",), RETRYABLE)
