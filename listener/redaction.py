"""Every credential a config holds, and a scrubber for anything shown or stored (status, errors, pages).

Channels already scrub their own errors (alerts.channels.base.Guarded); this is the second line, at
the edges where text leaves the process: `listener status`, `/healthz`, the outbox's error column.
"""

from __future__ import annotations

import logging
from typing import Any

from alerts.channels.base import Secret, channel_secrets
from alerts.channels.redact import scrub, url_secrets
from listener.config import Config


def config_secrets(config: Config) -> list[str]:
    pieces: list[str] = []
    for spec in config.channels:
        pieces += channel_secrets(spec)
    for feed in config.feeds:
        pieces += url_secrets(feed.url, all_params=False)
    for value in (config.collector.proxy, *((config.web.token, config.web.password) if config.web else ())):
        if isinstance(value, Secret):
            pieces += [value.reveal(), *url_secrets(value.reveal(), all_params=False)]
    return pieces


def scrub_all(value: Any, secrets: list[str]) -> Any:
    """A copy of a JSON-like value with every secret piece masked in every string."""
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {k: scrub_all(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_all(v, secrets) for v in value]
    return value


class ScrubFilter(logging.Filter):
    """A handler filter: every log record leaves with the config's credentials masked (message and traceback).

    Libraries and collectors log URLs as they are (a feed's `?key=`, a robot's `access_token`); this is
    the one place that sees every line before it is written.
    """

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = scrub(message, self.secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text, self.secrets)
        return True


def scrub_logs(config: Config, logger: logging.Logger | None = None) -> None:
    """Mask this config's credentials in everything the (root) logger's handlers write."""
    flt = ScrubFilter(config_secrets(config))
    for handler in (logger or logging.getLogger()).handlers:
        for old in [f for f in handler.filters if isinstance(f, ScrubFilter)]:
            handler.removeFilter(old)
        handler.addFilter(flt)
