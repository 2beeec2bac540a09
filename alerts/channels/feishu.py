"""Feishu / Lark (飞书) custom bot: a rich-text `post` message with optional signature verification.

Signing, as Feishu documents it for custom bots (签名校验; see
https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot, restated in
https://www.createh5.com/post/277.html): string_to_sign = timestamp + "\n" + secret, timestamp in SECONDS;
sign = base64(HmacSHA256(key=string_to_sign, msg=b"")) (note: the string is the KEY and the message is
empty, unlike DingTalk). `timestamp` and `sign` go in the JSON body. Code 19021 means the signature or
timestamp was refused; 11232 / 9499 mean the bot is being rate-limited (100 a minute, 5 a second).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import httpx

from alerts.channels.base import ChannelSpec
from alerts.channels.http import check_code, message_for, post_json
from alerts.errors import DeliveryError
from alerts.render_chat import feishu_post
from alerts.types import Notification

RETRYABLE = frozenset({11232, 9499})


def sign(secret: str, timestamp: str) -> str:
    string_to_sign = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(string_to_sign, b"", hashlib.sha256).digest()).decode("ascii")


class FeishuChannel:
    def __init__(self, spec: ChannelSpec):
        if not spec.url:
            raise DeliveryError(f"channel {spec.name}: feishu needs the bot's webhook url", retryable=False)
        self.spec = spec

    def body(self, notification: Notification, timestamp: str) -> dict:
        body: dict = {"msg_type": "post", "content": feishu_post(message_for(self.spec, notification))}
        if self.spec.secret:
            body = {"timestamp": timestamp, "sign": sign(self.spec.secret.reveal(), timestamp), **body}
        return body

    def send(self, notification: Notification, client: httpx.Client) -> None:
        response = post_json(client, self.spec, self.spec.url or "", self.body(notification, str(int(time.time()))))
        check_code(self.spec, response, ("code", "StatusCode"), RETRYABLE)
