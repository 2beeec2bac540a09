"""Dates as Chinese sources write them, read into aware UTC datetimes.

Naive times ("2026-11-22 10:00", "昨天 08:00") are read in the configured zone
(Asia/Shanghai by default): Chinese sites publish local time without saying so.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_ABSOLUTE = re.compile(
    r"^(?P<y>\d{4})[-/.年](?P<mo>\d{1,2})[-/.月](?P<d>\d{1,2})日?"
    r"(?:[T\s]*(?P<h>\d{1,2})[:：时](?P<mi>\d{1,2})(?:[:：分](?P<s>\d{1,2})(?:\.\d+)?)?秒?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
_MONTH_DAY = re.compile(r"^(?P<mo>\d{1,2})[-/月](?P<d>\d{1,2})日?(?:\s*(?P<h>\d{1,2})[:：](?P<mi>\d{2}))?$")
_RELATIVE = re.compile(r"^(?P<n>\d+)\s*(?P<unit>秒|分钟|小时|天|周|个月)前$")
_DAY_WORD = re.compile(r"^(?P<word>今天|昨天|前天)\s*(?:(?P<h>\d{1,2})[:：](?P<mi>\d{2}))?$")
_UNITS = {"秒": 1, "分钟": 60, "小时": 3600, "天": 86400, "周": 7 * 86400, "个月": 30 * 86400}
_DAY_OFFSETS = {"今天": 0, "昨天": 1, "前天": 2}


def _offset(text: str) -> tzinfo:
    if text == "Z":
        return UTC
    sign = 1 if text[0] == "+" else -1
    digits = text[1:].replace(":", "")
    return timezone(
        timedelta(hours=sign * int(digits[:2]), minutes=sign * int(digits[2:]))
    )


def parse_datetime(text: str | None, *, tz: tzinfo = SHANGHAI, now: datetime | None = None) -> datetime | None:
    """Parse an RFC 2822, ISO 8601 or common Chinese date; None when it is not a date."""
    if not text:
        return None
    value = text.strip()
    if not value:
        return None
    now = now or datetime.now(UTC)
    if value == "刚刚":
        return now
    if match := _RELATIVE.match(value):
        return now - timedelta(seconds=int(match["n"]) * _UNITS[match["unit"]])
    local_now = now.astimezone(tz)
    if match := _DAY_WORD.match(value):
        day = local_now - timedelta(days=_DAY_OFFSETS[match["word"]])
        hour, minute = int(match["h"] or 0), int(match["mi"] or 0)
        return _safe(day.year, day.month, day.day, hour, minute, 0, tz)
    if match := _ABSOLUTE.match(value):
        zone = _offset(match["tz"]) if match["tz"] else tz
        return _safe(int(match["y"]), int(match["mo"]), int(match["d"]), int(match["h"] or 0),
                     int(match["mi"] or 0), int(match["s"] or 0), zone)
    if match := _MONTH_DAY.match(value):
        return _safe(local_now.year, int(match["mo"]), int(match["d"]), int(match["h"] or 0),
                     int(match["mi"] or 0), 0, tz)
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is not None:
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).astimezone(UTC)


def _safe(year: int, month: int, day: int, hour: int, minute: int, second: int, zone: tzinfo) -> datetime | None:
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=zone).astimezone(UTC)
    except ValueError:
        return None
