"""Channel config beyond the common keys: per-type requirements, rate limits, quiet hours, delivery timing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from alerts.channels.base import Secret

# Messages a minute each platform accepts from one robot/webhook, used when `rate_limit` is not set.
DEFAULT_RATE_LIMITS = {"dingtalk": 20, "wecom": 20, "feishu": 100, "slack": 60, "webhook": 0, "email": 0}
URL_TYPES = ("webhook", "dingtalk", "feishu", "wecom", "slack")
_MOBILE = re.compile(r"^\+?\d{6,15}$")
_HEADER_UNSAFE = re.compile(r"[\r\n,;<>\"]")


@dataclass(frozen=True)
class DeliverySettings:
    first_retry_seconds: int = 30
    max_retry_seconds: int = 3600
    max_age_seconds: int = 24 * 3600


def quiet_hours(value: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """`"22:00-08:00"` → ((22, 0), (8, 0)); the window may wrap past midnight."""
    match = re.fullmatch(r"\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*", str(value))
    if not isinstance(value, str) or not match:
        raise ValueError(f"{value!r} is not a time range (e.g. \"22:00-08:00\")")
    start, end = (int(match[1]), int(match[2])), (int(match[3]), int(match[4]))
    if start == end:
        raise ValueError(f"{value!r} is empty: start and end are the same")
    return start, end


def channel_options(c: dict[str, Any], where: str, tz: ZoneInfo) -> dict[str, Any]:
    """Validate one `[[channels]]` table's type-specific keys; returns ChannelSpec.options. Raises ValueError."""
    kind = c["type"]
    if kind in URL_TYPES and not c["url"]:
        raise ValueError(f"{where}.url: a {kind} channel needs a url")
    try:
        quiet = quiet_hours(c["quiet_hours"]) if c["quiet_hours"] else None
    except ValueError as exc:
        raise ValueError(f"{where}.quiet_hours: {exc}") from None
    options: dict[str, Any] = {"events": c["events"], "mask_pii": c["mask_pii"], "timezone": tz,
                               "quiet_hours": quiet, "timeout": float(c["timeout"])}
    rate = c["rate_limit"]
    options["rate_limit"] = DEFAULT_RATE_LIMITS.get(kind, 0) if rate is None else rate
    if kind == "dingtalk":
        for mobile in c["at_mobiles"]:
            if not _MOBILE.match(mobile):
                raise ValueError(f"{where}.at_mobiles: {mobile!r} is not a phone number")
        options["at_mobiles"] = tuple(m.lstrip("+") for m in c["at_mobiles"])
    if kind == "email":
        for key in ("smtp_host", "from"):
            if not c[key]:
                raise ValueError(f"{where}.{key}: an email channel needs {key}")
        if not c["to"]:
            raise ValueError(f"{where}.to: an email channel needs at least one recipient")
        for address in (c["from"], *c["to"]):
            if _HEADER_UNSAFE.search(address) or "@" not in address:
                raise ValueError(f"{where}: {address!r} is not a plain e-mail address")
        if c["starttls"] and c["ssl"]:
            raise ValueError(f"{where}.ssl: choose ssl (implicit TLS, port 465) or starttls (port 587), not both")
        options.update({
            "smtp_host": c["smtp_host"], "smtp_port": c["smtp_port"], "username": c["username"],
            "password": Secret(c["password"]) if c["password"] else None, "starttls": c["starttls"],
            "ssl": c["ssl"], "from": c["from"], "to": c["to"], "smtp_ca_file": c["smtp_ca_file"],
        })
    return options


def delivery_settings(d: dict[str, Any]) -> DeliverySettings:
    return DeliverySettings(first_retry_seconds=d["first_retry"], max_retry_seconds=d["max_retry"],
                            max_age_seconds=d["max_age"])
