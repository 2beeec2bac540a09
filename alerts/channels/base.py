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


def channel_secrets(spec: ChannelSpec) -> list[str]:
    """Every credential this channel holds, as it could appear in an error text: URL tokens, keys, passwords."""
    from alerts.channels.redact import url_secrets

    pieces = url_secrets(spec.url)
    for value in (spec.secret, spec.options.get("password")):
        if isinstance(value, Secret):
            pieces.append(value.reveal())
    return pieces


class Guarded:
    """A channel whose failures never carry its credentials, and are always a DeliveryError.

    Error texts are logged, stored in the outbox and printed by `test-channel`; an HTTP library or a
    platform that echoes the request URL would otherwise put a robot's token there. An unexpected
    exception becomes a retryable DeliveryError, so one bad send never takes the delivery worker down.
    """

    def __init__(self, inner: Any):
        self.inner, self.spec = inner, inner.spec
        self._secrets = channel_secrets(inner.spec)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def send(self, notification: Notification, client: httpx.Client) -> None:
        from alerts.channels.redact import scrub

        try:
            self.inner.send(notification, client)
        except DeliveryError as exc:
            text = str(exc).removeprefix("deliver: ")
            raise DeliveryError(scrub(text, self._secrets) or "", retryable=exc.retryable) from None
        except Exception as exc:  # any failure of one send is that send's failure, never the worker's
            text = scrub(f"{self.spec.name}: {type(exc).__name__}: {exc}", self._secrets) or ""
            raise DeliveryError(text, retryable=True) from None


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
        return Guarded(registry[spec.type](spec))
    except KeyError:
        raise DeliveryError(f"channel {spec.name}: type {spec.type!r} is not supported", retryable=False) from None
