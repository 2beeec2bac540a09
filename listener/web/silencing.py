"""Silencing a brand from the dashboard: the same store rows as `listener alerts silence`, checked once here
so the HTML form and the JSON API refuse the same things with the same one-line message."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from collectors.dates import parse_datetime
from listener.config import Config
from listener.store import Store
from listener.store.codec import from_ts, ts

# The form's choices; anything else goes through `until` (a local date-time).
DURATIONS = {"1h": timedelta(hours=1), "4h": timedelta(hours=4), "24h": timedelta(hours=24),
             "7d": timedelta(days=7)}
DURATION_NAMES = {"1h": "1 小时", "4h": "4 小时", "24h": "24 小时", "7d": "7 天"}
MAX_SILENCE = timedelta(days=30)  # a typo in the year must not mute a brand for good
MAX_REASON_CHARS = 200


class BadSilence(ValueError):
    """A silence request the user can fix; shown on the page, answered 400 by the API."""


def silence_until(config: Config, now: datetime, *, duration: str | None, until: str | None) -> datetime:
    """When the silence ends: one of DURATIONS, or a local date-time such as 2026-11-23T18:00."""
    duration = (duration or "").strip() or None
    until = (until or "").strip() or None
    if duration and duration != "custom":
        if until:
            raise BadSilence("until: 请只选一种：固定时长或自定义结束时间 (a duration or an end time, not both)")
        if duration not in DURATIONS:
            raise BadSilence(f"duration: {duration!r} 应为 1h、4h、24h 或 7d（或填写结束时间）")
        return now + DURATIONS[duration]
    if not until:
        raise BadSilence("until: 请选择静默时长或填写结束时间 (choose a duration or give an end time)")
    when = parse_datetime(until, tz=config.timezone, now=now)
    if when is None:
        raise BadSilence(f"until: {until[:40]!r} 不是日期时间 (expected 2026-11-23T18:00, {config.timezone})")
    if when <= now:
        raise BadSilence(f"until: {until[:40]!r} 已经过去 (is in the past)")
    if when - now > MAX_SILENCE:
        raise BadSilence("until: 最长静默 30 天 (at most 30 days ahead)")
    return when


def checked_brand(config: Config, brand: str | None) -> str:
    brand = (brand or "").strip()
    if brand not in {b.name for b in config.brands}:
        raise BadSilence(f"brand: {brand[:40]!r} 不是已配置的品牌 (not a configured brand)")
    return brand


def checked_reason(reason: str | None) -> str | None:
    """One line, bounded: the reason is shown next to the brand wherever the silence is listed."""
    reason = " ".join((reason or "").split())
    if len(reason) > MAX_REASON_CHARS:
        raise BadSilence(f"reason: 最多 {MAX_REASON_CHARS} 字 (at most {MAX_REASON_CHARS} characters)")
    return reason or None


def silence_brand(store: Store, config: Config, now: datetime, *, brand: str | None, duration: str | None,
                  until: str | None, reason: str | None) -> dict[str, Any]:
    """Validate everything first, then write: a refused request changes nothing."""
    name = checked_brand(config, brand)
    end = silence_until(config, now, duration=duration, until=until)
    why = checked_reason(reason)
    store.silence(name, end, now, why)
    return {"brand": name, "until": end, "created_at": now, "reason": why}


def active_silences(store: Store, now: datetime) -> dict[str, dict[str, Any]]:
    """brand -> {brand, until, created_at, reason} for silences not yet over (expired rows are ignored)."""
    out = {}
    for row in store.silences():
        end = from_ts(row["until"])
        if end is not None and end > now:
            out[row["brand"]] = {"brand": row["brand"], "until": end, "created_at": from_ts(row["created_at"]),
                                 "reason": row["reason"]}
    return out


def silence_json(silence: dict[str, Any]) -> dict[str, Any]:
    return {"brand": silence["brand"], "until": ts(silence["until"]), "created_at": ts(silence["created_at"]),
            "reason": silence["reason"]}
