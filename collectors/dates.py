"""Dates as Chinese sources write them, read into aware UTC datetimes.

Naive times ("2026-11-22 10:00", "昨天 08:00") are read in the configured zone
(Asia/Shanghai by default): Chinese sites publish local time without saying so.
"""

from __future__ import annotations

import re
import unicodedata
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
_RELATIVE = re.compile(r"^(?P<n>\d+|半)\s*个?\s*(?P<unit>秒钟?|分钟|分|小时|钟头|天|日|周|星期|礼拜|月|年)\s*前$")
_EPOCH = re.compile(r"^\d{9,13}$")
_DAY_WORD = re.compile(r"^(?P<word>今天|昨天|前天)\s*(?:(?P<h>\d{1,2})[:：](?P<mi>\d{2}))?$")
_UNITS = {"秒": 1, "秒钟": 1, "分钟": 60, "分": 60, "小时": 3600, "钟头": 3600, "天": 86400, "日": 86400,
          "周": 7 * 86400, "星期": 7 * 86400, "礼拜": 7 * 86400, "月": 30 * 86400, "年": 365 * 86400}
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
    """Parse an RFC 2822, ISO 8601, Unix-seconds or common Chinese date; None when it is not a date.

    Relative forms (刚刚, 3小时前, 半小时前, 昨天 08:00, 11月22日) are read against `now`, the
    injected clock: the fetch time, so a re-parse gives the same answer.
    """
    if not text:
        return None
    value = unicodedata.normalize("NFKC", text).strip()  # full-width digits and colons: ３小时前, 10：30
    if not value:
        return None
    now = now or datetime.now(UTC)
    if value in ("刚刚", "刚才", "just now"):
        return now
    if match := _RELATIVE.match(value):
        amount = 0.5 if match["n"] == "半" else int(match["n"])
        return now - timedelta(seconds=amount * _UNITS[match["unit"]])
    if _EPOCH.match(value):
        seconds = int(value) / 1000 if len(value) >= 12 else int(value)
        return datetime.fromtimestamp(seconds, UTC)
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
        when = _safe(local_now.year, int(match["mo"]), int(match["d"]), int(match["h"] or 0),
                     int(match["mi"] or 0), 0, tz)
        if when is not None and when > now + timedelta(days=1):  # "12月31日" read on 2 January: last year
            when = _safe(local_now.year - 1, int(match["mo"]), int(match["d"]), int(match["h"] or 0),
                         int(match["mi"] or 0), 0, tz)
        return when
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
