"""Silence is not calm: judge whether a feed that still answers has gone quiet far beyond its own rhythm.

Anti-crawl blocks and expired cookies on RSSHub routes often return 200 with an empty or frozen feed, so
the failure stream never fires. Each feed's rhythm is learned from the gaps between its recent new items;
a feed is silent when the time since its last new item exceeds several times its usual longest gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

MIN_GAPS = 5  # history needed before a feed's rhythm is trusted
GAP_FACTOR = 6.0  # silence longer than this many "long" gaps (p90) is abnormal
FLOOR = timedelta(minutes=30)  # never call a feed silent sooner than this
INTERVALS = 3  # nor sooner than this many fetch intervals


@dataclass(frozen=True)
class Silence:
    silent: bool
    last_item_at: datetime | None
    threshold: timedelta | None  # None: not enough history to judge
    typical_gap: timedelta | None


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def judge(item_times: list[datetime], now: datetime, interval_seconds: int) -> Silence:
    """`item_times`: when the feed's recent new items arrived (any order)."""
    times = sorted(item_times)
    last = times[-1] if times else None
    gaps = [(b - a).total_seconds() for a, b in pairwise(times) if b > a]
    if last is None or len(gaps) < MIN_GAPS:
        return Silence(False, last, None, None)
    typical = timedelta(seconds=_quantile(gaps, 0.5))
    threshold = max(timedelta(seconds=GAP_FACTOR * _quantile(gaps, 0.9)), FLOOR,
                    timedelta(seconds=INTERVALS * interval_seconds))
    return Silence(now - last > threshold, last, threshold, typical)


def describe(gap: timedelta | None) -> str:
    """A rhythm in Chinese: 约每 5 分钟一条."""
    if gap is None:
        return "未知"
    seconds = gap.total_seconds()
    if seconds < 3600:
        return f"约每 {max(1, round(seconds / 60))} 分钟一条"
    if seconds < 86400:
        return f"约每 {seconds / 3600:.1f} 小时一条"
    return f"约每 {seconds / 86400:.1f} 天一条"
