"""WeCom (企业微信) group robot: a markdown message (content at most 4096 bytes, UTF-8).

Format per WeCom's 群机器人配置说明 (https://developer.work.weixin.qq.com/document/path/91770):
`{"msgtype": "markdown", "markdown": {"content": ...}}`; colours via `<font color="info|comment|warning">`.
The robot key in the URL is the only credential (no signing). About 20 messages a minute per robot;
errcode 45009 when exceeded.
"""

from __future__ import annotations

import httpx

from alerts.channels.base import ChannelSpec
from alerts.channels.http import check_code, message_for, post_json
from alerts.errors import DeliveryError
from alerts.render_chat import markdown
from alerts.types import Notification

RETRYABLE = frozenset({45009, -1})
MAX_BYTES = 4096


class WeComChannel:
    def __init__(self, spec: ChannelSpec):
        if not spec.url:
            raise DeliveryError(f"channel {spec.name}: wecom needs the robot's webhook url", retryable=False)
        self.spec = spec

    def body(self, notification: Notification) -> dict:
        content = markdown(message_for(self.spec, notification), flavour="wecom", budget=MAX_BYTES - 96)
        return {"msgtype": "markdown", "markdown": {"content": content}}

    def send(self, notification: Notification, client: httpx.Client) -> None:
        response = post_json(client, self.spec, self.spec.url or "", self.body(notification))
        check_code(self.spec, response, ("errcode",), RETRYABLE)
