"""The channel interface and the registry that builds channels from their config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from alerts.errors import DeliveryError
from alerts.types import Notification


class Secret(str):
    """A string that never shows itself in logs, reprs or tracebacks."""

    def __repr__(self) -> str:
        return "Secret('***')"

    def reveal(self) -> str:
        return str.__str__(self)


@dataclass(frozen=True)
class ChannelSpec:
    """A configured channel; built by the config loader."""

    name: str
    type: str
    url: str | None = None
    secret: Secret | None = None
    brands: tuple[str, ...] = ()  # empty: every brand
    min_severity: str = "warning"
    options: dict[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    spec: ChannelSpec

    def send(self, notification: Notification, client: httpx.Client) -> None:
        """Deliver or raise DeliveryError (with `retryable`)."""


def build_channel(spec: ChannelSpec) -> Channel:
    from alerts.channels.dingtalk import DingTalkChannel
    from alerts.channels.email import EmailChannel
    from alerts.channels.feishu import FeishuChannel
    from alerts.channels.slack import SlackChannel
    from alerts.channels.webhook import WebhookChannel
    from alerts.channels.wecom import WeComChannel

    registry: dict[str, Any] = {"webhook": WebhookChannel, "email": EmailChannel, "dingtalk": DingTalkChannel,
                                "feishu": FeishuChannel, "wecom": WeComChannel, "slack": SlackChannel}
    try:
        return registry[spec.type](spec)
    except KeyError:
        raise DeliveryError(f"channel {spec.name}: type {spec.type!r} is not supported", retryable=False) from None
