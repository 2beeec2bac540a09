"""Slack incoming webhook: Block Kit blocks plus a `text` fallback for notifications.

Per Slack's incoming-webhook docs (https://api.slack.com/messaging/webhooks): POST JSON `{"text", "blocks"}`;
success is HTTP 200 with body `ok`; 429 means rate-limited (about one message a second), 4xx with
`invalid_payload` / `no_service` are not worth retrying. Incoming webhooks accept no idempotency key.
"""

from __future__ import annotations

import httpx

from alerts.channels.base import ChannelSpec
from alerts.channels.http import message_for, post_json
from alerts.errors import DeliveryError
from alerts.render_chat import slack_blocks
from alerts.types import Notification


class SlackChannel:
    def __init__(self, spec: ChannelSpec):
        if not spec.url:
            raise DeliveryError(f"channel {spec.name}: slack needs the incoming-webhook url", retryable=False)
        self.spec = spec

    def body(self, notification: Notification) -> dict:
        return slack_blocks(message_for(self.spec, notification))

    def send(self, notification: Notification, client: httpx.Client) -> None:
        post_json(client, self.spec, self.spec.url or "", self.body(notification))
